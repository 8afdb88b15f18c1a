"""The "for you" list on a scripted group: papers of two topics whose embeddings we write
ourselves (topic A near one axis, topic B near another), members whose votes, comments, RSVPs
and presentations follow a topic, and what each of them is offered."""

import numpy as np
import pytest
from django.utils import timezone

from discussions.services import comment_create
from meetings.tests.factories import AgendaItemFactory, MeetingFactory, RSVPFactory
from members.tests.factories import UserFactory
from papers.discovery import scoring
from papers.discovery.for_you import TRENDING_REASON, for_you
from papers.models import Paper
from papers.services import paper_dismiss_set, paper_vote_set
from papers.tests.factories import PaperFactory
from papers.tests.scripted_group import embed, topic_vector, vote

pytestmark = pytest.mark.django_db


def picks(user) -> list[int]:
    return [pick.paper_id for pick in for_you(user)]


def topic_of(group: dict, pk: int) -> str:
    return next(topic for topic, ids in group.items() if pk in ids)


# --- Scoring, on plain arrays -----------------------------------------------------------------------


def test_a_profile_needs_something_liked():
    vectors = np.eye(3, dtype=np.float32)
    assert scoring.profile_vector(np.zeros((0, 3)), np.zeros(0)) is None
    assert scoring.profile_vector(vectors[:1], np.array([-1.0])) is None  # dismissals alone
    profile = scoring.profile_vector(vectors, np.array([2.0, 1.0, -1.0]))
    assert profile is not None and abs(float(np.linalg.norm(profile)) - 1) < 1e-6
    assert profile[0] > profile[1] > 0 > profile[2]


def test_without_a_profile_only_trending_counts():
    candidates = np.eye(4, dtype=np.float32)
    scores = scoring.for_you_scores(None, candidates, np.array([3.0, 9.0, 1.0, 5.0]))
    assert list(np.argsort(-scores)) == [1, 3, 0, 2]


def test_similarity_outweighs_trending_at_the_default_share():
    candidates = np.eye(3, dtype=np.float32)
    profile = np.array([1, 0, 0], dtype=np.float32)
    scores = scoring.for_you_scores(profile, candidates, np.array([0.0, 10.0, 5.0]))
    assert int(np.argmax(scores)) == 0
    assert scores[1] > scores[2]  # equally unlike the profile: trending decides


def test_signals_lose_half_their_weight_every_half_life():
    fresh = scoring.signal_weight("voted", 0)
    assert scoring.signal_weight("voted", scoring.SIGNAL_HALF_LIFE_DAYS) == pytest.approx(fresh / 2)
    assert scoring.signal_weight("voted", -5) == fresh  # a session ahead counts as now
    assert scoring.signal_weight("dismissed", 0) < 0


# --- The scripted group ------------------------------------------------------------------------------


def test_members_whose_votes_follow_a_topic_get_that_topic_first(group):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    vote(alice, *group["A"][:3])
    vote(bob, *group["B"][:3])
    assert {topic_of(group, pk) for pk in picks(alice)[:4]} == {"A"}
    assert {topic_of(group, pk) for pk in picks(bob)[:4]} == {"B"}


def test_papers_i_voted_for_are_left_out(group):
    alice = UserFactory()
    vote(alice, *group["A"][:3])
    assert not set(picks(alice)) & set(group["A"][:3])


def test_a_member_without_signals_gets_the_groups_trending_papers(group):
    voters = [UserFactory() for _ in range(3)]
    for count, pk in zip((3, 2, 1), (group["B"][5], group["A"][2], group["B"][0]), strict=True):
        for voter in voters[:count]:
            paper_vote_set(user=voter, paper_id=pk, voted=True)
    newcomer = UserFactory(username="newcomer")
    mine = for_you(newcomer)
    assert [pick.paper_id for pick in mine[:3]] == [group["B"][5], group["A"][2], group["B"][0]]
    assert {pick.reason for pick in mine} == {TRENDING_REASON}
    trending = list(Paper.objects.listed().order_by("-trending_score", "-id").values_list("pk", flat=True))
    assert [pick.paper_id for pick in mine] == trending


def test_a_dismissed_paper_never_comes_back(group):
    alice = UserFactory()
    vote(alice, *group["A"][:3])
    first = picks(alice)[0]
    paper_dismiss_set(user=alice, paper_id=first, dismissed=True)
    assert first not in picks(alice)
    vote(alice, *[pk for pk in group["A"][3:] if pk != first][:2])  # more of that topic: not back
    for voter in [UserFactory() for _ in range(3)]:  # nor when the group loves it
        paper_vote_set(user=voter, paper_id=first, voted=True)
    assert first not in picks(alice)
    paper_dismiss_set(user=alice, paper_id=first, dismissed=False)
    assert first in picks(alice)


