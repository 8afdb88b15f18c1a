"""Adding a paper by arXiv URL or id, Hugging Face paper URL or DOI, and filling in its metadata."""

import pytest
from django.core.exceptions import ValidationError

from outbox.tests.helpers import first_args
from papers import tasks
from papers.fetching import paper_fetch_metadata
from papers.models import Paper
from papers.services import BAD_DOI, paper_suggest
from papers.tests.conftest import fixture_bytes
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def metadata_queue(monkeypatch):
    return first_args(monkeypatch, tasks.fetch_paper_metadata)


@pytest.mark.parametrize(
    ("reference", "arxiv_id", "version"),
    [
        ("https://arxiv.org/abs/2403.01234v2", "2403.01234", 2),
        ("https://arxiv.org/pdf/2403.01234", "2403.01234", None),
        ("arXiv:2403.01234", "2403.01234", None),
        ("2403.01234", "2403.01234", None),
        ("https://huggingface.co/papers/2403.01234", "2403.01234", None),
        ("hep-th/9901001", "hep-th/9901001", None),
        ("https://doi.org/10.48550/arXiv.2403.01234", "2403.01234", None),
    ],
)
def test_it_adds_an_arxiv_paper_at_once_and_queues_its_metadata(
    member, metadata_queue, reference, arxiv_id, version
):
    paper, created = paper_suggest(user=member, reference=reference)
    assert created and paper.pk
    assert (paper.arxiv_id, paper.arxiv_version, paper.status) == (arxiv_id, version, "pending")
    assert paper.submitted_by == member and paper.title == f"arXiv:{arxiv_id}"
    assert paper.url == f"https://arxiv.org/abs/{arxiv_id}"
    assert metadata_queue == [paper.pk]


@pytest.mark.parametrize(
    "reference",
    ["10.5555/Journal.OT.77", "doi:10.5555/journal.ot.77", "https://doi.org/10.5555/JOURNAL.OT.77"],
)
def test_it_adds_a_paper_by_doi(member, metadata_queue, reference):
    paper, created = paper_suggest(user=member, reference=reference)
    assert created
    assert (paper.doi, paper.url, paper.arxiv_id) == (
        "10.5555/journal.ot.77",
        "https://doi.org/10.5555/journal.ot.77",
        "",
    )


def test_a_paper_the_site_has_comes_back_unchanged(member, other_member, metadata_queue):
    first, _ = paper_suggest(user=member, reference="https://arxiv.org/abs/2403.01234v1")
    again, created = paper_suggest(user=other_member, reference="https://huggingface.co/papers/2403.01234")
    assert (again, created) == (first, False)
    existing = PaperFactory(doi="10.5555/known")
    assert paper_suggest(user=member, reference="https://doi.org/10.5555/KNOWN") == (existing, False)
    assert Paper.objects.count() == 2 and metadata_queue == [first.pk]


@pytest.mark.parametrize(
    "reference",
    [
        "",
        "   ",
        "banana",
        "https://example.org/paper.pdf",
        "2413.00001",
        "https://arxiv.org/list/cs.LG/new",
        None,
    ],
)
def test_anything_else_is_refused_naming_the_accepted_forms(member, metadata_queue, reference):
    with pytest.raises(ValidationError) as caught:
        paper_suggest(user=member, reference=reference)
    message = " ".join(caught.value.message_dict["reference"])
    assert "arXiv URL or id" in message and "Hugging Face paper URL" in message and "DOI" in message
    assert not Paper.objects.exists() and metadata_queue == []


def test_the_metadata_task_fills_in_an_arxiv_paper_and_lists_it(
    member, httpserver, settings, queued, metadata_queue
):
    settings.ARXIV_API_URL = httpserver.url_for("/api/query")
    httpserver.expect_request(
        "/api/query", query_string={"id_list": "2403.01234", "max_results": "1"}
    ).respond_with_data(fixture_bytes("arxiv_page1.xml"))
    paper, _ = paper_suggest(user=member, reference="2403.01234")
    assert tasks.fetch_paper_metadata.delay(paper.pk).get() is True
    paper.refresh_from_db()
    assert paper.title.startswith("Sparse Routers") and paper.abstract.startswith("We describe")
    assert (paper.arxiv_version, paper.status, paper.submitted_by) == (2, "listed", member)
    assert list(paper.authorships.values_list("author__name", flat=True)) == [
        "Zoë Ångström",
        "José Müller",
        "Wei Chen",
    ]
    assert paper.categories == ["cs.LG", "cs.CL", "stat.ML"]
    assert queued == [paper.pk]
    assert Paper.objects.count() == 1  # the other entry on the page is not this paper's business


