import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from papers.models import Paper
from papers.topics import papers_assign_topics_all, topics_refresh_all


class Command(BaseCommand):
    help = (
        "Recompute every topic's vector, then assign every embedded paper to the topics it is close "
        "to (TOPIC_THRESHOLD). Confirmed and removed assignments stay as the organisers left them."
    )

    def handle(self, *args, **options) -> None:
        topics = topics_refresh_all()
        if not topics:
            raise CommandError("No topic to assign: give a topic a description in the admin first.")
        total = Paper.objects.filter(embedding__isnull=False).count()
        with tqdm(total=total, desc="Assigning", unit="paper", file=sys.stderr, disable=None) as bar:
            made = papers_assign_topics_all(progress=bar.update)
        message = f"{made} new assignment(s) over {total} embedded paper(s) and {topics} topic(s)."
        if total == 0:
            message += " No paper is embedded yet: run embed_papers first."
        self.stdout.write(self.style.SUCCESS(message))
