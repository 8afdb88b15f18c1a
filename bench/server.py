"""The benchmark's server, as in production: gunicorn, DEBUG off, PostgreSQL and Redis.

`environment()` is the production environment (DEBUG=false, a SECRET_KEY, ALLOWED_HOSTS,
HTTPS redirect and HSTS on: clients send `X-Forwarded-Proto: https` as a TLS-terminating
proxy would) with bench.settings, which only adds the reference endpoints. Throttles are
raised so that the load generator is not turned away; everything else is the default.
"""

import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from bench import procs

ROOT = Path(__file__).resolve().parent.parent
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/readinggroup_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"


def environment(*, database_url: str, redis_url: str, var_dir: Path, l0_file: Path, queue: str) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + "k" * 50,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": "https://127.0.0.1",
            # Persistent connections, as a production deployment should run (see docs/operations.md).
            "DB_CONN_MAX_AGE": env.get("DB_CONN_MAX_AGE", "600"),
            "API_THROTTLE_USER": "1000000000/second",
            "API_THROTTLE_ANON": "1000000000/second",
            "LOG_LEVEL": "WARNING",
            "VAR_DIR": str(var_dir),
            "BENCH_L0_FILE": str(l0_file),
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def ensure_database(database_url: str) -> None:
    """Create the benchmark's database when missing (never the site's own: the URL is the bench's)."""
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT)


class Gunicorn(procs.PinnedProcess):
    """gunicorn readinggroup.wsgi with `workers` sync workers, pinned to the server cores."""

    name, log_name = "gunicorn", "gunicorn.log"

    def __init__(self, env: dict, *, port: int, workers: int, cores: set[int] | None) -> None:
        super().__init__(env, cores=cores, cwd=ROOT)
        self.port, self.workers = port, workers
        self.base = f"http://127.0.0.1:{port}"

    def command(self) -> list[str]:
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        return [
            gunicorn,
            "readinggroup.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.workers}",
            "--backlog=2048",
            "--log-level=warning",
        ]

    def ready(self) -> bool:
        try:
            request = urllib.request.Request(self.base + "/healthz", headers=PROXY_HEADERS)
            with urllib.request.urlopen(request, timeout=2) as response:
                return response.status == 200 and len(self.worker_pids()) == self.workers
        except (urllib.error.URLError, OSError):
            return False

    def worker_pids(self) -> list[int]:
        return procs.children(self.process.pid) if self.process else []
