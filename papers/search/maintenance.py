"""What the workers keep up to date for search, run in this process (benchmarks, backfills)."""

from django.core.management import call_command

from papers.search import term_stats


def refresh_all(*, progress: bool = False) -> None:
    """The lexical indexes follow every write by themselves (triggers); PostgreSQL's word
    statistics are refreshed and embeddings backfilled, as the periodic and outbox tasks do."""
    term_stats.refresh()
    call_command("embed_papers", "--missing", verbosity=1 if progress else 0)
