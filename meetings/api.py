"""Discussion sessions in the REST API: upcoming and past, agenda, RSVPs, offers to present."""

from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from meetings import services
from meetings.models import RSVP, AgendaItem, Meeting
from meetings.selectors import (
    agenda_items_with_offers,
    meeting_detail_queryset,
    meeting_list,
    meetings_changed_since,
)
from readinggroup.rest.conditional import Validators
from readinggroup.rest.errors import service_errors
from readinggroup.rest.fields import WebUrlField
from readinggroup.rest.pagination import KeysetPagination
from readinggroup.rest.query import KnownQueryParameters, UtcIsoDateTimeField

BIGINT = 2**63 - 1
WHEN = OpenApiParameter(
    "when",
    str,
    enum=["upcoming", "past"],
    description="upcoming (default): not ended yet, soonest first; past: ended, latest first.",
)
UPDATED_SINCE = OpenApiParameter(
    "updated_since",
    OpenApiTypes.DATETIME,
    description=(
        "For syncing: sessions (any, past or upcoming) changed at or after this time (ISO 8601), "
        "in the order of their modified_at, then id. Not with `when`."
    ),
)
ITEM_ID = OpenApiParameter(
    "item_id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH, description="Agenda item id."
)


class MembersOnlyFieldsMixin:
    """Leaves out what the model's rule (`hidden_fields_for`, the one the pages use) hides from
    the client asking; `derived` fields (notes_html) go with the field they are made from.

    Declare those fields `required=False` (and not read-only) so the schema marks them optional."""

    rule_model: type[Meeting] | type[AgendaItem]
    derived: dict[str, str] = {}

    def get_fields(self):
        fields = super().get_fields()
        if getattr(self.context.get("view"), "swagger_fake_view", False):
            return fields  # the schema shows every field
        request = self.context.get("request")
        hidden = self.rule_model.hidden_fields_for(request.user if request is not None else None)
        for name in [*hidden, *(d for d, source in self.derived.items() if source in hidden)]:
            fields.pop(name, None)
        return fields


# --- Serializers ----------------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="public_name", help_text="Public name, never an e-mail address.")


class OfferSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.pk", help_text="The member's id.")
    name = serializers.CharField(source="user.public_name")


class AgendaPaperSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    summary = serializers.CharField(help_text="The TL;DR.")


class AgendaItemSerializer(MembersOnlyFieldsMixin, serializers.Serializer):
    """A paper on a session's agenda, its presenter and who offered to present it."""

    id = serializers.IntegerField()
    order = serializers.IntegerField()
    paper = AgendaPaperSerializer()
    presenter = PersonSerializer(allow_null=True)
    offers = OfferSerializer(many=True, required=False, help_text="Members only: who offered to present it.")
    my_offer = serializers.SerializerMethodField(help_text="Whether I offered to present it.")

    rule_model = AgendaItem

    def get_my_offer(self, item: AgendaItem) -> bool:
        user = self.context["request"].user
        return user.is_authenticated and any(offer.user_id == user.pk for offer in item.offers.all())


class RsvpCountsSerializer(serializers.Serializer):
    yes = serializers.IntegerField(source="rsvp_yes", help_text="Yes, with a seat.")
    waitlisted = serializers.IntegerField(source="rsvp_waitlisted", help_text="Yes, on the waiting list.")
    maybe = serializers.IntegerField(source="rsvp_maybe")
    no = serializers.IntegerField(source="rsvp_no")


class MyRsvpSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=RSVP.Answer.choices)
    waitlisted = serializers.BooleanField(help_text="On the waiting list: the session is full.")


