"""The worker's side of the outbox: run each message once, and relay what was not published.

Every task of the project has OutboxTask as its base (readinggroup/celery.py). A
delivery carrying an outbox id runs only if that message has not run to the end
already; a second delivery (a relay that published twice, a broker that
redelivered after a visibility timeout or a lost worker) is skipped.

The relay runs in a thread of every worker's main process. That is where it
belongs: a broker outage is exactly when nothing can reach a worker through
the broker, so a periodic task sent by beat would wait behind the outage it is
meant to repair, and the web processes must never spend a request on it. The
worker is also the one process that has to be up for the work to happen at all.
While the broker is away the relay backs off, doubling its pause up to
OUTBOX_RELAY_MAX_SECONDS; the first pass that publishes again resets it.
"""

from __future__ import annotations

import logging
import random
import threading
import time

from celery import Task, bootsteps
from celery.exceptions import Retry

from outbox.publishing import HEADER

logger = logging.getLogger(__name__)

BUSY_RETRY_SECONDS = 5
PURGE_EVERY_SECONDS = 3600


class OutboxTask(Task):
    """Skips deliveries of an outbox message that ran already; runs everything else as usual."""

    def __call__(self, *args, **kwargs):
        if self.request.called_directly:  # a plain function call, outside any worker
            return super().__call__(*args, **kwargs)
        # The tracer has set up self.request already (retries, headers): call run, not
        # super().__call__, which would push a fresh request without them.
        message_id = (self.request.headers or {}).get(HEADER)
        if message_id is None:
            return self.run(*args, **kwargs)
        from outbox.services import Claim, message_claim, message_finish

        with message_claim(message_id) as claim:
            if claim is Claim.DONE:
                logger.info("Outbox message %s ran already: delivery skipped", message_id)
                return None
            if claim is Claim.BUSY and self.request.is_eager:
                return None  # in-process: whoever holds it runs it (an eager retry would recurse at once)
            if claim is Claim.BUSY:
                # Not dropped: if the worker running it dies, this delivery still gets its turn.
                raise self.retry(countdown=BUSY_RETRY_SECONDS, max_retries=self.request.retries + 1)
            try:
                result = self.run(*args, **kwargs)
            except Retry:
                raise  # the retry carries the same outbox id
            except Exception as error:
                message_finish(message_id=message_id, error=error)
                raise
            message_finish(message_id=message_id)
            return result


def relay_loop(
    stop: threading.Event, *, base: float, most: float, purge_every: float = PURGE_EVERY_SECONDS
) -> None:
    """Relay passes until `stop` is set: every `base` seconds, backing off to `most` on failure."""
    from django.db import DatabaseError, close_old_connections, connection

    from outbox.services import messages_purge, messages_relay

    pause, last_purge = base, time.monotonic()
    while not stop.wait(pause * random.uniform(0.8, 1.0)):  # jitter: workers do not relay in step
        try:
            result = messages_relay()
            if result.published:
                logger.info("Outbox relay published %s message(s)", result.published)
            pause = min(most, pause * 2) if result.broker_down else base
            if time.monotonic() - last_purge > purge_every:
                messages_purge()
                last_purge = time.monotonic()
        except DatabaseError:
            logger.warning("Outbox relay: the database is unreachable", exc_info=True)
            pause = min(most, pause * 2)
            connection.close()
        except Exception:  # a bug must not end the relay thread for good
            logger.exception("Outbox relay pass failed")
            pause = min(most, pause * 2)
        finally:
            close_old_connections()


class RelayStep(bootsteps.StartStopStep):
    """Starts the relay thread with the worker (after the pool, so no fork sees it) and stops it with it."""

    requires = ("celery.worker.components:Pool",)

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, worker) -> None:
        from django.conf import settings

        self.thread = threading.Thread(
            target=relay_loop,
            args=(self.stop_event,),
            kwargs={"base": settings.OUTBOX_RELAY_SECONDS, "most": settings.OUTBOX_RELAY_MAX_SECONDS},
            name="outbox-relay",
            daemon=True,
        )
        self.thread.start()

    def stop(self, worker) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=5)
