"""The member's own profile in the REST API (the one place an e-mail address is shown), data and deletion."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from discussions.selectors import unread_count
from meetings.calendar import member_calendar_url
from meetings.selectors import notification_preference_get
from meetings.services import notification_preference_set
from members.auth_api import locked_out
from members.export import UserDataSerializer
from members.models import User
from members.selectors import api_tokens, user_data
from members.services import ADMINISTRATOR_SELF_DELETE, api_token_revoke, user_delete, user_update_profile
from readinggroup.rest.query import KnownQueryParameters


class NotificationSettingsSerializer(serializers.Serializer):
    """Which session e-mails I get (the digest is digest_enabled, beside this)."""

    reminders = serializers.BooleanField(required=False, help_text="A reminder 24 hours before a session.")
    presenter_notices = serializers.BooleanField(
        required=False, help_text="A notice 3 days before a session where I present."
    )
    seat_notices = serializers.BooleanField(
        required=False, help_text="A notice when I move up from a session's waiting list."
    )


class MeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="public_name", read_only=True, help_text="What other members see.")
    display_name = serializers.CharField(
        max_length=150, required=False, allow_blank=True, help_text="Empty: fall back to the username."
    )
    digest_enabled = serializers.BooleanField(
        required=False, help_text="Receive the weekly digest by e-mail."
    )
    notifications = NotificationSettingsSerializer(
        required=False, help_text="Session e-mails; PATCH any of them."
    )
    calendar_url = serializers.SerializerMethodField(
        help_text=(
            "My private calendar feed (iCal): it works without logging in, so keep it secret. "
            "A new one is made on the web site's account page."
        )
    )
    unread_comments = serializers.SerializerMethodField(
        help_text=(
            "Comments of others in the discussions I follow that I have not seen yet (the web "
            "site's badge; the same number as GET /api/v1/discussions/unread/)."
        )
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "name",
            "display_name",
            "role",
            "digest_enabled",
            "notifications",
            "calendar_url",
            "unread_comments",
            "date_joined",
        ]
        read_only_fields = ["id", "username", "email", "role", "date_joined"]

    def to_representation(self, user: User) -> dict:
        data = super().to_representation(user)
        data["notifications"] = NotificationSettingsSerializer(notification_preference_get(user=user)).data
        return data

    def get_calendar_url(self, user: User) -> str:
        return member_calendar_url(user)

    def get_unread_comments(self, user: User) -> int:
        return unread_count(user=user)

    def validate_display_name(self, value: str) -> str:
        return value.strip()


class MeView(KnownQueryParameters, APIView):
    """My profile and preferences. My e-mail address appears here and nowhere else in the API."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    @extend_schema(operation_id="me_retrieve", summary="My profile", responses={200: MeSerializer})
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    @extend_schema(
        operation_id="me_update",
        summary="Change my display name or digest preference",
        request=MeSerializer,
        responses={200: MeSerializer},
    )
    def patch(self, request: Request) -> Response:
        data = MeSerializer(request.user, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        notifications = changes.pop("notifications", None)
        with transaction.atomic():
            user = user_update_profile(user=request.user, changes=changes)
            if notifications:
                notification_preference_set(user=user, **notifications)
        return Response(MeSerializer(user).data)


class ApiTokenSerializer(serializers.Serializer):
    token_key = serializers.CharField(help_text="The token's public prefix (never the secret).")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True, help_text="Null: it does not expire.")
    current = serializers.SerializerMethodField(help_text="The token this request came with.")

    def get_current(self, token) -> bool:
        auth = self.context["request"].auth
        return getattr(auth, "token_key", None) == token.token_key


class MyTokensView(KnownQueryParameters, APIView):
    """My API tokens that still work, newest first; the secret itself is shown only at log-in."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_tokens_list", summary="My API tokens", responses={200: ApiTokenSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        tokens = api_tokens(user=request.user)
        return Response(ApiTokenSerializer(tokens, many=True, context={"request": request}).data)


class MyTokenView(KnownQueryParameters, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_tokens_revoke",
        summary="Revoke one of my API tokens",
        description=(
            "By its token_key; the device using it is logged out. Revoking the current token is allowed."
        ),
        responses={204: None},
    )
    def delete(self, request: Request, token_key: str) -> Response:
        if not api_token_revoke(user=request.user, token_key=token_key):
            raise exceptions.NotFound("You have no token with this token_key.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountDeleteInputSerializer(serializers.Serializer):
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, help_text="My password: a token alone cannot delete me."
    )


class MeExportView(KnownQueryParameters, APIView):
    """Everything the site keeps about me, as one JSON document (the web download is the same)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="me_export", summary="Download my data", responses={200: UserDataSerializer})
    def get(self, request: Request) -> Response:
        response = Response(UserDataSerializer(user_data(user=request.user)).data)
        response["Cache-Control"] = "no-store"
        return response


class MeDeleteView(KnownQueryParameters, APIView):
    """Delete my account. Votes stay, anonymous; RSVPs, tokens and the profile go."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_delete",
        summary="Delete my account (needs my password)",
        request=AccountDeleteInputSerializer,
        responses={204: None},
    )
    def post(self, request: Request) -> Response:
        data = AccountDeleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username = request.user.get_username()
        # authenticate(), so wrong passwords count towards the log-in lock-out like a log-in.
        confirmed = authenticate(
            request._request, username=username, password=data.validated_data["password"]
        )
        if confirmed is None and locked_out(request):
            cooloff = getattr(settings, "AXES_COOLOFF_TIME", None)
            raise exceptions.Throttled(wait=int(cooloff.total_seconds()) if cooloff else None)
        if confirmed is None or confirmed.pk != request.user.pk:
            raise exceptions.ValidationError({"password": ["That is not your password."]})
        if request.user.is_superuser:
            raise exceptions.PermissionDenied(ADMINISTRATOR_SELF_DELETE)
        user_delete(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
