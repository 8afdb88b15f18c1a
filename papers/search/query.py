"""What a member typed into the search box, taken apart.

Words rank papers (more and rarer words rank higher; none is required). `"a phrase"` is
required as written, `-word` or `-"a phrase"` excludes, `or` between words is accepted and
means what ranking already does. An arXiv id or a DOI alone is a lookup, not a search.
"""

import re
from dataclasses import dataclass, field

from papers import normalise

# Tokens: an optional minus, then a quoted phrase (closing quote optional) or a bare word.
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
# Characters that only ever separate words; both databases' tokenizers split on them too.
_WORD = re.compile(r"\w+(?:[.'’-]\w+)*")
MAX_WORDS = 32  # a pasted abstract ranks on its first words; the cost grows with each one
# Longer words are cut to this length: no word of a title is longer, and matching a 200-letter
# word took over a second on 10k papers before PostgreSQL had statistics.
SEARCH_WORD_LENGTH = 64


@dataclass(frozen=True)
class ParsedQuery:
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()  # words or phrases
    arxiv_id: str = ""
    doi: str = ""
    text: str = field(default="", compare=False)

    @property
    def is_lookup(self) -> bool:
        return bool(self.arxiv_id or self.doi)

    @property
    def has_operators(self) -> bool:
        return bool(self.phrases or self.excluded)

    @property
    def can_match(self) -> bool:
        """Only exclusions (or nothing) would list the whole collection: no results instead."""
        return bool(self.words or self.phrases)


def _words(text: str) -> list[str]:
    return [w.lower()[:SEARCH_WORD_LENGTH] for w in _WORD.findall(text)]


def parse(text: str) -> ParsedQuery:
    text = text.strip()
    if identifier := normalise.arxiv_id(text):
        return ParsedQuery(arxiv_id=identifier, text=text)
    if identifier := normalise.doi(text):
        return ParsedQuery(doi=identifier, text=text)
    words: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    for match in _TOKEN.finditer(text):
        minus, phrase, word_minus, word = match.groups()
        if phrase is not None:
            found = " ".join(_words(phrase))
            if found:
                (excluded if minus else phrases).append(found)
        elif word_minus:
            excluded.extend(_words(word))
        elif word.lower() != "or":
            words.extend(_words(word))
    return ParsedQuery(
        words=tuple(dict.fromkeys(words))[:MAX_WORDS],
        phrases=tuple(dict.fromkeys(phrases)),
        excluded=tuple(dict.fromkeys(excluded)),
        text=text,
    )
