"""Features of TL;DR candidates: one row per candidate for the listwise ranker (model.py).

Per sentence: position, cue phrases, context, similarity to the title and to the rest of the
abstract, and its expected ROUGE-1 F1 under the word model (lexicon.py). Per candidate: length,
the kind of trimming, and again expected F1 and similarities, for the words it keeps.

All rows of a document are computed at once with numpy: count matrices (sentences or
candidates x the document's distinct words) make every per-row sum one matrix product.
The layout (feature_names()) is stored with the weights: changing it means retraining with
bench/train_extractive.py.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import repeat
from operator import mul

import numpy as np

from .candidates import CUE_INDEX, CUES, CUT_TYPES, MAX_CHARS, Candidate, Document, kept_tokens
from .lexicon import Lexicon, word_probabilities
from .text import STOPWORDS, tokens

_POSITIONS = 5  # one-hot sentence positions 0..3 and "4 or later"
LENGTH_BINS = (8, 12, 16, 20, 24, 28, 34, 40, 50)
_SENT_SIM = ("sim_rest", "sim_title", "sim_all")
_ACRONYM_DEF = re.compile(r"\((?:[A-Za-z0-9-]*[A-Z][A-Za-z0-9-]*[A-Z][A-Za-z0-9-]*)\)")


def _feature_names() -> tuple[str, ...]:
    names = ["bias", *(f"pos_{i}" for i in range(_POSITIONS)), "rel_pos", "is_last", "log_n_sent"]
    names += [f"cue_{name}" for name in CUES]
    names += [
        "first_propose",
        "prev_problem",
        "sent_log_len",
        "acronym_def",
        "title_bigrams",
        "next_results",
        "prev_propose",
        "mean_idf",
        "mean_prob",
        "first_we",
        "log_n_propose",
        "sent_ef1",
        "sent_ef1_top",
        "sent_ef1_gap",
    ]
    names += [f"sent_{s}{suffix}" for s in _SENT_SIM for suffix in ("", "_top", "_rank")]
    names += ["log_len", "frac_kept", "lead_dropped", "paren_dropped", "over_limit"]
    names += [f"len_le_{b}" for b in LENGTH_BINS]
    names += [f"cut_{t}" for t in CUT_TYPES]
    names += [
        "ef1",
        "ef1_top",
        "ef1_gap",
        "exp_overlap",
        "sim_rest",
        "sim_title",
        "title_lost",
        "content_ratio",
        "digit_ratio",
        "ef1_short",
        "ef1_long",
        "removed_mass",
        "log_removed",
        "cand_title_bigrams",
    ]
    return tuple(names)


_FEATURE_NAMES = _feature_names()
_COL = {name: i for i, name in enumerate(_FEATURE_NAMES)}
_CUT_INDEX = {cut: i for i, cut in enumerate(CUT_TYPES)}


def feature_names() -> list[str]:
    """Column names of featurise() rows, in order."""
    return list(_FEATURE_NAMES)


def _tf_idf(counts: Counter[str], lex: Lexicon) -> dict[str, float]:
    """Sparse tf-idf weights, stopwords left out."""
    idf, default = lex.idf, lex.default_idf
    return {t: c * idf.get(t, default) for t, c in counts.items() if t not in STOPWORDS}


class _Vec:
    """A sparse tf-idf vector with its norm, for the few per-sentence similarities.

    Sentences are compared in plain Python, in a fixed order of summation, because their
    similarities are also ranked: two sentences tie exactly more often than candidates do, and
    the same sums in another order could break such a tie the other way."""

    __slots__ = ("weights", "norm")

    def __init__(self, weights: dict[str, float]) -> None:
        self.weights = weights
        self.norm = math.sqrt(sum(map(mul, weights.values(), weights.values())))

    def minus(self, other: _Vec) -> _Vec:
        get = other.weights.get
        return _Vec({t: v - get(t, 0.0) for t, v in self.weights.items()})

    def cosine(self, other: _Vec) -> float:
        if not self.norm or not other.norm:
            return 0.0
        a, b = self.weights, other.weights
        if len(a) > len(b):
            a, b = b, a
        return sum(map(mul, a.values(), map(b.get, a, repeat(0.0)))) / (self.norm * other.norm)


class _Words:
    """The document's distinct words as matrix columns, with per-word and per-sentence arrays."""

    def __init__(self, doc: Document, lex: Lexicon, probs: dict[str, float]) -> None:
        words = list(doc.counts)
        index = {t: i for i, t in enumerate(words)}
        idf, default = lex.idf, lex.default_idf
        self.size = len(words)
        self.weight = np.array([0.0 if t in STOPWORDS else idf.get(t, default) for t in words])
        self.content = np.array([float(t not in STOPWORDS) for t in words])
        self.digit = np.array([float(t.isdigit()) for t in words])
        self.prob = np.array([probs.get(t, 0.0) for t in words])
        # The title's tf-idf vector; its norm also counts title words the abstract lacks.
        self.title_weights = _tf_idf(Counter(tokens(doc.title)), lex)
        self.title = np.array([self.title_weights.get(t, 0.0) for t in words])
        self.title_norm = _Vec(self.title_weights).norm
        # Per sentence: its token columns, and which tokens sit inside parentheses.
        self.ids = [np.array([index[t] for t in s.tokens], dtype=np.intp) for s in doc.sentences]
        self.in_paren = [
            np.repeat(np.array(s.in_paren, dtype=bool), [len(ts) for ts in s.piece_tokens])
            for s in doc.sentences
        ]
        self.sentence_counts = self.count_rows(self.ids)
        totals = np.array([doc.counts[t] for t in words], dtype=float)
        self.rest = (totals - self.sentence_counts) * self.weight  # abstract minus each sentence
        self.rest_norm = np.sqrt(np.einsum("ij,ij->i", self.rest, self.rest))

    def count_rows(self, columns: list[np.ndarray]) -> np.ndarray:
        """One row of word counts per list of token columns."""
        sizes = [len(c) for c in columns]
        flat = np.concatenate(columns) if columns else np.zeros(0, dtype=np.intp)
        cells = np.repeat(np.arange(len(columns)) * self.size, sizes) + flat
        counts = np.bincount(cells, minlength=len(columns) * self.size)
        return counts.reshape(len(columns), self.size).astype(float)


