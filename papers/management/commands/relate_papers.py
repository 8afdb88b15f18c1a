import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from papers.management.commands.build_vector_index import embedded_papers, read_vectors
from papers.models import Paper
from papers.related import neighbours, store
from papers.search import vector_index

CHUNK = 1000  # papers searched together and written in one transaction


class Command(BaseCommand):
    help = "Recompute every embedded paper's related papers (its nearest listed papers), in this process."

    def handle(self, *args, **options) -> None:
        if not vector_index.available():
            self.stderr.write(
                "No nearest-neighbour index on this host: searching exactly (fine for a small site; "
                "run build_vector_index first for a large one)."
            )
        listed = set(Paper.objects.listed().values_list("pk", flat=True).iterator(chunk_size=10_000))
        total = Paper.objects.filter(embedding__isnull=False).count()
        written = papers = 0
        rows = embedded_papers()
        with tqdm(total=total, desc="Relating", unit="paper", file=sys.stderr, disable=None) as bar:
            while chunk := [row for _, row in zip(range(CHUNK), rows, strict=False)]:
                ids, vectors = read_vectors(chunk, len(chunk))
                found = neighbours(ids.tolist(), vectors, listed=lambda candidates: candidates & listed)
                written += store(found)
                papers += len(found)
                bar.update(len(chunk))
        self.stdout.write(self.style.SUCCESS(f"Stored {written} related paper(s) for {papers} paper(s)."))
