import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "readinggroup.settings")

app = Celery("readinggroup")
# Every Celery option lives in settings.py under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
