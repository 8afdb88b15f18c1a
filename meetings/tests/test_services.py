import pytest
from django.core.exceptions import ValidationError

from meetings.models import RSVP
from meetings.services import agenda_add, agenda_reorder, rsvp_set
from meetings.tests.factories import MeetingFactory
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def test_rsvp_set_creates_then_updates_one_answer(member):
    meeting = MeetingFactory()
    rsvp_set(meeting=meeting, user=member, answer="yes")
    rsvp_set(meeting=meeting, user=member, answer="maybe")
    assert list(RSVP.objects.values_list("answer", flat=True)) == ["maybe"]


def test_rsvp_set_rejects_an_answer_outside_the_choices(member):
    with pytest.raises(ValidationError) as error:
        rsvp_set(meeting=MeetingFactory(), user=member, answer="perhaps")
    assert "answer" in error.value.message_dict
    assert not RSVP.objects.exists()


def test_rsvp_set_refuses_a_cancelled_meeting(member):
    with pytest.raises(ValidationError, match="cancelled"):
        rsvp_set(meeting=MeetingFactory(status="cancelled"), user=member, answer="yes")


def test_agenda_add_appends_in_order_and_refuses_duplicates():
    meeting = MeetingFactory()
    first, second = PaperFactory(), PaperFactory()
    a = agenda_add(meeting=meeting, paper=first)
    b = agenda_add(meeting=meeting, paper=second)
    assert (a.order, b.order) == (0, 1)
    with pytest.raises(ValidationError, match="already on the agenda"):
        agenda_add(meeting=meeting, paper=first)


def test_agenda_reorder_applies_the_given_order():
    meeting = MeetingFactory()
    a = agenda_add(meeting=meeting, paper=PaperFactory())
    b = agenda_add(meeting=meeting, paper=PaperFactory())
    agenda_reorder(meeting=meeting, item_ids=[b.pk, a.pk])
    assert list(meeting.agenda.order_by("order").values_list("pk", flat=True)) == [b.pk, a.pk]


def test_agenda_reorder_refuses_a_list_that_is_not_the_whole_agenda():
    meeting = MeetingFactory()
    a = agenda_add(meeting=meeting, paper=PaperFactory())
    agenda_add(meeting=meeting, paper=PaperFactory())
    with pytest.raises(ValidationError):
        agenda_reorder(meeting=meeting, item_ids=[a.pk])
