import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from meetings.models import AgendaItem
from meetings.tests.factories import MeetingFactory
from papers.models import Paper, Tag
from papers.tests.factories import PaperFactory, TagFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:papers_paper_changelist")


def _post_action(client, action: str, papers, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [p.pk for p in papers], **extra}
    return client.post(CHANGELIST, data)


def test_list_and_hide_actions_change_the_status(client, organiser):
    client.force_login(organiser)
    pending = PaperFactory(status="pending")
    _post_action(client, "list_papers", [pending])
    assert Paper.objects.get(pk=pending.pk).status == "listed"
    _post_action(client, "hide_papers", [pending])
    assert Paper.objects.get(pk=pending.pk).status == "hidden"


def test_add_tags_asks_for_tags_then_adds_them(client, organiser):
    client.force_login(organiser)
    paper, tag = PaperFactory(), TagFactory(name="Optimisation")
    form = _post_action(client, "add_tags", [paper])
    assert b"Add tags" in form.content
    _post_action(client, "add_tags", [paper], apply="Apply", tags=[tag.pk])
    assert list(paper.tags.all()) == [tag]


def test_add_tags_without_a_choice_shows_the_form_error(client, organiser):
    client.force_login(organiser)
    paper = PaperFactory()
    response = _post_action(client, "add_tags", [paper], apply="Apply")
    assert b"Choose a tag or give a new tag name" in response.content
    assert not paper.tags.exists()


def test_add_to_meeting_appends_papers_and_reports_duplicates(client, organiser):
    client.force_login(organiser)
    meeting, papers = MeetingFactory(), [PaperFactory(), PaperFactory()]
    _post_action(client, "add_to_meeting", papers, apply="Apply", meeting=meeting.pk)
    response = _post_action(client, "add_to_meeting", papers[:1], apply="Apply", meeting=meeting.pk)
    assert AgendaItem.objects.filter(meeting=meeting).count() == 2
    assert response.status_code == 302


def test_promote_keyword_asks_for_the_keyword_then_tags_every_paper_that_has_it(client, organiser):
    client.force_login(organiser)
    selected = PaperFactory(keywords=["graph neural networks", "routing"])
    elsewhere = PaperFactory(keywords=["Graph Neural Networks"])
    unrelated = PaperFactory(keywords=["graph neural networks for molecules"])
    form = _post_action(client, "promote_keyword", [selected])
    assert b"Promote a keyword to a topic" in form.content and not Tag.objects.exists()
    response = _post_action(
        client, "promote_keyword", [selected], apply="Apply", keyword="graph neural networks"
    )
    tag = Tag.objects.get()
    assert (tag.name, tag.kind) == ("graph neural networks", "topic")
    assert set(tag.papers.all()) == {selected, elsewhere} and not unrelated.tags.exists()
    assert 'Topic "graph neural networks" is on 2 paper(s).' in _messages(client, response)


def test_promote_keyword_that_no_paper_has_says_so_and_changes_nothing(client, organiser):
    client.force_login(organiser)
    paper = PaperFactory(keywords=["routing"])
    response = _post_action(client, "promote_keyword", [paper], apply="Apply", keyword="rout")
    assert 'No paper has the keyword "rout".' in _messages(client, response)
    assert not Tag.objects.exists()


def test_promote_keyword_does_not_turn_a_category_into_a_topic(client, organiser):
    client.force_login(organiser)
    category = TagFactory(name="cs.LG", kind="category")
    paper = PaperFactory(keywords=["cs.lg"])
    response = _post_action(client, "promote_keyword", [paper], apply="Apply", keyword="cs.lg")
    assert "already a tag of kind arXiv category" in _messages(client, response)
    assert Tag.objects.get() == category and not paper.tags.exists()


def _messages(client, response) -> str:
    page = client.get(response["Location"]) if response.status_code == 302 else response
    return " ".join(str(m) for m in page.context["messages"])
