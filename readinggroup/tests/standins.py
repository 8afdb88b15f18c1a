"""Stand-ins for outside services in process-level tests: the arXiv API and any Atom feed.

Written by us: made-up entries, served on ports of processes.SERVER_PORTS.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from readinggroup.tests.processes import SERVER_PORTS, free_port

ATOM_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
    'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
    "<title>Stand-in query</title><id>http://arxiv.org/api/standin</id><updated>2024-03-05T00:00:00Z</updated>\n"
    "<opensearch:totalResults>{total}</opensearch:totalResults>"
    "<opensearch:startIndex>0</opensearch:startIndex>"
    "<opensearch:itemsPerPage>{total}</opensearch:itemsPerPage>\n"
)


def atom_entry(arxiv_id: str, *, title: str, authors: list[str]) -> str:
    """One arXiv API entry, written by us; the abstract names the id so every paper differs."""
    names = "".join(f"<author><name>{name}</name></author>" for name in authors)
    return (
        f"<entry><id>http://arxiv.org/abs/{arxiv_id}v1</id><updated>2024-03-04T17:30:00Z</updated>"
        f"<published>2024-03-01T09:15:00Z</published><title>{title}</title>"
        f"<summary>We propose a reusable method for problem {arxiv_id}. It improves a stand-in "
        f"benchmark by a clear margin while staying simple.</summary>{names}"
        f'<link href="http://arxiv.org/abs/{arxiv_id}v1" rel="alternate" type="text/html"/>'
        '<arxiv:primary_category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>'
        '<category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/></entry>\n'
    )


def atom_feed(entries: list[str]) -> bytes:
    return (ATOM_HEAD.format(total=len(entries)) + "".join(entries) + "</feed>\n").encode()


def standin_title(arxiv_id: str) -> str:
    return f"Stand-in paper {arxiv_id}"


STANDIN_AUTHORS = ["Ada Placeholder", "Ben Example", "Cy Sample"]


class ArxivStandIn:
    """Answers arXiv API queries by id_list with a made-up entry per id, counting requests per id.

    `hold` makes the first request for an id wait (up to 30 s) until `release()`: a task
    caught in the middle.
    """

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.held = threading.Event()
        self._release = threading.Event()
        self.hold_ids: set[str] = set()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                ids = parse_qs(urlsplit(self.path).query).get("id_list", [""])[0].split(",")
                for arxiv_id in ids:
                    standin.requests[arxiv_id] += 1
                if any(i in standin.hold_ids and standin.requests[i] == 1 for i in ids):
                    standin.held.set()
                    standin._release.wait(30)
                entries = [atom_entry(i, title=standin_title(i), authors=STANDIN_AUTHORS) for i in ids if i]
                body = atom_feed(entries)
                self.send_response(200)
                self.send_header("Content-Type", "application/atom+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the asker may have been killed meanwhile
                    self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port(SERVER_PORTS)), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/query"

    def release(self) -> None:
        self._release.set()

    def __enter__(self) -> ArxivStandIn:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


class FeedStandIn:
    """Serves one body on every path, holding each request until `gather` have arrived (or `most`
    seconds passed), so that fetches started together also get their answers together."""

    def __init__(self, body: bytes, *, gather: int = 2, most: float = 4.0) -> None:
        self.requests: Counter[str] = Counter()
        arrived = threading.Barrier(gather)
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                standin.requests[urlsplit(self.path).path] += 1
                with contextlib.suppress(threading.BrokenBarrierError):
                    arrived.wait(most)
                self.send_response(200)
                self.send_header("Content-Type", "application/atom+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port(SERVER_PORTS)), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FeedStandIn:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
