from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MinValueValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from papers import normalise
from papers.trending import trending_score

# Columns that ordinary saves never write: the counters move only through the vote and
# comment services' SQL, PostgreSQL's trigger owns the search vector, and the embedding task the
# embedding.
DB_MANAGED_FIELDS = frozenset(
    {"id", "vote_count", "trending_score", "search_vector", "comment_count", "embedding"}
)
http_url = URLValidator(schemes=["http", "https"], message="Enter an http:// or https:// URL.")


class Author(models.Model):
    name = models.CharField(max_length=255, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def tag_slug(name: str) -> str:
    """Slug for a tag name; dots become dashes so "cs.LG" reads "cs-lg"."""
    return slugify(name.replace(".", "-"))[:100]


class Tag(models.Model):
    class Kind(models.TextChoices):
        TOPIC = "topic", "Topic"
        CATEGORY = "category", "arXiv category"

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TOPIC)
    # Database defaults too: ingestion inserts category tags by naming their columns (papers.ingest).
    description = models.TextField(
        blank=True,
        default="",
        db_default="",
        help_text="For a topic: a sentence or two saying what belongs in it. The workers assign "
        "new papers whose abstracts are close to it (and to the seed papers).",
    )
    seed_papers = models.ManyToManyField(
        "Paper",
        blank=True,
        related_name="seeded_topics",
        help_text="Optional: papers that typify the topic; their abstracts sharpen the matching.",
    )
    # papers.topic_match: the topic's direction from the collection's centre, and that centre
    # (EMBEDDING_DIMENSIONS float32s each), written by papers.topics when the topic is saved.
    vector = models.BinaryField(null=True, editable=False)
    centre = models.BinaryField(null=True, editable=False)
    centre_size = models.PositiveIntegerField(
        default=0, db_default=0, editable=False, help_text="Papers the centre is the mean of."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["topic", "category"]), name="papers_tag_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("papers:tag", args=[self.slug])


class TopicAssignment(models.Model):
    """A topic the workers gave a paper, and what the organisers made of it.

    The paper carries the topic in Paper.tags while the assignment is suggested or confirmed;
    a removed one takes the tag away but stays here, so the workers never assign it again.
    """

    class State(models.TextChoices):
        SUGGESTED = "suggested", "Suggested"
        CONFIRMED = "confirmed", "Confirmed"
        REMOVED = "removed", "Removed"

    paper = models.ForeignKey("Paper", on_delete=models.CASCADE, related_name="topic_assignments")
    topic = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="assignments")
    state = models.CharField(max_length=16, choices=State.choices, default=State.SUGGESTED)
    score = models.FloatField(null=True, blank=True, help_text="Similarity when assigned; empty by hand.")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "topic"], name="papers_assignment_once"),
            models.CheckConstraint(
                condition=Q(state__in=["suggested", "confirmed", "removed"]),
                name="papers_assignment_state_valid",
            ),
        ]
        indexes = [models.Index(fields=["topic", "state"], name="papers_assignment_topic_state")]

    def __str__(self) -> str:
        return f"{self.topic} ← paper {self.paper_id} ({self.state})"


