"""Summary backends: choosing one by name, the LLM backend against a local OpenAI-compatible server."""

import json
import time

import pytest
from werkzeug import Response as WerkzeugResponse

from outbox.tests.helpers import first_args
from papers import tasks
from papers.models import Paper, Tag
from papers.services import paper_resummarise, paper_summarise
from papers.summaries import UnknownBackendError, get_backend
from papers.summaries.base import Summary
from papers.summaries.extractive import ExtractiveBackend
from papers.summaries.llm import LLMBackend, parse_answer
from papers.tests.factories import PaperFactory

TITLE = "Sparse Routers for Mixture-of-Experts"
ABSTRACT = (
    "Routing tokens to experts is expensive. We propose a sparse router whose cost grows with the square "
    "root of the number of experts. On four benchmarks it matches dense routing with a third of the compute."
)
GOOD = {
    "tldr": "A sparse router for mixture-of-experts that matches dense routing at a third of the cost.",
    "keywords": ["Mixture of Experts", "routing", "sparsity", "routing", "efficiency"],
}


def completion(content: str) -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "test-model",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


@pytest.fixture
def llm(httpserver):
    def make(**options) -> LLMBackend:
        defaults = {
            "base_url": httpserver.url_for("/v1"),
            "api_key": "sk-test",
            "model": "test-model",
            "timeout": 2,
        }
        return LLMBackend(**{**defaults, **options})

    return make


def test_get_backend_reads_the_setting_and_accepts_a_name(settings):
    settings.SUMMARY_BACKEND = "llm"
    assert get_backend().name == "llm"
    assert get_backend("extractive").name == "extractive"


def test_get_backend_refuses_an_unknown_name():
    with pytest.raises(UnknownBackendError, match="choose one of extractive, llm"):
        get_backend("gpt-99")


def test_the_llm_backend_asks_for_json_and_returns_its_summary(httpserver, llm):
    httpserver.expect_request(
        "/v1/chat/completions", method="POST", headers={"Authorization": "Bearer sk-test"}
    ).respond_with_json(completion(json.dumps(GOOD)))
    summary = llm().summarise(title=TITLE, abstract=ABSTRACT)
    assert summary == Summary(
        text=GOOD["tldr"], keywords=["mixture of experts", "routing", "sparsity", "efficiency"], backend="llm"
    )
    sent = json.loads(httpserver.log[0][0].get_data())
    assert sent["model"] == "test-model"
    assert "JSON" in sent["messages"][0]["content"]
    assert TITLE in sent["messages"][1]["content"] and ABSTRACT in sent["messages"][1]["content"]


def test_an_answer_wrapped_in_a_code_fence_is_accepted(httpserver, llm):
    httpserver.expect_request("/v1/chat/completions").respond_with_json(
        completion("```json\n" + json.dumps(GOOD) + "\n```")
    )
    assert llm().summarise(title=TITLE, abstract=ABSTRACT).backend == "llm"


@pytest.mark.parametrize(
    "content",
    [
        "Sure! Here is a summary of the paper.",
        json.dumps({"tldr": "x" * 301, "keywords": ["a", "b", "c"]}),
        json.dumps({"tldr": "Fine.", "keywords": ["only", "two"]}),
        json.dumps({"tldr": "", "keywords": ["a", "b", "c"]}),
        json.dumps({"summary": "Wrong key.", "keywords": ["a", "b", "c"]}),
        json.dumps({"tldr": "Fine.", "keywords": "a, b, c"}),
        json.dumps(["tldr", "keywords"]),
        "{broken json",
        "",
    ],
)
def test_an_invalid_answer_falls_back_to_extractive(httpserver, llm, content):
    httpserver.expect_request("/v1/chat/completions").respond_with_json(completion(content))
    summary = llm().summarise(title=TITLE, abstract=ABSTRACT)
    assert summary.backend == "extractive"
    assert summary == ExtractiveBackend().summarise(title=TITLE, abstract=ABSTRACT)


