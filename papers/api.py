"""Papers, votes, suggestions and tags in the REST API (routes in readinggroup/api_urls.py)."""

from functools import cache, cached_property

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from papers import services
from papers.api_cache import papers_json
from papers.filters import PaperFilter
from papers.models import Paper, PaperTombstone, Tag
from papers.selectors import (
    paper_browse,
    paper_detail_queryset,
    paper_related,
    paper_tombstones,
    paper_visible,
    tag_counts,
)
from papers.topics import followed_topic_ids, topic_follow_set
from readinggroup.rest.conditional import Validators
from readinggroup.rest.errors import Conflict, service_errors
from readinggroup.rest.fields import WebUrlField
from readinggroup.rest.pagination import KeysetPagination
from readinggroup.rest.query import KnownQueryParameters, UtcIsoDateTimeFilter
from readinggroup.rest.throttles import SUGGEST_LIMITED, SuggestThrottle, seconds_to_wait

BIGINT = 2**63 - 1
METADATA_STATES = ["fetched", "pending", "failed"]

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
        if request is not None and not getattr(request.user, "is_organiser", False):
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


# A paper's authors, tags and source, written as the serializers above write them (the schema
# shows those serializers) without a serializer for each: a page of 20 papers made about 100,
# each with DRF's work per field (docs/performance.md, "A cold page's serializers").
# papers/tests/test_api_serializers.py compares the answers with those serializers'.


@extend_schema_field(AuthorSerializer(many=True))
class AuthorsField(serializers.Field):
    def to_representation(self, authorships) -> list[dict]:
        return [{"name": a.author.name, "affiliation": a.affiliation} for a in authorships.all()]


@extend_schema_field(TagBriefSerializer(many=True))
class TagsBriefField(serializers.Field):
    def to_representation(self, tags) -> list[dict]:
        return [{"slug": tag.slug, "name": tag.name, "kind": tag.kind} for tag in tags.all()]


@extend_schema_field(SourceBriefSerializer)
class SourceBriefField(serializers.Field):
    def to_representation(self, source) -> dict:  # a paper without one is null: DRF skips this
        return {"id": source.id, "name": source.name}


def _paper_help(name: str) -> str:
    return Paper._meta.get_field(name).help_text


