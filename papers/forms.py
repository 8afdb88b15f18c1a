from django import forms


class SuggestForm(forms.Form):
    reference = forms.CharField(
        label="arXiv URL or id, Hugging Face paper URL, or DOI",
        max_length=500,
        help_text="For example 2401.01234, https://arxiv.org/abs/2401.01234v2, "
        "https://huggingface.co/papers/2401.01234 or 10.1000/example.123.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
