from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from meetings.models import RSVP, AgendaItem, Meeting


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    autocomplete_fields = ["paper", "presenter"]
    extra = 0
    ordering = ["order", "id"]


class RSVPInline(admin.TabularInline):
    model = RSVP
    autocomplete_fields = ["user"]
    extra = 0


def _rsvp_count(answer: str) -> Count:
    return Count("rsvps", filter=Q(rsvps__answer=answer), distinct=True)


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["title", "starts_at", "status", "location", "yes_count", "maybe_count", "no_count"]
    list_filter = ["status", "starts_at"]
    search_fields = ["title", "location", "notes"]
    date_hierarchy = "starts_at"
    inlines = [AgendaItemInline, RSVPInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(
                yes_count=_rsvp_count(RSVP.Answer.YES),
                maybe_count=_rsvp_count(RSVP.Answer.MAYBE),
                no_count=_rsvp_count(RSVP.Answer.NO),
            )
        )

    @admin.display(description="yes", ordering="yes_count")
    def yes_count(self, meeting: Meeting) -> int:
        return meeting.yes_count

    @admin.display(description="maybe", ordering="maybe_count")
    def maybe_count(self, meeting: Meeting) -> int:
        return meeting.maybe_count

    @admin.display(description="no", ordering="no_count")
    def no_count(self, meeting: Meeting) -> int:
        return meeting.no_count


@admin.register(AgendaItem)
class AgendaItemAdmin(admin.ModelAdmin):
    list_display = ["meeting", "order", "paper", "presenter"]
    list_select_related = ["meeting", "paper", "presenter"]
    list_filter = ["meeting__status"]
    search_fields = ["paper__title", "meeting__title", "presenter__username"]
    autocomplete_fields = ["meeting", "paper", "presenter"]


@admin.register(RSVP)
class RSVPAdmin(admin.ModelAdmin):
    list_display = ["meeting", "user", "answer", "updated_at"]
    list_select_related = ["meeting", "user"]
    list_filter = ["answer", "meeting__status"]
    search_fields = ["meeting__title", "user__username"]
    autocomplete_fields = ["meeting", "user"]
