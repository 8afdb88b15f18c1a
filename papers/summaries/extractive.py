"""Offline extractive TL;DR: pick (and trim) the abstract sentence that states the contribution.

Every sentence yields a few candidates: the sentence itself, the sentence without a leading
discourse clause ("In this paper, ..."), without parentheticals, and cut before a trailing
clause. Two small learned models, both trained by bench/train_extractive.py on SciTLDR and
stored in extractive_weights.json, then rank the candidates:

1. a word model estimating, for each word of the abstract, the chance that a human TL;DR
   uses it (from its frequency, the title, position, capitalisation and a per-word prior);
   from it each candidate gets an expected ROUGE-1 F1;
2. a listwise ranker (linear plus a tiny tanh layer) over candidate features: position,
   cue phrases, similarity to title and abstract, length, the kind of trimming, and (1).

Keywords come from yake, post-filtered to 3-8 lower-case, non-overlapping phrases.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .base import Summary
from .text import STOPWORDS, clean, split_sentences, tokens

MAX_CHARS = 300
WEIGHTS_PATH = Path(__file__).with_name("extractive_weights.json")

# Clause boundaries a TL;DR may stop before, grouped so the model can learn which cuts lose
# information ("..., which") and which usually only drop detail ("... by using ...").
CUT_GROUPS: dict[str, tuple[str, ...]] = {
    "rel": ("which", "where", "whereas", "while", "who", "whose"),
    "means": ("by", "using", "through", "via", "with", "based"),
    "conj": ("and", "but", "or"),
    "that": ("that",),
    "purpose": ("to", "for", "so"),
    "prep": ("in", "on", "of", "from", "as", "than", "under", "over", "across", "at", "into"),
    "part": (
        "leading",
        "resulting",
        "allowing",
        "enabling",
        "achieving",
        "outperforming",
        "yielding",
        "showing",
        "making",
        "obtaining",
        "improving",
        "compared",
    ),
    "example": ("such", "including", "e.g.", "i.e.", "like", "namely"),
    "cause": ("when", "since", "because", "due", "thus", "thereby", "hence", "without"),
}
_CUT_WORD = {w: g for g, ws in CUT_GROUPS.items() for w in ws}
_CUT_PUNCT = {",": "comma", ";": "semi", ":": "colon"}
CUT_TYPES = ("none", "comma", "semi", "colon", *CUT_GROUPS)

_CUES: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "propose": r"\bwe (?:propose|present|introduce|develop|describe|design|devise|formulate"
        r"|construct|provide|offer)\b|\b(?:this|our) (?:paper|work) (?:proposes"
        r"|presents|introduces|describes|develops)\b",
        "show": r"\bwe (?:show|demonstrate|prove|find|observe|establish|argue|derive|analy[sz]e"
        r"|study|investigate|explore|identify|examine|report)\b",
        "this_paper": r"\b(?:in|within) (?:this|the present|our) (?:paper|work|study|article"
        r"|note|report)\b",
        "our": r"\bour (?:method|approach|model|algorithm|framework|technique|results?"
        r"|analysis|system|work)\b",
        "novel": r"\b(?:novel|new|first)\b",
        "results": r"\b(?:experiment\w*|results?|outperform\w*|state[- ]of[- ]the[- ]art"
        r"|benchmark\w*|empirical\w*|datasets?|accuracy|achiev\w*|evaluat\w*)\b",
        "problem": r"\b(?:however|but|although|despite|challeng\w*|difficult\w*|limit\w*"
        r"|suffer\w*|fail\w*|problem|issue)\b",
        "background": r"\b(?:recent\w*|existing|previous\w*|prior|traditional\w*|typically"
        r"|common\w*|widely|popular\w*|increasing\w*)\b",
        "code": r"\b(?:code|github|available|open[- ]source|implementation)\b",
        "address": r"\bto (?:address|overcome|tackle|solve|alleviate|mitigate|remedy|bridge"
        r"|fill|close)\b",
        "elaborate": r"^(?:specifically|moreover|furthermore|finally|additionally|also|further"
        r"|in addition|in particular|first|second|third|then|next|lastly)\b",
        "anaphor": r"^(?:this|these|it|they|such|those|its|their)\b",
        "we_start": r"^(?:here,? )?we\b",
        "digit": r"\d",
    }.items()
}
_CUE_INDEX = {name: i for i, name in enumerate(_CUES)}
_THIS_PAPER_LEAD = re.compile(
    r"^(?:in|within|throughout|with) (?:this|the present|our) (?:paper|work|study|note|article"
    r"|report|thesis|abstract)\b,?$"
)
_PAREN = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")
_TRAILING = " ,;:-\u2013\u2014"
_MAX_LEAD_PIECES = 8
_MIN_KEPT_PIECES = 5
_POSITIONS = 5  # one-hot sentence positions 0..3 and "4 or later"


# ---------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class Candidate:
    sentence: int  # index into the document's sentences
    start: int  # first kept piece (whitespace-delimited word with its punctuation)
    end: int  # one past the last kept piece
    drop_paren: bool
    cut: str  # which boundary the end was cut at ("none" when the sentence is kept whole)


class _Sentence:
    """A sentence split into pieces, with per-piece rouge tokens and parenthesis flags."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pieces = text.split(" ")
        self.lower = text.lower()
        self.piece_tokens = [tokens(p) for p in self.pieces]
        self.tokens = [t for ts in self.piece_tokens for t in ts]
        self.counts = Counter(self.tokens)
        self.in_paren = _paren_flags(self.pieces)
        self.cues = [1.0 if rx.search(self.lower) else 0.0 for rx in _CUES.values()]


