"""Behaviour of the offline extractive summariser (no database, no network)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papers.summaries.base import Summary, SummaryBackend
from papers.summaries.extractive import MAX_CHARS, ExtractiveBackend, load_model

TITLE = "Gradient Sparsification for Fast Federated Training"
ABSTRACT = (
    "Federated learning trains a shared model across many phones without collecting their "
    "data. Communication between the phones and the server is the main bottleneck of this "
    "setting, and existing compression schemes either lose accuracy or need careful tuning. "
    "In this paper, we propose adaptive gradient sparsification, a method that sends only the "
    "largest gradient entries and learns how many entries each client should send. "
    "Experiments on three image benchmarks show that the method reduces communication by "
    "ninety percent while keeping accuracy within one point of the uncompressed baseline. "
    "Code will be released."
)


@pytest.fixture(scope="module")
def backend() -> ExtractiveBackend:
    return ExtractiveBackend()


def summarise(backend: ExtractiveBackend, abstract: str, title: str = TITLE) -> Summary:
    return backend.summarise(title=title, abstract=abstract)


def test_it_satisfies_the_summary_backend_protocol(backend: ExtractiveBackend) -> None:
    checked: SummaryBackend = backend
    assert checked.name == "extractive"
    assert summarise(backend, ABSTRACT).backend == "extractive"


def test_it_picks_the_sentence_stating_the_contribution(backend: ExtractiveBackend) -> None:
    text = summarise(backend, ABSTRACT).text
    assert "adaptive gradient sparsification" in text
    assert "phones without collecting" not in text


def test_it_drops_the_in_this_paper_lead_in(backend: ExtractiveBackend) -> None:
    text = summarise(backend, ABSTRACT).text
    assert not text.lower().startswith("in this paper")
    assert text[0].isupper()


def test_it_keeps_the_tldr_under_300_characters(backend: ExtractiveBackend) -> None:
    clause = "we propose a new method that improves robustness under distribution shift "
    one_long_sentence = clause * 20 + "."
    assert len(summarise(backend, one_long_sentence).text) <= MAX_CHARS
    assert len(summarise(backend, ABSTRACT).text) <= MAX_CHARS


def test_a_cut_tldr_ends_with_an_ellipsis(backend: ExtractiveBackend) -> None:
    text = summarise(backend, "word " * 400).text
    assert len(text) <= MAX_CHARS
    assert text.endswith("\u2026")


def test_it_falls_back_to_the_title_when_the_abstract_is_empty(
    backend: ExtractiveBackend,
) -> None:
    assert summarise(backend, "   \n\t ").text == TITLE


def test_it_returns_between_three_and_eight_lowercase_keywords(
    backend: ExtractiveBackend,
) -> None:
    words = summarise(backend, ABSTRACT).keywords
    assert 3 <= len(words) <= 8
    assert all(w == w.lower() and w.strip() == w and w for w in words)
    assert all(1 <= len(w.split()) <= 3 for w in words)


def test_keywords_do_not_repeat_or_nest(backend: ExtractiveBackend) -> None:
    words = summarise(backend, ABSTRACT).keywords
    assert len(set(words)) == len(words)
    for a in words:
        for b in words:
            assert a == b or not set(a.split()) <= set(b.split())


def test_a_tiny_abstract_still_gets_a_tldr_and_few_keywords(backend: ExtractiveBackend) -> None:
    summary = summarise(backend, "Transformers generalise.", title="")
    assert summary.text == "Transformers generalise."
    assert 1 <= len(summary.keywords) <= 3


def test_it_is_deterministic(backend: ExtractiveBackend) -> None:
    first = summarise(backend, ABSTRACT)
    assert all(summarise(backend, ABSTRACT) == first for _ in range(3))
    assert ExtractiveBackend().summarise(title=TITLE, abstract=ABSTRACT) == first


ODD_INPUTS = [
    "",
    " ",
    "\x00\x00\x00",
    "We bound the cost by $\\mathcal{O}(n^2)$ and show $\\sum_i x_i \\le 1$ holds.",
    "Nous proposons une méthode naïve — très rapide — pour l'été.",
    "我们提出了一种新方法。实验表明它很好。",
    "((((((((( unbalanced [[ brackets ) and ] more",
    "...,,,;;;:::!!!???",
    "1 2 3 4 5 6 7 8 9 10.",
    "a" * 5000,
    "Emoji \U0001f600 abstract \U0001f680 with text.\x00 And a NUL byte.",
    "Line\nbreaks\r\nand\ttabs\x0bare\x0cfine.",
]


@pytest.mark.parametrize("abstract", ODD_INPUTS)
def test_it_never_crashes_on_odd_inputs(backend: ExtractiveBackend, abstract: str) -> None:
    summary = summarise(backend, abstract, title="A Title")
    assert len(summary.text) <= MAX_CHARS
    assert summary.text.strip()
    assert len(summary.keywords) <= 8


def test_a_50_kb_abstract_is_summarised_quickly(backend: ExtractiveBackend) -> None:
    huge = (ABSTRACT + " ") * 90
    assert len(huge) > 50_000
    summarise(backend, ABSTRACT)  # load weights and yake first: only the big input is timed
    started = time.process_time()  # CPU time, so a busy CI machine does not make this flaky
    summary = summarise(backend, huge)
    assert time.process_time() - started < 1.0
    assert 0 < len(summary.text) <= MAX_CHARS


def test_a_missing_weights_file_falls_back_to_a_heuristic(tmp_path) -> None:
    model = load_model(tmp_path / "missing.json")
    assert model.ranker is None


@settings(max_examples=60, deadline=None)
@given(title=st.text(max_size=80), abstract=st.text(max_size=600))
def test_any_text_gives_a_short_summary_with_lowercase_keywords(title: str, abstract: str) -> None:
    summary = ExtractiveBackend().summarise(title=title, abstract=abstract)
    assert len(summary.text) <= MAX_CHARS
    assert len(summary.keywords) <= 8
    assert all(w == w.lower() for w in summary.keywords)
    if any(c.isalnum() for c in abstract):
        assert any(c.isalnum() for c in summary.text)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "We",
                "propose",
                "a",
                "model",
                "(",
                ")",
                ",",
                ";",
                "which",
                "In",
                "this",
                "paper",
                "results",
                "show",
                ".",
                "$x$",
            ]
        ),
        max_size=120,
    )
)
def test_abstracts_made_of_cue_words_never_break_it(words: list[str]) -> None:
    abstract = " ".join(words)
    summary = ExtractiveBackend().summarise(title="T", abstract=abstract)
    assert len(summary.text) <= MAX_CHARS
    if any(c.isalnum() for c in abstract):
        assert any(c.isalnum() for c in summary.text)
