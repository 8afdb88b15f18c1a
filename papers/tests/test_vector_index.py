"""The nearest-neighbour index (papers.search.vector_index): recall against exact search, the
build command, workers adding to it, and processes mapping a replaced file again."""

import numpy as np
import pytest
from django.core.management import call_command

from papers.models import Paper
from papers.search import embeddings, semantic, vector_index
from papers.selectors import paper_search
from papers.services import paper_embed
from papers.tests.factories import PaperFactory

DIMENSIONS = embeddings.EMBEDDING_DIMENSIONS


@pytest.fixture
def index_file(settings, tmp_path):
    settings.VECTOR_INDEX_PATH = tmp_path / "papers.usearch"
    vector_index.forget()
    yield settings.VECTOR_INDEX_PATH
    vector_index.forget()


def clustered(n: int, *, seed: int) -> np.ndarray:
    """Unit vectors in 30 clusters, each spread along a few directions of its own plus noise."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((30, DIMENSIONS), dtype=np.float32)
    directions = rng.standard_normal((30, 6, DIMENSIONS), dtype=np.float32) * 0.5
    cluster = rng.integers(0, 30, n)
    mix = rng.standard_normal((n, 6), dtype=np.float32)
    vectors = centres[cluster] + np.einsum("ij,ijk->ik", mix, directions[cluster])
    vectors += rng.standard_normal((n, DIMENSIONS), dtype=np.float32) * 0.35
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_recall_at_10_against_exact_search_is_at_least_095(index_file):
    vectors = clustered(4000, seed=3)
    ids = np.arange(1, len(vectors) + 1)
    vector_index.save(vector_index.build(ids, vectors))
    queries = np.random.default_rng(4).choice(len(vectors), 200, replace=False)
    found = vector_index.search(vectors[queries], 10)
    exact = np.argsort(-(vectors[queries] @ vectors.T), axis=1)[:, :10] + 1
    recall = np.mean(
        [len({pk for pk, _ in row} & set(best)) / 10 for row, best in zip(found, exact, strict=True)]
    )
    assert recall >= 0.95
    # Scores are cosine similarities: the query's own vector comes first, at about 1. The graph
    # is approximate (and built by several threads, so not the same twice): now and then a
    # query misses its own point, as it misses other neighbours, so this holds for nearly all.
    own_first = [
        row[0][0] == ids[q] and row[0][1] == pytest.approx(1, abs=1e-2)
        for row, q in zip(found, queries, strict=True)
    ]
    assert np.mean(own_first) >= 0.98


def test_without_an_index_file_search_is_exact_by_brute_force(index_file):
    assert not index_file.exists()
    assert vector_index.search(np.zeros((1, DIMENSIONS), dtype=np.float32), 5) is None


def _embedded_papers() -> tuple[Paper, Paper]:
    moe = PaperFactory(
        title="Sparse Routers for Mixture-of-Experts",
        abstract="A router for mixture-of-experts layers whose cost grows with the root of the experts.",
    )
    other = PaperFactory(
        title="A Note on Calibration", abstract="Temperature scaling as a posterior correction."
    )
    paper_embed(paper_ids=[moe.pk, other.pk])
    return moe, other


@pytest.mark.django_db
def test_the_command_builds_the_index_from_the_database(index_file, capsys):
    moe, other = _embedded_papers()
    PaperFactory()  # not embedded: left out
    call_command("build_vector_index")
    assert f"Indexed 2 paper(s) in {index_file}" in capsys.readouterr().out
    near = semantic.nearest_to_vector(_vector(moe), using="default", limit=5)
    assert [pk for pk, _ in near] == [moe.pk, other.pk]
    assert (
        semantic.nearest_to_vector(_vector(moe), using="default", limit=5, exclude_ids=[moe.pk])[0][0]
        == other.pk
    )


@pytest.mark.django_db
def test_search_finds_a_paraphrase_through_the_index(index_file, monkeypatch):
    moe, _ = _embedded_papers()
    call_command("build_vector_index")
    monkeypatch.setattr(semantic, "_brute_force", _not_called)
    found = paper_search(
        Paper.objects.listed(), "inexpensive dispatch of tokens to specialist feedforward blocks"
    )
    assert list(found.values_list("pk", flat=True))[:1] == [moe.pk]


@pytest.mark.django_db
def test_workers_add_newly_embedded_papers_and_searchers_map_the_new_file(index_file, monkeypatch):
    moe, _ = _embedded_papers()
    call_command("build_vector_index")
    assert vector_index.search(_vector(moe)[None, :], 10)[0][0][0] == moe.pk  # mapped now
    newcomer = PaperFactory(title="Routing tokens to experts cheaply", abstract="Mixture-of-experts routing.")
    paper_embed(paper_ids=[newcomer.pk])
    found = vector_index.search(_vector(newcomer)[None, :], 10)[0]
    assert found[0][0] == newcomer.pk and len(found) == 3


@pytest.mark.django_db
def test_a_re_embedded_paper_replaces_its_vector(index_file):
    moe, other = _embedded_papers()
    call_command("build_vector_index")
    Paper.objects.filter(pk=moe.pk).update(abstract=other.abstract, title=other.title)
    paper_embed(paper_ids=[moe.pk])
    found = vector_index.search(_vector(other)[None, :], 10)[0]
    assert {pk for pk, _ in found} == {moe.pk, other.pk}
    assert all(score == pytest.approx(1, abs=1e-2) for _, score in found)


def test_a_damaged_index_file_falls_back_to_exact_search(index_file):
    index_file.write_bytes(b"not an index")
    assert vector_index.search(np.zeros((1, DIMENSIONS), dtype=np.float32), 5) is None


def _vector(paper: Paper) -> np.ndarray:
    return embeddings.from_bytes(Paper.objects.filter(pk=paper.pk).values_list("embedding", flat=True).get())


def _not_called(*args, **kwargs):
    raise AssertionError("searched by brute force although the index is there")
