"""The word model: for each word of an abstract, the chance that a human TL;DR uses it.

Its inputs are the word's frequency, the title, position, capitalisation and learned per-word
statistics (Lexicon). features.py turns the probabilities into an expected ROUGE-1 F1 per
candidate. The layout (WORD_FEATURES) is stored with the weights: changing it means retraining
with bench/train_extractive.py.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .candidates import CUE_INDEX, Document
from .text import STOPWORDS


@dataclass
class Lexicon:
    """Learned word statistics: IDF over abstracts and the prior log-odds of reuse in a TL;DR."""

    idf: dict[str, float] = field(default_factory=dict)
    default_idf: float = 6.0
    prior: dict[str, float] = field(default_factory=dict)
    default_prior: float = -2.0
    word_coef: list[float] = field(default_factory=list)  # word model, see word_features()
    ref_len: float = 20.0  # typical TL;DR length in tokens (for the expected F1)


WORD_FEATURES = (
    "bias",
    "log_tf",
    "in_title",
    "first_pos",
    "acronym",
    "sent_frac",
    "in_propose",
    "stopword",
    "digit",
    "log_len",
    "prior",
    "known",
    "title_stop",
    "idf",
    "in_first",
    "in_last",
    "in_paren",
)


def word_features(doc: Document, lex: Lexicon) -> dict[str, list[float]]:
    """Per distinct word of the abstract: the inputs of the word model (see WORD_FEATURES)."""
    n = len(doc.sentences)
    first: dict[str, float] = {}
    in_sents: Counter[str] = Counter()
    proposing: set[str] = set()
    for i, s in enumerate(doc.sentences):
        for t in s.counts:
            first.setdefault(t, i / max(n - 1, 1))
        in_sents.update(s.counts.keys())
        if s.cues[CUE_INDEX["propose"]]:
            proposing.update(s.counts)
    last = doc.sentences[-1].counts if n > 1 else {}
    prior, idf, log = lex.prior, lex.idf, math.log
    rows = {}
    for t, tf in doc.counts.items():
        stop, title, position = t in STOPWORDS, t in doc.title_tokens, first[t]
        rows[t] = [
            1.0,
            log(tf),
            float(title),
            position,
            float(t in doc.acronyms),
            in_sents[t] / n,
            float(t in proposing),
            float(stop),
            float(t.isdigit()),
            log(len(t)),
            prior.get(t, lex.default_prior),
            float(t in prior),
            float(title and stop),
            idf.get(t, lex.default_idf) / 5.0,
            float(position == 0.0),
            float(t in last),
            float(t in doc.paren_tokens),
        ]
    return rows


def word_probabilities(doc: Document, lex: Lexicon) -> dict[str, float]:
    """P(word is in the TL;DR) for every distinct word of the abstract, in doc.counts order."""
    if not lex.word_coef:
        return {t: 0.5 * (t in doc.title_tokens) + 0.1 for t in doc.counts}
    rows = word_features(doc, lex)
    if not rows:
        return {}
    z = np.asarray(list(rows.values())) @ np.asarray(lex.word_coef)
    probs = 1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0)))
    return dict(zip(rows, probs.tolist(), strict=True))