class TopicFollow(models.Model):
    """A member follows a topic: its new papers come first in the weekly digest."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="topic_follows"
    )
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "tag"], name="papers_topic_follow_once")]

    def __str__(self) -> str:
        return f"{self.member} follows {self.tag}"


class Source(models.Model):
    class Kind(models.TextChoices):
        ARXIV = "arxiv", "arXiv API query"
        ARXIV_RSS = "arxiv-rss", "arXiv listing feed (RSS)"
        HF_DAILY = "hf-daily", "Hugging Face daily papers"
        FEED = "feed", "RSS or Atom feed"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    url = models.URLField(
        max_length=1000, validators=[http_url], help_text="The full endpoint URL, query included."
    )
    enabled = models.BooleanField(default=True)
    interval = models.PositiveIntegerField(
        default=360, validators=[MinValueValidator(1)], help_text="Minutes between fetches."
    )
    auto_list = models.BooleanField(
        default=True, help_text="List new papers at once; otherwise they wait for an organiser."
    )
    fetch_limit = models.PositiveIntegerField(
        default=200, validators=[MinValueValidator(1)], help_text="Most papers taken per fetch."
    )
    etag = models.CharField(max_length=255, blank=True, editable=False)
    last_modified = models.CharField(max_length=64, blank=True, editable=False)
    last_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["arxiv", "arxiv-rss", "hf-daily", "feed"]),
                name="papers_source_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(url__startswith="http://") | Q(url__startswith="https://"),
                name="papers_source_url_http",
            ),
            models.CheckConstraint(condition=Q(interval__gte=1), name="papers_source_interval_min"),
        ]

    def __str__(self) -> str:
        return self.name

    def is_due(self, now=None) -> bool:
        if not self.enabled:
            return False
        if self.last_fetched_at is None:
            return True
        now = now or timezone.now()
        return (now - self.last_fetched_at).total_seconds() >= self.interval * 60


class FetchRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        # Stopped before the source's end (arXiv kept answering empty pages); what came is stored.
        PARTIAL = "partial", "Partial"
        FAILED = "failed", "Failed"

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    new_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["source", "-started_at"], name="papers_run_source_started")]

    def __str__(self) -> str:
        return f"{self.source} at {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class PaperQuerySet(models.QuerySet):
    def listed(self) -> "PaperQuerySet":
        # A suggestion whose details never came is a placeholder ("arXiv:2401.04088", no date):
        # it stays out of every list even if it was listed by hand.
        return self.filter(status=Paper.Status.LISTED, metadata_pending=False)

    def metadata_failed(self) -> "PaperQuerySet":
        return self.filter(metadata_pending=True).exclude(metadata_error="")

    def undiscussed(self) -> "PaperQuerySet":
        return self.filter(discussed_at__isnull=True)


class PaperManager(models.Manager.from_queryset(PaperQuerySet)):
    def get_queryset(self) -> PaperQuerySet:
        # PostgreSQL's trigger writes the search vector and only SQL reads it; writing it out
        # for each paper loaded cost PostgreSQL about as much as the rest of a list page's query.
        # The embedding (1 KiB) is read only by papers.search.semantic, which asks for it.
        return super().get_queryset().defer("search_vector", "embedding")


class Paper(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        LISTED = "listed", "Listed"
        HIDDEN = "hidden", "Hidden"

    # Normalised: no "vN" suffix; old-style ids keep their archive (hep-th/9901001).
    arxiv_id = models.CharField("arXiv id", max_length=64, blank=True)
    arxiv_version = models.PositiveSmallIntegerField("arXiv version", null=True, blank=True)
    doi = models.CharField("DOI", max_length=255, blank=True)
    title = models.CharField(max_length=1000)
    # Lower-case words of the title, for matching the same paper without ids.
    title_key = models.CharField(max_length=255, db_index=True, editable=False)
    abstract = models.TextField(blank=True)
    summary = models.TextField("TL;DR", blank=True)
    summary_backend = models.CharField(max_length=32, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True, help_text="arXiv categories, primary first.")
    # Unknown until the details are fetched: a suggested paper is not "published today".
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True, help_text="Upstream update time.")
    url = models.URLField(max_length=500, blank=True, validators=[http_url])
    pdf_url = models.URLField("PDF URL", max_length=500, blank=True, validators=[http_url])
    code_url = models.URLField("code URL", max_length=500, blank=True, validators=[http_url])
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    vote_count = models.PositiveIntegerField(default=0, editable=False)
    # Visible comments (not deleted, not hidden), replies included; see discussions.services.
    comment_count = models.PositiveIntegerField(default=0, editable=False)
    # log2(1 + votes) + time term: ordering by it is "votes with time decay" and
    # it never needs recomputing as time passes (see papers.trending).
    trending_score = models.FloatField(default=0.0, editable=False)
    external_votes = models.PositiveIntegerField(
        default=0, help_text="Upvotes on Hugging Face, an outside signal."
    )
    discussed_at = models.DateTimeField(null=True, blank=True, editable=False)
    metadata_pending = models.BooleanField(
        "waiting for details",
        default=False,
        help_text="A suggested paper whose title, authors and date are not fetched yet; "
        "it cannot be listed. Untick it after filling in the details by hand.",
    )
    metadata_error = models.TextField(blank=True, editable=False)
    metadata_failed_at = models.DateTimeField(null=True, blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submitted_papers",
    )
    source = models.ForeignKey(
        Source, on_delete=models.SET_NULL, null=True, blank=True, related_name="papers"
    )
    authors = models.ManyToManyField(Author, through="PaperAuthor", related_name="papers")
    tags = models.ManyToManyField(Tag, blank=True, related_name="papers")
    search_vector = SearchVectorField(null=True, editable=False)
    # Title + abstract as EMBEDDING_DIMENSIONS float32s (papers.search.embeddings): raw bytes are
    # a quarter of a JSON list's size and load into numpy without parsing. Written only by
    # paper_embed (an UPDATE), so a save of a copy read earlier never writes back an old one.
    embedding = models.BinaryField(null=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    modified_at = models.DateTimeField(auto_now=True)

    objects = PaperManager()

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["arxiv_id"], condition=~Q(arxiv_id=""), name="papers_paper_arxiv_id_unique"
            ),
            models.UniqueConstraint(fields=["doi"], condition=~Q(doi=""), name="papers_paper_doi_unique"),
            models.CheckConstraint(condition=Q(doi=Lower("doi")), name="papers_paper_doi_lowercase"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "listed", "hidden"]),
                name="papers_paper_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["-vote_count", "-trending_score", "-id"],
                condition=Q(status="listed", discussed_at__isnull=True),
                name="papers_paper_queue",
            ),
            models.Index(fields=["status", "-trending_score", "-id"], name="papers_paper_trending"),
            models.Index(fields=["status", "-published_at", "-id"], name="papers_paper_newest"),
            models.Index(fields=["status", "-vote_count", "-id"], name="papers_paper_votes"),
            # The API's ?updated_since= pages through changes in this order.
            models.Index(fields=["modified_at", "id"], name="papers_paper_modified"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, update_fields=None, **kwargs) -> None:
        self.title_key = normalise.title_key(self.title)
        if self._state.adding:
            self.trending_score = trending_score(vote_count=self.vote_count, created_at=self.created_at)
        elif update_fields is None:
            # Saving a copy read earlier must never write back a stale count.
            update_fields = [f.name for f in self._meta.concrete_fields if f.name not in DB_MANAGED_FIELDS]
        super().save(*args, update_fields=update_fields, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("papers:detail", args=[self.pk])

    @property
    def arxiv_versioned_id(self) -> str:
        if not self.arxiv_id:
            return ""
        return f"{self.arxiv_id}v{self.arxiv_version}" if self.arxiv_version else self.arxiv_id


class PaperAuthor(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="authorships")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="authorships")
    position = models.PositiveSmallIntegerField()
    affiliation = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["paper", "position"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "position"], name="papers_author_position_unique"),
            models.UniqueConstraint(fields=["paper", "author"], name="papers_author_once_per_paper"),
        ]

    def __str__(self) -> str:
        return f"{self.author} ({self.position + 1})"


class MemberMark(models.Model):
    """A member's mark on a paper, at most one of a kind per member and paper."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="%(class)ss")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="%(class)ss")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "paper"], name="%(app_label)s_%(class)s_once_per_member"),
        ]


