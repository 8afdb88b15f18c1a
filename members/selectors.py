"""Reads for members' own pages."""

from django.db.models import Q, QuerySet
from django.utils import timezone
from knox.models import AuthToken

from members.models import Invitation


def api_tokens(*, user) -> QuerySet:
    """The member's API tokens that still work, newest first."""
    alive = Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())
    return AuthToken.objects.filter(alive, user=user).order_by("-created")


def invitations_recent(*, limit: int = 100) -> QuerySet:
    return Invitation.objects.select_related("invited_by", "accepted_by")[:limit]
