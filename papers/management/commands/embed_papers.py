import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from papers.models import Paper
from papers.search.embeddings import BATCH
from papers.services import paper_embed


class Command(BaseCommand):
    help = "Compute search embeddings in this process: for papers without one (default) or for all papers."

    def add_arguments(self, parser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--missing", action="store_true", help="Papers without an embedding (the default)."
        )
        which.add_argument(
            "--all",
            action="store_true",
            dest="all_papers",
            help="Every paper, replacing existing embeddings.",
        )

    def handle(self, *args, all_papers: bool, **options) -> None:
        papers = Paper.objects.all() if all_papers else Paper.objects.filter(embedding__isnull=True)
        ids = list(papers.order_by("pk").values_list("pk", flat=True))
        written = 0
        with tqdm(total=len(ids), desc="Embedding", unit="paper", file=sys.stderr, disable=None) as bar:
            for start in range(0, len(ids), BATCH):
                batch = ids[start : start + BATCH]
                written += paper_embed(paper_ids=batch)
                bar.update(len(batch))
        self.stdout.write(self.style.SUCCESS(f"Embedded {written} of {len(ids)} paper(s)."))
