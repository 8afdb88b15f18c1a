"""Admin actions that ask for one more value (tags, a meeting, a count) before they run."""

from django.contrib import admin
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
