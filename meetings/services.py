"""Writes to discussion sessions: meetings, their agenda, presenters and RSVPs."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from meetings.models import RSVP, AgendaItem, Meeting, Notice, NotificationPreference, PresenterOffer
from members.models import User, new_calendar_token
from outbox import enqueue
from papers.models import Paper
from papers.selectors import paper_queue

# Fields an organiser sets on a meeting; status, sequence and timestamps move only here.
MEETING_FIELDS = (
    "title",
    "starts_at",
    "ends_at",
    "location",
    "video_url",
    "capacity",
    "notes",
    "slides_url",
    "recording_url",
)
# Fields that can still change once the meeting is over: what was said and where to find it.
AFTER_MEETING_FIELDS = frozenset({"notes", "slides_url", "recording_url"})
FILL_AGENDA_MAX = 50


def _require_member(user, message: str) -> None:
    if user is None or not getattr(user, "is_active", False) or user.pk is None:
        raise ValidationError(message)


def _require_planned(meeting: Meeting, what: str) -> None:
    if meeting.status != Meeting.Status.PLANNED:
        raise ValidationError(f"This session is {meeting.get_status_display().lower()}: {what}.")


def _locked(meeting: Meeting) -> Meeting:
    """The meeting row, locked until the transaction ends (serialises its RSVPs and agenda)."""
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


# --- Meetings -----------------------------------------------------------------------------------


def _validate_meeting(meeting: Meeting, *, check_start: bool) -> None:
    errors: dict[str, list[str]] = {}
    try:
        meeting.full_clean(exclude=["papers"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if check_start and meeting.starts_at and meeting.starts_at <= timezone.now():
        errors.setdefault("starts_at", []).append("A session cannot be scheduled in the past.")
    if errors:
        raise ValidationError(errors)


def _unknown_fields(fields: dict) -> None:
    unknown = set(fields) - set(MEETING_FIELDS)
    if unknown:
        raise TypeError(f"Not a meeting field an organiser sets: {', '.join(sorted(unknown))}.")


@transaction.atomic
def meeting_create(*, title: str, starts_at, ends_at, **fields) -> Meeting:
    """Schedule a session; it must start in the future and end after it starts."""
    _unknown_fields(fields)
    meeting = Meeting(title=title, starts_at=starts_at, ends_at=ends_at, **fields)
    _validate_meeting(meeting, check_start=True)
    meeting.save()
    return meeting


@transaction.atomic
def meeting_update(*, meeting: Meeting, **changes) -> Meeting:
    """Change a session's details. A new start time must be in the future; a larger capacity
    gives seats to the waiting list."""
    _unknown_fields(changes)
    meeting = _locked(meeting)
    if not changes:
        return meeting
    if meeting.status != Meeting.Status.PLANNED and set(changes) - AFTER_MEETING_FIELDS:
        raise ValidationError(
            f"This session is {meeting.get_status_display().lower()}: "
            "only its notes, slides and recording can change."
        )
    moved = "starts_at" in changes and changes["starts_at"] != meeting.starts_at
    for name, value in changes.items():
        setattr(meeting, name, value)
    _validate_meeting(meeting, check_start=moved)
    meeting.sequence = F("sequence") + 1
    meeting.save()
    meeting.refresh_from_db()
    _fill_seats(meeting)
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting) -> Meeting:
    """Cancel a planned session; calendars then show it as cancelled."""
    meeting = _locked(meeting)
    _require_planned(meeting, "it cannot be cancelled")
    meeting.status = Meeting.Status.CANCELLED
    meeting.sequence = F("sequence") + 1
    meeting.save(update_fields=["status", "sequence", "updated_at"])
    meeting.refresh_from_db()
    return meeting


@transaction.atomic
def meeting_mark_done(*, meeting: Meeting) -> int:
    """Close a session that took place: its papers become discussed and leave the vote queue.

    Their votes stay (the queue counts undiscussed papers only, so they are archived, not
    deleted). Returns how many papers became discussed.
    """
    meeting = _locked(meeting)
    _require_planned(meeting, "it cannot be marked done")
    if meeting.starts_at > timezone.now():
        raise ValidationError("This session has not started yet: it cannot be marked done.")
    meeting.status = Meeting.Status.DONE
    meeting.sequence = F("sequence") + 1
    meeting.save(update_fields=["status", "sequence", "updated_at"])
    meeting.refresh_from_db()
    # A paper discussed at an earlier session keeps that first date.
    papers = Paper.objects.filter(agenda_items__meeting=meeting, discussed_at__isnull=True)
    return papers.update(discussed_at=meeting.starts_at, modified_at=timezone.now())


# --- Agenda -------------------------------------------------------------------------------------


def _touch(meeting_id: int) -> None:
    """Move the session's updated_at (the API's modified_at): its agenda, presenters or answers
    changed, and apps syncing with ?updated_since= must see it again."""
    Meeting.objects.filter(pk=meeting_id).update(updated_at=timezone.now())


def _next_order(meeting: Meeting) -> int:
    last = AgendaItem.objects.filter(meeting=meeting).aggregate(last=Max("order"))["last"]
    return 0 if last is None else last + 1


@transaction.atomic
def agenda_add(*, meeting: Meeting, paper, presenter=None) -> AgendaItem:
    """Append a paper to a meeting's agenda."""
    if AgendaItem.objects.filter(meeting=meeting, paper=paper).exists():
        raise ValidationError(f"“{paper}” is already on the agenda of {meeting}.")
    if presenter is not None:
        _require_member(presenter, f"{presenter} is not an active member and cannot present.")
    try:
        with transaction.atomic():
            item = AgendaItem.objects.create(
                meeting=meeting, paper=paper, presenter=presenter, order=_next_order(meeting)
            )
            _touch(meeting.pk)
            return item
    except IntegrityError:  # added concurrently by someone else
        raise ValidationError(f"“{paper}” is already on the agenda of {meeting}.") from None