def _cosines(
    weights: np.ndarray, norms: np.ndarray, others: np.ndarray, other_norms: np.ndarray | float
) -> np.ndarray:
    """Row-wise cosine similarity, 0 where either vector is empty."""
    dots = weights @ others if others.ndim == 1 else np.einsum("ij,ij->i", weights, others)
    denominators = norms * other_norms
    return np.divide(dots, denominators, out=np.zeros_like(dots), where=denominators > 0)


def _rank_columns(values: list[float]) -> tuple[list[float], list[float]]:
    """Per value: is it the maximum (first one on ties), and its rank scaled to [0, 1]."""
    n = len(values)
    order = sorted(range(n), key=lambda i: (-values[i], i))
    rank = [0.0] * n
    for r, i in enumerate(order):
        rank[i] = r / max(n - 1, 1)
    top = [float(i == order[0]) for i in range(n)]
    return top, rank


@dataclass
class _Context:
    """Per-document state shared by the sentence and candidate rows."""

    doc: Document
    lex: Lexicon
    probs: dict[str, float]
    words: _Words
    sent_rows: list[list[float]] = field(default_factory=list)
    sent_title_sim: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _sentence_rows(ctx: _Context) -> None:
    doc, lex, probs = ctx.doc, ctx.lex, ctx.probs
    all_vec, title_vec = _Vec(_tf_idf(doc.counts, lex)), _Vec(ctx.words.title_weights)
    sims: list[list[float]] = [[], [], []]
    ef1s = []
    for s in doc.sentences:
        vec = _Vec(_tf_idf(s.counts, lex))
        rest = all_vec.minus(vec)  # the abstract without this sentence
        for col, other in zip(sims, (rest, title_vec, all_vec), strict=True):
            col.append(vec.cosine(other))
        # Distinct words in order of first use: a set would sum in an order that changes with
        # the process's string hashing, and so would the last bits of the feature.
        overlap = sum(map(probs.get, s.counts, repeat(0.0)))  # see _candidate_columns
        ef1s.append(2.0 * overlap / (len(s.tokens) + lex.ref_len))
    firsts = (doc.first_with("propose"), doc.first_with("we_start"))
    rows = [_sentence_row(ctx, i, firsts) for i in range(len(doc.sentences))]
    ef1_top, _ = _rank_columns(ef1s)
    best_ef1 = max(ef1s)
    ranked = [(col, *_rank_columns(col)) for col in sims]
    for i, row in enumerate(rows):
        row += [ef1s[i], ef1_top[i], best_ef1 - ef1s[i]]
        for col, top, rank in ranked:
            row += [col[i], top[i], rank[i]]
    ctx.sent_rows, ctx.sent_title_sim = rows, np.array(sims[1])