class MeetingSerializer(MembersOnlyFieldsMixin, serializers.ModelSerializer):
    """A discussion session with its agenda and RSVP counts."""

    rsvp_counts = RsvpCountsSerializer(source="*")
    my_rsvp = serializers.SerializerMethodField(help_text="My answer; null when I have not answered.")
    agenda = AgendaItemSerializer(many=True, help_text="Papers in the order they are discussed.")
    video_url = serializers.CharField(
        required=False, help_text="Members only: the video call link; may be empty."
    )
    slides_url = serializers.CharField(required=False, help_text="Members only: slides; may be empty.")
    recording_url = serializers.CharField(
        required=False, help_text="Members only: the recording; may be empty."
    )

    web_url = WebUrlField()
    modified_at = serializers.DateTimeField(
        source="updated_at",
        help_text=(
            "When the session, its agenda, presenters or answers last changed: what ?updated_since= compares."
        ),
    )

    rule_model = Meeting

    class Meta:
        model = Meeting
        fields = [
            "id",
            "title",
            "starts_at",
            "ends_at",
            "location",
            "status",
            "capacity",
            "slides_url",
            "recording_url",
            "video_url",
            "comment_count",
            "rsvp_counts",
            "my_rsvp",
            "agenda",
            "web_url",
            "modified_at",
        ]
        read_only_fields = [f for f in fields if f not in Meeting.MEMBERS_ONLY_FIELDS]

    @extend_schema_field(MyRsvpSerializer(allow_null=True))
    def get_my_rsvp(self, meeting: Meeting) -> dict | None:
        if meeting.my_answer is None:
            return None
        return {"answer": meeting.my_answer, "waitlisted": bool(meeting.my_waitlisted)}


class MeetingDetailSerializer(MeetingSerializer):
    """A discussion session with its notes."""

    notes = serializers.CharField(required=False, help_text="Members only: notes in Markdown.")
    notes_html = serializers.CharField(required=False, help_text="Members only: the notes as sanitised HTML.")

    derived = {"notes_html": "notes"}

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "notes", "notes_html"]
        read_only_fields = MeetingSerializer.Meta.read_only_fields


class RsvpInputSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=RSVP.Answer.choices)


class RsvpStateSerializer(serializers.Serializer):
    meeting_id = serializers.IntegerField()
    answer = serializers.ChoiceField(choices=RSVP.Answer.choices)
    waitlisted = serializers.BooleanField(help_text="On the waiting list: the session is full.")
    rsvp_counts = RsvpCountsSerializer()


# --- Conditional GET ------------------------------------------------------------------------------


def meeting_version(meeting: Meeting) -> list:
    """What a response shows of a session, from the rows already loaded (see rest.conditional)."""
    agenda = [
        (
            item.pk,
            item.order,
            item.paper_id,
            item.paper.modified_at,
            item.presenter.public_name if item.presenter else None,
            [(offer.user_id, offer.user.public_name) for offer in item.offers.all()],
        )
        for item in meeting.agenda.all()
    ]
    counts = (meeting.rsvp_yes, meeting.rsvp_waitlisted, meeting.rsvp_maybe, meeting.rsvp_no)
    fields = (meeting.title, meeting.starts_at, meeting.ends_at, meeting.location, meeting.status)
    fields += (meeting.comment_count,)
    links = (meeting.video_url, meeting.slides_url, meeting.recording_url, meeting.capacity)
    mine = (meeting.my_answer, meeting.my_waitlisted)
    return [meeting.pk, meeting.updated_at, fields, links, counts, mine, agenda]


# --- Views ----------------------------------------------------------------------------------------


def _bounded(pk: str) -> int:
    """A path id as an int; ids past the database's range cannot exist (404, not an overflow)."""
    value = int(pk)
    if value > BIGINT:
        raise exceptions.NotFound()
    return value


