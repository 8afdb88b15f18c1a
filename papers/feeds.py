"""RSS and Atom feeds of papers: newly listed ones, the vote queue and each tag (django syndication)."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from papers.models import Paper, Tag
from papers.selectors import paper_queue, with_list_relations

FEED_SIZE = 50


class MembersOnlyUnlessPublic(Feed):
    """Feeds follow SITE_PUBLIC like the pages: off, and visitors must log in first."""

    def __call__(self, request, *args, **kwargs):
        if not settings.SITE_PUBLIC and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().__call__(request, *args, **kwargs)


class PaperFeed(MembersOnlyUnlessPublic):
    def item_title(self, paper: Paper) -> str:
        return paper.title

    def item_description(self, paper: Paper) -> str:
        # Feed readers render a description as HTML: the text is escaped for that, once more
        # than the feed's own XML escaping (found by readinggroup/tests/test_xss.py).
        return escape(paper.summary or paper.abstract)

    def item_link(self, paper: Paper) -> str:
        return f"{settings.SITE_URL}{paper.get_absolute_url()}"

    def item_guid(self, paper: Paper) -> str:
        return self.item_link(paper)

    item_guid_is_permalink = True

    def item_author_name(self, paper: Paper) -> str:
        return ", ".join(link.author.name for link in paper.authorships.all())

    def item_categories(self, paper: Paper) -> list[str]:
        return [tag.name for tag in paper.tags.all()]

    def item_pubdate(self, paper: Paper):
        return paper.created_at

    def item_updateddate(self, paper: Paper):
        return paper.modified_at


class NewPapersFeed(PaperFeed):
    description = "Papers newly listed for the group, newest first."

    def title(self) -> str:
        return f"{settings.SITE_NAME}: new papers"

    def link(self) -> str:
        return f"{settings.SITE_URL}{reverse('papers:new')}"

    def items(self) -> QuerySet:
        papers = Paper.objects.listed().order_by("-created_at", "-id")
        return with_list_relations(papers)[:FEED_SIZE]


class NewPapersAtomFeed(NewPapersFeed):
    feed_type = Atom1Feed
    subtitle = NewPapersFeed.description


class QueueFeed(PaperFeed):
    description = "What the group wants to discuss next: undiscussed papers by votes."

    def title(self) -> str:
        return f"{settings.SITE_NAME}: vote queue"

    def link(self) -> str:
        return f"{settings.SITE_URL}{reverse('home')}"

    def items(self) -> list[Paper]:
        papers = list(paper_queue()[:FEED_SIZE])
        for position, paper in enumerate(papers, start=1):
            paper.queue_position = position
        return papers

    def item_title(self, paper: Paper) -> str:
        votes = f"{paper.vote_count} vote{'s' if paper.vote_count != 1 else ''}"
        return f"#{paper.queue_position} {paper.title} ({votes})"


class QueueAtomFeed(QueueFeed):
    feed_type = Atom1Feed
    subtitle = QueueFeed.description


class TagFeed(PaperFeed):
    """A tag's (a topic's) listed papers, newest first: what the workers or organisers added."""

    def get_object(self, request, slug: str) -> Tag:
        return get_object_or_404(Tag, slug=slug)

    def title(self, tag: Tag) -> str:
        return f"{settings.SITE_NAME}: {tag.name}"

    def description(self, tag: Tag) -> str:
        return tag.description or f"Papers tagged {tag.name}, newest first."

    def link(self, tag: Tag) -> str:
        return f"{settings.SITE_URL}{tag.get_absolute_url()}"

    def items(self, tag: Tag) -> QuerySet:
        papers = Paper.objects.listed().filter(tags=tag).order_by("-created_at", "-id")
        return with_list_relations(papers)[:FEED_SIZE]


class TagAtomFeed(TagFeed):
    feed_type = Atom1Feed

    def subtitle(self, tag: Tag) -> str:
        return self.description(tag)