@transaction.atomic
def meeting_fill_agenda(*, meeting: Meeting, count: int) -> list[AgendaItem]:
    """Append the top `count` papers of the vote queue (most votes, ties by trending).

    Papers already on the agenda of this or another planned session are skipped, so two
    sessions filled one after the other get different papers. Returns the new items.
    """
    if not 1 <= count <= FILL_AGENDA_MAX:
        raise ValidationError({"count": f"Take between 1 and {FILL_AGENDA_MAX} papers."})
    meeting = _locked(meeting)
    _require_planned(meeting, "its agenda cannot change")
    scheduled = AgendaItem.objects.filter(meeting__status=Meeting.Status.PLANNED).values("paper_id")
    paper_ids = list(
        paper_queue().exclude(pk__in=scheduled).prefetch_related(None).values_list("pk", flat=True)[:count]
    )
    start = _next_order(meeting)
    items = [
        AgendaItem(meeting=meeting, paper_id=paper_id, order=start + offset)
        for offset, paper_id in enumerate(paper_ids)
    ]
    _touch(meeting.pk)
    return AgendaItem.objects.bulk_create(items)


@transaction.atomic
def agenda_reorder(*, meeting: Meeting, item_ids: list[int]) -> list[AgendaItem]:
    """Put the meeting's agenda in the given order; the list must name every item once."""
    items = {item.pk: item for item in AgendaItem.objects.select_for_update().filter(meeting=meeting)}
    if sorted(item_ids) != sorted(items):
        raise ValidationError("Give every agenda item of this meeting exactly once.")
    for position, item_id in enumerate(item_ids):
        items[item_id].order = position
    AgendaItem.objects.bulk_update(items.values(), ["order"])
    _touch(meeting.pk)
    return [items[item_id] for item_id in item_ids]


