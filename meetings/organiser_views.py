"""The organisers' scheduling pages: create a session, fill its agenda from the vote queue,
reorder it, assign presenters (fair rotation pre-selected), mark it done or cancel it.

Every change is a CSRF-protected POST that calls one service; bad input re-renders the
page with the error next to what caused it (status 400) and changes nothing.
"""

from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from meetings import services
from meetings.models import RSVP, AgendaItem, Meeting, PresenterOffer
from meetings.organiser_forms import FillAgendaForm, MeetingForm, MoveForm, PresenterForm
from meetings.selectors import agenda_suggestions
from members.models import User


def organiser_only(view: Callable) -> Callable:
    """Organisers only: visitors log in first, members get a 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_organiser:
            raise PermissionDenied("Only organisers schedule sessions.")
        return view(request, *args, **kwargs)

    return wrapper


def _counted(meetings):
    return meetings.annotate(
        item_count=Count("agenda", distinct=True),
        unassigned=Count("agenda", filter=Q(agenda__presenter=None), distinct=True),
        yes_count=Count(
            "rsvps", filter=Q(rsvps__answer=RSVP.Answer.YES, rsvps__waitlisted=False), distinct=True
        ),
    )


@organiser_only
@require_safe
def organiser_home(request: HttpRequest) -> HttpResponse:
    planned = Meeting.objects.filter(status=Meeting.Status.PLANNED).order_by("starts_at", "pk")
    now = timezone.now()
    context = {
        "nav": "organise",
        "upcoming": _counted(planned.filter(starts_at__gt=now)),
        "to_close": _counted(planned.filter(starts_at__lte=now)),
        "recent": Meeting.objects.exclude(status=Meeting.Status.PLANNED).order_by("-starts_at")[:10],
    }
    return render(request, "meetings/organiser/home.html", context)


def _apply(form: MeetingForm, action: Callable[..., Meeting]) -> Meeting | None:
    """Run a meeting service with the form's data; its refusals become form errors."""
    if not form.is_valid():
        return None
    try:
        return action(**form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, error)
        return None


