"""Property tests for every source parser: any bytes in, never a crash but FetchError.

For each parser (arXiv Atom, arXiv RSS, Hugging Face daily JSON, generic RSS/Atom feed,
Crossref works JSON) Hypothesis feeds three kinds of input: random bytes, real documents
of that format with bytes cut, swapped or inserted, and documents built from the format's
own elements with wild values (control characters, NUL, HTML, LaTeX, entity tricks,
identifiers in every form and none, dates at the ends of the calendar, wrong JSON types).

Properties: the parser returns its result or raises FetchError, nothing else; every
record's identifiers are already normalised (normalising again changes nothing), and so is
the record the ingest stores (clean_record twice is clean_record once); and whatever a
parser returns can be stored: paper_upsert takes it without an error (on PostgreSQL too,
which refuses NUL characters and years outside 1-9999).
"""

import json
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papers import normalise
from papers.dedupe import clean_record
from papers.http import FetchError
from papers.ingest import paper_upsert
from papers.models import Paper
from papers.sources import arxiv, arxiv_rss, crossref, feed, hf_daily
from papers.sources.records import PaperRecord
from papers.tests.conftest import fixture_bytes

EXAMPLES = 300
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same inputs on every run: CI stays repeatable
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# --- Values -------------------------------------------------------------------------------------

TRICKY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "\u202etxet",
    "\ufeff",
    "<b>bold</b> &amp; <script>alert(1)</script>",
    "&lt;img src=x onerror=alert(1)&gt;",
    "&#0;",
    "&#xD800;",
    "Schr\\\"odinger {\\'e}t\\'e \\emph{x} $O(\\sqrt{n})$ 50% \\",
    "\\begin{document}",
    "{" * 50,
    "x" * 5000,
    "word " * 300,
    "javascript:alert(1)",
    "https://arxiv.org/abs/2401.01234v2",
    "http://x\x00y",
    "arXiv:2401.01234v99999",
    "hep-th/9901001v3",
    "10.1234/ABC.def",
    "https://doi.org/10.1000%2F182",
    "doi:10.1234/" + "x" * 400,
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+14:00",
    "2024-02-30T00:00:00Z",
    "Fri, 31 Dec 9999 23:59:59 -2359",
    "Mon, 01 Jan 0001 00:00:00 +2359",
    "-1",
    "1e999",
    "NaN",
]
WILD = st.one_of(st.sampled_from(TRICKY), st.text(max_size=60))
# Text lxml accepts inside an element: no C0 controls except tab and line breaks, no surrogates.
XML_SAFE = st.one_of(
    st.sampled_from([t for t in TRICKY if not any(ord(c) < 32 and c not in "\t\n\r" for c in t)]),
    st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=60),
)
IDS = st.one_of(
    WILD,
    st.from_regex(
        r"(https?://(export\.)?arxiv\.org/abs/|arXiv:|oai:arXiv\.org:)?\d{4}\.\d{4,5}(v\d{1,6})?",
        fullmatch=True,
    ),
    st.from_regex(r"[a-z-]{2,8}(\.[A-Z]{2})?/\d{7}(v\d)?", fullmatch=True),
    st.from_regex(r"https://huggingface\.co/papers/\d{4}\.\d{5}", fullmatch=True),
)
DOIS = st.one_of(WILD, st.from_regex(r"(doi:|https://doi\.org/)?10\.\d{4,9}/[^\s]{1,40}", fullmatch=True))
EXTREME_DATES = [
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59+00:00",
    "2024-03-01T12:00:00+23:00",
    "Fri, 31 Dec 9999 23:59:59 -2359",
    "Mon, 01 Jan 0001 00:00:00 +2359",
]
DATES = st.one_of(
    st.sampled_from(EXTREME_DATES),
    WILD,
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
        lambda d: d.replace(tzinfo=UTC).strftime("%a, %d %b %Y %H:%M:%S %z")
    ),
)


def _x(draw, values=XML_SAFE) -> str:
    return escape(draw(values))


def _a(draw, values=XML_SAFE) -> str:
    return quoteattr(draw(values))


# --- Documents built from each format's own elements ----------------------------------------------


@st.composite
def arxiv_atom(draw) -> bytes:
    entries = []
    for _ in range(draw(st.integers(0, 3))):
        authors = "".join(
            f"<author><name>{_x(draw)}</name><arxiv:affiliation>{_x(draw)}</arxiv:affiliation></author>"
            for _ in range(draw(st.integers(0, 3)))
        )
        entries.append(
            f"<entry><id>{_x(draw, IDS)}</id><title>{_x(draw)}</title><summary>{_x(draw)}</summary>"
            f"<published>{_x(draw, DATES)}</published><updated>{_x(draw, DATES)}</updated>{authors}"
            f"<link href={_a(draw, IDS)} rel='alternate'/><link title='pdf' href={_a(draw, IDS)}/>"
            f"<arxiv:doi>{_x(draw, DOIS)}</arxiv:doi><arxiv:primary_category term={_a(draw)}/>"
            f"<category term={_a(draw)}/></entry>"
        )
    total = _x(draw, st.one_of(st.integers(-5, 10**30).map(str), XML_SAFE))
    return (
        "<feed xmlns='http://www.w3.org/2005/Atom' xmlns:arxiv='http://arxiv.org/schemas/atom' "
        "xmlns:opensearch='http://a9.com/-/spec/opensearch/1.1/'>"
        f"<opensearch:totalResults>{total}</opensearch:totalResults>{''.join(entries)}</feed>"
    ).encode()