def test_dismissals_count_against_papers_like_them(group):
    carol = UserFactory()
    vote(carol, group["A"][0], group["B"][0])
    before = picks(carol)
    for pk in group["B"][1:3]:
        paper_dismiss_set(user=carol, paper_id=pk, dismissed=True)
    after = picks(carol)
    assert {topic_of(group, pk) for pk in after[:4]} == {"A"}
    assert "B" in {topic_of(group, pk) for pk in before[:4]}  # both topics, before


@pytest.mark.parametrize(("recent", "old"), [("A", "B"), ("B", "A")])
def test_recent_signals_weigh_more(group, recent, old):
    dana = UserFactory()
    vote(dana, *group[old][:3], days_ago=150)
    vote(dana, *group[recent][:3], days_ago=1)
    assert {topic_of(group, pk) for pk in picks(dana)[:4]} == {recent}


def test_comments_rsvps_and_presentations_are_signals_too(group):
    commenter, attendee, presenter = UserFactory(), UserFactory(), UserFactory()
    for pk in group["B"][:2]:
        comment_create(author=commenter, target=Paper.objects.get(pk=pk), body="Worth a read")
    meeting = MeetingFactory()
    AgendaItemFactory(meeting=meeting, paper_id=group["A"][0])
    RSVPFactory(meeting=meeting, user=attendee)
    AgendaItemFactory(meeting=MeetingFactory(), paper_id=group["A"][1], presenter=presenter)
    assert {topic_of(group, pk) for pk in picks(commenter)[:4]} == {"B"}
    assert {topic_of(group, pk) for pk in picks(attendee)[:4]} == {"A"}
    mine = for_you(presenter)
    assert {topic_of(group, pick.paper_id) for pick in mine[:4]} == {"A"}
    assert mine[0].reason == "Like “Topic A paper 1”, which you presented"


def test_a_cancelled_session_says_nothing(group):
    attendee = UserFactory()
    meeting = MeetingFactory(status="cancelled")
    AgendaItemFactory(meeting=meeting, paper_id=group["A"][0])
    RSVPFactory(meeting=meeting, user=attendee)
    assert {pick.reason for pick in for_you(attendee)} == {TRENDING_REASON}


def test_each_pick_says_which_of_my_papers_it_is_like(group):
    alice = UserFactory()
    vote(alice, group["A"][0])
    mine = for_you(alice)
    assert mine[0].reason == "Like “Topic A paper 0”, which you voted for"
    assert TRENDING_REASON in {pick.reason for pick in mine}  # the other topic came as trending


def test_discussed_hidden_and_pending_papers_are_never_offered(group, member):
    vote(member, group["A"][0])
    rng = np.random.default_rng(1)
    hidden = embed(PaperFactory(status=Paper.Status.HIDDEN), topic_vector(0, rng))
    pending = embed(PaperFactory(status=Paper.Status.PENDING, submitted_by=member), topic_vector(0, rng))
    waiting = embed(PaperFactory(metadata_pending=True), topic_vector(0, rng))
    discussed = embed(PaperFactory(discussed_at=timezone.now()), topic_vector(0, rng))
    offered = set(picks(member))
    assert offered and not offered & {hidden.pk, pending.pk, waiting.pk, discussed.pk}


def test_a_reason_never_names_a_paper_i_may_no_longer_see(group, member):
    vote(member, group["A"][0])
    Paper.objects.filter(pk=group["A"][0]).update(status=Paper.Status.HIDDEN)
    assert not any("Topic A paper 0" in pick.reason for pick in for_you(member))


def test_papers_not_embedded_yet_still_come_as_trending(member):
    plain = PaperFactory(title="Not embedded")
    vote(member, PaperFactory().pk)
    assert [pick.paper_id for pick in for_you(member)] == [plain.pk]


def test_nearest_to_vector_gives_ids_and_similarities_best_first(group):
    from papers.search import semantic

    rng = np.random.default_rng(3)
    probe = topic_vector(1, rng)
    found = semantic.nearest_to_vector(probe, using="default", limit=5, exclude_ids={group["B"][0]})
    assert len(found) == 5 and {pk for pk, _ in found} <= set(group["B"][1:])
    assert [score for _, score in found] == sorted((score for _, score in found), reverse=True)
    assert semantic.nearest_to_vector(probe, using="default", limit=0) == []
