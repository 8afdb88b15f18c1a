from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator

from meetings.models import Meeting
from meetings.services import agenda_add
from papers.csv_export import papers_csv, votes_csv
from papers.models import Author, FetchRun, Paper, PaperAuthor, Source, Tag, TopicAssignment, Vote, tag_slug
from papers.services import (
    paper_add_tags,
    paper_metadata_refetch,
    paper_remove_tags,
    paper_resummarise,
    paper_set_status,
    paper_vote_set,
    papers_merge,
    papers_merge_plan,
    source_queue_fetch,
    tag_get_or_create,
    tag_promote_keyword,
)
from papers.topics import State, assignments_decide, topic_refresh, topics_queue_reassignment
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


def _tag_widget() -> AutocompleteSelectMultiple:
    # Django's own select2 autocomplete, answering from TagAdmin.search_fields through the
    # `tags` field of PaperAdmin.autocomplete_fields.
    return AutocompleteSelectMultiple(Paper._meta.get_field("tags"), admin.site)


class TagsForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.all(),
        required=False,
        widget=_tag_widget(),
        help_text="Type to find tags to add.",
    )
    new_tags = forms.CharField(
        required=False,
        max_length=500,
        label="New tag names",
        help_text="Tags to create (or reuse, when the name exists), separated by commas.",
    )

    def clean_new_tags(self) -> list[str]:
        names = [name.strip() for name in self.cleaned_data["new_tags"].split(",") if name.strip()]
        if any(not tag_slug(name) for name in names):
            raise ValidationError("Give tag names with at least one letter or digit.")
        return names

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("tags") and not data.get("new_tags") and not self.errors:
            raise ValidationError("Choose a tag or give a new tag name.")
        return data


class RemoveTagsForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.all(), help_text="Type to find tags to remove."
    )


