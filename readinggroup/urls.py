from django.contrib import admin
from django.urls import include, path

from papers.views import HomeView
from readinggroup.health import healthz
from readinggroup.metrics import metrics

admin.site.site_header = "readinggroup administration"
admin.site.site_title = "readinggroup admin"

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("readinggroup.api")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("papers/", include("papers.urls")),
    path("meetings/", include("meetings.urls")),
    path("feeds/", include("readinggroup.feeds_urls")),
    path("members/", include("members.urls")),
]