def _paren_flags(pieces: list[str]) -> list[bool]:
    """Mark pieces inside (...) or [...] so a candidate can drop them without re-tokenising."""
    flags, depth = [], 0
    for piece in pieces:
        opened = piece.count("(") + piece.count("[")
        inside = depth > 0 or (opened > 0 and piece[:1] in "([")
        depth = max(0, depth + opened - piece.count(")") - piece.count("]"))
        flags.append(inside)
    return flags


def _acronym_tokens(sentences: list[_Sentence]) -> set[str]:
    """Tokens written with 2+ capitals (method names like 'BERT' or 'GraphSAGE')."""
    found: set[str] = set()
    for s in sentences:
        for piece, toks in zip(s.pieces, s.piece_tokens, strict=True):
            if toks and sum(c.isupper() for c in piece) >= 2:
                found.update(toks)
    return found


def _content_bigrams(toks: list[str]) -> set[tuple[str, str]]:
    return {(a, b) for a, b in zip(toks, toks[1:], strict=False) if b not in STOPWORDS}


_ACRONYM_DEF = re.compile(r"\((?:[A-Za-z0-9-]*[A-Z][A-Za-z0-9-]*[A-Z][A-Za-z0-9-]*)\)")


class Document:
    """Everything about one abstract that candidate features need, computed once."""

    def __init__(self, title: str, abstract: str) -> None:
        self.title = clean(title, 500)
        text = clean(abstract) or self.title
        self.sentences = [_Sentence(s) for s in split_sentences(text)]
        self.title_tokens = set(tokens(self.title))
        self.counts: Counter[str] = Counter()
        for s in self.sentences:
            self.counts.update(s.counts)
        self.acronyms = _acronym_tokens(self.sentences)
        self.paren_tokens = {
            t
            for s in self.sentences
            for ts, inside in zip(s.piece_tokens, s.in_paren, strict=True)
            if inside
            for t in ts
        }
        self.title_bigrams = _content_bigrams(tokens(self.title))
        per_sentence = (_sentence_candidates(self, i) for i in range(len(self.sentences)))
        self.candidates = [c for cands in per_sentence for c in cands]


def _lead_starts(sentence: _Sentence) -> list[int]:
    """Where a candidate may start: at 0, or after a short leading clause like 'Here,'."""
    starts = [0]
    pieces = sentence.pieces
    for k in range(min(_MAX_LEAD_PIECES, len(pieces) - _MIN_KEPT_PIECES)):
        if pieces[k].endswith(",") and not sentence.in_paren[k]:
            starts.append(k + 1)
            break
        if _THIS_PAPER_LEAD.match(" ".join(pieces[: k + 1]).lower()):
            starts.append(k + 1)
            break
    return starts


