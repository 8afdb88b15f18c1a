"""Redis stopped, or hung, while members suggest papers and vote: the site answers, nothing is lost.

Real processes: a Redis of the test's own (broker and cache), gunicorn and a Celery
worker running the production settings against the test database, and a stand-in
for the arXiv API that counts how often each paper's metadata is fetched.
"""

import re
import time

import httpx
import pytest
from django.test import Client
from knox.models import AuthToken

from members.tests.factories import UserFactory
from outbox.models import Message
from papers.models import Paper, Vote
from papers.tests.factories import PaperFactory
from readinggroup.tests import processes
from readinggroup.tests.processes import wait_for
from readinggroup.tests.standins import ArxivStandIn, standin_title

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ANSWER_WITHIN_SECONDS = 2.0
RECOVERY_SECONDS = 20
METADATA = "papers.tasks.fetch_paper_metadata"


@pytest.fixture
def site(tmp_path):
    """Redis, the arXiv stand-in, gunicorn and a worker; yields a namespace of them."""
    with processes.redis_server(tmp_path) as redis, ArxivStandIn() as arxiv:
        env = processes.app_env(
            tmp_path,
            REDIS_URL=redis.url(0),
            ARXIV_API_URL=arxiv.url,
            OUTBOX_RELAY_SECONDS="0.5",
            OUTBOX_RELAY_MAX_SECONDS="2",
        )
        with (
            processes.web_server(env, tmp_path) as (web, base),
            processes.celery_worker(env, tmp_path) as worker,
        ):
            yield type(
                "Site", (), {"redis": redis, "arxiv": arxiv, "base": base, "web": web, "worker": worker}
            )


class Member:
    """A member on the API (token) and on the web site (session cookie), over real HTTP."""

    def __init__(self, base: str, username: str) -> None:
        self.user = UserFactory(username=username)
        _, token = AuthToken.objects.create(user=self.user)
        login = Client()
        login.force_login(self.user, backend="django.contrib.auth.backends.ModelBackend")
        self.api = httpx.Client(base_url=base, headers={"Authorization": f"Token {token}"}, timeout=10)
        self.web = httpx.Client(
            base_url=base, cookies={"sessionid": login.cookies["sessionid"].value}, timeout=10
        )
        self.timings: dict[str, tuple[int, float]] = {}

    def timed(self, label: str, call) -> httpx.Response:
        started = time.monotonic()
        response = call()
        self.timings[label] = (response.status_code, time.monotonic() - started)
        return response

    def csrf(self, path: str) -> str:
        page = self.web.get(path)
        assert page.status_code == 200, page.text[:500]
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    def suggest_on_the_web(self, reference: str) -> httpx.Response:
        token = self.csrf("/papers/suggest/")
        return self.timed(
            "web suggest",
            lambda: self.web.post(
                "/papers/suggest/", data={"reference": reference, "csrfmiddlewaretoken": token}
            ),
        )

    def vote_on_the_web(self, paper: Paper, voted: bool) -> httpx.Response:
        token = self.csrf(f"/papers/{paper.pk}/")
        return self.timed(
            "web vote",
            lambda: self.web.post(
                f"/papers/{paper.pk}/vote/",
                data={"voted": "1" if voted else "0", "csrfmiddlewaretoken": token},
            ),
        )


def _metadata_in(*arxiv_ids: str) -> bool:
    titles = dict(Paper.objects.filter(arxiv_id__in=arxiv_ids).values_list("arxiv_id", "title"))
    return all(titles.get(i) == standin_title(i) for i in arxiv_ids)


def _all_done() -> bool:
    return not Message.objects.filter(done_at__isnull=True).exists()


def _report(name: str, member: Member, **figures) -> None:
    timings = ", ".join(
        f"{label} {status} in {seconds:.3f}s" for label, (status, seconds) in member.timings.items()
    )
    extra = ", ".join(f"{key}={value}" for key, value in figures.items())
    print(f"\nRELIABILITY {name}: {timings}; {extra}")


