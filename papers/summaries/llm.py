"""TL;DR and keywords from any OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, llama.cpp).

The answer is asked for as JSON and validated; on any failure (not configured,
unreachable, timeout, HTTP error, invalid JSON, a TL;DR too long, too few
keywords) the extractive backend writes the summary instead, and the returned
Summary.backend says which one did.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from papers.summaries.base import Summary, SummaryBackend

logger = logging.getLogger(__name__)

MAX_TLDR_CHARS = 300
MIN_KEYWORDS, MAX_KEYWORDS = 3, 8
MAX_ABSTRACT_CHARS = 6000  # a long abstract is cut before it is sent

SYSTEM_PROMPT = (
    "You write TL;DRs of research papers for a reading group. Answer with one JSON object "
    'and nothing else, of the form {"tldr": "...", "keywords": ["...", "..."]}. '
    f"The tldr is one or two plain sentences, at most {MAX_TLDR_CHARS} characters, saying what "
    f"the paper does and what it finds. The keywords are {MIN_KEYWORDS} to {MAX_KEYWORDS} short "
    "lower-case key phrases naming its topics and methods."
)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


class InvalidAnswer(ValueError):
    pass


def parse_answer(content: Any) -> tuple[str, list[str]]:
    """(tldr, keywords) from the model's answer, or InvalidAnswer."""
    if not isinstance(content, str) or not content.strip():
        raise InvalidAnswer("empty answer")
    text = _FENCE.sub("", content.strip())
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise InvalidAnswer("no JSON object in the answer")
    try:
        data = json.loads(text[start : end + 1])
    except ValueError as error:
        raise InvalidAnswer(f"invalid JSON: {error}") from error
    if not isinstance(data, dict):
        raise InvalidAnswer("the answer is not a JSON object")
    tldr = _SPACE.sub(" ", data.get("tldr") if isinstance(data.get("tldr"), str) else "").strip()
    if not tldr:
        raise InvalidAnswer("no tldr")
    if len(tldr) > MAX_TLDR_CHARS:
        raise InvalidAnswer(f"tldr of {len(tldr)} characters, more than {MAX_TLDR_CHARS}")
    raw = data.get("keywords")
    if not isinstance(raw, list):
        raise InvalidAnswer("keywords is not a list")
    words = (_SPACE.sub(" ", k).strip().lower() for k in raw if isinstance(k, str))
    keywords = list(dict.fromkeys(k for k in words if 0 < len(k) <= 60))[:MAX_KEYWORDS]
    if len(keywords) < MIN_KEYWORDS:
        raise InvalidAnswer(f"{len(keywords)} usable keywords, fewer than {MIN_KEYWORDS}")
    return tldr, keywords


class LLMBackend:
    name = "llm"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str = "",
        model: str,
        timeout: float = 30,
        fallback: SummaryBackend | None = None,
    ) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.model = model
        self.timeout = timeout
        self._fallback = fallback

    @classmethod
    def from_settings(cls) -> LLMBackend:
        from django.conf import settings

        return cls(
            base_url=settings.SUMMARY_LLM_BASE_URL,
            api_key=settings.SUMMARY_LLM_API_KEY,
            model=settings.SUMMARY_LLM_MODEL,
            timeout=settings.SUMMARY_LLM_TIMEOUT,
        )

    @property
    def fallback(self) -> SummaryBackend:
        if self._fallback is None:
            from papers.summaries.extractive import ExtractiveBackend

            self._fallback = ExtractiveBackend()
        return self._fallback

    def summarise(self, *, title: str, abstract: str) -> Summary:
        try:
            tldr, keywords = self._ask(title=title, abstract=abstract)
        except Exception as error:  # any failure at all: the paper still gets a summary
            logger.warning("LLM summary failed, using %s instead: %s", self.fallback.name, error)
            return self.fallback.summarise(title=title, abstract=abstract)
        return Summary(text=tldr, keywords=keywords, backend=self.name)

    def _ask(self, *, title: str, abstract: str) -> tuple[str, list[str]]:
        if not self.base_url or not self.model:
            raise InvalidAnswer("SUMMARY_LLM_BASE_URL and SUMMARY_LLM_MODEL are not both set")
        from openai import OpenAI

        # Local servers ignore the key but the client insists on one.
        client = OpenAI(
            base_url=self.base_url, api_key=self.api_key or "not-needed", timeout=self.timeout, max_retries=0
        )
        question = f"Title: {title}\n\nAbstract: {abstract[:MAX_ABSTRACT_CHARS]}"
        try:
            response = client.chat.completions.create(
                model=self.model,
                temperature=0,
                max_tokens=400,
                messages=[
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {
                        "role": "user",
                        "content": question,
                    },
                ],
            )
        finally:
            client.close()
        if not response.choices:
            raise InvalidAnswer("no choices in the answer")
        return parse_answer(response.choices[0].message.content)
