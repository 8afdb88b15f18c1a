"""Reads of discussion sessions: presenter rotation, what notices are due, calendars."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.utils import timezone

from meetings.models import RSVP, AgendaItem, Meeting, NotificationPreference, PresenterOffer
from members.models import User


def with_agenda(meetings: QuerySet) -> QuerySet:
    """Meetings with their agenda (papers and presenters) in one extra query."""
    agenda = AgendaItem.objects.select_related("paper", "presenter").order_by("order", "id")
    return meetings.prefetch_related(Prefetch("agenda", queryset=agenda))


def _last_presented() -> Max:
    """When a member last presented (or is due to), at any session not cancelled."""
    return Max(
        "presentations__meeting__starts_at",
        filter=~Q(presentations__meeting__status=Meeting.Status.CANCELLED),
    )


def _ranked(candidates: list[tuple[User, datetime]]) -> list[User]:
    """Fair rotation: never presented first, then whoever presented longest ago; ties go to
    whoever offered (or answered) first."""

    def key(candidate: tuple[User, datetime]) -> tuple:
        user, since = candidate
        last = user.last_presented
        return (last is not None, last or since, since, user.pk)

    return [user for user, _ in sorted(candidates, key=key)]


def presenter_rankings(*, meeting: Meeting) -> dict[int, list[User]]:
    """Per agenda item, who may present it, best first (four queries for the whole agenda).

    Candidates are the active members who offered to present the item; when nobody did,
    the active members who answered yes (with a seat) for the session.
    """
    item_ids = list(AgendaItem.objects.filter(meeting=meeting).values_list("pk", flat=True))
    offers = PresenterOffer.objects.filter(item__meeting=meeting, user__is_active=True)
    offered: dict[int, list[tuple[int, datetime]]] = {}
    for item_id, user_id, created_at in offers.values_list("item_id", "user_id", "created_at"):
        offered.setdefault(item_id, []).append((user_id, created_at))
    yes = list(
        RSVP.objects.filter(
            meeting=meeting, answer=RSVP.Answer.YES, waitlisted=False, user__is_active=True
        ).values_list("user_id", "answered_at")
    )
    ids = {user_id for pairs in offered.values() for user_id, _ in pairs} | {u for u, _ in yes}
    users = {u.pk: u for u in User.objects.filter(pk__in=ids).annotate(last_presented=_last_presented())}
    return {
        item_id: _ranked([(users[u], since) for u, since in offered.get(item_id) or yes])
        for item_id in item_ids
    }


def presenter_suggest(*, item: AgendaItem, exclude: Iterable[int] = ()) -> User | None:
    """The member fair rotation suggests to present this item, or None without candidates.

    Members in `exclude` (e.g. already suggested for an earlier item) come last.
    """
    candidates = presenter_rankings(meeting=item.meeting).get(item.pk, [])
    return _pick(candidates, set(exclude))


def _pick(candidates: list[User], skipped: set[int]) -> User | None:
    preferred = [user for user in candidates if user.pk not in skipped]
    return (preferred or candidates or [None])[0]


def agenda_suggestions(*, meeting: Meeting) -> dict[int, User | None]:
    """A suggested presenter per agenda item without one, spreading the work over members:
    someone already presenting or suggested at this session comes last for the next item."""
    rankings = presenter_rankings(meeting=meeting)
    items = AgendaItem.objects.filter(meeting=meeting).order_by("order", "id")
    items = items.values_list("pk", "presenter_id")
    taken = {presenter_id for _, presenter_id in items if presenter_id}
    suggestions: dict[int, User | None] = {}
    for item_id, presenter_id in items:
        if presenter_id is None:
            suggestions[item_id] = user = _pick(rankings.get(item_id, []), taken)
            if user is not None:
                taken.add(user.pk)
    return suggestions


def meetings_starting_between(start: datetime, end: datetime) -> QuerySet:
    return Meeting.objects.filter(status=Meeting.Status.PLANNED, starts_at__gt=start, starts_at__lte=end)


def next_meeting(now: datetime | None = None) -> Meeting | None:
    now = now or timezone.now()
    upcoming = Meeting.objects.filter(status=Meeting.Status.PLANNED, starts_at__gt=now).order_by("starts_at")
    return with_agenda(upcoming).first()


# --- Sessions for the API and the pages: agenda, presenters, offers, RSVP counts, my RSVP ------------


def agenda_items_with_offers() -> QuerySet:
    """Agenda items with paper and presenter, and the offers to present them in one extra query."""
    offers = PresenterOffer.objects.select_related("user").order_by("created_at", "id")
    return (
        AgendaItem.objects.select_related("paper", "presenter")
        .prefetch_related(Prefetch("offers", queryset=offers))
        .order_by("order", "id")
    )


def with_agenda_and_offers(meetings: QuerySet) -> QuerySet:
    """Meetings with their agenda (papers, presenters, offers to present) in two extra queries."""
    return meetings.prefetch_related(Prefetch("agenda", queryset=agenda_items_with_offers()))


def with_rsvp_counts(meetings: QuerySet) -> QuerySet:
    """rsvp_yes (with a seat), rsvp_waitlisted, rsvp_maybe and rsvp_no, counted in the same query."""
    answer = "rsvps__answer"
    return meetings.annotate(
        rsvp_yes=Count("rsvps", filter=Q(**{answer: RSVP.Answer.YES}, rsvps__waitlisted=False)),
        rsvp_waitlisted=Count("rsvps", filter=Q(**{answer: RSVP.Answer.YES}, rsvps__waitlisted=True)),
        rsvp_maybe=Count("rsvps", filter=Q(**{answer: RSVP.Answer.MAYBE})),
        rsvp_no=Count("rsvps", filter=Q(**{answer: RSVP.Answer.NO})),
    )


def with_my_rsvp(meetings: QuerySet, user) -> QuerySet:
    """my_answer (None when I did not answer, or anonymous) and my_waitlisted."""
    if user is None or not user.is_authenticated:
        return meetings.annotate(
            my_answer=Value(None, output_field=CharField()),
            my_waitlisted=Value(None, output_field=BooleanField()),
        )
    mine = RSVP.objects.filter(meeting=OuterRef("pk"), user=user)
    return meetings.annotate(
        my_answer=Subquery(mine.values("answer")[:1]),
        my_waitlisted=Subquery(mine.values("waitlisted")[:1]),
    )


def _for_members(meetings: QuerySet, user) -> QuerySet:
    return with_agenda_and_offers(with_my_rsvp(with_rsvp_counts(meetings), user))


def meeting_list(*, user=None, when: str = "upcoming", now: datetime | None = None) -> QuerySet:
    """Upcoming sessions (not ended yet), soonest first, or past ones, latest first."""
    if when not in ("upcoming", "past"):
        raise ValueError(f"when is 'upcoming' or 'past', not {when!r}.")
    meetings = Meeting.objects.upcoming(now) if when == "upcoming" else Meeting.objects.past(now)
    return _for_members(meetings, user)


def meetings_changed_since(*, user=None, since: datetime) -> QuerySet:
    """Sessions changed at or after `since`, in a stable order for paging (the API's sync)."""
    return _for_members(Meeting.objects.filter(updated_at__gte=since), user).order_by("updated_at", "id")


def meeting_detail_queryset(*, user=None) -> QuerySet:
    """Any session, ready for its page: agenda, presenters, offers, RSVP counts and my RSVP."""
    return _for_members(Meeting.objects.all(), user)


def notification_preference_get(*, user) -> NotificationPreference:
    """The member's preferences; defaults (not saved) when they never changed them."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found or NotificationPreference(user=user)
