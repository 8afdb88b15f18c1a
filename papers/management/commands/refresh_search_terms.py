import time

from django.core.management.base import BaseCommand
from django.db import connection

from papers.search import term_stats


class Command(BaseCommand):
    help = (
        "Recount how many papers use each word, the document frequencies PostgreSQL's search "
        "ranks by (beat runs it hourly; nothing to do on SQLite)."
    )

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("SQLite keeps its own word statistics: nothing to do.")
            return
        started = time.monotonic()
        term_stats.refresh()
        seconds = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Word statistics refreshed in {seconds:.1f}s."))
