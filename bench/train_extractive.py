"""Train the extractive TL;DR models and write papers/summaries/extractive_weights.json.

    python -m bench.train_extractive --data /work/shared/data/scitldr/train.jsonl

Only the training split is used: the word model and the listwise candidate ranker are fitted
on it, and 5-fold cross-validation on it reports the expected ROUGE-1 (single reference, so
lower than the multi-reference dev figure printed by bench.summaries).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from papers.summaries.candidates import Document, render
from papers.summaries.features import feature_names, featurise
from papers.summaries.lexicon import WORD_FEATURES, Lexicon, word_features
from papers.summaries.model import WEIGHTS_PATH, Ranker
from papers.summaries.text import tokens

SEED = 0
FOLDS = 5
MIN_DOCS = 20  # a word needs this many training abstracts to get its own IDF / prior entry


@dataclass
class Paper:
    doc: Document
    refs: list[str]
    targets: np.ndarray  # ROUGE-1 F1 of every candidate against its best reference


def rouge1_f1(prediction: str, refs: list[str]) -> float:
    """ROUGE-1 F1 as rouge-score computes it (same tokeniser, no stemming), best reference."""
    pred = Counter(tokens(prediction))
    size, best = sum(pred.values()), 0.0
    for ref in refs:
        ref_counts = Counter(tokens(ref))
        overlap = sum(min(c, pred[t]) for t, c in ref_counts.items())
        if overlap:
            best = max(best, 2.0 * overlap / (size + sum(ref_counts.values())))
    return best


def load_papers(path: Path) -> list[Paper]:
    papers = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            doc = Document(row.get("title", ""), " ".join(row["source"]))
            refs = row["target"]
            targets = np.array([rouge1_f1(render(doc, c), refs) for c in doc.candidates])
            papers.append(Paper(doc, row["target"], targets))
    return papers


# ---------------------------------------------------------------------------- lexicon


def fit_idf(papers: list[Paper]) -> tuple[dict[str, float], float]:
    df: Counter[str] = Counter()
    for p in papers:
        df.update(p.doc.counts.keys())
    n = len(papers)
    idf = {t: math.log(n / c) for t, c in df.items() if c >= MIN_DOCS}
    return idf, math.log(n / MIN_DOCS)


def fit_prior(papers: list[Paper]) -> tuple[dict[str, float], float]:
    """Smoothed log-odds that a word of the abstract is reused in the reference TL;DR."""
    seen: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    for p in papers:
        ref_words = {t for r in p.refs for t in tokens(r)}
        for t in p.doc.counts:
            seen[t] += 1
            kept[t] += t in ref_words
    base = sum(kept.values()) / max(sum(seen.values()), 1)
    prior = {
        t: math.log((kept[t] + 2 * base) / (seen[t] - kept[t] + 2 * (1 - base)))
        for t, c in seen.items()
        if c >= MIN_DOCS
    }
    return prior, math.log(base / (1 - base))


def fit_word_model(papers: list[Paper], lex: Lexicon, l2: float = 1e-3) -> list[float]:
    """Logistic regression (Newton) on word_features: is the word in the reference?"""
    rows, labels = [], []
    for p in papers:
        ref_words = {t for r in p.refs for t in tokens(r)}
        for t, row in word_features(p.doc, lex).items():
            rows.append(row)
            labels.append(t in ref_words)
    x, y = np.array(rows), np.array(labels, dtype=float)
    w = np.zeros(x.shape[1])
    for _ in range(50):
        prob = 1.0 / (1.0 + np.exp(-x @ w))
        grad = x.T @ (prob - y) / len(y) + l2 * w
        hess = (x * (prob * (1 - prob))[:, None]).T @ x / len(y) + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w.tolist()


def fit_lexicon(papers: list[Paper], idf: tuple[dict[str, float], float]) -> Lexicon:
    prior, default_prior = fit_prior(papers)
    lex = Lexicon(idf[0], idf[1], prior, default_prior)
    lex.word_coef = fit_word_model(papers, lex)
    lex.ref_len = float(np.mean([len(tokens(r)) for p in papers for r in p.refs]))
    return lex


# ---------------------------------------------------------------------------- ranker


class Batch:
    """All candidates of many papers stacked, with per-paper segments for the softmax."""

    def __init__(self, rows: list[np.ndarray], targets: list[np.ndarray]) -> None:
        self.x = np.vstack(rows)
        self.y = np.concatenate(targets)
        sizes = np.array([len(t) for t in targets])
        self.starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self.seg = np.repeat(np.arange(len(targets)), sizes)
        self.papers = len(targets)

    def softmax(self, s: np.ndarray) -> np.ndarray:
        e = np.exp(s - np.maximum.reduceat(s, self.starts)[self.seg])
        return e / np.add.reduceat(e, self.starts)[self.seg]

    def chosen_targets(self, s: np.ndarray) -> np.ndarray:
        """Target of the first top-scoring candidate of each paper."""
        out = np.empty(self.papers)
        for i, (a, b) in enumerate(zip(self.starts, [*self.starts[1:], len(s)], strict=True)):
            out[i] = self.y[a + int(np.argmax(s[a:b]))]
        return out


@dataclass
class RankerConfig:
    hidden: int = 16
    l2: float = 1e-3
    epochs: int = 400
    lr: float = 0.01


def fit_ranker(batch: Batch, cfg: RankerConfig) -> Ranker:
    """Maximise the expected F1 of a softmax choice per paper (listwise), with Adam."""
    mean, scale = batch.x.mean(0), batch.x.std(0) + 1e-6
    mean[0], scale[0] = 0.0, 1.0  # keep the bias column
    z = (batch.x - mean) / scale
    rng = np.random.default_rng(SEED)
    params = {
        "w": np.zeros(z.shape[1]),
        "W": rng.normal(0, 1 / math.sqrt(z.shape[1]), (z.shape[1], cfg.hidden)),
        "v": rng.normal(0, 0.1 / math.sqrt(max(cfg.hidden, 1)), cfg.hidden),
    }
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    for step in range(1, cfg.epochs + 1):
        act = np.tanh(z @ params["W"])
        prob = batch.softmax(z @ params["w"] + act @ params["v"])
        expected = np.add.reduceat(prob * batch.y, batch.starts)[batch.seg]
        g = -prob * (batch.y - expected) / batch.papers
        d_act = (g[:, None] * params["v"]) * (1 - act**2)
        grads = {"w": z.T @ g, "W": z.T @ d_act, "v": act.T @ g}
        _adam(params, grads, moments, step, cfg)
    return Ranker(
        mean.tolist(),
        scale.tolist(),
        params["w"].tolist(),
        params["W"].T.tolist(),
        params["v"].tolist(),
    )


def _adam(params: dict, grads: dict, moments: dict, step: int, cfg: RankerConfig) -> None:
    for k, g in grads.items():
        g = g + cfg.l2 * params[k]
        m, v = moments[k]
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        moments[k] = (m, v)
        params[k] -= cfg.lr * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)


def ranker_scores(ranker: Ranker, x: np.ndarray) -> np.ndarray:
    return np.asarray(ranker.scores(x))


# ---------------------------------------------------------------------------- pipeline


def folds(n: int, k: int = FOLDS) -> list[np.ndarray]:
    order = np.random.default_rng(SEED).permutation(n)
    return np.array_split(order, k)


def features(papers: list[Paper], lex: Lexicon) -> list[np.ndarray]:
    return [featurise(p.doc, lex) for p in papers]


def crossfit_features(papers: list[Paper], idf: tuple) -> list[np.ndarray]:
    """Features whose word-model inputs never saw the paper's own reference (no leakage)."""
    out: list[np.ndarray | None] = [None] * len(papers)
    for held in folds(len(papers)):
        held_set = set(held.tolist())
        lex = fit_lexicon([p for i, p in enumerate(papers) if i not in held_set], idf)
        for i, x in zip(held, features([papers[i] for i in held], lex), strict=True):
            out[i] = x
    return out  # type: ignore[return-value]


