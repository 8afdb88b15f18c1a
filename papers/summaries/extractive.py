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
    "part": ("leading", "resulting", "allowing", "enabling", "achieving", "outperforming",
             "yielding", "showing", "making", "obtaining", "improving", "compared"),
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
        for piece, toks in zip(s.pieces, s.piece_tokens):
            if toks and sum(c.isupper() for c in piece) >= 2:
                found.update(toks)
    return found


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
        self.candidates = [
            c for i in range(len(self.sentences)) for c in _sentence_candidates(self, i)
        ]


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
    if cand.start > 0 and text[:1].islower():
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


WORD_FEATURES = ("bias", "log_tf", "in_title", "first_pos", "acronym", "sent_frac",
                 "in_propose", "stopword", "digit", "log_len", "prior", "known", "title_stop")


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
    rows = {}
    for t, tf in doc.counts.items():
        stop, title = t in STOPWORDS, t in doc.title_tokens
        rows[t] = [1.0, math.log(tf), float(title), first[t], float(t in doc.acronyms),
                   in_sents[t] / n, float(t in proposing), float(stop), float(t.isdigit()),
                   math.log(len(t)), lex.prior.get(t, lex.default_prior),
                   float(t in lex.prior), float(title and stop)]
    return rows


def word_probabilities(doc: Document, lex: Lexicon) -> dict[str, float]:
    if not lex.word_coef:
        return {t: 0.5 * (t in doc.title_tokens) + 0.1 for t in doc.counts}
    out = {}
    for t, row in word_features(doc, lex).items():
        z = sum(w * x for w, x in zip(lex.word_coef, row))
        out[t] = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
    return out


# ---------------------------------------------------------------------------- features

LENGTH_BINS = (8, 12, 16, 20, 24, 28, 34, 40, 50)
_SENT_SIM = ("sim_rest", "sim_title", "sim_all")


def feature_names() -> list[str]:
    names = ["bias", *(f"pos_{i}" for i in range(_POSITIONS)), "rel_pos", "is_last", "log_n_sent"]
    names += [f"cue_{name}" for name in _CUES]
    names += ["first_propose", "prev_problem", "sent_log_len", "sent_ef1", "sent_ef1_top",
              "sent_ef1_gap"]
    names += [f"sent_{s}{suffix}" for s in _SENT_SIM for suffix in ("", "_top", "_rank")]
    names += ["log_len", "frac_kept", "lead_dropped", "paren_dropped", "over_limit"]
    names += [f"len_le_{b}" for b in LENGTH_BINS]
    names += [f"cut_{t}" for t in CUT_TYPES]
    names += ["ef1", "ef1_top", "ef1_gap", "exp_overlap", "sim_rest", "sim_title",
              "title_lost", "content_ratio", "digit_ratio"]
    return names


def _vector(toks: list[str] | Counter[str], idf: dict[str, float], default: float) -> dict:
    counts = toks if isinstance(toks, Counter) else Counter(toks)
    return {t: c * idf.get(t, default) for t, c in counts.items() if t not in STOPWORDS}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(t, 0.0) for t, v in a.items())
    norm = math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


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
    all_vec: dict[str, float]
    title_vec: dict[str, float]
    sent_rows: list[list[float]] = field(default_factory=list)
    sent_title_sim: list[float] = field(default_factory=list)


def _sentence_rows(ctx: _Context) -> None:
    doc, lex = ctx.doc, ctx.lex
    n = len(doc.sentences)
    sims: list[list[float]] = [[], [], []]
    ef1s, first_propose, rows = [], -1, []
    for i, s in enumerate(doc.sentences):
        vec = _vector(s.counts, lex.idf, lex.default_idf)
        rest = {t: v - vec.get(t, 0.0) for t, v in ctx.all_vec.items()}
        for col, other in zip(sims, (rest, ctx.title_vec, ctx.all_vec)):
            col.append(_cosine(vec, other))
        ef1s.append(_expected_f1(s.tokens, ctx.probs, lex.ref_len)[1])
        if s.cues[_CUE_INDEX["propose"]] and first_propose < 0:
            first_propose = i
        prev_problem = doc.sentences[i - 1].cues[_CUE_INDEX["problem"]] if i else 0.0
        pos = [float(min(i, _POSITIONS - 1) == k) for k in range(_POSITIONS)]
        rows.append([*pos, i / max(n - 1, 1), float(i == n - 1 and n > 1), math.log(n), *s.cues,
                     float(i == first_propose), prev_problem, math.log1p(len(s.tokens))])
    ef1_top, _ = _rank_columns(ef1s)
    best_ef1 = max(ef1s)
    for i, row in enumerate(rows):
        row += [ef1s[i], ef1_top[i], best_ef1 - ef1s[i]]
        for col in sims:
            top, rank = _rank_columns(col)
            row += [col[i], top[i], rank[i]]
    ctx.sent_rows, ctx.sent_title_sim = rows, sims[1]


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
    vec = _vector(toks, ctx.lex.idf, ctx.lex.default_idf)
    sentence_vec = _vector(sentence.counts, ctx.lex.idf, ctx.lex.default_idf)
    rest = {t: v - sentence_vec.get(t, 0.0) for t, v in ctx.all_vec.items()}
    sim_title = _cosine(vec, ctx.title_vec)
    content = sum(t not in STOPWORDS for t in toks)
    row = [1.0, *ctx.sent_rows[cand.sentence]]
    row += [math.log1p(n), n / (len(sentence.tokens) or 1), float(cand.start > 0),
            float(cand.drop_paren), float(chars > MAX_CHARS)]
    row += [float(n <= b) for b in LENGTH_BINS]
    row += [float(cand.cut == t) for t in CUT_TYPES]
    row += [ef1, 0.0, 0.0, overlap, _cosine(vec, rest), sim_title,
            ctx.sent_title_sim[cand.sentence] - sim_title, content / (n or 1),
            sum(t.isdigit() for t in toks) / (n or 1)]
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
    all_vec = _vector(doc.counts, lex.idf, lex.default_idf)
    title_vec = _vector(tokens(doc.title), lex.idf, lex.default_idf)
    ctx = _Context(doc, lex, probs, all_vec, title_vec)
    _sentence_rows(ctx)
    rows = [_candidate_row(ctx, c) for c in doc.candidates]
    best = max(r[_EF1_COL] for r in rows)
    for r in rows:
        r[_EF1_COL + 1] = float(r[_EF1_COL] == best)
        r[_EF1_COL + 2] = best - r[_EF1_COL]
    return rows


