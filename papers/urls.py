from django.urls import path

from papers import export_views, views

app_name = "papers"
urlpatterns = [
    path("<int:pk>/", views.PaperDetailView.as_view(), name="detail"),
    path("<int:pk>/vote/", views.vote, name="vote"),
    path("<int:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("<int:pk>/suggestion/retry/", views.suggestion_retry, name="suggestion-retry"),
    path("<int:pk>/suggestion/remove/", views.suggestion_withdraw, name="suggestion-withdraw"),
    path("trending/", views.HomeView.as_view(tab="trending"), name="trending"),
    path("new/", views.HomeView.as_view(tab="new"), name="new"),
    path("for-you/", views.ForYouView.as_view(), name="for-you"),
    path("daily/", views.DailyView.as_view(), name="daily"),
    path("daily/<str:day>/", views.DailyView.as_view(), name="daily-day"),
    path("tags/", views.TagIndexView.as_view(), name="tags"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("suggest/", views.SuggestView.as_view(), name="suggest"),
    path("tags/<slug:slug>/", views.TagView.as_view(), name="tag"),
    path("tags/<slug:slug>/follow/", views.tag_follow, name="tag-follow"),
    path("export.bib", export_views.papers_bibtex, name="bibtex"),
]
