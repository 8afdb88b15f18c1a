"""RSS and Atom feeds, under /feeds/."""

from django.urls import path

from discussions.feeds import PaperThreadFeed
from meetings.feeds import MeetingsAtomFeed, MeetingsFeed
from papers.feeds import NewPapersAtomFeed, NewPapersFeed, QueueAtomFeed, QueueFeed, TagAtomFeed, TagFeed

app_name = "feeds"
urlpatterns = [
    path("papers/new.rss", NewPapersFeed(), name="papers-new-rss"),
    path("papers/new.atom", NewPapersAtomFeed(), name="papers-new-atom"),
    path("papers/queue.rss", QueueFeed(), name="queue-rss"),
    path("papers/queue.atom", QueueAtomFeed(), name="queue-atom"),
    path("tags/<slug:slug>.rss", TagFeed(), name="tag-rss"),
    path("tags/<slug:slug>.atom", TagAtomFeed(), name="tag-atom"),
    path("meetings.rss", MeetingsFeed(), name="meetings-rss"),
    path("meetings.atom", MeetingsAtomFeed(), name="meetings-atom"),
    path("papers/<int:pk>/comments.atom", PaperThreadFeed(), name="paper-comments-atom"),
]
