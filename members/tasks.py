from celery import shared_task
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from members.invitations import make_token
from members.models import Invitation, User


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_invitation(invitation_id: int) -> None:
    """Mail the signup link; a revoked or accepted invitation is not mailed."""
    invitation = Invitation.objects.open().filter(pk=invitation_id).select_related("invited_by").first()
    if invitation is None:
        return
    token = make_token(invitation_id=invitation.pk, email=invitation.email)
    context = {
        "invitation": invitation,
        "link": settings.SITE_URL + reverse("members:join", args=[token]),
        "days": settings.INVITATION_MAX_AGE_DAYS,
        "site_name": settings.SITE_NAME,
    }
    send_mail(
        subject=f"You are invited to join {settings.SITE_NAME}",
        message=render_to_string("members/invitation_email.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_password_reset(user_id: int) -> None:
    """Mail a link to choose a new password, made now: it works once, for PASSWORD_RESET_TIMEOUT.

    Nobody is mailed when the account was deactivated or lost its address or password since.
    """
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None or not user.has_usable_password():
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    context = {
        "user": user,
        "link": settings.SITE_URL + reverse("password_reset_confirm", args=[uid, token]),
        "site_name": settings.SITE_NAME,
    }
    send_mail(
        subject=render_to_string("registration/password_reset_subject.txt", context).strip(),
        message=render_to_string("registration/password_reset_email.html", context),
        from_email=None,
        recipient_list=[user.email],
    )
