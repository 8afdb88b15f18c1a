"""Semantic search: embeddings written by paper_embed and the embed_papers command, fused with
the lexical ranking, so a description sharing no word with the paper still finds it."""

import pytest
from django.core.management import call_command

from outbox.tests.helpers import first_args
from papers import tasks
from papers.models import Paper
from papers.search import embeddings
from papers.selectors import paper_search
from papers.services import paper_embed, papers_queue_derived_data
from papers.tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

MOE_TITLE = "Sparse Routers for Mixture-of-Experts"
MOE_ABSTRACT = (
    "We describe a router for mixture-of-experts layers whose cost grows with the square root of the "
    "number of experts. On four language modelling benchmarks it matches dense routing while using a "
    "third of the compute."
)
PARAPHRASE = "inexpensive dispatch of tokens to specialist feedforward blocks"  # no word in common


def _search(q: str) -> list[int]:
    return list(paper_search(Paper.objects.listed(), q).values_list("pk", flat=True))


def _papers() -> tuple[Paper, Paper]:
    moe = PaperFactory(title=MOE_TITLE, abstract=MOE_ABSTRACT, summary="")
    other = PaperFactory(
        title="A Note on Calibration", abstract="Temperature scaling as a posterior correction."
    )
    return moe, other


def test_it_finds_a_paper_by_a_paraphrase_once_embedded():
    moe, other = _papers()
    assert _search(PARAPHRASE) == []  # lexically nothing: no word in common
    assert paper_embed(paper_ids=[moe.pk, other.pk]) == 2
    assert _search(PARAPHRASE)[0] == moe.pk


def test_embeddings_are_unit_float32_vectors_stored_with_the_paper():
    moe, _ = _papers()
    paper_embed(paper_ids=[moe.pk])
    raw = Paper.objects.filter(pk=moe.pk).values_list("embedding", flat=True).get()
    vector = embeddings.from_bytes(raw)
    assert vector.shape == (embeddings.EMBEDDING_DIMENSIONS,)
    assert abs(float(vector @ vector) - 1) < 1e-4


def test_phrases_and_exclusions_stay_exact_with_embeddings():
    moe, other = _papers()
    paper_embed(paper_ids=[moe.pk, other.pk])
    assert _search('"temperature scaling"') == [other.pk]
    assert _search("routers -experts") == []


def test_the_command_backfills_missing_embeddings_and_redoes_all_on_request(capsys):
    moe, other = _papers()
    paper_embed(paper_ids=[moe.pk])
    call_command("embed_papers", "--missing")
    assert "Embedded 1 of 1 paper(s)." in capsys.readouterr().out
    assert not Paper.objects.filter(embedding__isnull=True).exists()
    call_command("embed_papers", "--all")
    assert "Embedded 2 of 2 paper(s)." in capsys.readouterr().out


def test_new_papers_queue_their_embeddings_with_their_summaries(
    monkeypatch, django_capture_on_commit_callbacks
):
    queued = first_args(monkeypatch, tasks.embed_papers)
    with django_capture_on_commit_callbacks():
        papers_queue_derived_data(paper_ids=[3, 1, 2])
    assert queued == [[3, 1, 2]]


def test_the_model_loads_from_the_installed_package_without_downloading(monkeypatch):
    import huggingface_hub

    def no_download(*args, **kwargs):
        raise AssertionError("wordllama tried to download")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", no_download)
    embeddings._model.cache_clear()
    assert embeddings.embed(["a sentence"]).shape == (1, embeddings.EMBEDDING_DIMENSIONS)


def test_embeddings_are_written_even_when_the_cache_is_away(monkeypatch):
    from papers.search import semantic

    def away(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(semantic.cache, "incr", away)
    monkeypatch.setattr(semantic.cache, "add", away)
    moe, _ = _papers()
    assert paper_embed(paper_ids=[moe.pk]) == 1
    assert Paper.objects.filter(pk=moe.pk, embedding__isnull=False).exists()
