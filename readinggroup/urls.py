from django.contrib import admin
from django.urls import include, path

from papers.views import HomeView
from readinggroup.health import healthz

admin.site.site_header = "readinggroup administration"
admin.site.site_title = "readinggroup admin"

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("readinggroup.api")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("papers/", include("papers.urls")),
    path("meetings/", include("meetings.urls")),
    path("feeds/", include("readinggroup.feeds_urls")),
    path("members/", include("members.urls")),
]

# Under /api/ these answer in the API's error format; elsewhere they are Django's own pages.
handler400 = "readinggroup.rest.errors.bad_request"
handler403 = "readinggroup.rest.errors.permission_denied"
handler404 = "readinggroup.rest.errors.page_not_found"
handler500 = "readinggroup.rest.errors.server_error"
