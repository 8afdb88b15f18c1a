import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from papers.models import Paper
from papers.search import text_index, text_indexing


class Command(BaseCommand):
    help = (
        "Build this host's BM25 text index of the papers (SEARCH_INDEX_PATH) from the database and "
        "swap it in; the workers keep it current afterwards. --update only indexes the papers "
        "changed since the index was last brought up to date (for hosts without a worker)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--update",
            action="store_true",
            help="Index only the papers changed since the last build or update (as the workers do).",
        )

    def handle(self, *args, update: bool, **options) -> None:
        if update:
            self._update()
            return
        total = Paper.objects.count()
        with tqdm(total=total, desc="Indexing", unit="paper", file=sys.stderr, disable=None) as bar:
            written, caught_up = text_indexing.build(progress=bar.update)
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {written} paper(s) in {text_index.current_generation()} "
                f"({caught_up} changed since shortly before the build began, indexed again)."
            )
        )

    def _update(self) -> None:
        written = text_indexing.update()
        if written is None:
            self.stderr.write(f"No search index at {text_index.root()}: run build_search_index first.")
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(f"Indexed {written} changed paper(s)."))
