"""Settings are read strictly from the environment; checked in fresh processes."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 60 + "-a-long-random-production-secret-for-tests",
    "ALLOWED_HOSTS": "rg.example.org",
    "SITE_URL": "https://rg.example.org",
}


CONFIGURED = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIGURED}
    clean["DJANGO_SETTINGS_MODULE"] = "readinggroup.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = _manage("check", DEBUG="false", ALLOWED_HOSTS="rg.example.org")
    assert result.returncode != 0
    assert "set SECRET_KEY" in result.stderr


def test_it_refuses_to_start_without_allowed_hosts_when_debug_is_off():
    result = _manage("check", DEBUG="false", SECRET_KEY="s" * 60)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_a_misspelt_boolean_stops_the_site_with_a_message():
    result = _manage("check", DEBUG="flase")
    assert result.returncode != 0
    assert "DEBUG='flase' is not a boolean" in result.stderr


def test_a_misspelt_web_rate_stops_the_site_with_a_message():
    result = _manage("check", PASSWORD_RESET_RATE="5 per hour")
    assert result.returncode != 0
    assert "PASSWORD_RESET_RATE='5 per hour': write N/second" in result.stderr


def test_check_deploy_reports_nothing_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "django.db.backends.sqlite3 filesystem:// FileBasedCache"),
        (
            {"DATABASE_URL": "postgres://u@db:5432/rg", "REDIS_URL": "redis://cache:6379/0"},
            "django.db.backends.postgresql redis://cache:6379/0 RedisCache",
        ),
    ],
)
def test_database_broker_and_cache_follow_the_environment(env, expected):
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL,"
        " s.CACHES['default']['BACKEND'].rsplit('.', 1)[1])"
    )
    result = _manage("shell", "--no-imports", "-c", code, **env)
    assert result.stdout.strip() == expected, result.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("filemail:///var/mail/rg", "/var/mail/rg"),
        ("filemail://localhost/var/mail/rg", "/var/mail/rg"),
        ("filemail:////var/mail/rg", "/var/mail/rg"),
    ],
)
def test_a_filemail_url_stores_mail_under_its_absolute_path(url, expected):
    code = "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_FILE_PATH)"
    result = _manage("shell", "--no-imports", "-c", code, EMAIL_URL=url)
    assert result.stdout.split() == ["django.core.mail.backends.filebased.EmailBackend", expected], (
        result.stderr
    )
