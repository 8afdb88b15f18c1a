from django.urls import path

from members import account_views, views

app_name = "members"
urlpatterns = [
    path("me/", views.profile, name="profile"),
    path("me/calendar/", views.calendar_regenerate, name="calendar-regenerate"),
    path("me/tokens/", views.token_create, name="token-create"),
    path("me/tokens/<str:key>/revoke/", views.token_revoke, name="token-revoke"),
    path("me/export.json", account_views.export, name="export"),
    path("me/delete/", account_views.delete, name="delete"),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation-revoke"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="invitation-resend"),
    path("join/<str:token>/", views.join, name="join"),
]
