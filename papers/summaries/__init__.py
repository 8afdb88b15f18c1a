"""Summariser backends behind one small interface (see base.py), chosen by name.

Importable without Django configured (the benchmark uses it); settings are read
only when no name is given.
"""

from __future__ import annotations

from papers.summaries.base import Summary, SummaryBackend

BACKENDS = ("extractive", "llm")


class UnknownBackendError(ValueError):
    pass


def get_backend(name: str | None = None) -> SummaryBackend:
    """The backend called `name`, or settings.SUMMARY_BACKEND when no name is given."""
    if name is None:
        from django.conf import settings

        name = settings.SUMMARY_BACKEND if settings.configured else "extractive"
    if name == "extractive":
        from papers.summaries.extractive import ExtractiveBackend

        return ExtractiveBackend()
    if name == "llm":
        from papers.summaries.llm import LLMBackend

        return LLMBackend.from_settings()
    raise UnknownBackendError(f"Unknown summary backend {name!r}: choose one of {', '.join(BACKENDS)}.")


__all__ = ["BACKENDS", "Summary", "SummaryBackend", "UnknownBackendError", "get_backend"]
