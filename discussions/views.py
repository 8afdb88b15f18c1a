"""Web pages of discussions: the thread's actions, live updates, the Discussions page, mentions.

Every action is a POST with CSRF. htmx requests get a fragment (the changed thread block, or
the form with its errors); plain requests are redirected back to the page (303), or shown a
page with the form and its errors, so everything works without JavaScript.
"""

import contextlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from discussions import notifications, selectors, services
from discussions.models import Comment
from discussions.services import RateLimited, Target
from discussions.text import quote
from readinggroup.web import member_action, read_access, redirect_back, safe_next, vary_on_htmx


def _page_path(request: HttpRequest) -> str:
    """The page the member is on: for htmx the page that asked (its links and forms come back
    there), else this request's own."""
    if request.htmx:
        return request.htmx.current_url_abs_path or safe_next(request, fallback="/")
    return request.get_full_path()


def _render(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return render(request, template, {"page_path": _page_path(request), **context}, status=status)


def _target(request: HttpRequest, kind: str, pk: int):
    obj = selectors.target_object(user=request.user, kind=kind, pk=pk)
    if obj is None:
        raise Http404("No such paper or session.")
    return obj


def _comment(request: HttpRequest, pk: int) -> Comment:
    comment = get_object_or_404(Comment.objects.select_related("paper", "meeting"), pk=pk)
    if not selectors.comment_target_visible(user=request.user, comment=comment):
        raise Http404("No such comment.")
    return comment


def _errors(error: ValidationError) -> list[str]:
    return [
        m for e in getattr(error, "error_dict", {"": error}).values() for m in ValidationError(e).messages
    ]


def _form_context(request, *, action: str, body: str = "", parent=None, errors=(), editing=None) -> dict:
    return {
        "action": action,
        "body": body,
        "parent": parent,
        "errors": list(errors),
        "editing": editing,
        "next_url": request.POST.get("next") or request.GET.get("next") or "",
        "max_chars": settings.DISCUSSION_MAX_CHARS,
    }


def _form_answer(request, context: dict, status: int) -> HttpResponse:
    """The form again with its errors: a fragment for htmx (200, so htmx swaps it), else a page."""
    if request.htmx:
        response = _render(request, "discussions/_form.html", context)
        if context["editing"] is not None:
            # The edit form stands in the comment's place; the success answer replaces the root.
            response["HX-Retarget"] = f"#comment-{context['editing'].pk}"
        return response
    return _render(request, "discussions/form_page.html", context, status=status)


def _block(request: HttpRequest, root_id: int) -> HttpResponse:
    roots = selectors.thread_block(root_id=root_id, user=request.user)
    return _render(request, "discussions/_block.html", {"roots": roots, "root_id": root_id})


@member_action
def comment_create(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    target = _target(request, kind, pk)
    body, parent_id = request.POST.get("body", ""), request.POST.get("parent") or None
    action = request.path
    try:
        comment = services.comment_create(author=request.user, target=target, body=body, parent_id=parent_id)
    except ValidationError as error:
        context = _form_context(request, action=action, body=body, parent=parent_id, errors=_errors(error))
        return _form_answer(request, context, 400)
    except RateLimited as error:
        context = _form_context(request, action=action, body=body, parent=parent_id, errors=[str(error)])
        response = _form_answer(request, context, 429)
        response["Retry-After"] = str(error.retry_after)
        return response
    if not request.htmx:
        return redirect_back(request, fallback=comment.get_absolute_url(), anchor=f"comment-{comment.pk}")
    root = selectors.thread_block(root_id=comment.parent_id or comment.pk, user=request.user)[0]
    created = next((r for r in root.shown_replies if r.pk == comment.pk), root)
    context = _form_context(request, action=action, parent=parent_id) | {
        "created": created,
        "thread_key": f"{kind}-{pk}",
    }
    return _render(request, "discussions/_created.html", context)


@login_required
@require_safe
def comment_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """The form to answer a comment (prefilled with a quote when ?quote=1)."""
    comment = _comment(request, pk)
    if not comment.is_visible:
        raise Http404("This comment cannot be answered.")
    kind, target_pk = ("papers", comment.paper_id) if comment.paper_id else ("meetings", comment.meeting_id)
    body = quote(comment.body, comment.author.public_name if comment.author else "A former member")
    context = _form_context(
        request,
        action=reverse("discussions:create", args=[kind, target_pk]),
        body=body if request.GET.get("quote") else "",
        parent=comment.pk,
    ) | {"replying_to": comment}
    template = "discussions/_form.html" if request.htmx else "discussions/form_page.html"
    return vary_on_htmx(_render(request, template, context))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def comment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    comment = _comment(request, pk)
    if comment.author_id != request.user.pk:
        raise PermissionDenied("Only its author may edit a comment.")
    if request.method != "POST":  # GET or HEAD: the form
        context = _form_context(request, action=request.path, body=comment.body, editing=comment)
        template = "discussions/_form.html" if request.htmx else "discussions/form_page.html"
        return vary_on_htmx(_render(request, template, context))
    body = request.POST.get("body", "")
    try:
        services.comment_edit(user=request.user, comment_id=pk, body=body)
    except ValidationError as error:
        context = _form_context(
            request, action=request.path, body=body, editing=comment, errors=_errors(error)
        )
        return _form_answer(request, context, 400)
    return _after_change(request, comment)


def _after_change(request: HttpRequest, comment: Comment) -> HttpResponse:
    if request.htmx:
        return _block(request, comment.parent_id or comment.pk)
    return redirect_back(request, fallback=comment.get_absolute_url())


def _act(request: HttpRequest, pk: int, service) -> HttpResponse:
    comment = _comment(request, pk)
    with contextlib.suppress(ValidationError):  # already deleted: the page shows it as it is
        service(user=request.user, comment_id=pk)
    return _after_change(request, comment)


@member_action
def comment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.comment_delete)


@member_action
def comment_hide(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.comment_hide)


@member_action
def comment_unhide(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.comment_unhide)


@member_action
def subscription(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    target = _target(request, kind, pk)
    wanted = request.POST.get("subscribed", "1") not in ("0", "false", "")
    services.subscription_set(user=request.user, target=target, subscribed=wanted)
    if request.htmx:
        context = {"kind": kind, "target": target, "subscribed": wanted}
        return _render(request, "discussions/_subscription.html", context)
    return redirect_back(request, fallback=target.get_absolute_url(), anchor="discussion")


@read_access
@require_safe
def thread_new(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """What others posted since the cursor (?after=<comment id>): the poller's answer."""
    target = _target(request, kind, pk)
    try:
        after = int(request.GET.get("after", ""))
    except ValueError:
        return HttpResponseBadRequest("after: the id of the last comment seen, a whole number.")
    new = selectors.new_since(target=Target.of(target), user=request.user, after=after)
    if new:  # shown on the open page: seen
        services.thread_mark_read(user=request.user, target=target, through=selectors.cursor(new))
    context = {
        "new": new,
        "kind": kind,
        "target": target,
        "cursor": max(after, selectors.cursor(new)),
        "thread_key": f"{kind}-{pk}",
        "poll_seconds": settings.DISCUSSION_POLL_SECONDS,
    }
    return _render(request, "discussions/_poll.html", context)


@read_access
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The Discussions page: the latest comments on every thread this visitor may read."""
    user = request.user
    context = {
        "comments": selectors.latest(user=user),
        "nav": "discussions",
        "mail_on": user.is_authenticated and selectors.mail_enabled(user),
        "mail_minutes": settings.DISCUSSION_EMAIL_MINUTES,
        "open_reports": selectors.open_reports() if user.is_authenticated and user.is_organiser else 0,
    }
    return _render(request, "discussions/index.html", context)


@read_access
@require_safe
def member(request: HttpRequest, username: str) -> HttpResponse:
    """A member's page in discussions (where @mentions link): their name and latest comments."""
    person = get_object_or_404(get_user_model(), username=username, is_active=True)
    comments = selectors.latest(user=request.user, author=person, limit=20)
    return _render(request, "discussions/member.html", {"person": person, "comments": comments})


@login_required
@require_safe
def member_search(request: HttpRequest) -> JsonResponse:
    """Members for @mention autocompletion: usernames and names, never e-mail addresses."""
    users = selectors.member_suggestions(prefix=request.GET.get("q", ""))
    return JsonResponse({"members": [{"username": u.username, "name": u.public_name} for u in users]})


@login_required
@require_safe
def unread(request: HttpRequest) -> HttpResponse:
    """The navigation's badge (loaded by htmx after the page, so pages cost no extra query)."""
    count = selectors.unread_count(user=request.user)
    return _render(request, "discussions/_unread.html", {"unread": count})


# The signed token is the credential, and mail programs doing RFC 8058 one-click unsubscribe
# POST without a CSRF token. A GET only shows the button (link scanners follow every URL).
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user_id = notifications.read_unsubscribe_token(token)
    except signing.SignatureExpired:
        return _render(request, "discussions/unsubscribe.html", {"expired": True}, status=403)
    except signing.BadSignature:
        raise Http404("This unsubscribe link is not valid.") from None
    person = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if person is None:
        raise Http404("This unsubscribe link is not valid.")
    if request.method == "POST":
        services.mail_set(user=person, enabled=False)
    return _render(
        request, "discussions/unsubscribe.html", {"member": person, "done": request.method == "POST"}
    )


@member_action
def mail_toggle(request: HttpRequest) -> HttpResponse:
    """Discussion e-mails on (enabled=1) or off (enabled=0) for me."""
    enabled = request.POST.get("enabled", "1") not in ("0", "false", "")
    services.mail_set(user=request.user, enabled=enabled)
    messages.success(request, f"Discussion e-mails are {'on' if enabled else 'off'}.")
    return redirect_back(request, fallback=reverse("discussions:index"))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def comment_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Report a comment to the organisers, with a reason (a page, so it works without JavaScript)."""
    comment = _comment(request, pk)
    context = {"comment": comment, "reason": "", "errors": [], "next_url": safe_next(request, fallback="")}
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            services.comment_report(user=request.user, comment_id=pk, reason=reason)
        except ValidationError as error:
            context |= {"reason": reason, "errors": _errors(error)}
            return _render(request, "discussions/report.html", context, status=400)
        messages.success(request, "Thank you: the organisers will look at this comment.")
        return redirect_back(request, fallback=comment.get_absolute_url())
    return _render(request, "discussions/report.html", context)
