"""Token authentication for the API: django-rest-knox's, as shipped.

knox reads the token with its member (one query) and sweeps the member's expired tokens
(a second one); AUTO_REFRESH is off, so a request never writes. A token lives TOKEN_TTL
from login, then the member logs in again. knox also refuses inactive members.

Kept apart from the views: DRF imports this module while rest_framework.views loads.
"""

import re

from knox import auth as knox_auth
from knox.settings import knox_settings
from rest_framework import exceptions


class TokenAuthentication(knox_auth.TokenAuthentication):
    def authenticate_credentials(self, token: bytes):
        # A well-formed token is the prefix and hex digits; anything else (bytes knox could
        # not decode included, which would be a 500) is a 401 that never reaches the database.
        shape = (
            re.escape(knox_settings.TOKEN_PREFIX) + f"[0-9a-f]{{{knox_settings.AUTH_TOKEN_CHARACTER_LENGTH}}}"
        )
        if not re.fullmatch(shape.encode("ascii"), token):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(token)