# A plain Serializer, its fields declared in the answer's order: as a ModelSerializer it built
# them from the model again for each page, a quarter of a cold page's serializing.
class PaperSerializer(OrganiserFieldsMixin, serializers.Serializer):
    """A paper in a list. Link fields are empty strings when unknown."""

    id = serializers.BigIntegerField(label="ID", read_only=True)
    title = serializers.CharField(read_only=True)
    authors = AuthorsField(source="authorships", help_text="In the paper's order.")
    tags = TagsBriefField()
    summary = serializers.CharField(help_text="The TL;DR: a short summary of the paper.")
    keywords = serializers.ListField(child=serializers.CharField())
    published_at = serializers.DateTimeField(allow_null=True, read_only=True)
    url = serializers.CharField(help_text="The paper's page (e.g. its arXiv abstract); may be empty.")
    pdf_url = serializers.CharField(help_text="The PDF; may be empty.")
    code_url = serializers.CharField(help_text="Code for the paper; may be empty.")
    arxiv_id = serializers.CharField(label="ArXiv id", read_only=True)
    doi = serializers.CharField(label="DOI", read_only=True)
    vote_count = serializers.IntegerField(read_only=True)
    comment_count = serializers.IntegerField(read_only=True)
    has_voted = serializers.BooleanField(help_text="Whether I voted for it (false when anonymous).")
    external_votes = serializers.IntegerField(help_text=_paper_help("external_votes"), read_only=True)
    discussed = serializers.SerializerMethodField(help_text="Discussed at a session already.")
    discussed_at = serializers.DateTimeField(allow_null=True, read_only=True)
    source = SourceBriefField(allow_null=True, help_text="Where the paper was collected from.")
    status = serializers.ChoiceField(
        choices=Paper.Status.choices, required=False, help_text="Organisers only."
    )
    submitted_by = serializers.CharField(
        source="submitted_by.public_name",
        allow_null=True,
        required=False,
        help_text="Organisers only: who suggested it (their public name).",
    )
    web_url = WebUrlField()
    modified_at = serializers.DateTimeField(
        help_text=(
            "When anything shown of the paper changed here (votes, tags, TL;DR, status): what "
            "?updated_since= compares. Not updated_at, which is arXiv's date of its latest version."
        )
    )

    metadata_state = serializers.SerializerMethodField(
        help_text=(
            "Whether the paper's details (title, authors, date) are in: `fetched`; `pending` for a "
            "suggestion whose details are on the way; `failed` when fetching them gave up (its "
            "suggester can try again on the web page)."
        )
    )
    metadata_error = serializers.CharField(
        required=False,
        help_text="Only for its suggester and organisers, when metadata_state is failed: why.",
    )
    metadata_failed_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="Only for its suggester and organisers: when fetching the details gave up.",
    )

    # Not read-only, but not required: the schema then marks it optional, as it is (sessions'
    # members-only fields do the same; this serializer never reads input).
    search_rank = serializers.FloatField(
        required=False,
        help_text="Only when searching (`q`): how well the paper matches, higher first; the list is "
        "in this order unless `ordering` is given (papers.search, docs/search.md).",
    )
    for_you_score = serializers.FloatField(
        required=False,
        help_text="Only with `ordering=for_you`: how well the paper suits me, from 0 to 1, higher first.",
    )
    for_you_reason = serializers.CharField(
        required=False,
        help_text="Only with `ordering=for_you`: why it is on my list, e.g. “Like “A paper”, which you "
        "voted for” or “Trending in the group”.",
    )

    organiser_fields = ("status", "submitted_by")
    # Why a suggestion failed is for who suggested it and the organisers (it may name a URL or
    # an upstream error); everyone else sees metadata_state alone.
    suggester_fields = ("metadata_error", "metadata_failed_at")

    def get_discussed(self, paper: Paper) -> bool:
        return paper.discussed_at is not None

    @extend_schema_field(serializers.ChoiceField(choices=METADATA_STATES))
    def get_metadata_state(self, paper: Paper) -> str:
        if not paper.metadata_pending:
            return "fetched"
        return "failed" if paper.metadata_error else "pending"

    @cached_property
    def _viewer(self) -> tuple[bool, int | None]:
        """Whether who asks is an organiser, and their id when logged in: once for a page (a
        list's papers share this serializer)."""
        user = getattr(self.context.get("request"), "user", None)
        member_id = user.pk if user is not None and user.is_authenticated else None
        return getattr(user, "is_organiser", False), member_id

    def to_representation(self, paper: Paper) -> dict:
        data = super().to_representation(paper)
        organiser, member_id = self._viewer
        suggester = member_id is not None and paper.submitted_by_id == member_id
        if not (suggester or organiser):
            for name in self.suggester_fields:
                data.pop(name, None)
        return data


class SessionBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    status = serializers.CharField()


class PaperDetailSerializer(PaperSerializer):
    """A paper with its abstract and the sessions where it is discussed."""

    abstract = serializers.CharField(read_only=True, style={"base_template": "textarea.html"})
    categories = serializers.JSONField(
        help_text=_paper_help("categories"), read_only=True, style={"base_template": "textarea.html"}
    )
    arxiv_version = serializers.IntegerField(allow_null=True, label="ArXiv version", read_only=True)
    updated_at = serializers.DateTimeField(
        allow_null=True, help_text=_paper_help("updated_at"), read_only=True
    )
    summary_backend = serializers.CharField(read_only=True)
    meetings = SessionBriefSerializer(many=True, help_text="Sessions where it is (or was) discussed.")


class RelatedPaperSerializer(serializers.Serializer):
    """One related paper: the paper's summary fields and how close it is."""

    id = serializers.IntegerField(source="related.id")
    title = serializers.CharField(source="related.title")
    summary = serializers.CharField(source="related.summary", help_text="The TL;DR.")
    keywords = serializers.ListField(source="related.keywords", child=serializers.CharField())
    published_at = serializers.DateTimeField(source="related.published_at", allow_null=True)
    url = serializers.CharField(source="related.url", help_text="The paper's page; may be empty.")
    arxiv_id = serializers.CharField(source="related.arxiv_id", allow_null=True)
    doi = serializers.CharField(source="related.doi", allow_null=True)
    vote_count = serializers.IntegerField(source="related.vote_count")
    comment_count = serializers.IntegerField(source="related.comment_count")
    web_url = WebUrlField(source="related")
    score = serializers.FloatField(
        help_text="Cosine similarity of the two papers' embeddings (title + abstract), at most 1."
    )
    rank = serializers.IntegerField(help_text="1 for the nearest.")


