from django.contrib import admin
from django.urls import include, path, reverse_lazy

from members.auth_views import PasswordChangeView
from papers.views import HomeView
from readinggroup.health import healthz
from readinggroup.metrics import metrics

admin.site.site_header = "readinggroup administration"
admin.site.site_title = "readinggroup admin"

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    # The admin's own password page with the site's form, which also ends the API tokens.
    path(
        "admin/password_change/",
        admin.site.admin_view(
            PasswordChangeView.as_view(success_url=reverse_lazy("admin:password_change_done"))
        ),
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("readinggroup.api_urls")),
    path("accounts/", include("members.auth_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("papers/", include("papers.urls")),
    path("meetings/", include("meetings.urls")),
    path("feeds/", include("readinggroup.feeds_urls")),
    path("members/", include("members.urls")),
    path("discussions/", include("discussions.urls")),
]

# Under /api/ these answer in the API's error format; elsewhere they are Django's own pages.
handler400 = "readinggroup.rest.errors.bad_request"
handler403 = "readinggroup.rest.errors.permission_denied"
handler404 = "readinggroup.rest.errors.page_not_found"
handler500 = "readinggroup.rest.errors.server_error"
