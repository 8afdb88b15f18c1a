"""Offline extractive TL;DR: pick (and trim) the abstract sentence that states the contribution.

The pieces, in the order they run:
- text.py: cleaning, sentence splitting, tokens;
- candidates.py: the abstract split into sentences, each into trimmed candidate TL;DRs;
- lexicon.py: the word model (how likely a TL;DR reuses each word of the abstract);
- features.py: one feature row per candidate;
- model.py: the learned numbers (extractive_weights.json, written by bench/train_extractive.py)
  and the ranker that scores the rows;
- keywords.py: 3-8 keyphrases (YAKE!, via yake-rust).
This module puts them together behind the SummaryBackend interface (see base.py).
"""

from __future__ import annotations

from .base import Summary
from .candidates import MAX_CHARS, Document, fit_text, render
from .keywords import keywords
from .model import load_model, ranked_candidates

__all__ = ["MAX_CHARS", "ExtractiveBackend", "keywords", "load_model", "tldr"]


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
