"""An open-loop, fixed-rate HTTP load generator.

wrk measures latency from when a request is actually sent; when the server
stalls, wrk simply sends less, so the stall never shows in its percentiles
("coordinated omission"). Here every request has a scheduled start time at
a fixed rate, and latency counts from that scheduled time, so queueing in
front of a slow server shows up in p99 as a user would feel it. wrk2 does
this, but is not packaged for Debian; this is the small part of it we need.

    python -m bench.loadgen --rate 200 --duration 10 http://127.0.0.1:8000/api/v1/papers/
    python -m bench.loadgen --rate 100 --requests votes.txt http://127.0.0.1:8000/

With --requests, each line of the file is "METHOD /path", optionally followed by
tab-separated "Name: value" headers for that request alone, and requests go out in the
file's order, in turn (e.g. PUT and DELETE of a vote alternating, each member with their
own token); the URL then only names the host.
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Target:
    host: str
    port: int
    requests: list[tuple]  # (method, path) or (method, path, {header: value}), sent in turn
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._encoded = [self._encode(*request) for request in self.requests]

    def _encode(self, method: str, path: str, extra: dict | None = None) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in {**self.headers, **(extra or {})}.items()]
        if method in {"PUT", "POST", "DELETE", "PATCH"}:
            lines.append("Content-Length: 0")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def request_bytes(self, index: int) -> bytes:
        return self._encoded[index % len(self._encoded)]


@dataclass
class Result:
    rate: float
    duration: float
    sent: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0

    def summary(self) -> dict:
        lat = sorted(self.latencies_ms)
        return {
            "target_rate": self.rate,
            "achieved_rate": round(len(lat) / self.duration, 1) if self.duration else 0,
            "requests": len(lat),
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "p50_ms": _percentile(lat, 50),
            "p95_ms": _percentile(lat, 95),
            "p99_ms": _percentile(lat, 99),
            "mean_ms": round(statistics.fmean(lat), 2) if lat else None,
        }


def _percentile(sorted_values: list[float], pct: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, round(pct / 100 * (len(sorted_values) - 1)))
    return round(sorted_values[index], 2)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; returns (status, server wants to close)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        await _read_chunked(reader)
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection", "").lower() == "close"


async def _read_chunked(reader: asyncio.StreamReader) -> None:
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        await reader.readexactly(size + 2)
        if size == 0:
            return


async def _worker(target: Target, slots: asyncio.Queue, result: Result, timeout: float) -> None:
    reader = writer = None
    while True:
        item = await slots.get()
        if item is None:
            break
        index, scheduled = item
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(target.host, target.port)
            writer.write(target.request_bytes(index))
            status, close = await asyncio.wait_for(_read_response(reader), timeout)
        except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError):
            result.errors += 1
            writer = _close(writer)
            continue
        result.latencies_ms.append((time.perf_counter() - scheduled) * 1000)
        result.statuses[status] = result.statuses.get(status, 0) + 1
        if close:
            writer = _close(writer)
    _close(writer)


def _close(writer):
    if writer is not None:
        writer.close()
    return None


async def run(
    target: Target, *, rate: float, duration: float, connections: int, timeout: float = 30.0
) -> Result:
    """Send rate × duration requests at fixed times; a request unanswered after `timeout`
    seconds counts as an error (its connection is closed)."""
    result = Result(rate=rate, duration=duration)
    slots: asyncio.Queue = asyncio.Queue()
    workers = [asyncio.create_task(_worker(target, slots, result, timeout)) for _ in range(connections)]
    start = time.perf_counter() + 0.05
    total = int(rate * duration)
    for index in range(total):
        # Scheduled times are fixed up front: a slow server cannot slow the schedule.
        slots.put_nowait((index, start + index / rate))
    result.sent = total
    for _ in workers:
        slots.put_nowait(None)
    await asyncio.gather(*workers)
    return result


def _path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def make_target(
    urls: list[str], *, method: str = "GET", requests=None, headers: dict | None = None
) -> Target:
    """Requests to the host of urls[0]: `requests` ((method, path) pairs) or a GET-like `method` per URL."""
    parts = urlsplit(urls[0])
    pairs = list(requests) if requests else [(method, _path(u)) for u in urls]
    return Target(parts.hostname, parts.port or 80, pairs, headers or {})


def read_requests(path: str) -> list[tuple[str, str, dict]]:
    """Lines "METHOD /path[<TAB>Name: value…]" (blank lines skipped)."""
    requests = []
    with open(path, encoding="utf-8") as file:
        for line in file:
            if not line.strip():
                continue
            first, *headers = line.rstrip("\n").split("\t")
            parts = first.split()
            if len(parts) != 2 or any(":" not in h for h in headers):
                raise ValueError(f"{path}: write one request per line as METHOD /path[<TAB>Name: value…]")
            extra = {k.strip(): v.strip() for k, _, v in (h.partition(":") for h in headers)}
            requests.append((parts[0].upper(), parts[1], extra))
    if not requests:
        raise ValueError(f"{path}: no requests")
    return requests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="+", help="one or more URLs on one host, used in turn")
    parser.add_argument("--requests", help='file of "METHOD /path" lines, sent in turn to the URL\'s host')
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds before a request counts as failed"
    )
    parser.add_argument("--method", default="GET")
    parser.add_argument("--header", action="append", default=[], help="Name: value")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.duration <= 0:
        parser.error("--rate and --duration must be positive")
    headers = {k.strip(): v.strip() for k, _, v in (h.partition(":") for h in args.header)}
    try:
        requests = read_requests(args.requests) if args.requests else None
    except (OSError, ValueError) as error:
        parser.error(str(error))
    target = make_target(args.urls, method=args.method.upper(), requests=requests, headers=headers)
    result = asyncio.run(
        run(
            target, rate=args.rate, duration=args.duration, connections=args.connections, timeout=args.timeout
        )
    )
    json.dump(result.summary(), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
