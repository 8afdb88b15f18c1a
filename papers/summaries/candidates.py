"""TL;DR candidates: an abstract split into sentences, each sentence into trimmed variants.

Every sentence yields a few candidates: the sentence itself, the sentence without a leading
discourse clause ("In this paper, ..."), without parentheticals, and cut before a trailing
clause. features.py describes them, model.py ranks them, render() turns the winner into text.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple

from .text import STOPWORDS, clean, split_sentences, tokens

MAX_CHARS = 300

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

# Cue phrases, flagged once per sentence; the order is part of the learned feature layout.
CUES: dict[str, re.Pattern[str]] = {
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
CUE_INDEX = {name: i for i, name in enumerate(CUES)}

_THIS_PAPER_LEAD = re.compile(
    r"^(?:in|within|throughout|with) (?:this|the present|our) (?:paper|work|study|note|article"
    r"|report|thesis|abstract)\b,?$"
)
_PAREN = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")
_TRAILING = " ,;:-\u2013\u2014"
_MAX_LEAD_PIECES = 8
_MIN_KEPT_PIECES = 5


class Candidate(NamedTuple):  # not a frozen dataclass: tuples are cheaper to make (~60 a paper)
    sentence: int  # index into the document's sentences
    start: int  # first kept piece (whitespace-delimited word with its punctuation)
    end: int  # one past the last kept piece
    drop_paren: bool
    cut: str  # which boundary the end was cut at ("none" when the sentence is kept whole)


class Sentence:
    """A sentence split into pieces, with per-piece rouge tokens and parenthesis flags."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pieces = text.split(" ")
        self.lower = text.lower()
        self.piece_tokens = [tokens(p) for p in self.pieces]
        self.tokens = [t for ts in self.piece_tokens for t in ts]
        # token_starts[k]: index in self.tokens of piece k's first token (one extra at the end),
        # so the tokens of a run of pieces are one slice.
        self.token_starts = [0]
        for ts in self.piece_tokens:
            self.token_starts.append(self.token_starts[-1] + len(ts))
        self.counts = Counter(self.tokens)
        self.in_paren = _paren_flags(text, self.pieces)
        self.cues = [1.0 if rx.search(self.lower) else 0.0 for rx in CUES.values()]


def _paren_flags(text: str, pieces: list[str]) -> list[bool]:
    """Mark pieces inside (...) or [...] so a candidate can drop them without re-tokenising."""
    if "(" not in text and "[" not in text:  # most sentences: nothing can be inside
        return [False] * len(pieces)
    flags, depth = [], 0
    for piece in pieces:
        opened = piece.count("(") + piece.count("[")
        inside = depth > 0 or (opened > 0 and piece[:1] in "([")
        depth = max(0, depth + opened - piece.count(")") - piece.count("]"))
        flags.append(inside)
    return flags


def _acronym_tokens(sentences: list[Sentence]) -> set[str]:
    """Tokens written with 2+ capitals (method names like 'BERT' or 'GraphSAGE')."""
    found: set[str] = set()
    for s in sentences:
        for piece, toks in zip(s.pieces, s.piece_tokens, strict=True):
            if toks and sum(map(str.isupper, piece)) >= 2:
                found.update(toks)
    return found


def content_bigrams(toks: list[str]) -> set[tuple[str, str]]:
    return {(a, b) for a, b in zip(toks, toks[1:], strict=False) if b not in STOPWORDS}


class Document:
    """Everything about one abstract that candidate features need, computed once."""

    def __init__(self, title: str, abstract: str) -> None:
        self.title = clean(title, 500)
        text = clean(abstract) or self.title
        self.sentences = [Sentence(s) for s in split_sentences(text)]
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
        self.title_bigrams = content_bigrams(tokens(self.title))
        per_sentence = (_sentence_candidates(self, i) for i in range(len(self.sentences)))
        self.candidates = [c for cands in per_sentence for c in cands]

    def first_with(self, cue: str) -> int:
        """Index of the first sentence with the cue phrase, or -1."""
        k = CUE_INDEX[cue]
        return next((i for i, s in enumerate(self.sentences) if s.cues[k]), -1)


def kept_tokens(sentence: Sentence, cand: Candidate) -> list[str]:
    """The rouge tokens a candidate keeps from its sentence."""
    if not cand.drop_paren:
        return sentence.tokens[sentence.token_starts[cand.start] : sentence.token_starts[cand.end]]
    out: list[str] = []
    for k in range(cand.start, cand.end):
        if not sentence.in_paren[k]:
            out.extend(sentence.piece_tokens[k])
    return out


def _lead_starts(sentence: Sentence) -> list[int]:
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


def _cut_points(sentence: Sentence, start: int) -> list[tuple[int, str]]:
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
