"""Installing: the lock files and what `make` does before it creates .venv."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def _pins(name: str) -> dict[str, str]:
    """{package: version} of a compiled lock file; fails on a pin without a hash."""
    text = (ROOT / name).read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    pins = {}
    for block in blocks:
        if match := PIN.match(block):
            assert "--hash=sha256:" in block, f"{name}: {match[1]} has no hash"
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def test_the_lock_files_pin_every_package_with_hashes_and_agree_on_versions():
    runtime, dev, bench = (_pins(f"requirements{s}.txt") for s in ("", "-dev", "-bench"))
    assert runtime.items() <= dev.items()
    shared = bench.keys() & dev.keys()
    assert {name: bench[name] for name in shared} == {name: dev[name] for name in shared}
    assert "pyinstrument" not in runtime | dev | bench
    assert "rouge-score" in bench and "rouge-score" not in dev
    assert {
        "tenacity",
        "pylatexenc",
        "sentry-sdk",
        "python-json-logger",
        "prometheus-client",
    } <= runtime.keys()


@pytest.mark.parametrize("suffix", ["", "-dev", "-bench"])
def test_every_package_of_a_source_file_is_in_its_lock_file(suffix):
    """A .in file edited without `make lock` afterwards."""
    lines = (ROOT / f"requirements{suffix}.in").read_text().splitlines()
    wanted = [Requirement(line.split("#")[0]) for line in lines if line.split("#")[0].strip()[:1].isalnum()]
    pins = _pins(f"requirements{suffix}.txt")
    unmet = [
        str(req)
        for req in wanted
        if (version := pins.get(canonicalize_name(req.name))) is None or version not in req.specifier
    ]
    assert unmet == []


def test_make_installs_with_hashes():
    makefile = (ROOT / "Makefile").read_text()
    installs = re.findall(r"^\t\$\(PIP_INSTALL\) -r (\S+)$", makefile, re.MULTILINE)
    assert installs == ["requirements.txt", "requirements-dev.txt", "requirements-bench.txt"]
    assert re.search(r"^PIP_INSTALL := .* --require-hashes$", makefile, re.MULTILINE)


def _fake_python(tmp_path: Path, body: str) -> Path:
    fake = tmp_path / "python-fake"
    fake.write_text(f"#!/bin/sh\n{body}\n")
    fake.chmod(0o755)
    return fake


def _check_python(python: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["scripts/check-python", str(python)], cwd=ROOT, capture_output=True, text=True)


def test_check_python_accepts_the_python_running_the_tests():
    assert _check_python(Path(sys.executable)).returncode == 0


def test_check_python_names_the_version_it_needs(tmp_path):
    old = _fake_python(tmp_path, 'case "$1" in -V) echo "Python 3.10.13";; *) exit 1;; esac')

    result = _check_python(old)

    assert result.returncode == 1
    assert "needs Python 3.11 or newer" in result.stderr and "Python 3.10.13" in result.stderr


def test_check_python_names_the_venv_package_when_ensurepip_is_missing(tmp_path):
    # As on Debian without python3-venv: venv imports, its pip bootstrap does not.
    (tmp_path / "blocker").mkdir()
    (tmp_path / "blocker" / "ensurepip.py").write_text("raise ImportError('not installed')\n")
    python = _fake_python(tmp_path, f'PYTHONPATH={tmp_path / "blocker"} exec {sys.executable} "$@"')

    result = _check_python(python)

    assert result.returncode == 1
    assert "apt-get install python3-venv" in result.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_removes_a_venv_that_failed_half_way(tmp_path):
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "Makefile", project)
    shutil.copy(ROOT / "scripts" / "check-python", project / "scripts")
    (project / "requirements.txt").touch()
    # Passes the checks, then fails as `python3 -m venv` does without ensurepip: after the
    # directory and its python are made.
    python = _fake_python(
        tmp_path,
        'if [ "$1" = -m ] && [ "$2" = venv ]; then mkdir -p "$3/bin" && touch "$3/bin/python"; '
        f'echo "ensurepip is not available" >&2; exit 1; fi\nexec {sys.executable} "$@"',
    )

    result = subprocess.run(
        ["make", "-s", "install", f"PYTHON={python}"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "MAKEFLAGS": ""},
    )

    assert result.returncode != 0
    assert "was removed" in result.stderr
    assert not (project / ".venv").exists()
