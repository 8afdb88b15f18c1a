"""Per-device API tokens (django-rest-knox): log in, log out, log out everywhere (routes in
readinggroup/api_urls.py)."""

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in, user_logged_out
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, extend_schema
from knox.models import get_token_model
from knox.settings import knox_settings
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from members.lockout import lockout_message
from readinggroup.rest.authentication import TokenAuthentication
from readinggroup.rest.query import KnownQueryParameters
from readinggroup.rest.throttles import AnonThrottle, LoginThrottle


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A token from POST /api/v1/auth/login/, sent as "Authorization: Token <token>".',
        }


class LoginInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send it as "Authorization: Token <token>".')
    expiry = serializers.DateTimeField(help_text="When the token stops working; log in again then.")


def locked_out(request: Request) -> bool:
    """django-axes flags a login refused for too many failures; the API answers that itself (429)."""
    django_request = request._request
    locked = bool(getattr(django_request, "axes_locked_out", False))
    if locked:
        django_request.axes_locked_out = False  # or AxesMiddleware would swap in its HTML page
    return locked


class LoginView(KnownQueryParameters, APIView):
    """Trade a username and password for a token for this device."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle, AnonThrottle]

    @extend_schema(
        operation_id="auth_login",
        request=LoginInputSerializer,
        responses={200: TokenSerializer},
        examples=[
            OpenApiExample(
                "Log in", value={"username": "ada", "password": "a long passphrase"}, request_only=True
            )
        ],
        auth=[],
        tags=["auth"],
        summary="Log in: get a token for this device",
    )
    def post(self, request: Request) -> Response:
        data = LoginInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request._request, **data.validated_data)
        if user is None and locked_out(request):
            cooloff = getattr(settings, "AXES_COOLOFF_TIME", None)
            wait = int(cooloff.total_seconds()) if cooloff else None
            raise exceptions.Throttled(wait=wait, detail=lockout_message())
        if user is None:
            raise exceptions.ValidationError(
                {"non_field_errors": ["Unable to log in with this username and password."]}
            )
        tokens = get_token_model().objects
        tokens.filter(user=user, expiry__lt=timezone.now()).delete()
        instance, token = tokens.create(user=user, expiry=knox_settings.TOKEN_TTL)
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response(TokenSerializer({"token": token, "expiry": instance.expiry}).data)


class LogoutView(KnownQueryParameters, APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_logout",
        request=None,
        responses={204: None},
        tags=["auth"],
        summary="Log out: end the token this request was sent with",
    )
    def post(self, request: Request) -> Response:
        request.auth.delete()
        user_logged_out.send(sender=request.user.__class__, request=request._request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(KnownQueryParameters, APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_logout_all",
        request=None,
        responses={204: None},
        tags=["auth"],
        summary="Log out everywhere: end every token of this member",
    )
    def post(self, request: Request) -> Response:
        request.user.auth_token_set.all().delete()
        user_logged_out.send(sender=request.user.__class__, request=request._request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