@organiser_only
@require_http_methods(["GET", "HEAD", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    form = MeetingForm(request.POST or None)
    if request.method == "POST":
        meeting = _apply(form, lambda **data: services.meeting_create(**data))
        if meeting is not None:
            messages.success(request, f"“{meeting.title}” is scheduled. Now fill its agenda.")
            return redirect("meetings:organise", pk=meeting.pk)
    status = 400 if form.is_bound else 200
    return render(request, "meetings/organiser/create.html", {"form": form, "nav": "organise"}, status=status)


def _agenda(meeting: Meeting) -> list[AgendaItem]:
    offers = PresenterOffer.objects.select_related("user").order_by("created_at", "id")
    items = meeting.agenda.select_related("paper", "presenter").prefetch_related(
        Prefetch("offers", queryset=offers)
    )
    return list(items.order_by("order", "id"))


def _schedule_page(
    request: HttpRequest,
    meeting: Meeting,
    *,
    details: MeetingForm | None = None,
    fill: FillAgendaForm | None = None,
    item_errors: dict[int, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    suggestions = agenda_suggestions(meeting=meeting) if meeting.status == Meeting.Status.PLANNED else {}
    rows = []
    for item in _agenda(meeting):
        candidate = suggestions.get(item.pk)
        suggested = candidate.user if candidate else None
        rows.append(
            {
                "item": item,
                "suggested": suggested,
                "suggested_why": candidate.reason if candidate else "",
                "selected": item.presenter_id or (suggested.pk if suggested else None),
                "offers": [offer.user for offer in item.offers.all()],
                "errors": (item_errors or {}).get(item.pk, []),
            }
        )
    answers = dict(
        RSVP.objects.filter(meeting=meeting, waitlisted=False).values_list("answer").annotate(n=Count("id"))
    )
    context = {
        "nav": "organise",
        "meeting": meeting,
        "details": details or MeetingForm(instance=meeting),
        "fill": fill or FillAgendaForm(),
        "rows": rows,
        "members": User.objects.filter(is_active=True).order_by("display_name", "username"),
        "answers": answers,
        "waiting": RSVP.objects.filter(meeting=meeting, waitlisted=True).count(),
        "is_planned": meeting.status == Meeting.Status.PLANNED,
        "has_started": meeting.starts_at <= timezone.now(),
    }
    return render(request, "meetings/organiser/schedule.html", context, status=status)


@organiser_only
@require_http_methods(["GET", "HEAD", "POST"])
def schedule(request: HttpRequest, pk: int) -> HttpResponse:
    """The scheduling page of one session; a POST saves its details."""
    meeting = get_object_or_404(Meeting, pk=pk)
    if request.method != "POST":  # GET or HEAD
        return _schedule_page(request, meeting)
    form = MeetingForm(request.POST, instance=Meeting.objects.get(pk=pk))
    changed = _apply(form, lambda **data: services.meeting_update(meeting=meeting, **_changed(meeting, data)))
    if changed is None:
        return _schedule_page(request, meeting, details=form, status=400)
    messages.success(request, "Session details saved.")
    return redirect("meetings:organise", pk=pk)


def _changed(meeting: Meeting, data: dict) -> dict:
    """Only the fields that differ, so an unchanged start in the past is not re-checked.

    The form shows times to the minute: a time equal to the stored one up to the minute
    is unchanged (a session saved with seconds elsewhere keeps them).
    """
    changed = {}
    for name, value in data.items():
        current = getattr(meeting, name)
        if isinstance(current, datetime):
            current = current.replace(second=0, microsecond=0)
        if current != value:
            changed[name] = value
    return changed


@organiser_only
@require_POST
def fill_agenda(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting, pk=pk)
    form = FillAgendaForm(request.POST)
    if form.is_valid():
        try:
            added = services.meeting_fill_agenda(meeting=meeting, count=form.cleaned_data["count"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if added:
                messages.success(request, f"{len(added)} paper(s) added from the vote queue.")
            else:
                messages.warning(request, "The vote queue has no paper that is not already scheduled.")
            return redirect("meetings:organise", pk=pk)
    return _schedule_page(request, meeting, fill=form, status=400)


def _item_action(request: HttpRequest, item: AgendaItem, action: Callable[[], object], done: str):
    try:
        action()
    except ValidationError as error:
        meeting = item.meeting
        return _schedule_page(request, meeting, item_errors={item.pk: error.messages}, status=400)
    messages.success(request, done)
    return redirect("meetings:organise", pk=item.meeting_id)


@organiser_only
@require_POST
def move_item(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(AgendaItem.objects.select_related("meeting", "paper"), pk=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _schedule_page(
            request, item.meeting, item_errors={item.pk: ["Move it up or down."]}, status=400
        )
    return _item_action(
        request, item, lambda: services.agenda_move(item=item, offset=form.offset), "Agenda reordered."
    )


@organiser_only
@require_POST
def assign_presenter(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(AgendaItem.objects.select_related("meeting", "paper"), pk=pk)
    form = PresenterForm(request.POST)
    if not form.is_valid():
        errors = [e for errs in form.errors.values() for e in errs]
        return _schedule_page(request, item.meeting, item_errors={item.pk: errors}, status=400)
    presenter = form.cleaned_data["presenter"]
    done = f"{presenter.public_name} presents “{item.paper}”." if presenter else "Presenter removed."
    return _item_action(
        request, item, lambda: services.presenter_assign(item=item, presenter=presenter), done
    )


@organiser_only
@require_POST
def remove_item(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(AgendaItem.objects.select_related("meeting", "paper"), pk=pk)
    done = f"“{item.paper}” removed from the agenda."
    return _item_action(request, item, lambda: services.agenda_remove(item=item), done)


def _meeting_action(request: HttpRequest, pk: int, action: Callable[[Meeting], object], done: str):
    meeting = get_object_or_404(Meeting, pk=pk)
    try:
        action(meeting)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return _schedule_page(request, meeting, status=400)
    messages.success(request, done)
    return redirect("meetings:organise", pk=pk)


@organiser_only
@require_POST
def mark_done(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_action(
        request,
        pk,
        lambda meeting: services.meeting_mark_done(meeting=meeting),
        "Session marked done: its papers left the vote queue.",
    )


@organiser_only
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_action(
        request, pk, lambda meeting: services.meeting_cancel(meeting=meeting), "Session cancelled."
    )
