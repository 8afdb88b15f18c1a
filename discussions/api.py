"""Comment threads in the REST API (routes in readinggroup/api.py).

A thread is listed oldest first, a page at a time (the project's keyset pagination over the
comment id); `?since=` takes the `since` value of an earlier answer (or an ISO 8601 time) and
lists only what came after it, so an app polls for what is new. `?updated_since=` lists what
changed at or after a time (posted, edited, deleted, hidden or shown again) in the order of
`modified_at`, then id, as the paper and session lists do, so an offline copy stays right.
Every comment of the thread is a row, so replies always find their parent: a deleted one, or
a hidden one for members, comes with an empty body and no author.
"""

from datetime import UTC

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from discussions import selectors, services
from discussions.models import Comment, Mention, Subscription
from discussions.services import RateLimited, Target
from discussions.text import render_body
from readinggroup.rest.errors import service_errors
from readinggroup.rest.pagination import KeysetPagination, decode_cursor, encode_cursor
from readinggroup.rest.query import KnownQueryParameters, UtcIsoDateTimeField

BIGINT = 2**63 - 1
SINCE_ORDER = ["id"]
SYNC_ORDER = ("modified_at", "id")
UPDATED_SINCE_HELP = (
    "For syncing: comments changed at or after this time (ISO 8601, e.g. 2026-12-03T09:00:00Z): "
    "posted, edited, deleted, hidden or shown again, in the order of their modified_at, then id. "
    "Not with since."
)
SINCE_HELP = (
    "Only comments after this point: the `since` of an earlier answer (opaque), "
    "or an ISO 8601 time (comments posted after it)."
)

# --- Serializers ----------------------------------------------------------------------------------


class CommentAuthorSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="public_name", help_text="The name members see.")


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    paper = serializers.IntegerField(source="paper_id", allow_null=True, help_text="The paper's id, or null.")
    meeting = serializers.IntegerField(
        source="meeting_id", allow_null=True, help_text="The session's id, or null."
    )
    parent = serializers.IntegerField(
        source="parent_id", allow_null=True, help_text="The thread's first comment, for a reply."
    )
    author = serializers.SerializerMethodField(help_text="Null when deleted or hidden from you.")
    body = serializers.SerializerMethodField(help_text="Markdown with $math$; empty when not shown.")
    body_html = serializers.SerializerMethodField(help_text="The body as sanitised HTML (math left as TeX).")
    mentions = serializers.SerializerMethodField(help_text="Usernames of the members mentioned.")
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    modified_at = serializers.DateTimeField(
        help_text="When it was posted, edited, deleted, hidden or shown again: what ?updated_since= compares."
    )
    deleted = serializers.SerializerMethodField()
    hidden = serializers.SerializerMethodField(help_text="Hidden by an organiser.")
    can_edit = serializers.SerializerMethodField(help_text="I may edit it now (mine, within 15 minutes).")

    def _shown(self, comment: Comment) -> bool:
        user = self.context["request"].user
        return comment.is_visible or (comment.deleted_at is None and getattr(user, "is_organiser", False))

    @extend_schema_field(CommentAuthorSerializer(allow_null=True))
    def get_author(self, comment: Comment) -> dict | None:
        if not self._shown(comment) or comment.author is None:
            return None
        return CommentAuthorSerializer(comment.author).data

    @extend_schema_field(OpenApiTypes.STR)
    def get_body(self, comment: Comment) -> str:
        return comment.body if self._shown(comment) else ""

    @extend_schema_field(OpenApiTypes.STR)
    def get_body_html(self, comment: Comment) -> str:
        if not self._shown(comment):
            return ""
        if hasattr(comment, "body_html"):  # a list's page: rendered once and cached (selectors.with_bodies)
            return str(comment.body_html)
        urls = {
            m.user.username.lower(): selectors.member_url(m.user.username) for m in comment.mentions.all()
        }
        return str(render_body(comment.body, urls))

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_mentions(self, comment: Comment) -> list[str]:
        return [m.user.username for m in comment.mentions.all()] if self._shown(comment) else []

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_deleted(self, comment: Comment) -> bool:
        return comment.deleted_at is not None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_hidden(self, comment: Comment) -> bool:
        return comment.hidden_at is not None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_can_edit(self, comment: Comment) -> bool:
        user = self.context["request"].user
        mine = user.is_authenticated and comment.author_id == user.pk
        return mine and comment.is_visible and services.edit_window_open(comment)


class CommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(
        trim_whitespace=False, allow_blank=True, help_text="Markdown, $math$, @username mentions."
    )
    parent = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=BIGINT, help_text="The comment answered."
    )


class CommentEditSerializer(serializers.Serializer):
    body = serializers.CharField(trim_whitespace=False, allow_blank=True)


