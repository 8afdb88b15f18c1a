"""CSV exports of papers and votes for the admin, streamed so long lists never sit in memory."""

import csv
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch, QuerySet
from django.http import StreamingHttpResponse

from papers.models import PaperAuthor

# A cell starting with one of these runs as a formula in spreadsheet programs
# (CSV injection); titles come from outside sources, so such cells get a leading '.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _stream(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # byte-order mark: spreadsheet programs then read the file as UTF-8
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


def csv_response(header: list[str], rows: Iterable[list], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_stream(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


PAPER_HEADER = [
    "id", "title", "authors", "arxiv_id", "doi", "status", "votes", "published_at", "added_at",
    "discussed_at", "tags", "url", "pdf_url", "code_url", "source",
]  # fmt: skip


def _paper_rows(papers: QuerySet) -> Iterator[list]:
    authorships = PaperAuthor.objects.select_related("author").order_by("position")
    papers = papers.select_related("source").prefetch_related(
        Prefetch("authorships", queryset=authorships), "tags"
    )
    for paper in papers.order_by("pk").iterator(chunk_size=500):
        yield [
            paper.pk,
            paper.title,
            "; ".join(link.author.name for link in paper.authorships.all()),
            paper.arxiv_id,
            paper.doi,
            paper.status,
            paper.vote_count,
            paper.published_at.isoformat() if paper.published_at else "",
            paper.created_at.isoformat(),
            paper.discussed_at.isoformat() if paper.discussed_at else "",
            "; ".join(tag.name for tag in paper.tags.all()),
            paper.url,
            paper.pdf_url,
            paper.code_url,
            paper.source.name if paper.source else "",
        ]


def papers_csv(papers: QuerySet) -> StreamingHttpResponse:
    return csv_response(PAPER_HEADER, _paper_rows(papers), "papers.csv")


VOTE_HEADER = ["paper_id", "paper_title", "member", "voted_at", "paper_discussed"]


def _vote_rows(votes: QuerySet) -> Iterator[list]:
    for vote in votes.select_related("paper", "user").order_by("pk").iterator(chunk_size=1000):
        yield [
            vote.paper_id,
            vote.paper.title,
            vote.user.username,
            vote.created_at.isoformat(),
            "yes" if vote.paper.discussed_at else "no",
        ]


def votes_csv(votes: QuerySet) -> StreamingHttpResponse:
    return csv_response(VOTE_HEADER, _vote_rows(votes), "votes.csv")
