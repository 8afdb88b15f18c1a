"""Behaviour of the offline extractive summariser (no database, no network)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papers.summaries import keywords as keyword_module
from papers.summaries import text as text_module
from papers.summaries.base import Summary, SummaryBackend
from papers.summaries.candidates import Document
from papers.summaries.extractive import MAX_CHARS, ExtractiveBackend
from papers.summaries.features import feature_names, featurise
from papers.summaries.keywords import keywords
from papers.summaries.model import load_model, model, ranked_candidates

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
    "A lone surrogate \ud800 cannot be encoded as UTF-8. We propose to survive it.",
]


@pytest.mark.parametrize("abstract", ODD_INPUTS)
def test_it_never_crashes_on_odd_inputs(backend: ExtractiveBackend, abstract: str) -> None:
    summary = summarise(backend, abstract, title="A Title")
    assert len(summary.text) <= MAX_CHARS
    assert summary.text.strip()
    assert len(summary.keywords) <= 8


def test_a_50_kb_abstract_is_cut_before_the_costly_steps(backend: ExtractiveBackend, monkeypatch) -> None:
    """Hostile input costs what an abstract costs: the segmenter and YAKE (the steps whose cost
    grows with the text) only ever see the capped text. Checked by what they receive, not by
    a clock (bench.summaries measures speed)."""
    seen: dict[str, list[int]] = {"segmenter": [], "keywords": []}
    split_single, ranked_phrases = text_module.split_single, keyword_module._ranked_phrases

    def segmenter(text: str):
        seen["segmenter"].append(len(text))
        return split_single(text)

    def phrases(text: str) -> list[str]:
        seen["keywords"].append(len(text))
        return ranked_phrases(text)

    monkeypatch.setattr(text_module, "split_single", segmenter)
    monkeypatch.setattr(keyword_module, "_ranked_phrases", phrases)
    huge = (ABSTRACT + " ") * 90
    assert len(huge) > 50_000
    summary = summarise(backend, huge, title="A title " * 200)
    assert 0 < len(summary.text) <= MAX_CHARS
    assert 3 <= len(summary.keywords) <= 8
    assert seen["segmenter"] and max(seen["segmenter"]) <= text_module.MAX_INPUT_CHARS
    assert seen["keywords"] and max(seen["keywords"]) <= keyword_module._KEYWORD_CHARS


def test_a_missing_weights_file_falls_back_to_a_heuristic(tmp_path) -> None:
    fallback = load_model(tmp_path / "missing.json")
    assert fallback.ranker is None
    best = ranked_candidates(Document(TITLE, ABSTRACT), fallback)[0]
    assert best.sentence == 2  # the "we propose" sentence


def test_the_shipped_weights_fit_the_feature_layout() -> None:
    # A feature added without retraining would make load_model() fall back to the heuristic.
    assert model().ranker is not None
    rows = featurise(Document(TITLE, ABSTRACT), model().lexicon)
    assert rows.shape == (len(Document(TITLE, ABSTRACT).candidates), len(feature_names()))


def test_keywords_name_the_method() -> None:
    assert "gradient sparsification" in keywords(TITLE, ABSTRACT)


def test_keywords_keep_one_of_a_singular_and_its_plural() -> None:
    abstract = (
        "We study graph neural networks. A graph neural network passes messages. "
        "Neural networks on graphs are popular, and one neural network is enough."
    )
    words = keywords("Graph Neural Networks", abstract)
    stems = [{w.removesuffix("s") for w in k.split()} for k in words]
    assert all(a is b or not a <= b for a in stems for b in stems)


class _FailingExtractor:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def get_n_best(self, text: str, *, n: int) -> list:
        raise self.error


class PanicException(BaseException):
    """Stands in for pyo3's PanicException, which a Rust panic raises (not an Exception)."""


class _FixedExtractor:
    """Answers with the phrases and scores it is given, in the order given."""

    def __init__(self, ranked: list[tuple[str, float]]) -> None:
        self.ranked = ranked

    def get_n_best(self, text: str, *, n: int) -> list:
        return list(self.ranked[:n])


def test_keywords_break_ties_the_same_way_whatever_order_the_extractor_gives(monkeypatch) -> None:
    # yake-rust returns equal scores in any order, and scores that differ in the last bits
    # from one process to another: neither may change which keywords a paper gets.
    text = "Sparse gradients. Gradient sparsification, in short, sends sparse gradient entries."
    ranked = [
        ("sparse gradient", 0.05),
        ("sparse gradients", 0.05),
        ("gradient sparsification", 0.02),
        ("entries", 0.3),
    ]
    answers = []
    for order, nudge in ((ranked, 0.0), (ranked[::-1], 1e-17), (ranked[1:] + ranked[:1], -1e-17)):
        nudged = [(phrase, score + nudge) for phrase, score in order]
        monkeypatch.setattr(keyword_module, "_extractor", lambda nudged=nudged: _FixedExtractor(nudged))
        answers.append(keywords("", text))
    assert answers[0] == answers[1] == answers[2]
    # Lower scores first; of the tied pair the one the text spells out first wins ("sparse
    # gradient" is inside "sparse gradients" at the start, but stands alone only later).
    assert answers[0][:2] == ["gradient sparsification", "sparse gradients"]


