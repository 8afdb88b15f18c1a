"""The Atom feed of a paper's thread: only while the site is public (a private site's comments
stay behind the log-in, and feed readers do not log in)."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed

from discussions import selectors
from discussions.models import Comment
from discussions.text import render_body
from papers.models import Paper

FEED_SIZE = 50


class PaperThreadFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, pk: int) -> Paper:
        if not settings.SITE_PUBLIC:
            raise Http404("Comment feeds exist on public sites only.")
        return get_object_or_404(Paper.objects.listed(), pk=pk)

    def title(self, paper: Paper) -> str:
        return f"{settings.SITE_NAME}: comments on “{paper.title}”"

    def link(self, paper: Paper) -> str:
        return f"{settings.SITE_URL}{paper.get_absolute_url()}#discussion"

    def subtitle(self, paper: Paper) -> str:
        return "The newest comments first."

    def items(self, paper: Paper) -> list[Comment]:
        comments = Comment.objects.visible().filter(paper=paper).order_by("-created_at", "-id")
        return list(comments.select_related("author").prefetch_related("mentions__user")[:FEED_SIZE])

    def item_title(self, comment: Comment) -> str:
        name = comment.author.public_name if comment.author else "A former member"
        return f"{name}{' (reply)' if comment.parent_id else ''}"

    def item_description(self, comment: Comment) -> str:
        # Feed readers show this as HTML: the same sanitised HTML as the page.
        urls = {
            m.user.username.lower(): selectors.member_url(m.user.username) for m in comment.mentions.all()
        }
        return str(render_body(comment.body, urls))

    def item_link(self, comment: Comment) -> str:
        return f"{settings.SITE_URL}{comment.get_absolute_url()}"

    def item_author_name(self, comment: Comment) -> str:
        return comment.author.public_name if comment.author else "A former member"

    def item_pubdate(self, comment: Comment):
        return comment.created_at

    def item_updateddate(self, comment: Comment):
        return comment.edited_at or comment.created_at
