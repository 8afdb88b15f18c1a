"""Papers, votes, suggestions and tags in the REST API (routes in readinggroup/api.py)."""

import json

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from papers import page_sql, services
from papers.filters import DEFAULT_ORDERING, PaperFilter
from papers.models import Paper, Tag
from papers.selectors import ORDERINGS, paper_browse, paper_detail_queryset, tag_counts
from readinggroup.rest.conditional import Validators, answer_unchanged_quickly
from readinggroup.rest.errors import Conflict, service_errors
from readinggroup.rest.pagination import KeysetPagination, typed_cursor_values
from readinggroup.rest.permissions import is_organiser

BIGINT = 2**63 - 1

# --- Serializers ----------------------------------------------------------------------------------


def _describing_schema(context: dict) -> bool:
    """drf-spectacular builds serializers with a fake view: the schema shows every field."""
    return getattr(context.get("view"), "swagger_fake_view", False)


class OrganiserFieldsMixin:
    """Fields listed in `organiser_fields` are left out of responses to everyone else."""

    organiser_fields: tuple[str, ...] = ()

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if _describing_schema(self.context):
            return fields
        if request is not None and not is_organiser(request.user):
            for name in self.organiser_fields:
                fields.pop(name, None)
        return fields


class AuthorSerializer(serializers.Serializer):
    name = serializers.CharField(source="author.name")
    affiliation = serializers.CharField()


class TagBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["slug", "name", "kind"]


class SourceBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PaperSerializer(OrganiserFieldsMixin, serializers.ModelSerializer):
    """A paper in a list. Link fields are empty strings when unknown."""

    authors = AuthorSerializer(source="authorships", many=True, help_text="In the paper's order.")
    tags = TagBriefSerializer(many=True)
    summary = serializers.CharField(help_text="The TL;DR: a short summary of the paper.")
    keywords = serializers.ListField(child=serializers.CharField())
    source = SourceBriefSerializer(allow_null=True, help_text="Where the paper was collected from.")
    url = serializers.CharField(help_text="The paper's page (e.g. its arXiv abstract); may be empty.")
    pdf_url = serializers.CharField(help_text="The PDF; may be empty.")
    code_url = serializers.CharField(help_text="Code for the paper; may be empty.")
    has_voted = serializers.BooleanField(help_text="Whether I voted for it (false when anonymous).")
    discussed = serializers.SerializerMethodField(help_text="Discussed at a session already.")
    status = serializers.ChoiceField(
        choices=Paper.Status.choices, required=False, help_text="Organisers only."
    )
    submitted_by = serializers.CharField(
        source="submitted_by.public_name",
        allow_null=True,
        required=False,
        help_text="Organisers only: who suggested it (their public name).",
    )

    search_rank = serializers.FloatField(
        read_only=True,
        help_text="Only when searching (`q`): how well the paper matches, higher first; the list is "
        "in this order unless `ordering` is given (papers.search, docs/search.md).",
    )

    organiser_fields = ("status", "submitted_by")

    class Meta:
        model = Paper
        fields = [
            "id",
            "title",
            "authors",
            "tags",
            "summary",
            "keywords",
            "published_at",
            "url",
            "pdf_url",
            "code_url",
            "arxiv_id",
            "doi",
            "vote_count",
            "has_voted",
            "external_votes",
            "discussed",
            "discussed_at",
            "source",
            "status",
            "submitted_by",
            "search_rank",
        ]
        read_only_fields = fields

    def get_discussed(self, paper: Paper) -> bool:
        return paper.discussed_at is not None

    def to_representation(self, paper: Paper) -> dict:
        """Written out by hand: a page holds 20 papers, and DRF's field-by-field machinery
        (nested serializers for each author and tag) cost more than the query. Authors and
        tags arrive as JSON from papers.selectors.with_json_relations. Equal to DRF's own
        output for the declared fields (papers/tests/test_api_performance.py checks)."""
        if not hasattr(paper, "authors_json"):
            return super().to_representation(paper)
        data = {
            "id": paper.pk,
            "title": paper.title,
            "authors": json.loads(paper.authors_json),
            "tags": json.loads(paper.tags_json),
            "summary": paper.summary,
            "keywords": [str(word) for word in paper.keywords],
            "published_at": _DATETIME.to_representation(paper.published_at),
            "url": paper.url,
            "pdf_url": paper.pdf_url,
            "code_url": paper.code_url,
            "arxiv_id": paper.arxiv_id,
            "doi": paper.doi,
            "vote_count": paper.vote_count,
            "has_voted": bool(paper.has_voted),
            "external_votes": paper.external_votes,
            "discussed": paper.discussed_at is not None,
            "discussed_at": _DATETIME.to_representation(paper.discussed_at),
            "source": {"id": paper.source.pk, "name": paper.source.name} if paper.source_id else None,
        }
        if self._shows_organiser_fields():
            data["status"] = paper.status
            data["submitted_by"] = paper.submitted_by.public_name if paper.submitted_by_id else None
        if hasattr(paper, "search_rank"):
            data["search_rank"] = paper.search_rank
        return data

    def _shows_organiser_fields(self) -> bool:
        if not hasattr(self, "_organiser_view"):
            request = self.context.get("request")
            self._organiser_view = (
                _describing_schema(self.context) or request is None or is_organiser(request.user)
            )
        return self._organiser_view


