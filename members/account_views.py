"""A member's own account: download everything the site keeps about them, or delete it."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from members import services
from members.export import user_data_json
from members.forms import AccountDeleteForm


@login_required
@require_safe
def export(request: HttpRequest) -> HttpResponse:
    """My data as a JSON file (the same document as GET /api/v1/me/export/)."""
    response = HttpResponse(user_data_json(user=request.user), content_type="application/json")
    filename = f"readinggroup-{request.user.pk}-{timezone.now():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    """Ask for the password, then delete the account and log out (votes stay, anonymous)."""
    form = AccountDeleteForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        if request.user.is_superuser:
            form.add_error(None, services.ADMINISTRATOR_SELF_DELETE)
        else:
            services.user_delete(user=request.user)
            logout(request)
            messages.success(request, "Your account is deleted. Your votes stay, without your name.")
            return redirect("home")
    status = 400 if form.errors else 200
    return render(request, "members/account_delete.html", {"form": form, "nav": "profile"}, status=status)
