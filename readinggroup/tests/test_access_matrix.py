"""The access matrix: every URL pattern of the site, asked by every kind of visitor.

Every route of readinggroup.urls (walked recursively: pages, feeds, the admin and the API
router, named or not) must have a row in MATRIX, or test_every_route_has_a_row fails: a
new route cannot ship without someone deciding who may use it. Each row gives, per HTTP
method, the answer each role gets, in the column order of ROLES:

    anon     a visitor who is not logged in, SITE_PUBLIC on (the default)
    private  the same visitor with SITE_PUBLIC off
    member   the member who owns the objects in the URL (their token, calendar, RSVP, …)
    other    another member, asking for the same URL (the first member's objects)
    admin    an organiser

An answer is a status code, or LOGIN / ADMIN_LOGIN (a 302 to the site's or the admin's
log-in page). Every request runs in its own rolled-back transaction, so a POST by one
role never changes what the next role sees. API routes are asked with a token, pages with
a session.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from knox.models import AuthToken

from discussions.models import Comment, Report
from discussions.notifications import unsubscribe_token as discussion_unsubscribe_token
from discussions.services import comment_create
from meetings.notifications import unsubscribe_token
from meetings.tests.factories import AgendaItemFactory, MeetingFactory, RSVPFactory
from members.invitations import make_token
from members.models import Invitation
from members.services import api_token_create
from members.tests.factories import UserFactory
from papers.models import Paper, TopicAssignment, Vote
from papers.services import paper_vote_set
from papers.tests.factories import AuthorFactory, FetchRunFactory, PaperFactory, SourceFactory, TagFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
ROLES = ("anon", "private", "member", "other", "admin")
LOGIN, ADMIN_LOGIN = "login", "admin-login"

# --- Rows used again and again ------------------------------------------------------------------
#             anon          private       member       other        admin (an organiser)
PUBLIC = (200, LOGIN, 200, 200, 200)  # readable by anyone while SITE_PUBLIC is on
MEMBERS = (LOGIN, LOGIN, 200, 200, 200)
ORGANISERS = (LOGIN, LOGIN, 403, 403, 200)
ANYONE = (200, 200, 200, 200, 200)
STAFF_ONLY = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200)  # the admin
SUPERUSER_ONLY = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 403)
# Member actions (@member_action): POST only; visitors log in first and come back.
ACTION_GET = (405, 405, 405, 405, 405)
ACTION_POST = (LOGIN, LOGIN, 303, 303, 303)
# Members' own POST-only pages (@login_required before @require_POST).
OWN_GET = (LOGIN, LOGIN, 405, 405, 405)
# Organisers' POST-only actions.
ORGANISER_GET = (LOGIN, LOGIN, 403, 403, 405)
ORGANISER_POST = (LOGIN, LOGIN, 403, 403, 302)
# The API: anonymous clients read while SITE_PUBLIC is on; writes need a token.
API_READ = (200, 401, 200, 200, 200)
API_MEMBERS = (401, 401, 200, 200, 200)

MATRIX: dict[str, dict[str, tuple]] = {
    # Site
    "home": {"GET": PUBLIC},
    "healthz": {"GET": ANYONE, "POST": (405,) * 5},
    # Off without METRICS_TOKEN; then the bearer token opens it, not a role (test_metrics.py).
    "metrics": {"GET": (404,) * 5, "POST": (405,) * 5},
    # Accounts (django.contrib.auth)
    "login": {"GET": ANYONE, "POST": (302,) * 5},
    "logout": {"GET": (405,) * 5, "POST": (302,) * 5},
    "password_change": {"GET": MEMBERS, "POST": (LOGIN, LOGIN, 200, 200, 200)},
    "password_change_done": {"GET": MEMBERS},
    "password_reset": {"GET": ANYONE, "POST": (302,) * 5},
    "password_reset_done": {"GET": ANYONE},
    "password_reset_confirm": {"GET": (302,) * 5},  # a valid link goes on to the set-password form
    "password_reset_complete": {"GET": ANYONE},
    # Papers
    "papers:detail": {"GET": PUBLIC},
    "papers:vote": {"GET": ACTION_GET, "POST": ACTION_POST},
    "papers:dismiss": {"GET": ACTION_GET, "POST": ACTION_POST},
    "papers:for-you": {"GET": MEMBERS},  # a member's own list, whatever SITE_PUBLIC says
    # Only for the suggester of a paper still waiting for its details (w.paper has them: 404);
    # the suggester's side is in papers/tests/test_suggest_failures.py.
    "papers:suggestion-retry": {"GET": ACTION_GET, "POST": (LOGIN, LOGIN, 404, 404, 404)},
    "papers:suggestion-withdraw": {"GET": ACTION_GET, "POST": (LOGIN, LOGIN, 404, 404, 404)},
    "papers:trending": {"GET": PUBLIC},
    "papers:new": {"GET": PUBLIC},
    "papers:daily": {"GET": PUBLIC},
    "papers:daily-day": {"GET": PUBLIC},
    "papers:tags": {"GET": PUBLIC},
    "papers:tag": {"GET": PUBLIC},
    "papers:tag-follow": {"GET": ACTION_GET, "POST": ACTION_POST},
    "papers:search": {"GET": PUBLIC},
    "papers:suggest": {"GET": MEMBERS, "POST": (LOGIN, LOGIN, 302, 302, 302)},
    "papers:bibtex": {"GET": PUBLIC},
    # Sessions
    "meetings:list": {"GET": PUBLIC},
    "meetings:detail": {"GET": PUBLIC},
    "meetings:rsvp": {"GET": ACTION_GET, "POST": ACTION_POST},
    "meetings:offer": {"GET": ACTION_GET, "POST": ACTION_POST},
    "meetings:withdraw": {"GET": ACTION_GET, "POST": ACTION_POST},
    "meetings:calendar": {"GET": PUBLIC, "POST": (405, 405, 405, 405, 405)},
    # The private calendar address is the credential: whoever holds it reads it (it shows
    # only that member's sessions, never an address); "make a new link" revokes it.
    "meetings:member-calendar": {"GET": ANYONE},
    "meetings:bibtex": {"GET": PUBLIC},
    "meetings:csv": {"GET": PUBLIC},
    # The signed link is the credential (one-click unsubscribe from a mail program).
    "meetings:unsubscribe": {"GET": ANYONE, "POST": ANYONE},
    "meetings:organise-home": {"GET": ORGANISERS},
    "meetings:organise-create": {"GET": ORGANISERS, "POST": (LOGIN, LOGIN, 403, 403, 302)},
    "meetings:organise": {"GET": ORGANISERS},
    "meetings:organise-fill": {"GET": ORGANISER_GET, "POST": ORGANISER_POST},
    "meetings:organise-done": {"GET": ORGANISER_GET, "POST": ORGANISER_POST},
    "meetings:organise-cancel": {"GET": ORGANISER_GET, "POST": ORGANISER_POST},
    "meetings:organise-move": {"GET": ORGANISER_GET, "POST": ORGANISER_POST},
    "meetings:organise-presenter": {"GET": ORGANISER_GET, "POST": ORGANISER_POST},
    "meetings:organise-remove": {"GET": ORGANISER_GET, "POST": ORGANISER_POST},
    # Feeds
    "feeds:papers-new-rss": {"GET": PUBLIC},
    "feeds:papers-new-atom": {"GET": PUBLIC},
    "feeds:queue-rss": {"GET": PUBLIC},
    "feeds:queue-atom": {"GET": PUBLIC},
    "feeds:tag-rss": {"GET": PUBLIC},
    "feeds:tag-atom": {"GET": PUBLIC},
    "feeds:meetings-rss": {"GET": PUBLIC},
    "feeds:meetings-atom": {"GET": PUBLIC},
    "feeds:paper-comments-atom": {"GET": (200, 404, 200, 200, 200)},  # public sites only
    # Discussions: the comment in the URLs is the member's; organisers moderate, authors edit.
    "discussions:index": {"GET": PUBLIC},
    "discussions:member": {"GET": PUBLIC},
    "discussions:member-search": {"GET": MEMBERS},
    "discussions:create": {"GET": ACTION_GET, "POST": ACTION_POST},
    "discussions:new": {"GET": PUBLIC},
    "discussions:subscription": {"GET": ACTION_GET, "POST": ACTION_POST},
    "discussions:reply": {"GET": MEMBERS, "POST": (LOGIN, LOGIN, 405, 405, 405)},
    "discussions:edit": {"GET": (LOGIN, LOGIN, 200, 403, 403), "POST": (LOGIN, LOGIN, 303, 403, 403)},
    "discussions:delete": {"GET": ACTION_GET, "POST": (LOGIN, LOGIN, 303, 403, 403)},
    "discussions:hide": {"GET": ACTION_GET, "POST": (LOGIN, LOGIN, 403, 403, 303)},
    "discussions:unhide": {"GET": ACTION_GET, "POST": (LOGIN, LOGIN, 403, 403, 303)},
    "discussions:email": {"GET": ACTION_GET, "POST": ACTION_POST},
    "discussions:unread": {"GET": MEMBERS},
    # Reporting one's own comment is allowed (the form does not offer it); the other member's
    # report of it is open already (a 400 form error: once while open).
    "discussions:report": {"GET": MEMBERS, "POST": (LOGIN, LOGIN, 303, 400, 303)},
    # The signed link is the credential (one-click unsubscribe from a mail program).
    "discussions:unsubscribe": {"GET": ANYONE, "POST": ANYONE},
    # Members' own pages: each acts on the member asking, whatever the URL says.
    "members:profile": {"GET": MEMBERS, "POST": (LOGIN, LOGIN, 302, 302, 302)},
    "members:calendar-regenerate": {"GET": OWN_GET, "POST": (LOGIN, LOGIN, 302, 302, 302)},
    "members:token-create": {"GET": OWN_GET, "POST": (LOGIN, LOGIN, 200, 200, 200)},
    # The member's token key: another member gets "no such token" (see the ownership tests).
    "members:token-revoke": {"GET": OWN_GET, "POST": (LOGIN, LOGIN, 302, 302, 302)},
    "members:export": {"GET": MEMBERS, "POST": (LOGIN, LOGIN, 405, 405, 405)},
    "members:delete": {"GET": MEMBERS, "POST": (LOGIN, LOGIN, 302, 302, 302)},
    "members:invitations": {"GET": ORGANISERS, "POST": (LOGIN, LOGIN, 403, 403, 302)},
    "members:invitation-revoke": {"GET": ORGANISER_GET, "POST": ORGANISER_POST},
    "members:invitation-resend": {"GET": ORGANISER_GET, "POST": ORGANISER_POST},
    # An open invitation's link; logged-in members are sent home.
    # (The POST sends passwords that differ: a form error for visitors.)
    "members:join": {"GET": (200, 200, 302, 302, 302), "POST": (400, 400, 302, 302, 302)},
    # REST API (token authentication)
    "api:api-root": {"GET": API_READ},
    "api:login": {"GET": (405,) * 5, "POST": ANYONE},
    "api:logout": {"GET": (401, 401, 405, 405, 405), "POST": (401, 401, 204, 204, 204)},
    "api:logoutall": {"GET": (401, 401, 405, 405, 405), "POST": (401, 401, 204, 204, 204)},
    "api:me": {"GET": API_MEMBERS, "PATCH": API_MEMBERS, "DELETE": (401, 401, 405, 405, 405)},
    "api:me-export": {"GET": API_MEMBERS},
    "api:me-tokens": {"GET": API_MEMBERS},
    # The member's token key: anyone else has no token with that key.
    "api:me-token": {"GET": (401, 401, 405, 405, 405), "DELETE": (401, 401, 204, 404, 404)},
    "api:paper-deleted": {"GET": API_READ},
    "api:me-delete": {"GET": (401, 401, 405, 405, 405), "POST": (401, 401, 204, 204, 204)},
    "api:schema": {"GET": ANYONE},
    "api:docs": {"GET": ANYONE},
    "api:redoc": {"GET": ANYONE},
    "api:paper-list": {"GET": API_READ, "POST": (401, 401, 201, 201, 201)},
    "api:paper-detail": {"GET": API_READ, "DELETE": (401, 401, 405, 405, 405)},
    "api:paper-vote": {"GET": (405, 401, 405, 405, 405), "PUT": API_MEMBERS, "DELETE": API_MEMBERS},
    "api:paper-related": {"GET": API_READ},
    "api:paper-dismiss": {"GET": (405, 401, 405, 405, 405), "POST": API_MEMBERS, "DELETE": API_MEMBERS},
    "api:tag-list": {"GET": API_READ},
    "api:tag-follow": {"GET": API_MEMBERS, "PUT": API_MEMBERS, "DELETE": API_MEMBERS},
    "api:meeting-list": {"GET": API_READ},
    "api:meeting-detail": {"GET": API_READ},
    "api:meeting-rsvp": {"PUT": API_MEMBERS},
    # The other member presents this item already: offering it is a conflict.
    "api:meeting-offer": {"PUT": (401, 401, 200, 409, 200), "DELETE": API_MEMBERS},
    "api:paper-comments": {"GET": API_READ, "POST": (401, 401, 201, 201, 201)},
    "api:meeting-comments": {"GET": API_READ, "POST": (401, 401, 201, 201, 201)},
    "api:paper-subscription": {"GET": API_MEMBERS, "PUT": API_MEMBERS, "DELETE": API_MEMBERS},
    "api:meeting-subscription": {"GET": API_MEMBERS, "PUT": API_MEMBERS, "DELETE": API_MEMBERS},
    # The member's comment: only its author edits or deletes it, organisers hide it.
    "api:comment-detail": {
        "GET": API_READ,
        "PATCH": (401, 401, 200, 403, 403),
        "DELETE": (401, 401, 204, 403, 403),
    },
    "api:discussions-unread": {"GET": API_MEMBERS},
    "api:comment-hidden": {"PUT": (401, 401, 403, 403, 200), "DELETE": (401, 401, 403, 403, 200)},
    r"api/v1/^[\s\S]*$": {"GET": (404,) * 5, "POST": (404,) * 5},  # unknown API paths
    # Django admin: the site's own views (the model views follow from ADMIN_MODELS below)
    "admin:index": {"GET": STAFF_ONLY},
    "admin:login": {"GET": (200, 200, 200, 200, 302)},  # staff already logged in go to the index
    "admin:logout": {"GET": (302, 302, 302, 302, 405)},  # to the admin index (and on to its log-in)
    "admin:password_change": {"GET": STAFF_ONLY},
    "admin/password_change/": {"GET": STAFF_ONLY},  # served by the site's form (readinggroup/urls.py)
    "admin:password_change_done": {"GET": STAFF_ONLY},
    "admin:autocomplete": {"GET": (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 200)},
    "admin:jsi18n": {"GET": STAFF_ONLY},
    "admin:view_on_site": {"GET": (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 302)},
    "admin:app_list": {"GET": STAFF_ONLY},
    "admin:meetings_send_digest": {
        "GET": (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 405),
        "POST": (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 302),
    },
    "admin:auth_user_password_change": {"GET": STAFF_ONLY},
    "admin/(?P<url>.*)$": {"GET": (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, 404)},
}

# Every model in the admin, with who manages it and which views differ from the usual five.
ADMIN_VIEWS = ("changelist", "add", "change", "delete", "history", "object")
OBJECT_REDIRECT = (ADMIN_LOGIN,) * 4 + (302,)  # admin/<app>/<model>/<id>/ -> .../change/
ADMIN_MODELS: dict[str, dict[str, tuple]] = {
    "papers_paper": {},
    "papers_author": {},
    "papers_tag": {},
    "papers_topicassignment": {"add": SUPERUSER_ONLY},  # the workers assign; organisers decide
    "papers_source": {},
    "papers_vote": {"add": SUPERUSER_ONLY},  # votes change through the vote service only
    "papers_fetchrun": {"add": SUPERUSER_ONLY},  # written by fetches only
    "meetings_meeting": {},
    "meetings_agendaitem": {},
    "meetings_rsvp": {"add": SUPERUSER_ONLY},  # answers change through the RSVP services only
    "members_user": {},
    "members_invitation": {},
    # Comments change through the services only (they keep comment_count exact): no add, no delete.
    "discussions_comment": {"add": SUPERUSER_ONLY, "delete": SUPERUSER_ONLY},
    "discussions_report": {"add": SUPERUSER_ONLY},  # members report on the site
    # Superusers only: organisers cannot grant themselves more or read tokens and log-in logs.
    "auth_group": {view: SUPERUSER_ONLY for view in ADMIN_VIEWS if view != "object"},
    "knox_authtoken": {view: SUPERUSER_ONLY for view in ADMIN_VIEWS if view != "object"},
    "axes_accessattempt": {view: SUPERUSER_ONLY for view in ADMIN_VIEWS if view != "object"},
    "axes_accesslog": {view: SUPERUSER_ONLY for view in ADMIN_VIEWS if view != "object"},
    "axes_accessfailurelog": {view: SUPERUSER_ONLY for view in ADMIN_VIEWS if view != "object"},
}


# Admin routes that name one object: route key -> the model whose object they name.
ADMIN_OBJECT_ROUTES: dict[str, str] = {}


def _admin_rows() -> dict[str, dict[str, tuple]]:
    rows = {}
    for model, exceptions in ADMIN_MODELS.items():
        app, name = model.split("_", 1)
        for view in ADMIN_VIEWS:
            key = f"admin/{app}/{name}/<path:object_id>/" if view == "object" else f"admin:{model}_{view}"
            default = OBJECT_REDIRECT if view == "object" else STAFF_ONLY
            rows[key] = {"GET": exceptions.get(view, default)}
            if view in {"change", "delete", "history", "object"}:
                ADMIN_OBJECT_ROUTES[key] = model
    return rows


ROWS = MATRIX | _admin_rows()


# --- Walking the URL configuration ---------------------------------------------------------------


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or ""
            yield from _walk(
                pattern, route, f"{namespace}:{inner}" if namespace and inner else inner or namespace
            )
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name or route


def all_routes() -> list[str]:
    return list(dict.fromkeys(_walk(get_resolver())))


def test_every_route_has_a_row():
    routes = set(all_routes())
    missing = sorted(routes - set(ROWS))
    assert not missing, f"Routes without a row in the access matrix (add one): {missing}"
    stale = sorted(set(ROWS) - routes)
    assert not stale, f"Rows for routes that no longer exist: {stale}"


# --- The objects the URLs name ------------------------------------------------------------------


@dataclass
class World:
    member: object
    paper: Paper
    tag: object
    meeting: object
    item: object
    past: object
    invitation: Invitation
    token_key: str
    objects: dict


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    """Made once for the module, in a transaction rolled back at its end; each test runs in a
    savepoint within it (and each request in one more), so nothing leaks between them."""
    with django_db_blocker.unblock(), transaction.atomic():
        member, other = UserFactory(username="member"), UserFactory(username="other")
        yield _make_world(member, other, UserFactory(username="organiser", role="organiser"))
        transaction.set_rollback(True)


@pytest.fixture
def world(_module_world, db, member, other_member, organiser) -> World:
    for row in (_module_world.member, _module_world.paper, _module_world.meeting, _module_world.item):
        row.refresh_from_db()  # a test may have changed the copy in memory
    return _module_world


def _make_world(member, other_member, organiser) -> World:
    tag = TagFactory(name="Graphs")
    paper = PaperFactory(tags=[tag], published_at=timezone.now() - timedelta(hours=1))
    paper_vote_set(user=member, paper_id=paper.pk, voted=True)
    meeting = MeetingFactory(capacity=5)
    item = AgendaItemFactory(meeting=meeting, paper=paper, presenter=other_member)
    AgendaItemFactory(meeting=meeting)  # a second item, so moving one changes something
    past = MeetingFactory(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    rsvp = RSVPFactory(meeting=meeting, user=member)
    invitation = Invitation.objects.create(email="new@example.org", invited_by=organiser)
    token, _ = api_token_create(user=member)
    run = FetchRunFactory()
    objects = {
        "papers_paper": paper.pk,
        "papers_author": AuthorFactory(name="Only Author").pk,
        "papers_tag": tag.pk,
        "papers_topicassignment": TopicAssignment.objects.get(paper=paper, topic=tag).pk,  # tagged by hand
        "papers_source": SourceFactory().pk,
        "papers_vote": Vote.objects.get(user=member).pk,
        "papers_fetchrun": run.pk,
        "meetings_meeting": meeting.pk,
        "meetings_agendaitem": item.pk,
        "meetings_rsvp": rsvp.pk,
        "members_user": member.pk,
        "members_invitation": invitation.pk,
        "auth_group": _group().pk,
        "knox_authtoken": token.pk,
        "axes_accessattempt": _axes("AccessAttempt").pk,
        "axes_accesslog": _axes("AccessLog").pk,
        "axes_accessfailurelog": _axes("AccessFailureLog").pk,
        "reset_user": UserFactory(username="forgetful"),
        "comment": comment_create(author=member, target=paper, body="A comment by the member").pk,
        "discussions_comment": Comment.objects.get(body="A comment by the member").pk,
        "discussions_report": Report.objects.create(
            comment=Comment.objects.get(body="A comment by the member"), reporter=other_member, reason="Rude"
        ).pk,
    }
    return World(member, paper, tag, meeting, item, past, invitation, token.token_key, objects)


def _group():
    from django.contrib.auth.models import Group

    return Group.objects.create(name="readers")


def _axes(model: str):
    from axes import models

    extra = {"failures_since_start": 1} if model == "AccessAttempt" else {}
    return getattr(models, model).objects.create(
        username="member", ip_address="192.0.2.1", user_agent="t", **extra
    )


# How to build each URL that takes arguments, and what to send with a POST/PUT/PATCH.
ARGS: dict[str, Callable[[World], list]] = {
    "papers:detail": lambda w: [w.paper.pk],
    "papers:vote": lambda w: [w.paper.pk],
    "papers:dismiss": lambda w: [w.paper.pk],
    "papers:suggestion-retry": lambda w: [w.paper.pk],
    "papers:suggestion-withdraw": lambda w: [w.paper.pk],
    "papers:daily-day": lambda w: [f"{w.paper.published_at:%Y-%m-%d}"],
    "papers:tag": lambda w: [w.tag.slug],
    "papers:tag-follow": lambda w: [w.tag.slug],
    "feeds:tag-rss": lambda w: [w.tag.slug],
    "feeds:tag-atom": lambda w: [w.tag.slug],
    "api:tag-follow": lambda w: [w.tag.slug],
    "meetings:detail": lambda w: [w.meeting.pk],
    "meetings:rsvp": lambda w: [w.meeting.pk],
    "meetings:offer": lambda w: [w.meeting.pk, w.item.pk],
    "meetings:withdraw": lambda w: [w.meeting.pk, w.item.pk],
    "meetings:member-calendar": lambda w: [w.member.calendar_token],
    "meetings:bibtex": lambda w: [w.meeting.pk],
    "meetings:csv": lambda w: [w.meeting.pk],
    "meetings:unsubscribe": lambda w: [unsubscribe_token(user=w.member, kind="reminder")],
    "meetings:organise": lambda w: [w.meeting.pk],
    "meetings:organise-fill": lambda w: [w.meeting.pk],
    "meetings:organise-done": lambda w: [w.past.pk],
    "meetings:organise-cancel": lambda w: [w.meeting.pk],
    "meetings:organise-move": lambda w: [w.item.pk],
    "meetings:organise-presenter": lambda w: [w.item.pk],
    "meetings:organise-remove": lambda w: [w.item.pk],
    "members:token-revoke": lambda w: [w.token_key],
    "discussions:member": lambda w: [w.member.username],
    "discussions:unsubscribe": lambda w: [discussion_unsubscribe_token(user=w.member)],
    "discussions:create": lambda w: ["papers", w.paper.pk],
    "discussions:subscription": lambda w: ["papers", w.paper.pk],
    **{
        f"discussions:{name}": lambda w: [w.objects["comment"]]
        for name in ("reply", "edit", "delete", "hide", "unhide", "report")
    },
    "members:invitation-revoke": lambda w: [w.invitation.pk],
    "members:invitation-resend": lambda w: [w.invitation.pk],
    "members:join": lambda w: [make_token(invitation_id=w.invitation.pk, email=w.invitation.email)],
    # A reset link of someone not logged in (logging in would change their token).
    "password_reset_confirm": lambda w: [
        urlsafe_base64_encode(force_bytes(w.objects["reset_user"].pk)),
        default_token_generator.make_token(w.objects["reset_user"]),
    ],
    "api:paper-detail": lambda w: [w.paper.pk],
    "api:paper-related": lambda w: [w.paper.pk],
    "api:paper-vote": lambda w: [w.paper.pk],
    "api:paper-dismiss": lambda w: [w.paper.pk],
    "api:meeting-detail": lambda w: [w.meeting.pk],
    "feeds:paper-comments-atom": lambda w: [w.paper.pk],
    "api:paper-comments": lambda w: [w.paper.pk],
    "api:meeting-comments": lambda w: [w.meeting.pk],
    "api:paper-subscription": lambda w: [w.paper.pk],
    "api:meeting-subscription": lambda w: [w.meeting.pk],
    "api:comment-detail": lambda w: [w.objects["comment"]],
    "api:comment-hidden": lambda w: [w.objects["comment"]],
    "api:meeting-rsvp": lambda w: [w.meeting.pk],
    "api:meeting-offer": lambda w: [w.meeting.pk, w.item.pk],
    "api:me-token": lambda w: [w.token_key],
    "admin:view_on_site": lambda w: [ContentType.objects.get_for_model(Paper).pk, w.paper.pk],
    "admin:app_list": lambda w: ["papers"],
    "admin:auth_user_password_change": lambda w: [w.member.pk],
}
PATHS: dict[str, Callable[[World], str]] = {
    "discussions:new": lambda w: reverse("discussions:new", args=["papers", w.paper.pk]) + "?after=0",
    r"api/v1/^[\s\S]*$": lambda w: "/api/v1/no-such-endpoint/",
    "admin/(?P<url>.*)$": lambda w: "/admin/no-such-page/",
    "admin/password_change/": lambda w: "/admin/password_change/",
    "admin:autocomplete": lambda w: (
        reverse("admin:autocomplete") + "?app_label=meetings&model_name=agendaitem&field_name=paper&term=a"
    ),
}
BODIES: dict[str, dict] = {
    "login": {"username": "member", "password": PASSWORD},
    "password_change": {"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
    "password_reset": {"email": "member@example.org"},
    "papers:suggest": {"reference": "2401.01234"},
    "meetings:rsvp": {"answer": "maybe"},
    "discussions:create": {"body": "Hello"},
    "discussions:edit": {"body": "Edited"},
    "discussions:report": {"reason": "Off topic"},
    "meetings:organise-create": {
        "title": "New session",
        "starts_at": "2099-01-01T18:00",
        "ends_at": "2099-01-01T19:00",
    },
    "meetings:organise-fill": {"count": "1"},
    "meetings:organise-move": {"direction": "down"},
    "meetings:organise-presenter": {"presenter": ""},
    "members:profile": {"display_name": "Someone", "email": ""},
    "members:delete": {"password": PASSWORD},
    "members:invitations": {"email": "another@example.org"},
    "members:join": {"username": "newcomer", "password1": "x", "password2": "y"},
    "api:login": {"username": "member", "password": PASSWORD},
    "api:me": {"display_name": "Someone"},
    "api:me-delete": {"password": PASSWORD},
    "api:paper-list": {"reference": "2401.01234"},
    "api:meeting-rsvp": {"answer": "maybe"},
    "api:paper-comments": {"body": "Hello"},
    "api:meeting-comments": {"body": "Hello"},
    "api:comment-detail": {"body": "Edited"},
}


def _url(key: str, world: World) -> str:
    if key in PATHS:
        return PATHS[key](world)
    if key in ADMIN_OBJECT_ROUTES:
        pk = world.objects[ADMIN_OBJECT_ROUTES[key]]
        if key.startswith("admin/"):
            return "/" + key.replace("<path:object_id>", str(pk))
        return reverse(key, args=[pk])
    return reverse(key, args=ARGS[key](world) if key in ARGS else None)


def _client(role: str, world: World, users: dict, api: bool) -> Client:
    user = users.get(role)
    if user is None:
        return Client()
    if api:
        _, token = AuthToken.objects.create(user=user)
        return Client(headers={"Authorization": f"Token {token}"})
    client = Client()
    client.force_login(user)
    return client


def outcome(response) -> int | str:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        if location.startswith(reverse("login")):
            return LOGIN
    return response.status_code


def _ask(client: Client, method: str, url: str, key: str, api: bool):
    body = BODIES.get(key)
    if method == "GET":
        return client.get(url)
    if api:
        return client.generic(method, url, json.dumps(body or {}), content_type="application/json")
    return client.generic(method, url, _form(body or {}), content_type="application/x-www-form-urlencoded")


def _form(data: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(data)


@pytest.fixture
def fast(settings):
    """No throttling, no outgoing metadata fetches: this test is about who gets in."""
    from unittest import mock

    rates = dict.fromkeys(("anon", "user", "login"), "100000/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # However the task is queued, it runs in-process in tests: stop it at the network.
    with mock.patch("papers.tasks.paper_fetch_metadata", return_value=False):
        yield settings


ROW_CASES = [(key, method) for key, methods in ROWS.items() for method in methods]


@pytest.mark.parametrize(("key", "method"), ROW_CASES, ids=[f"{m} {k}" for k, m in ROW_CASES])
def test_each_role_gets_the_answer_in_the_table(key, method, world, fast, other_member, organiser):
    users = {"member": world.member, "other": other_member, "admin": organiser}
    api = key.startswith("api")
    url = _url(key, world)
    got = {}
    for role in ROLES:
        fast.SITE_PUBLIC = role != "private"
        with transaction.atomic():
            response = _ask(_client(role, world, users, api), method, url, key, api)
            got[role] = outcome(response)
            transaction.set_rollback(True)
    expected = dict(zip(ROLES, ROWS[key][method], strict=True))
    assert got == expected, f"{method} {url}"


# --- Owners and everyone else -------------------------------------------------------------------


def test_another_member_cannot_revoke_my_api_token(client, world, other_member):
    client.force_login(other_member)
    response = client.post(reverse("members:token-revoke", args=[world.token_key]), follow=True)
    assert "No such token" in response.content.decode()
    assert AuthToken.objects.filter(user=world.member, token_key=world.token_key).exists()


def test_my_rsvp_is_mine_alone(client, world, other_member):
    client.force_login(other_member)
    client.post(reverse("meetings:rsvp", args=[world.meeting.pk]), {"answer": "no"})
    answers = dict(world.meeting.rsvps.values_list("user__username", "answer"))
    assert answers == {"member": "yes", "other": "no"}


def test_a_calendar_link_shows_its_owners_sessions_only(client, world, other_member):
    mine = client.get(reverse("meetings:member-calendar", args=[world.member.calendar_token]))
    theirs = client.get(reverse("meetings:member-calendar", args=[other_member.calendar_token]))
    assert world.meeting.title in mine.content.decode()  # the member answered yes
    assert world.meeting.title in theirs.content.decode()  # the other member presents there
    assert world.past.title not in mine.content.decode()
    old = world.member.calendar_token
    client.force_login(world.member)
    client.post(reverse("members:calendar-regenerate"))
    assert client.get(reverse("meetings:member-calendar", args=[old])).status_code == 404


def test_my_data_and_my_profile_are_always_the_askers(api, world, other_member):
    theirs = api(other_member).get("/api/v1/me/export/").json()
    assert theirs["profile"]["username"] == "other" and theirs["votes"] == [] and theirs["rsvps"] == []
    assert "member@example.org" not in json.dumps(theirs)
    api(other_member).patch("/api/v1/me/", {"display_name": "Renamed"}, format="json")
    world.member.refresh_from_db()
    assert world.member.display_name == "Member"


def test_organisers_remove_votes_in_the_admin_only_through_the_vote_service(client, world, organiser):
    client.force_login(organiser)
    vote = Vote.objects.get(user=world.member)
    assert client.get(reverse("admin:papers_vote_add")).status_code == 403
    change = client.post(reverse("admin:papers_vote_change", args=[vote.pk]), {"paper": world.paper.pk})
    assert change.status_code == 403
    assert (
        client.post(reverse("admin:papers_vote_delete", args=[vote.pk]), {"post": "yes"}).status_code == 302
    )
    world.paper.refresh_from_db()
    assert world.paper.vote_count == 0 == world.paper.votes.count()


# --- Field by field: what each visitor sees of a session and of a paper -------------------------
# One rule decides what only members see (Meeting/AgendaItem.hidden_fields_for, see
# docs/security.md); the page and the API must show exactly the same, for every role.

# "private": an anonymous visitor with SITE_PUBLIC off; "member-private": a member then.
VISITORS = ("anon", "private", "member", "member-private", "organiser")
MEETING_FIELDS = {
    *("id", "title", "starts_at", "ends_at", "location", "status", "capacity", "rsvp_counts"),
    *(
        "my_rsvp",
        "agenda",
        "video_url",
        "slides_url",
        "recording_url",
        "web_url",
        "modified_at",
        "comment_count",
    ),
}
MEETING_MEMBERS_ONLY = {"video_url", "slides_url", "recording_url"}
MEETING_DETAIL_MEMBERS_ONLY = {*MEETING_MEMBERS_ONLY, "notes", "notes_html"}
# What the session page shows of each members-only field (set on the session by _secrets).
SECRETS = {
    "video_url": "https://call.example.org/join-secret",
    "slides_url": "https://slides.example.org/secret-deck",
    "recording_url": "https://video.example.org/secret-recording",
    "notes": "Notes-for-members-only",
    "offers": "Offering Olivia",
}
PAPER_FIELDS = {
    *("id", "title", "authors", "tags", "summary", "keywords", "published_at", "url", "pdf_url"),
    *("code_url", "arxiv_id", "doi", "vote_count", "has_voted", "external_votes", "discussed"),
    *("discussed_at", "source", "web_url", "modified_at", "comment_count", "metadata_state"),
}
PAPER_DETAIL_FIELDS = {
    *PAPER_FIELDS,
    *("abstract", "categories", "arxiv_version", "updated_at", "summary_backend", "meetings"),
}
PAPER_ORGANISERS_ONLY = {"status", "submitted_by"}
# Why fetching a suggestion's details failed: for its suggester and the organisers.
PAPER_SUGGESTER_ONLY = {"metadata_error", "metadata_failed_at"}


def _secrets(world: World) -> None:
    """Give the session every members-only field and an offer to present its second item."""
    from meetings.models import PresenterOffer

    meeting = world.meeting
    for field in ("video_url", "slides_url", "recording_url", "notes"):
        setattr(meeting, field, SECRETS[field])
    meeting.save()
    offerer = UserFactory(username="olivia", display_name=SECRETS["offers"])
    free_item = meeting.agenda.exclude(pk=world.item.pk).get()
    PresenterOffer.objects.create(item=free_item, user=offerer)
    world.paper.submitted_by = offerer
    world.paper.save()


def _visitor(role: str, world: World, organiser, settings, *, api: bool) -> Client:
    settings.SITE_PUBLIC = not role.endswith("private")
    user = {"member": world.member, "member-private": world.member, "organiser": organiser}.get(role)
    return _client("member" if user else "anon", world, {"member": user}, api)


@pytest.mark.parametrize("role", VISITORS)
def test_a_session_shows_the_same_members_only_fields_on_its_page_and_in_the_api(
    role, world, organiser, fast
):
    _secrets(world)
    members = role in ("member", "member-private", "organiser")
    api = _visitor(role, world, organiser, fast, api=True)
    detail = api.get(reverse("api:meeting-detail", args=[world.meeting.pk]))
    listed = api.get(reverse("api:meeting-list"))
    page = _visitor(role, world, organiser, fast, api=False).get(world.meeting.get_absolute_url())
    if role == "private":
        assert (detail.status_code, listed.status_code, outcome(page)) == (401, 401, LOGIN)
        return
    body, row = detail.json(), next(m for m in listed.json()["results"] if m["id"] == world.meeting.pk)
    hidden = set() if members else MEETING_DETAIL_MEMBERS_ONLY
    assert set(body) == (MEETING_FIELDS | MEETING_DETAIL_MEMBERS_ONLY) - hidden
    assert set(row) == MEETING_FIELDS - hidden
    offers = [[o["name"] for o in item["offers"]] if "offers" in item else None for item in body["agenda"]]
    assert offers == ([[], [SECRETS["offers"]]] if members else [None, None])
    assert [item.get("offers") for item in row["agenda"]] == [item.get("offers") for item in body["agenda"]]
    text = page.content.decode()
    shown = {field: secret in text for field, secret in SECRETS.items()}
    assert shown == dict.fromkeys(SECRETS, members), f"{role} sees {shown} on the page"
    in_api = {field: secret in json.dumps(body) for field, secret in SECRETS.items()}
    assert in_api == shown


@pytest.mark.parametrize("role", VISITORS)
def test_a_paper_shows_organisers_only_fields_to_organisers_alone(role, world, organiser, fast):
    _secrets(world)
    api = _visitor(role, world, organiser, fast, api=True)
    detail = api.get(reverse("api:paper-detail", args=[world.paper.pk]))
    listed = api.get(reverse("api:paper-list"))
    page = _visitor(role, world, organiser, fast, api=False).get(world.paper.get_absolute_url())
    if role == "private":
        assert (detail.status_code, listed.status_code, outcome(page)) == (401, 401, LOGIN)
        return
    extra = PAPER_ORGANISERS_ONLY | PAPER_SUGGESTER_ONLY if role == "organiser" else set()
    assert set(detail.json()) == PAPER_DETAIL_FIELDS | extra
    row = next(p for p in listed.json()["results"] if p["id"] == world.paper.pk)
    assert set(row) == PAPER_FIELDS | extra
    assert (detail.json().get("submitted_by"), row.get("submitted_by")) == (
        (SECRETS["offers"],) * 2 if extra else (None, None)
    )
    # The page shows no field the API keeps from members (who suggested a paper is for organisers).
    assert page.status_code == 200 and SECRETS["offers"] not in page.content.decode()


@pytest.mark.parametrize("role", ["member", "member-private"])
def test_a_papers_suggester_sees_why_its_details_failed_and_nothing_organisers_only(
    role, world, organiser, fast
):
    world.paper.submitted_by = world.member
    world.paper.save()
    api = _visitor(role, world, organiser, fast, api=True)
    detail = api.get(reverse("api:paper-detail", args=[world.paper.pk])).json()
    row = next(p for p in api.get(reverse("api:paper-list")).json()["results"] if p["id"] == world.paper.pk)
    assert set(detail) == PAPER_DETAIL_FIELDS | PAPER_SUGGESTER_ONLY
    assert set(row) == PAPER_FIELDS | PAPER_SUGGESTER_ONLY
