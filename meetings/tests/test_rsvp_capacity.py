import functools
import random
import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from meetings.models import RSVP, Notice
from meetings.services import meeting_update, rsvp_remove, rsvp_set
from meetings.tests.factories import MeetingFactory
from members.tests.factories import UserFactory
from readinggroup.tests.processes import run_at_once

pytestmark = pytest.mark.django_db


def _states(meeting) -> dict[str, tuple[str, bool]]:
    rows = RSVP.objects.filter(meeting=meeting).select_related("user")
    return {r.user.username: (r.answer, r.waitlisted) for r in rows}


def test_a_yes_beyond_the_capacity_joins_the_waiting_list():
    meeting = MeetingFactory(capacity=1)
    first, second = UserFactory(username="first"), UserFactory(username="second")
    assert rsvp_set(meeting=meeting, user=first, answer="yes").waitlisted is False
    assert rsvp_set(meeting=meeting, user=second, answer="yes").waitlisted is True


def test_maybe_and_no_never_take_a_seat():
    meeting = MeetingFactory(capacity=1)
    rsvp_set(meeting=meeting, user=UserFactory(username="a"), answer="maybe")
    rsvp_set(meeting=meeting, user=UserFactory(username="b"), answer="no")
    assert rsvp_set(meeting=meeting, user=UserFactory(username="c"), answer="yes").has_seat


def test_the_first_waiting_member_moves_up_when_a_seat_is_given_up(django_capture_on_commit_callbacks):
    meeting = MeetingFactory(capacity=1)
    holder, early, late = (UserFactory(username=n) for n in ("holder", "early", "late"))
    rsvp_set(meeting=meeting, user=holder, answer="yes")
    rsvp_set(meeting=meeting, user=early, answer="yes")
    rsvp_set(meeting=meeting, user=late, answer="yes")
    with django_capture_on_commit_callbacks(execute=True):
        rsvp_set(meeting=meeting, user=holder, answer="no")
    assert _states(meeting) == {"holder": ("no", False), "early": ("yes", False), "late": ("yes", True)}
    # The member who moved up hears about it, once.
    assert [m.to for m in mail.outbox] == [["early@example.org"]]
    assert "You have a seat" in mail.outbox[0].subject
    assert Notice.objects.filter(kind="seat", user=early).count() == 1


def test_answering_yes_again_keeps_the_place_on_the_waiting_list():
    meeting = MeetingFactory(capacity=1)
    holder, early, late = (UserFactory(username=n) for n in ("holder", "early", "late"))
    for user in (holder, early, late):
        rsvp_set(meeting=meeting, user=user, answer="yes")
    rsvp_set(meeting=meeting, user=early, answer="yes")
    rsvp_set(meeting=meeting, user=holder, answer="maybe")
    assert _states(meeting)["early"] == ("yes", False)
    assert _states(meeting)["late"] == ("yes", True)


def test_changing_to_maybe_and_back_goes_to_the_end_of_the_waiting_list():
    meeting = MeetingFactory(capacity=1)
    holder, early, late = (UserFactory(username=n) for n in ("holder", "early", "late"))
    for user in (holder, early, late):
        rsvp_set(meeting=meeting, user=user, answer="yes")
    rsvp_set(meeting=meeting, user=early, answer="maybe")
    rsvp_set(meeting=meeting, user=early, answer="yes")
    rsvp_set(meeting=meeting, user=holder, answer="no")
    assert _states(meeting)["late"] == ("yes", False)
    assert _states(meeting)["early"] == ("yes", True)


def test_a_member_who_leaves_frees_the_seat():
    meeting = MeetingFactory(capacity=1)
    holder, waiting = UserFactory(username="holder"), UserFactory(username="waiting")
    rsvp_set(meeting=meeting, user=holder, answer="yes")
    rsvp_set(meeting=meeting, user=waiting, answer="yes")
    rsvp_remove(meeting=meeting, user=holder)
    assert _states(meeting) == {"waiting": ("yes", False)}