@extend_schema_view(
    list=extend_schema(
        operation_id="meetings_list", summary="Sessions, upcoming or past", parameters=[WHEN, UPDATED_SINCE]
    ),
    retrieve=extend_schema(operation_id="meetings_retrieve", summary="A session with its agenda"),
)
class MeetingViewSet(KnownQueryParameters, viewsets.ReadOnlyModelViewSet):
    pagination_class = KeysetPagination
    extra_query_parameters = {"list": ("when", "updated_since")}
    lookup_value_regex = r"[0-9]+"
    filter_backends: list = []
    schema_extra_errors = {"rsvp": ["409"], "offer": ["409"]}
    conditional_actions = ("list", "retrieve")

    def get_queryset(self) -> QuerySet:
        user = self.request.user
        if self.action == "list" and "updated_since" in self.request.query_params:
            return meetings_changed_since(user=user, since=self._updated_since())
        if self.action == "list":
            when = self.request.query_params.get("when", "upcoming")
            if when not in ("upcoming", "past"):
                raise exceptions.ValidationError({"when": ["Give upcoming or past."]})
            return meeting_list(user=user, when=when)
        return meeting_detail_queryset(user=user)

    def _updated_since(self) -> datetime:
        params = self.request.query_params
        if "when" in params:
            raise exceptions.ValidationError({"updated_since": ["Leave out when with updated_since."]})
        field = UtcIsoDateTimeField()
        try:
            return field.clean(params["updated_since"])
        except DjangoValidationError as error:
            raise exceptions.ValidationError({"updated_since": error.messages}) from None

    def get_serializer_class(self):
        # Per action, as each answers: the browsable API draws its forms from this, and drew the
        # offer's answer (an agenda item) with the session's serializer, a 500.
        actions = {"list": MeetingSerializer, "rsvp": RsvpInputSerializer, "offer": AgendaItemSerializer}
        return actions.get(self.action, MeetingDetailSerializer)

    def get_object(self) -> Meeting:
        return get_object_or_404(self.get_queryset(), pk=_bounded(self.kwargs["pk"]))

    def list(self, request: Request) -> Response:
        meetings = self.paginate_queryset(self.get_queryset())
        links = [self.paginator.get_next_link(), self.paginator.get_previous_link()]
        validators = Validators(request, [links, *map(meeting_version, meetings)])
        if unchanged := validators.not_modified():
            return unchanged
        data = self.get_serializer(meetings, many=True).data
        return validators.respond(self.paginator.get_paginated_data(data))

    def retrieve(self, request: Request, pk: str) -> Response:
        meeting = self.get_object()
        validators = Validators(request, [meeting_version(meeting), meeting.notes])
        if unchanged := validators.not_modified():
            return unchanged
        return validators.respond(self.get_serializer(meeting).data)

    @extend_schema(
        operation_id="meetings_rsvp_set",
        summary="Answer yes, no or maybe",
        description="A yes beyond the capacity joins the waiting list. Closed sessions answer 409.",
        request=RsvpInputSerializer,
        responses={200: RsvpStateSerializer},
    )
    @action(detail=True, methods=["put"], url_path="rsvp", pagination_class=None)
    def rsvp(self, request: Request, pk: str) -> Response:
        data = RsvpInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = get_object_or_404(Meeting, pk=_bounded(pk))
        with service_errors(conflict=True):
            rsvp = services.rsvp_set(meeting=meeting, user=request.user, answer=data.validated_data["answer"])
        counts = RSVP.objects.filter(meeting=meeting).aggregate(
            rsvp_yes=Count("pk", filter=Q(answer=RSVP.Answer.YES, waitlisted=False)),
            rsvp_waitlisted=Count("pk", filter=Q(answer=RSVP.Answer.YES, waitlisted=True)),
            rsvp_maybe=Count("pk", filter=Q(answer=RSVP.Answer.MAYBE)),
            rsvp_no=Count("pk", filter=Q(answer=RSVP.Answer.NO)),
        )
        state = {"meeting_id": meeting.pk, "answer": rsvp.answer, "waitlisted": rsvp.waitlisted}
        return Response(RsvpStateSerializer({**state, "rsvp_counts": counts}).data)

    @extend_schema(
        methods=["PUT"],
        operation_id="meetings_offer_set",
        summary="Offer to present a paper of this session (idempotent)",
        parameters=[ITEM_ID],
        request=None,
        responses={200: AgendaItemSerializer},
    )
    @extend_schema(
        methods=["DELETE"],
        operation_id="meetings_offer_withdraw",
        summary="Withdraw my offer; a presenter stops presenting (idempotent)",
        parameters=[ITEM_ID],
        request=None,
        responses={200: AgendaItemSerializer},
    )
    @action(
        detail=True,
        methods=["put", "delete"],
        url_path=r"agenda/(?P<item_id>[0-9]+)/offer",
        pagination_class=None,
    )
    def offer(self, request: Request, pk: str, item_id: str) -> Response:
        items = AgendaItem.objects.filter(meeting_id=_bounded(pk))
        item = get_object_or_404(items, pk=_bounded(item_id))
        with service_errors(conflict=True):
            if request.method == "PUT":
                services.presenter_offer(item=item, user=request.user)
            else:
                services.presenter_withdraw(item=item, user=request.user)
        fresh = agenda_items_with_offers().get(pk=item.pk)
        return Response(AgendaItemSerializer(fresh, context=self.get_serializer_context()).data)
