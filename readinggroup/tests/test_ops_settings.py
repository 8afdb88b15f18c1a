"""ADMINS and LOG_FORMAT are read strictly: an empty value is unset, a wrong one stops the site."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from readinggroup.envparse import env_admins, env_str


def test_admins_take_names_with_addresses_and_bare_addresses(monkeypatch):
    monkeypatch.setenv("ADMINS", "Ops Team <ops@example.org>, oncall@example.org,")
    assert env_admins("ADMINS") == [
        ("Ops Team", "ops@example.org"),
        ("oncall@example.org", "oncall@example.org"),
    ]


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_admins_mean_nobody(monkeypatch, value):
    monkeypatch.setenv("ADMINS", value)
    assert env_admins("ADMINS") == []


def test_an_admin_without_an_address_stops_the_site(monkeypatch):
    monkeypatch.setenv("ADMINS", "Ops Team")
    with pytest.raises(ImproperlyConfigured, match="'Ops Team' is not `Name <address>`"):
        env_admins("ADMINS")


def test_a_string_setting_is_its_default_when_empty_and_one_of_its_choices(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "")
    assert env_str("LOG_FORMAT", default="text", choices=("text", "json")) == "text"
    monkeypatch.setenv("LOG_FORMAT", " json ")
    assert env_str("LOG_FORMAT", default="text", choices=("text", "json")) == "json"
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT='xml': use one of text, json"):
        env_str("LOG_FORMAT", default="text", choices=("text", "json"))