_DATETIME = serializers.DateTimeField()


class SessionBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    status = serializers.CharField()


class PaperDetailSerializer(PaperSerializer):
    """A paper with its abstract and the sessions where it is discussed."""

    meetings = SessionBriefSerializer(many=True, help_text="Sessions where it is (or was) discussed.")

    class Meta(PaperSerializer.Meta):
        fields = [
            *PaperSerializer.Meta.fields,
            "abstract",
            "categories",
            "arxiv_version",
            "updated_at",
            "summary_backend",
            "meetings",
        ]
        read_only_fields = fields

    def to_representation(self, paper: Paper) -> dict:
        if not hasattr(paper, "authors_json"):
            return super().to_representation(paper)
        data = super().to_representation(paper)
        data.update(
            abstract=paper.abstract,
            categories=paper.categories,
            arxiv_version=paper.arxiv_version,
            updated_at=_DATETIME.to_representation(paper.updated_at),
            summary_backend=paper.summary_backend,
            meetings=[
                {
                    "id": m.pk,
                    "title": m.title,
                    "starts_at": _DATETIME.to_representation(m.starts_at),
                    "status": m.status,
                }
                for m in paper.meetings.all()
            ],
        )
        return data


class SuggestInputSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=500, help_text=services.SUGGEST_FORMS)


class VoteStateSerializer(serializers.Serializer):
    paper_id = serializers.IntegerField()
    vote_count = serializers.IntegerField(help_text="The paper's votes after this request.")
    voted = serializers.BooleanField(help_text="Whether I vote for it now.")


class TagSerializer(serializers.ModelSerializer):
    paper_count = serializers.IntegerField(help_text="Listed papers with this tag.")

    class Meta:
        model = Tag
        fields = ["slug", "name", "kind", "paper_count"]


# --- Conditional GET ------------------------------------------------------------------------------


def paper_version(paper: Paper, *, organiser: bool) -> list:
    """Everything a response shows of a paper that its modified_at does not cover
    (authors and tags as the JSON text the database built, see with_json_relations)."""
    return [
        paper.pk,
        paper.modified_at,
        paper.vote_count,
        paper.has_voted,
        paper.discussed_at,
        paper.status,
        paper.source.name if paper.source_id else None,
        paper.submitted_by.public_name if organiser and paper.submitted_by_id else None,
        paper.tags_json,
        paper.authors_json,
    ]


# --- Views ----------------------------------------------------------------------------------------


def _answer_with_validators(request: Request, body: str) -> HttpResponse:
    """JSON that PostgreSQL wrote, with its ETag and Last-Modified, or a 304 when the client has it.
    The body is all the answer shows (links and papers, or the paper): its ETag hashes it."""
    validators = Validators(request, body)
    if unchanged := validators.not_modified():
        return unchanged
    return validators.apply(HttpResponse(body, content_type="application/json"))


def _paper_id(pk: str) -> int:
    paper_id = int(pk)
    if paper_id > BIGINT:
        raise exceptions.NotFound()
    return paper_id


