"""The XSS corpus (readinggroup/tests/xss_corpus.py) against everything a member can write and
everything ingestion brings in, on every page, feed, calendar and e-mail where it appears.

Members write through the real interfaces: the profile form and PATCH /api/v1/me/ (display
name, first and last name), the suggestion form, the RSVP and offer buttons, the invitation
signup form; organisers the invitation form and a session's title, place and Markdown notes.
Papers come in through a source parser and paper_upsert (title, abstract, authors,
affiliations, categories); a summariser that echoes the payloads writes TL;DRs and keywords
(which become tags), as an LLM backend might.

Every page is audited with an HTML tokenizer (xss_corpus.audit); test_xss_browser.py then
opens the main pages in a real browser.
"""

import json
from datetime import timedelta
from xml.sax.saxutils import escape, quoteattr

import icalendar
import lxml.etree
import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meetings import notifications
from meetings.markdown import render_markdown
from meetings.models import Meeting
from meetings.notifications import unsubscribe_token
from meetings.services import agenda_add, meeting_create, presenter_assign
from members.models import Invitation, User
from members.tests.factories import UserFactory
from papers.ingest import paper_upsert
from papers.models import Paper, Tag
from papers.services import paper_summarise
from papers.sources import arxiv, hf_daily
from papers.summaries.base import Summary
from papers.tests.factories import SourceFactory
from readinggroup.tests.xss_corpus import ALL, MARKDOWN_PAYLOADS, PAYLOADS, audit

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
# A line break in a session's place must not start a property of its own in calendars.
ICAL_INJECTION = "Room 1\r\nDESCRIPTION:injected\r\nATTENDEE:mailto:x@example.org"


# --- Putting the corpus everywhere, through the real interfaces -------------------------------------


def _ingest() -> list[Paper]:
    """Two documents full of payloads through two parsers and the upsert, then summaries."""
    source = SourceFactory(auto_list=True)
    hf_items = [
        {
            "paper": {
                "id": f"2401.{10000 + n}",
                "title": f"Paper {n} {payload}",
                "summary": f"We study {payload} in depth. Our method works on three tasks. {payload} again.",
                "authors": [{"name": payload}, {"name": "Ada Example"}],
                "githubRepo": f'https://example.org/"onmouseover="alert({n})',
                "upvotes": n,
            }
        }
        for n, payload in enumerate(PAYLOADS)
    ]
    paper_upsert(records=hf_daily.parse(json.dumps(hf_items).encode()).records, source=source)
    entries = "".join(
        f"<entry><id>http://arxiv.org/abs/2402.{20000 + n}v1</id><title>{escape(payload)} atom {n}</title>"
        f"<summary>{escape(payload)} is studied here. It matters.</summary>"
        f"<author><name>{escape(payload)}</name><arxiv:affiliation>{escape(payload)}</arxiv:affiliation></author>"
        f"<category term={quoteattr(payload[:90])}/></entry>"
        for n, payload in enumerate(MARKDOWN_PAYLOADS + [p for p in PAYLOADS if "\x00" not in p][:10])
    )
    atom = (
        "<feed xmlns='http://www.w3.org/2005/Atom' xmlns:arxiv='http://arxiv.org/schemas/atom'>"
        f"{entries}</feed>"
    )
    paper_upsert(records=arxiv.parse(atom.encode()).records, source=source)
    papers = list(Paper.objects.order_by("pk"))
    for paper in papers:
        paper_summarise(paper_id=paper.pk, backend=_EchoSummariser())
    return papers


class _EchoSummariser:
    """A summariser that repeats the abstract's payload as TL;DR and as keywords (which become
    tags): whatever a real backend (an LLM, say) writes, these fields must render safely."""

    name = "echo"

    def summarise(self, *, title: str, abstract: str) -> Summary:
        return Summary(text=abstract[:300], keywords=[abstract[:60].lower(), "plain keyword"], backend="echo")


