"""Shared types for paper summarisers (no Django imports: the benchmark uses these too)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Summary:
    text: str  # the TL;DR, at most 300 characters
    keywords: list[str] = field(default_factory=list)  # lower-case, deduplicated
    backend: str = ""


class SummaryBackend(Protocol):
    name: str

    def summarise(self, *, title: str, abstract: str) -> Summary: ...
