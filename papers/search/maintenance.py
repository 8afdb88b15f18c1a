"""What the workers keep up to date for search, run in this process (benchmarks, backfills)."""

from django.core.management import call_command


def refresh_all(*, progress: bool = False) -> None:
    """The lexical indexes follow every write by themselves (triggers); embeddings are backfilled."""
    call_command("embed_papers", "--missing", verbosity=1 if progress else 0)
