"""Signed invitation links: the token names the invitation and its address and expires by itself."""

from django.conf import settings
from django.core import signing

SALT = "members.invitation"


class InvitationLinkError(Exception):
    """The link is not one we made, has expired, or its invitation is gone or used."""

    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired


def make_token(*, invitation_id: int, email: str) -> str:
    return signing.dumps({"i": invitation_id, "e": email.lower()}, salt=SALT, compress=True)


def read_token(token: str) -> tuple[int, str]:
    """(invitation id, e-mail) from a token; raises InvitationLinkError when invalid or expired."""
    max_age = settings.INVITATION_MAX_AGE_DAYS * 24 * 3600
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise InvitationLinkError("This invitation link has expired.", expired=True) from None
    except signing.BadSignature:
        raise InvitationLinkError("This invitation link is not valid.") from None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int) or not isinstance(data.get("e"), str):
        raise InvitationLinkError("This invitation link is not valid.")
    return data["i"], data["e"]
