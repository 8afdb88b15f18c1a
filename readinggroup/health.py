"""/healthz: 200 when the database answers, 503 when it does not.

The broker is reported but does not fail the check: the site still serves
pages without it, and queued work waits until it is back.
"""

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

log = logging.getLogger(__name__)
BROKER_TIMEOUT_SECONDS = 1.0


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # any driver error means "not answering"
        log.warning("health check: database unreachable", exc_info=True)
        connection.close_if_unusable_or_obsolete()
        return False


def broker_ok() -> bool:
    url = settings.CELERY_BROKER_URL
    options = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    options.update(socket_connect_timeout=BROKER_TIMEOUT_SECONDS, socket_timeout=BROKER_TIMEOUT_SECONDS)
    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=options) as conn:
            conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
        return True
    except Exception:
        log.warning("health check: broker unreachable", exc_info=True)
        return False


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    db = database_ok()
    body = {
        "status": "ok" if db else "unavailable",
        "database": "ok" if db else "unreachable",
        "broker": "ok" if broker_ok() else "unreachable",
    }
    return JsonResponse(body, status=200 if db else 503)