class SubscriptionSerializer(serializers.Serializer):
    subscribed = serializers.BooleanField(help_text="Whether I follow this thread (e-mail notices).")


EXAMPLE_COMMENT = {
    "id": 41,
    "paper": 7,
    "meeting": None,
    "parent": None,
    "author": {"username": "ada", "name": "Ada"},
    "body": "Is the loss $\\sum_i x_i^2$ convex, @ben?",
    "body_html": '<p>Is the loss <span class="math">\\sum_i x_i^2</span> convex, '
    '<a href="/discussions/members/ben/" rel="noopener noreferrer nofollow">@ben</a>?</p>',
    "mentions": ["ben"],
    "created_at": "2026-12-03T09:00:00Z",
    "edited_at": None,
    "modified_at": "2026-12-03T09:00:00Z",
    "deleted": False,
    "hidden": False,
    "can_edit": True,
}
COMMENT_EXAMPLES = [
    OpenApiExample("A comment", value=EXAMPLE_COMMENT, response_only=True),
]
INPUT_EXAMPLES = [
    OpenApiExample("A comment", value={"body": "What about $O(n^2)$ memory?"}, request_only=True),
    OpenApiExample("A reply", value={"body": "@ada it is linear.", "parent": 41}, request_only=True),
]


# --- Pagination -----------------------------------------------------------------------------------


class ThreadPagination(KeysetPagination):
    """Keyset pages oldest first, and `since`: where the next poll should start."""

    def get_paginated_data(self, data) -> dict:
        # The newest comment listed (rows come by id, or by modified_at with ?updated_since=).
        last = max((row.pk for row in self.rows), default=getattr(self.request, "since_id", 0))
        since = encode_cursor(SINCE_ORDER, [last], reverse=False)
        return {**super().get_paginated_data(data), "since": since}

    def get_paginated_response_schema(self, schema: dict) -> dict:
        page = super().get_paginated_response_schema(schema)
        page["required"] = [*page["required"], "since"]
        page["properties"]["since"] = {
            "type": "string",
            "description": "Give it as ?since= next time to get only what is newer.",
            "example": encode_cursor(SINCE_ORDER, [41], reverse=False),
        }
        # Examples for the page's own fields, so the schema's examples show whole pages.
        page["properties"]["next"] = {**page["properties"]["next"], "example": None}
        page["properties"]["previous"] = {**page["properties"]["previous"], "example": None}
        return page


def _since_filter(comments: QuerySet, raw: str, request: Request) -> QuerySet:
    try:
        moment = parse_datetime(raw) if "-" in raw else None
    except ValueError:  # well formed, but no such time (a 13th month)
        raise exceptions.ValidationError({"since": [SINCE_HELP]}) from None
    if moment is not None:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, UTC)
        try:  # in UTC: PostgreSQL refuses offsets beyond ±15:59
            moment = moment.astimezone(UTC)
        except OverflowError:
            raise exceptions.ValidationError({"since": [SINCE_HELP]}) from None
        return comments.filter(created_at__gt=moment)
    try:
        (last,), _ = decode_cursor(raw, SINCE_ORDER)
        request.since_id = int(last)
    except (exceptions.ValidationError, TypeError, ValueError):
        raise exceptions.ValidationError({"since": [SINCE_HELP]}) from None
    return comments.filter(pk__gt=request.since_id)


def _updated_since_filter(comments: QuerySet, raw: str) -> QuerySet:
    try:
        moment = UtcIsoDateTimeField().clean(raw)
    except DjangoValidationError as error:
        raise exceptions.ValidationError({"updated_since": error.messages}) from None
    return comments.filter(modified_at__gte=moment).order_by(*SYNC_ORDER)


# --- Views ----------------------------------------------------------------------------------------


def _bounded(pk) -> int:
    value = int(pk)
    if value > BIGINT:
        raise exceptions.NotFound()
    return value


def _with_people(comments: QuerySet) -> QuerySet:
    mentions = Mention.objects.select_related("user")
    return comments.select_related("author").prefetch_related(Prefetch("mentions", queryset=mentions))


def _target(request: Request, kind: str, pk) -> object:
    obj = selectors.target_object(user=request.user, kind=kind, pk=_bounded(pk))
    if obj is None:
        raise exceptions.NotFound("No such paper or session (or not visible to you).")
    return obj


def _answer(request: Request, comment_id: int, code: int = status.HTTP_200_OK) -> Response:
    comment = _with_people(Comment.objects.all()).get(pk=comment_id)
    return Response(CommentSerializer(comment, context={"request": request}).data, status=code)


