"""Reads for members' own pages."""

from django.db.models import Q, QuerySet
from django.utils import timezone
from knox.models import AuthToken

from meetings.models import RSVP, Notice, PresenterOffer
from meetings.selectors import notification_preference_get
from members.models import Invitation
from papers.models import Dismissal, Paper, Vote


def api_tokens(*, user) -> QuerySet:
    """The member's API tokens that still work, newest first."""
    alive = Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())
    return AuthToken.objects.filter(alive, user=user).order_by("-created")


def invitations_recent(*, limit: int = 100) -> QuerySet:
    return Invitation.objects.select_related("invited_by", "accepted_by")[:limit]


def user_data(*, user) -> dict:
    """Everything the site keeps about one member, for their own download (members.export).

    Other members appear by public name only: an invitation the member sent shows the
    address it went to only while nobody has accepted it (then it is a member's address).
    Secrets (password hash, API tokens, the private calendar address) are left out.
    """
    return {
        "profile": user,
        "notifications": notification_preference_get(user=user),
        "votes": Vote.objects.filter(user=user).select_related("paper").order_by("created_at", "id"),
        "dismissals": Dismissal.objects.filter(user=user)
        .select_related("paper")
        .order_by("created_at", "id"),
        "rsvps": RSVP.objects.filter(user=user).select_related("meeting").order_by("created_at", "id"),
        "suggestions": Paper.objects.filter(submitted_by=user).order_by("created_at", "id"),
        "presenter_offers": PresenterOffer.objects.filter(user=user)
        .select_related("item__meeting", "item__paper")
        .order_by("created_at", "id"),
        "presentations": user.presentations.select_related("meeting", "paper").order_by(
            "meeting__starts_at", "order"
        ),
        "invitations_sent": Invitation.objects.filter(invited_by=user)
        .select_related("accepted_by")
        .order_by("created_at", "id"),
        "api_tokens": api_tokens(user=user),
        "notices": Notice.objects.filter(user=user).order_by("claimed_at", "id"),
        "comments": user.comments.order_by("created_at", "id"),
        "followed_topics": user.topic_follows.select_related("tag").order_by("created_at", "id"),
    }
