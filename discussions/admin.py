from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator

from discussions import services
from discussions.models import Comment, Report


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("visible", "Visible"), ("hidden", "Hidden"), ("deleted", "Deleted")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "visible":
            return queryset.visible()
        if self.value() == "hidden":
            return queryset.filter(hidden_at__isnull=False)
        if self.value() == "deleted":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


class TargetFilter(admin.SimpleListFilter):
    title = "on"
    parameter_name = "on"

    def lookups(self, request, model_admin):
        return [("paper", "Papers"), ("meeting", "Sessions")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() in ("paper", "meeting"):
            return queryset.filter(**{f"{self.value()}__isnull": False})
        return queryset


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["id", "excerpt", "author", "target", "created_at", "state"]
    list_select_related = ["author", "paper", "meeting"]
    list_filter = [StateFilter, TargetFilter]
    search_fields = ["body", "author__username", "author__display_name"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Comment._meta.fields]
    actions = ["hide", "unhide"]

    # Comments change only through discussions.services, which keeps comment_count exact.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="comment")
    def excerpt(self, comment: Comment) -> str:
        return Truncator(comment.body).chars(80) or "—"

    @admin.display(description="on")
    def target(self, comment: Comment) -> str:
        return str(comment.target)

    @admin.display(description="state")
    def state(self, comment: Comment) -> str:
        if comment.deleted_at:
            return "deleted"
        return "hidden" if comment.hidden_at else "visible"

    def _moderate(self, request: HttpRequest, queryset: QuerySet, service, verb: str) -> None:
        for comment_id in queryset.values_list("pk", flat=True):
            service(user=request.user, comment_id=comment_id)
        self.message_user(request, f"{verb} {queryset.count()} comment(s).", messages.SUCCESS)

    @admin.action(description="Hide the selected comments from members")
    def hide(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._moderate(request, queryset, services.comment_hide, "Hid")

    @admin.action(description="Show the selected hidden comments again")
    def unhide(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._moderate(request, queryset, services.comment_unhide, "Showed")


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", "Open"), ("no", "Resolved")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(resolved_at__isnull=self.value() == "yes")
        return queryset


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Members' reports: open ones first; hide the comment from its own page or the comments list."""

    list_display = ["created_at", "comment_link", "reason_excerpt", "reporter", "resolved_at"]
    list_select_related = ["comment", "reporter"]
    list_filter = [OpenFilter]
    search_fields = ["reason", "comment__body"]
    readonly_fields = [f.name for f in Report._meta.fields]
    actions = ["hide_comments", "resolve"]

    def get_ordering(self, request):
        return ["-resolved_at", "-created_at"]  # nulls (open) first on PostgreSQL and SQLite alike

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="comment")
    def comment_link(self, report: Report) -> str:
        return Truncator(report.comment.body).chars(60) or f"(comment {report.comment_id}, deleted)"

    @admin.display(description="reason")
    def reason_excerpt(self, report: Report) -> str:
        return Truncator(report.reason).chars(80)

    @admin.action(description="Hide the reported comments and resolve the reports")
    def hide_comments(self, request: HttpRequest, queryset: QuerySet) -> None:
        for comment_id in set(queryset.values_list("comment_id", flat=True)):
            services.comment_hide(user=request.user, comment_id=comment_id)
        resolved = services.report_resolve(user=request.user, reports=queryset)
        self.message_user(request, f"Hid the comments; resolved {resolved} report(s).", messages.SUCCESS)

    @admin.action(description="Resolve the selected reports (the comments stay)")
    def resolve(self, request: HttpRequest, queryset: QuerySet) -> None:
        resolved = services.report_resolve(user=request.user, reports=queryset)
        self.message_user(request, f"Resolved {resolved} report(s).", messages.SUCCESS)
