from django.db.models import Prefetch, QuerySet
from django.views.generic import DetailView, ListView

from meetings.models import AgendaItem, Meeting
from readinggroup.access import ReadAccessMixin


def _with_agenda(meetings: QuerySet) -> QuerySet:
    agenda = AgendaItem.objects.select_related("paper", "presenter").order_by("order", "id")
    return meetings.prefetch_related(Prefetch("agenda", queryset=agenda))


class MeetingListView(ReadAccessMixin, ListView):
    template_name = "meetings/list.html"
    context_object_name = "upcoming"

    def get_queryset(self) -> QuerySet:
        return _with_agenda(Meeting.objects.upcoming())

    def get_context_data(self, **kwargs):
        past = _with_agenda(Meeting.objects.past())[:20]
        return super().get_context_data(past=past, **kwargs)


class MeetingDetailView(ReadAccessMixin, DetailView):
    template_name = "meetings/detail.html"
    context_object_name = "meeting"

    def get_queryset(self) -> QuerySet:
        return _with_agenda(Meeting.objects.all())