class RelatedPapersSerializer(serializers.Serializer):
    results = RelatedPaperSerializer(many=True, help_text="Nearest first; at most 10.")


class SuggestInputSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=500, help_text=services.SUGGEST_FORMS)


class VoteStateSerializer(serializers.Serializer):
    paper_id = serializers.IntegerField()
    vote_count = serializers.IntegerField(help_text="The paper's votes after this request.")
    voted = serializers.BooleanField(help_text="Whether I vote for it now.")


class DismissalStateSerializer(serializers.Serializer):
    paper_id = serializers.IntegerField()
    dismissed = serializers.BooleanField(help_text="Whether the paper is kept off my “for you” list now.")


class TombstoneSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="paper_id", help_text="The paper's id: drop your copy.")
    deleted = serializers.BooleanField(default=True, read_only=True)
    reason = serializers.ChoiceField(choices=PaperTombstone.Reason.choices)
    merged_into = serializers.IntegerField(
        source="merged_into_id", allow_null=True, help_text="For a merged paper: the paper it became."
    )
    at = serializers.DateTimeField(source="deleted_at", help_text="When it left; what ?since= compares.")

    def to_representation(self, tombstone) -> dict:
        return {**super().to_representation(tombstone), "deleted": True}


class TombstoneFilter(django_filters.FilterSet):
    since = UtcIsoDateTimeFilter(
        field_name="deleted_at", lookup_expr="gte", label="Papers gone at or after this time (ISO 8601)."
    )

    class Meta:
        model = PaperTombstone
        fields: list[str] = []


class TagSerializer(serializers.ModelSerializer):
    paper_count = serializers.IntegerField(help_text="Listed papers with this tag.")

    class Meta:
        model = Tag
        fields = ["slug", "name", "kind", "description", "paper_count"]


class TagFollowSerializer(serializers.Serializer):
    following = serializers.BooleanField(help_text="Whether I follow this tag (its papers lead my digest).")


# --- Conditional GET ------------------------------------------------------------------------------


# Fields of a paper that belong to the list it is on (a search's rank, a For you list's score
# and reason), not to the paper: its cached JSON (papers.api_cache) is kept without them and
# each list writes its own.
LIST_FIELDS = ("search_rank", "for_you_score", "for_you_reason")


@cache
def list_fields() -> dict:
    """PaperSerializer's fields of LIST_FIELDS, made once per process: a serializer deep-copies
    all its ~30 declared fields each time it is made (2 ms a request when each list made one),
    and these three read nothing of the request."""
    fields = PaperSerializer().fields
    return {name: fields[name] for name in LIST_FIELDS}


def paper_version(paper: Paper, *, user, json_version: list | None = None) -> list:
    """Everything a response shows of a paper, for its ETag: its cached JSON's key
    (paper_json_version, when the caller has it already) and the fields of the list it is on."""
    if json_version is None:
        json_version = paper_json_version(paper, user=user)
    return [*json_version, *(getattr(paper, name, None) for name in LIST_FIELDS)]


def paper_json_version(paper: Paper, *, user) -> list:
    """What a paper's JSON shows apart from LIST_FIELDS, the key of its cached JSON
    (papers.api_cache). Its row's fields, its authors and its tags are covered by modified_at,
    which every write of them moves; the rest is listed, with who asks."""
    organiser = getattr(user, "is_organiser", False)  # anonymous visitors have none
    return [
        paper.pk,
        paper.modified_at,
        paper.vote_count,
        paper.comment_count,
        paper.has_voted,
        paper.discussed_at,
        paper.status,
        paper.source.name if paper.source_id else None,
        organiser,
        paper.submitted_by.public_name if organiser and paper.submitted_by_id else None,
        user.is_authenticated and paper.submitted_by_id == user.pk,  # the suggester sees more
    ]


