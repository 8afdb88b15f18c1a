"""/metrics: off without a token, then only with it; the site's state in Prometheus' text format."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from outbox.models import Message
from papers.models import FetchRun
from papers.tests.factories import FetchRunFactory, SourceFactory
from readinggroup.tests.observed_urls import TOKEN, explode

pytestmark = pytest.mark.django_db
BEARER = "s3cret-metrics-token"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = BEARER

    def samples() -> dict[tuple[str, tuple], float]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {BEARER}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=")
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples
        }

    return samples


def test_it_is_off_until_a_token_is_set(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Token {BEARER}", f"Bearer {BEARER}x", "Bearer"])
def test_it_answers_only_the_token(client, settings, header):
    settings.METRICS_TOKEN = BEARER
    response = client.get("/metrics", **({"HTTP_AUTHORIZATION": header} if header else {}))
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert b"readinggroup" not in response.content


def test_it_counts_responses_by_status(client, scrape):
    before = scrape().get(("readinggroup_http_requests_total", (("status", "404"),)), 0)
    client.get("/no-such-page")
    client.get("/no-such-page")
    assert scrape()[("readinggroup_http_requests_total", (("status", "404"),))] == before + 2


def test_it_reports_the_outbox_waiting_and_the_oldest_ones_age(scrape):
    now = timezone.now()
    Message.objects.create(task="t", created_at=now - timedelta(minutes=10))  # unpublished
    Message.objects.create(task="t", published_at=now)  # queued at the broker
    Message.objects.create(task="t", published_at=now, run_count=1, last_error="ValueError: x")
    Message.objects.create(task="t", published_at=now, run_count=1, done_at=now)  # done: not counted
    samples = scrape()
    states = {
        dict(labels)["state"]: value
        for (name, labels), value in samples.items()
        if name == "readinggroup_outbox_messages"
    }
    assert states == {"unpublished": 1, "queued": 1, "running": 0, "failed": 1}
    assert 600 <= samples[("readinggroup_outbox_oldest_waiting_age_seconds", ())] < 660


def test_it_reports_fetch_runs_per_source_and_the_age_of_the_last_success(scrape):
    now = timezone.now()
    arxiv = SourceFactory(name="arxiv")
    FetchRunFactory(source=arxiv, status=FetchRun.Status.SUCCEEDED, finished_at=now - timedelta(hours=2))
    FetchRunFactory(source=arxiv, status=FetchRun.Status.FAILED, finished_at=now)
    FetchRunFactory(source=arxiv, status=FetchRun.Status.RUNNING)
    SourceFactory(name="new", created_at=now - timedelta(minutes=5))  # never succeeded
    samples = scrape()
    assert samples[("readinggroup_fetch_runs_total", (("source", "arxiv"), ("status", "succeeded")))] == 1
    assert samples[("readinggroup_fetch_runs_total", (("source", "arxiv"), ("status", "failed")))] == 1
    assert samples[("readinggroup_fetch_runs_running", (("source", "arxiv"),))] == 1
    assert 7200 <= samples[("readinggroup_source_last_success_age_seconds", (("source", "arxiv"),))] < 7260
    assert 300 <= samples[("readinggroup_source_last_success_age_seconds", (("source", "new"),))] < 360


def test_it_counts_task_failures_in_the_shared_cache(scrape):
    key = ("readinggroup_celery_task_failures_total", (("task", explode.name),))
    assert scrape()[key] == 0
    explode.apply([TOKEN], throw=False)
    explode.apply([TOKEN], throw=False)
    assert scrape()[key] == 2


@pytest.mark.integration
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_with_several_gunicorn_workers_every_scrape_counts_all_their_requests(tmp_path):
    """PROMETHEUS_MULTIPROC_DIR: whichever worker answers /metrics adds up every worker's counts."""
    import httpx

    from readinggroup.tests import processes

    folder = tmp_path / "prometheus"
    folder.mkdir()
    (folder / "counter_99999.db").write_bytes(b"left over from the last run")  # emptied at start
    env = processes.app_env(tmp_path, METRICS_TOKEN=BEARER, PROMETHEUS_MULTIPROC_DIR=str(folder))
    with processes.web_server(env, tmp_path, workers=2) as (_, base):
        for _ in range(20):
            assert httpx.get(f"{base}/no-such-page", timeout=5).status_code == 404
        counts = set()
        for _ in range(6):
            text = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {BEARER}"}, timeout=5).text
            [count] = [
                sample.value
                for family in text_string_to_metric_families(text)
                for sample in family.samples
                if sample.name == "readinggroup_http_requests_total" and sample.labels == {"status": "404"}
            ]
            counts.add(count)
    assert counts == {20}
