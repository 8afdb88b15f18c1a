"""The member's own profile in the REST API (the one place an e-mail address is shown), data and deletion."""

from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from members.auth_api import locked_out
from members.export import UserDataSerializer
from members.models import User
from members.selectors import user_data
from members.services import ADMINISTRATOR_SELF_DELETE, user_delete, user_update_profile


class MeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="public_name", read_only=True, help_text="What other members see.")
    display_name = serializers.CharField(
        max_length=150, required=False, allow_blank=True, help_text="Empty: fall back to the username."
    )
    digest_enabled = serializers.BooleanField(
        required=False, help_text="Receive the weekly digest by e-mail."
    )

    class Meta:
        model = User
        fields = ["id", "username", "email", "name", "display_name", "role", "digest_enabled", "date_joined"]
        read_only_fields = ["id", "username", "email", "role", "date_joined"]

    def validate_display_name(self, value: str) -> str:
        return value.strip()


class MeView(APIView):
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
        user = user_update_profile(user=request.user, changes=dict(data.validated_data))
        return Response(MeSerializer(user).data)


class AccountDeleteInputSerializer(serializers.Serializer):
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, help_text="My password: a token alone cannot delete me."
    )


class MeExportView(APIView):
    """Everything the site keeps about me, as one JSON document (the web download is the same)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="me_export", summary="Download my data", responses={200: UserDataSerializer})
    def get(self, request: Request) -> Response:
        response = Response(UserDataSerializer(user_data(user=request.user)).data)
        response["Cache-Control"] = "no-store"
        return response


class MeDeleteView(APIView):
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
