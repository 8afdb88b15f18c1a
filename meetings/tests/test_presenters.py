from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from meetings.models import PresenterOffer
from meetings.selectors import FAIRNESS_SESSIONS, agenda_suggestions, presenter_rankings, presenter_suggest
from meetings.services import presenter_assign, presenter_offer, presenter_withdraw
from meetings.tests.factories import AgendaItemFactory, MeetingFactory, PresenterOfferFactory, RSVPFactory
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_presenter_offer_records_one_offer_however_often_a_member_offers(member):
    item = AgendaItemFactory()
    first = presenter_offer(item=item, user=member)
    second = presenter_offer(item=item, user=member)
    assert first == second
    assert PresenterOffer.objects.filter(item=item, user=member).count() == 1


@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_presenter_offer_refuses_a_session_that_is_not_planned(member, status):
    item = AgendaItemFactory(meeting__status=status)
    with pytest.raises(ValidationError, match=f"This session is {status}: offers to present are closed"):
        presenter_offer(item=item, user=member)
    assert not PresenterOffer.objects.exists()


def test_presenter_offer_refuses_a_session_that_has_started(member):
    item = AgendaItemFactory(meeting__starts_at=timezone.now() - timedelta(minutes=5))
    with pytest.raises(ValidationError, match="has started"):
        presenter_offer(item=item, user=member)


def test_presenter_offer_refuses_a_deactivated_member():
    user = UserFactory(is_active=False)
    with pytest.raises(ValidationError, match="Only active members can offer to present"):
        presenter_offer(item=AgendaItemFactory(), user=user)
    assert not PresenterOffer.objects.exists()


def test_presenter_offer_refuses_the_member_who_already_presents_it(member):
    item = AgendaItemFactory(presenter=member)
    with pytest.raises(ValidationError, match="already the presenter"):
        presenter_offer(item=item, user=member)


def test_presenter_withdraw_removes_the_offer_and_the_presenter_role(member, other_member):
    item = AgendaItemFactory(presenter=member)
    PresenterOfferFactory(item=item, user=member)
    PresenterOfferFactory(item=item, user=other_member)
    presenter_withdraw(item=item, user=member)
    item.refresh_from_db()
    assert item.presenter is None
    assert list(PresenterOffer.objects.values_list("user", flat=True)) == [other_member.pk]


def test_presenter_withdraw_without_an_offer_changes_nothing(member, other_member):
    item = AgendaItemFactory(presenter=other_member)
    presenter_withdraw(item=item, user=member)
    item.refresh_from_db()
    assert item.presenter == other_member


def test_presenter_withdraw_refuses_a_finished_session(member):
    item = AgendaItemFactory(meeting__status="done")
    PresenterOfferFactory(item=item, user=member)
    with pytest.raises(ValidationError, match="done"):
        presenter_withdraw(item=item, user=member)
    assert PresenterOffer.objects.count() == 1


def test_presenter_assign_refuses_a_member_who_is_not_active(member):
    item = AgendaItemFactory()
    gone = UserFactory(username="gone", is_active=False)
    with pytest.raises(ValidationError, match="is not an active member"):
        presenter_assign(item=item, presenter=gone)
    item.refresh_from_db()
    assert item.presenter is None


def test_presenter_assign_sets_and_clears_the_presenter(member):
    item = AgendaItemFactory()
    assert presenter_assign(item=item, presenter=member).presenter == member
    assert presenter_assign(item=item, presenter=None).presenter is None


def _presented(user, days_ago: int, status: str = "done"):
    starts = timezone.now() - timedelta(days=days_ago)
    AgendaItemFactory(presenter=user, meeting__starts_at=starts, meeting__status=status)


def test_suggest_prefers_the_offerer_whose_last_presentation_is_longest_ago():
    recent, long_ago, item = UserFactory(), UserFactory(), AgendaItemFactory()
    _presented(recent, days_ago=7)
    _presented(long_ago, days_ago=70)
    for user in (recent, long_ago):
        PresenterOfferFactory(item=item, user=user)
    assert presenter_suggest(item=item) == long_ago


def test_suggest_puts_a_member_who_never_presented_first():
    veteran, newcomer, item = UserFactory(), UserFactory(), AgendaItemFactory()
    _presented(veteran, days_ago=400)
    PresenterOfferFactory(item=item, user=veteran)
    PresenterOfferFactory(item=item, user=newcomer)
    assert presenter_suggest(item=item) == newcomer


