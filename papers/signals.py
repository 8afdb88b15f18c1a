"""Signal handlers of the papers app (connected in papers.apps): tombstones for syncing apps."""

from papers.models import Paper, PaperTombstone


def record_tombstone(*, sender, instance: Paper, **kwargs) -> None:
    """Remember a deleted paper's id (see PaperTombstone for why a signal)."""
    PaperTombstone.objects.create(paper_id=instance.pk, reason=PaperTombstone.Reason.DELETED)


def follow_visibility(*, sender, instance: Paper, created: bool, **kwargs) -> None:
    """A paper saved hidden (the admin's change form) gets a tombstone; saved visible, loses it."""
    hidden = instance.status == Paper.Status.HIDDEN
    if created and not hidden:
        return  # a new paper has no tombstone to remove
    papers_visibility_changed(paper_ids=[instance.pk], hidden=hidden)


def papers_visibility_changed(*, paper_ids: list[int], hidden: bool) -> None:
    """Write or remove the "hidden" tombstones of these papers (saves and paper_set_status)."""
    tombstones = PaperTombstone.objects.filter(paper_id__in=paper_ids, reason=PaperTombstone.Reason.HIDDEN)
    if not hidden:
        tombstones.delete()
        return
    have = set(tombstones.values_list("paper_id", flat=True))
    PaperTombstone.objects.bulk_create(
        PaperTombstone(paper_id=paper_id, reason=PaperTombstone.Reason.HIDDEN)
        for paper_id in paper_ids
        if paper_id not in have
    )
