import re
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from meetings import notifications, tasks
from meetings.mailer import Mailer
from meetings.models import Notice
from meetings.services import meeting_update, notification_preference_set
from meetings.tests.factories import AgendaItemFactory, MeetingFactory, RSVPFactory
from members.tests.factories import UserFactory
from papers.models import Paper
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory, TagFactory
from papers.topics import topic_follow_set

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def london(settings):
    settings.TIME_ZONE = "Europe/London"
    settings.SITE_URL = "https://rg.example.org"


def _at(time_machine, *args) -> datetime:
    moment = datetime(*args, tzinfo=LONDON)
    time_machine.move_to(moment, tick=False)
    return moment


def _recipients() -> list[str]:
    return sorted(message.to[0] for message in mail.outbox)


# --- Reminders ----------------------------------------------------------------------------------


def _sunday_session():
    # Sunday 26 October 2025, 18:00 GMT: the clocks went back at 02:00 that morning, so
    # 24 hours before is Saturday 19:00 BST, not 18:00.
    starts = datetime(2025, 10, 26, 18, 0, tzinfo=LONDON)
    return MeetingFactory(title="Diffusion", starts_at=starts, ends_at=starts + timedelta(hours=1))


def test_reminders_go_24_hours_before_across_the_clock_change(london, time_machine):
    _at(time_machine, 2025, 10, 20, 12, 0)
    meeting = _sunday_session()
    RSVPFactory(meeting=meeting, user=UserFactory(username="yes"), answer="yes")
    _at(time_machine, 2025, 10, 25, 18, 30)  # 24.5 hours before
    assert notifications.send_due_reminders() == 0
    _at(time_machine, 2025, 10, 25, 19, 0)  # exactly 24 hours before
    assert notifications.send_due_reminders() == 1
    message = mail.outbox[0]
    assert message.subject == "Reminder: Diffusion, Sun 26 Oct 2025, 18:00"
    assert "Sunday 26 October 2025, 18:00–19:00 GMT" in message.body


def test_reminders_go_to_yes_and_maybe_only(london, time_machine):
    _at(time_machine, 2025, 10, 25, 20, 0)
    meeting = _sunday_session()
    for name, answer in [("yes", "yes"), ("maybe", "maybe"), ("no", "no")]:
        RSVPFactory(meeting=meeting, user=UserFactory(username=name), answer=answer)
    RSVPFactory(meeting=meeting, user=UserFactory(username="gone", is_active=False), answer="yes")
    RSVPFactory(meeting=meeting, user=UserFactory(username="mute", email=""), answer="yes")
    opted_out = UserFactory(username="optout")
    RSVPFactory(meeting=meeting, user=opted_out, answer="yes")
    notification_preference_set(user=opted_out, reminders=False)
    RSVPFactory(meeting=MeetingFactory(status="cancelled"), user=UserFactory(username="c"), answer="yes")
    assert notifications.send_due_reminders() == 2
    assert _recipients() == ["maybe@example.org", "yes@example.org"]


def test_a_reminder_is_sent_once_however_often_beat_fires(london, time_machine):
    _at(time_machine, 2025, 10, 25, 20, 0)
    meeting = _sunday_session()
    RSVPFactory(meeting=meeting, user=UserFactory(username="yes"), answer="yes")
    assert tasks.send_reminders.delay().get() == 1
    assert tasks.send_reminders.delay().get() == 0
    _at(time_machine, 2025, 10, 26, 9, 0)
    assert tasks.send_reminders.delay().get() == 0
    assert len(mail.outbox) == 1
    notice = Notice.objects.get()
    assert (notice.kind, notice.meeting, notice.sent_at is not None) == ("reminder", meeting, True)


def test_the_record_alone_stops_a_second_send(london, time_machine, monkeypatch):
    # As when two runs both looked before either sent: only the unique record decides.
    from django.db.models import Q

    _at(time_machine, 2025, 10, 25, 20, 0)
    RSVPFactory(meeting=_sunday_session(), user=UserFactory(username="yes"), answer="yes")
    monkeypatch.setattr(notifications, "not_yet_sent", lambda *args: Q())
    assert notifications.send_due_reminders() == 1
    assert notifications.send_due_reminders() == 0
    assert len(mail.outbox) == 1


def test_a_moved_session_is_reminded_again(london, time_machine):
    _at(time_machine, 2025, 10, 25, 20, 0)
    meeting = _sunday_session()
    RSVPFactory(meeting=meeting, user=UserFactory(username="yes"), answer="yes")
    assert notifications.send_due_reminders() == 1
    later = meeting.starts_at + timedelta(minutes=30)
    meeting_update(meeting=meeting, starts_at=later, ends_at=later + timedelta(hours=1))
    assert notifications.send_due_reminders() == 1
    assert "18:30" in mail.outbox[1].subject


