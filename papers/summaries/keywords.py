"""Keywords: 3-8 lower-case keyphrases of 1-3 words from a paper's title and abstract.

YAKE! (Campos et al., Information Sciences 2020) ranks the candidate phrases, through
yake-rust, a Rust port of the reference `yake` package. The pure-Python `yake` spent about
9 ms on an abstract whatever its settings, twice the whole budget of the extractive backend
(200 abstracts per CPU-second on one core, TL;DR included); yake-rust takes about 1.6 ms. On
SciTLDR dev the keywords below are 98.7% the same as with `yake` 0.7.3 (99.2% of their words),
with the same precision and recall against the reference TL;DRs (bench.summaries prints both).
The ranking is then filtered here (_is_fragment, _cut_from_longer): edge punctuation goes, and so
do phrases made only of stopwords or numbers; fragments with a function word or a verb of
scientific prose in them ("approach to circumvent", "work shows"); lone generic words ("recent",
"time") and phrases made only of them ("recent developments"); phrases the text always extends
by the same word, which are pieces of a longer term ("classification using deep" when the text
says "deep learning"); and a phrase that repeats or nests in one already chosen (up to a plural
-s). On SemEval-2017 (ScienceIE) these rules raise F1@5 and F1@10 by about half; see
bench/keyphrases.py and docs/sources-and-summaries.md.
Before that, equal scores are put in a fixed order (_rank_key): yake-rust's own order of ties
changes from one process to another, and with it, now and then, a paper's keywords.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator

from yake_rust import Yake

from .text import STOPWORDS, clean

MAX_KEYWORDS = 8
MIN_KEYWORDS = 3
_CANDIDATES = 40  # ranked phrases asked for: enough to fill 8 slots after filtering
_TIE_MARGIN = 10  # asked for beyond that, so phrases tied at the cut are all there to sort
# yake-rust's scores differ in their last bits from one process to another (its hash maps,
# most likely, iterate in a random order), and equal scores come in any order. Rounded to
# this many significant digits, equal scores tie exactly and _rank_key breaks the tie (first
# mention, then the phrase): the same paper gets the same keywords in every worker.
_SCORE_DIGITS = 9
_KEYWORD_CHARS = 2000  # YAKE's cost grows with the text; abstracts are mostly shorter
_LATEX = re.compile(r"\$[^$]*\$|\\[a-zA-Z]+|[{}^_~\\]")
_WORD = re.compile(r"[^\W_]+")
_EDGE = re.compile(r"^[^\w]+|[^\w]+$")
_NEXT_WORD = re.compile(r" ([\w-]+)")  # the word right after a mention, across one space only
_PREV_WORD = re.compile(r"(?<![\w-])([\w-]+) $")
_local = threading.local()


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words a keyphrase neither starts, ends nor has inside: stopwords, and prepositions that
# STOPWORDS (tuned for TL;DRs) lacks. Tuned on the `tune` half of SemEval-2017, as the lists below.
_FUNCTION_WORDS = STOPWORDS | _words(
    "using via based towards toward within without upon across among along around through throughout"
    " onto per versus vs whether"
)
# Verbs of scientific prose; with their -s/-ed/-ing forms, never part of a keyphrase. Verbs whose
# forms are also common terms are left out ("learning", "reduced graphene", "focused ion beam").
_VERB_STEMS = _words(
    "show find propose present describe introduce include require consider improve tackle revisit"
    " verify assess achieve obtain provide use allow enable demonstrate investigate explore examine"
    " observe make remain perform suggest indicate reveal discuss develop apply solve help seem"
    " appear tend establish derive evaluate compare exhibit illustrate employ rely consist involve"
    " incorporate give increase outperform leverage exploit"
)


def _verb_forms(verb: str) -> set[str]:
    if verb.endswith("e"):
        return {verb, f"{verb}s", f"{verb}d", f"{verb[:-1]}ing"}
    if verb.endswith("y"):
        return {verb, f"{verb[:-1]}ies", f"{verb[:-1]}ied", f"{verb}ing"}
    plural = f"{verb}es" if verb.endswith(("sh", "ss")) else f"{verb}s"
    return {verb, plural, f"{verb}ed", f"{verb}ing"}


_VERBS = frozenset(form for verb in _VERB_STEMS for form in _verb_forms(verb)) | _words(
    "shown found made given done known well-known taken seen"
)
# Words too general to be a keyword alone, or together ("recent developments", "previous work").
_GENERIC = _words(
    """recent recently time times work works paper approach approaches method methods result results
    study studies problem problems performance effect effects number case cases way ways set part type
    types level levels order terms form figure new novel important different various several large
    high low good better best previous existing current general specific simple main key significant
    powerful active area areas research topic feature features tool tools application applications
    development developments analysis use fact first second third one two three many much well able
    due possible potential typically commonly widely describe present propose show find data
    information system systems model models process processes advance advances"""
)


def _extractor() -> Yake:
    """One extractor per thread (cheap to build; no state shared across threads)."""
    extractor = getattr(_local, "yake", None)
    if extractor is None:
        # Near-duplicates are dropped by _add_keyword below; yake-rust's own pass (Levenshtein,
        # where the reference uses its "seqm" similarity) is left off: so the output is closest
        # to the reference implementation's on SciTLDR train.
        extractor = _local.yake = Yake(language="en", ngrams=3, remove_duplicates=False)
    return extractor


def keywords(title: str, abstract: str, limit: int = MAX_KEYWORDS) -> list[str]:
    """3-8 lower-case keyphrases of 1-3 words, without near-duplicates (fewer on tiny texts)."""
    text = clean(_LATEX.sub(" ", f"{title}. {abstract}"), _KEYWORD_CHARS).strip(" .")
    if not any(c.isalnum() for c in text):
        return []
    chosen: list[str] = []
    for phrase in _ranked_phrases(text):
        _add_keyword(chosen, phrase)
        if len(chosen) == limit:
            return chosen
    for word in _frequent_words(text):
        if len(chosen) >= min(MIN_KEYWORDS, limit):
            break
        _add_keyword(chosen, word)
    return chosen


def _ranked_phrases(text: str) -> list[str]:
    if not text.isascii():  # lone surrogates cannot cross into Rust as UTF-8
        text = text.encode("utf-8", "replace").decode("utf-8")
    try:
        ranked = _extractor().get_n_best(text, n=_CANDIDATES + _TIE_MARGIN)
    except BaseException as err:  # a Rust panic arrives as pyo3's PanicException (BaseException)
        if isinstance(err, Exception) or type(err).__name__ == "PanicException":
            return []  # third-party code: a bad input must not break a page; backfill instead
        raise
    lower = text.lower()
    ranked.sort(key=lambda item: _rank_key(item, lower))
    return [phrase for phrase, _ in ranked[:_CANDIDATES] if not _cut_from_longer(lower, phrase.lower())]


def _cut_from_longer(text: str, phrase: str) -> bool:
    """True when every mention of the phrase is followed by the same content word, or every
    one is preceded by the same content word: the phrase is a piece of a longer term
    ("classification using deep" in a text about "deep learning"; "field theories" when the
    text only says "lattice field theories")."""
    starts = list(_mentions(text, phrase))
    if not starts:
        return False  # yake-rust may return a form the text does not spell out
    after = [_word_after(text, start + len(phrase)) for start in starts]
    before = [_word_before(text, start) for start in starts]
    return _same_content_word(after) or _same_content_word(before)


def _mentions(text: str, phrase: str) -> Iterator[int]:
    """Where the phrase stands as whole words (str.find: a regex per phrase costs ten times more)."""
    start = text.find(phrase)
    while start >= 0:
        end = start + len(phrase)
        if (start == 0 or not _is_word_char(text[start - 1])) and (
            end == len(text) or not _is_word_char(text[end])
        ):
            yield start
        start = text.find(phrase, start + 1)


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "-"


def _word_after(text: str, end: int) -> str | None:
    match = _NEXT_WORD.match(text, end)
    return match.group(1) if match else None


def _word_before(text: str, start: int) -> str | None:
    match = _PREV_WORD.search(text, max(0, start - 40), start)
    return match.group(1) if match else None


def _same_content_word(words: list[str | None]) -> bool:
    return len(set(words)) == 1 and words[0] is not None and words[0] not in _FUNCTION_WORDS


def _is_fragment(words: list[str]) -> bool:
    """A function word anywhere or a verb: a piece of a clause, not a term. Generic words alone."""
    if any(w in _FUNCTION_WORDS or w in _VERBS for w in words):
        return True
    return all(w in _GENERIC for w in words)


def _rank_key(item: tuple[str, float], lower_text: str) -> tuple[float, int, str]:
    """Lower YAKE scores first; ties (after rounding) by first mention in the text, as the
    reference yake orders them, then alphabetically."""
    phrase, score = item
    return float(f"{score:.{_SCORE_DIGITS}g}"), _first_mention(lower_text, phrase.lower()), phrase


def _first_mention(text: str, phrase: str) -> int:
    """Where the phrase first stands as whole words ("model", not inside "models"); past the
    end when it never does (yake-rust may return a form the text does not spell out)."""
    start = text.find(phrase)
    while start >= 0:
        end = start + len(phrase)
        if (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            return start
        start = text.find(phrase, start + 1)
    return len(text)


def _frequent_words(text: str) -> list[str]:
    """Backfill when YAKE finds fewer than three phrases (short or unusual texts)."""
    words = _WORD.findall(text.lower())
    counts = Counter(w for w in words if len(w) > 2 and w not in STOPWORDS and not w.isdigit())
    return [t for t, _ in counts.most_common(MAX_KEYWORDS)]


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _add_keyword(chosen: list[str], phrase: str) -> None:
    """Append the normalised phrase unless it repeats or overlaps one already chosen."""
    words = [_EDGE.sub("", w) for w in phrase.lower().split()]
    words = [w for w in words if w]
    if not words or len(words) > 3 or all(w in STOPWORDS or w.isdigit() for w in words):
        return
    if _is_fragment(words):
        return
    stems = {_stem(w) for w in words}
    for other in chosen:
        other_stems = {_stem(w) for w in other.split()}
        if stems <= other_stems or other_stems <= stems:
            return
    chosen.append(" ".join(words))