class LinesField(forms.CharField):
    """A JSON list of strings edited as text, one item a line."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 60})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[str]:
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class PaperAdminForm(forms.ModelForm):
    keywords = LinesField(required=False, help_text="One keyword a line.")
    categories = LinesField(required=False, help_text="arXiv categories, one a line, primary first.")

    class Meta:
        model = Paper
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets decide what shows


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


class MergeForm(forms.Form):
    keep = forms.ModelChoiceField(
        queryset=Paper.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        help_text="The others are merged into it and deleted.",
    )

    def __init__(self, *args, papers: QuerySet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["keep"].queryset = papers
        # Most votes first, then the oldest: usually the row members know.
        self.fields["keep"].initial = papers.order_by("-vote_count", "created_at", "pk").first()


AUTHORS_SHOWN = 3
MOVED_NAMES = {
    "papers.Vote": "votes",
    "papers.Paper_tags": "tags",
    "meetings.AgendaItem": "agenda items",
    "discussions.Comment": "comments",
    "discussions.Subscription": "thread subscriptions",
}


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    form = PaperAdminForm
    # Few, narrow columns: readable at 1,280 px and on a phone (papers/admin.css).
    list_display = ["title_authors", "status", "votes", "tag_count", "published"]
    list_filter = ["status", MetadataFilter, HasSummaryFilter, "source", "published_at"]
    list_select_related = ["source"]
    search_fields = ["title", "arxiv_id", "doi"]
    autocomplete_fields = ["tags", "source", "submitted_by"]
    readonly_fields = ["vote_count", "score", "discussed_at", "created_at", "modified_at"]
    readonly_fields += ["metadata_error", "metadata_failed_at"]
    date_hierarchy = "published_at"
    inlines = [PaperAuthorInline]
    actions = [
        "list_papers",
        "hide_papers",
        "add_tags",
        "remove_tags",
        "merge_duplicates",
        "promote_keyword",
        "add_to_meeting",
        "export_csv",
        "resummarise",
        "fetch_metadata_again",
    ]
    list_per_page = 50

    class Media:
        css = {"all": ["papers/admin.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        authorships = PaperAuthor.objects.select_related("author").order_by("position")
        return (
            super()
            .get_queryset(request)
            .annotate(tag_total=Count("tags", distinct=True))
            # to_attr: the CSV export prefetches "authorships" its own way on the same queryset.
            .prefetch_related(Prefetch("authorships", queryset=authorships, to_attr="listed_authorships"))
        )

    @admin.display(description="title", ordering="title")
    def title_authors(self, paper: Paper) -> str:
        names = [authorship.author.name for authorship in paper.listed_authorships]
        authors = ", ".join(names[:AUTHORS_SHOWN]) + (" et al." if len(names) > AUTHORS_SHOWN else "")
        return format_html(
            '<span class="paper-title">{}</span><span class="paper-authors">{}</span>'
            '<span class="paper-date">{}</span>',  # shown on phones, where the date column is not
            Truncator(paper.title).chars(100),
            authors or "no authors yet",
            self.published(paper),
        )

    @admin.display(description="votes", ordering="vote_count")
    def votes(self, paper: Paper) -> int:
        return paper.vote_count

    @admin.display(description="tags", ordering="tag_total")
    def tag_count(self, paper: Paper) -> int:
        return paper.tag_total

    @admin.display(description="published", ordering="published_at")
    def published(self, paper: Paper) -> str:
        return date_format(paper.published_at, "j M Y") if paper.published_at else "date unknown"

    @admin.display(description="trending score")
    def score(self, paper: Paper) -> str:
        return f"{paper.trending_score:.2f}"

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
        with transaction.atomic():
            created = [tag_get_or_create(name=name) for name in form.cleaned_data["new_tags"]]
            tags = [*form.cleaned_data["tags"], *created]
            paper_add_tags(papers=queryset, tags=tags, user=request.user)
        names = ", ".join(tag.name for tag in tags)
        self.message_user(request, f"{names} added to {queryset.count()} paper(s).", messages.SUCCESS)
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

    @admin.action(description="Remove tags from selected papers")
    def remove_tags(self, request: HttpRequest, queryset: QuerySet):
        form = intermediate_form(self, request, queryset, RemoveTagsForm, "Remove tags")
        if not isinstance(form, RemoveTagsForm):
            return form
        removed = paper_remove_tags(papers=queryset, tags=form.cleaned_data["tags"], user=request.user)
        self.message_user(request, f"{removed} tag(s) removed.", messages.SUCCESS)
        return None

    @admin.action(description="Merge selected duplicates into one paper")
    def merge_duplicates(self, request: HttpRequest, queryset: QuerySet):
        """First the page that asks which paper to keep and shows what moves; merging needs its
        second button ("confirm"), so nothing changes before the organiser has seen the list."""
        papers = queryset.order_by("pk")
        form = MergeForm(request.POST if "keep" in request.POST else None, papers=papers)
        if form.is_bound and form.is_valid():
            keep = form.cleaned_data["keep"]
            try:
                plan = papers_merge_plan(keep=keep, duplicates=papers)
                if "confirm" in request.POST:
                    papers_merge(keep=keep, duplicates=plan.duplicates)
                    self.message_user(
                        request, f"{len(plan.duplicates)} paper(s) merged into “{keep}”.", messages.SUCCESS
                    )
                    return None
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return None
        else:
            plan = None
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge duplicates",
            "form": form,
            "plan": plan,
            "moves": [
                (MOVED_NAMES.get(label, label), moved, dropped)
                for label, (moved, dropped) in (plan.moves.items() if plan else [])
            ],
            "queryset": papers,
            "opts": self.model._meta,
            "action": request.POST["action"],
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/papers/merge_form.html", context)

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


class TagAdminForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name", "slug", "kind", "description", "seed_papers"]

    def clean(self):
        data = super().clean()
        if data.get("kind") == Tag.Kind.TOPIC and not data.get("description", "").strip():
            self.add_error(
                "description",
                "A topic needs a description: a sentence or two saying which papers belong in it "
                "(the workers match new papers against it).",
            )
        return data


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    form = TagAdminForm
    list_display = ["name", "slug", "kind", "paper_count", "assignments_to_review"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["seed_papers"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        suggested = Count("assignments", filter=Q(assignments__state=State.SUGGESTED), distinct=True)
        return (
            super()
            .get_queryset(request)
            .annotate(paper_count=Count("papers", distinct=True), suggested_count=suggested)
        )

    @admin.display(description="papers", ordering="paper_count")
    def paper_count(self, tag: Tag) -> int:
        return tag.paper_count

    @admin.display(description="to review", ordering="suggested_count")
    def assignments_to_review(self, tag: Tag) -> str:
        if not tag.suggested_count:
            return "–"
        url = reverse("admin:papers_topicassignment_changelist")
        return format_html(
            '<a href="{}?topic__id__exact={}&state__exact=suggested">{}</a>', url, tag.pk, tag.suggested_count
        )

    def save_related(self, request: HttpRequest, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # After the seed papers are saved: the topic's vector takes them in; then the workers
        # go through the papers already here (new ones are assigned as they are embedded).
        if topic_refresh(tag=form.instance):
            topics_queue_reassignment()


@admin.register(TopicAssignment)
class TopicAssignmentAdmin(admin.ModelAdmin):
    """What the workers assigned: organisers confirm a topic or remove it (never assigned again)."""

    list_display = ["paper", "topic", "state", "score_shown", "created_at", "decided_by"]
    list_filter = ["state", ("topic", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["paper", "topic", "decided_by"]
    search_fields = ["paper__title", "topic__name"]
    autocomplete_fields = ["paper", "topic"]
    readonly_fields = ["score", "created_at", "decided_at", "decided_by"]
    actions = ["confirm", "remove"]

    @admin.display(description="similarity", ordering="score")
    def score_shown(self, assignment: TopicAssignment) -> str:
        return "by hand" if assignment.score is None else f"{assignment.score:.2f}"

    # The state changes only through the actions, which keep the paper's tags in step.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Confirm the selected topics")
    def confirm(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = assignments_decide(assignments=queryset, state=State.CONFIRMED, user=request.user)
        self.message_user(request, f"{changed} topic(s) confirmed.", messages.SUCCESS)

    @admin.action(description="Remove the selected topics (never assigned again)")
    def remove(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = assignments_decide(assignments=queryset, state=State.REMOVED, user=request.user)
        self.message_user(request, f"{changed} topic(s) removed.", messages.SUCCESS)


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
