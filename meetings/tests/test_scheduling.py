from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from meetings.models import AgendaItem, Meeting
from meetings.services import (
    agenda_add,
    agenda_move,
    agenda_remove,
    meeting_cancel,
    meeting_create,
    meeting_fill_agenda,
    meeting_mark_done,
    meeting_update,
)
from meetings.tests.factories import AgendaItemFactory, MeetingFactory
from members.tests.factories import UserFactory
from papers.models import Paper, Vote
from papers.selectors import paper_queue
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def _soon(days: int = 7) -> datetime:
    return timezone.now() + timedelta(days=days)


def test_meeting_create_schedules_a_coming_session():
    meeting = meeting_create(title="Attention", starts_at=_soon(), ends_at=_soon() + timedelta(hours=1))
    assert meeting.status == Meeting.Status.PLANNED
    assert Meeting.objects.get().title == "Attention"


def test_meeting_create_refuses_the_past_with_a_message():
    with pytest.raises(ValidationError) as error:
        meeting_create(title="Late", starts_at=_soon(-1), ends_at=_soon(-1) + timedelta(hours=1))
    assert error.value.message_dict["starts_at"] == ["A session cannot be scheduled in the past."]
    assert not Meeting.objects.exists()


def test_meeting_create_refuses_an_end_before_the_start():
    with pytest.raises(ValidationError) as error:
        meeting_create(title="Backwards", starts_at=_soon(), ends_at=_soon() - timedelta(minutes=1))
    assert error.value.message_dict["ends_at"] == ["A meeting must end after it starts."]
    assert not Meeting.objects.exists()


def test_meeting_create_refuses_a_video_link_that_is_not_http():
    with pytest.raises(ValidationError) as error:
        meeting_create(
            title="X",
            starts_at=_soon(),
            ends_at=_soon() + timedelta(hours=1),
            video_url="javascript:alert(1)",
        )
    assert "video_url" in error.value.message_dict


def test_meeting_update_bumps_the_calendar_sequence_and_rechecks_a_moved_start():
    meeting = MeetingFactory()
    updated = meeting_update(meeting=meeting, title="Renamed")
    assert (updated.title, updated.sequence) == ("Renamed", 1)
    with pytest.raises(ValidationError, match="in the past"):
        meeting_update(meeting=meeting, starts_at=_soon(-2), ends_at=_soon(-2) + timedelta(hours=1))
    meeting.refresh_from_db()
    assert meeting.starts_at > timezone.now()


def test_a_finished_session_keeps_its_time_but_takes_notes_and_links():
    meeting = MeetingFactory(status="done", starts_at=_soon(-3))
    updated = meeting_update(
        meeting=meeting, notes="We *liked* it.", recording_url="https://video.example.org/1"
    )
    assert updated.recording_url == "https://video.example.org/1"
    with pytest.raises(ValidationError, match="only its notes, slides and recording"):
        meeting_update(meeting=meeting, title="Other")


def test_meeting_cancel_cancels_a_planned_session_once():
    meeting = meeting_cancel(meeting=MeetingFactory())
    assert (meeting.status, meeting.sequence) == ("cancelled", 1)
    with pytest.raises(ValidationError, match="cancelled"):
        meeting_cancel(meeting=meeting)


def _voted(votes: int, created_at=None, **later) -> Paper:
    paper = PaperFactory(**({"created_at": created_at} if created_at else {}))
    for _ in range(votes):
        paper_vote_set(user=UserFactory(), paper_id=paper.pk, voted=True)
    if later:
        Paper.objects.filter(pk=paper.pk).update(**later)
    paper.refresh_from_db()
    return paper


def test_fill_agenda_takes_the_top_of_the_queue_by_votes():
    meeting = MeetingFactory()
    low, high, middle = _voted(1), _voted(3), _voted(2)
    _voted(5, status="pending")
    _voted(6, discussed_at=timezone.now())
    items = meeting_fill_agenda(meeting=meeting, count=2)
    assert [item.paper for item in items] == [high, middle]
    assert [item.order for item in items] == [0, 1]
    assert low not in meeting.papers.all()


def test_fill_agenda_breaks_ties_by_trending():
    meeting = MeetingFactory()
    older = _voted(2, created_at=timezone.now() - timedelta(days=10))
    newer = _voted(2)
    assert [i.paper for i in meeting_fill_agenda(meeting=meeting, count=2)] == [newer, older]


def test_fill_agenda_skips_papers_already_on_a_planned_agenda_and_appends():
    meeting, other = MeetingFactory(), MeetingFactory()
    first, second, third = _voted(3), _voted(2), _voted(1)
    agenda_add(meeting=meeting, paper=second)
    agenda_add(meeting=other, paper=first)
    items = meeting_fill_agenda(meeting=meeting, count=5)
    assert [item.paper for item in items] == [third]
    assert list(meeting.agenda.order_by("order").values_list("paper", flat=True)) == [second.pk, third.pk]


