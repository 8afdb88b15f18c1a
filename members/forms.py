import math

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from rest_framework.throttling import SimpleRateThrottle

from meetings.models import NotificationPreference
from members import services
from members.models import User
from readinggroup.rest.throttles import PasswordResetEmailThrottle, PasswordResetThrottle, WebLoginThrottle


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


# --- Log-in and passwords -----------------------------------------------------------------------


class _Limited:
    """A form whose requests count against throttles: past a rate, a form error says how long to
    wait, and the view answers 429 with Retry-After (members.auth_views)."""

    retry_after: int | None = None

    def refuse_beyond(self, throttle: SimpleRateThrottle, message: str) -> None:
        if throttle.allow_request(self.request, None):
            return
        self.retry_after = math.ceil(throttle.wait() or 60)
        minutes = math.ceil(self.retry_after / 60)
        raise ValidationError(f"{message} Try again in {minutes} minute{'s' if minutes > 1 else ''}.")


class _LimitedPerAddress(_Limited):
    """Log-in attempts from one address are limited whatever the username (WEB_LOGIN_RATE), before
    the password is checked: trying one password on many accounts gets no answers past the limit."""

    def clean(self):
        if self.cleaned_data.get("username") is not None and self.cleaned_data.get("password"):
            self.refuse_beyond(WebLoginThrottle(), "Too many log-in attempts from your address.")
        return super().clean()


class LoginForm(_LimitedPerAddress, auth_forms.AuthenticationForm):
    pass


class AdminLoginForm(_LimitedPerAddress, AdminAuthenticationForm):
    pass


class PasswordResetForm(_Limited, auth_forms.PasswordResetForm):
    """Limited per client address and per e-mail address (PASSWORD_RESET_RATE), with the same
    answer whether an account uses the address or not; the e-mail goes out from the workers."""

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("email")
        if email:
            message = "Too many password-reset requests from your address or for this e-mail address."
            self.refuse_beyond(PasswordResetThrottle(), message)
            self.refuse_beyond(PasswordResetEmailThrottle(email), message)
        return cleaned

    def save(self, **kwargs) -> None:
        for user in self.get_users(self.cleaned_data["email"]):
            services.password_reset_send(user=user)


class _EndsApiTokens:
    """The new password is saved by the service, which also ends the member's API tokens."""

    def save(self, commit: bool = True) -> User:
        # Always saved, whatever `commit` says: Django's password views only ever save.
        services.user_password_set(user=self.user, password=self.new_password())
        return self.user

    def new_password(self) -> str | None:
        return self.cleaned_data["new_password1"]


class PasswordChangeForm(_EndsApiTokens, auth_forms.PasswordChangeForm):
    pass


class SetPasswordForm(_EndsApiTokens, auth_forms.SetPasswordForm):
    pass


class AdminPasswordChangeForm(_EndsApiTokens, auth_forms.AdminPasswordChangeForm):
    """An administrator sets a member's password, or takes it away ("password-based authentication")."""

    def new_password(self) -> str | None:
        return self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] else None