def _members_write(organiser) -> list[User]:
    """Every payload becomes a member's name, half through the profile form, half through the API."""
    writers = []
    for n, payload in enumerate(ALL):
        user = UserFactory(username=f"writer{n}", display_name="")
        if n % 2:
            client = Client()
            client.force_login(user)
            names = {"first_name": payload[:150], "last_name": "Example"} if n % 4 == 1 else {}
            data = {"display_name": "" if names else payload[:150], "email": user.email, **names}
            # As a browser sends the form: the session e-mail boxes stay ticked.
            ticked = {f"notify-{name}": "on" for name in ("reminders", "presenter_notices", "seat_notices")}
            response = client.post(
                reverse("members:profile"), {"first_name": "", "last_name": "", **ticked, **data}
            )
        else:
            client = Client(headers={"Authorization": f"Token {_token(user)}"})
            response = client.patch(
                "/api/v1/me/", json.dumps({"display_name": payload[:150]}), content_type="application/json"
            )
        assert response.status_code in {200, 302, 400}, (payload, response.status_code)
        writers.append(user)
    return writers


def _token(user) -> str:
    from members.services import api_token_create

    return api_token_create(user=user)[1]


@pytest.fixture(scope="module")
def _module_corpus(django_db_setup, django_db_blocker):
    """Built once for the module (it takes seconds), inside a transaction rolled back at the
    end; each test runs in a savepoint within it, so what one test changes the next never sees."""
    with django_db_blocker.unblock(), transaction.atomic():
        organiser = UserFactory(username="organiser", role="organiser")
        yield _build_corpus(organiser)
        transaction.set_rollback(True)


@pytest.fixture
def corpus(_module_corpus, db):
    return _module_corpus


def _build_corpus(organiser) -> dict:
    papers = _ingest()
    writers = _members_write(organiser)
    meeting = meeting_create(
        title=PAYLOADS[0] + " session",
        starts_at=timezone.now() + timedelta(hours=20),
        ends_at=timezone.now() + timedelta(hours=21),
        location=PAYLOADS[5][:200],
        notes="\n\n".join(p for p in ALL if "\x00" not in p),  # forms refuse NUL (as PostgreSQL does)
    )
    other = meeting_create(
        title="Quiet session",
        starts_at=timezone.now() + timedelta(days=2),
        ends_at=timezone.now() + timedelta(days=2, hours=1),
        location=ICAL_INJECTION,
    )
    items = [agenda_add(meeting=meeting, paper=paper) for paper in papers[:12]]
    for n, (item, writer) in enumerate(zip(items, writers, strict=False)):
        if n % 2:
            presenter_assign(item=item, presenter=writer)
    for n, writer in enumerate(writers[:20]):
        client = Client()
        client.force_login(writer)
        client.post(reverse("meetings:rsvp", args=[meeting.pk]), {"answer": "yes"})
        client.post(reverse("meetings:offer", args=[meeting.pk, items[n % len(items)].pk]))
    agenda_add(meeting=other, paper=papers[-1], presenter=writers[1])
    invite = Client()
    invite.force_login(organiser)
    invite.post(reverse("members:invitations"), {"email": '"<script>alert(50)</script>"@example.org'})
    return {"papers": papers, "writers": writers, "meeting": meeting, "other": other}


def _pages(corpus) -> list[str]:
    meeting, papers = corpus["meeting"], corpus["papers"]
    category_tags = Tag.objects.filter(kind="category").order_by("pk")[:15]
    return [
        reverse("home"),
        reverse("papers:trending"),
        reverse("papers:new"),
        reverse("papers:daily"),
        reverse("papers:tags"),
        *[tag.get_absolute_url() for tag in category_tags],
        reverse("papers:search") + "?q=script",
        reverse("papers:search") + "?q=alert+onerror",
        reverse("papers:search") + "?q=%3Cscript%3Ealert(1)%3C/script%3E",
        *[paper.get_absolute_url() for paper in papers],
        reverse("meetings:list"),
        meeting.get_absolute_url(),
        corpus["other"].get_absolute_url(),
        reverse("meetings:organise-home"),
        reverse("meetings:organise", args=[meeting.pk]),
        reverse("members:invitations"),
        reverse("members:profile"),
    ]


