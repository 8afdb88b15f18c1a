"""/metrics: the site's state in the Prometheus text format (docs/monitoring.md).

Off (404) unless METRICS_TOKEN is set; then only a request with `Authorization: Bearer
<token>` gets an answer. Everything but the request counter is read when Prometheus asks,
from where all processes write already, so any web process answers for the whole site:

- outbox messages and fetch runs from the database;
- Celery task failures from the cache (Redis in full mode), counted by every worker process
  on Celery's task_failure signal;
- HTTP responses by status are counted in each web process: with several gunicorn workers set
  PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode, gunicorn.conf.py clears the
  folder at start), otherwise each scrape would see one random worker's count.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Min, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

logger = logging.getLogger(__name__)

# Not in prometheus-client's global registry: the view builds a registry per scrape.
REQUESTS = Counter("readinggroup_http_requests", "HTTP responses, by status code.", ["status"], registry=None)
TASK_FAILURE_KEY = "metrics:task-failures:"


class RequestCountMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)  # a view's exception is a 500 response by now
        REQUESTS.labels(status=str(response.status_code)).inc()
        return response


def task_failed(sender=None, **kwargs) -> None:
    """Celery's task_failure: one more failure of this task, in the cache every process shares."""
    key = TASK_FAILURE_KEY + getattr(sender, "name", "unknown")
    try:
        cache.add(key, 0, timeout=None)
        cache.incr(key)
    except Exception:  # the cache is away: the failure is still logged (and mailed, and tracked)
        logger.warning("Could not count a failure of task %s", key, exc_info=True)


class SiteCollector:
    """Reads the outbox, the fetch runs and the task-failure counts when Prometheus scrapes."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        yield from _outbox_metrics(now)
        yield from _fetch_metrics(now)
        yield _task_failures()


def _outbox_metrics(now) -> Iterator[Metric]:
    from outbox.models import Message

    waiting = Q(published_at__isnull=True) | Q(run_count=0)
    started = Q(published_at__isnull=False, run_count__gt=0)
    counts = Message.objects.filter(done_at__isnull=True).aggregate(
        unpublished=Count("pk", filter=Q(published_at__isnull=True)),
        queued=Count("pk", filter=Q(published_at__isnull=False, run_count=0)),
        running=Count("pk", filter=started & Q(last_error="")),
        failed=Count("pk", filter=started & ~Q(last_error="")),
        oldest=Min("created_at", filter=waiting),
    )
    oldest = counts.pop("oldest")
    messages = GaugeMetricFamily(
        "readinggroup_outbox_messages",
        "Outbox messages not run to the end: unpublished, queued at the broker, running (or waiting "
        "for a retry), failed (their last run raised).",
        labels=["state"],
    )
    for state, count in counts.items():
        messages.add_metric([state], count)
    yield messages
    yield GaugeMetricFamily(
        "readinggroup_outbox_oldest_waiting_age_seconds",
        "Age of the oldest outbox message not yet started (unpublished or queued); 0 when none waits.",
        value=(now - oldest).total_seconds() if oldest else 0,
    )


def _fetch_metrics(now) -> Iterator[Metric]:
    from papers.models import FetchRun, Source

    finished = CounterMetricFamily(
        "readinggroup_fetch_runs", "Finished fetch runs, by source and status.", labels=["source", "status"]
    )
    running = GaugeMetricFamily("readinggroup_fetch_runs_running", "Fetch runs under way.", labels=["source"])
    rows = FetchRun.objects.values_list("source__name", "status").annotate(count=Count("pk")).order_by()
    for source, status, count in rows:
        if status == FetchRun.Status.RUNNING:
            running.add_metric([source], count)
        else:
            finished.add_metric([source, status], count)
    yield finished
    yield running
    age = GaugeMetricFamily(
        "readinggroup_source_last_success_age_seconds",
        "Seconds since each enabled source's last successful fetch (since it was added, if never).",
        labels=["source"],
    )
    sources = Source.objects.filter(enabled=True).annotate(
        last_success=Max("runs__finished_at", filter=Q(runs__status=FetchRun.Status.SUCCEEDED))
    )
    for source in sources:
        age.add_metric([source.name], (now - (source.last_success or source.created_at)).total_seconds())
    yield age


def _task_failures() -> Metric:
    from readinggroup.celery import app

    failures = CounterMetricFamily(
        "readinggroup_celery_task_failures",
        "Celery tasks that raised (after their retries), by task, counted in the shared cache.",
        labels=["task"],
    )
    names = sorted(name for name in app.tasks if not name.startswith("celery."))
    counts = cache.get_many([TASK_FAILURE_KEY + name for name in names])
    for name in names:
        failures.add_metric([name], counts.get(TASK_FAILURE_KEY + name, 0))
    return failures


def _authorised(request: HttpRequest) -> bool:
    expected = f"Bearer {settings.METRICS_TOKEN}".encode()
    return hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected)


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN:
        raise Http404("metrics are off: set METRICS_TOKEN")
    if not _authorised(request):
        return HttpResponse(status=401, headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # every gunicorn worker's request counts
    else:
        registry.register(REQUESTS)
    registry.register(SiteCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
