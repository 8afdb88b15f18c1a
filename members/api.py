"""The member's own profile in the REST API: the one place an e-mail address is shown."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from members.models import User
from members.services import user_update_profile


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
