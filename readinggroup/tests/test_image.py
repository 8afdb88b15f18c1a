"""The Docker image and compose file, checked without Docker (which cannot run here): what the
build context leaves out, how the Dockerfile installs and runs, and the health probe itself."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _dockerfile() -> list[str]:
    """Instructions, continued lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_dockerignore_keeps_history_environments_data_secrets_and_caches_out():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for pattern in [".git", ".venv", "var", ".env*", "**/__pycache__", ".pytest_cache", "bench/results"]:
        assert pattern in patterns, pattern
    assert {"node_modules", ".ruff_cache", ".hypothesis", "**/*.sqlite3"} <= set(patterns)
    # The last matching line wins: the example comes back in after every other .env file is out.
    assert patterns.index("!.env.example") > patterns.index(".env*")


def test_dockerfile_installs_the_lock_file_with_hashes_before_copying_the_code():
    instructions = _dockerfile()
    install = instructions.index("RUN pip install --require-hashes -r requirements.txt")
    assert instructions.index("COPY requirements.txt .") < install < instructions.index("COPY . .")


def test_dockerfile_runs_as_an_unprivileged_user_with_a_health_check():
    instructions = _dockerfile()
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert [line for line in instructions if line.startswith("CMD ")]
    assert instructions.index(f"USER {users[-1]}") < next(
        i for i, line in enumerate(instructions) if line.startswith("CMD ")
    )
    (healthcheck,) = [line for line in instructions if line.startswith("HEALTHCHECK ")]
    assert 'CMD ["python", "scripts/healthcheck.py"]' in healthcheck


def test_compose_keeps_a_health_check_for_every_long_running_service():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("postgres", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert services["web"]["healthcheck"]["test"] == ["CMD", "python", "scripts/healthcheck.py"]
    # beat serves no HTTP: the image's /healthz probe would call it unhealthy.
    assert services["beat"]["healthcheck"] == {"disable": True}


def _probe(url: str, allowed_hosts: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", ""), "HEALTHCHECK_URL": url, "ALLOWED_HOSTS": allowed_hosts}
    return subprocess.run(
        [sys.executable, "scripts/healthcheck.py"], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("allowed_hosts", "host"),
    [(".rg.example.org, other.example.org", "rg.example.org"), ("*", "localhost"), ("", "localhost")],
)
def test_the_health_probe_asks_healthz_as_the_first_allowed_host_through_https(
    httpserver, allowed_hosts, host
):
    httpserver.expect_request(
        "/healthz", headers={"Host": host, "X-Forwarded-Proto": "https"}
    ).respond_with_json({"status": "ok"})

    assert _probe(httpserver.url_for("/healthz"), allowed_hosts).returncode == 0


def test_the_health_probe_fails_when_the_site_answers_503_or_not_at_all(httpserver):
    httpserver.expect_request("/healthz").respond_with_json({"status": "unavailable"}, status=503)

    assert _probe(httpserver.url_for("/healthz"), "rg.example.org").returncode == 1
    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    refused = _probe(f"http://127.0.0.1:{port}/healthz", "rg.example.org")
    assert refused.returncode == 1
    assert "healthcheck:" in refused.stderr
