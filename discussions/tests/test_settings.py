import pytest
from django.core.exceptions import ImproperlyConfigured

from readinggroup.envparse import env_rate


def test_it_reads_a_rate_per_period(monkeypatch):
    monkeypatch.setenv("DISCUSSION_RATE", " 5/Hour ")
    assert env_rate("DISCUSSION_RATE", default="10/minute") == "5/hour"


def test_it_takes_the_default_rate_when_unset(monkeypatch):
    monkeypatch.delenv("DISCUSSION_RATE", raising=False)
    assert env_rate("DISCUSSION_RATE", default="10/minute") == "10/minute"


@pytest.mark.parametrize("raw", ["10", "ten/minute", "0/minute", "10/fortnight", "-1/day", "10/"])
def test_it_stops_on_a_malformed_rate(monkeypatch, raw):
    monkeypatch.setenv("DISCUSSION_RATE", raw)
    with pytest.raises(ImproperlyConfigured, match="DISCUSSION_RATE"):
        env_rate("DISCUSSION_RATE", default="10/minute")