def test_suggest_ignores_cancelled_sessions_but_counts_coming_ones():
    cancelled_only, booked, item = UserFactory(), UserFactory(), AgendaItemFactory()
    _presented(cancelled_only, days_ago=1, status="cancelled")
    _presented(booked, days_ago=-3, status="planned")  # presents in three days
    PresenterOfferFactory(item=item, user=cancelled_only)
    PresenterOfferFactory(item=item, user=booked)
    assert presenter_suggest(item=item) == cancelled_only


def test_suggest_falls_back_to_members_who_answered_yes():
    item = AgendaItemFactory()
    yes_recent, yes_long_ago, maybe = UserFactory(), UserFactory(), UserFactory()
    _presented(yes_recent, days_ago=3)
    _presented(yes_long_ago, days_ago=30)
    RSVPFactory(meeting=item.meeting, user=yes_recent)
    RSVPFactory(meeting=item.meeting, user=yes_long_ago)
    RSVPFactory(meeting=item.meeting, user=maybe, answer="maybe")
    assert presenter_suggest(item=item) == yes_long_ago


def test_suggest_breaks_ties_by_who_offered_first():
    item = AgendaItemFactory()
    late, early = UserFactory(), UserFactory()
    PresenterOfferFactory(item=item, user=late, created_at=timezone.now())
    PresenterOfferFactory(item=item, user=early, created_at=timezone.now() - timedelta(hours=1))
    assert presenter_suggest(item=item) == early


def test_suggest_is_none_without_offers_or_yes_answers():
    assert presenter_suggest(item=AgendaItemFactory()) is None


def test_suggest_skips_deactivated_offerers():
    item = AgendaItemFactory()
    PresenterOfferFactory(item=item, user=UserFactory(is_active=False))
    active = UserFactory()
    RSVPFactory(meeting=item.meeting, user=active)
    assert presenter_suggest(item=item) == active


def test_suggest_prefers_fewest_presentations_in_the_last_sessions_over_longest_ago():
    twice, once, item = UserFactory(), UserFactory(), AgendaItemFactory()
    _presented(twice, days_ago=60)
    _presented(twice, days_ago=50)
    _presented(once, days_ago=1)
    for user in (twice, once):
        PresenterOfferFactory(item=item, user=user)
    assert presenter_suggest(item=item) == once


def test_suggest_counts_only_the_last_sessions():
    long_ago, lately, item = UserFactory(), UserFactory(), AgendaItemFactory()
    _presented(long_ago, days_ago=400)
    _presented(long_ago, days_ago=300)
    for days_ago in range(1, FAIRNESS_SESSIONS + 1):
        MeetingFactory(starts_at=timezone.now() - timedelta(days=days_ago), status="done")
    _presented(lately, days_ago=1)
    for user in (long_ago, lately):
        PresenterOfferFactory(item=item, user=user)
    assert presenter_suggest(item=item) == long_ago


def test_without_offers_yes_comes_before_maybe_before_the_rest_and_no_never():
    item = AgendaItemFactory()
    said_no, rest, maybe, yes = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    RSVPFactory(meeting=item.meeting, user=said_no, answer="no")
    RSVPFactory(meeting=item.meeting, user=maybe, answer="maybe")
    RSVPFactory(meeting=item.meeting, user=yes)
    _presented(yes, days_ago=3)
    ranking = [c.user for c in presenter_rankings(meeting=item.meeting)[item.pk]]
    assert ranking == [yes, maybe, rest]


def test_a_member_is_suggested_for_one_item_while_others_can_take_one():
    meeting = MeetingFactory()
    first, second, third = (AgendaItemFactory(meeting=meeting, order=n) for n in range(3))
    keen, other, another = UserFactory(), UserFactory(), UserFactory()
    PresenterOfferFactory(item=first, user=keen)
    RSVPFactory(meeting=meeting, user=keen)
    suggestions = agenda_suggestions(meeting=meeting)
    assert suggestions[first.pk].user == keen
    assert {suggestions[second.pk].user, suggestions[third.pk].user} == {other, another}


def test_a_member_is_suggested_twice_only_when_nobody_else_can_present():
    meeting = MeetingFactory()
    first, second = AgendaItemFactory(meeting=meeting, order=0), AgendaItemFactory(meeting=meeting, order=1)
    only = UserFactory()
    suggestions = agenda_suggestions(meeting=meeting)
    assert suggestions[first.pk].user == only and suggestions[second.pk].user == only


def test_a_suggestion_says_why():
    item = AgendaItemFactory()
    for days_ago in range(1, FAIRNESS_SESSIONS + 2):
        MeetingFactory(starts_at=timezone.now() - timedelta(days=days_ago), status="done")
    PresenterOfferFactory(item=item, user=UserFactory())
    candidate = agenda_suggestions(meeting=item.meeting)[item.pk]
    assert candidate.reason == "offered to present; presented 0 times in the last 6 sessions"
