"""Writes to discussion sessions."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from meetings.models import RSVP, AgendaItem, Meeting


def rsvp_set(*, meeting: Meeting, user, answer: str) -> RSVP:
    if answer not in RSVP.Answer.values:
        raise ValidationError({"answer": f"Answer one of: {', '.join(RSVP.Answer.values)}."})
    if meeting.status != Meeting.Status.PLANNED:
        raise ValidationError(f"This session is {meeting.get_status_display().lower()}: RSVPs are closed.")
    rsvp, _ = RSVP.objects.update_or_create(meeting=meeting, user=user, defaults={"answer": answer})
    return rsvp


@transaction.atomic
def agenda_add(*, meeting: Meeting, paper, presenter=None) -> AgendaItem:
    """Append a paper to a meeting's agenda."""
    if AgendaItem.objects.filter(meeting=meeting, paper=paper).exists():
        raise ValidationError(f"“{paper}” is already on the agenda of {meeting}.")
    last = AgendaItem.objects.filter(meeting=meeting).aggregate(last=Max("order"))["last"]
    try:
        with transaction.atomic():
            return AgendaItem.objects.create(
                meeting=meeting, paper=paper, presenter=presenter, order=0 if last is None else last + 1
            )
    except IntegrityError:  # added concurrently by someone else
        raise ValidationError(f"“{paper}” is already on the agenda of {meeting}.") from None


@transaction.atomic
def agenda_reorder(*, meeting: Meeting, item_ids: list[int]) -> list[AgendaItem]:
    """Put the meeting's agenda in the given order; the list must name every item once."""
    items = {item.pk: item for item in AgendaItem.objects.select_for_update().filter(meeting=meeting)}
    if sorted(item_ids) != sorted(items):
        raise ValidationError("Give every agenda item of this meeting exactly once.")
    for position, item_id in enumerate(item_ids):
        items[item_id].order = position
    AgendaItem.objects.bulk_update(items.values(), ["order"])
    return [items[item_id] for item_id in item_ids]