@extend_schema_view(
    list=extend_schema(
        operation_id="papers_list",
        summary="List papers",
        description="Listed papers, filtered and ordered; one page at a time (follow `next`).",
    ),
    retrieve=extend_schema(operation_id="papers_retrieve", summary="A paper"),
)
class PaperViewSet(viewsets.GenericViewSet):
    filterset_class = PaperFilter
    pagination_class = KeysetPagination
    lookup_value_regex = r"[0-9]+"
    conditional_actions = ("list", "retrieve")
    schema_extra_errors = {"create": ["409"]}

    def get_queryset(self) -> QuerySet:
        if self.action == "retrieve":
            return paper_detail_queryset(user=self.request.user)
        return paper_browse(user=self.request.user)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # Filters and ordering are the list's; a paper's page shows any paper one may open.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_serializer_class(self):
        if self.action == "list":
            return PaperSerializer
        return PaperDetailSerializer

    @answer_unchanged_quickly
    def list(self, request: Request) -> Response:
        organiser = is_organiser(request.user)
        if page_sql.applies(request, organiser=organiser):
            return self._plain_list(request)
        papers = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        links = [self.paginator.get_next_link(), self.paginator.get_previous_link()]
        validators = Validators(request, [links, *(paper_version(p, organiser=organiser) for p in papers)])
        if unchanged := validators.not_modified():
            return unchanged
        data = self.get_serializer(papers, many=True).data
        return validators.respond(self.paginator.get_paginated_data(data))

    def _plain_list(self, request: Request) -> HttpResponse:
        """An unfiltered page in one of the orders, its JSON built by PostgreSQL (papers.page_sql):
        the same body as the general path, for a third of the CPU."""
        order = request.query_params.get("ordering") or DEFAULT_ORDERING
        ordering = list(ORDERINGS[order])
        paginator = self.paginator
        after = paginator.start(request, ordering)
        if after is not None:
            after = typed_cursor_values(Paper, ordering, after)
        rows = page_sql.listed_page(
            order, user=request.user, after=after, reverse=paginator.reverse, limit=paginator.page_size + 1
        )
        rows = paginator.finish(rows)
        body = page_sql.page_body([paginator.get_next_link(), paginator.get_previous_link()], rows)
        return _answer_with_validators(request, body)

    def _plain_detail(self, request: Request, pk: str) -> HttpResponse:
        """The paper's detail, its JSON built by PostgreSQL (papers.page_sql), as the serializer writes it."""
        body = page_sql.paper_json(_paper_id(pk), user=request.user)
        if body is None:
            raise exceptions.NotFound()
        return _answer_with_validators(request, body)

    @answer_unchanged_quickly
    def retrieve(self, request: Request, pk: str) -> Response:
        organiser = is_organiser(request.user)
        if page_sql.applies(request, organiser=organiser, detail=True):
            return self._plain_detail(request, pk)
        paper = self.get_object()
        sessions = [(m.pk, m.title, m.starts_at, m.status) for m in paper.meetings.all()]
        version = paper_version(paper, organiser=organiser)
        validators = Validators(request, [version, paper.modified_at, sessions])
        if unchanged := validators.not_modified():
            return unchanged
        return validators.respond(self.get_serializer(paper).data)

    @extend_schema(
        operation_id="papers_suggest",
        summary="Suggest a paper",
        description=(
            "Add a paper by reference. " + services.SUGGEST_FORMS + " A new paper waits (pending) "
            "while its details are fetched. Anything else is a 400 that says which forms are "
            "accepted; a paper the organisers hid is a 409."
        ),
        request=SuggestInputSerializer,
        examples=[
            OpenApiExample("arXiv id", value={"reference": "2401.01234"}, request_only=True),
            OpenApiExample(
                "Hugging Face",
                value={"reference": "https://huggingface.co/papers/2401.01234"},
                request_only=True,
            ),
            OpenApiExample("DOI", value={"reference": "10.1234/abcd"}, request_only=True),
        ],
        responses={
            201: OpenApiResponse(PaperDetailSerializer, description="A new paper, pending."),
            200: OpenApiResponse(PaperDetailSerializer, description="The paper was here already."),
        },
    )
    def create(self, request: Request) -> Response:
        data = SuggestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with service_errors(conflict=True):
            paper, created = services.paper_suggest(
                user=request.user, reference=data.validated_data["reference"]
            )
        if paper.status == Paper.Status.HIDDEN:
            raise Conflict("This paper is on the site already, but the organisers hid it.")
        # The suggester sees what they asked for, pending or not.
        paper = paper_detail_queryset(user=request.user, papers=Paper.objects.all()).get(pk=paper.pk)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.get_serializer(paper).data, status=code)

    @extend_schema(
        methods=["PUT"],
        operation_id="papers_vote_set",
        summary="Vote for a paper (idempotent)",
        request=None,
        responses={200: VoteStateSerializer},
    )
    @extend_schema(
        methods=["DELETE"],
        operation_id="papers_vote_remove",
        summary="Take my vote back (idempotent)",
        request=None,
        responses={200: VoteStateSerializer},
    )
    @action(
        detail=True, methods=["put", "delete"], url_path="vote", pagination_class=None, filterset_class=None
    )
    def vote(self, request: Request, pk: str) -> Response:
        try:
            state = services.paper_vote_set(
                user=request.user, paper_id=_paper_id(pk), voted=request.method == "PUT"
            )
        except Paper.DoesNotExist:
            raise exceptions.NotFound("No listed paper with this id.") from None
        except DjangoPermissionDenied as error:  # the account was deleted meanwhile
            raise exceptions.PermissionDenied(str(error)) from None
        return Response(VoteStateSerializer(state).data)


@extend_schema_view(
    list=extend_schema(operation_id="tags_list", summary="Tags with their number of listed papers"),
)
class TagViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TagSerializer
    pagination_class = KeysetPagination
    filterset_fields = ["kind"]

    def get_queryset(self) -> QuerySet:
        return tag_counts()
