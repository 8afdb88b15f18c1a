"""The strict reader: an empty value is the default, anything unreadable a clear error."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from readinggroup.envparse import env_db_url, env_email_url, env_float, env_list, env_str


@pytest.mark.parametrize("value", ["", "   "])
def test_it_reads_an_empty_value_as_the_default(monkeypatch, value):
    monkeypatch.setenv("RG_TEST", value)
    assert env_str("RG_TEST", default="fallback") == "fallback"
    assert env_float("RG_TEST", default=0.5) == 0.5
    assert env_list("RG_TEST", default=["a"]) == ["a"]
    assert env_db_url("RG_TEST", default="sqlite:////tmp/rg.sqlite3")["NAME"] == "/tmp/rg.sqlite3"
    assert env_email_url("RG_TEST", default="consolemail://")["EMAIL_BACKEND"].endswith(
        "console.EmailBackend"
    )


@pytest.mark.parametrize(
    ("value", "message"), [("fast", "is not a number"), ("-1", "at least 0"), ("inf", "at least 0")]
)
def test_it_refuses_a_float_it_cannot_read(monkeypatch, value, message):
    monkeypatch.setenv("RG_TEST", value)
    with pytest.raises(ImproperlyConfigured, match=message):
        env_float("RG_TEST", default=1.0)


def test_it_names_an_unknown_database_scheme_without_the_password(monkeypatch):
    monkeypatch.setenv("RG_TEST", "postgress://rg:hunter2@db/rg")
    with pytest.raises(ImproperlyConfigured, match="unknown database scheme 'postgress'") as raised:
        env_db_url("RG_TEST", default="sqlite:///x")
    assert "hunter2" not in str(raised.value)


def test_it_names_an_unknown_email_scheme_without_the_password(monkeypatch):
    monkeypatch.setenv("RG_TEST", "smtps+tsl://rg:hunter2@mail:587")
    with pytest.raises(ImproperlyConfigured, match="unknown e-mail scheme 'smtps[+]tsl'") as raised:
        env_email_url("RG_TEST", default="consolemail://")
    assert "hunter2" not in str(raised.value)
