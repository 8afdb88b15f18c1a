"""{% discussion paper %} / {% discussion meeting %}: a target's whole thread, for its page."""

from django import template
from django.conf import settings
from django.urls import reverse

from discussions import selectors, services
from discussions.services import Target

register = template.Library()


def _feed_url(target, kind: str) -> str:
    """The thread's Atom feed: listed papers of a public site only."""
    if kind != "papers" or not settings.SITE_PUBLIC or target.status != "listed":
        return ""
    return reverse("feeds:paper-comments-atom", args=[target.pk])


@register.inclusion_tag("discussions/_thread.html", takes_context=True)
def discussion(context, target) -> dict:
    request = context["request"]
    key = Target.of(target)
    kind = "papers" if key.paper_id is not None else "meetings"
    roots = selectors.thread(target=key, user=request.user)
    shown = [c for root in roots for c in (root, *root.shown_replies)]
    cursor = selectors.cursor(shown)
    subscription = selectors.subscription_of(request.user, key)
    if subscription is not None and subscription.read_through < cursor:
        services.thread_mark_read(user=request.user, target=key, through=cursor)
    return {
        "request": request,
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
        "target": target,
        "kind": kind,
        "roots": roots,
        "new": [],
        "cursor": cursor,
        "thread_key": f"{kind}-{target.pk}",
        "poll_seconds": settings.DISCUSSION_POLL_SECONDS,
        "subscribed": subscription is not None and subscription.active,
        "action": reverse("discussions:create", args=[kind, target.pk]),
        "max_chars": settings.DISCUSSION_MAX_CHARS,
        "next_url": request.get_full_path(),
        "page_path": request.get_full_path(),
        "feed_url": _feed_url(target, kind),
        "parent": None,
        "editing": None,
        "errors": [],
        "body": "",
    }


@register.inclusion_tag("discussions/_mail_switch.html", takes_context=True)
def discussion_mail_switch(context) -> dict:
    """Discussion e-mails on or off, for the profile page (a form of its own)."""
    request = context["request"]
    return {
        "csrf_token": context.get("csrf_token"),
        "mail_on": selectors.mail_enabled(request.user),
        "mail_minutes": settings.DISCUSSION_EMAIL_MINUTES,
        "next_url": request.get_full_path(),
    }
