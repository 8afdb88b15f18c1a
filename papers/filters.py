"""The paper filters the API and the web pages share (django-filter).

    PaperFilter(request.GET, queryset=papers, request=request).qs

applies the filters, then the order: an explicit `ordering` (`for_you`, a member's own list, keeps
only the papers on it), else best match first for a search (`q`: among the SEARCH_CANDIDATES most
trending matches), else trending.
`status` exists for organisers only; for everyone else it is dropped, and only listed
papers are ever shown.
"""

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field

from papers.discovery import FOR_YOU_LIMIT
from papers.models import Paper, Vote
from papers.selectors import ORDERINGS, best_matches_first, paper_for_you, paper_search
from readinggroup.envparse import FALSE_WORDS, TRUE_WORDS
from readinggroup.rest.query import UtcIsoDateTimeFilter

ORDERING_CHOICES = [
    ("trending", "Trending: votes with time decay"),
    ("votes", "Most votes"),
    ("newest", "Newest publications"),
    ("queue", "Vote queue: undiscussed papers by votes"),
    ("for_you", "For you (members only): papers like the ones I voted for, presented, discussed"),
]
FOR_YOU_NEEDS_MEMBER = "ordering=for_you ranks papers by a member's own votes: log in (send your token)."
DEFAULT_ORDERING = "trending"
SYNC_ORDER = ("modified_at", "id")  # ?updated_since=: a stable order the keyset cursor pages through


class StrictBooleanField(forms.Field):
    """true/false (or 1/0, yes/no, on/off); anything else is an error, not "no filter"."""

    def to_python(self, value) -> bool | None:
        if value in (None, ""):
            return None
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValidationError("Give true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class IdField(forms.IntegerField):
    """A database id: a positive whole number within BIGINT range (larger ones overflow SQLite)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(min_value=1, max_value=2**63 - 1, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1})
class IdFilter(django_filters.NumberFilter):
    field_class = IdField


def _start_of_day(day: date) -> datetime | None:
    """Midnight of the day in the site's time zone; None (no bound) at the ends of the calendar,
    where converting to UTC would leave datetime's range."""
    if not 1 < day.year < 9999:
        return None
    return timezone.make_aware(datetime.combine(day, time.min))


class PaperFilterForm(forms.Form):
    user = None  # set by PaperFilter: who asks

    def clean(self) -> dict:
        data = super().clean()
        if data.get("ordering") == "for_you" and not getattr(self.user, "is_authenticated", False):
            raise ValidationError({"ordering": FOR_YOU_NEEDS_MEMBER})
        if data.get("updated_since") and (data.get("ordering") or data.get("q")):
            raise ValidationError(
                {"updated_since": "Changes come oldest first: leave out ordering and q with updated_since."}
            )
        return data


class PaperFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        max_length=200,
        label=(
            "Search title, TL;DR, keywords and abstract: ranked (more and rarer words first, and "
            'similar meaning), "a phrase", -excluded, or; an arXiv id or DOI finds that paper. '
            "Results come best match first (search_rank) unless `ordering` is given"
        ),
    )
    tag = django_filters.CharFilter(field_name="tags__slug", max_length=100, label="Tag slug")
    source = IdFilter(field_name="source_id", label="Source id")
    published_since = django_filters.DateFilter(method="filter_since", label="Published on or after")
    published_until = django_filters.DateFilter(method="filter_until", label="Published on or before")
    voted = django_filters.ChoiceFilter(
        choices=[("me", "me")], method="filter_voted", label="voted=me: only papers I voted for"
    )
    discussed = StrictBooleanFilter(method="filter_discussed", label="Discussed at a session (true/false)")
    status = django_filters.ChoiceFilter(
        choices=Paper.Status.choices,
        method="filter_status",
        label="Status (organisers only; others always see listed papers). Default: listed",
    )
    ordering = django_filters.ChoiceFilter(
        choices=ORDERING_CHOICES,
        method="filter_ordering",
        label=(
            "Order (default: best match when searching, else trending). `for_you`: my own list, for "
            "logged-in members only (anonymous: a 400): papers I have not voted for, dismissed or seen "
            "discussed, most like the ones I voted for, presented, commented on or said yes to a "
            "session of, mixed with the group's trending; each with `for_you_score` and "
            f"`for_you_reason`. The list holds at most {FOR_YOU_LIMIT} papers"
        ),
    )
    updated_since = UtcIsoDateTimeFilter(
        method="filter_updated_since",
        label=(
            "For syncing: papers changed at or after this time (ISO 8601, e.g. 2026-12-03T09:00:00Z), "
            "in the order of their modified_at, then id. Not with ordering or q."
        ),
    )

    class Meta:
        model = Paper
        fields: list[str] = []
        form = PaperFilterForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None) -> None:
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.user = getattr(request, "user", None)
        if not getattr(self.user, "is_organiser", False):  # anonymous visitors have none
            self.filters.pop("status")

    @property
    def form(self) -> PaperFilterForm:
        form = super().form
        form.user = self.user
        return form

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status=Paper.Status.LISTED)
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("updated_since"):
            return queryset.order_by(*SYNC_ORDER)
        order = self.form.cleaned_data.get("ordering")
        if order == "queue":
            queryset = queryset.filter(discussed_at__isnull=True)
        if order == "for_you":
            return paper_for_you(queryset, user=self.user)
        if order or not self.form.cleaned_data.get("q"):
            return queryset.order_by(*ORDERINGS[order or DEFAULT_ORDERING])
        return best_matches_first(queryset, self.queryset, self.form.cleaned_data["q"])

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return paper_search(queryset, value)

    def filter_since(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        start = _start_of_day(value)
        return queryset.filter(published_at__gte=start) if start else queryset

    def filter_until(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        end = _start_of_day(value + timedelta(days=1)) if value.year < 9999 else None
        return queryset.filter(published_at__lt=end) if end else queryset

    def filter_voted(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if self.user is None or not self.user.is_authenticated:
            return queryset.none()
        return queryset.filter(Exists(Vote.objects.filter(user=self.user, paper=OuterRef("pk"))))

    def filter_discussed(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(discussed_at__isnull=not value)

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(status=value)

    def filter_updated_since(self, queryset: QuerySet, name: str, value: datetime) -> QuerySet:
        return queryset.filter(modified_at__gte=value)

    def filter_ordering(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # applied last, in filter_queryset, so it wins over a search's order
