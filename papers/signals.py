"""Signal handlers of the papers app (connected in papers.apps): tombstones for syncing apps, and
modified_at moved on papers whose tags or authors change outside the services (the admin)."""

from django.db.models import Q
from django.utils import timezone

from papers.models import Author, Paper, PaperTombstone, Tag

# What a paper in the API shows of its tags and authors (papers.api.TagBriefSerializer, AuthorSerializer).
SHOWN_FIELDS = {Tag: {"name", "slug", "kind"}, Author: {"name"}}


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

    if action == "pre_clear":
        papers_touch(Q(tags=instance) if reverse else Q(pk=instance.pk))
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    # Any tag, a category too: apps syncing with ?updated_since= and the API's cached JSON
    # (papers.api_cache) see the paper changed.
    papers_touch(Q(pk__in=pk_set) if reverse else Q(pk=instance.pk))
    pairs = [(pk, instance.pk) if reverse else (instance.pk, pk) for pk in pk_set]
    assignments_set_state(pairs=pairs, state=State.CONFIRMED if action == "post_add" else State.REMOVED)


def papers_touch(papers: Q) -> None:
    """Move the modified_at of these papers: something they show changed."""
    Paper.objects.filter(papers).update(modified_at=timezone.now())


def _showing(instance) -> Q:
    return Q(tags=instance) if isinstance(instance, Tag) else Q(authorships__author=instance)


def follow_renames(*, sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    """A tag or an author saved (renamed in the admin) changes every paper that shows it. Any save
    that may change a shown field counts: the admin's form saves them all, and a rename is rare."""
    if created or (update_fields is not None and not SHOWN_FIELDS[sender] & set(update_fields)):
        return
    papers_touch(_showing(instance))


def follow_deletions(*, sender, instance, **kwargs) -> None:
    """A tag or an author deleted leaves its papers (before the links go, in the same transaction)."""
    papers_touch(_showing(instance))
