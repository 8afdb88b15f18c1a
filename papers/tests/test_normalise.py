import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papers import normalise


@pytest.mark.parametrize(
    ("value", "expected_id", "expected_version"),
    [
        ("2401.12345", "2401.12345", None),
        ("2401.12345v3", "2401.12345", 3),
        ("0704.0001", "0704.0001", None),
        ("arXiv:2401.12345v2", "2401.12345", 2),
        ("ARXIV:2401.12345", "2401.12345", None),
        ("  arxiv:2401.12345  ", "2401.12345", None),
        ("oai:arXiv.org:2403.02001v1", "2403.02001", 1),
        ("https://arxiv.org/abs/2401.12345", "2401.12345", None),
        ("http://arxiv.org/abs/2401.12345v2", "2401.12345", 2),
        ("https://arxiv.org/pdf/2401.12345v2", "2401.12345", 2),
        ("https://arxiv.org/pdf/2401.12345v2.pdf", "2401.12345", 2),
        ("https://arxiv.org/pdf/2401.12345.pdf", "2401.12345", None),
        ("https://arxiv.org/html/2401.12345v1", "2401.12345", 1),
        ("https://export.arxiv.org/abs/2401.12345/", "2401.12345", None),
        ("https://www.arxiv.org/abs/2401.12345?context=cs", "2401.12345", None),
        ("https://arxiv.org/abs/2401.12345#comments", "2401.12345", None),
        ("hep-th/9901001", "hep-th/9901001", None),
        ("hep-th/9901001v2", "hep-th/9901001", 2),
        ("math.GT/0309136", "math/0309136", None),
        ("math.GT/0309136v1", "math/0309136", 1),
        ("arXiv:cond-mat/0102003", "cond-mat/0102003", None),
        ("https://arxiv.org/abs/math.GT/0309136v1", "math/0309136", 1),
        ("http://arxiv.org/pdf/math.GT/0309136v1.pdf", "math/0309136", 1),
        ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001", None),
        ("HEP-TH/9901001", "hep-th/9901001", None),
        ("https://huggingface.co/papers/2401.12345", "2401.12345", None),
        ("https://huggingface.co/papers/2401.12345/", "2401.12345", None),
        ("https://huggingface.co/papers/2401.12345?utm=x", "2401.12345", None),
    ],
)
def test_it_reads_arxiv_ids_in_every_form(value, expected_id, expected_version):
    ref = normalise.arxiv_ref(value)
    assert ref == normalise.ArxivRef(expected_id, expected_version)
    assert normalise.arxiv_id(value) == expected_id


@pytest.mark.parametrize(
    "value",
    [
        "",
        "2401.1234567",  # too many digits
        "2413.12345",  # month 13
        "2401.123",
        "hello world",
        "https://example.org/abs/2401.12345",  # not arxiv.org
        "https://arxiv.org/list/cs.LG/recent",
        "https://notarxiv.org/abs/2401.12345",
        "https://huggingface.co/models/2401.12345",
        "hep-th/99010011",
        "10.1234/abc",
        "2401.12345v0",
        "٢٤٠١.١٢٣٤٥",  # non-ASCII digits are not an id
    ],
)
def test_it_finds_no_arxiv_id_where_there_is_none(value):
    assert normalise.arxiv_ref(value) is None
    assert normalise.arxiv_id(value) == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.1234/ABC.def", "10.1234/abc.def"),
        ("doi:10.1234/ABC", "10.1234/abc"),
        ("DOI: 10.1234/ABC", "10.1234/abc"),
        ("https://doi.org/10.1234/ABC", "10.1234/abc"),
        ("http://dx.doi.org/10.1234/ABC", "10.1234/abc"),
        ("https://doi.org/10.1000%2F182", "10.1000/182"),
        ("10.1234/abc.", "10.1234/abc"),
        (" 10.48550/arXiv.2401.12345 ", "10.48550/arxiv.2401.12345"),
        ("https://example.org/10.1234/abc", ""),
        ("11.1234/abc", ""),
        ("10.12/abc", ""),
        ("10.1234/", ""),
        ("not a doi", ""),
        ("", ""),
    ],
)
def test_it_normalises_dois(value, expected):
    assert normalise.doi(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "10.1234/../../../internal/admin",
        "10.1234/abc/../../internal",
        "10.1234/./abc",
        "10.1234/..",
        "https://doi.org/10.1234/%2e%2e/%2e%2e/internal/admin",
        "10.1234/abc\x00def",
        "10.1234/abc\x7fdef",
        "10.1234/abc\u200bdef",
        "10.1234/abc\u00a0def",
    ],
)
def test_it_refuses_dot_segments_and_unprintable_characters_in_dois(value):
    assert normalise.doi(value) == ""
    assert normalise.looks_like_doi(value)


