from django import forms
from django.contrib.auth.forms import UserCreationForm

from members.models import User


class InvitationForm(forms.Form):
    email = forms.EmailField(label="E-mail address to invite", max_length=254)


class JoinForm(UserCreationForm):
    """Signup through an invitation: the address comes from the invitation, the member picks the rest."""

    class Meta:
        model = User
        fields = ["username"]
        help_texts = {
            "username": "Letters, digits and @/./+/-/_ only. Other members see it unless you set a name."
        }

    def clean_username(self) -> str:
        username = super().clean_username()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("This username is taken.")
        return username


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "first_name", "last_name", "email", "digest_enabled"]
        labels = {"display_name": "Name shown to other members", "digest_enabled": "Weekly digest by e-mail"}
        help_texts = {
            "email": "Never shown to other members.",
            "digest_enabled": (
                "The week's most-voted new papers, the next session and papers that need a presenter."
            ),
        }

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"]).strip()
        if email and User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another member uses this e-mail address.")
        return email