def test_raising_the_capacity_seats_the_waiting_list_in_order():
    meeting = MeetingFactory(capacity=1)
    users = [UserFactory(username=f"u{i}") for i in range(4)]
    for user in users:
        rsvp_set(meeting=meeting, user=user, answer="yes")
    meeting_update(meeting=meeting, capacity=3)
    assert _states(meeting) == {
        "u0": ("yes", False),
        "u1": ("yes", False),
        "u2": ("yes", False),
        "u3": ("yes", True),
    }


def test_no_capacity_means_nobody_waits():
    meeting = MeetingFactory(capacity=None)
    for i in range(5):
        assert rsvp_set(meeting=meeting, user=UserFactory(username=f"u{i}"), answer="yes").has_seat


def test_rsvp_set_refuses_a_deactivated_member():
    with pytest.raises(ValidationError, match="Only active members"):
        rsvp_set(meeting=MeetingFactory(), user=UserFactory(is_active=False), answer="yes")
    assert not RSVP.objects.exists()


def test_the_database_refuses_a_waiting_maybe(member):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        RSVP.objects.create(meeting=MeetingFactory(), user=member, answer="maybe", waitlisted=True)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_yes_answers_never_exceed_the_capacity():
    meeting = MeetingFactory(capacity=3)
    users = [UserFactory(username=f"racer{i}") for i in range(12)]
    barrier = threading.Barrier(len(users))
    errors: list[BaseException] = []

    def answer(user) -> None:
        try:
            barrier.wait()
            rsvp_set(meeting=meeting, user=user, answer="yes")
        except BaseException as error:  # reported below, in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert RSVP.objects.filter(meeting=meeting, waitlisted=False).count() == 3
    assert RSVP.objects.filter(meeting=meeting, waitlisted=True).count() == 9


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_members_racing_for_the_last_seat_leave_exactly_one_seated():
    meeting = MeetingFactory(capacity=10)
    for i in range(9):
        rsvp_set(meeting=meeting, user=UserFactory(username=f"early{i}"), answer="yes")
    racers = [UserFactory(username=f"last{i}") for i in range(50)]
    calls = [functools.partial(rsvp_set, meeting=meeting, user=user, answer="yes") for user in racers]
    assert run_at_once(calls) == []
    seated = RSVP.objects.filter(meeting=meeting, answer="yes", waitlisted=False)
    assert seated.count() == meeting.capacity
    assert seated.filter(user__in=racers).count() == 1
    waiting = RSVP.objects.filter(meeting=meeting, waitlisted=True).order_by("answered_at", "id")
    assert waiting.count() == 49
    winner = seated.get(user__in=racers)
    assert all(w.answered_at >= winner.answered_at for w in waiting)  # first come, first served
    print("\nRELIABILITY rsvp-last-seat: 50 members at once for 1 free seat of 10 -> 1 seated, 49 waiting")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_members_changing_answers_at_once_never_overfill_a_session_nor_leave_a_seat_free_while_others_wait():
    meeting = MeetingFactory(capacity=5)
    members = [UserFactory(username=f"churn{i}") for i in range(50)]
    rng = random.Random(8)
    plans = {m.pk: rng.choices(["yes", "no", "maybe"], weights=[3, 1, 1], k=6) for m in members}

    def answer_all(user):
        def run() -> None:
            for answer in plans[user.pk]:
                rsvp_set(meeting=meeting, user=user, answer=answer)

        return run

    assert run_at_once([answer_all(user) for user in members]) == []
    rows = list(RSVP.objects.filter(meeting=meeting))
    seated = [r for r in rows if r.answer == "yes" and not r.waitlisted]
    waiting = [r for r in rows if r.waitlisted]
    assert len(rows) == len(members)  # one answer per member
    assert {r.user_id: r.answer for r in rows} == {pk: plan[-1] for pk, plan in plans.items()}
    assert len(seated) <= meeting.capacity
    assert not waiting or len(seated) == meeting.capacity  # never a free seat while someone waits
    assert all(r.answer == "yes" for r in waiting)
    print(
        f"\nRELIABILITY rsvp-churn: {sum(map(len, plans.values()))} answers by 50 members at once, "
        f"capacity 5 -> {len(seated)} seated, {len(waiting)} waiting"
    )
