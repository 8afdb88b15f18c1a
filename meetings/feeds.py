"""RSS and Atom feeds of discussion sessions (django syndication)."""

from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from meetings.models import Meeting
from meetings.selectors import with_agenda
from papers.feeds import MembersOnlyUnlessPublic

FEED_SIZE = 30


class MeetingsFeed(MembersOnlyUnlessPublic):
    description = "Discussion sessions: coming ones and the latest past ones, with their agenda."

    def title(self) -> str:
        return f"{settings.SITE_NAME}: sessions"

    def link(self) -> str:
        return f"{settings.SITE_URL}{reverse('meetings:list')}"

    def items(self) -> QuerySet:
        return with_agenda(Meeting.objects.order_by("-starts_at", "-id"))[:FEED_SIZE]

    def item_title(self, meeting: Meeting) -> str:
        prefix = "Cancelled: " if meeting.status == Meeting.Status.CANCELLED else ""
        return f"{prefix}{meeting}"

    def item_description(self, meeting: Meeting) -> str:
        # The notes and the video link are for members: they stay out of public feeds.
        return render_to_string("meetings/feed_item.html", {"meeting": meeting})

    def item_link(self, meeting: Meeting) -> str:
        return f"{settings.SITE_URL}{meeting.get_absolute_url()}"

    def item_guid(self, meeting: Meeting) -> str:
        return self.item_link(meeting)

    item_guid_is_permalink = True

    def item_pubdate(self, meeting: Meeting):
        return meeting.created_at

    def item_updateddate(self, meeting: Meeting):
        return meeting.updated_at


class MeetingsAtomFeed(MeetingsFeed):
    feed_type = Atom1Feed
    subtitle = MeetingsFeed.description
