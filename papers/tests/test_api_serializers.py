"""The paper serializers write byte for byte what they wrote before they were made cheaper.

The reference below is papers.api's paper serializers as they were: a ModelSerializer with a
nested serializer per author, tag and source, and absolute links built by the request for each
paper. Its nested serializers are papers.api's, the ones the schema shows for the light fields
that replaced them, so a field added to one and not to the other fails here too.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from meetings.tests.factories import AgendaItemFactory, MeetingFactory
from members.tests.factories import UserFactory
from papers import selectors
from papers.api import (
    AuthorSerializer,
    OrganiserFieldsMixin,
    PaperDetailSerializer,
    PaperSerializer,
    SessionBriefSerializer,
    SourceBriefSerializer,
    TagBriefSerializer,
)
from papers.models import Paper
from papers.services import paper_vote_set
from papers.tests.factories import PaperFactory, SourceFactory, TagFactory

pytestmark = pytest.mark.django_db

ROLES = ["organiser", "suggester", "member", "anonymous"]


class ReferenceWebUrlField(serializers.Field):
    def __init__(self, **kwargs) -> None:
        super().__init__(read_only=True, source="*", **kwargs)

    def to_representation(self, obj) -> str:
        request = self.context.get("request")
        path = obj.get_absolute_url()
        return request.build_absolute_uri(path) if request is not None else path


class ReferencePaperSerializer(OrganiserFieldsMixin, serializers.ModelSerializer):
    web_url = ReferenceWebUrlField()
    modified_at = serializers.DateTimeField()
    authors = AuthorSerializer(source="authorships", many=True)
    tags = TagBriefSerializer(many=True)
    summary = serializers.CharField()
    keywords = serializers.ListField(child=serializers.CharField())
    source = SourceBriefSerializer(allow_null=True)
    url = serializers.CharField()
    pdf_url = serializers.CharField()
    code_url = serializers.CharField()
    has_voted = serializers.BooleanField()
    discussed = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=Paper.Status.choices, required=False)
    submitted_by = serializers.CharField(source="submitted_by.public_name", allow_null=True, required=False)
    search_rank = serializers.FloatField(required=False)
    metadata_state = serializers.SerializerMethodField()
    metadata_error = serializers.CharField(required=False)
    metadata_failed_at = serializers.DateTimeField(required=False, allow_null=True)
    for_you_score = serializers.FloatField(required=False)
    for_you_reason = serializers.CharField(required=False)

    organiser_fields = ("status", "submitted_by")
    suggester_fields = ("metadata_error", "metadata_failed_at")

    class Meta:
        model = Paper
        fields = [
            *("id", "title", "authors", "tags", "summary", "keywords", "published_at", "url"),
            *("pdf_url", "code_url", "arxiv_id", "doi", "vote_count", "comment_count", "has_voted"),
            *("external_votes", "discussed", "discussed_at", "source", "status", "submitted_by"),
            *("web_url", "modified_at", "metadata_state", "metadata_error", "metadata_failed_at"),
            *("search_rank", "for_you_score", "for_you_reason"),
        ]
        read_only_fields = fields

    def get_discussed(self, paper: Paper) -> bool:
        return paper.discussed_at is not None

    def get_metadata_state(self, paper: Paper) -> str:
        if not paper.metadata_pending:
            return "fetched"
        return "failed" if paper.metadata_error else "pending"

    def to_representation(self, paper: Paper) -> dict:
        data = super().to_representation(paper)
        user = getattr(self.context.get("request"), "user", None)
        suggester = user is not None and user.is_authenticated and paper.submitted_by_id == user.pk
        if not (suggester or getattr(user, "is_organiser", False)):
            for name in self.suggester_fields:
                data.pop(name, None)
        return data


class ReferencePaperDetailSerializer(ReferencePaperSerializer):
    meetings = SessionBriefSerializer(many=True)

    class Meta(ReferencePaperSerializer.Meta):
        fields = [
            *ReferencePaperSerializer.Meta.fields,
            *("abstract", "categories", "arxiv_version", "updated_at", "summary_backend", "meetings"),
        ]
        read_only_fields = fields


@pytest.fixture
def people(member, organiser) -> dict:
    return {
        "organiser": organiser,
        "suggester": UserFactory(username="suggester", display_name="Sue Suggester"),
        "member": member,
        "anonymous": AnonymousUser(),
    }


@pytest.fixture
def papers(people) -> list[Paper]:
    tags = [TagFactory(name="b topic"), TagFactory(name="a topic"), TagFactory(name="c", kind="category")]
    rich = PaperFactory(
        tags=tags,
        authors=["Zoë Second", "Ana First", "Bo Third"],
        source=SourceFactory(),
        submitted_by=people["suggester"],
        keywords=["graphs", "kernels"],
        categories=["cs.LG", "stat.ML"],
        arxiv_id="2401.01234",
        arxiv_version=2,
        doi="10.1234/abcd",
        url="https://arxiv.org/abs/2401.01234",
        pdf_url="https://arxiv.org/pdf/2401.01234",
        external_votes=7,
    )
    AgendaItemFactory(meeting=MeetingFactory(), paper=rich)
    for voter in (people["member"], people["organiser"]):
        paper_vote_set(user=voter, paper_id=rich.pk, voted=True)
    plain = PaperFactory(authors=["Lone Author"], published_at=None)
    # A suggestion whose details could not be fetched, listed by hand: its suggester and the
    # organisers see why; everyone else does not.
    failed = PaperFactory(submitted_by=people["suggester"], metadata_error="arXiv answered 500.")
    Paper.objects.filter(pk=failed.pk).update(metadata_pending=True, metadata_failed_at=rich.modified_at)
    return [rich, plain, failed]


def _request(user) -> Request:
    request = Request(APIRequestFactory().get("/api/v1/papers/"))
    request.user = user
    return request


def _rendered(serializer_class, instance, *, user, many: bool = False) -> bytes:
    context = {"request": _request(user)}
    return JSONRenderer().render(serializer_class(instance, many=many, context=context).data)


@pytest.mark.parametrize("role", ROLES)
def test_a_cold_page_is_written_as_before(people, papers, role):
    user = people[role]
    # Every paper, the failed suggestion too (the list shows it to organisers alone), loaded
    # as papers.api_cache loads the papers it misses.
    every = selectors.paper_detail_queryset(user=user, papers=Paper.objects.order_by("pk"))
    page = list(every.prefetch_related(None))
    selectors.prefetch_list_relations(page)
    written = _rendered(PaperSerializer, page, user=user, many=True)
    assert written == _rendered(ReferencePaperSerializer, page, user=user, many=True)
    assert (b'"metadata_error"' in written) is (role in ("organiser", "suggester"))
    assert (b'"submitted_by"' in written) is (role == "organiser")


@pytest.mark.parametrize("role", ROLES)
def test_a_paper_page_is_written_as_before(people, papers, role):
    user = people[role]
    for paper in papers:
        loaded = selectors.paper_detail_queryset(user=user).get(pk=paper.pk)
        written = _rendered(PaperDetailSerializer, loaded, user=user)
        assert written == _rendered(ReferencePaperDetailSerializer, loaded, user=user)


def test_a_paper_loaded_plainly_and_without_a_request_is_written_as_before(papers):
    paper = Paper.objects.get(pk=papers[0].pk)
    paper.has_voted = False
    plain = JSONRenderer().render(PaperSerializer(paper).data)
    assert plain == JSONRenderer().render(ReferencePaperSerializer(paper).data)
    assert b'"web_url":"/papers/' in plain


@pytest.mark.parametrize("role", ["organiser", "suggester", "anonymous"])
def test_the_api_list_answers_as_before(api, people, papers, role):
    user = people[role]
    client = api(None if role == "anonymous" else user)
    body = client.get("/api/v1/papers/").json()["results"]
    expected = selectors.paper_browse(user=user).filter(pk__in=[p.pk for p in papers])
    reference = ReferencePaperSerializer(expected, many=True, context={"request": _request(user)}).data
    assert JSONRenderer().render(body) == JSONRenderer().render(reference)


def test_a_search_page_with_its_ranks_is_written_as_before(api, people, papers):
    user = people["member"]
    body = api(user).get("/api/v1/papers/", {"q": papers[0].title}).json()["results"]
    assert body[0]["id"] == papers[0].pk and "search_rank" in body[0]
    by_id = {p.pk: p for p in selectors.paper_browse(user=user)}
    for row in body:
        by_id[row["id"]].search_rank = row["search_rank"]
    ordered = [by_id[row["id"]] for row in body]
    reference = ReferencePaperSerializer(ordered, many=True, context={"request": _request(user)}).data
    assert JSONRenderer().render(body) == JSONRenderer().render(reference)


def test_the_exact_json_of_a_paper_for_an_anonymous_visitor(papers):
    rich = selectors.paper_browse(user=AnonymousUser()).get(pk=papers[0].pk)
    written = PaperSerializer(rich, context={"request": _request(AnonymousUser())}).data
    assert list(written) == [
        *("id", "title", "authors", "tags", "summary", "keywords", "published_at", "url"),
        *("pdf_url", "code_url", "arxiv_id", "doi", "vote_count", "comment_count", "has_voted"),
        *("external_votes", "discussed", "discussed_at", "source", "web_url", "modified_at"),
        "metadata_state",
    ]
    assert written["authors"] == [
        {"name": "Zoë Second", "affiliation": ""},
        {"name": "Ana First", "affiliation": ""},
        {"name": "Bo Third", "affiliation": ""},
    ]
    assert written["tags"] == [
        {"slug": "a-topic", "name": "a topic", "kind": "topic"},
        {"slug": "b-topic", "name": "b topic", "kind": "topic"},
        {"slug": "c", "name": "c", "kind": "category"},
    ]
    assert written["source"] == {"id": rich.source_id, "name": rich.source.name}
    assert (written["vote_count"], written["has_voted"], written["external_votes"]) == (2, False, 7)
    assert written["web_url"] == f"http://testserver/papers/{rich.pk}/"