def _assert_clean(markup: str, where: str, *, own_pages: bool = True) -> None:
    problems = audit(markup, own_pages=own_pages)
    assert not problems, f"{where}: {problems[:5]}"


# --- Markdown notes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", ALL)
def test_markdown_notes_never_carry_script(payload):
    rendered = str(render_markdown(payload))
    _assert_clean(rendered, repr(payload))
    _assert_clean(str(render_markdown(f"Intro\n\n{payload}\n\n* item {payload}")), repr(payload))


def test_markdown_notes_keep_what_notes_need():
    rendered = str(render_markdown("**Bold** [link](https://example.org) `code`\n\n| a |\n|---|\n| b |"))
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">link</a>' in rendered
    assert (
        "<strong>Bold</strong>" in rendered and "<code>code</code>" in rendered and "<td>b</td>" in rendered
    )


# --- Pages, as every kind of visitor ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "writer", "organiser"])
def test_no_page_runs_anything_from_the_corpus(client, corpus, organiser, role):
    if role == "writer":
        client.force_login(corpus["writers"][3])  # named through first_name / last_name
    elif role == "organiser":
        client.force_login(organiser)
    checked = shown = 0
    for url in _pages(corpus):
        response = client.get(url)
        if (role == "anonymous" and response.status_code == 302) or (
            role == "writer" and response.status_code == 403
        ):
            continue  # members' pages send visitors to log in; organisers' pages refuse members
        assert response.status_code == 200, url
        _assert_clean(response.content.decode(), url)
        checked += 1
        shown += "alert(" in response.content.decode()  # the payloads are there, as text
    assert checked >= len(corpus["papers"]) and shown >= len(corpus["papers"])
    papers = len(corpus["papers"])
    print(f"\nRELIABILITY xss: {checked} pages audited as {role}, {papers} papers, {len(ALL)} payloads")


def test_every_writers_own_pages_are_clean(corpus):
    for writer in corpus["writers"]:
        client = Client()
        client.force_login(writer)
        for url in (reverse("members:profile"), reverse("members:delete")):
            _assert_clean(client.get(url).content.decode(), f"{writer.username} {url}")
        token = unsubscribe_token(user=writer, kind="reminder")
        page = client.get(reverse("meetings:unsubscribe", args=[token]))
        _assert_clean(page.content.decode(), f"unsubscribe {writer.username}")


def test_bad_input_echoed_back_is_escaped(client, corpus, settings):
    settings.SUGGEST_RATE = "1000/hour"  # every payload is a suggestion; the limit is tested elsewhere
    client.force_login(corpus["writers"][0])
    meeting = corpus["meeting"]
    for payload in ALL:
        if "\x00" in payload:
            continue  # form fields refuse NUL before anything is echoed
        suggestion = client.post(reverse("papers:suggest"), {"reference": payload})
        assert suggestion.status_code == 200 and b"error" in suggestion.content
        _assert_clean(suggestion.content.decode(), f"suggest {payload!r}")
        rsvp = client.post(reverse("meetings:rsvp", args=[meeting.pk]), {"answer": payload}, follow=True)
        _assert_clean(rsvp.content.decode(), f"rsvp {payload!r}")


def test_the_invitation_and_signup_pages_are_clean(corpus):
    from members.invitations import make_token

    invitation = Invitation.objects.get(email__contains="alert(50)")
    url = reverse("members:join", args=[make_token(invitation_id=invitation.pk, email=invitation.email)])
    visitor = Client()
    page = visitor.get(url)
    assert page.status_code == 200 and "alert(50)" in page.content.decode()  # shown, as text
    _assert_clean(page.content.decode(), "join")
    for payload in PAYLOADS:
        if "\x00" in payload:
            continue
        data = {"username": payload[:150], "password1": PASSWORD, "password2": PASSWORD}
        answer = visitor.post(url, data)
        assert answer.status_code == 400  # usernames are letters, digits and @.+-_ only
        _assert_clean(answer.content.decode(), f"join {payload!r}")


