from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator

from meetings.models import Meeting
from meetings.services import agenda_add
from papers.csv_export import papers_csv, votes_csv
from papers.models import Author, FetchRun, Paper, PaperAuthor, Source, Tag, Vote
from papers.services import (
    paper_add_tags,
    paper_metadata_refetch,
    paper_resummarise,
    paper_set_status,
    paper_vote_set,
    source_queue_fetch,
    tag_promote_keyword,
)
from readinggroup.admin_actions import intermediate_form
from readinggroup.rest.throttles import EXPORT_LIMITED, ExportThrottle, seconds_to_wait, try_again


def export_refused(modeladmin: admin.ModelAdmin, request: HttpRequest) -> bool:
    """Over EXPORT_RATE: the change list says so instead of exporting."""
    seconds = seconds_to_wait(ExportThrottle(), request)
    if seconds is not None:
        modeladmin.message_user(request, try_again(EXPORT_LIMITED, seconds), messages.ERROR)
    return seconds is not None


class PaperAuthorInline(admin.TabularInline):
    model = PaperAuthor
    autocomplete_fields = ["author"]
    extra = 0


class HasSummaryFilter(admin.SimpleListFilter):
    title = "TL;DR"
    parameter_name = "has_summary"

    def lookups(self, request, model_admin):
        return [("yes", "Has a TL;DR"), ("no", "No TL;DR")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(summary="")
        if self.value() == "no":
            return queryset.filter(summary="")
        return queryset


class MetadataFilter(admin.SimpleListFilter):
    """Suggestions whose details are not in: waiting for the worker, or failed."""

    title = "details"
    parameter_name = "details"

    def lookups(self, request, model_admin):
        return [("waiting", "Waiting for details"), ("failed", "Fetching details failed")]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(metadata_pending=True, metadata_error="")
        if self.value() == "failed":
            return queryset.metadata_failed()
        return queryset


class TagsForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(queryset=Tag.objects.all(), help_text="Tags to add.")


class KeywordForm(forms.Form):
    keyword = forms.CharField(
        max_length=100,
        help_text="A keyword as the papers show it. It becomes a topic tag on every paper that has it.",
    )


class MeetingForm(forms.Form):
    meeting = forms.ModelChoiceField(
        queryset=Meeting.objects.filter(status=Meeting.Status.PLANNED).order_by("starts_at"),
        empty_label=None,
    )


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = [
        "title_short",
        "status",
        "vote_count",
        "source",
        "tag_list",
        "has_summary",
        "published_at",
    ]
    list_filter = ["status", MetadataFilter, HasSummaryFilter, "source", "published_at"]
    list_select_related = ["source"]
    search_fields = ["title", "arxiv_id", "doi"]
    autocomplete_fields = ["tags", "source", "submitted_by"]
    readonly_fields = ["vote_count", "trending_score", "discussed_at", "created_at", "modified_at"]
    readonly_fields += ["metadata_error", "metadata_failed_at"]
    date_hierarchy = "published_at"
    inlines = [PaperAuthorInline]
    actions = [
        "list_papers",
        "hide_papers",
        "add_tags",
        "promote_keyword",
        "add_to_meeting",
        "export_csv",
        "resummarise",
        "fetch_metadata_again",
    ]
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("tags")

    @admin.display(description="title", ordering="title")
    def title_short(self, paper: Paper) -> str:
        return Truncator(paper.title).chars(80)

    @admin.display(description="tags")
    def tag_list(self, paper: Paper) -> str:
        return ", ".join(tag.name for tag in paper.tags.all())

    @admin.display(description="TL;DR", boolean=True)
    def has_summary(self, paper: Paper) -> bool:
        return bool(paper.summary)

    @admin.action(description="List selected papers")
    def list_papers(self, request: HttpRequest, queryset: QuerySet) -> None:
        waiting = queryset.filter(metadata_pending=True).count()
        if waiting:
            self.message_user(
                request,
                f"{waiting} paper(s) skipped: their details are not fetched yet. Use “Fetch details "
                "again”, or fill them in and untick “waiting for details”.",
                messages.WARNING,
            )
        changed = paper_set_status(papers=queryset, status=Paper.Status.LISTED)
        self.message_user(request, f"{changed} paper(s) listed.", messages.SUCCESS)

    @admin.action(description="Fetch details again")
    def fetch_metadata_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        queued = paper_metadata_refetch(papers=queryset)
        self.message_user(request, f"{queued} paper(s) queued to fetch their details.", messages.SUCCESS)

    @admin.action(description="Re-summarise selected papers")
    def resummarise(self, request: HttpRequest, queryset: QuerySet) -> None:
        queued = paper_resummarise(paper_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{queued} paper(s) queued for a new TL;DR.", messages.SUCCESS)

    @admin.action(description="Hide selected papers")
    def hide_papers(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = paper_set_status(papers=queryset, status=Paper.Status.HIDDEN)
        self.message_user(request, f"{changed} paper(s) hidden.", messages.SUCCESS)

    @admin.action(description="Add tags to selected papers")
    def add_tags(self, request: HttpRequest, queryset: QuerySet):
        form = intermediate_form(self, request, queryset, TagsForm, "Add tags")
        if not isinstance(form, TagsForm):
            return form
        paper_add_tags(papers=queryset, tags=form.cleaned_data["tags"])
        self.message_user(request, f"Tags added to {queryset.count()} paper(s).", messages.SUCCESS)
        return None

    @admin.action(description="Promote a keyword to a topic")
    def promote_keyword(self, request: HttpRequest, queryset: QuerySet):
        # The form page is the confirmation; it lists the selected papers, whose keywords
        # are the likely choices, but the topic goes on every paper with the keyword.
        form = intermediate_form(self, request, queryset, KeywordForm, "Promote a keyword to a topic")
        if not isinstance(form, KeywordForm):
            return form
        try:
            tag, count = tag_promote_keyword(keyword=form.cleaned_data["keyword"])
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return None
        self.message_user(request, f'Topic "{tag.name}" is on {count} paper(s).', messages.SUCCESS)
        return None

    @admin.action(description="Add selected papers to a meeting's agenda")
    def add_to_meeting(self, request: HttpRequest, queryset: QuerySet):
        form = intermediate_form(self, request, queryset, MeetingForm, "Add to a meeting's agenda")
        if not isinstance(form, MeetingForm):
            return form
        meeting = form.cleaned_data["meeting"]
        for paper in queryset:
            try:
                agenda_add(meeting=meeting, paper=paper)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.WARNING)
        self.message_user(request, f"Agenda of {meeting} updated.", messages.SUCCESS)
        return None

    @admin.action(description="Export selected papers as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet):
        return None if export_refused(self, request) else papers_csv(queryset)


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "paper_count"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(paper_count=Count("authorships"))

    @admin.display(description="papers", ordering="paper_count")
    def paper_count(self, author: Author) -> int:
        return author.paper_count


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "paper_count"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(paper_count=Count("papers"))

    @admin.display(description="papers", ordering="paper_count")
    def paper_count(self, tag: Tag) -> int:
        return tag.paper_count


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ["paper", "user", "created_at"]
    list_select_related = ["paper", "user"]
    search_fields = ["paper__title", "user__username"]
    autocomplete_fields = ["paper", "user"]
    date_hierarchy = "created_at"
    actions = ["export_csv"]

    # Votes change only through the vote service, which moves Paper.vote_count with them.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Vote) -> None:
        paper_vote_set(user=obj.user, paper_id=obj.paper_id, voted=False)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for vote in queryset.select_related("user"):
            paper_vote_set(user=vote.user, paper_id=vote.paper_id, voted=False)

    @admin.action(description="Export selected votes as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet):
        return None if export_refused(self, request) else votes_csv(queryset)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "enabled", "interval", "last_fetched_at", "last_error_short"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name", "url"]
    readonly_fields = ["etag", "last_modified", "last_fetched_at", "last_error"]
    actions = ["fetch_now"]

    @admin.action(description="Fetch selected sources now")
    def fetch_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        queued = source_queue_fetch(source_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request, f"{queued} fetch(es) queued; see Fetch runs for the results.", messages.SUCCESS
        )

    @admin.display(description="last error")
    def last_error_short(self, source: Source) -> str:
        return Truncator(source.last_error).chars(80)


@admin.register(FetchRun)
class FetchRunAdmin(admin.ModelAdmin):
    list_display = [
        "source",
        "started_at",
        "finished_at",
        "status",
        "new_count",
        "updated_count",
        "unchanged_count",
        "failed_count",
        "skipped_count",
        "error_short",
    ]
    list_filter = ["status", "source"]
    list_select_related = ["source"]
    search_fields = ["source__name", "error"]
    date_hierarchy = "started_at"

    @admin.display(description="error or why partial")
    def error_short(self, run: FetchRun) -> str:
        return Truncator(run.error).chars(80)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # runs are written by fetches only

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
