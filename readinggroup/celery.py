import os

from celery import Celery

from outbox.worker import RelayStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readinggroup.settings")

# Every task runs each outbox message once; every worker relays what the web could not publish.
app = Celery("readinggroup", task_cls="outbox.worker:OutboxTask")
app.steps["worker"].add(RelayStep)
# Every Celery option lives in settings.py under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
