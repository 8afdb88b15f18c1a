"""The HTTP client against a real local server (pytest-httpserver)."""

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from django.core.cache import cache
from pytest_httpserver import HTTPServer
from werkzeug import Response as WerkzeugResponse

from papers.http import FetchError, HostThrottle, HttpClient, default_client, parse_retry_after


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def threaded_server():
    """A server that answers the retry while the first, slow request is still sleeping."""
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def sleeps():
    return Sleeps()


def make_client(sleeps, **options) -> HttpClient:
    defaults = {
        "user_agent": "test-agent",
        "read_timeout": 2,
        "retries": 2,
        "backoff": 0.01,
        "backoff_max": 10,
    }
    return HttpClient(sleep=sleeps, **{**defaults, **options})


def test_it_returns_the_body_and_validators(httpserver, sleeps):
    httpserver.expect_request("/feed").respond_with_data(
        "hello", headers={"ETag": '"v1"', "Last-Modified": "Tue, 05 Mar 2024 00:00:00 GMT"}
    )
    response = make_client(sleeps).get(httpserver.url_for("/feed"))
    assert (response.status, response.content) == (200, b"hello")
    assert (response.etag, response.last_modified) == ('"v1"', "Tue, 05 Mar 2024 00:00:00 GMT")


def test_a_conditional_get_answered_304_is_not_modified(httpserver, sleeps):
    httpserver.expect_request(
        "/feed", headers={"If-None-Match": '"v1"', "If-Modified-Since": "Tue, 05 Mar 2024 00:00:00 GMT"}
    ).respond_with_data("", status=304)
    response = make_client(sleeps).get(
        httpserver.url_for("/feed"), etag='"v1"', last_modified="Tue, 05 Mar 2024 00:00:00 GMT"
    )
    assert response.not_modified and response.content == b""


def test_it_names_the_site_in_the_user_agent(httpserver, settings):
    settings.SITE_NAME, settings.SITE_URL = "Example Reading Group", "https://rg.example.org"
    httpserver.expect_request(
        "/ua", headers={"User-Agent": "Example Reading Group/1.0 (+https://rg.example.org)"}
    ).respond_with_data("ok")
    with default_client() as client:
        assert client.get(httpserver.url_for("/ua")).content == b"ok"


def test_it_retries_a_server_error_then_succeeds(httpserver, sleeps):
    httpserver.expect_ordered_request("/flaky").respond_with_data("down", status=500)
    httpserver.expect_ordered_request("/flaky").respond_with_data("up")
    assert make_client(sleeps).get(httpserver.url_for("/flaky")).content == b"up"
    assert len(sleeps) == 1 and len(httpserver.log) == 2


def test_backoff_grows_and_gives_up_after_the_retries_as_a_transient_error(httpserver, sleeps):
    httpserver.expect_request("/down").respond_with_data("down", status=503)
    with pytest.raises(FetchError) as caught:
        make_client(sleeps, retries=3, backoff=1, backoff_max=100).get(httpserver.url_for("/down"))
    assert not caught.value.permanent and "HTTP 503" in str(caught.value)
    assert len(httpserver.log) == 4
    # Full jitter: each wait lies between half the base and the doubled ceiling.
    assert len(sleeps) == 3
    assert all(0.5 <= wait <= ceiling for wait, ceiling in zip(sleeps, [1, 2, 4], strict=True))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_it_never_retries_other_client_errors(httpserver, sleeps, status):
    httpserver.expect_request("/gone").respond_with_data("no", status=status)
    with pytest.raises(FetchError) as caught:
        make_client(sleeps).get(httpserver.url_for("/gone"))
    assert caught.value.permanent and len(httpserver.log) == 1 and sleeps == []


def test_it_honours_retry_after_on_429(httpserver, sleeps):
    httpserver.expect_ordered_request("/busy").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request("/busy").respond_with_data("ok")
    assert make_client(sleeps).get(httpserver.url_for("/busy")).content == b"ok"
    assert sleeps == [7.0]


def test_it_honours_a_retry_after_date_on_503(httpserver, sleeps):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    httpserver.expect_ordered_request("/busy").respond_with_data(
        "", status=503, headers={"Retry-After": when}
    )
    httpserver.expect_ordered_request("/busy").respond_with_data("ok")
    assert make_client(sleeps).get(httpserver.url_for("/busy")).content == b"ok"
    assert 3 <= sleeps[0] <= 5


def test_a_retry_after_longer_than_we_wait_ends_the_fetch_for_now(httpserver, sleeps):
    httpserver.expect_request("/busy").respond_with_data("", status=429, headers={"Retry-After": "3600"})
    with pytest.raises(FetchError) as caught:
        make_client(sleeps, backoff_max=60).get(httpserver.url_for("/busy"))
    assert not caught.value.permanent and "3600" in str(caught.value)
    assert len(httpserver.log) == 1 and sleeps == []


