"""The parsers, on fixture files written in each source's real format."""

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papers.http import FetchError
from papers.sources import arxiv, arxiv_rss, crossref, feed, hf_daily
from papers.sources.records import AuthorRecord
from papers.sources.text import plain_text
from papers.tests.conftest import fixture_bytes


def test_it_parses_an_arxiv_page_with_versions_affiliations_and_categories():
    page = arxiv.parse(fixture_bytes("arxiv_page1.xml"))
    assert (page.entries, page.total, page.failed) == (2, 3, 0)
    router, note = page.records
    assert (router.arxiv_id, router.arxiv_version) == ("2403.01234", 2)
    assert router.title == r"Sparse Routers for Mixture-of-Experts at $O(\sqrt{n})$ Cost"
    assert router.abstract.startswith("We describe a router for mixture-of-experts layers whose cost")
    assert "\n" not in router.abstract
    assert router.authors == [
        AuthorRecord("Zoë Ångström", "University of Exampleton; Sample Institute"),
        AuthorRecord("José Müller", ""),
        AuthorRecord("Wei Chen", "Placeholder Labs"),
    ]
    assert router.doi == "10.5555/fixture.router.2024"
    assert router.categories == ["cs.LG", "cs.CL", "stat.ML"]
    assert router.published_at == datetime(2024, 3, 1, 9, 15, tzinfo=UTC)
    assert router.updated_at == datetime(2024, 3, 4, 17, 30, tzinfo=UTC)
    assert router.url == "https://arxiv.org/abs/2403.01234v2"
    assert router.pdf_url == "https://arxiv.org/pdf/2403.01234v2"
    assert (note.doi, note.categories, note.arxiv_version) == ("", ["stat.ML"], 1)


def test_it_parses_old_style_ids_latex_and_missing_optional_fields():
    page = arxiv.parse(fixture_bytes("arxiv_oldstyle.xml"))
    knots, glass = page.records
    assert (knots.arxiv_id, knots.arxiv_version) == ("math/0309136", 1)
    assert knots.title == "Knots in a Box and the Erdős Bound"
    assert knots.authors == [AuthorRecord("André Lefèvre")]
    assert knots.abstract == "" and knots.updated_at is None
    assert knots.categories == ["math.GT"]
    assert (glass.arxiv_id, glass.arxiv_version) == ("cond-mat/0102003", 2)
    assert glass.title == "Glassy Dynamics of 50% Filled Lattices"
    assert glass.authors == [] and glass.published_at is None
    assert glass.url == "https://arxiv.org/abs/cond-mat/0102003v2"
    assert page.failed == 1  # the entry without a title


def test_zero_results_is_an_empty_page():
    page = arxiv.parse(fixture_bytes("arxiv_empty.xml"))
    assert (page.records, page.entries, page.total) == ([], 0, 0)


def test_the_arxiv_error_entry_is_an_error_not_a_paper():
    with pytest.raises(FetchError) as caught:
        arxiv.parse(fixture_bytes("arxiv_error.xml"))
    assert caught.value.permanent
    assert "incorrect id format for 9999.bad" in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        fixture_bytes("arxiv_malformed.xml"),
        b"",
        b"<html><body>Service unavailable</body></html>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    ],
)
def test_malformed_arxiv_answers_are_permanent_errors(body):
    with pytest.raises(FetchError) as caught:
        arxiv.parse(body)
    assert caught.value.permanent


def test_it_parses_arxiv_listing_items_of_every_announce_type():
    result = arxiv_rss.parse(fixture_bytes("arxiv_rss.xml"))
    assert [r.announce_type for r in result.records] == ["new", "cross", "replace", "replace-cross"]
    assert result.failed == 1
    new, cross, replace, replace_cross = result.records
    assert (new.arxiv_id, new.arxiv_version) == ("2403.02001", 1)
    assert new.abstract.startswith("We order pretraining data from easy to hard")
    assert [a.name for a in new.authors] == ["Amara Okafor", "Bruno Lindqvist", "Chen Wei"]
    assert new.categories == ["cs.LG", "cs.CL"]
    assert new.published_at == datetime(2024, 3, 5, 5, tzinfo=UTC)
    assert [a.name for a in cross.authors] == ["Dalia Haddad", "Inês Carvalho"]
    assert cross.categories[0] == "eess.SY"
    assert (replace.arxiv_id, replace.arxiv_version, replace.doi) == (
        "2403.01234",
        3,
        "10.5555/fixture.router.2024",
    )
    assert (replace_cross.arxiv_id, replace_cross.arxiv_version) == ("2310.04444", 2)


def test_a_listing_feed_respects_the_limit():
    assert len(arxiv_rss.parse(fixture_bytes("arxiv_rss.xml"), limit=2).records) == 2


@pytest.mark.parametrize("body", [b"<rss><channel><item></rss>", b"<feed/>", b"{}"])
def test_malformed_listing_feeds_are_permanent_errors(body):
    with pytest.raises(FetchError) as caught:
        arxiv_rss.parse(body)
    assert caught.value.permanent


def test_it_parses_hugging_face_daily_papers_with_missing_fields():
    result = hf_daily.parse(fixture_bytes("hf_daily.json"))
    assert result.failed == 2  # no identifier; not an object
    tokeniser, bare, router, top_level = result.records
    assert tokeniser.arxiv_id == "2403.03001"
    assert tokeniser.external_votes == 42
    assert tokeniser.code_url == "https://github.com/example-org/forget-less"
    assert [a.name for a in tokeniser.authors] == ["Farah Siddiqui", "Gustavo Reyes"]
    assert tokeniser.published_at == datetime(2024, 3, 4, 18, 59, tzinfo=UTC)
    assert tokeniser.url == "https://arxiv.org/abs/2403.03001"
    assert (bare.title, bare.abstract, bare.authors, bare.external_votes) == (
        "Only a Title and an Id",
        "",
        [],
        None,
    )
    assert (router.external_votes, router.authors) == (7, [])
    assert (top_level.arxiv_id, top_level.abstract) == (
        "2403.03003",
        "Some feeds put everything at the top level.",
    )


