import os

from celery import Celery, signals

from outbox.worker import RelayStep
from readinggroup import metrics, requestid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readinggroup.settings")

# Every task runs each outbox message once; every worker relays what the web could not publish.
app = Celery("readinggroup", task_cls="outbox.worker:OutboxTask")
app.steps["worker"].add(RelayStep)
# Every Celery option lives in settings.py under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# A task logs with the id of the request that queued it (readinggroup/requestid.py).
signals.task_prerun.connect(requestid.task_started)
signals.task_postrun.connect(requestid.task_finished)
# Counted where every process can add to it and /metrics can read it (readinggroup/metrics.py).
signals.task_failure.connect(metrics.task_failed)


@signals.setup_logging.connect
def use_the_sites_logging(**kwargs) -> None:
    """Workers and beat log as the web does (settings.LOGGING: format, request ids, redaction, mail
    to ADMINS) instead of Celery's own root handler; LOG_LEVEL sets the level, not --loglevel."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
