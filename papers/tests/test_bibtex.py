import re
from datetime import UTC, datetime

import bibtexparser
import pytest
from bibtexparser.middlewares import LatexDecodingMiddleware
from django.urls import reverse
from django.utils import timezone

from members.tests.factories import UserFactory
from papers.bibtex import papers_to_bibtex
from papers.models import Paper
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory, TagFactory

pytestmark = pytest.mark.django_db


def _parse(text: str):
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    assert library.failed_blocks == []
    return library


def _fields(entry) -> dict[str, str]:
    return {key: field.value for key, field in entry.fields_dict.items()}


def test_an_arxiv_paper_becomes_a_misc_entry_that_parses_back():
    paper = PaperFactory(
        title="Déjà vu: 50% of R&D with $x_1$ and #tags",
        authors=["Zoë Ümlaut", "Ben Sample"],
        arxiv_id="2410.01234",
        categories=["cs.LG", "stat.ML"],
        published_at=datetime(2024, 10, 3, tzinfo=UTC),
        url="https://arxiv.org/abs/2410.01234",
        keywords=["graph_nets", "memory"],
        abstract="We study 100% of cases & more.",
    )
    text = papers_to_bibtex(Paper.objects.filter(pk=paper.pk).prefetch_related("authorships__author"))
    assert "month = oct," in text  # the BibTeX macro, unbraced
    assert "\\%" in text and "\\&" in text  # LaTeX special characters are escaped
    (entry,) = _parse(text).entries
    assert (entry.entry_type, entry.key) == ("misc", "umlaut2024deja")
    assert _fields(entry) == {
        "title": "Déjà vu: 50% of R&D with $x_1$ and #tags",
        "author": "Zoë Ümlaut and Ben Sample",
        "year": "2024",
        "month": "oct",
        "eprint": "2410.01234",
        "archiveprefix": "arXiv",
        "primaryclass": "cs.LG",
        "url": "https://arxiv.org/abs/2410.01234",
        "keywords": "graph_nets, memory",
        "abstract": "We study 100% of cases & more.",
    }


def test_urls_and_dois_stay_verbatim():
    paper = PaperFactory(doi="10.1000/a_b%c", url="https://example.org/a_b?x=1&y={2}", arxiv_id="")
    text = papers_to_bibtex([paper])
    assert "doi = {10.1000/a_b%c}" in text
    assert "url = {https://example.org/a_b?x=1&y=%7B2%7D}" in text
    assert "eprint" not in text


def test_keys_stay_unique_for_similar_papers():
    day = datetime(2023, 5, 1, tzinfo=UTC)
    papers = [PaperFactory(title="The same study", authors=["Ann Lee"], published_at=day) for _ in range(3)]
    keys = [entry.key for entry in _parse(papers_to_bibtex(papers)).entries]
    assert keys == ["lee2023same", "lee2023samea", "lee2023sameb"]


def _bib(client, **params):
    response = client.get(reverse("papers:bibtex"), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    return [_fields(e)["title"] for e in _parse(response.content.decode()).entries]


def test_the_list_export_takes_the_list_filters(client):
    tag = TagFactory(name="Graphs")
    PaperFactory(title="Graph paper", tags=[tag])
    PaperFactory(title="Other paper")
    PaperFactory(title="Pending graph paper", status="pending", tags=[tag])
    assert _bib(client, tag="graphs") == ["Graph paper"]
    assert sorted(_bib(client)) == ["Graph paper", "Other paper"]


def test_the_list_export_of_the_queue_is_in_queue_order(client):
    one, two = PaperFactory(title="One"), PaperFactory(title="Two")
    PaperFactory(title="Done", discussed_at=timezone.now())
    for paper, votes in ((one, 1), (two, 2)):
        for _ in range(votes):
            paper_vote_set(user=UserFactory(), paper_id=paper.pk, voted=True)
    assert _bib(client, ordering="queue") == ["Two", "One"]


def test_the_list_export_of_a_search_finds_matches(client):
    PaperFactory(title="Sparse attention for long documents")
    PaperFactory(title="Protein folding")
    assert _bib(client, q="attention") == ["Sparse attention for long documents"]


def test_bad_filters_are_a_400_with_the_field_named(client):
    response = client.get(reverse("papers:bibtex"), {"ordering": "sideways"})
    assert response.status_code == 400
    assert response.content.decode().startswith("ordering:")


def test_the_list_export_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for i in range(15):
        PaperFactory(tags=[TagFactory(name=f"t{i % 4}")])
    with django_assert_max_num_queries(4):
        client.get(reverse("papers:bibtex"))


# --- Hostile values: titles and names come from outside sources ----------------------------------

HOSTILE = [
    "Robust Graph Learning }, year = 1999, note = 1337, x = 1",
    "Robust Graph Learning \\}, year = {1999}, note = {1337",
    "Closing early } and opening late {",
    "}}}{{{ braces only the wrong way round",
    "Nested {deep {deeper}} and one } stray",
    "@misc{evil, title = {Injected}}",
    "Math $x^{2}$ kept, math $}$ broken",
]


def _as_bibtex_reads(text: str):
    """The entries as BibTeX itself reads them: it counts every brace, escaped or not, where
    bibtexparser skips escaped ones; without backslashes both count alike."""
    library = bibtexparser.parse_string(text.replace("\\", "/"))
    assert library.failed_blocks == [], [block.error for block in library.failed_blocks]
    return library.entries


def _characters(text: str) -> str:
    """What must survive a round trip: every character but braces and spaces, in order."""
    return re.sub(r"[{}\s]", "", text)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_values_round_trip_without_writing_fields_of_their_own(hostile):
    paper = PaperFactory(
        title=hostile,
        authors=[f"Ann {hostile}", "Bo Chen"],
        abstract=hostile,
        keywords=[hostile],
        categories=[hostile],
        arxiv_id="2401.01234",
        doi=f"10.1000/{hostile.lower()}",
        published_at=datetime(2024, 1, 2, tzinfo=UTC),
    )
    text = papers_to_bibtex(Paper.objects.filter(pk=paper.pk).prefetch_related("authorships__author"))
    (entry,) = _as_bibtex_reads(text)
    fields = _fields(entry)
    assert set(fields) == {
        *("title", "author", "year", "month", "eprint", "archiveprefix", "primaryclass", "doi"),
        *("url", "keywords", "abstract"),
    }
    assert (fields["year"], fields["month"], fields["eprint"]) == ("2024", "jan", "2401.01234")
    (decoded,) = _parse(text).entries
    survived = {key: _characters(value) for key, value in _fields(decoded).items()}
    for key in ("title", "abstract", "keywords"):
        assert survived[key] == _characters(hostile), key
    # Identifiers are not LaTeX-encoded: a backslash escaping a lone brace goes with it.
    assert survived["primaryclass"] == _characters(hostile.replace("\\}", "}"))
    assert survived["author"] == _characters(f"Ann {hostile} and Bo Chen")
    assert f"doi = {{{paper.doi.replace('{', '%7B').replace('}', '%7D')}}}," in text  # as in a URL