# ---------------------------------------------------------------------------- model


@dataclass
class Ranker:
    """score = w . z + v . tanh(W z), with z the standardised feature row."""

    mean: list[float]
    scale: list[float]
    linear: list[float]
    hidden: list[list[float]] = field(default_factory=list)  # one row of weights per unit
    out: list[float] = field(default_factory=list)

    def score(self, row: list[float]) -> float:
        z = [(x - m) / s for x, m, s in zip(row, self.mean, self.scale)]
        total = sum(w * x for w, x in zip(self.linear, z))
        for unit, v in zip(self.hidden, self.out):
            total += v * math.tanh(sum(w * x for w, x in zip(unit, z)))
        return total


@dataclass
class Model:
    lexicon: Lexicon
    ranker: Ranker | None


_MODEL: Model | None = None
_MODEL_LOCK = threading.Lock()


def load_model(path: Path = WEIGHTS_PATH) -> Model:
    """Parse the weights file; a missing or broken file gives a cue-phrase fallback."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Model(_lexicon_from_json(data["lexicon"]), Ranker(**data["ranker"]))
    except (OSError, ValueError, KeyError, TypeError):
        return Model(Lexicon(), None)


def _lexicon_from_json(data: dict[str, Any]) -> Lexicon:
    # Words are stored grouped by a rounded value ("2.5": "word word ...") to stay small.
    idf = {w: float(v) for v, words in data["idf"].items() for w in words.split()}
    prior = {w: float(v) for v, words in data["prior"].items() for w in words.split()}
    return Lexicon(idf, data["default_idf"], prior, data["default_prior"], data["word_coef"],
                   data["ref_len"])


def model() -> Model:
    global _MODEL
    if _MODEL is None:
        with _MODEL_LOCK:
            if _MODEL is None:
                _MODEL = load_model()
    return _MODEL


def _fallback_score(row: list[float]) -> float:
    names = feature_names()
    return row[names.index("cue_propose")] + row[names.index("sim_title")] + row[
        names.index("pos_0")] * 0.2


def best_candidate(doc: Document, m: Model | None = None) -> Candidate | None:
    if not doc.candidates:
        return None
    m = m or model()
    rows = featurise(doc, m.lexicon)
    score = m.ranker.score if m.ranker else _fallback_score
    scores = [score(r) for r in rows]
    return doc.candidates[max(range(len(scores)), key=scores.__getitem__)]


def tldr(title: str, abstract: str) -> str:
    """The TL;DR alone: the best candidate, or the (cut) title when the abstract has no words."""
    doc = Document(title, abstract)
    best = best_candidate(doc)
    return render(doc, best) if best else fit_text(doc.title)


# ---------------------------------------------------------------------------- keywords

MAX_KEYWORDS = 8
MIN_KEYWORDS = 3
_KEYWORD_CHARS = 3000  # yake's cost grows with the text; the first 3000 characters suffice
_LATEX = re.compile(r"\$[^$]*\$|\\[a-zA-Z]+|[{}^_~\\]")
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
    if not tokens(text):
        return []
    try:
        ranked = [phrase for phrase, _ in _yake().extract_keywords(text)]
    except Exception:  # yake is third-party code: a bad input must not break a page
        ranked = []
    chosen: list[str] = []
    for phrase in ranked + _frequent_words(text):
        _add_keyword(chosen, phrase)
        if len(chosen) == limit:
            break
    return chosen


def _frequent_words(text: str) -> list[str]:
    """Backfill for short texts where yake finds fewer than three phrases."""
    counts = Counter(t for t in tokens(text) if len(t) > 2 and t not in STOPWORDS)
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