@transaction.atomic
def agenda_move(*, item: AgendaItem, offset: int) -> list[AgendaItem]:
    """Move an item up (negative offset) or down the agenda; stops at either end."""
    ids = list(AgendaItem.objects.filter(meeting_id=item.meeting_id).values_list("pk", flat=True))
    if item.pk not in ids:
        raise ValidationError("This item is not on the agenda any more.")
    position = ids.index(item.pk)
    ids.insert(max(0, min(len(ids) - 1, position + offset)), ids.pop(position))
    return agenda_reorder(meeting=item.meeting, item_ids=ids)


@transaction.atomic
def agenda_remove(*, item: AgendaItem) -> None:
    meeting = _locked(item.meeting)
    _require_planned(meeting, "its agenda cannot change")
    AgendaItem.objects.filter(pk=item.pk).delete()
    _touch(meeting.pk)


# --- Presenters ---------------------------------------------------------------------------------


@transaction.atomic
def presenter_assign(*, item: AgendaItem, presenter) -> AgendaItem:
    """Make a member the presenter of an agenda item; None leaves it without a presenter."""
    item = AgendaItem.objects.select_for_update().select_related("meeting", "paper").get(pk=item.pk)
    _require_planned(item.meeting, "its presenters cannot change")
    if presenter is not None:
        _require_member(presenter, f"{presenter} is not an active member and cannot present.")
    item.presenter = presenter
    item.save(update_fields=["presenter"])
    _touch(item.meeting_id)
    return item


def _open_item(item: AgendaItem) -> AgendaItem:
    item = AgendaItem.objects.select_related("meeting", "paper").get(pk=item.pk)
    _require_planned(item.meeting, "offers to present are closed")
    if item.meeting.starts_at <= timezone.now():
        raise ValidationError("This session has started: offers to present are closed.")
    return item


@transaction.atomic
def presenter_offer(*, item: AgendaItem, user) -> PresenterOffer:
    """A member volunteers to present a paper of a coming session; offering twice is one offer."""
    _require_member(user, "Only active members can offer to present.")
    item = _open_item(item)
    if item.presenter_id == user.pk:
        raise ValidationError("You are already the presenter of this paper.")
    try:
        with transaction.atomic():
            offer, _ = PresenterOffer.objects.get_or_create(item=item, user=user)
    except IntegrityError:  # the same member offered concurrently
        offer = PresenterOffer.objects.get(item=item, user=user)
    _touch(item.meeting_id)
    return offer


@transaction.atomic
def presenter_withdraw(*, item: AgendaItem, user) -> None:
    """Take back an offer to present; a member who was made presenter stops being it.

    Withdrawing when there is nothing to withdraw changes nothing.
    """
    _require_member(user, "Only active members can withdraw an offer to present.")
    item = _open_item(item)
    PresenterOffer.objects.filter(item=item, user=user).delete()
    AgendaItem.objects.filter(pk=item.pk, presenter=user).update(presenter=None)
    _touch(item.meeting_id)


# --- RSVPs and the waiting list -----------------------------------------------------------------


def _seats_taken(meeting: Meeting) -> int:
    return RSVP.objects.filter(meeting=meeting, answer=RSVP.Answer.YES, waitlisted=False).count()


def _fill_seats(meeting: Meeting) -> list[RSVP]:
    """Give free seats to the waiting list, first come first served; returns who moved up.

    Runs inside the caller's transaction with the meeting row locked.
    """
    waiting = RSVP.objects.filter(meeting=meeting, waitlisted=True).order_by("answered_at", "id")
    if meeting.capacity is not None:
        waiting = waiting[: max(0, meeting.capacity - _seats_taken(meeting))]
    promoted = list(waiting)
    if promoted:
        now = timezone.now()
        RSVP.objects.filter(pk__in=[r.pk for r in promoted]).update(waitlisted=False, updated_at=now)
        _touch(meeting.pk)
        for rsvp in promoted:
            rsvp.waitlisted = False
            enqueue("meetings.tasks.send_seat_notice", rsvp.pk)
    return promoted