def _sentence_row(ctx: _Context, i: int, firsts: tuple[int, int]) -> list[float]:
    """Position, cue phrases and context of sentence i (no candidate-specific values).

    `firsts`: the first sentence with a "propose" cue and the first starting with "we"."""
    doc, lex = ctx.doc, ctx.lex
    sents, n = doc.sentences, len(doc.sentences)
    s = sents[i]
    cue = CUE_INDEX
    uniq = [t for t in s.counts if t not in STOPWORDS]
    bigrams = doc.title_bigrams
    pos = [float(min(i, _POSITIONS - 1) == k) for k in range(_POSITIONS)]
    return [
        *pos,
        i / max(n - 1, 1),
        float(i == n - 1 and n > 1),
        math.log(n),
        *s.cues,
        float(i == firsts[0]),
        sents[i - 1].cues[cue["problem"]] if i else 0.0,
        math.log1p(len(s.tokens)),
        float(bool(_ACRONYM_DEF.search(s.text))),
        _bigram_share(bigrams, s.tokens),
        sents[i + 1].cues[cue["results"]] if i + 1 < n else 0.0,
        sents[i - 1].cues[cue["propose"]] if i else 0.0,
        sum(lex.idf.get(t, lex.default_idf) for t in uniq) / (len(uniq) or 1) / 5.0,
        sum(ctx.probs.get(t, 0.0) for t in s.counts) / (len(s.counts) or 1),
        float(i == firsts[1]),
        math.log1p(sum(x.cues[cue["propose"]] for x in sents)),
    ]


def _candidate_tokens(words: _Words, doc: Document) -> list[np.ndarray]:
    """The token columns each candidate keeps."""
    out = []
    for cand in doc.candidates:
        starts = doc.sentences[cand.sentence].token_starts
        a, b = starts[cand.start], starts[cand.end]
        ids = words.ids[cand.sentence][a:b]
        out.append(ids[~words.in_paren[cand.sentence][a:b]] if cand.drop_paren else ids)
    return out


def _candidate_rows(ctx: _Context) -> np.ndarray:
    doc, cands, words = ctx.doc, ctx.doc.candidates, ctx.words
    counts = words.count_rows(_candidate_tokens(words, doc))
    sent = np.array([c.sentence for c in cands], dtype=np.intp)
    x = np.empty((len(cands), len(_FEATURE_NAMES)))
    x[:, 0] = 1.0
    x[:, 1 : 1 + len(ctx.sent_rows[0])] = np.array(ctx.sent_rows)[sent]
    for name, values in _candidate_columns(ctx, words, counts, sent).items():
        x[:, _COL[name]] = values
    n = counts.sum(axis=1)
    first = _COL[f"len_le_{LENGTH_BINS[0]}"]
    x[:, first : first + len(LENGTH_BINS)] = n[:, None] <= np.array(LENGTH_BINS)
    first = _COL[f"cut_{CUT_TYPES[0]}"]
    x[:, first : first + len(CUT_TYPES)] = 0.0
    x[np.arange(len(cands)), first + np.array([_CUT_INDEX[c.cut] for c in cands])] = 1.0
    return x


