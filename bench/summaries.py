"""Benchmark a summary backend on SciTLDR: ROUGE-1/2/L F1, keyword quality, papers per second.

    python -m bench.summaries --data /work/shared/data/scitldr/dev.jsonl [--backend extractive]
                              [--out predictions.jsonl] [--no-keywords]

Protocol: rouge-score without stemming; per paper the reference with the best ROUGE-1 F1
against the prediction is chosen and its ROUGE-1/2/L F1 are reported; means over papers x100.
The backend gets the abstract as one string (the `source` sentences joined by spaces), as it
would at run time, and must split sentences itself.

Keywords have no references in SciTLDR, so a proxy is printed: precision, the share of keywords
all of whose content words occur in some reference TL;DR, and recall, the share of the
references' content words that some keyword contains (both means over papers x100).

Speed: one paper is summarised before the clock starts (it loads the model; its CPU time is
printed apart); then all papers are summarised back to back, --repeat times (default 3 for
`extractive`, 1 for others), and the fastest round's wall and CPU time are reported: on a
shared machine the slower rounds measure the neighbours. For `extractive`, further rounds time
the keyword extractor alone. --no-keywords times the TL;DR alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rouge_score.rouge_scorer import RougeScorer

from papers.summaries.text import content_tokens, tokens

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


def keyword_scores(keywords: list[str], refs: list[str]) -> tuple[float, float]:
    """Keyword precision and recall against the reference TL;DRs' content words (see above)."""
    ref_words = {w for ref in refs for w in content_tokens(ref)}
    if not keywords or not ref_words:
        return 0.0, 0.0
    hits = sum(bool(ws) and set(ws) <= ref_words for ws in map(content_tokens, keywords))
    covered = {w for k in keywords for w in tokens(k)}
    return hits / len(keywords), len(ref_words & covered) / len(ref_words)


def warm_up(backend: Any, paper: Paper) -> float:
    """Summarise one paper untimed (loads weights and libraries); its CPU seconds."""
    cpu = time.process_time()
    backend.summarise(title=paper.title, abstract=paper.abstract)
    return time.process_time() - cpu


def time_keywords(papers: list[Paper], rounds: int) -> float:
    """CPU seconds the extractive backend's keyword extractor alone takes (best round)."""
    from papers.summaries.keywords import keywords

    best = float("inf")
    for _ in range(rounds):
        cpu = time.process_time()
        for paper in papers:
            keywords(paper.title, paper.abstract)
        best = min(best, time.process_time() - cpu)
    return best


def summarise_round(backend: Any, papers: list[Paper], progress: bool = False) -> tuple[list, float, float]:
    """Summarise every paper back to back: (summaries, wall seconds, CPU seconds).

    CPU time is reported too because wall time on a shared machine measures the neighbours."""
    summaries = []
    wall, cpu = time.perf_counter(), time.process_time()
    for done, paper in enumerate(papers, start=1):
        summaries.append(backend.summarise(title=paper.title, abstract=paper.abstract))
        if progress and done % PROGRESS_EVERY == 0:
            print(f"  {done}/{len(papers)} papers", file=sys.stderr, flush=True)
    return summaries, time.perf_counter() - wall, time.process_time() - cpu


def run(args: argparse.Namespace) -> dict[str, Any]:
    papers = read_papers(args.data)
    backend = resolve_backend(args.backend, keywords=not args.no_keywords)
    load_cpu = warm_up(backend, papers[0])
    summaries, seconds, cpu_seconds = summarise_round(backend, papers, progress=True)
    for _ in range(args.repeat - 1):  # keep the fastest round: the one neighbours slowed least
        _, wall, cpu = summarise_round(backend, papers)
        seconds, cpu_seconds = min(seconds, wall), min(cpu_seconds, cpu)
    result = score(papers, summaries)
    if args.out:
        rows = [{"paper_id": p.paper_id, "summary": s.text} for p, s in zip(papers, summaries, strict=True)]
        _write_jsonl(args.out, rows)
    result["papers_per_second"] = len(papers) / seconds if seconds else float("inf")
    result["papers_per_cpu_second"] = len(papers) / cpu_seconds if cpu_seconds else float("inf")
    result["load_cpu_ms"] = 1000 * load_cpu
    if args.backend == "extractive" and not args.no_keywords:
        keyword_cpu = time_keywords(papers, args.repeat)
        result["keywords_per_cpu_second"] = len(papers) / keyword_cpu if keyword_cpu else float("inf")
    return result


def score(papers: list[Paper], summaries: list[Any]) -> dict[str, Any]:
    """ROUGE of the TL;DRs, the keyword proxy, and which backend wrote how many summaries."""
    scorer = RougeScorer(list(METRICS), use_stemmer=False)
    totals, keyword_totals, keyword_count = [0.0, 0.0, 0.0], [0.0, 0.0], 0
    # Which backend really wrote each summary: the llm backend falls back to extractive.
    written_by: Counter[str] = Counter()
    for paper, summary in zip(papers, summaries, strict=True):
        written_by[summary.backend] += 1
        for i, value in enumerate(best_reference_scores(scorer, summary.text, paper.references)):
            totals[i] += value
        keyword_count += len(summary.keywords)
        for i, value in enumerate(keyword_scores(summary.keywords, paper.references)):
            keyword_totals[i] += value
    n = len(papers)
    result: dict[str, Any] = {m: 100 * t / n for m, t in zip(METRICS, totals, strict=True)}
    result["papers"] = n
    result["written_by"] = dict(written_by)
    result["keywords_per_paper"] = keyword_count / n
    result["keyword_precision"], result["keyword_recall"] = (100 * t / n for t in keyword_totals)
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
    parser.add_argument(
        "--repeat",
        type=_positive,
        help="timed rounds over the data, the fastest reported (default 3 for extractive, else 1)",
    )
    args = parser.parse_args(argv)
    args.repeat = args.repeat or (3 if args.backend == "extractive" else 1)
    return args


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


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
    if r["keywords_per_paper"]:
        print(
            f"keywords: {r['keywords_per_paper']:.2f} per paper, precision {r['keyword_precision']:.1f}, "
            f"recall {r['keyword_recall']:.1f} (words in the reference TL;DRs)"
        )
    print(
        f"{r['papers_per_second']:.1f} papers/second wall, "
        f"{r['papers_per_cpu_second']:.1f} papers per CPU-second (backend only, one thread, "
        f"best of {args.repeat} round(s); the first call, which loads the model, took "
        f"{r['load_cpu_ms']:.0f} ms CPU and is not counted)"
    )
    if "keywords_per_cpu_second" in r:
        print(f"keywords alone: {r['keywords_per_cpu_second']:.1f} papers per CPU-second")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
