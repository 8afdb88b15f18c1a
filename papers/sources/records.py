"""Plain records the source parsers produce; the ingest service turns them into rows.

No Django here: parsers stay testable on bytes alone, and the benchmark can use them.
"""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class AuthorRecord:
    name: str
    affiliation: str = ""


@dataclass
class PaperRecord:
    title: str
    abstract: str = ""
    arxiv_id: str = ""  # normalised, no version (papers.normalise.arxiv_id)
    arxiv_version: int | None = None
    doi: str = ""  # normalised, lower-case (papers.normalise.doi)
    authors: list[AuthorRecord] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)  # arXiv categories, primary first
    published_at: datetime | None = None
    updated_at: datetime | None = None
    url: str = ""
    pdf_url: str = ""
    code_url: str = ""
    external_votes: int | None = None  # e.g. Hugging Face upvotes; None when the source has none
    announce_type: str = ""  # arXiv listing feeds: new / cross / replace / replace-cross


@dataclass
class FetchResult:
    """What one fetch of a source produced.

    `skipped` counts items that are not papers (a blog post without an arXiv
    link or DOI); `failed` counts items too broken to use (no title).
    """

    records: list[PaperRecord] = field(default_factory=list)
    skipped: int = 0
    failed: int = 0
    not_modified: bool = False  # HTTP 304: nothing changed since the last fetch
    incomplete: str = ""  # why the fetch stopped before the source's end (a partial FetchRun)
    etag: str = ""
    last_modified: str = ""
