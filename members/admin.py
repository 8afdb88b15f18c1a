from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from members.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "public_name", "email", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "is_staff", "digest_enabled"]
    search_fields = ["username", "display_name", "first_name", "last_name", "email"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Reading group", {"fields": ["role", "display_name", "digest_enabled"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        ("Reading group", {"fields": ["email", "role", "display_name"]}),
    ]
    actions = ["deactivate"]
    # Organisers manage members but must not be able to grant themselves more.
    privileged_fields = ("is_superuser", "is_staff", "groups", "user_permissions")

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += self.privileged_fields
        return readonly

    @admin.display(description="name")
    def public_name(self, user: User) -> str:
        return user.public_name

    @admin.action(description="Deactivate selected members")
    def deactivate(self, request, queryset) -> None:
        changed = queryset.filter(is_active=True).exclude(pk=request.user.pk).update(is_active=False)
        self.message_user(request, f"{changed} member(s) deactivated.")