class Vote(MemberMark):
    """A member wants the paper discussed (the queue's order)."""

    def __str__(self) -> str:
        return f"{self.user} → {self.paper}"


class Dismissal(MemberMark):
    """A member said "not interested" to a paper: it leaves their "for you" list for good and
    counts against papers like it (papers.discovery)."""

    def __str__(self) -> str:
        return f"{self.user} is not interested in {self.paper}"


class PaperTombstone(models.Model):
    """A paper that left members' sight (deleted, merged into another or hidden), so that an app
    syncing with `?updated_since=` learns to drop its copy: a deleted row leaves nothing to find,
    and a hidden paper no longer appears in the lists.

    Deletions are written by a post_delete signal (papers.signals) rather than by each service:
    papers are deleted from several places (the admin, a merge, cascades) and a signal sees every
    one. Hiding writes one too, and listing again removes it (papers.signals / paper_set_status).
    """

    class Reason(models.TextChoices):
        DELETED = "deleted", "Deleted"
        MERGED = "merged", "Merged into another paper"
        HIDDEN = "hidden", "Hidden by the organisers"

    paper_id = models.BigIntegerField(db_index=True)
    reason = models.CharField(max_length=16, choices=Reason.choices, default=Reason.DELETED)
    merged_into_id = models.BigIntegerField(null=True, blank=True)
    deleted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["deleted_at", "id"]
        indexes = [models.Index(fields=["deleted_at", "id"], name="papers_tombstone_since")]

    def __str__(self) -> str:
        return f"paper {self.paper_id} deleted at {self.deleted_at:%Y-%m-%d %H:%M}"


class RelatedPaper(models.Model):
    """One of a paper's nearest listed papers by embedding, with its cosine similarity and rank
    (1 = nearest), written by the workers after the paper is embedded (papers.related). A
    neighbour hidden later stays here until the next computation; pages filter it out."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="related_links")
    related = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    rank = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["paper", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "related"], name="papers_related_once"),
            models.CheckConstraint(condition=~Q(paper=models.F("related")), name="papers_related_not_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.paper_id} ~ {self.related_id} ({self.score:.3f})"
