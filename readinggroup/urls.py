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
    path("discussions/", include("discussions.urls")),
]