def test_with_redis_stopped_requests_answer_at_once_and_the_work_runs_once_when_it_is_back(site):
    member = Member(site.base, "ada")
    listed = PaperFactory()
    site.redis.stop()

    api_suggest = member.timed(
        "API suggest", lambda: member.api.post("/api/v1/papers/", json={"reference": "2403.01234"})
    )
    web_suggest = member.suggest_on_the_web("https://arxiv.org/abs/2403.05678")
    api_vote = member.timed("API vote", lambda: member.api.put(f"/api/v1/papers/{listed.pk}/vote/"))
    web_unvote = member.vote_on_the_web(listed, voted=False)
    web_vote = member.vote_on_the_web(listed, voted=True)

    assert api_suggest.status_code == 201, api_suggest.text
    assert web_suggest.status_code == 302 and "/papers/" in web_suggest.headers["location"]
    assert (api_vote.status_code, api_vote.json()["vote_count"]) == (200, 1)
    assert web_unvote.status_code == web_vote.status_code == 303
    assert all(seconds < ANSWER_WITHIN_SECONDS for _, seconds in member.timings.values()), member.timings
    assert Vote.objects.filter(paper=listed).count() == Paper.objects.get(pk=listed.pk).vote_count == 1
    waiting = list(Message.objects.filter(task=METADATA))
    assert len(waiting) == 2 and all(m.published_at is None and m.publish_attempts >= 1 for m in waiting)

    stopped_for = time.monotonic()
    site.redis.start()  # empty: whatever was queued in the old Redis would be gone
    assert wait_for(lambda: _metadata_in("2403.01234", "2403.05678") and _all_done(), RECOVERY_SECONDS, 0.2)
    recovered_in = time.monotonic() - stopped_for
    time.sleep(2)  # time for a duplicate to show up, if there were one

    assert dict(site.arxiv.requests) == {"2403.01234": 1, "2403.05678": 1}
    messages = list(Message.objects.order_by("pk"))
    # The fetched details queue the papers' summaries and their search embeddings; the
    # embeddings queue the related papers.
    assert {m.task for m in messages} == {
        METADATA,
        "papers.tasks.summarise_papers",
        "papers.tasks.embed_papers",
        "papers.tasks.relate_papers",
    }
    assert all(m.published_at and m.done_at and m.run_count == 1 for m in messages), [
        (m.task, m.run_count, m.done_at) for m in messages
    ]
    papers = Paper.objects.filter(arxiv_id__in=["2403.01234", "2403.05678"])
    assert {(p.status, p.summary_backend, p.authorships.count()) for p in papers} == {
        ("listed", "extractive", 3)
    }
    _report(
        "broker-stopped",
        member,
        messages=len(messages),
        runs=sum(m.run_count for m in messages),
        lost=Message.objects.filter(done_at__isnull=True).count(),
        recovered_after_restart_s=f"{recovered_in:.1f}",
    )


def test_with_redis_hung_requests_answer_within_the_timeouts_and_every_task_runs_once(site):
    member = Member(site.base, "ben")
    listed = PaperFactory()
    # Warm up the same code paths, so the timings below are the waits on Redis, not first-use imports.
    warm_up = member.timed(
        "warm-up", lambda: member.api.post("/api/v1/papers/", json={"reference": "2403.00001"})
    )
    assert warm_up.status_code == 201
    site.redis.freeze()
    try:
        api_suggest = member.timed(
            "API suggest", lambda: member.api.post("/api/v1/papers/", json={"reference": "2403.02468"})
        )
        web_suggest = member.suggest_on_the_web("2403.08642")
        api_vote = member.timed("API vote", lambda: member.api.put(f"/api/v1/papers/{listed.pk}/vote/"))
    finally:
        site.redis.thaw()
    assert (api_suggest.status_code, web_suggest.status_code, api_vote.status_code) == (201, 302, 200)
    assert all(seconds < ANSWER_WITHIN_SECONDS for _, seconds in member.timings.values()), member.timings

    ids = ("2403.00001", "2403.02468", "2403.08642")
    assert wait_for(lambda: _metadata_in(*ids) and _all_done(), RECOVERY_SECONDS, 0.2)
    time.sleep(2)
    # A publish that timed out may still have reached Redis when it woke up, and the relay
    # published it again: the worker ran it once and skipped the copy.
    assert dict(site.arxiv.requests) == dict.fromkeys(ids, 1)
    messages = list(Message.objects.all())
    assert all(m.done_at and m.run_count == 1 for m in messages)
    _report(
        "broker-hung",
        member,
        messages=len(messages),
        runs=sum(m.run_count for m in messages),
        duplicates_skipped=sum(m.duplicate_count for m in messages),
        lost=Message.objects.filter(done_at__isnull=True).count(),
    )
