"""Token authentication for the API (django-rest-knox), cheap enough for every request.

It costs one query (the token with its user, by key) and no write: AUTO_REFRESH is
off, so a token lives TOKEN_TTL from login and then the member logs in again. knox's
own check also scans the member's other tokens for expired ones on every request (a
second query); here that sweep happens at login instead (readinggroup.rest.auth).

Kept apart from the views: DRF imports this module while rest_framework.views loads.
"""

import re

from django.utils import timezone
from knox import auth as knox_auth
from knox.settings import knox_settings
from rest_framework import exceptions


class TokenAuthentication(knox_auth.TokenAuthentication):
    def authenticate_credentials(self, token: bytes):
        try:
            text = token.decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        # A well-formed token is the prefix and hex digits; anything else never reaches the database.
        shape = (
            re.escape(knox_settings.TOKEN_PREFIX) + f"[0-9a-f]{{{knox_settings.AUTH_TOKEN_CHARACTER_LENGTH}}}"
        )
        if not re.fullmatch(shape, text):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(text.encode("ascii"))

    def _cleanup_token(self, auth_token) -> bool:
        """True (and the token deleted) when it has expired; other tokens are left to login."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False
