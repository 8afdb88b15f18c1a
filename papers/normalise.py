"""Normalised keys for matching the same paper across sources."""

import re
import unicodedata

_NOT_WORD = re.compile(r"[^a-z0-9]+")
TITLE_KEY_LENGTH = 255


def title_key(title: str) -> str:
    """Lower-case ASCII words of a title: "Attention Is All You Need!" -> "attention is all you need".

    Accents, punctuation, LaTeX braces and spacing differ between sources for
    one paper; the key ignores all of them.
    """
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return _NOT_WORD.sub(" ", ascii_title.lower()).strip()[:TITLE_KEY_LENGTH]