# --- Views ----------------------------------------------------------------------------------------


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
class PaperViewSet(KnownQueryParameters, viewsets.GenericViewSet):
    filterset_class = PaperFilter
    pagination_class = KeysetPagination
    paged_actions = ("deleted",)
    extra_query_parameters = {"deleted": ("since",)}
    lookup_value_regex = r"[0-9]+"
    conditional_actions = ("list", "retrieve")
    schema_extra_errors = {"create": ["409"]}

    def get_queryset(self) -> QuerySet:
        if self.action == "retrieve":
            return paper_detail_queryset(user=self.request.user)
        if self.action == "deleted":
            return paper_tombstones()
        if self.action == "list":
            # Authors and tags are loaded only for the papers whose JSON is not cached (papers.api_cache).
            return paper_browse(user=self.request.user).prefetch_related(None)
        return paper_browse(user=self.request.user)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # Filters and ordering are the list's; a paper's page shows any paper one may open.
        return super().filter_queryset(queryset) if self.action in ("list", "deleted") else queryset

    def get_serializer_class(self):
        # Per action, as each answers: the browsable API draws its forms from this (a vote's
        # answer drawn with the paper's serializer was a 500).
        if self.action == "list":
            return PaperSerializer
        if self.action == "vote":
            return VoteStateSerializer
        if self.action == "dismiss":
            return DismissalStateSerializer
        return PaperDetailSerializer

    def list(self, request: Request) -> Response:
        papers = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        links = [self.paginator.get_next_link(), self.paginator.get_previous_link()]
        json_versions = [paper_json_version(paper, user=request.user) for paper in papers]
        versions = [
            paper_version(paper, user=request.user, json_version=version)
            for paper, version in zip(papers, json_versions, strict=True)
        ]
        validators = Validators(request, [links, *versions])
        if unchanged := validators.not_modified():
            return unchanged
        serialize = lambda some: self.get_serializer(some, many=True).data  # noqa: E731
        data = papers_json(
            papers,
            json_versions,
            request=request,
            serialize=serialize,
            list_fields=list_fields(),
            keep="updated_since" not in request.query_params,  # a sync reads each paper once
        )
        return validators.respond(self.paginator.get_paginated_data(data))

    def retrieve(self, request: Request, pk: str) -> Response:
        paper = self.get_object()
        sessions = [(m.pk, m.title, m.starts_at, m.status) for m in paper.meetings.all()]
        version = paper_version(paper, user=request.user)
        validators = Validators(request, [version, paper.modified_at, sessions])
        if unchanged := validators.not_modified():
            return unchanged
        return validators.respond(self.get_serializer(paper).data)

    @extend_schema(
        operation_id="papers_deleted",
        summary="Papers gone since a time (for syncing)",
        description=(
            "Tombstones of papers deleted, merged into another or hidden at or after `since`, oldest "
            "first, one page at a time. With `GET /papers/?updated_since=` an app keeps a copy "
            "current: apply the changes, then drop these ids. A hidden paper listed again comes back "
            "in the changes and leaves this list."
        ),
        responses={200: TombstoneSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], url_path="deleted", filterset_class=TombstoneFilter)
    def deleted(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(TombstoneSerializer(page, many=True).data)

    @extend_schema(
        operation_id="papers_suggest",
        summary="Suggest a paper",
        description=(
            "Add a paper by reference. " + services.SUGGEST_FORMS + " A new paper waits (pending) "
            "while its details are fetched. Anything else is a 400 that says which forms are "
            "accepted. A paper the organisers hid, or one another member suggested that is not "
            "listed yet, is a 409 that shows none of its details. Suggestions, here and on the web "
            "together, are limited per member (SUGGEST_RATE, 20 an hour by default): beyond, a 429."
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
        # SUGGEST_RATE, counted with the web form's suggestions: each new paper queues a fetch.
        if (seconds := seconds_to_wait(SuggestThrottle(), request)) is not None:
            raise exceptions.Throttled(seconds, detail=SUGGEST_LIMITED)
        with service_errors(conflict=True):
            paper, created = services.paper_suggest(
                user=request.user, reference=data.validated_data["reference"]
            )
        if paper.status == Paper.Status.HIDDEN:
            raise Conflict(services.SUGGESTED_HIDDEN)
        # The answer shows what a GET would: the pending paper I suggested, not one another
        # member suggested (its details stay out of sight until an organiser lists it).
        paper = paper_detail_queryset(user=request.user).filter(pk=paper.pk).first()
        if paper is None:
            raise Conflict(services.SUGGESTED_PENDING)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.get_serializer(paper).data, status=code)

    @extend_schema(
        operation_id="papers_related",
        summary="Related papers",
        description=(
            "The paper's nearest listed papers by the similarity of their titles and abstracts "
            "(offline embeddings), nearest first, at most 10: computed by the workers after the "
            "paper is embedded, so a new paper has none for a moment. Papers no longer listed are "
            "left out. 404 for a paper one may not open."
        ),
        responses={200: RelatedPapersSerializer},
    )
    @action(detail=True, methods=["get"], url_path="related", pagination_class=None, filterset_class=None)
    def related(self, request: Request, pk: str) -> Response:
        paper_id = _paper_id(pk)
        if not paper_visible(user=request.user).filter(pk=paper_id).exists():
            raise exceptions.NotFound("No paper with this id.")
        data = {"results": paper_related(paper_id)}
        return Response(RelatedPapersSerializer(data, context=self.get_serializer_context()).data)

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

    @extend_schema(
        methods=["POST"],
        operation_id="papers_dismiss",
        summary="Not interested: keep a paper off my “for you” list (idempotent)",
        description=(
            "The paper never comes back in `ordering=for_you` and papers like it rank lower. A paper "
            "that does not exist, or that I may not see, is a 404."
        ),
        request=None,
        responses={200: DismissalStateSerializer},
    )
    @extend_schema(
        methods=["DELETE"],
        operation_id="papers_dismiss_undo",
        summary="Take a “not interested” back (idempotent)",
        request=None,
        responses={200: DismissalStateSerializer},
    )
    @action(
        detail=True,
        methods=["post", "delete"],
        url_path="dismiss",
        pagination_class=None,
        filterset_class=None,
    )
    def dismiss(self, request: Request, pk: str) -> Response:
        try:
            state = services.paper_dismiss_set(
                user=request.user, paper_id=_paper_id(pk), dismissed=request.method == "POST"
            )
        except Paper.DoesNotExist:
            raise exceptions.NotFound("No paper with this id.") from None
        return Response(DismissalStateSerializer(state).data)


@extend_schema_view(
    list=extend_schema(operation_id="tags_list", summary="Tags with their number of listed papers"),
)
class TagViewSet(KnownQueryParameters, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TagSerializer
    pagination_class = KeysetPagination
    filterset_fields = ["kind"]
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet:
        return tag_counts()

    @extend_schema(
        methods=["GET"], operation_id="tags_follow_retrieve", summary="Do I follow this tag?", request=None
    )
    @extend_schema(
        methods=["PUT"],
        operation_id="tags_follow",
        summary="Follow a tag or topic (idempotent)",
        description="Its new papers come first in my weekly digest. An unknown slug is a 404.",
        request=None,
        responses={200: TagFollowSerializer},
    )
    @extend_schema(
        methods=["DELETE"],
        operation_id="tags_unfollow",
        summary="Stop following a tag (idempotent)",
        request=None,
        responses={200: TagFollowSerializer},
    )
    @action(
        detail=True,
        methods=["get", "put", "delete"],
        url_path="follow",
        permission_classes=[IsAuthenticated],
        pagination_class=None,
        filterset_fields=None,
        serializer_class=TagFollowSerializer,
    )
    def follow(self, request: Request, slug: str) -> Response:
        # Any tag, with listed papers or not yet (tag_counts would leave a new topic out).
        tag = Tag.objects.filter(slug=slug).first()
        if tag is None:
            raise exceptions.NotFound("No tag with this slug.")
        if request.method == "GET":
            following = tag.pk in followed_topic_ids(request.user)
        else:
            following = topic_follow_set(member=request.user, tag=tag, followed=request.method == "PUT")
        return Response(TagFollowSerializer({"following": following}).data)
