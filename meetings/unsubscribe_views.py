"""One-click unsubscribe from session e-mails, by the signed link in every message."""

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from meetings.models import Notice
from meetings.notifications import read_unsubscribe_token
from meetings.services import notice_unsubscribe
from members.models import User


# The signed token is the credential, and mail programs doing RFC 8058 one-click
# unsubscribe POST without a CSRF token. A GET only shows the button: link
# scanners that follow every URL in a message must not unsubscribe anyone.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user_id, kind = read_unsubscribe_token(token)
    except signing.SignatureExpired:
        return render(request, "meetings/unsubscribe.html", {"expired": True}, status=403)
    except signing.BadSignature:
        raise Http404("This unsubscribe link is not valid.") from None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise Http404("This unsubscribe link is not valid.")
    context = {"kind": Notice.Kind(kind), "member": user, "done": request.method == "POST"}
    if request.method == "POST":
        notice_unsubscribe(user=user, kind=kind)
    return render(request, "meetings/unsubscribe.html", context)
