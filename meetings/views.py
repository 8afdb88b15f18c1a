"""Members' pages for discussion sessions: the list, a session with its agenda, RSVP and offers."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.generic import DetailView, ListView

from meetings import services
from meetings.models import RSVP, AgendaItem, Meeting, PresenterOffer
from readinggroup.web import ReadAccessMixin, member_action, redirect_back, vary_on_htmx

PAST_PAGE_SIZE = 10


def with_agenda(meetings: QuerySet) -> QuerySet:
    """Meetings with papers and presenters, and who offered to present, in two extra queries."""
    offers = PresenterOffer.objects.select_related("user").order_by("created_at", "id")
    agenda = (
        AgendaItem.objects.select_related("paper", "presenter")
        .prefetch_related(Prefetch("offers", queryset=offers))
        .order_by("order", "id")
    )
    return meetings.prefetch_related(Prefetch("agenda", queryset=agenda))


def rsvp_counts(meeting: Meeting) -> dict[str, int]:
    """How many answered what, with the waiting list apart, in one query."""
    yes = Q(answer=RSVP.Answer.YES)
    return RSVP.objects.filter(meeting=meeting).aggregate(
        yes=Count("id", filter=yes & Q(waitlisted=False)),
        waiting=Count("id", filter=yes & Q(waitlisted=True)),
        maybe=Count("id", filter=Q(answer=RSVP.Answer.MAYBE)),
        no=Count("id", filter=Q(answer=RSVP.Answer.NO)),
    )


def rsvp_context(request: HttpRequest, meeting: Meeting, error: str = "") -> dict:
    mine = None
    if request.user.is_authenticated:
        mine = RSVP.objects.filter(meeting=meeting, user=request.user).first()
    order = [RSVP.Answer.YES, RSVP.Answer.MAYBE, RSVP.Answer.NO]
    answers = [(a.value, a.label, mine is not None and mine.answer == a.value) for a in order]
    return {
        "meeting": meeting,
        "my_rsvp": mine,
        "answers": answers,
        "counts": rsvp_counts(meeting),
        "rsvp_error": error,
    }


class MeetingListView(ReadAccessMixin, ListView):
    """Upcoming sessions, then past ones a page at a time ("more" loads the next page in place)."""

    template_name = "meetings/list.html"
    context_object_name = "past"
    paginate_by = PAST_PAGE_SIZE
    extra_context = {"nav": "meetings"}

    def get_queryset(self) -> QuerySet:
        return with_agenda(Meeting.objects.past())

    def get_template_names(self) -> list[str]:
        return ["meetings/_past_page.html"] if self.request.htmx else [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context["page_obj"]
        if page.has_next():
            context["more_url"] = f"{self.request.path}?page={page.next_page_number()}"
        if page.number == 1 and not self.request.htmx:
            context["upcoming"] = with_agenda(Meeting.objects.upcoming())
        return context

    def render_to_response(self, context, **kwargs) -> HttpResponse:
        return vary_on_htmx(super().render_to_response(context, **kwargs))


class MeetingDetailView(ReadAccessMixin, DetailView):
    template_name = "meetings/detail.html"
    context_object_name = "meeting"
    extra_context = {"nav": "meetings"}

    def get_queryset(self) -> QuerySet:
        return with_agenda(Meeting.objects.all())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(rsvp_context(self.request, self.object))
        user = self.request.user
        # The API leaves out the same fields (meetings.api.MembersOnlyFieldsMixin).
        context["hidden"] = Meeting.hidden_fields_for(user)
        context["item_hidden"] = AgendaItem.hidden_fields_for(user)
        for item in self.object.agenda.all():
            item.i_offered = user.is_authenticated and any(o.user_id == user.pk for o in item.offers.all())
            item.i_present = user.is_authenticated and item.presenter_id == user.pk
        return context


@member_action
def rsvp(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer yes / maybe / no: the RSVP fragment for htmx, else back to the session page."""
    meeting = get_object_or_404(Meeting, pk=pk)
    error = ""
    try:
        answer = services.rsvp_set(meeting=meeting, user=request.user, answer=request.POST.get("answer", ""))
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        meeting.refresh_from_db()
        context = rsvp_context(request, meeting, error) | {"next_url": request.POST.get("next", "")}
        return render(request, "meetings/_rsvp.html", context)
    if error:
        messages.error(request, error)
    elif answer.waitlisted:
        messages.info(
            request,
            "The session is full: you are on the waiting list and will get an e-mail if a seat frees up.",
        )
    return redirect_back(request, fallback=meeting.get_absolute_url(), anchor="rsvp")


def _presenter_action(request: HttpRequest, pk: int, item_pk: int, *, offer: bool) -> HttpResponse:
    item = get_object_or_404(AgendaItem.objects.select_related("paper"), pk=item_pk, meeting_id=pk)
    try:
        if offer:
            services.presenter_offer(item=item, user=request.user)
            messages.success(request, f"Thanks: you offered to present “{item.paper.title}”.")
        else:
            services.presenter_withdraw(item=item, user=request.user)
            messages.success(request, f"You no longer offer to present “{item.paper.title}”.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect_back(request, fallback=item.meeting.get_absolute_url(), anchor=f"item-{item.pk}")


@member_action
def presenter_offer(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    return _presenter_action(request, pk, item_pk, offer=True)


@member_action
def presenter_withdraw(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    return _presenter_action(request, pk, item_pk, offer=False)
