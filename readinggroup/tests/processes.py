"""Real processes for integration and failure-injection tests.

A Redis server of the test's own (so it can be stopped, frozen and restarted),
Celery workers and a gunicorn web server running the real settings against the
test database, a TCP proxy that can cut the way to PostgreSQL, and commands run
side by side; the stand-ins for outside services are in standins.py. Tests that
use them need PostgreSQL (the processes share the test database, which SQLite
would keep in memory) and commit their data (`transactional_db`). A missing
program skips the test, except under CI=true.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)
REDIS_PORTS = range(18600, 18650)
SERVER_PORTS = range(18650, 18700)  # web servers, proxies, stand-ins
START_SECONDS = 60


def require(program: str) -> str:
    """The program's path; skips the test when it is missing, fails it under CI=true."""
    path = shutil.which(program)
    if path is None:
        message = f"needs {program} on PATH (e.g. apt-get install {program})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and this test {message}")
        pytest.skip(message)
    return path


def free_port(ports: range) -> int:
    """A port of the range that nothing listens on now (random order: parallel test runs rarely collide)."""
    candidates = list(ports)
    random.shuffle(candidates)
    for port in candidates:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def wait_for(condition: Callable[[], object], seconds: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


@contextlib.contextmanager
def many_connections() -> Iterator[None]:
    """Hold this while a test opens dozens of PostgreSQL connections at once: parallel test
    processes (pytest -n) then take turns, and together stay under the server's max_connections."""
    with open(Path(tempfile.gettempdir()) / "readinggroup-many-connections.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def run_at_once(calls: list[Callable[[], object]]) -> list[BaseException]:
    """Run every call on its own thread and database connection, all released together by a
    barrier; the errors they raised (none when all went well)."""
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call) -> None:
        try:
            barrier.wait()
            call()
        except BaseException as error:  # reported by the caller, in the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    with many_connections():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return errors


def database_url(*, host: str | None = None, port: int | None = None) -> str:
    """DATABASE_URL of the test database (optionally through another host and port, e.g. a proxy)."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = host or db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{port or db['PORT'] or 5432}/{db['NAME']}"


def database_address() -> tuple[str, int]:
    db = connection.settings_dict
    return db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)


def app_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The environment of a real web server or worker: production settings code, DEBUG on, test database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "readinggroup.settings",
            "DATABASE_URL": database_url(),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": f"rg-test-{uuid.uuid4().hex[:12]}",
            "SUMMARY_BACKEND": "extractive",
            "FETCH_ARXIV_INTERVAL_SECONDS": "0",
            "FETCH_BACKOFF_SECONDS": "0.01",
            "VAR_DIR": str(tmp_path / "var"),
            "DEBUG": "true",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


class Process:
    """A child process with its output in a log file; stopped politely, or killed."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name, self.log_path = name, log_path
        with log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                argv, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def children(self) -> list[int]:
        """Pids of the direct children (e.g. a prefork pool's processes)."""
        found = []
        for task in Path(f"/proc/{self.pid}/task").glob("*/children"):
            found += [int(pid) for pid in task.read_text().split()]
        return found

    def kill(self) -> None:
        """SIGKILL: no cleanup, no acknowledgement, as when a machine dies."""
        if self.alive():
            self.popen.kill()
        self.popen.wait()

    def stop(self, timeout: float = 15) -> None:
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        # Whatever it left behind in its session (pool children) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)

    def fail(self, message: str) -> None:
        pytest.fail(f"{message}\n--- {self.name} log ---\n{self.log()[-4000:]}")


class RedisServer:
    """redis-server on a port of REDIS_PORTS, without persistence: a restart starts empty."""

    def __init__(self, tmp_path: Path) -> None:
        self.program = require("redis-server")
        self.port = free_port(REDIS_PORTS)
        self.log_path = tmp_path / f"redis-{self.port}.log"
        self.process: Process | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        argv = [
            self.program,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self.process = Process("redis", argv, dict(os.environ), self.log_path)
        if not wait_for(self.ping, 10):
            self.process.fail("redis-server did not start")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Gone: connections refused until start() again."""
        if self.process is not None:
            self.process.kill()

    def freeze(self) -> None:
        """SIGSTOP: connections are accepted by the kernel but nothing answers (a hung server)."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)


@contextlib.contextmanager
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            with contextlib.suppress(ProcessLookupError):
                server.thaw()
            server.process.stop()


@contextlib.contextmanager
def celery_worker(
    env: dict[str, str], tmp_path: Path, *, pool: str = "solo", concurrency: int = 1, name: str = "worker"
) -> Iterator[Process]:
    """A Celery worker on the env's queue; yields once it is ready to take tasks."""
    queue = env["CELERY_TASK_DEFAULT_QUEUE"]
    argv = [
        sys.executable, "-m", "celery", "-A", "readinggroup", "worker",
        f"--pool={pool}", f"--concurrency={concurrency}", "-Q", queue, "-n", f"{name}-{queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
    ]  # fmt: skip
    worker = Process(name, argv, env, tmp_path / f"{name}.log")
    try:
        if not wait_for(lambda: " ready." in worker.log() or not worker.alive(), START_SECONDS, 0.1):
            worker.fail("the Celery worker did not start in time")
        if not worker.alive():
            worker.fail("the Celery worker exited")
        yield worker
    finally:
        worker.stop()
        print(f"--- {name} log ---\n{worker.log()[-3000:]}")  # shown by pytest when the test failed


@contextlib.contextmanager
def web_server(env: dict[str, str], tmp_path: Path, *, workers: int = 1) -> Iterator[tuple[Process, str]]:
    """gunicorn serving the site (one process, four threads); yields (process, base URL) once it answers."""
    port = free_port(SERVER_PORTS)
    argv = [
        sys.executable, "-m", "gunicorn", "readinggroup.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--threads", "4", "--timeout", "30", "--graceful-timeout", "2",
        "--no-control-socket",  # its default path in $HOME would be shared by parallel servers
    ]  # fmt: skip
    web = Process("gunicorn", argv, env, tmp_path / "gunicorn.log")
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=2).status_code in {200, 503}
        except httpx.HTTPError:
            return False

    try:
        if not wait_for(lambda: not web.alive() or answers(), START_SECONDS, 0.1) or not web.alive():
            web.fail("gunicorn did not start")
        yield web, base
    finally:
        web.stop()
        print(f"--- gunicorn log ---\n{web.log()[-3000:]}")


class TcpProxy:
    """Forwards a local port to a target; cut() makes the target unreachable, restore() brings it back.

    Modes: "up"; "refuse" (nothing listens: connections refused at once); "blackhole"
    (connections are accepted and never answered, like a host that went silent).
    Cutting also breaks every connection open through the proxy.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port(SERVER_PORTS)
        self.mode = "down"
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        self._listen()
        self.mode = "up"

    def cut(self, mode: str = "refuse") -> None:
        assert mode in {"refuse", "blackhole"}
        self.mode = mode
        if mode == "refuse":
            self._close_listener()
        elif self._listener is None:
            self._listen()
        self._break_connections()

    def restore(self) -> None:
        if self._listener is None:
            self._listen()
        self._break_connections()  # connections accepted in blackhole mode were never served
        self.mode = "up"

    def close(self) -> None:
        self.mode = "down"
        self._close_listener()
        self._break_connections()

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()

    def _break_connections(self) -> None:
        with self._lock:
            doomed, self._open = self._open, set()
        for sock in doomed:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed
            self._track(client)
            if self.mode != "up":
                continue  # blackhole: hold it, never answer
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            self._track(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def run_together(
    commands: list[list[str]], env: dict[str, str], timeout: float = 60
) -> list[tuple[int, str]]:
    """Start the commands at once; (exit status, output) of each."""
    started = [
        subprocess.Popen(
            argv, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for argv in commands
    ]
    return [(process.wait(timeout), process.communicate()[0]) for process in started]
