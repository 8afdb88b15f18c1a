"""Marking search matches: escaped first, only our own <mark> added."""

import pytest

from papers.highlight import (
    MARK_START,
    MARK_STOP,
    _snippet,
    attach_highlights,
    mark_terms,
    marks_to_html,
    query_terms,
    with_headlines,
)
from papers.models import Paper
from papers.selectors import paper_search
from papers.tests.factories import PaperFactory


def test_it_marks_every_occurrence_whatever_the_case():
    marked = mark_terms("Graph nets and GRAPH cuts", ["graph"])
    assert str(marks_to_html(marked)) == "<mark>Graph</mark> nets and <mark>GRAPH</mark> cuts"


def test_it_escapes_the_text_around_the_marks():
    html = str(marks_to_html(f"<b>{MARK_START}x{MARK_STOP}</b> & co"))
    assert html == "&lt;b&gt;<mark>x</mark>&lt;/b&gt; &amp; co"


def test_query_words_are_the_ones_search_ranks_by():
    assert query_terms('"graph networks" OR -weather') == ["graph", "networks"]
    assert query_terms("Sparse, sparse attention!") == ["sparse", "attention"]


@pytest.mark.django_db
def test_it_marks_the_words_the_search_matched_and_not_the_excluded_ones():
    """Both databases mark from the ranking's own parse: the result has "vision", which the
    query excludes only as part of a phrase, so it must not be marked."""
    paper = PaperFactory(title="Attention in vision transformers", abstract="Vision models attend to images.")
    q = 'attention -"vision attention"'
    found = list(with_headlines(paper_search(Paper.objects.listed(), q), q))
    attach_highlights(found, q)
    assert found == [paper]
    assert str(found[0].title_html) == "<mark>Attention</mark> in vision transformers"
    assert "<mark>" not in str(found[0].snippet_html).replace("<mark>attend</mark>", "")


def test_a_snippet_is_cut_at_spaces_around_the_first_match():
    text = " ".join(f"word{n}" for n in range(200)) + " target " + " ".join(f"tail{n}" for n in range(200))
    snippet = _snippet(text, ["target"])
    assert snippet.startswith("… word") and snippet.endswith(" …") and "target" in snippet
    assert all(part.startswith(("word", "tail", "target", "…")) for part in snippet.split())
