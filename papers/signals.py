"""Signal handlers of the papers app (connected in papers.apps)."""

from papers.models import Paper, PaperTombstone


def record_tombstone(*, sender, instance: Paper, **kwargs) -> None:
    """Remember a deleted paper's id for syncing apps (see PaperTombstone for why a signal)."""
    PaperTombstone.objects.create(paper_id=instance.pk)