@st.composite
def arxiv_rss_feed(draw) -> bytes:
    items = []
    for _ in range(draw(st.integers(0, 3))):
        description = f"arXiv:{draw(IDS)} Announce Type: {draw(WILD)} Abstract: {draw(XML_SAFE)}"
        items.append(
            f"<item><title>{_x(draw)}</title><link>{_x(draw, IDS)}</link><guid>{_x(draw, IDS)}</guid>"
            f"<description>{escape(description) if draw(st.booleans()) else _x(draw)}</description>"
            f"<category>{_x(draw)}</category><pubDate>{_x(draw, DATES)}</pubDate>"
            f"<arxiv:announce_type>{_x(draw)}</arxiv:announce_type><arxiv:DOI>{_x(draw, DOIS)}</arxiv:DOI>"
            f"<dc:creator>{_x(draw)}</dc:creator></item>"
        )
    return (
        "<rss version='2.0' xmlns:arxiv='http://arxiv.org/schemas/atom' "
        f"xmlns:dc='http://purl.org/dc/elements/1.1/'><channel>{''.join(items)}</channel></rss>"
    ).encode()


@st.composite
def any_feed(draw) -> bytes:
    """RSS 2.0 or Atom, items pointing at arXiv papers, DOIs or nothing."""
    atom = draw(st.booleans())
    items = []
    for _ in range(draw(st.integers(0, 3))):
        title, link, summary, date = _x(draw), _x(draw, IDS), _x(draw), _x(draw, DATES)
        if atom:
            items.append(
                f"<entry><title>{title}</title><id>{_x(draw, st.one_of(IDS, DOIS))}</id>"
                f"<link href={_a(draw, st.one_of(IDS, DOIS))}/><summary type='html'>{summary}</summary>"
                f"<published>{date}</published><updated>{_x(draw, DATES)}</updated>"
                f"<author><name>{_x(draw)}</name></author></entry>"
            )
        else:
            items.append(
                f"<item><title>{title}</title><link>{link}</link><description>{summary}</description>"
                f"<guid>{_x(draw, st.one_of(IDS, DOIS))}</guid><pubDate>{date}</pubDate>"
                f"<prism:doi>{_x(draw, DOIS)}</prism:doi><dc:identifier>{_x(draw, DOIS)}</dc:identifier>"
                f"<dc:creator>{_x(draw)}</dc:creator></item>"
            )
    if atom:
        return f"<feed xmlns='http://www.w3.org/2005/Atom'><title>t</title>{''.join(items)}</feed>".encode()
    return (
        "<rss version='2.0' xmlns:dc='http://purl.org/dc/elements/1.1/' "
        "xmlns:prism='http://prismstandard.org/namespaces/basic/2.0/'>"
        f"<channel><title>t</title>{''.join(items)}</channel></rss>"
    ).encode()


JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), WILD
)
JSON_ANY = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(WILD, inner, max_size=3),
    max_leaves=8,
)


def _maybe(draw, good):
    """The field's proper kind of value most of the time, anything JSON some of the time."""
    return draw(st.one_of(good, good, JSON_ANY))


@st.composite
def hf_daily_json(draw) -> bytes:
    items = []
    for _ in range(draw(st.integers(0, 3))):
        paper = {
            "id": _maybe(draw, IDS),
            "title": _maybe(draw, WILD),
            "summary": _maybe(draw, WILD),
            "publishedAt": _maybe(draw, DATES),
            "upvotes": _maybe(draw, st.integers(-10, 2**40)),
            "githubRepo": _maybe(draw, WILD),
            "authors": _maybe(draw, st.lists(st.fixed_dictionaries({"name": WILD}), max_size=3)),
        }
        items.append(draw(st.one_of(st.just({"paper": paper, "title": draw(WILD)}), JSON_ANY)))
    return json.dumps(draw(st.one_of(st.just(items), JSON_ANY))).encode()


@st.composite
def crossref_json(draw) -> bytes:
    message = {
        "DOI": _maybe(draw, DOIS),
        "URL": _maybe(draw, WILD),
        "title": _maybe(draw, st.lists(WILD, max_size=2)),
        "abstract": _maybe(draw, WILD),
        "author": _maybe(
            draw,
            st.lists(
                st.fixed_dictionaries(
                    {
                        "given": WILD,
                        "family": WILD,
                        "affiliation": st.lists(st.fixed_dictionaries({"name": WILD})),
                    }
                ),
                max_size=3,
            ),
        ),
        "published": _maybe(
            draw,
            st.fixed_dictionaries({"date-parts": st.lists(st.lists(st.integers(-5, 10**6), max_size=4))}),
        ),
    }
    return json.dumps(draw(st.one_of(st.just({"message": message}), JSON_ANY))).encode()


