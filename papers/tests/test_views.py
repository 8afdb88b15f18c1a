import pytest
from django.urls import reverse

from meetings.tests.factories import AgendaItemFactory
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_home_shows_the_queue_most_votes_first(client, member):
    PaperFactory(title="Low paper")
    high = PaperFactory(title="High paper")
    paper_vote_set(user=member, paper_id=high.pk, voted=True)
    PaperFactory(title="Pending paper", status="pending")
    content = client.get(reverse("home")).content.decode()
    assert content.index("High paper") < content.index("Low paper")
    assert "Pending paper" not in content


def test_home_runs_the_same_queries_for_few_and_many_papers(client, django_assert_num_queries):
    PaperFactory.create_batch(3, tags=[TagFactory()])
    with django_assert_num_queries(3):  # page (no count: readinggroup.paging), authors, tags
        client.get(reverse("home"))
    PaperFactory.create_batch(20, tags=[TagFactory()])
    with django_assert_num_queries(3):
        client.get(reverse("home"))


def test_a_paper_page_shows_its_meetings(client):
    item = AgendaItemFactory()
    response = client.get(item.paper.get_absolute_url())
    assert item.meeting.title in response.content.decode()


def test_a_hidden_paper_is_not_found(client):
    assert client.get(PaperFactory(status="hidden").get_absolute_url()).status_code == 404


def test_a_private_site_sends_visitors_to_log_in(client, settings):
    settings.SITE_PUBLIC = False
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