def test_the_metadata_task_fills_in_a_doi_from_crossref(member, httpserver, settings, queued, metadata_queue):
    settings.CROSSREF_API_URL = httpserver.url_for("/works")
    httpserver.expect_request("/works/10.5555/journal.ot.77").respond_with_data(
        fixture_bytes("crossref_work.json")
    )
    paper, _ = paper_suggest(user=member, reference="doi:10.5555/journal.ot.77")
    assert paper_fetch_metadata(paper_id=paper.pk) is True
    paper.refresh_from_db()
    assert (paper.title, paper.status) == ("A Journal Paper on Optimal Transport", "listed")
    assert paper.authorships.get(position=0).affiliation == "Example University"


def test_an_id_arxiv_does_not_know_leaves_the_paper_pending(member, httpserver, settings, metadata_queue):
    settings.ARXIV_API_URL = httpserver.url_for("/api/query")
    httpserver.expect_request("/api/query").respond_with_data(fixture_bytes("arxiv_empty.xml"))
    paper, _ = paper_suggest(user=member, reference="2403.09999")
    assert tasks.fetch_paper_metadata.delay(paper.pk).get() is False
    paper.refresh_from_db()
    assert (paper.title, paper.status) == ("arXiv:2403.09999", "pending")


def test_a_permanent_metadata_failure_is_not_retried(member, httpserver, settings, metadata_queue):
    settings.CROSSREF_API_URL = httpserver.url_for("/works")
    httpserver.expect_request("/works/10.5555/missing").respond_with_data("not found", status=404)
    paper, _ = paper_suggest(user=member, reference="10.5555/missing")
    assert tasks.fetch_paper_metadata.delay(paper.pk).get() is False
    assert len(httpserver.log) == 1
    assert Paper.objects.get(pk=paper.pk).status == "pending"


@pytest.mark.parametrize(
    "reference",
    ["10.1234/../../../internal/admin", "https://doi.org/10.1234/%2E%2E/admin", "doi:10.1234/a\x00b"],
)
def test_a_doi_with_dot_segments_or_unprintable_characters_is_refused_saying_why(
    member, metadata_queue, reference
):
    with pytest.raises(ValidationError) as caught:
        paper_suggest(user=member, reference=reference)
    assert caught.value.message_dict["reference"] == [BAD_DOI]
    assert not Paper.objects.exists() and metadata_queue == []


def test_a_stored_doi_with_dot_segments_is_never_requested(member, httpserver, settings, metadata_queue):
    """A DOI saved before normalisation refused "..": the lookup refuses it too, sending nothing."""
    settings.CROSSREF_API_URL = httpserver.url_for("/works")
    httpserver.expect_request("/internal/admin").respond_with_data("secret")
    paper = PaperFactory(doi="10.1234/../../internal/admin", status=Paper.Status.PENDING)
    assert tasks.fetch_paper_metadata.delay(paper.pk).get() is False
    assert httpserver.log == []
    assert Paper.objects.get(pk=paper.pk).status == "pending"


def test_a_doi_lookup_encodes_each_segment_of_the_doi(member, httpserver, settings, metadata_queue):
    settings.CROSSREF_API_URL = httpserver.url_for("/works")
    httpserver.expect_request("/works/10.5555/a?b#c%d/e").respond_with_data(
        fixture_bytes("crossref_work.json")
    )
    paper, _ = paper_suggest(user=member, reference="10.5555/a?b#c%d/e")
    assert paper_fetch_metadata(paper_id=paper.pk) is True
    assert [entry[0].environ["REQUEST_URI"] for entry in httpserver.log] == ["/works/10.5555/a%3Fb%23c%25d/e"]


def test_a_doi_lookup_does_not_follow_a_redirect_to_another_host(
    member, httpserver, settings, metadata_queue
):
    settings.CROSSREF_API_URL = httpserver.url_for("/works")
    other_name = "127.0.0.1" if httpserver.host == "localhost" else "localhost"  # the same server
    elsewhere = f"http://{other_name}:{httpserver.port}/internal/admin"
    httpserver.expect_request("/works/10.5555/moved").respond_with_data(
        "", status=302, headers={"Location": elsewhere}
    )
    httpserver.expect_request("/internal/admin").respond_with_data("secret")
    paper, _ = paper_suggest(user=member, reference="10.5555/moved")
    assert tasks.fetch_paper_metadata.delay(paper.pk).get() is False
    assert [entry[0].path for entry in httpserver.log] == ["/works/10.5555/moved"]
    assert Paper.objects.get(pk=paper.pk).status == "pending"
