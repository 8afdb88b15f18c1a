"""Members' web pages for papers: the lists (queue, trending, new, daily, tag), a paper, voting.

Every list page answers an htmx "more" request with just the next page's fragment
and a plain request with the whole page, so the "more" button degrades to a link.
"""

from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Max, Min, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView

from meetings.models import AgendaItem
from papers import services
from papers.filters import PaperFilter
from papers.forms import SuggestForm
from papers.highlight import attach_highlights, with_headlines
from papers.models import Paper, Tag
from papers.selectors import (
    paper_for_you,
    paper_list,
    paper_lookup,
    paper_queue,
    paper_related,
    paper_visible,
    tag_counts,
    with_dismissed,
    with_has_voted,
    with_list_relations,
)
from papers.services import paper_vote_set
from papers.topics import followed_topic_ids, topic_follow_set
from readinggroup.paging import UncountedPaginator
from readinggroup.rest.throttles import SUGGEST_LIMITED, SuggestThrottle, seconds_to_wait, try_again
from readinggroup.web import ReadAccessMixin, member_action, redirect_back, vary_on_htmx

HOME_TABS = {
    "queue": ("Queue", "Listed papers the group has not discussed yet, most votes first."),
    "trending": ("Trending", "Votes with time decay: what the group is warming to right now."),
    "new": ("New", "The most recently published papers."),
}


class PaperListMixin(ReadAccessMixin):
    """A paginated list of paper cards; htmx "more" requests get only the next page.

    Pages are not counted (UncountedPaginator): over a million papers the count cost
    more than the page, and the "more" button needs only to know that another page follows.
    """

    paginate_by = settings.PAGE_SIZE
    paginator_class = UncountedPaginator
    context_object_name = "papers"
    fragment_template = "papers/_paper_page.html"

    # A card does not show the abstract, a paper's largest column (Paper.objects leaves the
    # search vector out already).
    card_deferred_fields = ("abstract",)

    def paginate_queryset(self, queryset: QuerySet, page_size: int):
        return super().paginate_queryset(queryset.defer(*self.card_deferred_fields), page_size)

    def get_template_names(self) -> list[str]:
        if self.request.htmx and not self.request.htmx.boosted:
            return [self.fragment_template]
        return super().get_template_names()

    def render_to_response(self, context, **kwargs) -> HttpResponse:
        return vary_on_htmx(super().render_to_response(context, **kwargs))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context.get("page_obj")
        if page is not None and page.has_next():
            context["more_url"] = self._page_url(page.next_page_number())
        if page is not None and page.has_previous():
            context["previous_url"] = self._page_url(page.previous_page_number())
        return context

    def _page_url(self, number: int) -> str:
        query = self.request.GET.copy()
        query["page"] = str(number)
        return f"{self.request.path}?{query.urlencode()}"


class HomeView(PaperListMixin, ListView):
    """The home page: tabs "queue" (the default), "trending" and "new"."""

    template_name = "papers/home.html"
    extra_context = {"nav": "papers"}
    tab = "queue"

    def get_queryset(self) -> QuerySet:
        user = self.request.user
        if self.tab == "queue":
            return paper_queue(user=user)
        return paper_list(user=user, order="trending" if self.tab == "trending" else "newest")

    def get_context_data(self, **kwargs):
        title, lede = HOME_TABS[self.tab]
        tabs = [
            (key, label, reverse("home" if key == "queue" else f"papers:{key}"))
            for key, (label, _) in HOME_TABS.items()
        ]
        return super().get_context_data(tab=self.tab, tab_title=title, lede=lede, tabs=tabs, **kwargs)


class ForYouView(LoginRequiredMixin, PaperListMixin, ListView):
    """A member's own list (papers.discovery.for_you): each card says why it is there and offers
    "Not interested"."""

    template_name = "papers/for_you.html"
    extra_context = {"nav": "for-you", "for_you": True}

    def get_queryset(self) -> QuerySet:
        papers = with_list_relations(with_has_voted(Paper.objects.listed(), self.request.user))
        return paper_for_you(papers, user=self.request.user)


class TagView(PaperListMixin, ListView):
    """A tag's listed papers, trending first; a topic's page also says what the topic is about.
    (paper_list holds listed papers only: hidden and pending ones never show here.)"""

    template_name = "papers/tag.html"
    extra_context = {"nav": "tags"}

    def get_queryset(self) -> QuerySet:
        self.tag = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return paper_list(user=self.request.user, order="trending").filter(tags=self.tag)

    def get_context_data(self, **kwargs):
        following = self.tag.pk in followed_topic_ids(self.request.user)
        return super().get_context_data(tag=self.tag, following=following, **kwargs)


