"""paper_upsert: one row per paper, whatever the source or version."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers.ingest import BATCH_SIZE, _Batch, paper_upsert
from papers.models import Author, Paper, PaperAuthor, Tag
from papers.normalise import title_key
from papers.sources import arxiv, arxiv_rss, feed, hf_daily
from papers.sources.records import AuthorRecord, PaperRecord
from papers.tests.conftest import fixture_bytes
from papers.tests.factories import PaperFactory, SourceFactory
from papers.trending import trending_score

pytestmark = pytest.mark.django_db


def arxiv_records(name="arxiv_page1.xml"):
    return arxiv.parse(fixture_bytes(name)).records


def rows():
    return sorted(Paper.objects.values_list("arxiv_id", "arxiv_version", "doi", "title"))


def test_it_creates_papers_with_ordered_authors_affiliations_and_category_tags(queued):
    source = SourceFactory(auto_list=True)
    counts = paper_upsert(records=arxiv_records(), source=source)
    assert (counts.new, counts.updated, counts.unchanged, counts.failed) == (2, 0, 0, 0)
    paper = Paper.objects.get(arxiv_id="2403.01234")
    assert (paper.arxiv_version, paper.doi, paper.status, paper.source) == (
        2,
        "10.5555/fixture.router.2024",
        "listed",
        source,
    )
    authorships = list(paper.authorships.select_related("author").order_by("position"))
    assert [(a.author.name, a.affiliation) for a in authorships] == [
        ("Zoë Ångström", "University of Exampleton; Sample Institute"),
        ("José Müller", ""),
        ("Wei Chen", "Placeholder Labs"),
    ]
    assert paper.categories == ["cs.LG", "cs.CL", "stat.ML"]
    assert sorted(paper.tags.values_list("slug", "kind")) == [
        ("cs-cl", "category"),
        ("cs-lg", "category"),
        ("stat-ml", "category"),
    ]
    # The bulk path sets what Paper.save() would.
    assert paper.title_key == title_key(paper.title)
    assert paper.trending_score == pytest.approx(trending_score(vote_count=0, created_at=paper.created_at))
    assert sorted(queued) == sorted(Paper.objects.values_list("pk", flat=True))


def test_new_papers_wait_for_an_organiser_when_the_source_does_not_auto_list(queued):
    paper_upsert(records=arxiv_records(), source=SourceFactory(auto_list=False))
    assert set(Paper.objects.values_list("status", flat=True)) == {"pending"}


def test_the_same_fetch_twice_gives_the_same_rows(queued):
    source = SourceFactory()
    paper_upsert(records=arxiv_records(), source=source)
    before = (rows(), PaperAuthor.objects.count(), Author.objects.count(), Tag.objects.count())
    queued.clear()
    counts = paper_upsert(records=arxiv_records(), source=source)
    assert (counts.new, counts.updated, counts.unchanged) == (0, 0, 2)
    assert (rows(), PaperAuthor.objects.count(), Author.objects.count(), Tag.objects.count()) == before
    assert queued == []


def test_a_replacement_updates_the_row_keeps_affiliations_and_resummarises(queued):
    paper_upsert(records=arxiv_records(), source=SourceFactory())
    paper = Paper.objects.get(arxiv_id="2403.01234")
    queued.clear()
    replacement = [
        r for r in arxiv_rss.parse(fixture_bytes("arxiv_rss.xml")).records if r.announce_type == "replace"
    ]
    counts = paper_upsert(records=replacement, source=SourceFactory())
    assert (counts.new, counts.updated) == (0, 1)
    assert Paper.objects.filter(arxiv_id="2403.01234").count() == 1
    paper.refresh_from_db()
    assert paper.arxiv_version == 3
    assert paper.abstract.endswith("A new section covers vision models.")
    assert paper.authorships.get(position=0).affiliation == "University of Exampleton; Sample Institute"
    assert queued == [paper.pk]


def test_an_older_version_never_overwrites_a_newer_one(queued):
    paper_upsert(records=arxiv_records(), source=SourceFactory())
    older = PaperRecord(
        title="An Older Title of the Router Paper", abstract="Old.", arxiv_id="2403.01234", arxiv_version=1
    )
    counts = paper_upsert(records=[older], source=None)
    paper = Paper.objects.get(arxiv_id="2403.01234")
    assert counts.unchanged == 1 and paper.arxiv_version == 2 and paper.title.startswith("Sparse Routers")


def test_a_thin_source_fills_blanks_but_never_overwrites(queued):
    paper_upsert(records=arxiv_records(), source=SourceFactory())
    hf = hf_daily.parse(fixture_bytes("hf_daily.json")).records
    counts = paper_upsert(records=hf, source=SourceFactory())
    router = Paper.objects.get(arxiv_id="2403.01234")
    assert router.external_votes == 7
    assert router.abstract.startswith("We describe a router") and router.abstract.endswith(
        "a third of the compute."
    )
    assert router.authorships.count() == 3
    assert (counts.new, counts.updated) == (3, 1)


def test_hugging_face_refetches_update_votes_without_duplicating(queued):
    source = SourceFactory()
    paper_upsert(records=hf_daily.parse(fixture_bytes("hf_daily.json")).records, source=source)
    later = hf_daily.parse(fixture_bytes("hf_daily.json").replace(b'"upvotes": 42', b'"upvotes": 57')).records
    counts = paper_upsert(records=later, source=source)
    assert (counts.new, counts.updated, counts.unchanged) == (0, 1, 3)
    assert Paper.objects.get(arxiv_id="2403.03001").external_votes == 57
    assert Paper.objects.count() == 4


def test_it_matches_on_doi_then_on_the_title_key(queued):
    journal = PaperFactory(title="A Journal Paper on Optimal Transport", doi="10.5555/journal.ot.77")
    preprint = PaperFactory(title="Curriculum Sampling for Small Language Models!")
    counts = paper_upsert(records=feed.parse(fixture_bytes("feed.rss")).records, source=SourceFactory())
    # The knots paper is new; the preprint gains its arXiv id, the journal paper its missing link.
    assert (counts.new, counts.updated) == (1, 2)
    preprint.refresh_from_db()
    assert (preprint.arxiv_id, preprint.arxiv_version) == ("2403.02001", 1)
    journal.refresh_from_db()
    assert Paper.objects.filter(doi="10.5555/journal.ot.77").get() == journal
    assert journal.url == "https://journal.example.org/articles/77"
    assert journal.abstract == PaperFactory.abstract  # not overwritten by the feed's blurb


def test_short_titles_and_conflicting_ids_never_match_by_title(queued):
    PaperFactory(title="Introduction")
    PaperFactory(title="A Long Enough Title About Graphs", arxiv_id="2301.00001")
    records = [
        PaperRecord(title="Introduction", doi="10.5555/intro"),
        PaperRecord(title="A Long Enough Title About Graphs", arxiv_id="2301.00002"),
    ]
    assert paper_upsert(records=records, source=None).new == 2
    assert Paper.objects.count() == 4


def test_a_hidden_paper_stays_hidden(queued):
    PaperFactory(arxiv_id="2403.01234", arxiv_version=1, status="hidden")
    paper_upsert(records=arxiv_records(), source=SourceFactory(auto_list=True))
    assert Paper.objects.get(arxiv_id="2403.01234").status == "hidden"


def test_records_of_one_paper_in_one_fetch_become_one_row(queued):
    records = [
        PaperRecord(title="Same Paper Seen Twice in One Feed", arxiv_id="2402.00001", arxiv_version=1),
        PaperRecord(
            title="Same Paper Seen Twice in One Feed",
            arxiv_id="arXiv:2402.00001v2",
            abstract="Newer.",
            authors=[AuthorRecord("Ada Example"), AuthorRecord("Ada Example"), AuthorRecord("Ben Sample")],
        ),
    ]
    counts = paper_upsert(records=records, source=None)
    paper = Paper.objects.get()
    assert counts.new == 1 and (paper.arxiv_version, paper.abstract) == (2, "Newer.")
    assert list(paper.authorships.values_list("author__name", flat=True)) == ["Ada Example", "Ben Sample"]


def test_records_without_a_title_are_counted_as_failed(queued):
    counts = paper_upsert(records=[PaperRecord(title="  ", arxiv_id="2402.00001")], source=None)
    assert counts.failed == 1 and not Paper.objects.exists()


def test_values_that_do_not_fit_are_cleaned(queued):
    record = PaperRecord(
        title="T" * 2000,
        arxiv_id="2402.00009",
        arxiv_version=99999,
        url="javascript:alert(1)",
        published_at=datetime(2024, 1, 1, tzinfo=UTC),
        authors=[AuthorRecord("N" * 400, "A" * 900)],
    )
    paper_upsert(records=[record], source=None)
    paper = Paper.objects.get()
    assert (len(paper.title), paper.arxiv_version, paper.url) == (1000, None, "")
    assert len(paper.authorships.get().affiliation) == 500


def test_the_number_of_queries_does_not_grow_with_the_number_of_papers(django_assert_max_num_queries, queued):
    def records(offset):
        return [
            PaperRecord(
                title=f"Synthetic paper number {offset + i} on topic",
                arxiv_id=f"2401.{offset + i:05d}",
                arxiv_version=1,
                authors=[AuthorRecord(f"Author {i}"), AuthorRecord("Shared Author")],
                categories=["cs.LG", "stat.ML"],
            )
            for i in range(100)
        ]

    with django_assert_max_num_queries(14):
        paper_upsert(records=records(0), source=None)
    with django_assert_max_num_queries(14):
        paper_upsert(records=records(0) + records(100), source=None)
    assert Paper.objects.count() == 200


@pytest.mark.postgres
def test_a_full_batch_finds_known_papers_through_the_unique_indexes():
    """500 ids in one IN list: PostgreSQL must still see that the partial unique indexes apply
    (a full-table scan cost 300 ms a batch at a million papers)."""
    records = [
        PaperRecord(title=f"Paper number {n}", arxiv_id=f"2401.{n:05d}", doi=f"10.5555/{n}")
        for n in range(BATCH_SIZE)
    ]
    with CaptureQueriesContext(connection) as queries:
        _Batch(records, source=None, overwrite=False)._find(records)
    (lookup,) = [q["sql"] for q in queries.captured_queries]
    with connection.cursor() as cursor:
        # A tiny test table would be read whole anyway: leave only bitmap index scans to choose.
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + lookup)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "papers_paper_arxiv_id_unique" in plan and "papers_paper_doi_unique" in plan, plan
    assert "Seq Scan" not in plan, plan
