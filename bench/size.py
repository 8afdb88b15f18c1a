"""One data size of the benchmark (bench.run starts this once per size, in the bench's environment).

    python -m bench.size --papers 10000 --out partial.json [options of bench.run]

Steps: load (or reuse) the data; members with tokens and sessions; queries per request
in-process; gunicorn with production settings; per endpoint wrk's peak, then
bench.loadgen at 50% and 80% of it, then each reference's peak; the search SQL with
pgbench; ingest; workers. Progress goes to stderr.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import django


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Fetch:
    """Plain HTTP GET/PUT against the running server (for L0 bodies and ETags)."""

    def __init__(self, base: str, headers: dict) -> None:
        self.base, self.headers = base, headers

    def __call__(self, method: str, path: str, headers: dict):
        request = urllib.request.Request(
            self.base + path,
            method=method,
            headers={**self.headers, **headers},
            data=b"" if method != "GET" else None,
        )
        try:
            response = urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"{method} {path} answered {error.code}") from error
        response.body = response.read()
        return response


def _prepare_data(papers: int, fresh: bool) -> dict:
    from bench import data

    found = data.loaded()
    if not fresh and found and found["papers"] == papers:
        log(f"Reusing the {papers:,} papers loaded at {found['loaded_at']} (--fresh reloads).")
        data.ensure_search_statistics()
        return {"reused": True, **found, **data.search_terms()}
    log(f"Loading {papers:,} papers…")
    return data.load(papers)


def _backends() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def _l0_bodies(specs, fetch: Fetch) -> dict:
    bodies = {}
    for spec in specs:
        for reference in spec.references.values():
            if not reference.name.startswith("l0_"):
                continue
            method, path, headers = spec.endpoint.requests[0]
            response = fetch(method, path, headers)
            bodies[reference.name.removeprefix("l0_")] = {
                "content_type": response.headers["Content-Type"],
                "body": response.body.decode(),
            }
    return bodies


def _ratio(a, b) -> float | None:
    return round(a / b, 3) if a and b else None


def _median_run(runs: list[dict]) -> dict:
    """The round with the median req/s (its CPU figures with it), and every round's req/s."""
    middle = sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]
    return {**middle, "rps_rounds": [run["rps"] for run in runs]}


