"""Back up and restore the site's database: SQLite or PostgreSQL (docs/backups.md).

SQLite is copied with its online backup API, in one step: a consistent copy of the database
as it was when the copy began, while the site goes on writing (in WAL mode writers do not wait
for it). PostgreSQL is dumped with pg_dump in its custom format and restored with pg_restore,
dropping and recreating what the dump holds, in one transaction.

A backup is written under a temporary name and renamed when complete, so a file with the
final name is always a whole backup.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connection

PREFIX = "readinggroup-"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}
INSTALL_HINT = (
    "install the PostgreSQL client tools of the server's major version or newer "
    "(Debian/Ubuntu: apt-get install postgresql-client; Alpine: apk add postgresql-client; "
    "macOS: brew install libpq), or use the compose `backup` service (docs/backups.md)"
)
Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that could not be made; the message says why and what to do."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    seconds: float


def _vendor() -> str:
    return connection.vendor  # "sqlite" or "postgresql"


def default_path(now: datetime | None = None) -> Path:
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return Path(settings.VAR_DIR) / "backups" / f"{PREFIX}{stamp}{SUFFIXES[_vendor()]}"


def backup_create(*, output: Path | None = None, progress: Progress = lambda text: None) -> Backup:
    """Write a backup of the database to `output` (default: var/backups/readinggroup-<time>)."""
    path = Path(output) if output else default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    started = time.monotonic()
    # A backup holds members' addresses and password hashes: readable by its owner only.
    umask = os.umask(0o077)
    try:
        if _vendor() == "sqlite":
            progress(f"Copying the SQLite database to {path} (online backup API)…")
            _sqlite_copy(partial)
        else:
            tool_path("pg_dump")  # say what to install before saying what it would do
            progress(f"Dumping the PostgreSQL database {connection.settings_dict['NAME']} to {path}…")
            _run_pg("pg_dump", ["--format=custom", f"--file={partial}"])
        partial.replace(path)
    finally:
        os.umask(umask)
        partial.unlink(missing_ok=True)
    return Backup(path, path.stat().st_size, time.monotonic() - started)


def backup_restore(*, path: Path, progress: Progress = lambda text: None) -> None:
    """Replace the database's contents with the backup at `path`."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file.")
    if _vendor() == "sqlite":
        progress(f"Restoring the SQLite database from {path}…")
        _sqlite_restore(path)
    else:
        tool_path("pg_restore")
        progress(f"Restoring the PostgreSQL database {connection.settings_dict['NAME']} from {path}…")
        options = ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]
        _run_pg("pg_restore", [*options, "--exit-on-error", "--dbname"], after=[str(path)])
    connection.close()  # nothing cached from before the restore (prepared statements, say)


def backups_prune(*, folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups this command wrote in `folder`; the deleted files."""
    found = sorted(
        (p for suffix in SUFFIXES.values() for p in folder.glob(f"{PREFIX}*{suffix}")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in found[keep:]:
        old.unlink()
    return found[keep:]


def tool_path(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} was not found on PATH: {INSTALL_HINT}.")
    return found


def _sqlite_copy(target: Path) -> None:
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)  # all pages in one step: never restarted by a writer
    finally:
        copy.close()


def _sqlite_restore(source: Path) -> None:
    backup = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        try:
            check = backup.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} is not an SQLite database: {error}") from None
        if check != "ok":
            raise BackupError(f"{source} is damaged (SQLite quick_check: {check}); nothing was changed.")
        connection.ensure_connection()
        backup.backup(connection.connection)
    finally:
        backup.close()


def _run_pg(tool: str, options: list[str], *, after: list[str] = ()) -> None:
    """Run a PostgreSQL client tool against the database, with the connection settings Django's
    dbshell would use (host, port, user; password, SSL and service through the environment)."""
    if not connection.settings_dict.get("NAME"):
        raise BackupError("DATABASE_URL names no database.")
    args, env = connection.client.settings_to_cmd_args_env(connection.settings_dict, options)
    args = [tool_path(tool), *args[1:], *after]
    result = subprocess.run(args, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{tool} failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}")
