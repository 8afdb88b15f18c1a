"""The versioned REST API: every route under /api/v1/ (included from readinggroup/urls.py).

The views live with their apps (papers/api.py, meetings/api.py, members/api.py); what
they share (auth, errors, throttles, pagination, conditional GET) is in readinggroup/rest/.
"""

from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from discussions.api import (
    CommentHiddenView,
    CommentView,
    MeetingCommentsView,
    MeetingSubscriptionView,
    PaperCommentsView,
    PaperSubscriptionView,
    UnreadView,
)
from meetings.api import MeetingViewSet
from members.api import MeDeleteView, MeExportView, MeView
from papers.api import PaperViewSet, TagViewSet
from readinggroup.rest.auth import LoginView, LogoutAllView, LogoutView
from readinggroup.rest.errors import not_found


class Router(DefaultRouter):
    include_root_view = True
    include_format_suffixes = False


router = Router(trailing_slash=True)
router.register("papers", PaperViewSet, basename="paper")
router.register("tags", TagViewSet, basename="tag")
router.register("meetings", MeetingViewSet, basename="meeting")

# Swagger UI and ReDoc set styles inline; scripts still come from this site only.
docs_csp = csp_update({"style-src": ["'unsafe-inline'"]})

app_name = "api"
urlpatterns = [
    path("auth/login/", LoginView.as_view(), name="login"),
    path("auth/logout/", LogoutView.as_view(), name="logout"),
    path("auth/logoutall/", LogoutAllView.as_view(), name="logoutall"),
    path("me/", MeView.as_view(), name="me"),
    path("me/export/", MeExportView.as_view(), name="me-export"),
    path("me/delete/", MeDeleteView.as_view(), name="me-delete"),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path(
        "docs/",
        docs_csp(SpectacularSwaggerSplitView.as_view(url_name="api:schema", permission_classes=[AllowAny])),
        name="docs",
    ),
    path(
        "redoc/",
        docs_csp(SpectacularRedocView.as_view(url_name="api:schema", permission_classes=[AllowAny])),
        name="redoc",
    ),
    path("papers/<int:id>/comments/", PaperCommentsView.as_view(), name="paper-comments"),
    path("meetings/<int:id>/comments/", MeetingCommentsView.as_view(), name="meeting-comments"),
    path("papers/<int:id>/subscription/", PaperSubscriptionView.as_view(), name="paper-subscription"),
    path("meetings/<int:id>/subscription/", MeetingSubscriptionView.as_view(), name="meeting-subscription"),
    path("comments/<int:id>/", CommentView.as_view(), name="comment-detail"),
    path("comments/<int:id>/hidden/", CommentHiddenView.as_view(), name="comment-hidden"),
    path("discussions/unread/", UnreadView.as_view(), name="discussions-unread"),
    path("", include(router.urls)),
    # [\s\S], not ".": an unknown path with a line break in it is still answered in JSON.
    re_path(r"^[\s\S]*$", not_found),
]