def _keywords_from(monkeypatch, text: str, ranked: list[tuple[str, float]]) -> list[str]:
    monkeypatch.setattr(keyword_module, "_extractor", lambda: _FixedExtractor(ranked))
    return keywords("", text, limit=10)


def test_keywords_drop_fragments_that_a_function_word_edges_or_breaks(monkeypatch) -> None:
    text = (
        "We compare image classification using deep learning with signal recovery. "
        "Signal recovery with deep learning needs the encoder of the model. "
        "Our approach to circumvent noise uses image classification."
    )
    ranked = [
        ("classification using deep", 0.01),
        ("recovery with deep", 0.02),
        ("approach to circumvent", 0.03),
        ("the encoder", 0.04),
        ("encoder of", 0.045),
        ("image classification", 0.05),
        ("signal recovery", 0.06),
        ("deep learning", 0.07),
    ]
    assert _keywords_from(monkeypatch, text, ranked) == [
        "image classification",
        "signal recovery",
        "deep learning",
    ]


def test_keywords_drop_lone_generic_words_and_phrases_made_only_of_them(monkeypatch) -> None:
    text = (
        "Recent work on protein folding is slow. We describe how long folding takes: "
        "the time grows with chain length. Recent developments help; a new method is shown."
    )
    ranked = [
        ("recent", 0.01),
        ("describe", 0.02),
        ("time", 0.03),
        ("recent developments", 0.04),
        ("new method", 0.045),
        ("method is shown", 0.046),
        ("protein folding", 0.05),
        ("chain length", 0.06),
    ]
    # (a third keyword, when the ranking runs dry, is the text's most frequent other word)
    assert _keywords_from(monkeypatch, text, ranked)[:2] == ["protein folding", "chain length"]


def test_keywords_drop_a_piece_that_the_text_always_extends_by_the_same_word(monkeypatch) -> None:
    text = (
        "Deep learning helps graph partitioning. Deep learning also fails at graph partitioning. "
        "Partitioning is hard, and graph coarsening helps."
    )
    ranked = [("deep", 0.01), ("learning", 0.02), ("graph partitioning", 0.03), ("deep learning", 0.04)]
    # "deep" is always followed by "learning", "learning" always preceded by "deep";
    # "graph" precedes "partitioning" every time too, but "graph partitioning" ends a sentence.
    assert _keywords_from(monkeypatch, text, ranked)[:2] == ["graph partitioning", "deep learning"]


def test_keywords_of_a_real_abstract_have_no_function_word_edges_or_lone_generic_words() -> None:
    abstract = (
        "Recent advances in image classification using deep neural networks describe large gains, "
        "but recovery with deep models of corrupted signals remains slow at inference time. "
        "We propose a sparse recovery method with learned dictionaries for compressed sensing, "
        "and show that compressed sensing with learned dictionaries halves the time of recovery."
    )
    words = keywords("Sparse signal recovery with learned dictionaries", abstract)
    assert len(words) >= 3
    for phrase in words:
        edges = {phrase.split()[0], phrase.split()[-1]}
        assert not edges & keyword_module._FUNCTION_WORDS
        assert phrase not in {"recent", "describe", "time", "classification using deep", "recovery with deep"}


_SAME_IN_ANY_PROCESS = """
import hashlib, json, sys
from papers.summaries.candidates import Document
from papers.summaries.extractive import ExtractiveBackend
from papers.summaries.features import featurise
from papers.summaries.model import model
title, abstract = json.loads(sys.stdin.read())
rows = featurise(Document(title, abstract), model().lexicon)
summary = ExtractiveBackend().summarise(title=title, abstract=abstract)
print(json.dumps([hashlib.sha256(rows.tobytes()).hexdigest(), summary.text, summary.keywords]))
"""


def test_every_process_computes_the_same_features_and_summary() -> None:
    # Celery workers are separate processes with their own string hashing: a sum over a set
    # of words, or an order from a hash map, would differ in the last bits between them.
    def run(seed: str) -> list:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", _SAME_IN_ANY_PROCESS],
            input=json.dumps([TITLE, ABSTRACT]),
            capture_output=True,
            text=True,
            env=env,
            cwd=Path(__file__).resolve().parents[2],
            check=True,
        )
        return json.loads(done.stdout)

    first = run("1")
    assert run("2") == first == run("3")


@pytest.mark.parametrize("error", [RuntimeError("bad input"), PanicException("index out of bounds")])
def test_keywords_fall_back_to_frequent_words_when_the_extractor_fails(monkeypatch, error) -> None:
    monkeypatch.setattr(keyword_module, "_extractor", lambda: _FailingExtractor(error))
    # The three most frequent content words of title and abstract, first seen first on ties.
    assert keywords(TITLE, ABSTRACT) == ["gradient", "sparsification", "federated"]


def test_keywords_let_an_interrupt_through(monkeypatch) -> None:
    monkeypatch.setattr(keyword_module, "_extractor", lambda: _FailingExtractor(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        keywords(TITLE, ABSTRACT)


def test_keywords_are_the_same_in_another_thread() -> None:
    found: list[list[str]] = []
    worker = threading.Thread(target=lambda: found.append(keywords(TITLE, ABSTRACT)))
    worker.start()
    worker.join()
    assert found == [keywords(TITLE, ABSTRACT)]


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
