"""The nearest-neighbour index (papers.search.vector_index): recall against exact search, the
build command, workers adding to the delta file, folding it into the main one, and processes
mapping a replaced file again."""

import numpy as np
import pytest
from django.core.management import call_command

from outbox.models import Message
from papers.models import Paper
from papers.search import embeddings, file_view, semantic, vector_index
from papers.selectors import paper_search
from papers.services import paper_embed
from papers.tasks import fold_vector_index
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
def test_workers_add_to_the_delta_and_searchers_map_the_new_file(index_file, monkeypatch):
    moe, _ = _embedded_papers()
    call_command("build_vector_index")
    assert vector_index.search(_vector(moe)[None, :], 10)[0][0][0] == moe.pk  # mapped now
    main_before = index_file.stat()
    newcomer = PaperFactory(title="Routing tokens to experts cheaply", abstract="Mixture-of-experts routing.")
    paper_embed(paper_ids=[newcomer.pk])
    # The batch went to the delta file; the main file was not rewritten.
    main_after = index_file.stat()
    assert (main_after.st_ino, main_after.st_mtime_ns) == (main_before.st_ino, main_before.st_mtime_ns)
    assert vector_index.delta_path().exists()
    found = vector_index.search(_vector(newcomer)[None, :], 10)[0]
    assert found[0][0] == newcomer.pk and len(found) == 3
    assert not Message.objects.filter(task="papers.tasks.fold_vector_index").exists()  # a small delta


@pytest.mark.django_db
def test_a_re_embedded_paper_replaces_its_vector(index_file):
    moe, other = _embedded_papers()
    old_moe = _vector(moe)
    call_command("build_vector_index")
    Paper.objects.filter(pk=moe.pk).update(abstract=other.abstract, title=other.title)
    paper_embed(paper_ids=[moe.pk])
    found = vector_index.search(_vector(other)[None, :], 10)[0]
    assert {pk for pk, _ in found} == {moe.pk, other.pk}
    assert all(score == pytest.approx(1, abs=1e-2) for _, score in found)
    # The main file still holds the old vector; the delta's newer one wins, once.
    near_old = vector_index.search(old_moe[None, :], 10)[0]
    assert [pk for pk, _ in near_old].count(moe.pk) == 1
    assert dict(near_old)[moe.pk] == pytest.approx(float(old_moe @ _vector(other)), abs=1e-2)


@pytest.mark.django_db
def test_a_large_delta_queues_a_fold_which_moves_it_into_the_main_file(index_file, monkeypatch):
    moe, other = _embedded_papers()
    call_command("build_vector_index")
    monkeypatch.setattr(vector_index, "FOLD_AT", 2)
    newcomers = [
        PaperFactory(title=f"Experts routing {i}", abstract=f"Tokens to experts, take {i}.") for i in range(2)
    ]
    paper_embed(paper_ids=[p.pk for p in newcomers])
    assert Message.objects.filter(task="papers.tasks.fold_vector_index").count() == 1
    vector_index.search(_vector(moe)[None, :], 1)  # map both files before the fold

    assert fold_vector_index() == 2  # the task, run here
    assert not vector_index.delta_path().exists()
    assert vector_index.fold() == 0  # nothing left
    # The readers map the new main file and drop the removed delta on their next search.
    for paper in [moe, other, *newcomers]:
        assert vector_index.search(_vector(paper)[None, :], 10)[0][0][0] == paper.pk
    assert len(vector_index._loaded()[0]) == 4 and vector_index._loaded()[1] is None