def test_a_read_timeout_is_a_transient_error(httpserver, sleeps):
    def slow(request):
        time.sleep(0.6)
        return WerkzeugResponse("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    with pytest.raises(FetchError) as caught:
        make_client(sleeps, read_timeout=0.2, retries=0).get(httpserver.url_for("/slow"))
    assert not caught.value.permanent and "Timed out" in str(caught.value)


def test_a_timeout_then_success_is_retried(threaded_server, sleeps):
    calls = []

    def slow_once(request):
        calls.append(1)
        if len(calls) == 1:
            time.sleep(0.6)
        return WerkzeugResponse("fine")

    threaded_server.expect_request("/slow").respond_with_handler(slow_once)
    assert make_client(sleeps, read_timeout=0.2).get(threaded_server.url_for("/slow")).content == b"fine"
    assert len(calls) == 2


def test_a_refused_connection_is_a_transient_error(sleeps):
    with pytest.raises(FetchError) as caught:
        make_client(sleeps, retries=1).get("http://127.0.0.1:9/nothing-listens-here")
    assert not caught.value.permanent and len(sleeps) == 1


@pytest.mark.parametrize("url", ["ftp://example.org/x", "not a url", "file:///etc/passwd"])
def test_unusable_urls_are_permanent_errors(sleeps, url):
    with pytest.raises(FetchError) as caught:
        make_client(sleeps).get(url)
    assert caught.value.permanent and sleeps == []


def test_a_declared_oversize_body_is_refused(httpserver, sleeps):
    httpserver.expect_request("/big").respond_with_data(b"x" * 5000)
    with pytest.raises(FetchError) as caught:
        make_client(sleeps, max_bytes=1000).get(httpserver.url_for("/big"))
    assert caught.value.permanent and "larger than 1000 bytes" in str(caught.value)


def test_a_streamed_oversize_body_is_cut_off(httpserver, sleeps):
    sent = []

    def endless():  # 640 MB if nobody stopped reading
        for _ in range(10_000):
            sent.append(1)
            yield b"y" * 65536

    # No Content-Length: the limit must hold while streaming.
    httpserver.expect_request("/stream").respond_with_response(WerkzeugResponse(endless()))
    with pytest.raises(FetchError) as caught:
        make_client(sleeps, max_bytes=100_000).get(httpserver.url_for("/stream"))
    assert caught.value.permanent and "larger than 100000 bytes" in str(caught.value)
    assert len(sent) < 10_000  # the client hung up long before the end


def test_a_body_within_the_limit_streams_through(httpserver, sleeps):
    httpserver.expect_request("/stream").respond_with_response(
        WerkzeugResponse(iter([b"a" * 600, b"b" * 400]))
    )
    assert len(make_client(sleeps, max_bytes=1000).get(httpserver.url_for("/stream")).content) == 1000


@pytest.mark.parametrize(
    ("header", "expected"),
    [("120", 120.0), ("", None), ("soon", None), ("-5", None), ("Wed, 21 Oct 2015 07:28:00", None)],
)
def test_it_parses_retry_after(header, expected):
    assert parse_retry_after(header) == expected


def test_the_throttle_reserves_consecutive_slots_for_one_host():
    clock = [1000.0]
    waits = []
    throttle = HostThrottle(cache, sleep=waits.append, clock=lambda: clock[0])
    throttle.wait("export.arxiv.org", 3)
    throttle.wait("export.arxiv.org", 3)
    throttle.wait("export.arxiv.org", 3)
    throttle.wait("huggingface.co", 3)
    assert waits == [3.0, 6.0]  # the first call and the other host go at once


def test_requests_to_one_host_keep_the_interval_across_threads(httpserver, sleeps):
    httpserver.expect_request("/q").respond_with_data("ok")
    interval = 0.15

    def fetch():
        HttpClient(user_agent="t", retries=0).get(httpserver.url_for("/q"), min_interval=interval)

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Four requests need three full intervals between them, however they raced.
    assert time.monotonic() - started >= 3 * interval
    assert len(httpserver.log) == 4


def test_arxiv_hosts_get_the_arxiv_interval(settings):
    settings.FETCH_ARXIV_INTERVAL_SECONDS = 3
    client = default_client()
    assert client._interval_for("export.arxiv.org", 0) == 3
    assert client._interval_for("arxiv.org", 0) == 3
    assert client._interval_for("huggingface.co", 0) == 0
    assert client._interval_for("notarxiv.org", 1) == 1


def test_staying_on_host_follows_a_redirect_within_the_host(httpserver, sleeps):
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/new"})
    httpserver.expect_request("/new").respond_with_data("here")
    response = make_client(sleeps).get(httpserver.url_for("/old"), stay_on_host=True)
    assert response.content == b"here" and response.url == httpserver.url_for("/new")


@pytest.mark.parametrize("other", ["host", "port"])
def test_staying_on_host_refuses_a_redirect_to_another_host_or_port(httpserver, sleeps, other):
    # The server answers on localhost and 127.0.0.1 alike: two host names, one server.
    host = "127.0.0.1" if httpserver.host == "localhost" else "localhost"
    target = f"http://{host}:{httpserver.port}/internal/admin" if other == "host" else "http://localhost:1/x"
    httpserver.expect_request("/lookup").respond_with_data("", status=302, headers={"Location": target})
    httpserver.expect_request("/internal/admin").respond_with_data("secret")
    with pytest.raises(FetchError) as caught:
        make_client(sleeps).get(httpserver.url_for("/lookup"), stay_on_host=True)
    assert caught.value.permanent and "another host" in str(caught.value)
    assert [entry[0].path for entry in httpserver.log] == ["/lookup"] and sleeps == []


def test_a_redirect_loop_on_the_host_ends_as_a_permanent_error(httpserver, sleeps):
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError) as caught:
        make_client(sleeps).get(httpserver.url_for("/loop"), stay_on_host=True)
    assert caught.value.permanent and "Too many redirects" in str(caught.value)