@transaction.atomic
def rsvp_set(*, meeting: Meeting, user, answer: str) -> RSVP:
    """Answer yes, no or maybe. A "yes" beyond the capacity joins the waiting list; a seat
    given up (no, maybe) goes to the first member waiting.

    The meeting row is locked for the whole change, so concurrent answers are counted one
    after the other and the seats never exceed the capacity.
    """
    if answer not in RSVP.Answer.values:
        raise ValidationError({"answer": f"Answer one of: {', '.join(RSVP.Answer.values)}."})
    _require_member(user, "Only active members can answer.")
    meeting = _locked(meeting)
    _require_planned(meeting, "RSVPs are closed")
    rsvp = RSVP.objects.filter(meeting=meeting, user=user).first()
    if rsvp is not None and rsvp.answer == answer:
        return rsvp  # same answer again: keep the place on the waiting list
    had_seat = rsvp is not None and rsvp.has_seat
    full = meeting.capacity is not None and _seats_taken(meeting) >= meeting.capacity
    waitlisted = answer == RSVP.Answer.YES and full
    rsvp, _ = RSVP.objects.update_or_create(
        meeting=meeting,
        user=user,
        defaults={"answer": answer, "waitlisted": waitlisted, "answered_at": timezone.now()},
    )
    if had_seat and not rsvp.has_seat:
        _fill_seats(meeting)
    _touch(meeting.pk)
    return rsvp


@transaction.atomic
def meeting_fill_seats(*, meeting: Meeting) -> list[RSVP]:
    """Give any free seats to the waiting list (after the capacity was raised elsewhere)."""
    meeting = _locked(meeting)
    return _fill_seats(meeting) if meeting.status == Meeting.Status.PLANNED else []


@transaction.atomic
def rsvp_remove(*, meeting: Meeting, user) -> None:
    """Forget a member's answer (e.g. they left the group); their seat goes to the waiting list."""
    meeting = _locked(meeting)
    deleted, _ = RSVP.objects.filter(meeting=meeting, user=user).delete()
    if deleted and meeting.status == Meeting.Status.PLANNED:
        _fill_seats(meeting)
    _touch(meeting.pk)


# --- Members' session preferences ---------------------------------------------------------------


def calendar_token_regenerate(*, user) -> str:
    """Give the member a new private calendar URL; the old one stops working at once."""
    token = new_calendar_token()
    User.objects.filter(pk=user.pk).update(calendar_token=token)
    user.calendar_token = token
    return token


def notification_preference_set(*, user, **flags: bool) -> NotificationPreference:
    allowed = set(NotificationPreference.FIELD_FOR_KIND.values())
    if set(flags) - allowed:
        raise TypeError(f"Unknown preference: {', '.join(sorted(set(flags) - allowed))}.")
    preference, _ = NotificationPreference.objects.update_or_create(user=user, defaults=flags)
    return preference


@transaction.atomic
def notice_unsubscribe(*, user, kind: str) -> None:
    """Stop one kind of e-mail for a member (the unsubscribe link's effect)."""
    if kind == Notice.Kind.DIGEST:
        User.objects.filter(pk=user.pk).update(digest_enabled=False)
        user.digest_enabled = False
    elif kind in NotificationPreference.FIELD_FOR_KIND:
        notification_preference_set(user=user, **{NotificationPreference.FIELD_FOR_KIND[kind]: False})
    else:
        raise ValidationError(f"Unknown kind of notice: {kind}.")


# --- Organisers' "send now" (issue 24) ----------------------------------------------------------


@transaction.atomic
def meeting_queue_reminders(*, meeting_ids) -> int:
    """Queue the reminders of each planned, future session now; returns how many sessions.
    Members reminded already are skipped by the Notice key, now and 24 hours before."""
    ids = list(
        Meeting.objects.filter(
            pk__in=list(meeting_ids), status=Meeting.Status.PLANNED, starts_at__gt=timezone.now()
        ).values_list("pk", flat=True)
    )
    for meeting_id in ids:
        enqueue("meetings.tasks.send_meeting_reminders", meeting_id)
    return len(ids)


@transaction.atomic
def digest_queue() -> None:
    """Queue this week's digest now; members who have this week's already are skipped."""
    enqueue("meetings.tasks.send_weekly_digest")
