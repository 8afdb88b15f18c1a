from django.urls import path

from discussions import views

app_name = "discussions"
urlpatterns = [
    path("", views.index, name="index"),
    path("email/", views.mail_toggle, name="email"),
    path("unread/", views.unread, name="unread"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("members.json", views.member_search, name="member-search"),
    path("members/<str:username>/", views.member, name="member"),
    path("<str:kind>/<int:pk>/comments/", views.comment_create, name="create"),
    path("<str:kind>/<int:pk>/comments/new/", views.thread_new, name="new"),
    path("<str:kind>/<int:pk>/subscription/", views.subscription, name="subscription"),
    path("comments/<int:pk>/reply/", views.comment_reply, name="reply"),
    path("comments/<int:pk>/edit/", views.comment_edit, name="edit"),
    path("comments/<int:pk>/delete/", views.comment_delete, name="delete"),
    path("comments/<int:pk>/report/", views.comment_report, name="report"),
    path("comments/<int:pk>/hide/", views.comment_hide, name="hide"),
    path("comments/<int:pk>/unhide/", views.comment_unhide, name="unhide"),
]
