"""Publishing task messages to the broker quickly, or not at all: no ORM here.

Celery's own `delay()` retries a dead broker for seconds (kombu reconnects,
then the publish retry policy), which a web request must never wait for. Here
one attempt is made with a short connect and socket timeout and no retries;
after a failure the broker counts as down for BREAKER_SECONDS, so the requests
that follow do not each wait for the timeout. The outbox relay (outbox.worker)
publishes what was not taken.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from celery import Celery
from kombu import Connection
from kombu.exceptions import KombuError

logger = logging.getLogger(__name__)

HEADER = "outbox_id"  # the message header that names the outbox row
REQUEST_ID_HEADER = "request_id"  # the request that queued it (readinggroup.requestid.TASK_HEADER)
BREAKER_SECONDS = 5.0


class BrokerUnavailable(Exception):
    """The broker could not take the message now; publishing it later may work."""


class Publisher:
    """Publishes with short timeouts and no retries, reusing one connection per thread."""

    def __init__(self, app: Celery, *, timeout: float) -> None:
        self.app = app
        self.timeout = timeout
        self._local = threading.local()
        self._down_until = 0.0

    def publish(
        self,
        task_name: str,
        args: list,
        kwargs: dict,
        message_id: int,
        *,
        probe: bool = False,
        request_id: str = "",
    ) -> None:
        """Send one task message carrying its outbox id; BrokerUnavailable when the broker did not take it.

        While the broker counts as down only a probe (the relay) tries it; everyone else
        gets BrokerUnavailable at once.
        """
        if not probe and time.monotonic() < self._down_until:
            raise BrokerUnavailable("the broker was unreachable a moment ago")
        headers = {HEADER: message_id, REQUEST_ID_HEADER: request_id}
        reused = getattr(self._local, "connection", None) is not None
        started = time.monotonic()
        try:
            self._attempt(task_name, args, kwargs, headers)
        except BrokerUnavailable:
            # A connection kept from earlier may have died with a broker restart: one fresh
            # attempt, unless the first one already used up its time (a broker not answering).
            if not reused or time.monotonic() - started > self.timeout / 2:
                self._down_until = time.monotonic() + BREAKER_SECONDS
                raise
            try:
                self._attempt(task_name, args, kwargs, headers)
            except BrokerUnavailable:
                self._down_until = time.monotonic() + BREAKER_SECONDS
                raise
        self._down_until = 0.0

    def _attempt(self, task_name: str, args: list, kwargs: dict, headers: dict) -> None:
        connection = self._connection()
        try:
            self._send(connection, task_name, args, kwargs, headers)
        except (OSError, KombuError, *connection.connection_errors, *connection.channel_errors) as error:
            self._drop_connection()
            raise BrokerUnavailable(f"{type(error).__name__}: {error}") from error

    def _send(self, connection: Connection, task_name: str, args: list, kwargs: dict, headers: dict) -> None:
        # No retries anywhere: ensure_connection tries once, publish does not retry either.
        connection.ensure_connection(max_retries=0, timeout=self.timeout)
        task = self.app.tasks.get(task_name)
        options = {"headers": headers, "connection": connection, "retry": False}
        if task is not None:  # its own options (queue, routing) apply
            task.apply_async(args, kwargs, **options)
        else:
            self.app.send_task(task_name, args, kwargs, **options)

    def _connection(self) -> Connection:
        held = getattr(self._local, "connection", None)
        if held is not None and self._local.pid == os.getpid():
            return held
        # A connection opened before a fork belongs to the parent: never share its socket.
        options = dict(self.app.conf.broker_transport_options or {})
        options.update(
            socket_connect_timeout=self.timeout,
            socket_timeout=self.timeout,
            max_retries=0,
        )
        connection = self.app.connection_for_write(connect_timeout=self.timeout, transport_options=options)
        self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def _drop_connection(self) -> None:
        held = getattr(self._local, "connection", None)
        self._local.connection = None
        if held is not None:
            try:
                held.release()
            except Exception:  # a broken connection may fail to close; it is dropped either way
                logger.debug("closing a broken broker connection failed", exc_info=True)
