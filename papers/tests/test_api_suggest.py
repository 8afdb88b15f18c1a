"""POST /api/v1/papers/: suggest a paper by arXiv id or URL, Hugging Face URL or DOI."""

from unittest import mock

import pytest

from outbox.tests.helpers import intercept
from papers import tasks
from papers.models import Paper
from papers.tests.factories import PaperFactory

LIST = "/api/v1/papers/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_metadata_fetch():
    """The metadata task would call arXiv; these tests are about the API's answers."""
    delay = mock.Mock()
    with pytest.MonkeyPatch.context() as monkeypatch:
        intercept(monkeypatch, tasks.fetch_paper_metadata, delay)
        yield delay


@pytest.mark.parametrize(
    ("reference", "arxiv_id", "doi"),
    [
        ("2401.01234", "2401.01234", ""),
        ("https://arxiv.org/abs/2401.01234v3", "2401.01234", ""),
        ("https://huggingface.co/papers/2401.01234", "2401.01234", ""),
        ("10.1234/Example.5678", "", "10.1234/example.5678"),
        ("https://doi.org/10.1234/example.5678", "", "10.1234/example.5678"),
    ],
)
def test_a_new_reference_creates_a_pending_paper_201(api, member, reference, arxiv_id, doi):
    response = api(member).post(LIST, {"reference": reference}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["arxiv_id"], body["doi"]) == (arxiv_id, doi)
    paper = Paper.objects.get(pk=body["id"])
    assert paper.status == Paper.Status.PENDING
    assert paper.submitted_by == member
    assert "status" not in body  # an organiser-only field


def test_the_suggester_can_open_the_pending_paper_others_cannot(api, member, other_member):
    paper_id = api(member).post(LIST, {"reference": "2401.01234"}, format="json").json()["id"]
    assert api(member).get(f"/api/v1/papers/{paper_id}/").status_code == 200
    assert api(other_member).get(f"/api/v1/papers/{paper_id}/").status_code == 404


def test_a_known_paper_comes_back_with_200_and_nothing_new(api, member, _no_metadata_fetch):
    known = PaperFactory(arxiv_id="2401.01234")
    response = api(member).post(LIST, {"reference": "arXiv:2401.01234v2"}, format="json")
    assert response.status_code == 200
    assert response.json()["id"] == known.pk
    assert Paper.objects.count() == 1
    _no_metadata_fetch.assert_not_called()


def test_a_paper_the_organisers_hid_is_a_409(api, member):
    PaperFactory(doi="10.1234/hidden", status=Paper.Status.HIDDEN)
    response = api(member).post(LIST, {"reference": "10.1234/hidden"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_another_members_pending_paper_answers_as_its_get_does_without_details(
    api, member, other_member, organiser
):
    theirs = PaperFactory(
        title="Their secret title",
        doi="10.1234/theirs",
        status=Paper.Status.PENDING,
        submitted_by=other_member,
    )
    response = api(member).post(LIST, {"reference": "10.1234/theirs"}, format="json")
    assert api(member).get(f"/api/v1/papers/{theirs.pk}/").status_code == 404
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This paper was suggested already and waits for an organiser to list it.",
        "code": "conflict",
        "errors": {},
    }
    # Whoever may open it gets it, as from a GET.
    for user in (other_member, organiser):
        again = api(user).post(LIST, {"reference": "10.1234/theirs"}, format="json")
        assert (again.status_code, again.json()["title"]) == (200, "Their secret title")
    assert Paper.objects.count() == 1


@pytest.mark.parametrize("reference", ["a paper about cats", "https://example.org/paper.pdf", "12345"])
def test_an_unrecognised_reference_is_a_400_listing_the_accepted_forms(api, member, reference):
    response = api(member).post(LIST, {"reference": reference}, format="json")
    assert response.status_code == 400
    message = response.json()["errors"]["reference"][0]
    assert "arXiv" in message and "Hugging Face" in message and "DOI" in message
    assert not Paper.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"reference": ""}, {"reference": "2401.\x0001234"}, {"reference": "x" * 501}, {"reference": 5}],
)
def test_missing_or_malformed_input_is_a_400(api, member, body):
    response = api(member).post(LIST, body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reference"]
    assert not Paper.objects.exists()


def test_a_body_that_is_not_json_is_a_400_or_415(api, member):
    client = api(member)
    broken = client.post(LIST, data="{not json", content_type="application/json")
    assert broken.status_code == 400
    assert broken.json()["code"] == "parse_error"
    form = client.post(LIST, data="reference=2401.01234", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415
    assert form.json()["code"] == "unsupported_media_type"


def test_anonymous_clients_cannot_suggest(api):
    response = api().post(LIST, {"reference": "2401.01234"}, format="json")
    assert response.status_code == 401
    assert not Paper.objects.exists()


def test_a_doi_with_dot_segments_is_a_400_saying_why(api, member):
    response = api(member).post(LIST, {"reference": "10.1234/../../../internal/admin"}, format="json")
    assert response.status_code == 400
    assert "segment" in response.json()["errors"]["reference"][0]
    assert not Paper.objects.exists()
