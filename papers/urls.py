from django.urls import path

from papers import views

app_name = "papers"
urlpatterns = [
    path("<int:pk>/", views.PaperDetailView.as_view(), name="detail"),
    path("tags/<slug:slug>/", views.TagView.as_view(), name="tag"),
]