@pytest.mark.parametrize("status", [400, 401, 404, 429, 500, 503])
def test_an_http_error_falls_back_to_extractive(httpserver, llm, status):
    httpserver.expect_request("/v1/chat/completions").respond_with_json(
        {"error": {"message": "no"}}, status=status
    )
    assert llm().summarise(title=TITLE, abstract=ABSTRACT).backend == "extractive"
    assert len(httpserver.log) == 1  # no retries: the fallback is the retry


def test_a_timeout_falls_back_to_extractive(httpserver, llm):
    def slow(request):
        time.sleep(0.8)
        return WerkzeugResponse(json.dumps(completion(json.dumps(GOOD))), content_type="application/json")

    httpserver.expect_request("/v1/chat/completions").respond_with_handler(slow)
    assert llm(timeout=0.2).summarise(title=TITLE, abstract=ABSTRACT).backend == "extractive"


def test_an_unreachable_server_falls_back_to_extractive(llm):
    backend = llm(base_url="http://127.0.0.1:9/v1")
    assert backend.summarise(title=TITLE, abstract=ABSTRACT).backend == "extractive"


def test_an_unconfigured_llm_backend_falls_back_without_asking(httpserver, llm):
    assert llm(model="").summarise(title=TITLE, abstract=ABSTRACT).backend == "extractive"
    assert httpserver.log == []


def test_parse_answer_cleans_keywords():
    tldr, keywords = parse_answer('{"tldr": "  Two\\n spaces. ", "keywords": ["A", " b ", "c", 4, "", "d"]}')
    assert (tldr, keywords) == ("Two spaces.", ["a", "b", "c", "d"])


@pytest.mark.django_db
def test_summarising_stores_the_summary_backend_and_keywords_but_makes_no_tags():
    paper = PaperFactory(title=TITLE, abstract=ABSTRACT, summary="", summary_backend="")

    class Fixed:
        name = "fixed"

        def summarise(self, *, title, abstract):
            return Summary(
                text="Short.", keywords=["routing", "mixture of experts", "sparsity"], backend="fixed"
            )

    paper_summarise(paper_id=paper.pk, backend=Fixed())
    paper.refresh_from_db()
    assert (paper.summary, paper.summary_backend) == ("Short.", "fixed")
    assert paper.keywords == ["routing", "mixture of experts", "sparsity"]
    assert not paper.tags.exists()
    assert not Tag.objects.exists()


@pytest.mark.django_db
def test_the_llm_setting_with_a_failing_server_still_leaves_a_summary(httpserver, settings):
    settings.SUMMARY_BACKEND = "llm"
    settings.SUMMARY_LLM_BASE_URL = httpserver.url_for("/v1")
    settings.SUMMARY_LLM_MODEL = "test-model"
    httpserver.expect_request("/v1/chat/completions").respond_with_data("boom", status=500)
    paper = PaperFactory(title=TITLE, abstract=ABSTRACT, summary="", summary_backend="")
    assert tasks.summarise_paper.delay(paper.pk).get() == "extractive"
    paper.refresh_from_db()
    assert paper.summary and paper.summary_backend == "extractive"


@pytest.mark.django_db
def test_a_paper_changed_while_summarising_keeps_its_fresh_state():
    paper = PaperFactory(title=TITLE, abstract=ABSTRACT, summary="", summary_backend="")

    class ChangesThePaper:
        name = "slow"

        def summarise(self, *, title, abstract):
            Paper.objects.filter(pk=paper.pk).update(abstract="A newer abstract.")
            return Summary(text="Stale.", keywords=[], backend="slow")

    assert paper_summarise(paper_id=paper.pk, backend=ChangesThePaper()) is None
    paper.refresh_from_db()
    assert paper.summary == ""


@pytest.mark.django_db
def test_resummarising_queues_one_task_per_existing_paper(monkeypatch):
    queued = first_args(monkeypatch, tasks.summarise_paper)
    papers = [PaperFactory(), PaperFactory()]
    assert paper_resummarise(paper_ids=[p.pk for p in papers] + [987654]) == 2
    assert sorted(queued) == sorted(p.pk for p in papers)