def test_a_fold_keeps_what_workers_added_meanwhile_and_yields_to_a_new_build(index_file):
    vectors = clustered(300, seed=5)
    vector_index.save(vector_index.build(np.arange(1, 201), vectors[:200]))
    assert vector_index.add(list(range(201, 251)), vectors[200:250]) == 50
    folded = vector_index.take_delta()
    main_stamp = file_view.stamp(index_file)
    index = vector_index._restore(index_file)
    vector_index.absorb(index, folded)
    # Meanwhile a worker adds papers and embeds one of the folded ones again.
    vector_index.add([*range(251, 261), 201], np.vstack([vectors[250:260], vectors[0]]))
    assert vector_index.replace_main(index, folded, main_stamp=main_stamp)
    left = vector_index._restore(vector_index.delta_path())
    assert sorted(np.asarray(left.keys).tolist()) == [201, *range(251, 261)]
    assert len(vector_index._restore(index_file)) == 250
    found = vector_index.search(vectors[[0, 255]], 2)
    assert {pk for pk, _ in found[0]} == {1, 201} and found[1][0][0] == 256

    # A fold whose main file was replaced by a build meanwhile gives up: the build folded it.
    stale = vector_index.take_delta()
    stamp = file_view.stamp(index_file)
    vector_index.save(vector_index.build(np.arange(1, 261), vectors[:260]))
    assert not vector_index.replace_main(vector_index._restore(index_file), stale, main_stamp=stamp)
    assert vector_index.delta_path().exists()


@pytest.mark.django_db
def test_the_build_folds_the_delta(index_file, capsys):
    moe, other = _embedded_papers()
    call_command("build_vector_index")
    newcomer = PaperFactory(title="Routing tokens to experts cheaply", abstract="Mixture-of-experts routing.")
    paper_embed(paper_ids=[newcomer.pk])
    call_command("build_vector_index")
    assert "Indexed 3 paper(s)" in capsys.readouterr().out
    assert not vector_index.delta_path().exists()
    assert vector_index.search(_vector(newcomer)[None, :], 10)[0][0][0] == newcomer.pk


def test_without_a_main_file_workers_write_no_delta_and_drop_a_stale_one(index_file):
    stale = vector_index.delta_path()
    vector_index.save(vector_index.build(np.arange(1, 3), clustered(2, seed=1)), stale)
    assert vector_index.add([7], clustered(1, seed=2)) == 0
    assert not stale.exists()
    assert vector_index.search(clustered(1, seed=2), 5) is None  # exact search instead


def test_a_damaged_index_file_falls_back_to_exact_search(index_file):
    index_file.write_bytes(b"not an index")
    assert vector_index.search(np.zeros((1, DIMENSIONS), dtype=np.float32), 5) is None


def _vector(paper: Paper) -> np.ndarray:
    return embeddings.from_bytes(Paper.objects.filter(pk=paper.pk).values_list("embedding", flat=True).get())


def _not_called(*args, **kwargs):
    raise AssertionError("searched by brute force although the index is there")


def test_a_paper_moved_by_the_delta_leaves_no_gap_in_the_main_files_hits(index_file):
    vectors = clustered(400, seed=9)
    vector_index.save(vector_index.build(np.arange(1, 401), vectors))
    exact = np.argsort(-(vectors[0] @ vectors.T))[:6] + 1  # paper 1 itself and its 5 nearest
    # Papers 1 and its nearest neighbour are embedded again, far away (the opposite direction).
    vector_index.add([int(exact[0]), int(exact[1])], -vectors[[exact[0] - 1, exact[1] - 1]])
    found = vector_index.search(vectors[0][None, :], 5)[0]
    assert [pk for pk, _ in found] == [int(pk) for pk in exact[2:]] + [found[-1][0]]
    assert len(found) == 5 and not {int(exact[0]), int(exact[1])} & {pk for pk, _ in found}
    far = vector_index.search(-vectors[0][None, :], 1)[0]
    assert far[0][0] == exact[0] and far[0][1] == pytest.approx(1, abs=1e-2)


def test_a_damaged_delta_is_searched_around_and_replaced_by_the_next_batch(index_file):
    vectors = clustered(50, seed=11)
    vector_index.save(vector_index.build(np.arange(1, 41), vectors[:40]))
    vector_index.delta_path().write_bytes(b"not an index")
    assert vector_index.search(vectors[:1], 1)[0][0][0] == 1  # the main file alone
    assert vector_index.add([41, 42], vectors[40:42]) == 2
    assert vector_index.search(vectors[41:42], 1)[0][0][0] == 42
