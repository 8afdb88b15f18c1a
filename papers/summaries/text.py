"""Text helpers for the offline summariser: cleaning, sentence splitting, tokenising.

Pure Python (plus segtok); no Django imports so the benchmark and training scripts can use it.
"""

from __future__ import annotations

import re

from segtok.segmenter import split_single

# Abstracts are a few KB; anything far beyond that is a pasted paper body. Cutting early keeps
# every later step (segmenter, candidate scoring, keywords) fast on hostile input.
MAX_INPUT_CHARS = 4000

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"\s+")
# Same token definition as rouge-score, so learned features line up with the metric.
_TOKEN = re.compile(r"[a-z0-9]+")
_ABBREVIATION_END = re.compile(r"\b(?:et al|e\.g|i\.e|vs|cf|etc|Fig|Eq|Sec|resp)\.$")
_YEAR_START = re.compile(r"^\(?\d{4}[a-z]?\)")

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "may",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "thus",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "very",
        "via",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "you",
        "your",
        "yet",
        "i.e",
        "e.g",
    ]
)


def clean(text: str, limit: int = MAX_INPUT_CHARS) -> str:
    """Drop control characters, collapse whitespace and cap the length at a word boundary."""
    if not text:
        return ""
    text = text[: limit * 2]  # cheap pre-cut before the regexes see a huge string
    text = _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()
    if len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[: cut if cut > limit // 2 else limit]
    return text


def split_sentences(text: str) -> list[str]:
    """Split a cleaned abstract into sentences; always returns at least one for non-empty text."""
    if not text:
        return []
    sentences: list[str] = []
    for sentence in split_single(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        # segtok splits after "et al." and similar; such a piece continues the sentence before.
        if sentences and (_ABBREVIATION_END.search(sentences[-1]) or _YEAR_START.match(sentence)):
            sentences[-1] = f"{sentences[-1]} {sentence}"
        else:
            sentences.append(sentence)
    return sentences or [text]


def tokens(text: str) -> list[str]:
    """Lower-case alphanumeric tokens, exactly as rouge-score tokenises (without stemming)."""
    lower = text.lower()
    if lower.isascii() and lower.isalnum():  # a plain word (the common case): skip the regex
        return [lower]
    return _TOKEN.findall(lower)


def content_tokens(text: str) -> list[str]:
    """Tokens that carry meaning: no stopwords, no single characters."""
    return [t for t in tokens(text) if len(t) > 1 and t not in STOPWORDS]
