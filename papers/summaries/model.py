"""The learned numbers (extractive_weights.json) and the ranker that scores candidates with them.

bench/train_extractive.py fits both on SciTLDR train and writes the file; here it is only read.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .candidates import Candidate, Document
from .features import feature_names, featurise
from .lexicon import WORD_FEATURES, Lexicon

WEIGHTS_PATH = Path(__file__).with_name("extractive_weights.json")


class Ranker:
    """score = w . z + v . tanh(W z), with z the standardised feature row.

    Keeps the stored numbers as given (the trainer serialises them) and scores with numpy.
    """

    def __init__(
        self,
        mean: list[float],
        scale: list[float],
        linear: list[float],
        hidden: list[list[float]] | None = None,
        out: list[float] | None = None,
    ) -> None:
        self.mean, self.scale, self.linear = mean, scale, linear
        self.hidden, self.out = hidden or [], out or []
        m, s = np.asarray(mean, dtype=float), np.asarray(scale, dtype=float)
        # Fold the standardisation into the weights once: scoring is then two matrix products.
        lin = np.asarray(linear, dtype=float) / s
        self._w, self._b = lin, -float(lin @ m)
        units = np.asarray(self.hidden, dtype=float).reshape(len(self.hidden), len(mean)) / s
        self._W, self._c = units.T, -(units @ m)
        self._v = np.asarray(self.out, dtype=float)

    def scores(self, rows: np.ndarray | list[list[float]]) -> list[float]:
        x = np.asarray(rows, dtype=float)
        s = x @ self._w + self._b
        if len(self._v):
            s = s + np.tanh(x @ self._W + self._c) @ self._v
        return s.tolist()


@dataclass
class Model:
    lexicon: Lexicon
    ranker: Ranker | None


_MODEL: Model | None = None
_MODEL_LOCK = threading.Lock()


def load_model(path: Path = WEIGHTS_PATH) -> Model:
    """Parse the weights file; a missing, broken or stale file gives a cue-phrase fallback."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        lexicon = _lexicon_from_json(data["lexicon"])
        # Weights trained for another feature layout would score garbage (or fail on shapes).
        same_layout = data["meta"]["features"] == feature_names()
        if not same_layout or len(lexicon.word_coef) != len(WORD_FEATURES):
            raise ValueError("weights were trained for different features")
        return Model(lexicon, Ranker(**data["ranker"]))
    except (OSError, ValueError, KeyError, TypeError):
        return Model(Lexicon(), None)


def _lexicon_from_json(data: dict[str, Any]) -> Lexicon:
    # Words are stored grouped by a rounded value ("2.5": "word word ...") to stay small.
    idf = {w: float(v) for v, words in data["idf"].items() for w in words.split()}
    prior = {w: float(v) for v, words in data["prior"].items() for w in words.split()}
    defaults = (data["default_idf"], data["default_prior"])
    return Lexicon(idf, defaults[0], prior, defaults[1], data["word_coef"], data["ref_len"])


def model() -> Model:
    """The shipped model, loaded once per process."""
    global _MODEL
    if _MODEL is None:
        with _MODEL_LOCK:
            if _MODEL is None:
                _MODEL = load_model()
    return _MODEL


_FALLBACK_COLUMNS = [feature_names().index(n) for n in ("cue_propose", "sim_title", "pos_0")]


def _fallback_scores(rows: np.ndarray) -> list[float]:
    """Without weights: prefer the 'we propose' sentence most similar to the title."""
    propose, sim_title, first = _FALLBACK_COLUMNS
    return (rows[:, propose] + rows[:, sim_title] + 0.2 * rows[:, first]).tolist()


def ranked_candidates(doc: Document, m: Model | None = None) -> list[Candidate]:
    """Candidates from best to worst (ties keep document order)."""
    if not doc.candidates:
        return []
    m = m or model()
    rows = featurise(doc, m.lexicon)
    scores = m.ranker.scores(rows) if m.ranker else _fallback_scores(rows)
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    return [doc.candidates[i] for i in order]