def _candidate_columns(
    ctx: _Context, words: _Words, counts: np.ndarray, sent: np.ndarray
) -> dict[str, object]:
    """The candidate-specific columns; `counts` has one row of word counts per candidate."""
    doc, cands = ctx.doc, ctx.doc.candidates
    n = counts.sum(axis=1)
    n_or_1 = np.maximum(n, 1.0)
    sent_len = np.array([len(s.tokens) for s in doc.sentences], dtype=float)[sent]
    kept = counts > 0
    overlap = kept @ words.prob  # expected number of the TL;DR's words the candidate has
    weights = counts * words.weight
    norms = np.sqrt(np.einsum("ij,ij->i", weights, weights))
    sim_title = _cosines(weights, norms, words.title, words.title_norm)
    ef1 = 2.0 * overlap / (n + ctx.lex.ref_len)
    return {
        "log_len": np.log1p(n),
        "frac_kept": n / np.maximum(sent_len, 1.0),
        "lead_dropped": [float(c.start > 0) for c in cands],
        "paren_dropped": [float(c.drop_paren) for c in cands],
        "over_limit": [float(_chars(doc, c) > MAX_CHARS) for c in cands],
        "ef1": ef1,
        "ef1_top": ef1 == ef1.max(),
        "ef1_gap": ef1.max() - ef1,
        "exp_overlap": overlap,
        "sim_rest": _cosines(weights, norms, words.rest[sent], words.rest_norm[sent]),
        "sim_title": sim_title,
        "title_lost": ctx.sent_title_sim[sent] - sim_title,
        "content_ratio": counts @ words.content / n_or_1,
        "digit_ratio": counts @ words.digit / n_or_1,
        "ef1_short": 2.0 * overlap / (n + 12.0),  # the expected F1 for shorter and longer TL;DRs
        "ef1_long": 2.0 * overlap / (n + 30.0),
        "removed_mass": ((words.sentence_counts[sent] > 0) & ~kept) @ words.prob,
        "log_removed": np.log1p(sent_len - n),
        "cand_title_bigrams": _title_bigram_shares(doc),
    }


def _chars(doc: Document, cand: Candidate) -> int:
    """Characters of the kept pieces, a space after each (before dropping parentheses)."""
    pieces = doc.sentences[cand.sentence].pieces[cand.start : cand.end]
    return sum(map(len, pieces)) + len(pieces)


def _title_bigram_shares(doc: Document) -> list[float]:
    """Per candidate: the share of the title's content bigrams that it contains."""
    bigrams = doc.title_bigrams
    if not bigrams:
        return [0.0] * len(doc.candidates)
    # Where each sentence has a title bigram (token index of its first word): a candidate
    # without dropped parentheses is one run of tokens, so it contains those in its range.
    hits = [
        [(k, pair) for k, pair in enumerate(zip(s.tokens, s.tokens[1:], strict=False)) if pair in bigrams]
        for s in doc.sentences
    ]
    shares = []
    for cand in doc.candidates:
        sentence = doc.sentences[cand.sentence]
        if cand.drop_paren:
            shares.append(_bigram_share(bigrams, kept_tokens(sentence, cand)))
            continue
        a, b = sentence.token_starts[cand.start], sentence.token_starts[cand.end]
        found = {pair for k, pair in hits[cand.sentence] if a <= k < b - 1}
        shares.append(len(found) / len(bigrams))
    return shares


def _bigram_share(bigrams: set[tuple[str, str]], toks: list[str]) -> float:
    """Share of the (title's content) bigrams that the tokens contain."""
    if not bigrams:
        return 0.0
    # Title bigrams end in a content word already, so a plain membership test suffices.
    found = {pair for pair in zip(toks, toks[1:], strict=False) if pair in bigrams}
    return len(found) / len(bigrams)


def featurise(doc: Document, lex: Lexicon, probs: dict[str, float] | None = None) -> np.ndarray:
    """One feature row per candidate (columns: feature_names()), in the order of doc.candidates."""
    if not doc.candidates:
        return np.zeros((0, len(_FEATURE_NAMES)))
    probs = word_probabilities(doc, lex) if probs is None else probs
    ctx = _Context(doc, lex, probs, _Words(doc, lex, probs))
    _sentence_rows(ctx)
    return _candidate_rows(ctx)