def test_every_message_carries_an_unsubscribe_link_and_headers(london, time_machine):
    _at(time_machine, 2025, 10, 25, 20, 0)
    RSVPFactory(meeting=_sunday_session(), user=UserFactory(username="yes"), answer="yes")
    notifications.send_due_reminders()
    message = mail.outbox[0]
    link = re.fullmatch(r"<(.+)>", message.extra_headers["List-Unsubscribe"]).group(1)
    assert link.startswith("https://rg.example.org/meetings/unsubscribe/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and link.replace("&", "&amp;") in html


def test_a_refused_message_is_tried_again_on_the_next_run(london, time_machine, monkeypatch):
    _at(time_machine, 2025, 10, 25, 20, 0)
    RSVPFactory(meeting=_sunday_session(), user=UserFactory(username="yes"), answer="yes")

    def refuse(self, message):
        raise ConnectionRefusedError("mail server down")

    with monkeypatch.context() as patched:
        patched.setattr(Mailer, "send", refuse)
        assert notifications.send_due_reminders() == 0
    assert not Notice.objects.exists()
    assert notifications.send_due_reminders() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_each_reminder_once(settings):
    settings.SITE_URL = "https://rg.example.org"
    meeting = MeetingFactory(starts_at=datetime.now(tz=LONDON) + timedelta(hours=3))
    for i in range(10):
        RSVPFactory(meeting=meeting, user=UserFactory(username=f"member{i}"), answer="yes")
    barrier = threading.Barrier(4)
    counts: list[int] = []

    def worker() -> None:
        try:
            barrier.wait()
            counts.append(notifications.send_due_reminders())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 10
    assert len(_recipients()) == len(set(_recipients())) == 10
    assert Notice.objects.filter(sent_at__isnull=False).count() == 10


# --- Presenter notices --------------------------------------------------------------------------


def test_presenters_hear_three_days_before_once_per_session(london, time_machine):
    _at(time_machine, 2025, 10, 20, 12, 0)
    meeting = _sunday_session()
    presenter = UserFactory(username="presenter")
    AgendaItemFactory(meeting=meeting, presenter=presenter, paper__title="On attention")
    AgendaItemFactory(meeting=meeting, presenter=presenter, paper__title="On memory", order=1)
    AgendaItemFactory(meeting=meeting, presenter=UserFactory(username="quiet", is_active=False))
    AgendaItemFactory(meeting=meeting)  # nobody presents this one yet
    _at(time_machine, 2025, 10, 23, 17, 0)  # 3 days and 2 hours before (the clock change included)
    assert notifications.send_due_presenter_notices() == 0
    _at(time_machine, 2025, 10, 23, 19, 0)
    assert notifications.send_due_presenter_notices() == 1
    assert notifications.send_due_presenter_notices() == 0
    assert _recipients() == ["presenter@example.org"]
    body = mail.outbox[0].body
    assert "On attention" in body and "On memory" in body
    assert mail.outbox[0].subject.startswith("You are presenting at Diffusion")


def test_presenters_who_opted_out_hear_nothing(london, time_machine):
    _at(time_machine, 2025, 10, 24, 12, 0)
    presenter = UserFactory(username="presenter")
    notification_preference_set(user=presenter, presenter_notices=False)
    AgendaItemFactory(meeting=_sunday_session(), presenter=presenter)
    assert notifications.send_due_presenter_notices() == 0


# --- The weekly digest --------------------------------------------------------------------------


def _digest_world(time_machine):
    _at(time_machine, 2025, 10, 20, 8, 0)
    old = PaperFactory(title="Old news")
    Paper.objects.filter(pk=old.pk).update(created_at=datetime(2025, 10, 1, tzinfo=LONDON))
    popular, quiet = PaperFactory(title="Popular paper"), PaperFactory(title="Quiet paper")
    PaperFactory(title="Hidden paper", status="hidden")
    for i in range(3):
        paper_vote_set(user=UserFactory(username=f"voter{i}"), paper_id=popular.pk, voted=True)
    paper_vote_set(user=UserFactory(username="voter9"), paper_id=quiet.pk, voted=True)
    meeting = _sunday_session()
    AgendaItemFactory(meeting=meeting, paper__title="Needs someone")
    AgendaItemFactory(meeting=meeting, paper__title="Has someone", presenter=UserFactory())
    return meeting


def test_the_digest_goes_to_members_who_opted_in(london, time_machine):
    _digest_world(time_machine)
    UserFactory(username="reader", digest_enabled=True)
    UserFactory(username="inactive", digest_enabled=True, is_active=False)
    assert notifications.send_weekly_digest() == 1
    assert _recipients() == ["reader@example.org"]
    body = mail.outbox[0].body
    assert body.index("Popular paper (3 votes)") < body.index("Quiet paper (1 vote)")
    assert "Old news" not in body and "Hidden paper" not in body
    assert "Next session: Diffusion, Sunday 26 October 2025, 18:00 GMT" in body
    presenters_wanted = body.split("Papers that still need a presenter")[1]
    assert "Needs someone — Diffusion, 26 Oct" in presenters_wanted
    assert "Has someone" not in presenters_wanted


def test_the_digest_goes_once_a_week(london, time_machine):
    _digest_world(time_machine)
    UserFactory(username="reader", digest_enabled=True)
    assert tasks.send_weekly_digest.delay().get() == 1
    assert tasks.send_weekly_digest.delay().get() == 0
    _at(time_machine, 2025, 10, 26, 23, 0)  # Sunday night, still the same ISO week
    assert notifications.send_weekly_digest() == 0
    _at(time_machine, 2025, 10, 27, 8, 0)
    PaperFactory(title="Monday paper")
    assert notifications.send_weekly_digest() == 1
    assert [n.key for n in Notice.objects.order_by("pk")] == ["week:2025-W43", "week:2025-W44"]


def test_the_digest_leads_with_the_new_papers_of_the_topics_a_member_follows(london, time_machine):
    _digest_world(time_machine)
    graphs, vision = TagFactory(name="Graphs"), TagFactory(name="Vision")
    PaperFactory(title="Message passing, again", tags=[graphs])
    PaperFactory(title="Hidden graph paper", status="hidden", tags=[graphs])
    old = PaperFactory(title="Old graph paper", tags=[graphs])
    Paper.objects.filter(pk=old.pk).update(created_at=datetime(2025, 10, 1, tzinfo=LONDON))
    PaperFactory(title="Seeing things", tags=[vision])
    follower = UserFactory(username="follower", digest_enabled=True)
    topic_follow_set(member=follower, tag=graphs, followed=True)
    UserFactory(username="reader", digest_enabled=True)
    assert notifications.send_weekly_digest() == 2
    by_reader = {message.to[0]: message for message in mail.outbox}
    body = by_reader["follower@example.org"].body
    followed = body.split("In topics you follow:")[1].split("This week at")[0]
    assert "Graphs:" in followed and "Message passing, again" in followed
    assert "Hidden graph paper" not in body and "Old graph paper" not in followed
    assert "Seeing things" not in followed  # a topic this member does not follow
    assert body.index("In topics you follow") < body.index("New papers with the most votes")
    html = by_reader["follower@example.org"].alternatives[0][0]
    assert "In topics you follow</h2>" in html and "Message passing, again</a>" in html
    assert "In topics you follow" not in by_reader["reader@example.org"].body


def test_the_digest_finds_followed_topics_in_a_fixed_number_of_queries(
    london, time_machine, django_assert_num_queries
):
    _digest_world(time_machine)
    graphs = TagFactory(name="Graphs")
    PaperFactory(title="Message passing, again", tags=[graphs])
    for number in range(5):
        topic_follow_set(member=UserFactory(username=f"follower{number}"), tag=graphs, followed=True)
    now = timezone.now()
    with django_assert_num_queries(4):  # tags followed, their papers, the papers' tags, follows
        sections = notifications.followed_sections(now=now)
    assert len(sections) == 5


def test_a_week_with_nothing_to_say_sends_no_digest(london, time_machine):
    _at(time_machine, 2025, 10, 20, 8, 0)
    UserFactory(username="reader", digest_enabled=True)
    assert notifications.send_weekly_digest() == 0
    assert mail.outbox == []


def test_unsubscribing_from_the_digest_by_its_link_stops_it(london, time_machine, client):
    _digest_world(time_machine)
    reader = UserFactory(username="reader", digest_enabled=True)
    notifications.send_weekly_digest()
    link = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    path = link.removeprefix("https://rg.example.org")
    # What RFC 8058 mail programs do: a POST with this body and no cookie or CSRF token.
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.digest_enabled is False
    _at(time_machine, 2025, 10, 27, 8, 0)
    assert notifications.send_weekly_digest() == 0


# --- Waiting-list seats and the schedule ---------------------------------------------------------


def test_the_seat_notice_is_not_sent_when_the_seat_is_gone_again(member):
    rsvp = RSVPFactory(user=member, waitlisted=True)
    assert notifications.send_seat_notice(rsvp_id=rsvp.pk) is False
    assert notifications.send_seat_notice(rsvp_id=999_999) is False


def test_beat_runs_the_notice_tasks():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    tasks_scheduled = {entry["task"] for entry in schedule.values()}
    assert {
        "meetings.tasks.send_reminders",
        "meetings.tasks.send_presenter_notices",
        "meetings.tasks.send_weekly_digest",
    } <= tasks_scheduled
    digest = schedule["meetings-send-weekly-digest"]["schedule"]
    assert digest.day_of_week == {1} and digest.hour == {django_settings.DIGEST_HOUR}


def test_titles_are_escaped_in_html_and_plain_in_text(london, time_machine):
    _at(time_machine, 2025, 10, 20, 8, 0)
    PaperFactory(title="<b>Bold</b> & co")
    UserFactory(username="reader", digest_enabled=True, display_name="<i>Reader</i>")
    notifications.send_weekly_digest()
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    assert "<b>Bold</b> & co" in message.body and "Hello <i>Reader</i>," in message.body
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in html and "&lt;i&gt;Reader&lt;/i&gt;" in html
    assert "<b>Bold" not in html
