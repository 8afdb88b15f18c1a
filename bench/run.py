"""The whole benchmark, as `make bench` runs it: API, search, ingest and workers per data size.

    python -m bench.run [--sizes 10000,100000,1000000] [--fresh] [--only list_first,detail]

Needs PostgreSQL, Redis, wrk (`apt-get install wrk`) and pgbench (PostgreSQL's client
tools). It never touches the site's database: each size gets its own database, named
after BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/readinggroup_bench)
plus the size (readinggroup_bench_10000, …), created when missing and reused while it
holds the data of that size (--fresh reloads). Redis: BENCH_REDIS_URL (default db 5),
Celery on a queue of its own.

Then bench.discussions once (a thread of 200 comments, posting and the live-update poll,
in-process on a scratch database named after BENCH_DATABASE_URL).

Results: bench/results/<date>.json (sizes run on the same day are merged) and
bench/results/<date>.md, the tables of docs/performance.md.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import report
from bench.server import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, ROOT, ensure_database, environment, manage

RESULTS = ROOT / "bench" / "results"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def add_measure_arguments(parser: argparse.ArgumentParser) -> None:
    """Options bench.run passes on to bench.size."""
    parser.add_argument("--duration", type=float, default=5, help="seconds of each wrk peak (default 5)")
    parser.add_argument(
        "--rate-duration", type=float, default=8, help="seconds at each fixed rate (default 8)"
    )
    parser.add_argument(
        "--ref-duration", type=float, default=4, help="seconds of each reference peak (default 4)"
    )
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="peaks per endpoint, each followed by its references' (default 3; the medians count)",
    )
    parser.add_argument(
        "--workers", type=int, default=3, help="gunicorn sync workers (default 3, as deployed)"
    )
    parser.add_argument("--port", type=int, default=18500)
    parser.add_argument("--max-load", type=float, default=1.0, help="wait while the 1-minute load is above")
    parser.add_argument("--max-wait", type=float, default=600, help="longest wait for a quiet machine (s)")
    parser.add_argument("--fresh", action="store_true", help="reload the data even when it is there")
    parser.add_argument("--only", type=lambda s: set(s.split(",")), help="endpoints to measure, by name")
    parser.add_argument("--ingest", type=int, default=3000, help="papers per ingest round (0: skip)")
    parser.add_argument("--tasks", type=int, default=2000, help="no-op tasks for the worker bench (0: skip)")


def _forward(args) -> list[str]:
    forwarded = []
    names = (
        "duration",
        "rate_duration",
        "ref_duration",
        "connections",
        "rounds",
        "workers",
        "port",
        "max_load",
    )
    for name in names:
        forwarded.append(f"--{name.replace('_', '-')}={getattr(args, name)}")
    forwarded += [f"--max-wait={args.max_wait}", f"--ingest={args.ingest}", f"--tasks={args.tasks}"]
    if args.fresh:
        forwarded.append("--fresh")
    if args.only:
        forwarded.append("--only=" + ",".join(sorted(args.only)))
    return forwarded


def _version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else "?"


def machine() -> dict:
    cpu = "?"
    if os.path.exists("/proc/cpuinfo"):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": platform.python_version(),
        "postgres": _version(["pg_config", "--version"]),
        "pgbench": _version(["pgbench", "--version"]),
        "wrk": _version(["wrk", "--version"]),
    }


def _size_url(base: str, papers: int) -> str:
    head, _, name = base.rpartition("/")
    return f"{head}/{name}_{papers}"


def run_size(papers: int, args, base_env_url: str, redis_url: str) -> dict:
    var_dir = ROOT / "var" / "bench"
    var_dir.mkdir(parents=True, exist_ok=True)
    database_url = _size_url(base_env_url, papers)
    env = environment(
        database_url=database_url,
        redis_url=redis_url,
        var_dir=var_dir,
        l0_file=var_dir / f"l0-{papers}.json",
        queue=f"bench-{os.getpid()}",
    )
    log(f"== {papers:,} papers: {database_url}")
    ensure_database(database_url)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "size.json"
        command = [sys.executable, "-m", "bench.size", f"--papers={papers}", f"--out={out}", *_forward(args)]
        subprocess.run(command, env=env, cwd=ROOT, check=True)
        return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated paper counts")
    parser.add_argument("--out", type=Path, help="results file (default bench/results/<date>.json)")
    add_measure_arguments(parser)
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes: give whole numbers, e.g. 10000,100000")
    if not sizes or min(sizes) < 1000:
        parser.error("--sizes: at least 1000 papers each")
    missing = [tool for tool in ("wrk", "pgbench", "gunicorn") if not _which(tool)]
    if missing:
        print(
            f"bench needs {', '.join(missing)} on PATH (apt-get install wrk postgresql-client)",
            file=sys.stderr,
        )
        return 2
    base = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    if not base.startswith(("postgres://", "postgresql://")):
        parser.error("BENCH_DATABASE_URL must be a postgres:// URL")
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    path = args.out or RESULTS / f"{time.strftime('%Y-%m-%d')}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(path.read_text()) if path.exists() else {"sizes": {}}
    results["machine"] = machine()
    started = time.monotonic()
    for papers in sizes:
        results["sizes"][str(papers)] = run_size(papers, args, base, redis_url)
        path.write_text(json.dumps(results, indent=1, default=str) + "\n")
        path.with_suffix(".md").write_text(report.render(results))
        log(f"== {papers:,} papers done ({(time.monotonic() - started) / 60:.1f} min so far): {path}")
    if not args.only or args.only & DISCUSSION_ENDPOINTS:
        log("== discussions (bench.discussions)")
        results["discussions"] = run_discussions(base, redis_url)
        path.write_text(json.dumps(results, indent=1, default=str) + "\n")
        path.with_suffix(".md").write_text(report.render(results))
    print(report.render(results))
    return 0


DISCUSSION_ENDPOINTS = {"thread_api", "thread_page", "post", "poll"}


def run_discussions(database_url: str, redis_url: str) -> dict:
    """bench.discussions in its own process (it sets Django up with the test settings)."""
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "discussions.json"
        command = [sys.executable, "-m", "bench.discussions", f"--json={out}"]
        subprocess.run(command, env=env, cwd=ROOT, check=True, stdout=sys.stderr)
        return json.loads(out.read_text())


def _which(tool: str) -> bool:
    return bool(shutil.which(tool) or shutil.which(tool, path=str(Path(sys.executable).parent)))


if __name__ == "__main__":
    raise SystemExit(main())