def _median_ratio(runs: list[dict], references: list[dict]) -> float | None:
    """Each round's endpoint over the reference run right after it, the median of those: a
    slow spell of a shared machine then slows both sides of a ratio, not one."""
    ratios = sorted(r for r in map(_ratio, (a["rps"] for a in runs), (b["rps"] for b in references)) if r)
    return ratios[len(ratios) // 2] if ratios else None


def _peaks(spec, base: str, args, groups, common: dict) -> tuple[list[dict], dict[str, list[dict]]]:
    """`args.rounds` rounds of the endpoint's peak, each followed by its references' peaks."""
    from bench.http import wrk_peak

    runs: list[dict] = []
    references: dict[str, list[dict]] = {name: [] for name in spec.references}
    for round_ in range(1, args.rounds + 1):
        log(f"  {spec.endpoint.name}: peak (wrk, {args.duration:g} s), round {round_}/{args.rounds}")
        runs.append(
            wrk_peak(
                spec.endpoint,
                base,
                duration=args.duration,
                connections=args.connections,
                groups=groups(),
                **common,
            )
        )
        for name, reference in spec.references.items():
            references[name].append(
                wrk_peak(
                    reference,
                    base,
                    duration=args.ref_duration,
                    connections=args.connections,
                    groups=groups(),
                    **common,
                )
            )
    return runs, references


def _measure(spec, base: str, args, cores: dict, groups, results: dict) -> dict:
    from bench.http import fixed_rate
    from bench.procs import load_average

    endpoint = spec.endpoint
    entry = {"label": endpoint.label, "load_average": load_average()}
    common = {"client_cores": cores["client"]}
    runs, references = _peaks(spec, base, args, groups, common)
    entry["peak"] = _median_run(runs)
    entry["references"] = {name: _median_run(refs) for name, refs in references.items()}
    entry["ratios"] = {f"to_{name}": _median_ratio(runs, refs) for name, refs in references.items()}
    if spec.latency and entry["peak"]["rps"] < 2:
        entry["note"] = "under 2 req/s at peak: no fixed-rate runs"
    elif spec.latency:
        for share in (0.5, 0.8):
            rate = max(1.0, entry["peak"]["rps"] * share)
            log(f"  {endpoint.name}: {rate:.0f} req/s for {args.rate_duration:g} s (bench.loadgen)")
            entry[f"at_{round(share * 100)}"] = fixed_rate(
                endpoint, base, rate=rate, duration=args.rate_duration, groups=groups(), **common
            )
    if spec.compare_to and spec.compare_to in results:
        full = results[spec.compare_to]["peak"]
        entry["ratios"]["rps_to_200"] = _ratio(entry["peak"]["rps"], full["rps"])
        entry["ratios"]["cpu_200_to_this"] = _ratio(
            full["cpu_ms_per_request"], entry["peak"]["cpu_ms_per_request"]
        )
    return entry


def _search_reference(specs_, members, terms: dict, args, cores: dict, api_entry: dict) -> dict:
    from django.conf import settings
    from django.test import Client

    from bench.search import api_search_statements, pgbench
    from bench.server import PROXY_HEADERS

    client = Client(headers={**PROXY_HEADERS, **members[0].api, "Host": "127.0.0.1"})
    words = [t for pair in zip(terms["common"], terms["rare"], strict=True) for t in pair]
    sqls = {word: api_search_statements(client, word) for word in words}
    db = settings.DATABASES["default"]
    dsn = f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    common = {"clients": args.workers, "client_cores": cores["client"], "server_cores": cores["server"]}
    log(f"  search: raw SQL peak (pgbench, {len(sqls[words[0]])} statements a search)")
    peak = pgbench(dsn, sqls, duration=args.duration, **common)
    result = {"statements_example": sqls[words[0]], "peak": peak}
    for key in ("at_50", "at_80"):
        if key in api_entry:
            rate = api_entry[key]["target_rate"]
            log(f"  search: raw SQL at {rate:.0f}/s (pgbench -R)")
            result[key] = pgbench(dsn, sqls, duration=args.rate_duration, rate=rate, **common)
    api50, raw50 = api_entry.get("at_50", {}).get("p95_ms"), result.get("at_50", {}).get("p95_ms")
    result["ratios"] = {
        "api_p95_to_raw_p95_at_50": _ratio(api50, raw50),
        "api_rps_to_raw_tps": _ratio(api_entry["peak"]["rps"], result["peak"]["tps"]),
    }
    return result


def run(args) -> dict:
    from bench import fixtures, procs
    from bench.server import PROXY_HEADERS, Gunicorn

    cores = procs.cores_plan()
    if cores["client"]:
        os.sched_setaffinity(0, cores["client"])
    out = {"papers": args.papers, "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "cores": cores["note"]}
    out["rounds"] = args.rounds
    out["data"] = _prepare_data(args.papers, args.fresh)
    terms = {
        "common": out["data"]["common_terms"][: fixtures.SEARCH_TERMS],
        "rare": out["data"]["rare_terms"][: fixtures.SEARCH_TERMS],
    }
    log("Members, tokens and sessions…")
    members = fixtures.members()
    papers = fixtures.sample_papers()
    specs = fixtures.specs(members, papers, fixtures.deep_positions(), terms, fixtures.thread_papers())
    out["load_average_before"] = procs.wait_for_quiet(args.max_load, args.max_wait, log)
    env = dict(os.environ)
    results: dict = {}
    with Gunicorn(env, port=args.port, workers=args.workers, cores=cores["server"]) as server:
        fetch = Fetch(server.base, PROXY_HEADERS)
        bodies = _l0_bodies(specs, fetch)
        Path(env["BENCH_L0_FILE"]).write_text(json.dumps(bodies))
        redis = [p for p in [procs.redis_pid(_redis())] if p]
        helpers = procs.postgres_helpers()

        def groups() -> dict:
            backends = _backends()
            procs.pin(backends, cores["server"])
            return {
                "gunicorn": server.pids(),
                "postgres": backends,
                "redis": redis,
                "postgres_other": helpers,
            }

        for spec in specs:
            if args.only and spec.endpoint.name not in args.only:
                continue
            if spec.compare_to:  # a 304: every request sends the ETag its 200 carries now
                spec.endpoint.requests = spec.endpoint.requests[:100]
                spec.endpoint = fixtures.with_etags(spec.endpoint, fetch)
            results[spec.endpoint.name] = _measure(spec, server.base, args, cores, groups, results)
            results[spec.endpoint.name]["queries"] = fixtures.count_queries(spec.endpoint)
            for name, ref in spec.references.items():
                results[spec.endpoint.name]["references"][name]["queries"] = fixtures.count_queries(ref)[
                    "queries"
                ]
            if spec.endpoint.name == "search":
                # Right after the API's search, on the same tables: later endpoints (votes)
                # rewrite paper rows and grow the full-text indexes' pending lists.
                out["search_sql"] = _search_reference(specs, members, terms, args, cores, results["search"])
    out["endpoints"] = results
    if args.ingest:
        from bench.ingest import measure_in_place

        out["ingest"] = measure_in_place(args.ingest, 3, log=log)
    if args.tasks:
        from bench import workers

        out["workers"] = workers.measure(
            env,
            queue=env["CELERY_TASK_DEFAULT_QUEUE"],
            cores=cores,
            noop_count=args.tasks,
            paper_ids=papers,
            log=log,
            pin_backends=lambda: procs.pin(_backends(), cores["server"]),
        )
    out["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    return out


def _redis():
    import redis

    return redis.Redis.from_url(os.environ["REDIS_URL"])


def main(argv: list[str] | None = None) -> int:
    from bench.run import add_measure_arguments

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    add_measure_arguments(parser)
    args = parser.parse_args(argv)
    django.setup()
    result = run(args)
    args.out.write_text(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