class ThreadCommentsView(KnownQueryParameters, GenericAPIView):
    """A thread's comments (GET, oldest first) and a new comment or reply (POST)."""

    kind = "papers"
    pagination_class = ThreadPagination
    paged_actions = ("get",)
    extra_query_parameters = {"get": ("since", "updated_since")}
    serializer_class = CommentSerializer

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular describing the view
            return Comment.objects.none()
        target = Target.of(_target(self.request, self.kind, self.kwargs["id"]))
        comments = Comment.objects.for_target(**target.fields()).order_by("id")
        since = self.request.query_params.get("since")
        updated_since = self.request.query_params.get("updated_since")
        if since and updated_since:
            raise exceptions.ValidationError(
                {"updated_since": ["Give since (new comments) or updated_since (changes), not both."]}
            )
        if since:
            comments = _since_filter(comments, since, self.request)
        if updated_since:
            comments = _updated_since_filter(comments, updated_since)
        return _with_people(comments)

    def get(self, request: Request, id: int) -> Response:
        comments = self.paginate_queryset(self.get_queryset())
        if comments:  # read in the app: seen
            target = Target(**{f"{'paper' if self.kind == 'papers' else 'meeting'}_id": int(id)})
            services.thread_mark_read(user=request.user, target=target, through=max(c.pk for c in comments))
        data = self.get_serializer(selectors.with_bodies(comments), many=True).data
        return Response(self.paginator.get_paginated_data(data))

    def post(self, request: Request, id: int) -> Response:
        target = _target(request, self.kind, id)
        data = CommentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            with service_errors():
                comment = services.comment_create(
                    author=request.user,
                    target=target,
                    body=data.validated_data["body"],
                    parent_id=data.validated_data.get("parent"),
                )
        except RateLimited as error:
            raise exceptions.Throttled(wait=error.retry_after, detail=str(error)) from None
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from None
        return _answer(request, comment.pk, status.HTTP_201_CREATED)


def _list_schema(kind: str, noun: str):
    return extend_schema(
        operation_id=f"{kind}_comments_list",
        summary=f"A {noun}'s comments, oldest first",
        description="Replies name their thread's first comment as `parent`. " + SINCE_HELP,
        parameters=[
            OpenApiParameter("since", OpenApiTypes.STR, description=SINCE_HELP),
            OpenApiParameter("updated_since", OpenApiTypes.DATETIME, description=UPDATED_SINCE_HELP),
        ],
        responses={200: CommentSerializer(many=True)},
        examples=COMMENT_EXAMPLES,
    )


def _create_schema(kind: str, noun: str):
    return extend_schema(
        operation_id=f"{kind}_comments_create",
        summary=f"Comment on a {noun}, or reply",
        description=(
            "A reply to a reply joins its thread. Empty or over-long bodies, mentions of "
            "unknown members and replies to deleted, hidden or other threads' comments are a 400; "
            "posting faster than DISCUSSION_RATE is a 429."
        ),
        request=CommentInputSerializer,
        examples=INPUT_EXAMPLES + COMMENT_EXAMPLES,
        responses={201: OpenApiResponse(CommentSerializer, description="The new comment.")},
    )


# One class per target kind, so each operation has its own id in the schema.
class PaperCommentsView(ThreadCommentsView):
    kind = "papers"

    @_list_schema("papers", "paper")
    def get(self, request: Request, id: int) -> Response:
        return super().get(request, id)

    @_create_schema("papers", "paper")
    def post(self, request: Request, id: int) -> Response:
        return super().post(request, id)


class MeetingCommentsView(ThreadCommentsView):
    kind = "meetings"

    @_list_schema("meetings", "session")
    def get(self, request: Request, id: int) -> Response:
        return super().get(request, id)

    @_create_schema("meetings", "session")
    def post(self, request: Request, id: int) -> Response:
        return super().post(request, id)


def _comment(request: Request, pk) -> Comment:
    comment = Comment.objects.filter(pk=_bounded(pk)).first()
    if comment is None or not selectors.comment_target_visible(user=request.user, comment=comment):
        raise exceptions.NotFound("No such comment (or not visible to you).")
    return comment


def _acting(service, **kwargs) -> None:
    try:
        with service_errors():
            service(**kwargs)
    except DjangoPermissionDenied as error:
        raise exceptions.PermissionDenied(str(error)) from None


