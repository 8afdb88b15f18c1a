"""Log-in and password pages: Django's views with the site's forms, which limit requests per
address (and per e-mail address for resets) and end API tokens when a password changes."""

from django.contrib.auth import views as auth_views
from django.http import HttpResponse

from members.forms import LoginForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm


def _limited(response: HttpResponse, form) -> HttpResponse:
    """A form refused by a rate limit (members.forms._Limited) answers 429 with Retry-After."""
    if form.retry_after is not None:
        response.status_code = 429
        response["Retry-After"] = str(form.retry_after)
    return response


class LoginView(auth_views.LoginView):
    form_class = LoginForm

    def form_invalid(self, form) -> HttpResponse:
        return _limited(super().form_invalid(form), form)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form) -> HttpResponse:
        return _limited(super().form_invalid(form), form)


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm
