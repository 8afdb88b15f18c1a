from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from meetings import services
from meetings.models import RSVP, AgendaItem, Meeting, Notice, PresenterOffer
from meetings.selectors import presenter_suggest
from readinggroup.admin_actions import intermediate_form


class AgendaItemForm(forms.ModelForm):
    class Meta:
        model = AgendaItem
        fields = ["meeting", "order", "paper", "presenter"]

    def clean_presenter(self):
        presenter = self.cleaned_data.get("presenter")
        if presenter is not None and not presenter.is_active:
            raise ValidationError(f"{presenter} is not an active member and cannot present.")
        return presenter


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    form = AgendaItemForm
    autocomplete_fields = ["paper", "presenter"]
    readonly_fields = ["suggested_presenter", "offers"]
    extra = 0
    ordering = ["order", "id"]

    @admin.display(description="suggested (rotation)")
    def suggested_presenter(self, item: AgendaItem) -> str:
        if item.pk is None or item.presenter_id:
            return "—"
        user = presenter_suggest(item=item)
        return user.public_name if user else "no active member can present"

    @admin.display(description="offered to present")
    def offers(self, item: AgendaItem) -> str:
        if item.pk is None:
            return "—"
        return ", ".join(o.user.public_name for o in item.offers.select_related("user")) or "—"


class PresenterOfferInline(admin.TabularInline):
    model = PresenterOffer
    autocomplete_fields = ["user"]
    extra = 0


class NoticeInline(admin.TabularInline):
    """The e-mails sent about a session; written only by the senders."""

    model = Notice
    fields = ["kind", "user", "key", "claimed_at", "sent_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "notices sent"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("user")


class _AnswersFromTheServicesOnly:
    """RSVPs are the members' own answers and change only through the RSVP services, which
    keep seats within the capacity and move the waiting list; the admin shows them, and
    removing one hands its seat on."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class RSVPInline(_AnswersFromTheServicesOnly, admin.TabularInline):
    model = RSVP
    fields = ["user", "answer", "waitlisted", "answered_at"]
    readonly_fields = fields
    extra = 0

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # remove answers from the RSVP list, where it goes through the service


def _rsvp_count(answer: str) -> Count:
    return Count("rsvps", filter=Q(rsvps__answer=answer, rsvps__waitlisted=False), distinct=True)


class MeetingAdminForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = services.MEETING_FIELDS

    def clean(self):
        cleaned = super().clean()
        starts_at = cleaned.get("starts_at")
        moved = self.instance.pk is None or starts_at != self.instance.starts_at
        if starts_at and moved and starts_at <= timezone.now():
            self.add_error("starts_at", "A session cannot be scheduled in the past.")
        return cleaned


class FillAgendaForm(forms.Form):
    count = forms.IntegerField(
        min_value=1, max_value=services.FILL_AGENDA_MAX, initial=3, help_text="Papers to take from the queue."
    )


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    form = MeetingAdminForm
    list_display = [
        "title",
        "starts_at",
        "status",
        "location",
        "capacity",
        "yes_count",
        "waiting_count",
        "maybe_count",
        "no_count",
    ]
    list_filter = ["status", "starts_at"]
    search_fields = ["title", "location", "notes"]
    date_hierarchy = "starts_at"
    # Status moves through the actions, which also mark papers discussed and tell calendars.
    readonly_fields = ["status", "sequence", "created_at", "updated_at"]
    inlines = [AgendaItemInline, RSVPInline, NoticeInline]
    actions = ["fill_agenda", "send_reminders_now", "mark_done", "cancel"]
    change_list_template = "admin/meetings/meeting/change_list.html"  # adds "Send the digest now"

    def get_urls(self) -> list:
        send_digest = self.admin_site.admin_view(require_POST(self.send_digest_view))
        return [path("send-digest/", send_digest, name="meetings_send_digest"), *super().get_urls()]

    def send_digest_view(self, request: HttpRequest) -> HttpResponseRedirect:
        if not self.has_change_permission(request):
            raise PermissionDenied
        services.digest_queue()
        self.message_user(
            request,
            "This week's digest is on its way; members who have it already will not get it twice.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:meetings_meeting_changelist"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(
                yes_count=_rsvp_count(RSVP.Answer.YES),
                maybe_count=_rsvp_count(RSVP.Answer.MAYBE),
                no_count=_rsvp_count(RSVP.Answer.NO),
                waiting_count=Count("rsvps", filter=Q(rsvps__waitlisted=True), distinct=True),
            )
        )

    def save_model(self, request: HttpRequest, obj: Meeting, form, change: bool) -> None:
        if change:
            obj.sequence = F("sequence") + 1  # calendars apply the change
        super().save_model(request, obj, form, change)
        obj.refresh_from_db()
        if "capacity" in form.changed_data:
            services.meeting_fill_seats(meeting=obj)

    @admin.display(description="yes", ordering="yes_count")
    def yes_count(self, meeting: Meeting) -> int:
        return meeting.yes_count

    @admin.display(description="waiting", ordering="waiting_count")
    def waiting_count(self, meeting: Meeting) -> int:
        return meeting.waiting_count

    @admin.display(description="maybe", ordering="maybe_count")
    def maybe_count(self, meeting: Meeting) -> int:
        return meeting.maybe_count

    @admin.display(description="no", ordering="no_count")
    def no_count(self, meeting: Meeting) -> int:
        return meeting.no_count

    def _each(self, request: HttpRequest, queryset: QuerySet, action, done: str) -> None:
        changed = 0
        for meeting in queryset:
            try:
                action(meeting)
            except ValidationError as error:
                self.message_user(request, f"{meeting}: {' '.join(error.messages)}", messages.WARNING)
            else:
                changed += 1
        if changed:
            self.message_user(request, f"{changed} session(s) {done}.", messages.SUCCESS)

    @admin.action(description="Fill agenda from the vote queue")
    def fill_agenda(self, request: HttpRequest, queryset: QuerySet):
        form = intermediate_form(self, request, queryset, FillAgendaForm, "Fill agenda from the vote queue")
        if not isinstance(form, FillAgendaForm):
            return form
        count = form.cleaned_data["count"]
        self._each(
            request,
            queryset.order_by("starts_at"),
            lambda meeting: services.meeting_fill_agenda(meeting=meeting, count=count),
            "filled from the queue",
        )
        return None

    @admin.action(description="Send the reminders now (never twice to a member)")
    def send_reminders_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        queued = services.meeting_queue_reminders(meeting_ids=queryset.values_list("pk", flat=True))
        skipped = queryset.count() - queued
        self.message_user(request, f"Reminders of {queued} session(s) on their way.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} session(s) skipped: only planned, future ones.", messages.WARNING
            )

    @admin.action(description="Mark done (papers become discussed)")
    def mark_done(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, lambda m: services.meeting_mark_done(meeting=m), "marked done")

    @admin.action(description="Cancel selected sessions")
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._each(request, queryset, lambda m: services.meeting_cancel(meeting=m), "cancelled")


@admin.register(AgendaItem)
class AgendaItemAdmin(admin.ModelAdmin):
    form = AgendaItemForm
    list_display = ["meeting", "order", "paper", "presenter"]
    list_select_related = ["meeting", "paper", "presenter"]
    list_filter = ["meeting__status"]
    search_fields = ["paper__title", "meeting__title", "presenter__username"]
    autocomplete_fields = ["meeting", "paper", "presenter"]
    inlines = [PresenterOfferInline]


@admin.register(RSVP)
class RSVPAdmin(_AnswersFromTheServicesOnly, admin.ModelAdmin):
    list_display = ["meeting", "user", "answer", "waitlisted", "answered_at"]
    list_select_related = ["meeting", "user"]
    list_filter = ["answer", "waitlisted", "meeting__status"]
    search_fields = ["meeting__title", "user__username"]
    autocomplete_fields = ["meeting", "user"]
    readonly_fields = ["waitlisted", "answered_at"]

    def delete_model(self, request: HttpRequest, obj: RSVP) -> None:
        services.rsvp_remove(meeting=obj.meeting, user=obj.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for rsvp in queryset.select_related("meeting", "user"):
            services.rsvp_remove(meeting=rsvp.meeting, user=rsvp.user)
