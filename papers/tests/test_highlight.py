"""Marking search matches: escaped first, only our own <mark> added."""

from papers.highlight import MARK_START, MARK_STOP, _snippet, mark_terms, marks_to_html, query_terms


def test_it_marks_every_occurrence_whatever_the_case():
    marked = mark_terms("Graph nets and GRAPH cuts", ["graph"])
    assert str(marks_to_html(marked)) == "<mark>Graph</mark> nets and <mark>GRAPH</mark> cuts"


def test_it_escapes_the_text_around_the_marks():
    html = str(marks_to_html(f"<b>{MARK_START}x{MARK_STOP}</b> & co"))
    assert html == "&lt;b&gt;<mark>x</mark>&lt;/b&gt; &amp; co"


def test_query_words_drop_operators_and_punctuation():
    assert query_terms('"graph networks" OR -weather') == ["graph", "networks", "weather"]


def test_a_snippet_is_cut_at_spaces_around_the_first_match():
    text = " ".join(f"word{n}" for n in range(200)) + " target " + " ".join(f"tail{n}" for n in range(200))
    snippet = _snippet(text, ["target"])
    assert snippet.startswith("… word") and snippet.endswith(" …") and "target" in snippet
    assert all(part.startswith(("word", "tail", "target", "…")) for part in snippet.split())