@pytest.mark.parametrize("count", [0, -1, 51])
def test_fill_agenda_refuses_a_count_out_of_range(count):
    with pytest.raises(ValidationError) as error:
        meeting_fill_agenda(meeting=MeetingFactory(), count=count)
    assert "count" in error.value.message_dict


def test_fill_agenda_refuses_a_cancelled_session():
    _voted(1)
    with pytest.raises(ValidationError, match="cancelled"):
        meeting_fill_agenda(meeting=MeetingFactory(status="cancelled"), count=1)
    assert not AgendaItem.objects.exists()


def test_fill_agenda_runs_a_bounded_number_of_queries(django_assert_max_num_queries):
    meeting = MeetingFactory()
    for votes in range(8):
        _voted(votes)
    with django_assert_max_num_queries(7):  # 6, and moving the session's updated_at
        meeting_fill_agenda(meeting=meeting, count=8)


def test_agenda_move_swaps_neighbours_and_stops_at_the_ends():
    meeting = MeetingFactory()
    a, b, c = (agenda_add(meeting=meeting, paper=PaperFactory()) for _ in range(3))
    agenda_move(item=c, offset=-1)
    assert list(meeting.agenda.order_by("order").values_list("pk", flat=True)) == [a.pk, c.pk, b.pk]
    agenda_move(item=a, offset=-1)
    assert list(meeting.agenda.order_by("order").values_list("pk", flat=True)) == [a.pk, c.pk, b.pk]


def test_agenda_remove_refuses_a_finished_session():
    item = AgendaItemFactory(meeting__status="done")
    with pytest.raises(ValidationError, match="done"):
        agenda_remove(item=item)
    assert AgendaItem.objects.filter(pk=item.pk).exists()


def test_mark_done_makes_the_papers_discussed_and_keeps_their_votes(member):
    meeting = MeetingFactory(starts_at=_soon(-1))
    paper, waiting = _voted(3), _voted(1)
    paper_vote_set(user=member, paper_id=paper.pk, voted=True)
    agenda_add(meeting=meeting, paper=paper)
    assert meeting_mark_done(meeting=meeting) == 1
    paper.refresh_from_db()
    meeting.refresh_from_db()
    assert meeting.status == "done"
    assert paper.discussed_at == meeting.starts_at
    assert (paper.vote_count, Vote.objects.filter(paper=paper).count()) == (4, 4)
    assert list(paper_queue()) == [waiting]


def test_mark_done_keeps_the_first_discussion_date():
    first = timezone.now() - timedelta(days=30)
    paper = PaperFactory(discussed_at=first)
    meeting = MeetingFactory(starts_at=_soon(-1))
    agenda_add(meeting=meeting, paper=paper)
    assert meeting_mark_done(meeting=meeting) == 0
    paper.refresh_from_db()
    assert paper.discussed_at == first


def test_mark_done_refuses_a_session_that_has_not_started():
    meeting = MeetingFactory()
    agenda_add(meeting=meeting, paper=PaperFactory())
    with pytest.raises(ValidationError, match="not started yet"):
        meeting_mark_done(meeting=meeting)
    assert not Paper.objects.filter(discussed_at__isnull=False).exists()


def test_scheduling_uses_the_local_time_across_a_clock_change(settings, time_machine):
    settings.TIME_ZONE = "Europe/London"
    time_machine.move_to(datetime(2025, 10, 25, 12, 0, tzinfo=LONDON), tick=False)
    # Sunday 26 October 2025: the clocks go back at 02:00. A session at 18:00 on Monday
    # is 18:00 GMT (UTC+0), one on Friday before was 18:00 BST (UTC+1).
    after = datetime(2025, 10, 27, 18, 0, tzinfo=LONDON)
    meeting = meeting_create(title="After", starts_at=after, ends_at=after + timedelta(hours=1))
    assert meeting.starts_at.utcoffset() == timedelta(0)
    assert timezone.localtime(meeting.starts_at).hour == 18
    before = datetime(2025, 10, 24, 18, 0, tzinfo=LONDON)
    with pytest.raises(ValidationError, match="in the past"):
        meeting_create(title="Before", starts_at=before, ends_at=before + timedelta(hours=1))


def test_notes_render_markdown_and_drop_scripts():
    meeting = MeetingFactory(
        notes="# Notes\n\nWe **agreed**. <script>alert(1)</script> [x](javascript:alert(2)) "
        '<a href="https://example.org" onclick="evil()">ok</a>'
    )
    html = meeting.notes_html()
    assert "<h1>Notes</h1>" in html
    assert "<strong>agreed</strong>" in html
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html
    assert 'href="https://example.org"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_the_markdown_filter_renders_notes_in_templates():
    from django.template import Context, Template

    template = Template("{% load meetings_markdown %}{{ notes|markdown }}")
    assert template.render(Context({"notes": "*hi* <img src=x onerror=y>"})).strip() == (
        "<p><em>hi</em> </p>"
    )
