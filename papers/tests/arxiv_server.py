"""A local stand-in for the arXiv API that answers short or empty pages, as the real one now and then does."""

from collections.abc import Callable

from werkzeug import Request, Response

from papers.sources.arxiv import ARXIV, ATOM, OPENSEARCH

_ENTRY = """<entry>
  <id>http://arxiv.org/abs/{id}v1</id>
  <updated>2024-03-04T10:00:00Z</updated>
  <published>2024-03-04T10:00:00Z</published>
  <title>Paged paper number {n}</title>
  <summary>Abstract of paged paper number {n}.</summary>
  <author><name>Pat Pager</name></author>
  <arxiv:primary_category term="cs.LG"/>
</entry>"""


def atom_page(numbers: range, total: int) -> bytes:
    entries = "".join(_ENTRY.format(id=f"2403.{10000 + n}", n=n) for n in numbers)
    return (
        f'<feed xmlns="{ATOM[1:-1]}" xmlns:opensearch="{OPENSEARCH[1:-1]}" xmlns:arxiv="{ARXIV[1:-1]}">'
        f"<title>paged</title><opensearch:totalResults>{total}</opensearch:totalResults>{entries}</feed>"
    ).encode()


def capped_pages(*, total: int, cap: int) -> Callable[[Request], Response]:
    """At most `cap` entries a page, whatever max_results asks, and totalResults = `total`."""

    def handler(request: Request) -> Response:
        start, wanted = int(request.args["start"]), int(request.args["max_results"])
        return Response(atom_page(range(start, min(total, start + min(wanted, cap))), total))

    return handler


def empty_after(*, total: int, served: int) -> Callable[[Request], Response]:
    """The first `served` entries in one page, then empty pages forever (totalResults = `total`)."""

    def handler(request: Request) -> Response:
        start = int(request.args["start"])
        return Response(atom_page(range(start, served) if start < served else range(0), total))

    return handler
