"""PostgreSQL unreachable: /healthz says 503 at once, and the site recovers by itself when it returns.

A real gunicorn reaches the test database through a TCP proxy this test controls;
cutting the proxy makes PostgreSQL unreachable to the site (refused, or silent)
while the shared server itself is never touched. The same server process
serves before, during and after: nothing is restarted.
"""

import time

import httpx
import pytest

from papers.tests.factories import PaperFactory
from readinggroup.tests import processes
from readinggroup.tests.processes import TcpProxy, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
CONNECT_TIMEOUT = 2  # DB_CONNECT_TIMEOUT for the server; libpq's smallest


def _get(base: str, path: str) -> tuple[int, float, httpx.Response]:
    started = time.monotonic()
    response = httpx.get(base + path, timeout=30)
    return response.status_code, time.monotonic() - started, response


def test_healthz_is_503_while_the_database_is_unreachable_and_the_site_recovers_by_itself(tmp_path):
    paper = PaperFactory(title="A paper that survives an outage")
    proxy = TcpProxy(processes.database_address())
    proxy.start()
    env = processes.app_env(
        tmp_path,
        DATABASE_URL=processes.database_url(host="127.0.0.1", port=proxy.port),
        DB_CONN_MAX_AGE="60",  # kept connections must notice the outage too
        DB_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT),
    )
    figures = {}
    try:
        with processes.web_server(env, tmp_path) as (web, base):
            worker_pids = web.children()
            assert _get(base, "/healthz")[0] == 200
            assert _get(base, f"/papers/{paper.pk}/")[0] == 200

            proxy.cut("refuse")
            cut_at = time.monotonic()
            assert wait_for(lambda: _get(base, "/healthz")[0] == 503, 5, 0.1)
            figures["refused: 503 after"] = time.monotonic() - cut_at
            status, seconds, response = _get(base, "/healthz")
            assert response.json()["database"] == "unreachable"
            figures["refused: /healthz answered in"] = seconds
            page_status, seconds, page = _get(base, f"/papers/{paper.pk}/")
            assert (page_status, page.headers["Retry-After"]) == (503, "30")
            figures["refused: a page answered 503 in"] = seconds
            api_status, seconds, api = _get(base, "/api/v1/papers/")
            assert (api_status, api.json()["code"]) == (503, "unavailable")

            proxy.cut("blackhole")
            status, seconds, _ = _get(base, "/healthz")
            assert status == 503 and seconds < CONNECT_TIMEOUT + 2
            figures["silent: /healthz answered 503 in"] = seconds

            proxy.restore()
            back_at = time.monotonic()
            assert wait_for(lambda: _get(base, "/healthz")[0] == 200, 10, 0.1)
            figures["back: 200 after"] = time.monotonic() - back_at
            status, _, page = _get(base, f"/papers/{paper.pk}/")
            assert status == 200 and "A paper that survives an outage" in page.text
            assert web.alive() and web.children() == worker_pids, "the server was restarted"
    finally:
        proxy.close()
    print("\nRELIABILITY database-unreachable: " + ", ".join(f"{k} {v:.2f}s" for k, v in figures.items()))
