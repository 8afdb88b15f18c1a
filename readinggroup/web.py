"""Small helpers the web views of every app share: safe redirects, htmx answers, access."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The `next` URL the form or query string names, when it points at this site; else fallback."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def send_to_login(request: HttpRequest, next_url: str) -> HttpResponse:
    """Ask an anonymous visitor to log in and come back to next_url (a page of this site)."""
    response = redirect_to_login(next_url, resolve_url(settings.LOGIN_URL))
    if request.htmx:
        # A redirect answered to htmx would be followed inside the fragment; make the browser go.
        return HttpResponseClientRedirect(response["Location"])
    return response


def member_action(view: Callable) -> Callable:
    """A POST-only action for members; anonymous visitors log in first and come back."""

    @require_POST
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return send_to_login(request, safe_next(request, fallback=resolve_url("home")))
        return view(request, *args, **kwargs)

    return wrapper


def may_read(request: HttpRequest) -> bool:
    """Anyone may read when SITE_PUBLIC is on, and members only otherwise."""
    return settings.SITE_PUBLIC or request.user.is_authenticated


class ReadAccessMixin(AccessMixin):
    """Class-based pages that follow may_read."""

    def dispatch(self, request, *args, **kwargs):
        if not may_read(request):
            return self.handle_no_permission()
        return super().dispatch(request, *args, **kwargs)


def read_access(view: Callable) -> Callable:
    """Function views that follow may_read (the login page otherwise, as ReadAccessMixin)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not may_read(request):
            return send_to_login(request, request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def redirect_back(request: HttpRequest, fallback: str, anchor: str = "") -> HttpResponseRedirect:
    """After a plain (no-JS) POST: back to the page the form was on, 303 so reload is harmless."""
    target = safe_next(request, fallback=fallback)
    if anchor and "#" not in target:
        target = f"{target}#{anchor}"
    response = HttpResponseRedirect(target)
    response.status_code = 303
    return response


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    """Pages that answer htmx with a fragment must not be cached as one answer."""
    patch_vary_headers(response, ["HX-Request"])
    return response