@st.composite
def mutated(draw, fixtures: list[str]) -> bytes:
    """A real document of the format with a few bytes cut, swapped or inserted."""
    body = bytearray(fixture_bytes(draw(st.sampled_from(fixtures))))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        kind = draw(st.sampled_from(["cut", "insert", "swap", "truncate"]))
        if kind == "truncate":
            del body[at:]
        elif kind == "cut":
            del body[at : at + draw(st.integers(1, 40))]
        elif kind == "insert":
            body[at:at] = draw(
                st.binary(max_size=12) | st.sampled_from([b"\x00", b"&x;", b"<!--", b"]]>", b"\xff"])
            )
        elif body:
            body[min(at, len(body) - 1)] = draw(st.integers(0, 255))
    return bytes(body)


def _inputs(built, fixtures: list[str]):
    return st.one_of(st.binary(max_size=300), mutated(fixtures), built)


PARSERS = {
    "arxiv": (
        lambda body: arxiv.parse(body).records,
        _inputs(arxiv_atom(), ["arxiv_page1.xml", "arxiv_oldstyle.xml"]),
    ),
    "arxiv-rss": (lambda body: arxiv_rss.parse(body).records, _inputs(arxiv_rss_feed(), ["arxiv_rss.xml"])),
    "hf-daily": (lambda body: hf_daily.parse(body).records, _inputs(hf_daily_json(), ["hf_daily.json"])),
    "feed": (lambda body: feed.parse(body).records, _inputs(any_feed(), ["feed.atom", "feed.rss"])),
    "crossref": (
        lambda body: [crossref.parse(body, doi="10.5555/fallback")],
        _inputs(crossref_json(), ["crossref_work.json"]),
    ),
}


def _records_or_fetch_error(parse, body: bytes) -> list[PaperRecord]:
    try:
        return parse(body)
    except FetchError:
        return []


def _assert_normalised(record: PaperRecord) -> None:
    assert isinstance(record, PaperRecord)
    assert normalise.arxiv_id(record.arxiv_id) == record.arxiv_id
    assert record.doi == normalise.doi(record.doi)
    if record.arxiv_id:
        assert normalise.arxiv_ref(record.arxiv_id) == normalise.ArxivRef(record.arxiv_id)
    for moment in (record.published_at, record.updated_at):
        assert moment is None or moment.tzinfo is not None
    cleaned = clean_record(record)
    if cleaned is not None:
        assert clean_record(cleaned) == cleaned
        for moment in (cleaned.published_at, cleaned.updated_at):
            assert moment is None or (moment.utcoffset().total_seconds() == 0 and 1 <= moment.year <= 9999)


@pytest.mark.parametrize("kind", sorted(PARSERS))
def test_a_parser_never_crashes_and_its_records_are_normalised(kind):
    parse, inputs = PARSERS[kind]

    @FUZZ
    @given(body=inputs)
    def check(body: bytes) -> None:
        for record in _records_or_fetch_error(parse, body):
            _assert_normalised(record)

    check()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(PARSERS))
def test_whatever_a_parser_returns_can_be_stored(kind):
    parse, inputs = PARSERS[kind]

    @settings(FUZZ, max_examples=EXAMPLES // 3)
    @given(body=inputs)
    def check(body: bytes) -> None:
        records = _records_or_fetch_error(parse, body)
        with transaction.atomic():
            counts = paper_upsert(records=records)
            assert Paper.objects.count() == counts.new <= len(records)
            assert len(list(Paper.objects.all())) == counts.new  # and read back
            paper_upsert(records=records)  # the same fetch again
            transaction.set_rollback(True)

    check()


@pytest.mark.django_db
@pytest.mark.parametrize("date", EXTREME_DATES[:2])
def test_a_date_outside_the_calendar_is_dropped_not_a_failed_fetch(date):
    # Found by this module: such a date failed the whole batch (OverflowError on SQLite,
    # "time zone displacement out of range" or a year before 1 on PostgreSQL).
    body = json.dumps([{"paper": {"id": "2401.01234", "title": "A paper", "publishedAt": date}}])
    assert paper_upsert(records=hf_daily.parse(body.encode()).records).new == 1
    assert Paper.objects.get().title == "A paper"


@pytest.mark.django_db
def test_nul_characters_from_a_json_source_are_dropped_not_a_failed_fetch():
    # Found by this module: PostgreSQL refuses NUL in text, which failed the whole batch.
    body = json.dumps(
        [{"paper": {"id": "2401.01234", "title": "A\u0000B", "authors": [{"name": "C\u0000D"}]}}]
    )
    assert paper_upsert(records=hf_daily.parse(body.encode()).records).new == 1
    paper = Paper.objects.get()
    assert paper.title == "AB" and paper.authors.get().name == "CD"