@pytest.mark.parametrize("value", ["10.1234/", "banana", "2401.12345", "11.1234/abc"])
def test_only_references_with_a_doi_prefix_and_a_suffix_look_like_dois(value):
    assert not normalise.looks_like_doi(value)


@pytest.mark.parametrize(
    "value",
    [
        "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0",
        "10.1234/a..b",
        "10.1234/.hidden",
        "10.1234/ümlaut",
    ],
)
def test_it_keeps_printable_dois_with_dots_inside_segments(value):
    assert normalise.doi(value) == value


def test_the_title_key_ignores_case_accents_and_punctuation():
    assert normalise.title_key("Ångström: {A} Study!") == normalise.title_key("angstrom a study")


_ID_LIKE = st.one_of(
    st.text(),
    st.from_regex(r"(arXiv:)?\d{4}\.\d{4,5}(v\d{1,5})?", fullmatch=True),
    st.from_regex(r"[a-zA-Z-]{2,8}(\.[A-Z]{2})?/\d{7}(v\d)?", fullmatch=True),
    st.from_regex(r"https?://([a-z]+\.)?arxiv\.org/(abs|pdf|html)/\S{0,20}", fullmatch=True),
    st.from_regex(r"(doi:|https://doi\.org/)?10\.\d{4,9}/\S{1,30}", fullmatch=True),
)


@given(_ID_LIKE)
def test_arxiv_normalisation_never_crashes_and_is_idempotent(value):
    once = normalise.arxiv_id(value)
    assert normalise.arxiv_id(once) == once
    ref = normalise.arxiv_ref(value)
    if ref is not None:
        assert normalise.arxiv_ref(ref.versioned) == ref


@given(_ID_LIKE)
def test_doi_normalisation_never_crashes_and_is_idempotent(value):
    once = normalise.doi(value)
    assert normalise.doi(once) == once
    assert once == once.lower()


@given(st.text())
def test_title_keys_never_crash_and_are_idempotent(value):
    once = normalise.title_key(value)
    assert normalise.title_key(once) == once


# --- Issue 8: every form of one identifier normalises to the same thing --------------------------

_NEW_STYLE = st.from_regex(r"[0-9]{2}(0[1-9]|1[0-2])\.[0-9]{4,5}", fullmatch=True)
_OLD_STYLE = st.from_regex(
    r"(hep-th|math|cond-mat|astro-ph|cs)/[0-9]{2}(0[1-9]|1[0-2])[0-9]{3}", fullmatch=True
)
_VERSIONS = st.one_of(st.none(), st.integers(1, 9999))
_DOIS = st.from_regex(r"10\.[0-9]{4,9}/[A-Za-z0-9._;()/:<>-]{1,60}", fullmatch=True).filter(
    lambda d: d[-1] not in ".,;:" and not {".", ".."} & set(d.split("/"))
)


@given(_NEW_STYLE | _OLD_STYLE, _VERSIONS, st.sampled_from(["{}", "arXiv:{}", "oai:arXiv.org:{}",
       "https://arxiv.org/abs/{}", "http://export.arxiv.org/pdf/{}.pdf", "https://arxiv.org/html/{}/",
       "https://huggingface.co/papers/{}", "  {}  "]))  # fmt: skip
def test_every_form_of_an_arxiv_id_names_the_same_paper(identifier, version, form):
    if form.startswith("https://huggingface.co") and "/" in identifier:
        return  # Hugging Face pages exist for new-style ids only
    versioned = f"{identifier}v{version}" if version else identifier
    ref = normalise.arxiv_ref(form.format(versioned))
    assert ref == normalise.ArxivRef(identifier, version)
    assert normalise.arxiv_ref(normalise.arxiv_abs_url(ref.id)) == normalise.ArxivRef(identifier)
    assert normalise.arxiv_ref(normalise.arxiv_pdf_url(ref.versioned)) == ref


@given(_DOIS, st.sampled_from(["{}", "doi:{}", "DOI: {}", "https://doi.org/{}", "http://dx.doi.org/{}",
       "{}.", " {} "]))  # fmt: skip
def test_every_form_of_a_doi_names_the_same_paper(doi, form):
    found = normalise.doi(form.format(doi.upper() if form.startswith("DOI") else doi))
    assert found == doi.lower()
    assert normalise.doi(normalise.doi_url(found)) == found
    assert len(found) <= normalise.DOI_MAX_LENGTH


@given(st.text(st.characters(codec="utf-8"), max_size=80))
def test_normalised_ids_have_the_canonical_shape(value):
    arxiv_id, doi = normalise.arxiv_id(value), normalise.doi(value)
    assert arxiv_id == "" or re.fullmatch(r"\d{4}\.\d{4,5}|[a-z]+(-[a-z]+)?/\d{7}", arxiv_id)
    assert doi == "" or (
        doi.startswith("10.") and doi == doi.lower() and not doi.endswith((".", ",", ";", ":"))
    )
