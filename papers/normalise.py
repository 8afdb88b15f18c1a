"""Normalised keys for matching the same paper across sources.

Every function here is total (any string in, never an exception) and idempotent:
feeding its output back in returns the same output. The property tests in
papers/tests/test_normalise.py check both.
"""

import functools
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

_NOT_WORD = re.compile(r"[^a-z0-9]+")
TITLE_KEY_LENGTH = 255
DOI_MAX_LENGTH = 255
# Paper.arxiv_version is a PositiveSmallIntegerField.
MAX_ARXIV_VERSION = 32767


@functools.lru_cache(maxsize=8192)  # an upsert asks for the same titles' keys several times
def title_key(title: str) -> str:
    """Lower-case ASCII words of a title: "Attention Is All You Need!" -> "attention is all you need".

    Accents, punctuation, LaTeX braces and spacing differ between sources for
    one paper; the key ignores all of them.
    """
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return _NOT_WORD.sub(" ", ascii_title.lower()).strip()[:TITLE_KEY_LENGTH]


# --- arXiv identifiers ----------------------------------------------------------

# New style (April 2007 on): YYMM.NNNN until 2014, YYMM.NNNNN from 2015.
_NEW_ID = r"(?P<new>\d{2}(?:0[1-9]|1[0-2])\.\d{4,5})"
# Old style: archive[.SUBJECT-CLASS]/YYMMNNN, e.g. hep-th/9901001 or math.GT/0309136.
# The subject class is not part of the identifier, so it is dropped.
_OLD_ID = r"(?P<archive>[A-Za-z]+(?:-[A-Za-z]+)?)(?:\.[A-Za-z]{2})?/(?P<old>\d{2}(?:0[1-9]|1[0-2])\d{3})"
_VERSION = r"(?:v(?P<version>[1-9]\d{0,3}))?"
_ID_WITH_VERSION = re.compile(rf"(?:{_NEW_ID}|{_OLD_ID}){_VERSION}", re.ASCII)
_PREFIX = re.compile(r"^(?:arxiv:|oai:arxiv\.org:)", re.IGNORECASE)
# The path after the host on arxiv.org, export.arxiv.org, ar5iv.labs.arxiv.org, ...
_ARXIV_PATH = re.compile(r"^/(?:abs|pdf|html|format|ps)/(?P<rest>.+?)(?:\.pdf)?/?$", re.IGNORECASE)
_HF_PATH = re.compile(r"^/papers/(?P<rest>[^/]+)/?$")


@dataclass(frozen=True)
class ArxivRef:
    id: str  # normalised: no version, old-style ids as archive/YYMMNNN
    version: int | None = None

    @property
    def versioned(self) -> str:
        return f"{self.id}v{self.version}" if self.version else self.id


def _parse_bare_id(text: str) -> ArxivRef | None:
    match = _ID_WITH_VERSION.fullmatch(text)
    if match is None:
        return None
    version = int(match["version"]) if match["version"] else None
    if match["new"]:
        return ArxivRef(match["new"], version)
    return ArxivRef(f"{match['archive'].lower()}/{match['old']}", version)


def _url_path(text: str, host_suffix: str) -> str | None:
    if not re.match(r"^https?://", text, re.IGNORECASE):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if host != host_suffix and not host.endswith("." + host_suffix):
        return None
    return parts.path


def arxiv_ref(value: str) -> ArxivRef | None:
    """The arXiv identifier in any of the forms people paste, or None.

    Accepts bare ids (2401.12345, 2401.12345v2, hep-th/9901001, math.GT/0309136v1),
    "arXiv:" and "oai:arXiv.org:" prefixes, arxiv.org abs/pdf/html URLs on any
    arxiv.org host, and Hugging Face paper URLs (huggingface.co/papers/<id>).
    """
    text = value.strip()
    path = _url_path(text, "arxiv.org")
    if path is not None:
        match = _ARXIV_PATH.match(path)
        return _parse_bare_id(match["rest"]) if match else None
    path = _url_path(text, "huggingface.co")
    if path is not None:
        match = _HF_PATH.match(path)
        return _parse_bare_id(match["rest"]) if match else None
    return _parse_bare_id(_PREFIX.sub("", text, count=1))


def arxiv_id(value: str) -> str:
    """The normalised arXiv id (no version) in `value`, or "" when there is none."""
    ref = arxiv_ref(value)
    return ref.id if ref else ""


def arxiv_abs_url(identifier: str) -> str:
    return f"https://arxiv.org/abs/{identifier}"


def arxiv_pdf_url(identifier: str) -> str:
    return f"https://arxiv.org/pdf/{identifier}"


# --- DOIs -----------------------------------------------------------------------

_DOI = re.compile(r"10\.[0-9]{4,9}/\S+")
_DOI_PREFIX = re.compile(r"^doi:\s*", re.IGNORECASE)
_DOI_HOSTS = ("doi.org", "dx.doi.org", "www.doi.org")
# Punctuation that ends a sentence around a pasted DOI rather than belonging to it.
_DOI_TRAILING = ".,;:"
# A DOI's suffix may hold any printable Unicode character (DOI Handbook 2.5.2), so what is
# refused is what cannot be printed: control, format, private-use and unassigned characters
# (Unicode category C*) and spaces of any kind (Z*).
_UNPRINTABLE_CATEGORIES = ("C", "Z")


def _doi_text(value: str) -> str:
    """The lower-case text in the DOI position of a bare DOI, a "doi:" reference or a doi.org URL."""
    text = value.strip()
    if re.match(r"^https?://", text, re.IGNORECASE):
        try:
            parts = urlsplit(text)
        except ValueError:
            return ""
        if (parts.hostname or "").lower() not in _DOI_HOSTS:
            return ""
        text = unquote(parts.path.lstrip("/"))
    else:
        text = _DOI_PREFIX.sub("", text, count=1)
    return text.lower()


def _is_doi(text: str) -> bool:
    if len(text) > DOI_MAX_LENGTH or not _DOI.fullmatch(text):
        return False
    # "." and ".." segments are no part of any registered DOI, and a client that puts the DOI
    # into a URL path would walk up the metadata host's tree with them (issue 25).
    if any(segment in (".", "..") for segment in text.split("/")):
        return False
    return not any(unicodedata.category(c).startswith(_UNPRINTABLE_CATEGORIES) for c in text)


def doi(value: str) -> str:
    """The lower-case DOI in a bare DOI, a "doi:" reference or a doi.org URL; "" if none.

    DOIs are case-insensitive by definition, so lower-case is the canonical form.
    Refused (""): "." or ".." path segments and characters that cannot be printed.
    """
    text = _doi_text(value).rstrip(_DOI_TRAILING)
    return text if _is_doi(text) else ""


def looks_like_doi(value: str) -> bool:
    """Whether `value` starts like a DOI (10.NNNN/...), valid or not: says why a reference was refused."""
    return bool(re.match(r"10\.[0-9]{4,9}/.", _doi_text(value), re.DOTALL))


def doi_url(value: str) -> str:
    return f"https://doi.org/{value}"
