"""The one HTTP client every source uses. It never touches the ORM.

- connect and read timeouts, plus a total deadline per response (a server that
  drips one byte every few seconds never trips the read timeout);
- conditional GET: ETag / Last-Modified in, 304 out as `Response.not_modified`;
- retries with exponential backoff and jitter (tenacity) on timeouts, connection
  errors, 5xx and 429, honouring Retry-After; none on other 4xx;
- a size limit checked while streaming, on the decoded body (gzip bombs too);
- a User-Agent naming the site, as arXiv and Crossref ask;
- a minimum interval per host that holds across worker processes (see HostThrottle);
- `stay_on_host`: redirects followed only within the requested host (metadata lookups, whose
  URL holds what a member typed).

Every failure is a FetchError whose `permanent` says whether trying again later can help.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx
from django.conf import settings
from django.core.cache import cache as default_cache
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt


class FetchError(Exception):
    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    content: bytes = b""
    etag: str = ""
    last_modified: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class HostThrottle:
    """At most one request per `interval` seconds to a host, across processes.

    Each caller reserves the next free slot under a short cache lock (an atomic
    `add`, so it works on Redis and on the shared file cache of the embedded
    default), then sleeps until its slot. Reservations queue up rather than
    race, so N workers hitting arXiv at once still go out 3 seconds apart.
    """

    LOCK_SECONDS = 10

    def __init__(self, cache=None, *, sleep: Callable[[float], None] = time.sleep, clock=time.time) -> None:
        self.cache = cache or default_cache
        self.sleep = sleep
        self.clock = clock

    def wait(self, host: str, interval: float) -> None:
        if interval <= 0:
            return
        slot = self._reserve(host, interval)
        delay = slot - self.clock()
        if delay > 0:
            self.sleep(delay)

    def _reserve(self, host: str, interval: float) -> float:
        lock_key, next_key = f"fetch:throttle-lock:{host}", f"fetch:throttle-next:{host}"
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.LOCK_SECONDS
        while not self.cache.add(lock_key, token, timeout=self.LOCK_SECONDS):
            if time.monotonic() > deadline:
                break  # a holder died inside its few milliseconds: its lock expires anyway
            time.sleep(0.005)
        try:
            now = self.clock()
            slot = max(now, float(self.cache.get(next_key) or 0.0))
            self.cache.set(next_key, slot + interval, timeout=int(interval) + 60)
        finally:
            if self.cache.get(lock_key) == token:
                self.cache.delete(lock_key)
        return slot


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class HttpClient:
    def __init__(
        self,
        *,
        user_agent: str,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        total_timeout: float = 120.0,
        max_bytes: int = 20_000_000,
        retries: int = 3,
        backoff: float = 2.0,
        backoff_max: float = 60.0,
        host_intervals: Mapping[str, float] | None = None,
        throttle: HostThrottle | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.total_timeout = total_timeout
        self.retries = retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.host_intervals = dict(host_intervals or {})
        self.throttle = throttle or HostThrottle(sleep=sleep)
        self.sleep = sleep
        timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self._client = httpx.Client(
            timeout=timeout,
            follow_redirects=True,
            headers={"User-Agent": user_agent},
            transport=transport,
        )

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        etag: str = "",
        last_modified: str = "",
        min_interval: float = 0.0,
        accept: str = "*/*",
        stay_on_host: bool = False,
    ) -> Response:
        """GET with retries; raises FetchError. `min_interval` adds to the per-host intervals;
        `stay_on_host` refuses a redirect to another host or port (a permanent FetchError)."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        retrying = Retrying(
            stop=stop_after_attempt(self.retries + 1),
            retry=retry_if_exception(self._worth_retrying_now),
            wait=self.backoff_wait,
            sleep=self.sleep,
            reraise=True,
        )
        return retrying(self._get_once, url, params, headers, min_interval, stay_on_host)

    def _worth_retrying_now(self, error: BaseException) -> bool:
        if not isinstance(error, FetchError) or error.permanent:
            return False
        # A server asking for a longer pause than we wait inside one task is left
        # alone until the next scheduled fetch rather than holding a worker.
        return error.retry_after is None or error.retry_after <= self.backoff_max

    def backoff_wait(self, state: RetryCallState) -> float:
        """Exponential backoff with full jitter; a Retry-After the server sent wins when longer."""
        error = state.outcome.exception() if state.outcome else None
        exponential = min(self.backoff_max, self.backoff * 2 ** (state.attempt_number - 1))
        wait = random.uniform(self.backoff / 2, max(self.backoff / 2, exponential))
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait

    def _interval_for(self, host: str, min_interval: float) -> float:
        intervals = [
            v for suffix, v in self.host_intervals.items() if host == suffix or host.endswith("." + suffix)
        ]
        return max([min_interval, *intervals])

    def _get_once(
        self, url: str, params, headers: dict[str, str], min_interval: float, stay_on_host: bool
    ) -> Response:
        try:
            request = self._client.build_request("GET", url, params=params, headers=headers)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as error:
            raise FetchError(f"Invalid URL {url!r}: {error}", permanent=True) from error
        if request.url.scheme not in ("http", "https"):
            raise FetchError(f"Only http and https URLs can be fetched, not {url!r}.", permanent=True)
        self.throttle.wait(request.url.host, self._interval_for(request.url.host, min_interval))
        try:
            response = self._send(request, stay_on_host=stay_on_host)
        except httpx.TimeoutException as error:
            raise FetchError(f"Timed out fetching {request.url}: {error!r}", permanent=False) from error
        except httpx.UnsupportedProtocol as error:
            raise FetchError(f"Cannot fetch {request.url}: {error}", permanent=True) from error
        except httpx.TransportError as error:
            raise FetchError(f"Could not connect to {request.url}: {error!r}", permanent=False) from error
        try:
            return self._read(response)
        finally:
            response.close()

    def _send(self, request: httpx.Request, *, stay_on_host: bool) -> httpx.Response:
        if not stay_on_host:
            return self._client.send(request, stream=True)
        # httpx follows redirects or not, wherever they go; here each hop is checked first.
        origin = (request.url.host, request.url.port)
        for _ in range(self._client.max_redirects + 1):
            response = self._client.send(request, stream=True, follow_redirects=False)
            target = response.next_request
            if not response.is_redirect or target is None:
                return response
            response.close()
            if (target.url.host, target.url.port) != origin:
                raise FetchError(
                    f"{request.url} redirects to another host ({target.url.host}); "
                    "metadata lookups do not follow it.",
                    permanent=True,
                )
            request = target
        raise FetchError(f"Too many redirects from {request.url}", permanent=True)

    def _read(self, response: httpx.Response) -> Response:
        status, url = response.status_code, str(response.url)
        if status == 304:
            return Response(url=url, status=304, headers=dict(response.headers))
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            hint = f" (Retry-After: {retry_after:.0f} s)" if retry_after is not None else ""
            raise FetchError(f"HTTP {status} from {url}{hint}", permanent=False, retry_after=retry_after)
        if status >= 400:
            raise FetchError(f"HTTP {status} from {url}", permanent=True)
        return Response(
            url=url,
            status=status,
            content=self._body(response),
            etag=response.headers.get("ETag", ""),
            last_modified=response.headers.get("Last-Modified", ""),
            headers=dict(response.headers),
        )

    def _body(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large(response)
        deadline = time.monotonic() + self.total_timeout
        chunks, size = [], 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise self._too_large(response)
                if time.monotonic() > deadline:
                    raise FetchError(
                        f"Reading {response.url} took longer than {self.total_timeout:.0f} s", permanent=False
                    )
                chunks.append(chunk)
        except httpx.TimeoutException as error:
            raise FetchError(f"Timed out reading {response.url}: {error!r}", permanent=False) from error
        except (httpx.TransportError, httpx.DecodingError) as error:
            raise FetchError(f"Broken response from {response.url}: {error!r}", permanent=False) from error
        return b"".join(chunks)

    def _too_large(self, response: httpx.Response) -> FetchError:
        return FetchError(
            f"Response from {response.url} is larger than {self.max_bytes} bytes", permanent=True
        )


def user_agent() -> str:
    return f"{settings.SITE_NAME}/1.0 (+{settings.SITE_URL})"


def default_client(**overrides) -> HttpClient:
    """A client configured from settings (FETCH_*)."""
    options = {
        "user_agent": user_agent(),
        "connect_timeout": settings.FETCH_CONNECT_TIMEOUT,
        "read_timeout": settings.FETCH_READ_TIMEOUT,
        "total_timeout": settings.FETCH_TOTAL_TIMEOUT,
        "max_bytes": settings.FETCH_MAX_BYTES,
        "retries": settings.FETCH_RETRIES,
        "backoff": settings.FETCH_BACKOFF_SECONDS,
        "backoff_max": settings.FETCH_BACKOFF_MAX_SECONDS,
        "host_intervals": {"arxiv.org": settings.FETCH_ARXIV_INTERVAL_SECONDS},
    }
    options.update(overrides)
    return HttpClient(**options)
