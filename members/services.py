"""Writes for members: invitations and signup, preferences, calendar token, API tokens, deletion."""

import secrets

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from knox.models import AuthToken

from discussions.services import comment_delete_all_by
from meetings.models import Meeting
from meetings.services import rsvp_remove
from members.invitations import InvitationLinkError, read_token
from members.models import Invitation, User
from members.tasks import send_password_reset
from outbox import enqueue
from papers.models import Vote


@transaction.atomic
def invitation_create(*, email: str, invited_by: User | None) -> Invitation:
    """Invite an address (or invite it again: the open invitation is re-sent with a fresh link)."""
    email = User.objects.normalize_email(email).strip()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "Someone with this e-mail address is already a member."})
    invitation = Invitation.objects.open().select_for_update().filter(email__iexact=email).first()
    if invitation is None:
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(email=email, invited_by=invited_by)
        except IntegrityError:  # invited concurrently
            invitation = Invitation.objects.open().get(email__iexact=email)
    invitation_send(invitation=invitation)
    return invitation


@transaction.atomic
def invitation_send(*, invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
    enqueue("members.tasks.send_invitation", invitation.pk)


def invitation_revoke(*, invitation: Invitation) -> bool:
    """Delete an open invitation, which makes its link useless; accepted ones are kept."""
    deleted, _ = Invitation.objects.open().filter(pk=invitation.pk).delete()
    return bool(deleted)


def invitation_from_token(token: str) -> Invitation:
    """The open invitation a link stands for; raises InvitationLinkError otherwise."""
    invitation_id, email = read_token(token)
    invitation = Invitation.objects.filter(pk=invitation_id, email__iexact=email).first()
    if invitation is None:
        raise InvitationLinkError("This invitation was withdrawn. Ask an organiser for a new one.")
    if not invitation.is_open:
        raise InvitationLinkError("This invitation has been used already. Log in instead.")
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, username: str, password: str) -> User:
    """Create the member an invitation stands for; the invitation cannot be used again."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise ValidationError("This invitation has been used already.")
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "This username is taken."})
    user = User(username=username, email=invitation.email)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError("This username or e-mail address is taken.") from None
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return user


def user_update_profile(*, user: User, changes: dict) -> User:
    allowed = {"display_name", "first_name", "last_name", "email", "digest_enabled"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"Not profile fields: {', '.join(sorted(unknown))}")
    for field, value in changes.items():
        setattr(user, field, value)
    user.save(update_fields=list(changes))
    return user


def api_token_create(*, user: User) -> tuple[AuthToken, str]:
    """A new API token (django-rest-knox): the clear text is returned once and never stored."""
    return AuthToken.objects.create(user=user)


def api_token_revoke(*, user: User, token_key: str) -> int:
    """Delete the member's token(s) with this public key prefix; returns how many went."""
    deleted, _ = AuthToken.objects.filter(user=user, token_key=token_key).delete()
    return deleted


@transaction.atomic
def user_password_set(*, user: User, password: str | None) -> int:
    """Give a member a new password (None: none that works) and end every API token they have.

    A token taken before the change, perhaps by whoever knew the old password, would
    otherwise keep working until it expires; browser sessions end through Django's session
    hash. Returns how many tokens went.
    """
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def password_reset_send(*, user: User) -> None:
    """Queue the e-mail with a link to choose a new password; the worker makes the link."""
    enqueue(send_password_reset, user.pk)


@transaction.atomic
def user_deactivate(*, users) -> int:
    """Stop members from logging in: their seats at planned sessions go to the waiting lists
    and their API tokens stop working. Their votes and past answers stay. Returns how many."""
    users = list(users.filter(is_active=True))
    for user in users:
        for meeting in Meeting.objects.filter(rsvps__user=user, status=Meeting.Status.PLANNED).order_by("pk"):
            rsvp_remove(meeting=meeting, user=user)
    User.objects.filter(pk__in=[u.pk for u in users]).update(is_active=False)
    AuthToken.objects.filter(user__in=users).delete()
    return len(users)


# --- Account deletion ---------------------------------------------------------------------------

FORMER_MEMBER_NAME = "Former member"
# The web page and the API refuse it: deleting the last administrator would lock everyone out.
ADMINISTRATOR_SELF_DELETE = "An administrator account is deleted in the admin, by another administrator."


def _former_member() -> User:
    """A new inactive, nameless account that keeps one deleted member's votes.

    One per deletion, because a member votes once per paper (unique user and paper): two
    deleted members' votes for the same paper cannot share one placeholder.
    """
    placeholder = User(
        username=f"deleted-{secrets.token_hex(8)}", display_name=FORMER_MEMBER_NAME, is_active=False
    )
    placeholder.set_unusable_password()
    placeholder.save()
    return placeholder


@transaction.atomic
def user_delete(*, user: User) -> User | None:
    """Delete a member's account: their votes stay, anonymous; everything else personal goes.

    Votes move to a placeholder account (see _former_member), so every paper's vote_count
    still equals its vote rows and the queue does not change. RSVPs are removed first, each
    seat going to the session's waiting list; API tokens, offers to present, notices and
    preferences go with the account, comments are deleted (one with replies keeps its
    place as "deleted"), and so do the accepted invitation (it holds the address)
    and the log-in records kept for rate limiting. Sessions in every browser end: they name
    an account that no longer exists. Returns the placeholder, or None when there were no votes.
    """
    # Locking the row also holds back a concurrent vote by this member (its foreign key
    # check waits for the lock), so no vote can slip in between the move and the delete.
    user = User.objects.select_for_update().get(pk=user.pk)
    placeholder = None
    if Vote.objects.filter(user=user).exists():
        placeholder = _former_member()
        Vote.objects.filter(user=user).update(user=placeholder)
    for meeting in Meeting.objects.filter(rsvps__user=user).order_by("pk"):
        rsvp_remove(meeting=meeting, user=user)
    Invitation.objects.filter(accepted_by=user).delete()
    comment_delete_all_by(author=user)
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=user.get_username()).delete()
    AuthToken.objects.filter(user=user).delete()
    user.delete()
    return placeholder
