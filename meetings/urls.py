from django.urls import path

from meetings import export_views, organiser_views, unsubscribe_views, views

app_name = "meetings"
urlpatterns = [
    path("", views.MeetingListView.as_view(), name="list"),
    path("<int:pk>/", views.MeetingDetailView.as_view(), name="detail"),
    path("<int:pk>/rsvp/", views.rsvp, name="rsvp"),
    path("<int:pk>/agenda/<int:item_pk>/offer/", views.presenter_offer, name="offer"),
    path("<int:pk>/agenda/<int:item_pk>/withdraw/", views.presenter_withdraw, name="withdraw"),
    # Issue 6: calendars, BibTeX, unsubscribe links and the organisers' scheduling pages.
    path("calendar.ics", export_views.public_calendar, name="calendar"),
    path("calendar/<str:token>.ics", export_views.member_calendar, name="member-calendar"),
    path("<int:pk>/papers.bib", export_views.meeting_bibtex, name="bibtex"),
    path("<int:pk>/papers.csv", export_views.meeting_csv, name="csv"),
    path("unsubscribe/<str:token>/", unsubscribe_views.unsubscribe, name="unsubscribe"),
    path("organise/", organiser_views.organiser_home, name="organise-home"),
    path("organise/new/", organiser_views.meeting_create, name="organise-create"),
    path("organise/<int:pk>/", organiser_views.schedule, name="organise"),
    path("organise/<int:pk>/fill/", organiser_views.fill_agenda, name="organise-fill"),
    path("organise/<int:pk>/done/", organiser_views.mark_done, name="organise-done"),
    path("organise/<int:pk>/cancel/", organiser_views.cancel, name="organise-cancel"),
    path("organise/items/<int:pk>/move/", organiser_views.move_item, name="organise-move"),
    path("organise/items/<int:pk>/presenter/", organiser_views.assign_presenter, name="organise-presenter"),
    path("organise/items/<int:pk>/remove/", organiser_views.remove_item, name="organise-remove"),
]