def test_the_admin_shows_the_corpus_as_text(client, corpus, superuser):
    client.force_login(superuser)
    paper, writer = corpus["papers"][0], corpus["writers"][2]
    for url in (
        reverse("admin:papers_paper_changelist"),
        reverse("admin:papers_paper_change", args=[paper.pk]),
        reverse("admin:papers_author_changelist"),
        reverse("admin:papers_tag_changelist"),
        reverse("admin:members_user_changelist"),
        reverse("admin:members_user_change", args=[writer.pk]),
        reverse("admin:meetings_meeting_change", args=[corpus["meeting"].pk]),
        reverse("admin:meetings_agendaitem_changelist"),
        reverse("admin:meetings_rsvp_changelist"),
        reverse("admin:members_invitation_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_clean(response.content.decode(), url, own_pages=False)


# --- Feeds, calendars, e-mails -------------------------------------------------------------------------

FEEDS = [
    "feeds:papers-new-rss",
    "feeds:papers-new-atom",
    "feeds:queue-rss",
    "feeds:queue-atom",
    "feeds:meetings-rss",
    "feeds:meetings-atom",
]


def test_feed_item_bodies_are_html_that_runs_nothing(client, corpus):
    """Feed readers render an item's description (RSS) or html summary (Atom) as HTML."""
    for name in FEEDS:
        root = lxml.etree.fromstring(client.get(reverse(name)).content)
        bodies = root.xpath(
            "//item/description/text() | //*[local-name()='entry']/*[local-name()='summary']/text()"
        )
        assert len(bodies) >= 2 and any("alert(" in body for body in bodies), name
        for body in bodies:
            _assert_clean(body, name)
        for title in root.xpath("//*[local-name()='entry']/*[local-name()='title']"):
            assert title.get("type") in (None, "text")  # Atom titles are text, never HTML
        print(f"\nRELIABILITY xss: {name}: {len(bodies)} item bodies audited")


def test_calendars_carry_the_corpus_as_text_only(client, corpus):
    writer = corpus["writers"][1]  # presents at the quiet session
    for url in (
        reverse("meetings:calendar"),
        reverse("meetings:member-calendar", args=[writer.calendar_token]),
    ):
        calendar = icalendar.Calendar.from_ical(client.get(url).content)
        events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
        quiet = events["Quiet session"]
        # The line breaks are escaped inside the text (and read back as "\n"), not new properties.
        assert str(quiet["LOCATION"]) == ICAL_INJECTION.replace("\r\n", "\n")
        assert "ATTENDEE" not in quiet and "injected" not in str(quiet.get("DESCRIPTION", ""))
    assert len(events) == Meeting.objects.filter(agenda__presenter=writer).distinct().count()


def test_e_mails_show_the_corpus_as_text(corpus, settings):
    meeting = corpus["meeting"]
    for writer in corpus["writers"]:
        User.objects.filter(pk=writer.pk).update(digest_enabled=True)
    notifications.send_due_reminders(now=meeting.starts_at - timedelta(hours=23))
    notifications.send_due_presenter_notices(now=meeting.starts_at - timedelta(days=2))
    notifications.send_weekly_digest(now=timezone.now() + timedelta(minutes=1))
    kinds = {message.subject.split(" ", 1)[0] for message in mail.outbox}
    assert {"Reminder:", "You"} <= kinds and any("digest" in m.subject for m in mail.outbox)
    for message in mail.outbox:
        for body, kind in message.alternatives:
            assert kind == "text/html"
            _assert_clean(body, message.subject, own_pages=False)  # e-mails style inline
    print(f"\nRELIABILITY xss: {len(mail.outbox)} e-mails audited")
