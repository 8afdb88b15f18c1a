from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from meetings.models import RSVP, AgendaItem, Meeting
from members.models import User
from papers.models import Author, Paper, Source, Tag, Vote
from readinggroup.demo import CATEGORIES, TOPICS

pytestmark = pytest.mark.django_db
MODELS = [User, Paper, Author, Tag, Vote, Source, Meeting, AgendaItem, RSVP]


def _snapshot() -> dict:
    return {m.__name__: sorted(m.objects.values_list("pk", flat=True)) for m in MODELS}


def test_seed_demo_creates_content_for_every_part_of_the_site():
    call_command("seed_demo", papers=30)
    assert Paper.objects.listed().count() == 30
    assert Vote.objects.exists()
    assert Meeting.objects.upcoming().exists() and Meeting.objects.past().exists()
    assert all(p.authors.count() >= 3 for p in Paper.objects.all())


def test_seed_demo_gives_papers_keywords_but_makes_only_topic_and_category_tags():
    call_command("seed_demo", papers=30)
    assert all(p.keywords for p in Paper.objects.all())
    names = {(t.name, t.kind) for t in Tag.objects.all()}
    assert names == {(n, "topic") for n in TOPICS} | {(n, "category") for n in CATEGORIES}


def test_running_seed_demo_twice_changes_nothing():
    call_command("seed_demo", papers=30)
    before = _snapshot()
    counts = list(Paper.objects.order_by("pk").values_list("vote_count", flat=True))
    call_command("seed_demo", papers=30)
    assert _snapshot() == before
    assert list(Paper.objects.order_by("pk").values_list("vote_count", flat=True)) == counts


def test_vote_counts_match_vote_rows_after_seeding():
    call_command("seed_demo", papers=30)
    for paper in Paper.objects.all():
        assert paper.vote_count == paper.votes.count()


def test_seed_demo_refuses_too_few_papers():
    with pytest.raises(CommandError, match="at least 2"):
        call_command("seed_demo", papers=1)


def test_the_demo_organiser_can_log_in_to_the_admin(client):
    call_command("seed_demo", papers=2, organiser=True)
    assert client.login(username="organiser", password="readinggroup-demo")
    assert client.get("/admin/papers/paper/").status_code == 200


def test_the_demo_member_can_log_in_and_both_logins_are_printed(client):
    out = StringIO()
    call_command("seed_demo", papers=2, organiser=True, stdout=out)
    assert "Demo login: organiser / readinggroup-demo" in out.getvalue()
    assert "Demo login: member / readinggroup-demo" in out.getvalue()
    assert client.login(username="member", password="readinggroup-demo")
    assert not User.objects.get(username="member").is_organiser
