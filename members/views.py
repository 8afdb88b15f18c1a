"""Members' own pages: profile and preferences, calendar link, API tokens; invitations and signup."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from meetings import selectors as meeting_selectors
from meetings import services as meeting_services
from members import selectors, services
from members.forms import InvitationForm, JoinForm, NotificationsForm, ProfileForm
from members.invitations import InvitationLinkError
from members.models import Invitation, User


def organiser_required(view):
    """Organisers only: visitors log in first, members get a 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_organiser:
            raise PermissionDenied("Only organisers can invite members.")
        return view(request, *args, **kwargs)

    return wrapper


def calendar_url(request: HttpRequest, token: str) -> str | None:
    """The private calendar URL, when the calendars feature is installed."""
    try:
        return request.build_absolute_uri(reverse("meetings:member-calendar", args=[token]))
    except NoReverseMatch:
        return None


def _profile_page(
    request: HttpRequest,
    form: ProfileForm | None = None,
    notify: NotificationsForm | None = None,
    *,
    new_token: str = "",
    status: int = 200,
):
    context = {
        "form": form or ProfileForm(instance=request.user),
        "notify": notify or _notifications_form(request, bound=False),
        "nav": "profile",
        "calendar_url": calendar_url(request, request.user.calendar_token),
        "tokens": selectors.api_tokens(user=request.user),
        "new_token": new_token,
    }
    return render(request, "members/profile.html", context, status=status)


def _notifications_form(request: HttpRequest, *, bound: bool) -> NotificationsForm:
    preference = meeting_selectors.notification_preference_get(user=request.user)
    return NotificationsForm(request.POST if bound else None, instance=preference, prefix="notify")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _profile_page(request)
    form = ProfileForm(request.POST, instance=request.user)
    notify = _notifications_form(request, bound=True)
    if not (form.is_valid() and notify.is_valid()):
        return _profile_page(request, form, notify, status=400)
    services.user_update_profile(
        user=request.user, changes={f: form.cleaned_data[f] for f in form.changed_data}
    )
    meeting_services.notification_preference_set(user=request.user, **notify.cleaned_data)
    messages.success(request, "Your profile and preferences are saved.")
    return redirect("members:profile")


@login_required
@require_POST
def calendar_regenerate(request: HttpRequest) -> HttpResponse:
    meeting_services.calendar_token_regenerate(user=request.user)
    messages.success(request, "Your calendar link is new: the old one no longer works. Subscribe again.")
    return redirect(reverse("members:profile") + "#calendar")


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """Show the new token once, in this response; it is never stored in clear or shown again."""
    _, token = services.api_token_create(user=request.user)
    response = _profile_page(request, new_token=token)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, key: str) -> HttpResponse:
    if services.api_token_revoke(user=request.user, token_key=key):
        messages.success(request, f"The token starting {key} is revoked.")
    else:
        messages.error(request, "No such token: it may have expired or been revoked already.")
    return redirect(reverse("members:profile") + "#tokens")


@organiser_required
def invitations(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(email=form.cleaned_data["email"], invited_by=request.user)
        except ValidationError as error:
            form.add_error("email", error.message_dict.get("email", error.messages))
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("members:invitations")
    status = 400 if form.errors else 200
    context = {
        "form": form,
        "invitations": selectors.invitations_recent(),
        "invitation_days": settings.INVITATION_MAX_AGE_DAYS,
        "nav": "invitations",
    }
    return render(request, "members/invitations.html", context, status=status)


@organiser_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk)
    if services.invitation_revoke(invitation=invitation):
        messages.success(request, f"The invitation to {invitation.email} is withdrawn.")
    else:
        messages.error(request, "That invitation was accepted already.")
    return redirect("members:invitations")


@organiser_required
@require_POST
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.open(), pk=pk)
    services.invitation_send(invitation=invitation)
    messages.success(request, f"Invitation sent again to {invitation.email}.")
    return redirect("members:invitations")


def join(request: HttpRequest, token: str) -> HttpResponse:
    """Signup by invitation: pick a username and password for the invited address."""
    try:
        invitation = services.invitation_from_token(token)
    except InvitationLinkError as error:
        status = 410 if error.expired else 404
        return render(request, "members/join_invalid.html", {"message": str(error)}, status=status)
    if request.user.is_authenticated:
        messages.info(request, "You are logged in already; log out first to accept an invitation.")
        return redirect("home")
    form = JoinForm(request.POST or None, instance=_invitee(invitation))
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                invitation=invitation,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, f"Welcome, {user.public_name}! Set a display name and your preferences here."
            )
            return redirect("members:profile")
    context = {"form": form, "invitation": invitation}
    return render(request, "members/join.html", context, status=400 if form.errors else 200)


def _invitee(invitation: Invitation) -> User:
    # The unsaved user lets the password validators compare the password with the address.
    return User(email=invitation.email)