@member_action
def tag_follow(request: HttpRequest, slug: str) -> HttpResponse:
    """Follow a tag (follow=1) or stop (follow=0); its new papers come first in my digest."""
    tag = get_object_or_404(Tag, slug=slug)
    wanted = request.POST.get("follow", "1") not in ("0", "false", "")
    following = topic_follow_set(member=request.user, tag=tag, followed=wanted)
    if request.htmx:
        return render(request, "papers/_tag_follow.html", {"tag": tag, "following": following})
    return redirect_back(request, fallback=tag.get_absolute_url())


class TagIndexView(ReadAccessMixin, ListView):
    """Every tag with at least one listed paper, by kind, busiest first."""

    template_name = "papers/tags.html"
    extra_context = {"nav": "tags"}
    context_object_name = "tags"

    def get_queryset(self) -> QuerySet:
        return tag_counts().order_by("kind", "-paper_count", "name")


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    """Start and end of a calendar day in the site's time zone (23 or 25 hours across DST)."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return start, end


class DailyView(PaperListMixin, ListView):
    """One day's papers, most votes first, with links to the nearest days that have papers."""

    template_name = "papers/daily.html"
    extra_context = {"nav": "daily"}

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        self.day = self._requested_day()
        return super().get(request, *args, **kwargs)

    def _requested_day(self) -> date | None:
        if "day" not in self.kwargs:
            latest = Paper.objects.listed().aggregate(latest=Max("published_at"))["latest"]
            return timezone.localdate(latest) if latest else None
        try:
            day = date.fromisoformat(self.kwargs["day"])
        except ValueError:
            raise Http404("Not a date: use YYYY-MM-DD.") from None
        # A day's bounds in UTC must stay within datetime's range (years 1 to 9999), as in
        # the filters' published_since/until: the calendar's first and last years are a 404.
        if not 1 < day.year < 9999:
            raise Http404("No papers on that day.")
        return day

    def get_queryset(self) -> QuerySet:
        if self.day is None:
            return Paper.objects.none()
        start, end = _day_bounds(self.day)
        papers = paper_list(user=self.request.user, order="votes")
        return papers.filter(published_at__gte=start, published_at__lt=end)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(day=self.day, previous_day=None, next_day=None, **kwargs)
        if self.day is not None and not self.request.htmx:
            start, end = _day_bounds(self.day)
            # One query finds both neighbours, skipping days without papers.
            near = Paper.objects.listed().aggregate(
                previous=Max("published_at", filter=Q(published_at__lt=start)),
                next=Min("published_at", filter=Q(published_at__gte=end)),
            )
            context["previous_day"] = near["previous"] and timezone.localdate(near["previous"])
            context["next_day"] = near["next"] and timezone.localdate(near["next"])
        return context


class PaperDetailView(ReadAccessMixin, DetailView):
    template_name = "papers/detail.html"
    extra_context = {"nav": "papers"}
    context_object_name = "paper"

    def get_queryset(self) -> QuerySet:
        # Listed papers; also the pending ones I suggested, and every paper for organisers.
        user = self.request.user
        papers = with_dismissed(with_has_voted(paper_visible(user=user), user), user)
        agenda = AgendaItem.objects.select_related("meeting", "presenter").order_by("-meeting__starts_at")
        return with_list_relations(papers).prefetch_related(
            Prefetch("agenda_items", queryset=agenda, to_attr="agenda_list")
        )

    def get_context_data(self, **kwargs):
        # Listed papers only, whoever asks: the neighbours of a hidden paper are still ones
        # every reader may open.
        return super().get_context_data(related=list(paper_related(self.object)), **kwargs)


@member_action
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    """Set (voted=1) or remove (voted=0) my vote; a fragment for htmx, else back to the page."""
    wanted = request.POST.get("voted", "1") not in ("0", "false", "")
    try:
        state = paper_vote_set(user=request.user, paper_id=pk, voted=wanted)
    except Paper.DoesNotExist:
        raise Http404("No listed paper with this id.") from None
    if not request.htmx:
        return redirect_back(request, fallback=reverse("papers:detail", args=[pk]), anchor=f"paper-{pk}")
    paper = SimpleNamespace(
        pk=pk, vote_count=state.vote_count, has_voted=state.voted, status=Paper.Status.LISTED
    )
    next_url = request.POST.get("next", "")
    return render(request, "papers/_vote.html", {"paper": paper, "next_url": next_url})


@member_action
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Not interested" (dismissed=0 takes it back): htmx swaps the card for a note, else back to
    the page the button was on."""
    wanted = request.POST.get("dismissed", "1") not in ("0", "false", "")
    try:
        services.paper_dismiss_set(user=request.user, paper_id=pk, dismissed=wanted)
    except Paper.DoesNotExist:
        raise Http404("No paper with this id.") from None
    title = Paper.objects.filter(pk=pk).values_list("title", flat=True).first() or ""
    if request.htmx:
        return render(request, "papers/_dismissed.html", {"pk": pk, "title": title, "dismissed": wanted})
    if wanted:
        messages.success(request, f"Not interested in “{title}”: it will not come back in For you.")
    else:
        messages.success(request, f"“{title}” may come back in For you.")
    return redirect_back(request, fallback=reverse("papers:for-you"))


@member_action
def suggestion_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """The suggester asks for a paper's details once more after the fetch failed."""
    try:
        paper = services.paper_suggestion_retry(user=request.user, paper_id=pk)
    except PermissionDenied:
        raise Http404("No suggestion of yours waiting for its details.") from None
    messages.success(request, "Fetching its details again.")
    return redirect(paper)


