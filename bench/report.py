"""Markdown tables from a results file (bench/results/<date>.json).

    python -m bench.report bench/results/2026-12-03-10000.json [--before bench/results/before.json]

With --before, the endpoint table also shows the earlier run's req/s for each endpoint.
"""

import argparse
import json
import sys
from pathlib import Path


def _n(value, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _pct(value) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _latency(entry: dict | None) -> str:
    if not entry:
        return "–"
    errors = entry.get("errors", 0) + sum(v for k, v in entry.get("statuses", {}).items() if k[0] in "45")
    bad = f" ({errors} failed)" if errors else ""
    return f"{_n(entry['p50_ms'], 1)} / {_n(entry['p99_ms'], 1)}{bad}"


def _endpoint_rows(endpoints: dict, before: dict | None) -> list[str]:
    head = (
        "| endpoint | req/s | p50 / p99 ms at 50% | p50 / p99 ms at 80% | queries | CPU ms/req "
        "| L0 req/s | ÷ L0 | L1 req/s | ÷ L1 |"
    )
    rows = [head, "|" + "---|" * 10]
    if before:
        rows[0] = head.replace("| req/s |", "| req/s (before) |")
    for name, e in endpoints.items():
        refs = e.get("references", {})
        peak = e["peak"]
        rps = _n(peak["rps"])
        if before and name in before:
            rps = f"{rps} ({_n(before[name]['peak']['rps'])})"
        failed = peak.get("errors", 0) + peak.get("non_2xx_3xx", 0)
        if failed:
            rps += f" ({failed} failed)"
        rows.append(
            f"| {e['label']} | {rps} | {_latency(e.get('at_50'))} | {_latency(e.get('at_80'))} "
            f"| {e.get('queries', {}).get('queries', '–')} | {_n(peak.get('cpu_ms_per_request'), 2)} "
            f"| {_n(refs.get('L0', {}).get('rps'))} | {_pct(e['ratios'].get('to_L0'))} "
            f"| {_n(refs.get('L1', {}).get('rps'))} | {_pct(e['ratios'].get('to_L1'))} |"
        )
    return rows


def _cpu_rows(endpoints: dict) -> list[str]:
    rows = [
        "| endpoint (at peak) | gunicorn | PostgreSQL backends | Redis | load generator | PostgreSQL other |",
        "|---|---|---|---|---|---|",
    ]
    for e in endpoints.values():
        share = e["peak"]["cpu_share"]
        rows.append(
            f"| {e['label']} | {_n(share.get('gunicorn'), 2)} | {_n(share.get('postgres'), 2)} "
            f"| {_n(share.get('redis'), 2)} | {_n(share.get('client'), 2)} "
            f"| {_n(share.get('postgres_other'), 2)} |"
        )
    return rows


def _search(size: dict) -> list[str]:
    raw, api = size.get("search_sql"), size["endpoints"].get("search")
    if not raw or not api:
        return []
    ratio = raw["ratios"]["api_p95_to_raw_p95_at_50"]
    at50 = raw.get("at_50", {})
    return [
        "",
        f"Search, same terms and rate ({_n(at50.get('target_rate'))}/s, common and rare in turn): API p95 "
        f"{_n(api['at_50']['p95_ms'], 1)} ms, the same statements with pgbench p95 "
        f"{_n(at50.get('p95_ms'), 1)} ms "
        f"(API ÷ SQL: {_n(ratio, 2)}×). Peak: API {_n(api['peak']['rps'])} req/s, SQL "
        f"{_n(raw['peak']['tps'])} searches/s.",
    ]


def _not_modified(endpoints: dict) -> list[str]:
    lines = []
    for e in endpoints.values():
        r = e.get("ratios", {})
        if "rps_to_200" in r:
            lines.append(
                f"- {e['label']}: {_n(r['rps_to_200'], 2)}× the 200's req/s; "
                f"{_n(r.get('cpu_200_to_this'), 2)}× less server CPU per request."
            )
    return ["", *lines] if lines else []


def _ingest(size: dict) -> list[str]:
    ingest = size.get("ingest")
    if not ingest:
        return []
    rates = ingest["papers_per_second"]
    return [
        "",
        f"Ingest ({ingest['papers']:,} papers, best of {ingest['rounds']}, in the loaded tables): parse "
        f"{_n(rates['parse'])}/s; upsert new {_n(rates['upsert_new'])}/s, "
        f"again {_n(rates['upsert_again'])}/s; "
        f"raw INSERT … ON CONFLICT {_n(rates['raw_insert_on_conflict'])}/s "
        f"(upsert ÷ raw: {_pct(ingest['ratio_upsert_new_to_raw'])}).",
        *_ingest_before(size.get("ingest_before")),
    ]


def _ingest_before(ingest: dict | None) -> list[str]:
    if not ingest:
        return []
    rates = ingest["papers_per_second"]
    return [
        f"Before the fix: upsert new {_n(rates['upsert_new'])}/s, again {_n(rates['upsert_again'])}/s, "
        f"raw {_n(rates['raw_insert_on_conflict'])}/s "
        f"(upsert ÷ raw: {_pct(ingest['ratio_upsert_new_to_raw'])})."
    ]


def _workers(size: dict) -> list[str]:
    w = size.get("workers")
    if not w:
        return []
    return [
        "",
        f"Workers (one process, concurrency 1): no-op {_n(w['noop']['tasks_per_second'])} tasks/s; "
        f"summarise_paper {_n(w['summarise_paper']['tasks_per_second'])} tasks/s "
        f"({_pct(w['ratios']['summarise_paper_to_noop'])} of no-op); summarise_papers (20 per task) "
        f"{_n(w['summarise_papers_20']['tasks_per_second'])} tasks/s = "
        f"{_n(w['summarise_papers_20']['papers_per_second'])} papers/s.",
    ]


def _neighbours(size: dict) -> list[str]:
    n = size.get("neighbours")
    if not n:
        return []
    return [
        "",
        f"Related papers (usearch index over {n['n']:,} synthetic 256-d vectors): build "
        f"{n['build_s']:.0f} s, file {n['file_mib']:.0f} MiB; one paper's 10 neighbours p50 "
        f"{n['query_p50_ms']:.2f} ms, p95 {n['query_p95_ms']:.2f} ms; recall@10 vs exact "
        f"{n['recall_at_10']:.3f}; a worker adds 64 papers in {n['add_batch_s']:.3f} s "
        f"({n.get('add_batch_full_delta_s', 0):.3f} s to a full delta, "
        f"{n.get('add_batch_whole_file_s', 0):.2f} s rewriting the whole file as before); "
        f"folding the delta {n.get('fold_s', 0):.0f} s; a new paper's 30 candidates "
        f"p50 {n.get('relate_p50_ms', 0):.2f} ms; every paper's "
        f"neighbours {n['rebuild_all_s_extrapolated']:.0f} s (extrapolated from {n['rebuild_sample']:,}).",
    ]


def _scaling(results: dict) -> list[str]:
    sizes = sorted(results["sizes"], key=int)
    if len(sizes) < 2:
        return []
    rows = ["", "| endpoint | " + " | ".join(f"{int(s):,}" for s in sizes) + " | largest ÷ smallest |"]
    rows.append("|---" * (len(sizes) + 2) + "|")
    first = results["sizes"][sizes[0]]["endpoints"]
    for name, e in first.items():
        values = [results["sizes"][s]["endpoints"].get(name, {}).get("peak", {}).get("rps") for s in sizes]
        ratio = values[-1] / values[0] if values[0] and values[-1] else None
        rows.append(f"| {e['label']} | " + " | ".join(_n(v) for v in values) + f" | {_pct(ratio)} |")
    return ["", "Peak req/s by data size:", *rows]


def render(results: dict, before: dict | None = None) -> str:
    m = results.get("machine", {})
    lines = [
        f"Machine: {m.get('cpu')} × {m.get('cores')}; {m.get('postgres')}; {m.get('wrk')}; "
        f"Python {m.get('python')}."
    ]
    for size_key in sorted(results["sizes"], key=int):
        size = results["sizes"][size_key]
        endpoints = size["endpoints"]
        old = (before or {}).get("sizes", {}).get(size_key, {}).get("endpoints")
        lines += [
            "",
            f"### {int(size_key):,} papers",
            "",
            f"Run {size['started_at']}; 1-minute load before: {size.get('load_average_before')}; "
            f"{size['cores']}."
            + (
                f" Peaks: the median of {size['rounds']} rounds, each endpoint's run followed by its"
                " references' runs; a ratio is the median of the rounds' ratios."
                if size.get("rounds", 1) > 1
                else ""
            ),
            "",
            *_endpoint_rows(endpoints, old),
            *_not_modified(endpoints),
            *_search(size),
            *_ingest(size),
            *_workers(size),
            *_neighbours(size),
            "",
            "CPU share at peak (1.0 = one core):",
            "",
            *_cpu_rows(endpoints),
        ]
    lines += _scaling(results)
    lines += _discussions(results.get("discussions"))
    return "\n".join(lines) + "\n"


def _discussions(figures: dict | None) -> list[str]:
    """bench.discussions: a thread of 200 comments in-process (see its docstring)."""
    if not figures:
        return []
    from bench.discussions import render

    return ["", "### Discussions (in-process, bench.discussions)", "", "```", render(figures), "```"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--before", type=Path)
    args = parser.parse_args(argv)
    before = json.loads(args.before.read_text()) if args.before else None
    sys.stdout.write(render(json.loads(args.results.read_text()), before))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
