from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from members.invitations import make_token
from members.models import Invitation


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
