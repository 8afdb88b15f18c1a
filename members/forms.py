from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import UserCreationForm

from meetings.models import NotificationPreference
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


class NotificationsForm(forms.ModelForm):
    """Which session e-mails I get; saved through meetings.services.notification_preference_set."""

    class Meta:
        model = NotificationPreference
        fields = ["reminders", "presenter_notices", "seat_notices"]
        labels = {
            "reminders": "Reminder 24 hours before a session I answered yes or maybe to",
            "presenter_notices": "Notice 3 days before a session where I present",
            "seat_notices": "Notice when I move up from a waiting list",
        }


class AccountDeleteForm(forms.Form):
    """Deleting an account asks for the password again: a session left open is not enough."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        # Through authenticate(), so wrong guesses count towards the log-in lock-out (django-axes).
        user = authenticate(self.request, username=self.request.user.get_username(), password=password)
        if user is None or user.pk != self.request.user.pk:
            raise forms.ValidationError("That is not your password.")
        return password