@member_action
def suggestion_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """The suggester removes a paper whose details never came."""
    try:
        services.paper_suggestion_withdraw(user=request.user, paper_id=pk)
    except PermissionDenied:
        raise Http404("No suggestion of yours waiting for its details.") from None
    messages.success(request, "Your suggestion was removed.")
    return redirect("papers:suggest")


class SearchView(PaperListMixin, ListView):
    """Ranked search over listed papers (papers.selectors.paper_search), matching words marked."""

    template_name = "papers/search.html"
    # Search-as-you-type (htmx, from the search box) replaces the whole results block.
    results_template = "papers/_search_results.html"
    extra_context = {"nav": "search"}
    # Snippets come from the abstract where the database cannot mark them (papers.highlight).
    card_deferred_fields = ()
    # The page says how many papers match; a search ranks at most SEARCH_CANDIDATES of them.
    paginator_class = Paginator

    def get(self, request, *args, **kwargs) -> HttpResponse:
        # An arXiv id or a DOI typed into the box goes straight to that paper; from
        # search-as-you-type, htmx follows HX-Redirect with a full page load.
        paper = paper_lookup(Paper.objects.listed(), request.GET.get("q", "")[:200])
        if paper is None:
            return super().get(request, *args, **kwargs)
        if request.htmx:
            return HttpResponse(headers={"HX-Redirect": paper.get_absolute_url()})
        return redirect(paper)

    def get_queryset(self) -> QuerySet:
        # The API's filters (papers.filters): q, tag, published_since/until, voted=me, ordering.
        papers = with_list_relations(with_has_voted(Paper.objects.listed(), self.request.user))
        self.filterset = PaperFilter(self.request.GET, queryset=papers, request=self.request)
        valid = self.filterset.is_valid()
        self.query = self.filterset.form.cleaned_data.get("q", "") if valid else ""
        if not self.query:
            return Paper.objects.none()
        return with_headlines(self.filterset.qs, self.query)

    def get_template_names(self) -> list[str]:
        if self.request.htmx and self.request.htmx.target == "search-results":
            return [self.results_template]
        return super().get_template_names()

    def get_context_data(self, **kwargs):
        errors = [e for errors in self.filterset.form.errors.values() for e in errors]
        query = self.query or self.request.GET.get("q", "")[:200]
        context = super().get_context_data(search_errors=errors, search_query=query, **kwargs)
        attach_highlights(context["papers"], self.query)
        # Only search results carry highlights: elsewhere the card does not look for them,
        # since a missing attribute costs the template engine a dir() of the paper (a few per
        # cent of a home page's Python work).
        context["highlighted"] = True
        return context


class SuggestView(LoginRequiredMixin, FormView):
    """A member pastes an arXiv/Hugging Face URL or id, or a DOI; the paper appears at once."""

    template_name = "papers/suggest.html"
    form_class = SuggestForm
    extra_context = {"nav": "suggest"}

    def form_valid(self, form: SuggestForm) -> HttpResponse:
        # SUGGEST_RATE, counted with the API's suggestions: each new paper queues a fetch.
        if (seconds := seconds_to_wait(SuggestThrottle(), self.request)) is not None:
            form.add_error(None, try_again(SUGGEST_LIMITED, seconds))
            response = self.form_invalid(form)
            response.status_code, response["Retry-After"] = 429, str(seconds)
            return response
        try:
            paper, created = services.paper_suggest(
                user=self.request.user, reference=form.cleaned_data["reference"]
            )
        except ValidationError as error:
            for field, messages_ in _errors_by_field(error).items():
                for message in messages_:
                    form.add_error(field if field in form.fields else None, message)
            return self.form_invalid(form)
        if not paper_visible(user=self.request.user).filter(pk=paper.pk).exists():
            # As its page would be a 404: say why, without its title (the API answers a 409).
            hidden = paper.status == Paper.Status.HIDDEN
            form.add_error("reference", services.SUGGESTED_HIDDEN if hidden else services.SUGGESTED_PENDING)
            return self.form_invalid(form)
        if created:
            messages.success(self.request, f"Thanks: “{paper.title}” was added. Its details are on the way.")
        else:
            messages.info(self.request, f"“{paper.title}” is already here.")
        return redirect(paper)


def _errors_by_field(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: [m for e in errors for m in e.messages] for field, errors in error.error_dict.items()}
    return {"reference": error.messages}