def _cut_points(sentence: _Sentence, start: int) -> list[tuple[int, str]]:
    """Ends where a trailing clause begins; the full sentence is always a candidate."""
    pieces = sentence.pieces
    ends = [(len(pieces), "none")]
    for end in range(start + _MIN_KEPT_PIECES, len(pieces) - 1):
        if sentence.in_paren[end - 1]:
            continue
        last, nxt = pieces[end - 1][-1], pieces[end].lower().strip(",;:")
        if last in _CUT_PUNCT:
            ends.append((end, _CUT_PUNCT[last]))
        elif nxt in _CUT_WORD:
            ends.append((end, _CUT_WORD[nxt]))
    return ends


def _sentence_candidates(doc: Document, index: int) -> list[Candidate]:
    sentence = doc.sentences[index]
    paren_options = (False, True) if any(sentence.in_paren) else (False,)
    return [
        Candidate(index, start, end, drop, cut)
        for start in _lead_starts(sentence)
        for end, cut in _cut_points(sentence, start)
        for drop in paren_options
    ]


def render(doc: Document, cand: Candidate, limit: int = MAX_CHARS) -> str:
    """Turn a candidate back into a readable sentence of at most `limit` characters."""
    sentence = doc.sentences[cand.sentence]
    text = " ".join(sentence.pieces[cand.start : cand.end])
    if cand.drop_paren:
        text = _PAREN.sub("", text)
    if cand.cut != "none":
        text = text.rstrip(_TRAILING) + "."
    if cand.drop_paren:  # a dropped "(2018)" at the start leaves ", and ..." behind
        text = text.lstrip(_TRAILING)
    if (cand.start > 0 or cand.drop_paren) and text[:1].islower():
        text = text[0].upper() + text[1:]
    return fit_text(text, limit)


