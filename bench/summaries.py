"""Benchmark a summary backend on SciTLDR: ROUGE-1/2/L F1 and papers per second.

    python -m bench.summaries --data /work/shared/data/scitldr/dev.jsonl [--backend extractive]
                              [--out predictions.jsonl] [--no-keywords]

Protocol: rouge-score without stemming; per paper the reference with the best ROUGE-1 F1
against the prediction is chosen and its ROUGE-1/2/L F1 are reported; means over papers x100.
The backend gets the abstract as one string (the `source` sentences joined by spaces), as it
would at run time, and must split sentences itself.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rouge_score.rouge_scorer import RougeScorer

METRICS = ("rouge1", "rouge2", "rougeL")
PROGRESS_EVERY = 100


class BenchError(Exception):
    """A problem with the arguments or the data, reported without a traceback."""


@dataclass(frozen=True)
class Paper:
    paper_id: str
    title: str
    abstract: str
    references: list[str]


def read_papers(path: Path) -> list[Paper]:
    if not path.is_file():
        raise BenchError(f"data file not found: {path}")
    papers = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                papers.append(_parse_line(line, f"{path}:{number}"))
    if not papers:
        raise BenchError(f"no papers in {path}")
    return papers


def _parse_line(line: str, where: str) -> Paper:
    try:
        row = json.loads(line)
        source, target = row["source"], row["target"]
    except json.JSONDecodeError as err:
        raise BenchError(f"{where}: invalid JSON ({err.msg})") from None
    except (KeyError, TypeError):
        raise BenchError(f"{where}: expected an object with 'source' and 'target'") from None
    if not isinstance(source, list) or not isinstance(target, list) or not target:
        raise BenchError(f"{where}: 'source' and 'target' must be lists, 'target' non-empty")
    title = row.get("title") or ""
    return Paper(
        str(row.get("paper_id", where)),
        str(title),
        " ".join(str(s) for s in source),
        [str(t) for t in target],
    )


def resolve_backend(name: str, keywords: bool = True) -> Any:
    """The backend called `name`. `extractive` is built here so that --no-keywords can time
    the TL;DR alone; any other name goes through papers.summaries.get_backend."""
    if name == "extractive":
        from papers.summaries.extractive import ExtractiveBackend

        return ExtractiveBackend(keywords=keywords)
    from papers.summaries import UnknownBackendError, get_backend

    _setup_django()  # the llm backend reads its endpoint from settings (SUMMARY_LLM_*)
    try:
        return get_backend(name)
    except UnknownBackendError as err:
        raise BenchError(str(err)) from None
    except Exception as err:  # e.g. the llm backend without its settings
        raise BenchError(f"cannot create backend {name!r}: {err}") from None


def _setup_django() -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readinggroup.settings")
    django.setup()


def best_reference_scores(scorer: RougeScorer, prediction: str, refs: list[str]) -> list[float]:
    """R1/R2/RL F1 of the reference that has the best ROUGE-1 F1 against the prediction."""
    best = max((scorer.score(ref, prediction) for ref in refs), key=lambda s: s["rouge1"].fmeasure)
    return [best[m].fmeasure for m in METRICS]


def summarise_all(backend: Any, papers: list[Paper]) -> Iterator[tuple[Paper, Any, float, float]]:
    """Yield (paper, Summary, wall seconds, CPU seconds in the backend); progress on stderr.

    CPU time is reported too because wall time on a shared machine measures the neighbours."""
    for done, paper in enumerate(papers, start=1):
        wall, cpu = time.perf_counter(), time.process_time()
        summary = backend.summarise(title=paper.title, abstract=paper.abstract)
        yield paper, summary, time.perf_counter() - wall, time.process_time() - cpu
        if done % PROGRESS_EVERY == 0:
            print(f"  {done}/{len(papers)} papers", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    papers = read_papers(args.data)
    backend = resolve_backend(args.backend, keywords=not args.no_keywords)
    scorer = RougeScorer(list(METRICS), use_stemmer=False)
    totals, seconds, cpu_seconds, out = [0.0, 0.0, 0.0], 0.0, 0.0, []
    # Which backend really wrote each summary: the llm backend falls back to extractive.
    written_by: Counter[str] = Counter()
    for paper, summary, spent, cpu in summarise_all(backend, papers):
        seconds += spent
        cpu_seconds += cpu
        written_by[summary.backend] += 1
        for i, value in enumerate(best_reference_scores(scorer, summary.text, paper.references)):
            totals[i] += value
        out.append({"paper_id": paper.paper_id, "summary": summary.text})
    if args.out:
        _write_jsonl(args.out, out)
    result = {m: 100 * t / len(papers) for m, t in zip(METRICS, totals, strict=True)}
    result["papers_per_second"] = len(papers) / seconds if seconds else float("inf")
    result["papers_per_cpu_second"] = len(papers) / cpu_seconds if cpu_seconds else float("inf")
    result["papers"] = len(papers)
    result["written_by"] = dict(written_by)
    return result


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    try:
        with path.open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    except OSError as err:
        raise BenchError(f"cannot write {path}: {err.strerror}") from None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Score a summary backend on SciTLDR JSONL.")
    parser.add_argument("--data", type=Path, required=True, help="SciTLDR JSONL file")
    parser.add_argument("--backend", default="extractive", help="backend name (extractive)")
    parser.add_argument("--out", type=Path, help="write {paper_id, summary} JSON lines here")
    parser.add_argument(
        "--no-keywords", action="store_true", help="time the TL;DR only (skip keyword extraction)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        r = run(args)
    except BenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"backend={args.backend} papers={r['papers']} keywords={not args.no_keywords}")
    print("written by: " + ", ".join(f"{name} {n}" for name, n in sorted(r["written_by"].items())))
    print(f"ROUGE-1 {r['rouge1']:.2f}  ROUGE-2 {r['rouge2']:.2f}  ROUGE-L {r['rougeL']:.2f}")
    print(
        f"{r['papers_per_second']:.1f} papers/second wall, "
        f"{r['papers_per_cpu_second']:.1f} papers per CPU-second (backend only, one thread)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