@pytest.mark.parametrize("body", [b"not json", b'{"papers": []}', b"", b"\xff\xfe"])
def test_malformed_hugging_face_answers_are_permanent_errors(body):
    with pytest.raises(FetchError) as caught:
        hf_daily.parse(body)
    assert caught.value.permanent


def test_a_generic_rss_feed_keeps_arxiv_and_doi_items_and_skips_the_rest():
    result = feed.parse(fixture_bytes("feed.rss"))
    assert (len(result.records), result.skipped, result.failed) == (3, 1, 0)
    curriculum, journal, knots = result.records
    assert (curriculum.arxiv_id, curriculum.arxiv_version) == ("2403.02001", 1)
    assert curriculum.abstract == "We order pretraining data from easy to hard."
    assert curriculum.url == "https://arxiv.org/abs/2403.02001"
    assert [a.name for a in curriculum.authors] == ["Amara Okafor"]
    assert (journal.doi, journal.arxiv_id) == ("10.5555/journal.ot.77", "")
    assert journal.url == "https://journal.example.org/articles/77"
    assert (knots.arxiv_id, knots.arxiv_version) == ("math/0309136", 1)


def test_a_generic_atom_feed_reads_doi_ids_and_related_arxiv_links():
    result = feed.parse(fixture_bytes("feed.atom"))
    assert (len(result.records), result.skipped) == (2, 1)
    transport, graph = result.records
    assert transport.doi == "10.5555/journal.tm.12"
    assert [a.name for a in transport.authors] == ["Hana Kobayashi", "Jonas Berg"]
    assert transport.abstract == "Transport maps turn a simple density into a posterior."
    assert transport.published_at == datetime(2024, 3, 7, tzinfo=UTC)
    assert (graph.arxiv_id, graph.arxiv_version) == ("2310.04444", 2)


@pytest.mark.parametrize("body", [fixture_bytes("feed_malformed.rss"), b"", b"<html><p>hello</p></html>"])
def test_malformed_feeds_are_permanent_errors(body):
    with pytest.raises(FetchError) as caught:
        feed.parse(body)
    assert caught.value.permanent


def test_it_parses_crossref_metadata():
    record = crossref.parse(fixture_bytes("crossref_work.json"), doi="10.5555/journal.ot.77")
    assert record.title == "A Journal Paper on Optimal Transport"
    assert record.doi == "10.5555/journal.ot.77"
    assert record.authors == [
        AuthorRecord("Kemi Adeyemi", "Example University"),
        AuthorRecord("Lucía Fernández", ""),
    ]
    assert record.abstract == "We compute transport plans quickly."
    assert record.published_at == datetime(2024, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize("body", [b"nope", b'{"status": "ok"}', b'{"message": {"title": []}}'])
def test_unusable_crossref_answers_are_permanent_errors(body):
    with pytest.raises(FetchError) as caught:
        crossref.parse(body, doi="10.5555/x")
    assert caught.value.permanent


# --- Markup in titles, names and categories (issue 25): stripped by every source kind ----------------

MARKUP_TITLE = "Bounds for Sparse Codes when $k< n$ & More"


def _markup_records():
    return {
        "arxiv": arxiv.parse(fixture_bytes("arxiv_markup.xml")).records,
        "arxiv-rss": arxiv_rss.parse(fixture_bytes("arxiv_rss_markup.xml")).records,
        "feed": feed.parse(fixture_bytes("feed_markup.atom")).records,
        "hf-daily": hf_daily.parse(fixture_bytes("hf_daily_markup.json")).records,
        "crossref": [crossref.parse(fixture_bytes("crossref_markup.json"), doi="10.5555/markup.1")],
    }


@pytest.mark.parametrize("kind", ["arxiv", "arxiv-rss", "feed", "hf-daily", "crossref"])
def test_every_source_kind_strips_markup_from_titles_and_authors(kind):
    (record,) = _markup_records()[kind]
    assert record.title == MARKUP_TITLE
    assert [author.name for author in record.authors] == ["Ada Quill"]
    assert all(author.affiliation in ("", "Example Lab") for author in record.authors)


@pytest.mark.parametrize("kind", ["arxiv", "arxiv-rss"])
def test_arxiv_categories_carry_no_markup(kind):
    (record,) = _markup_records()[kind]
    assert record.categories == ["cs.LG"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<b>Deep</b> Nets", "Deep Nets"),
        ("&amp;lt;b&amp;gt;Twice&amp;lt;/b&amp;gt; escaped", "Twice escaped"),
        ("Tom &amp; Jerry, R&D and AT&T", "Tom & Jerry, R&D and AT&T"),
        ("When $a<b$ and p<0.05 and x < y", "When $a< b$ and p<0.05 and x < y"),
        ("$<img src=x onerror=alert(1)>$", "$< img src=x onerror=alert(1)>$"),
        ('Schr\\"odinger <i>Bridges</i>', "Schrödinger Bridges"),
        ("cs.LG", "cs.LG"),
        ("", ""),
    ],
)
def test_plain_text_drops_markup_decodes_entities_and_keeps_comparisons(value, expected):
    assert plain_text(value) == expected


@given(st.text(max_size=60) | st.from_regex(r"[<>&;/a-z$ ]{0,40}", fullmatch=True))
def test_plain_text_never_leaves_anything_that_opens_a_tag(value):
    assert not re.search(r"<[A-Za-z/!?]", plain_text(value))
