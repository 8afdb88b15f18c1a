"""manage.py backup / restore: a round trip on the database the tests run on (SQLite or PostgreSQL)."""

import os
import sqlite3

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from backups import services
from papers.models import Source
from papers.tests.factories import SourceFactory

# Committed rows: pg_dump reads the database from another connection.
pytestmark = pytest.mark.django_db(transaction=True)


def _names() -> list[str]:
    return sorted(Source.objects.values_list("name", flat=True))


def test_a_backup_restores_the_database_as_it_was(tmp_path, capsys):
    SourceFactory(name="kept"), SourceFactory(name="deleted later")
    backup = tmp_path / "site.backup"
    call_command("backup", output=backup)
    assert "Wrote" in capsys.readouterr().out and backup.stat().st_size > 0
    assert backup.stat().st_mode & 0o077 == 0  # members' data: for the owner's eyes only

    Source.objects.filter(name="deleted later").delete()
    SourceFactory(name="added later")
    Source.objects.filter(name="kept").update(interval=5)
    call_command("restore", backup, interactive=False)

    assert _names() == ["deleted later", "kept"]
    assert Source.objects.get(name="kept").interval == 360
    assert "Restored" in capsys.readouterr().out


def test_restore_asks_first_and_a_no_changes_nothing(tmp_path, monkeypatch):
    SourceFactory(name="before")
    backup = tmp_path / "site.backup"
    call_command("backup", output=backup)
    SourceFactory(name="after")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        call_command("restore", backup)
    assert _names() == ["after", "before"]


def test_a_backup_goes_to_var_backups_by_default_and_keep_prunes_old_ones(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    folder = tmp_path / "backups"
    folder.mkdir()
    suffix = services.SUFFIXES[connection.vendor]
    for day in (1, 2, 3):
        old = folder / f"readinggroup-2026010{day}-000000{suffix}"
        old.write_bytes(b"old")
        os.utime(old, (day * 86400, day * 86400))
    (folder / "notes.txt").write_text("not a backup")
    call_command("backup", keep=2)
    left = sorted(p.name for p in folder.iterdir())
    assert len(left) == 3 and "notes.txt" in left and f"readinggroup-20260103-000000{suffix}" in left


def test_restoring_a_file_that_is_not_a_backup_fails_clearly_and_changes_nothing(tmp_path):
    SourceFactory(name="kept")
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"this is not a database " * 100)
    with pytest.raises(CommandError):
        call_command("restore", junk, interactive=False)
    with pytest.raises(CommandError, match="no such file"):
        call_command("restore", tmp_path / "missing", interactive=False)
    assert _names() == ["kept"]


def test_a_missing_postgresql_tool_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(services.BackupError, match="pg_dump was not found.*postgresql-client"):
        services.tool_path("pg_dump")


@pytest.mark.postgres
def test_backup_on_postgresql_without_pg_dump_exits_with_the_hint(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CommandError, match="apt-get install postgresql-client"):
        call_command("backup", output=tmp_path / "x.pgdump")
    assert list(tmp_path.iterdir()) == []


def test_a_sqlite_backup_is_a_plain_sqlite_database(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    SourceFactory(name="kept")
    call_command("backup", output=tmp_path / "copy.sqlite3")
    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    assert copy.execute("SELECT name FROM papers_source").fetchall() == [("kept",)]


@pytest.mark.postgres
def test_the_compose_backup_service_keeps_the_newest_backup_keep_dumps(tmp_path):
    """The service's script, run three times in a row instead of once a day, into a folder here."""
    import subprocess
    from pathlib import Path

    import yaml

    compose = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())
    service = compose["services"]["backup"]
    assert service["environment"]["BACKUP_KEEP"] == "${BACKUP_KEEP:-7}"
    script = (
        service["command"][0]
        .replace("$$", "$")  # compose's escape for a literal $
        .replace("/backups", str(tmp_path))
        .replace("while true", "for round in 1 2 3")
        .replace("sleep 86400", "sleep 1")  # file names have whole seconds
    )
    db = connection.settings_dict
    env = {
        "PATH": os.environ["PATH"],
        "PGHOST": db["HOST"] or "127.0.0.1",
        "PGPORT": str(db["PORT"] or 5432),
        "PGUSER": db["USER"],
        "PGPASSWORD": db["PASSWORD"] or "",
        "PGDATABASE": db["NAME"],
        "BACKUP_KEEP": "2",
    }
    SourceFactory(name="kept")
    result = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    dumps = sorted(tmp_path.glob("readinggroup-*.pgdump"))
    assert len(dumps) == 2 and result.stdout.count("backup: wrote") == 3
    assert all(dump.stat().st_mode & 0o077 == 0 for dump in dumps)
    call_command("restore", dumps[-1], interactive=False)  # what the service wrote, restored by the command
    assert _names() == ["kept"]
