"""Hugging Face's upvotes are shown as such, beside the group's own votes and never added to them."""

import pytest
from django.urls import reverse

from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def test_a_card_shows_the_hugging_face_upvotes_labelled(client):
    PaperFactory(external_votes=12, vote_count=3)
    page = client.get(reverse("papers:trending")).content.decode()
    assert "12 on Hugging Face" in page
    assert '<span class="count">3</span>' in page and '<span class="count">15</span>' not in page


def test_the_paper_page_shows_them_apart_from_the_groups_votes(client):
    paper = PaperFactory(external_votes=12)
    page = client.get(paper.get_absolute_url()).content.decode()
    assert "12 on Hugging Face" in page and '<span class="count">0</span>' in page


def test_a_paper_without_outside_upvotes_says_nothing_about_them(client):
    paper = PaperFactory(external_votes=0)
    assert "Hugging Face" not in client.get(paper.get_absolute_url()).content.decode()


def test_voting_moves_only_the_groups_count(member):
    paper = PaperFactory(external_votes=12)
    assert paper_vote_set(user=member, paper_id=paper.pk, voted=True).vote_count == 1
    paper.refresh_from_db()
    assert (paper.vote_count, paper.external_votes) == (1, 12)
