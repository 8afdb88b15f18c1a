"""An open-loop, fixed-rate HTTP load generator.

wrk measures latency from when a request is actually sent; when the server
stalls, wrk simply sends less, so the stall never shows in its percentiles
("coordinated omission"). Here every request has a scheduled start time at
a fixed rate, and latency counts from that scheduled time, so queueing in
front of a slow server shows up in p99 as a user would feel it. wrk2 does
this, but is not packaged for Debian; this is the small part of it we need.

    python -m bench.loadgen --rate 200 --duration 10 http://127.0.0.1:8000/api/v1/papers/
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
    paths: list[str]
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)

    def request_bytes(self, index: int) -> bytes:
        path = self.paths[index % len(self.paths)]
        lines = [f"{self.method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if self.method in {"PUT", "POST", "DELETE"}:
            lines.append("Content-Length: 0")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()


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


async def _worker(target: Target, slots: asyncio.Queue, result: Result) -> None:
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
            status, close = await _read_response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError):
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


async def run(target: Target, *, rate: float, duration: float, connections: int) -> Result:
    result = Result(rate=rate, duration=duration)
    slots: asyncio.Queue = asyncio.Queue()
    workers = [asyncio.create_task(_worker(target, slots, result)) for _ in range(connections)]
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


def target_from_urls(urls: list[str], method: str = "GET", headers: dict | None = None) -> Target:
    parts = urlsplit(urls[0])
    paths = [(urlsplit(u).path or "/") + (f"?{urlsplit(u).query}" if urlsplit(u).query else "") for u in urls]
    return Target(parts.hostname, parts.port or 80, paths, method, headers or {})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="+", help="one or more URLs on one host, used in turn")
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--header", action="append", default=[], help="Name: value")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.duration <= 0:
        parser.error("--rate and --duration must be positive")
    headers = dict(h.split(":", 1) for h in args.header)
    target = target_from_urls(
        args.urls, args.method.upper(), {k.strip(): v.strip() for k, v in headers.items()}
    )
    result = asyncio.run(run(target, rate=args.rate, duration=args.duration, connections=args.connections))
    json.dump(result.summary(), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
