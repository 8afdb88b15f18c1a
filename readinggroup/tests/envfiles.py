"""An env file read the three ways docs/configuration.md promises: docker compose's env_file,
a shell's `set -a; . ./.env`, and systemd's EnvironmentFile=.

Compose: python-dotenv, whose format (quotes, escapes, comments, interpolation) is the one
compose documents for env_file. Shell: bash itself. systemd: no Python package reads its format,
so `load_systemd` follows systemd.exec(5) "EnvironmentFile=" (lines starting with # or ; are
comments, a `#` after a value is part of the value, single and double quotes, backslash
escapes and continued lines).
"""

import os
import re
import subprocess
from pathlib import Path

from dotenv import dotenv_values
from dotenv.parser import parse_stream

ACTIVE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")
COMMENTED = re.compile(r"^#\s*([A-Z][A-Z0-9_]*)=\s*$")
# What every loader reads the same: a bare value without blanks, quotes, comment signs,
# expansions or escapes, or such a value with spaces or < > in double quotes.
PORTABLE_VALUE = re.compile(r'^(?:[^\s"\'#$`\\;&|<>()~]+|"[^"$`\\]*")$')


def active_keys(text: str) -> dict[str, str]:
    """KEY=value lines, as written (quotes included)."""
    return {m[1]: m[2] for line in text.splitlines() if (m := ACTIVE.match(line))}


def commented_keys(text: str) -> list[str]:
    """`# KEY=` lines: keys listed without a value."""
    return [m[1] for line in text.splitlines() if (m := COMMENTED.match(line))]


def unportable_lines(text: str) -> list[str]:
    """Lines that are neither blank, a comment of their own, nor KEY=portable-value."""
    bad = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = ACTIVE.match(line)
        if match is None or not PORTABLE_VALUE.match(match[2]):
            bad.append(line)
    return bad


def load_compose(path: Path) -> dict[str, str]:
    """As compose's env_file; a line it cannot parse fails the load (compose would refuse it)."""
    with open(path, encoding="utf-8") as stream:
        errors = [binding.original.string for binding in parse_stream(stream) if binding.error]
    if errors:
        raise ValueError(f"{path}: not in env_file format: {errors}")
    return {key: value or "" for key, value in dotenv_values(path).items()}


def load_bash(path: Path) -> dict[str, str]:
    """The variables a shell exports after `set -a; . ./file`; a shell error fails the load."""
    done = subprocess.run(
        ["bash", "-c", 'set -a; . "$1"; env -0', "bash", str(Path(path).resolve())],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or done.stderr:
        raise ValueError(f"bash could not load {path}: {done.stderr.strip()}")
    exported = dict(item.split("=", 1) for item in done.stdout.split("\0") if "=" in item)
    keys = active_keys(Path(path).read_text())
    return {key: value for key, value in exported.items() if key in keys}


def load_systemd(path: Path) -> dict[str, str]:
    """systemd.exec(5) "EnvironmentFile=", character by character as systemd reads it."""
    values: dict[str, str] = {}
    state, key, value, keep = "pre_key", "", "", 0
    chars = iter(Path(path).read_text() + "\n")
    for char in chars:
        if state == "pre_key":
            if char in "#;":
                state = "comment"
            elif not char.isspace():
                state, key = "key", char
        elif state == "comment":
            if char == "\\":
                char = next(chars, "\n")  # since systemd 254 an escaped newline ends a comment too
            if char == "\n":
                state = "pre_key"
        elif state == "key":
            if char == "\n":
                state = "pre_key"  # a line without "=" is ignored
            elif char == "=":
                state, key, value, keep = "pre_value", key.strip(), "", 0
            else:
                key += char
        elif char == "\n" and state in ("pre_value", "value"):
            values[key] = value[:keep]  # trailing blanks of an unquoted value are dropped
            state = "pre_key"
        elif state in ("pre_value", "value") and char == "\\":
            escaped = next(chars, "\n")
            if escaped != "\n":  # an escaped newline joins the lines
                value += escaped
            state, keep = "value", len(value)
        elif state == "pre_value" and char in "'\"":
            state = char  # a quote opens only where a value (or a quoted part) starts
        elif state == "pre_value" and not char.isspace() or state == "value":
            value += char
            state, keep = "value", (keep if char.isspace() else len(value))
        elif state in ("'", '"') and char == state:
            state = "pre_value"
        elif state == '"' and char == "\\":
            escaped = next(chars, "")
            value += escaped if escaped in '"\\`$' else ("" if escaped == "\n" else "\\" + escaped)
            keep = len(value)
        elif state in ("'", '"'):
            value += char
            keep = len(value)
    return values
