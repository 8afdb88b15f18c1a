"""The papers admin's curation tools: tags with autocomplete and creation, merging duplicates,
the compact list and the change form's widgets."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from members.tests.factories import UserFactory
from papers.models import Paper, Tag, Vote
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory, TagFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:papers_paper_changelist")


def _post_action(client, action: str, papers, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [p.pk for p in papers], **extra}
    return client.post(CHANGELIST, data)


def test_the_add_tags_page_offers_autocomplete(client, organiser):
    client.force_login(organiser)
    response = _post_action(client, "add_tags", [PaperFactory()])
    assert b"admin-autocomplete" in response.content
    assert b"select2" in response.content  # the widget's media
    assert b"New tag names" in response.content


def test_add_tags_creates_new_tags_and_reuses_existing_names(client, organiser):
    client.force_login(organiser)
    paper, existing = PaperFactory(), TagFactory(name="Diffusion models")
    _post_action(client, "add_tags", [paper], apply="Apply", new_tags="Graph learning, diffusion models")
    assert set(paper.tags.values_list("name", flat=True)) == {"Graph learning", "Diffusion models"}
    assert Tag.objects.filter(slug="diffusion-models").get() == existing


def test_a_new_tag_name_without_letters_is_a_form_error_and_creates_nothing(client, organiser):
    client.force_login(organiser)
    paper = PaperFactory()
    response = _post_action(client, "add_tags", [paper], apply="Apply", new_tags="Fine, ???")
    assert b"at least one letter or digit" in response.content
    assert not Tag.objects.exists()


def test_remove_tags_takes_the_chosen_tags_off_the_selection(client, organiser):
    client.force_login(organiser)
    keep, drop = TagFactory(name="keep"), TagFactory(name="drop")
    papers = [PaperFactory(tags=[keep, drop]), PaperFactory(tags=[drop])]
    _post_action(client, "remove_tags", papers, apply="Apply", tags=[drop.pk])
    assert [list(p.tags.values_list("name", flat=True)) for p in papers] == [["keep"], []]


def test_merge_shows_what_moves_before_merging(client, organiser):
    client.force_login(organiser)
    keep, duplicate = PaperFactory(title="Kept"), PaperFactory(title="Copy")
    for user in (UserFactory(), UserFactory()):
        paper_vote_set(user=user, paper_id=duplicate.pk, voted=True)
    first = _post_action(client, "merge_duplicates", [keep, duplicate])
    assert b"Which of the 2 selected papers is kept?" in first.content
    confirm = _post_action(client, "merge_duplicates", [keep, duplicate], keep=keep.pk)
    assert b"2 votes" in confirm.content
    assert Paper.objects.filter(pk=duplicate.pk).exists()  # nothing changed yet
    _post_action(client, "merge_duplicates", [keep, duplicate], keep=keep.pk, confirm="Merge")
    assert not Paper.objects.filter(pk=duplicate.pk).exists()
    assert Vote.objects.filter(paper=keep).count() == Paper.objects.get(pk=keep.pk).vote_count == 2


def test_merging_a_single_paper_says_why_nothing_happened(client, organiser):
    client.force_login(organiser)
    paper = PaperFactory()
    response = _post_action(client, "merge_duplicates", [paper], keep=paper.pk, confirm="Merge", follow=True)
    assert Paper.objects.filter(pk=paper.pk).exists()
    assert b"Select at least two papers" in client.get(CHANGELIST).content or response.status_code == 302


def test_the_list_shows_title_with_authors_and_counts(client, organiser):
    client.force_login(organiser)
    PaperFactory(
        title="Compact rows", authors=["Ada One", "Ben Two", "Cy Three", "Di Four"], tags=[TagFactory()]
    )
    response = client.get(CHANGELIST)
    assert b"Ada One, Ben Two, Cy Three et al." in response.content
    assert b'class="field-tag_count">1<' in response.content
    assert b"papers/admin.css" in response.content


def test_the_change_form_edits_keywords_one_a_line_and_formats_the_score(client, organiser):
    client.force_login(organiser)
    paper = PaperFactory(keywords=["diffusion", "graphs"])
    url = reverse("admin:papers_paper_change", args=[paper.pk])
    page = client.get(url)
    assert b"diffusion\ngraphs</textarea>" in page.content
    score = f"{Paper.objects.get(pk=paper.pk).trending_score:.2f}".encode()
    assert score in page.content
