from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from meetings.models import RSVP, AgendaItem, Meeting
from meetings.tests.factories import MeetingFactory
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def test_it_refuses_a_second_rsvp_by_one_member(member):
    meeting = MeetingFactory()
    RSVP.objects.create(meeting=meeting, user=member, answer="yes")
    with pytest.raises(IntegrityError):
        RSVP.objects.create(meeting=meeting, user=member, answer="no")


def test_the_database_refuses_an_rsvp_answer_outside_the_choices(member):
    with pytest.raises(IntegrityError):
        RSVP.objects.create(meeting=MeetingFactory(), user=member, answer="perhaps")


def test_it_refuses_a_paper_twice_on_one_agenda():
    meeting, paper = MeetingFactory(), PaperFactory()
    AgendaItem.objects.create(meeting=meeting, paper=paper)
    with pytest.raises(IntegrityError):
        AgendaItem.objects.create(meeting=meeting, paper=paper, order=1)


def test_the_database_refuses_a_meeting_that_ends_before_it_starts():
    meeting = MeetingFactory.build()
    meeting.ends_at = meeting.starts_at - timedelta(minutes=5)
    with pytest.raises(IntegrityError):
        meeting.save()


def test_validation_explains_a_meeting_that_ends_before_it_starts():
    meeting = MeetingFactory.build()
    meeting.ends_at = meeting.starts_at
    with pytest.raises(ValidationError) as error:
        meeting.full_clean()
    assert error.value.message_dict["ends_at"] == ["A meeting must end after it starts."]


def test_upcoming_and_past_split_on_the_end_time():
    upcoming = MeetingFactory()
    past = MeetingFactory(starts_at=upcoming.starts_at - timedelta(days=30))
    assert list(Meeting.objects.upcoming()) == [upcoming]
    assert list(Meeting.objects.past()) == [past]