class CommentView(KnownQueryParameters, GenericAPIView):
    serializer_class = CommentSerializer

    @extend_schema(operation_id="comments_retrieve", summary="A comment", examples=COMMENT_EXAMPLES)
    def get(self, request: Request, id: int) -> Response:
        return _answer(request, _comment(request, id).pk)

    @extend_schema(
        operation_id="comments_edit",
        summary="Edit my comment (within 15 minutes)",
        description="Only the author (else 403), within 15 minutes of posting (else 400).",
        request=CommentEditSerializer,
        examples=[OpenApiExample("New text", value={"body": "Corrected: $O(n)$."}, request_only=True)],
        responses={200: CommentSerializer},
    )
    def patch(self, request: Request, id: int) -> Response:
        comment = _comment(request, id)
        data = CommentEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _acting(
            services.comment_edit, user=request.user, comment_id=comment.pk, body=data.validated_data["body"]
        )
        return _answer(request, comment.pk)

    @extend_schema(
        operation_id="comments_delete",
        summary="Delete my comment",
        description="Only the author. The text goes; with replies it keeps its place as deleted.",
        request=None,
        responses={204: None},
    )
    def delete(self, request: Request, id: int) -> Response:
        comment = _comment(request, id)
        _acting(services.comment_delete, user=request.user, comment_id=comment.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentHiddenView(KnownQueryParameters, GenericAPIView):
    """Organisers hide a comment from members (PUT) or show it again (DELETE); idempotent."""

    serializer_class = CommentSerializer

    @extend_schema(operation_id="comments_hide", summary="Hide a comment (organisers)", request=None)
    def put(self, request: Request, id: int) -> Response:
        comment = _comment(request, id)
        _acting(services.comment_hide, user=request.user, comment_id=comment.pk)
        return _answer(request, comment.pk)

    @extend_schema(
        operation_id="comments_unhide",
        summary="Show a hidden comment again",
        request=None,
        responses={200: CommentSerializer},
    )
    def delete(self, request: Request, id: int) -> Response:
        comment = _comment(request, id)
        _acting(services.comment_unhide, user=request.user, comment_id=comment.pk)
        return _answer(request, comment.pk)


class SubscriptionView(KnownQueryParameters, GenericAPIView):
    """Following a thread: GET my state, PUT to follow, DELETE to stop (both idempotent)."""

    kind = "papers"
    serializer_class = SubscriptionSerializer

    def _state(self, request: Request, target) -> Response:
        followed = Subscription.objects.filter(
            user=request.user, active=True, **Target.of(target).fields()
        ).exists()
        return Response({"subscribed": followed})

    def get(self, request: Request, id: int) -> Response:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        return self._state(request, _target(request, self.kind, id))

    def put(self, request: Request, id: int) -> Response:
        target = _target(request, self.kind, id)
        services.subscription_set(user=request.user, target=target, subscribed=True)
        return self._state(request, target)

    def delete(self, request: Request, id: int) -> Response:
        target = _target(request, self.kind, id)
        services.subscription_set(user=request.user, target=target, subscribed=False)
        return self._state(request, target)


def _subscription_schemas(kind: str) -> tuple:
    return (
        extend_schema(operation_id=f"{kind}_subscription_retrieve", summary="Do I follow this thread?"),
        extend_schema(
            operation_id=f"{kind}_subscribe",
            summary="Follow this thread",
            request=None,
            responses={200: SubscriptionSerializer},
        ),
        extend_schema(
            operation_id=f"{kind}_unsubscribe",
            summary="Stop following this thread",
            request=None,
            responses={200: SubscriptionSerializer},
        ),
    )


_PAPER_STATE, _PAPER_FOLLOW, _PAPER_STOP = _subscription_schemas("papers")
_MEETING_STATE, _MEETING_FOLLOW, _MEETING_STOP = _subscription_schemas("meetings")


class PaperSubscriptionView(SubscriptionView):
    kind = "papers"

    @_PAPER_STATE
    def get(self, request: Request, id: int) -> Response:
        return super().get(request, id)

    @_PAPER_FOLLOW
    def put(self, request: Request, id: int) -> Response:
        return super().put(request, id)

    @_PAPER_STOP
    def delete(self, request: Request, id: int) -> Response:
        return super().delete(request, id)


class MeetingSubscriptionView(SubscriptionView):
    kind = "meetings"

    @_MEETING_STATE
    def get(self, request: Request, id: int) -> Response:
        return super().get(request, id)

    @_MEETING_FOLLOW
    def put(self, request: Request, id: int) -> Response:
        return super().put(request, id)

    @_MEETING_STOP
    def delete(self, request: Request, id: int) -> Response:
        return super().delete(request, id)


class UnreadSerializer(serializers.Serializer):
    unread = serializers.IntegerField(
        help_text="Comments of others in the threads I follow, newer than what I have seen of them."
    )


class UnreadView(KnownQueryParameters, GenericAPIView):
    """How many new comments wait in the threads I follow (listing a thread marks it seen)."""

    serializer_class = UnreadSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="discussions_unread", summary="My unread comment count")
    def get(self, request: Request) -> Response:
        return Response({"unread": selectors.unread_count(user=request.user)})
