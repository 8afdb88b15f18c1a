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


def follow_tag_edits(*, sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """A topic put on or taken off a paper through Paper.tags (the paper's admin form) is an
    organiser's decision: confirmed, or removed and never assigned again (papers.topics).
    The services write the links in bulk and record the decision themselves."""
    from papers.topics import State, assignments_set_state

    if action not in ("post_add", "post_remove") or not pk_set:
        return
    pairs = [(pk, instance.pk) if reverse else (instance.pk, pk) for pk in pk_set]
    assignments_set_state(pairs=pairs, state=State.CONFIRMED if action == "post_add" else State.REMOVED)
