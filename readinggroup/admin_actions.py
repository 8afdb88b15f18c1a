"""Shared parts of admin actions: the page that asks for one more value (tags, a meeting, a count)
before an action runs, and the rule that only a superuser acts on a superuser."""

from collections.abc import Callable
from functools import wraps

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse


def intermediate_form(modeladmin, request, queryset, form_class, title: str):
    """A bound, valid form once the organiser has answered; until then, the page that asks."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        return form
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "queryset": queryset,
        "opts": modeladmin.model._meta,
        "action": request.POST["action"],
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
    }
    return TemplateResponse(request, "admin/action_form.html", context)


def without_superusers(modeladmin, request: HttpRequest, users: QuerySet) -> QuerySet:
    """The selected users the acting user may act on, telling them which rows were left out.

    Only a superuser acts on a superuser: an organiser who could deactivate or delete one
    could lock every administrator out and keep the site to themselves.
    """
    if request.user.is_superuser:
        return users
    skipped = sorted(users.filter(is_superuser=True).values_list("username", flat=True))
    if skipped:
        modeladmin.message_user(
            request,
            f"Skipped {', '.join(skipped)}: only a superuser can act on a superuser.",
            messages.WARNING,
        )
    return users.filter(is_superuser=False)


def _guarded(action: Callable) -> Callable:
    @wraps(action)
    def run(modeladmin, request: HttpRequest, queryset: QuerySet):
        queryset = without_superusers(modeladmin, request, queryset)
        if not queryset.exists():
            return None  # back to the list, with the message saying why nothing happened
        return action(modeladmin, request, queryset)

    return run


class SuperuserTargetsGuard:
    """For the admin of the user model: every action, Django's "delete selected" and any added
    later included, runs on the selection without_superusers() leaves."""

    def get_actions(self, request: HttpRequest) -> dict:
        return {
            name: (_guarded(func), name, description)
            for name, (func, _, description) in super().get_actions(request).items()
        }
