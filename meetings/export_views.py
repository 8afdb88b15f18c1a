"""Sessions outside the site: iCal feeds (public and per member), BibTeX and CSV of an agenda."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from meetings import calendar
from meetings.models import AgendaItem, Meeting
from members.models import User
from papers.bibtex import papers_to_bibtex
from papers.csv_export import csv_response
from papers.export_views import bibtex_response
from papers.models import PaperAuthor
from readinggroup.rest.throttles import (
    EXPORT_LIMITED,
    CalendarThrottle,
    ExportThrottle,
    seconds_to_wait,
    too_many_requests,
    web_throttle,
)

CALENDAR_TYPE = "text/calendar; charset=utf-8"


def _needs_login(request: HttpRequest) -> bool:
    return not settings.SITE_PUBLIC and not request.user.is_authenticated


def _ics(body: bytes, filename: str, *, private: bool) -> HttpResponse:
    response = HttpResponse(body, content_type=CALENDAR_TYPE)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300" if private else "public, max-age=300"
    if private:
        response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
@web_throttle(CalendarThrottle)
def public_calendar(request: HttpRequest) -> HttpResponse:
    """Every session of the last year and all coming ones."""
    if _needs_login(request):
        return redirect_to_login(request.get_full_path())
    body = calendar.build_calendar(calendar.public_meetings(), name=f"{settings.SITE_NAME} sessions")
    return _ics(body, "sessions.ics", private=False)


@require_safe
def member_calendar(request: HttpRequest, token: str) -> HttpResponse:
    """A member's own sessions, at a secret address that works without logging in."""
    user = User.objects.filter(calendar_token=token, is_active=True).first()
    if user is None:
        raise Http404("No calendar at this address: the link may have been renewed.")
    if (seconds := seconds_to_wait(CalendarThrottle(member=user), request)) is not None:
        return too_many_requests(seconds, EXPORT_LIMITED)
    meetings = list(calendar.member_meetings(user))
    body = calendar.build_calendar(
        meetings,
        name=f"{settings.SITE_NAME}: my sessions",
        private=True,
        notes=calendar.member_notes(user, meetings),
    )
    return _ics(body, "my-sessions.ics", private=True)


def _agenda(meeting: Meeting) -> QuerySet:
    authorships = PaperAuthor.objects.select_related("author").order_by("position")
    return (
        AgendaItem.objects.filter(meeting=meeting)
        .select_related("paper", "presenter")
        .prefetch_related(Prefetch("paper__authorships", queryset=authorships))
        .order_by("order", "id")
    )


@require_safe
@web_throttle(ExportThrottle)
def meeting_bibtex(request: HttpRequest, pk: int) -> HttpResponse:
    """The papers of one session's agenda as BibTeX, in agenda order."""
    if _needs_login(request):
        return redirect_to_login(request.get_full_path())
    meeting = get_object_or_404(Meeting, pk=pk)
    body = papers_to_bibtex(item.paper for item in _agenda(meeting))
    return bibtex_response(body, f"session-{meeting.pk}.bib")


AGENDA_CSV_HEADER = [
    "position",
    "paper_id",
    "title",
    "authors",
    "arxiv_id",
    "doi",
    "url",
    "pdf_url",
    "presenter",
]


@require_safe
@web_throttle(ExportThrottle)
def meeting_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse | HttpResponse:
    """One session's agenda as CSV (a spreadsheet of who presents what), in agenda order.

    Presenters appear by their public name only, as on the session's page.
    """
    if _needs_login(request):
        return redirect_to_login(request.get_full_path())
    meeting = get_object_or_404(Meeting, pk=pk)
    rows = (
        [
            position,
            item.paper.pk,
            item.paper.title,
            "; ".join(link.author.name for link in item.paper.authorships.all()),
            item.paper.arxiv_id,
            item.paper.doi,
            item.paper.url,
            item.paper.pdf_url,
            item.presenter.public_name if item.presenter else "",
        ]
        for position, item in enumerate(_agenda(meeting), start=1)
    )
    return csv_response(AGENDA_CSV_HEADER, rows, f"session-{meeting.pk}.csv")
