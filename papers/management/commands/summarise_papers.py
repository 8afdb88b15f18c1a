import sys
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from papers.models import Paper
from papers.services import paper_summarise
from papers.summaries import BACKENDS, UnknownBackendError, get_backend


class Command(BaseCommand):
    help = "Write TL;DRs and keywords in this process: for papers without one (default) or for all papers."

    def add_arguments(self, parser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument("--missing", action="store_true", help="Papers without a TL;DR (the default).")
        which.add_argument(
            "--all", action="store_true", dest="all_papers", help="Every paper, replacing existing TL;DRs."
        )
        parser.add_argument(
            "--backend", metavar="NAME", help=f"One of {', '.join(BACKENDS)}; default SUMMARY_BACKEND."
        )

    def handle(self, *args, all_papers: bool, backend: str | None, **options) -> None:
        try:
            chosen = get_backend(backend)
        except UnknownBackendError as error:
            raise CommandError(str(error)) from error
        papers = Paper.objects.all() if all_papers else Paper.objects.filter(summary="")
        ids = list(papers.order_by("pk").values_list("pk", flat=True))
        written: Counter[str] = Counter()
        for paper_id in tqdm(ids, desc="Summarising", unit="paper", file=sys.stderr, disable=None):
            summary = paper_summarise(paper_id=paper_id, backend=chosen)
            if summary is not None:
                written[summary.backend] += 1
        by_backend = ", ".join(f"{count} by {name}" for name, count in sorted(written.items())) or "none"
        self.stdout.write(
            self.style.SUCCESS(f"Summarised {sum(written.values())} of {len(ids)} paper(s): {by_backend}.")
        )