def fit_text(text: str, limit: int = MAX_CHARS) -> str:
    """Cut at a word boundary and mark the cut with an ellipsis, staying within `limit`."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    head = text[: cut if cut > limit // 2 else limit - 1].rstrip(_TRAILING)
    return head + "\u2026"


# ---------------------------------------------------------------------------- lexicon


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
        if s.cues[_CUE_INDEX["propose"]]:
            proposing.update(s.counts)
    last = doc.sentences[-1].counts if n > 1 else {}
    rows = {}
    for t, tf in doc.counts.items():
        stop, title = t in STOPWORDS, t in doc.title_tokens
        rows[t] = [
            1.0,
            math.log(tf),
            float(title),
            first[t],
            float(t in doc.acronyms),
            in_sents[t] / n,
            float(t in proposing),
            float(stop),
            float(t.isdigit()),
            math.log(len(t)),
            lex.prior.get(t, lex.default_prior),
            float(t in lex.prior),
            float(title and stop),
            lex.idf.get(t, lex.default_idf) / 5.0,
            float(first[t] == 0.0),
            float(t in last),
            float(t in doc.paren_tokens),
        ]
    return rows


def word_probabilities(doc: Document, lex: Lexicon) -> dict[str, float]:
    if not lex.word_coef:
        return {t: 0.5 * (t in doc.title_tokens) + 0.1 for t in doc.counts}
    out = {}
    for t, row in word_features(doc, lex).items():
        z = sum(w * x for w, x in zip(lex.word_coef, row, strict=True))
        out[t] = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
    return out


# ---------------------------------------------------------------------------- features

LENGTH_BINS = (8, 12, 16, 20, 24, 28, 34, 40, 50)
_SENT_SIM = ("sim_rest", "sim_title", "sim_all")


def feature_names() -> list[str]:
    names = ["bias", *(f"pos_{i}" for i in range(_POSITIONS)), "rel_pos", "is_last", "log_n_sent"]
    names += [f"cue_{name}" for name in _CUES]
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
    return names


class _Vec:
    """A sparse tf-idf vector (stopwords left out) with its norm computed once."""

    __slots__ = ("weights", "norm")

    def __init__(self, weights: dict[str, float]) -> None:
        self.weights = weights
        self.norm = math.sqrt(sum(v * v for v in weights.values()))

    @classmethod
    def of(cls, toks: list[str] | Counter[str], lex: Lexicon) -> _Vec:
        counts = toks if isinstance(toks, Counter) else Counter(toks)
        idf, default = lex.idf, lex.default_idf
        return cls({t: c * idf.get(t, default) for t, c in counts.items() if t not in STOPWORDS})

    def minus(self, other: _Vec) -> _Vec:
        get = other.weights.get
        return _Vec({t: v - get(t, 0.0) for t, v in self.weights.items()})

    def cosine(self, other: _Vec) -> float:
        if not self.norm or not other.norm:
            return 0.0
        a, b = self.weights, other.weights
        if len(a) > len(b):
            a, b = b, a
        get = b.get
        return sum(v * get(t, 0.0) for t, v in a.items()) / (self.norm * other.norm)


def _expected_f1(toks: list[str], probs: dict[str, float], ref_len: float) -> tuple[float, float]:
    """Expected ROUGE-1 overlap with an unseen TL;DR, and the F1 that overlap implies."""
    overlap = sum(probs.get(t, 0.0) for t in set(toks))
    return overlap, 2.0 * overlap / (len(toks) + ref_len)


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
    """Per-document state shared by all candidate feature rows."""

    doc: Document
    lex: Lexicon
    probs: dict[str, float]
    all_vec: _Vec
    title_vec: _Vec
    sent_rows: list[list[float]] = field(default_factory=list)
    sent_title_sim: list[float] = field(default_factory=list)
    rest_vecs: list[_Vec] = field(default_factory=list)  # abstract minus sentence


def _sentence_rows(ctx: _Context) -> None:
    doc, lex = ctx.doc, ctx.lex
    sims: list[list[float]] = [[], [], []]
    ef1s, rows = [], []
    for i, s in enumerate(doc.sentences):
        vec = _Vec.of(s.counts, lex)
        rest = ctx.all_vec.minus(vec)
        ctx.rest_vecs.append(rest)
        for col, other in zip(sims, (rest, ctx.title_vec, ctx.all_vec), strict=True):
            col.append(vec.cosine(other))
        ef1s.append(_expected_f1(s.tokens, ctx.probs, lex.ref_len)[1])
        rows.append(_sentence_row(ctx, i))
    ef1_top, _ = _rank_columns(ef1s)
    best_ef1 = max(ef1s)
    for i, row in enumerate(rows):
        row += [ef1s[i], ef1_top[i], best_ef1 - ef1s[i]]
        for col in sims:
            top, rank = _rank_columns(col)
            row += [col[i], top[i], rank[i]]
    ctx.sent_rows, ctx.sent_title_sim = rows, sims[1]


def _first_with(doc: Document, cue: str) -> int:
    k = _CUE_INDEX[cue]
    return next((i for i, s in enumerate(doc.sentences) if s.cues[k]), -1)


def _sentence_row(ctx: _Context, i: int) -> list[float]:
    """Position, cue phrases and context of sentence i (no candidate-specific values)."""
    doc, lex = ctx.doc, ctx.lex
    sents, n = doc.sentences, len(doc.sentences)
    s = sents[i]
    cue = _CUE_INDEX
    uniq = [t for t in s.counts if t not in STOPWORDS]
    bigrams = doc.title_bigrams
    pos = [float(min(i, _POSITIONS - 1) == k) for k in range(_POSITIONS)]
    return [
        *pos,
        i / max(n - 1, 1),
        float(i == n - 1 and n > 1),
        math.log(n),
        *s.cues,
        float(i == _first_with(doc, "propose")),
        sents[i - 1].cues[cue["problem"]] if i else 0.0,
        math.log1p(len(s.tokens)),
        float(bool(_ACRONYM_DEF.search(s.text))),
        len(bigrams & _content_bigrams(s.tokens)) / len(bigrams) if bigrams else 0.0,
        sents[i + 1].cues[cue["results"]] if i + 1 < n else 0.0,
        sents[i - 1].cues[cue["propose"]] if i else 0.0,
        sum(lex.idf.get(t, lex.default_idf) for t in uniq) / (len(uniq) or 1) / 5.0,
        sum(ctx.probs.get(t, 0.0) for t in s.counts) / (len(s.counts) or 1),
        float(i == _first_with(doc, "we_start")),
        math.log1p(sum(x.cues[cue["propose"]] for x in sents)),
    ]


def _kept_tokens(sentence: _Sentence, cand: Candidate) -> list[str]:
    out: list[str] = []
    for k in range(cand.start, cand.end):
        if not (cand.drop_paren and sentence.in_paren[k]):
            out.extend(sentence.piece_tokens[k])
    return out


def _candidate_row(ctx: _Context, cand: Candidate) -> list[float]:
    sentence = ctx.doc.sentences[cand.sentence]
    toks = _kept_tokens(sentence, cand)
    n = len(toks)
    chars = sum(len(p) + 1 for p in sentence.pieces[cand.start : cand.end])
    overlap, ef1 = _expected_f1(toks, ctx.probs, ctx.lex.ref_len)
    vec = _Vec.of(toks, ctx.lex)
    sim_title = vec.cosine(ctx.title_vec)
    content = sum(t not in STOPWORDS for t in toks)
    row = [1.0, *ctx.sent_rows[cand.sentence]]
    row += [
        math.log1p(n),
        n / (len(sentence.tokens) or 1),
        float(cand.start > 0),
        float(cand.drop_paren),
        float(chars > MAX_CHARS),
    ]
    row += [float(n <= b) for b in LENGTH_BINS]
    row += [float(cand.cut == t) for t in CUT_TYPES]
    row += [
        ef1,
        0.0,
        0.0,
        overlap,
        vec.cosine(ctx.rest_vecs[cand.sentence]),
        sim_title,
        ctx.sent_title_sim[cand.sentence] - sim_title,
        content / (n or 1),
        sum(t.isdigit() for t in toks) / (n or 1),
    ]
    kept = set(toks)
    removed = [t for t in sentence.counts if t not in kept]
    bigrams = ctx.doc.title_bigrams
    row += [
        2.0 * overlap / (n + 12.0),  # the same expected F1 for shorter and longer TL;DRs
        2.0 * overlap / (n + 30.0),
        sum(ctx.probs.get(t, 0.0) for t in removed),
        math.log1p(len(sentence.tokens) - n),
        len(bigrams & _content_bigrams(toks)) / len(bigrams) if bigrams else 0.0,
    ]
    return row


_EF1_COL = None  # filled lazily: index of "ef1" in feature_names()


def featurise(doc: Document, lex: Lexicon, probs: dict[str, float] | None = None) -> list:
    """One feature row per candidate, in the order of doc.candidates."""
    global _EF1_COL
    if _EF1_COL is None:
        _EF1_COL = feature_names().index("ef1")
    if not doc.candidates:
        return []
    probs = word_probabilities(doc, lex) if probs is None else probs
    all_vec = _Vec.of(doc.counts, lex)
    title_vec = _Vec.of(tokens(doc.title), lex)
    ctx = _Context(doc, lex, probs, all_vec, title_vec)
    _sentence_rows(ctx)
    rows = [_candidate_row(ctx, c) for c in doc.candidates]
    best = max(r[_EF1_COL] for r in rows)
    for r in rows:
        r[_EF1_COL + 1] = float(r[_EF1_COL] == best)
        r[_EF1_COL + 2] = best - r[_EF1_COL]
    return rows


# ---------------------------------------------------------------------------- model


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
        import numpy as np  # lazy: keeps importing this module cheap

        self.mean, self.scale, self.linear = mean, scale, linear
        self.hidden, self.out = hidden or [], out or []
        m, s = np.asarray(mean, dtype=float), np.asarray(scale, dtype=float)
        # Fold the standardisation into the weights once: scoring is then two matrix products.
        lin = np.asarray(linear, dtype=float) / s
        self._w, self._b = lin, -float(lin @ m)
        units = np.asarray(self.hidden, dtype=float).reshape(len(self.hidden), len(mean)) / s
        self._W, self._c = units.T, -(units @ m)
        self._v = np.asarray(self.out, dtype=float)
        self._np = np

    def scores(self, rows: list[list[float]]) -> list[float]:
        x = self._np.asarray(rows, dtype=float)
        s = x @ self._w + self._b
        if len(self._v):
            s = s + self._np.tanh(x @ self._W + self._c) @ self._v
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
    global _MODEL
    if _MODEL is None:
        with _MODEL_LOCK:
            if _MODEL is None:
                _MODEL = load_model()
    return _MODEL


def _fallback_scores(rows: list[list[float]]) -> list[float]:
    """Without weights: prefer the 'we propose' sentence most similar to the title."""
    names = feature_names()
    cols = [names.index(n) for n in ("cue_propose", "sim_title", "pos_0")]
    return [r[cols[0]] + r[cols[1]] + 0.2 * r[cols[2]] for r in rows]


def ranked_candidates(doc: Document, m: Model | None = None) -> list[Candidate]:
    """Candidates from best to worst (ties keep document order)."""
    if not doc.candidates:
        return []
    m = m or model()
    rows = featurise(doc, m.lexicon)
    scores = m.ranker.scores(rows) if m.ranker else _fallback_scores(rows)
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    return [doc.candidates[i] for i in order]


def _has_word(text: str) -> bool:
    return any(c.isalnum() for c in text)


def tldr(title: str, abstract: str) -> str:
    """The TL;DR alone: the best candidate, or the (cut) title when the abstract has no words."""
    doc = Document(title, abstract)
    for cand in ranked_candidates(doc):
        text = render(doc, cand)
        if _has_word(text):  # a trimmed candidate can lose every word on odd input
            return text
    sentences = [s.text for s in doc.sentences if _has_word(s.text)]
    return fit_text(sentences[0] if sentences else doc.title)


# ---------------------------------------------------------------------------- keywords

MAX_KEYWORDS = 8
MIN_KEYWORDS = 3
_KEYWORD_CHARS = 2000  # yake's cost grows with the text; abstracts are mostly shorter
_LATEX = re.compile(r"\$[^$]*\$|\\[a-zA-Z]+|[{}^_~\\]")
_WORD = re.compile(r"[^\W_]+")
_EDGE = re.compile(r"^[^\w]+|[^\w]+$")
_local = threading.local()


def _yake() -> Any:
    """One extractor per thread: yake keeps caches on the instance."""
    extractor = getattr(_local, "yake", None)
    if extractor is None:
        import yake  # imported lazily: it pulls in networkx and numpy

        extractor = _local.yake = yake.KeywordExtractor(lan="en", n=3, top=20)
    return extractor


def keywords(title: str, abstract: str, limit: int = MAX_KEYWORDS) -> list[str]:
    """3-8 lower-case keyphrases of 1-3 words, without near-duplicates."""
    text = clean(_LATEX.sub(" ", f"{title}. {abstract}"), _KEYWORD_CHARS).strip(" .")
    if not _has_word(text):
        return []
    try:
        ranked = [phrase for phrase, _ in _yake().extract_keywords(text)]
    except Exception:  # yake is third-party code: a bad input must not break a page
        ranked = []
    chosen: list[str] = []
    for phrase in ranked:
        _add_keyword(chosen, phrase)
        if len(chosen) == limit:
            return chosen
    for word in _frequent_words(text):
        if len(chosen) >= min(MIN_KEYWORDS, limit):
            break
        _add_keyword(chosen, word)
    return chosen


def _frequent_words(text: str) -> list[str]:
    """Backfill when yake finds fewer than three phrases (short or unusual texts)."""
    words = _WORD.findall(text.lower())
    counts = Counter(w for w in words if len(w) > 2 and w not in STOPWORDS and not w.isdigit())
    return [t for t, _ in counts.most_common(MAX_KEYWORDS)]


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _add_keyword(chosen: list[str], phrase: str) -> None:
    """Append the normalised phrase unless it repeats or overlaps one already chosen."""
    words = [_EDGE.sub("", w) for w in phrase.lower().split()]
    words = [w for w in words if w]
    if not words or len(words) > 3 or all(w in STOPWORDS or w.isdigit() for w in words):
        return
    stems = {_stem(w) for w in words}
    for other in chosen:
        other_stems = {_stem(w) for w in other.split()}
        if stems <= other_stems or other_stems <= stems:
            return
    chosen.append(" ".join(words))


class ExtractiveBackend:
    name = "extractive"

    def __init__(self, keywords: bool = True) -> None:
        self.with_keywords = keywords  # the benchmark times the TL;DR alone with False

    def summarise(self, *, title: str, abstract: str) -> Summary:
        title, abstract = _as_text(title), _as_text(abstract)
        words = keywords(title, abstract) if self.with_keywords else []
        return Summary(text=tldr(title, abstract), keywords=words, backend=self.name)


def _as_text(value: object) -> str:
    """Callers pass str, but a None from a nullable model field should not crash us."""
    return value if isinstance(value, str) else ("" if value is None else str(value))
