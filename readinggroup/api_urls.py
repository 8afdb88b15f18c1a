"""The versioned REST API: every route under /api/v1/ (included from readinggroup/urls.py).

The views live with their apps (papers/api.py, meetings/api.py, members/api.py); what
they share (auth, errors, throttles, pagination, conditional GET) is in readinggroup/rest/.
"""

from csp.decorators import csp_update
from django.urls import include, path, re_path
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
from members.api import MeDeleteView, MeExportView, MeView, MyTokensView, MyTokenView
from members.auth_api import LoginView, LogoutAllView, LogoutView
from papers.api import PaperViewSet, TagViewSet
from readinggroup.rest.docs import RedocView, SchemaView, SwaggerView
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
# ReDoc also runs its search in a worker it builds from a blob: URL; only its page allows that.
# (Its fonts came from Google: templates/drf_spectacular/redoc.html leaves them out.)
redoc_csp = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})

app_name = "api"
urlpatterns = [
    path("auth/login/", LoginView.as_view(), name="login"),
    path("auth/logout/", LogoutView.as_view(), name="logout"),
    path("auth/logoutall/", LogoutAllView.as_view(), name="logoutall"),
    path("me/", MeView.as_view(), name="me"),
    path("me/export/", MeExportView.as_view(), name="me-export"),
    path("me/delete/", MeDeleteView.as_view(), name="me-delete"),
    path("me/tokens/", MyTokensView.as_view(), name="me-tokens"),
    path("me/tokens/<str:token_key>/", MyTokenView.as_view(), name="me-token"),
    path("schema/", SchemaView.as_view(permission_classes=[AllowAny]), name="schema"),
    path(
        "docs/",
        docs_csp(SwaggerView.as_view(url_name="api:schema", permission_classes=[AllowAny])),
        name="docs",
    ),
    path(
        "redoc/",
        redoc_csp(RedocView.as_view(url_name="api:schema", permission_classes=[AllowAny])),
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