def train(papers: list[Paper], idf: tuple, cfg: RankerConfig) -> tuple[Lexicon, Ranker]:
    rows = crossfit_features(papers, idf)
    ranker = fit_ranker(Batch(rows, [p.targets for p in papers]), cfg)
    return fit_lexicon(papers, idf), ranker


def cross_validate(papers: list[Paper], idf: tuple, cfg: RankerConfig) -> float:
    scores = []
    for k, held in enumerate(folds(len(papers))):
        held_set = set(held.tolist())
        lex, ranker = train([p for i, p in enumerate(papers) if i not in held_set], idf, cfg)
        test = [papers[i] for i in held]
        batch = Batch(features(test, lex), [p.targets for p in test])
        scores.append(batch.chosen_targets(ranker_scores(ranker, batch.x)).mean() * 100)
        print(f"  fold {k}: R1 {scores[-1]:.2f}", file=sys.stderr, flush=True)
    return float(np.mean(scores))


# ---------------------------------------------------------------------------- output


def _grouped(values: dict[str, float], step: float) -> dict[str, str]:
    """{"2.5": "word word ..."}: words bucketed by rounded value, far smaller than a dict."""
    groups: dict[str, list[str]] = {}
    for word, value in sorted(values.items()):
        groups.setdefault(f"{round(value / step) * step:.2f}", []).append(word)
    return {k: " ".join(v) for k, v in sorted(groups.items(), key=lambda kv: float(kv[0]))}


def _rounded(values: list, digits: int = 4) -> list:
    return [_rounded(v, digits) if isinstance(v, list) else round(v, digits) for v in values]


RANKER_FIELDS = ("mean", "scale", "linear", "hidden", "out")


def weights_json(lex: Lexicon, ranker: Ranker, meta: dict) -> dict:
    return {
        "meta": meta,
        "lexicon": {
            "idf": _grouped(lex.idf, 0.25),
            "default_idf": round(lex.default_idf, 3),
            "prior": _grouped(lex.prior, 0.25),
            "default_prior": round(lex.default_prior, 3),
            "word_coef": _rounded(lex.word_coef),
            "ref_len": round(lex.ref_len, 2),
        },
        "ranker": {k: _rounded(getattr(ranker, k)) for k in RANKER_FIELDS},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="SciTLDR train JSONL")
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--hidden", type=int, default=RankerConfig.hidden)
    parser.add_argument("--no-cv", action="store_true", help="skip cross-validation")
    args = parser.parse_args(argv)
    cfg = RankerConfig(hidden=args.hidden)
    started = time.perf_counter()
    papers = load_papers(args.data)
    idf = fit_idf(papers)
    candidates = sum(len(p.targets) for p in papers)
    print(f"{len(papers)} papers, {candidates} candidates", file=sys.stderr)
    meta = {
        "train_papers": len(papers),
        "features": feature_names(),
        "word_features": list(WORD_FEATURES),
        "hidden": cfg.hidden,
    }
    if not args.no_cv:
        meta["cv_rouge1"] = round(cross_validate(papers, idf, cfg), 2)
        print(f"{FOLDS}-fold CV ROUGE-1 F1 (train, single reference): {meta['cv_rouge1']}")
    lex, ranker = train(papers, idf, cfg)
    args.out.write_text(json.dumps(weights_json(lex, ranker, meta), separators=(",", ":")))
    elapsed = time.perf_counter() - started
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes) in {elapsed:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
