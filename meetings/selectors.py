"""Reads of discussion sessions: presenter rotation, what notices are due, calendars."""

from collections.abc import Iterable
from dataclasses import dataclass
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


# Fairness looks back over this many sessions: who presented least in them is suggested first.
FAIRNESS_SESSIONS = 6


@dataclass(frozen=True)
class PresenterCandidate:
    """A member the rotation may suggest for an agenda item, and why, in words for organisers."""

    user: User
    why: str
    recent: int  # presentations in the sessions looked back over
    sessions: int  # how many sessions that was (fewer when the group is young)

    @property
    def reason(self) -> str:
        times = "time" if self.recent == 1 else "times"
        last = f"the last {self.sessions} sessions" if self.sessions != 1 else "the last session"
        return f"{self.why}; presented {self.recent} {times} in {last}"


def _last_presented() -> Max:
    """When a member last presented (or is due to), at any session not cancelled."""
    return Max(
        "presentations__meeting__starts_at",
        filter=~Q(presentations__meeting__status=Meeting.Status.CANCELLED),
    )


def _window(meeting: Meeting) -> list[int]:
    """The FAIRNESS_SESSIONS sessions (not cancelled) before this one, latest first."""
    earlier = Meeting.objects.exclude(pk=meeting.pk).exclude(status=Meeting.Status.CANCELLED)
    earlier = earlier.filter(starts_at__lt=meeting.starts_at).order_by("-starts_at", "-pk")
    return list(earlier.values_list("pk", flat=True)[:FAIRNESS_SESSIONS])


# Who is asked first: those who offered for the item, then those coming (yes, then maybe or
# waiting for a seat), then everyone else who has not said no.
_OFFERED, _YES, _MAYBE, _REST = range(4)
_WHY = {
    _OFFERED: "offered to present",
    _YES: "answered yes",
    _MAYBE: "answered maybe",
    _REST: "has not answered",
}


def _rank_items(meeting: Meeting, item_ids: list[int]) -> dict[int, list[PresenterCandidate]]:
    offers = PresenterOffer.objects.filter(item__meeting=meeting, user__is_active=True)
    offered: dict[int, dict[int, datetime]] = {}
    for item_id, user_id, created_at in offers.values_list("item_id", "user_id", "created_at"):
        offered.setdefault(item_id, {})[user_id] = created_at
    tiers: dict[int, tuple[int, datetime | None]] = {}
    declined: set[int] = set()
    rsvps = RSVP.objects.filter(meeting=meeting).values_list("user_id", "answer", "waitlisted", "answered_at")
    for user_id, answer, waitlisted, answered_at in rsvps:
        if answer == RSVP.Answer.NO:
            declined.add(user_id)
        else:
            tiers[user_id] = (_YES if answer == RSVP.Answer.YES and not waitlisted else _MAYBE, answered_at)
    window = _window(meeting)
    recent = Count("presentations", filter=Q(presentations__meeting_id__in=window))
    users = User.objects.filter(is_active=True).exclude(pk__in=declined)
    users = list(users.annotate(last_presented=_last_presented(), recent=recent).order_by("pk"))

    def ranked(item_id: int) -> list[PresenterCandidate]:
        keyed = []
        for user in users:
            tier, since = tiers.get(user.pk, (_REST, None))
            if user.pk in offered.get(item_id, {}):
                tier, since = _OFFERED, offered[item_id][user.pk]
            since, last = since or meeting.starts_at, user.last_presented
            # Fewest recent presentations, then never presented, then longest ago, then who came first.
            keyed.append(((tier, user.recent, last is not None, last or since, since, user.pk), user, tier))
        keyed.sort(key=lambda entry: entry[0])
        return [PresenterCandidate(user, _WHY[tier], user.recent, len(window)) for _, user, tier in keyed]

    return {item_id: ranked(item_id) for item_id in item_ids}


def presenter_rankings(*, meeting: Meeting) -> dict[int, list[PresenterCandidate]]:
    """Per agenda item, who may present it, best first (four queries for the whole agenda).

    Candidates are the active members who offered to present the item, then those who answered
    yes, then maybe, then those who have not answered (never those who said no); within each,
    who presented least in the last FAIRNESS_SESSIONS sessions first, then whoever presented
    longest ago (never first).
    """
    item_ids = list(AgendaItem.objects.filter(meeting=meeting).values_list("pk", flat=True))
    return _rank_items(meeting, item_ids)


def presenter_suggest(*, item: AgendaItem, exclude: Iterable[int] = ()) -> User | None:
    """The member fair rotation suggests to present this item, or None without candidates.

    Members in `exclude` (e.g. already suggested for an earlier item) come last.
    """
    candidates = presenter_rankings(meeting=item.meeting).get(item.pk, [])
    chosen = _pick(candidates, set(exclude))
    return chosen.user if chosen else None


def _pick(candidates: list[PresenterCandidate], taken: set[int]) -> PresenterCandidate | None:
    # A member presents at most one item of a session while someone else can take it.
    free = [candidate for candidate in candidates if candidate.user.pk not in taken]
    return (free or candidates or [None])[0]


def agenda_suggestions(*, meeting: Meeting) -> dict[int, PresenterCandidate | None]:
    """A suggested presenter (and why) per agenda item without one, spreading the work over
    members: someone already presenting or suggested at this session is not suggested again
    while anyone else can be."""
    items = list(
        AgendaItem.objects.filter(meeting=meeting).order_by("order", "id").values_list("pk", "presenter_id")
    )
    rankings = _rank_items(meeting, [pk for pk, presenter_id in items if presenter_id is None])
    taken = {presenter_id for _, presenter_id in items if presenter_id}
    suggestions: dict[int, PresenterCandidate | None] = {}
    for item_id, presenter_id in items:
        if presenter_id is None:
            suggestions[item_id] = chosen = _pick(rankings[item_id], taken)
            if chosen is not None:
                taken.add(chosen.user.pk)
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
