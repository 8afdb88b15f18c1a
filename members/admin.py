from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils import timezone

from members import services
from members.forms import AdminLoginForm, AdminPasswordChangeForm
from members.models import Invitation, User
from readinggroup.admin_actions import SuperuserTargetsGuard


@admin.register(User)
class UserAdmin(SuperuserTargetsGuard, BaseUserAdmin):
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
    change_password_form = AdminPasswordChangeForm  # a new password ends the member's API tokens
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

    def delete_model(self, request, obj: User) -> None:
        # Through the service: the member's votes stay, anonymous, so vote counts stay right.
        services.user_delete(user=obj)

    def delete_queryset(self, request, queryset) -> None:
        for user in queryset:
            services.user_delete(user=user)

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
        changed = services.user_deactivate(users=queryset.exclude(pk=request.user.pk))
        self.message_user(request, f"{changed} member(s) deactivated.")


class InvitationAddForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ["email"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("Someone with this e-mail address is already a member.")
        return email

    def validate_unique(self) -> None:
        # Inviting an address with an open invitation sends it again (the service does that).
        pass


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invite by e-mail address; saving sends the signed signup link (members.services)."""

    list_display = ["email", "invited_by", "sent_at", "accepted_at", "accepted_by"]
    list_filter = [("accepted_at", admin.EmptyFieldListFilter)]
    list_select_related = ["invited_by", "accepted_by"]
    search_fields = ["email"]
    readonly_fields = ["invited_by", "created_at", "sent_at", "accepted_at", "accepted_by"]
    actions = ["resend"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = InvitationAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["email"] if obj is None else ["email", *self.readonly_fields]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        created = services.invitation_create(email=form.cleaned_data["email"], invited_by=request.user)
        obj.pk = created.pk

    @admin.action(description="Send the selected open invitations again")
    def resend(self, request, queryset) -> None:
        sent = 0
        for invitation in queryset.filter(accepted_at__isnull=True):
            services.invitation_send(invitation=invitation)
            sent += 1
        self.message_user(request, f"{sent} invitation(s) sent again.")


# The admin's log-in counts against the web log-in's limit per address (WEB_LOGIN_RATE).
admin.site.login_form = AdminLoginForm
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    @admin.action(description="Clean up expired attempts")
    def cleanup_expired_attempts(self, request, queryset) -> None:
        # django-axes 8.3 reads the request's time from an attribute that only its log-in
        # handlers set, so its action raised AttributeError (a 500) in the admin.
        request.axes_attempt_time = timezone.now()
        super().cleanup_expired_attempts(request, queryset)
