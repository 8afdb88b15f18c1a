"""Hostile input on every page: never a 5xx; and HEAD answers wherever GET does.

The URLs are every route of the URLconf, built with the access matrix's sample arguments
(readinggroup/tests/test_access_matrix.py, whose own test fails when a route has no row), so
a new page is walked without anyone listing it here. Each is asked, by a member and by an
organiser, with: a page number far beyond the data (and one that is no number), NUL bytes in
the query string (search words, filters, the admin's list filters) and in each argument of
the path (tokens, keys, slugs), dates at the ends of the calendar, and ids beyond BIGINT.
The API has its own walk (test_api_hostile_input.py).
"""

from collections import Counter
from datetime import date

import pytest
from django.db import transaction
from django.test import Client
from django.urls import resolve

from readinggroup.tests.hostile import quiet_4xx_logs
from readinggroup.tests.test_access_matrix import _make_world, _url, all_routes

pytestmark = pytest.mark.django_db
QUERIES = [
    "page=9223372036854775807",
    "q=a%00b&status__exact=%00&tag=%00&p=%00",
    "published_since=9999-12-31&published_until=0001-01-01",
]
# The admin pages its lists with ?p= and has no date filters of ours.
ADMIN_QUERIES = ["p=9223372036854775807", "q=a%00b&status__exact=%00&p=%00"]
BIG_ID = "9223372036854775808"
FAR_DAYS = ["9999-12-31", "0001-01-01", "10000-01-01"]


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    from members.tests.factories import UserFactory

    with django_db_blocker.unblock(), transaction.atomic():
        member, other = UserFactory(username="member"), UserFactory(username="other")
        organiser = UserFactory(username="organiser", role="organiser")
        yield _make_world(member, other, organiser), organiser
        transaction.set_rollback(True)


@pytest.fixture
def world(_module_world, db):
    return _module_world


def _urls(world) -> list[str]:
    """Every route's URL with its sample arguments (the API's routes are walked on their own)."""
    return [_url(key, world) for key in all_routes() if not key.startswith("api")]


def _path_variants(url: str) -> list[tuple[str, str]]:
    """The URL with each argument of its path replaced: (kind, url)."""
    path = url.split("?")[0]
    match = resolve(path)
    variants = []
    for value in map(str, [*match.args, *match.kwargs.values()]):
        if f"/{value}" not in path:
            continue
        replacements = [("nul", value[:1] + "%00" + value[1:])]
        if value.isdigit():
            replacements.append(("big", BIG_ID))
        if _is_date(value):
            replacements += [("day", day) for day in FAR_DAYS]
        variants += [(kind, path.replace(f"/{value}", f"/{new}", 1)) for kind, new in replacements]
    return variants


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _ask(client: Client, method: str, url: str):
    with transaction.atomic():
        try:
            response = client.generic(method, url)
        except Exception as error:  # the test client re-raises a view's exception: say which URL
            raise AssertionError(f"{method} {url}") from error
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("role", ["member", "organiser"])
def test_hostile_input_on_any_page_never_gets_a_5xx(role, world, capsys, settings):
    world, organiser = world
    client = Client()
    client.force_login(world.member if role == "member" else organiser)
    statuses: Counter = Counter()
    urls = _urls(world)
    with quiet_4xx_logs():
        for url in urls:
            joiner = "&" if "?" in url else "?"
            for query in ADMIN_QUERIES if url.startswith("/admin/") else QUERIES:
                response = _ask(client, "GET", url + joiner + query)
                assert response.status_code < 500, url + joiner + query
                if "%00" in query:
                    assert response.status_code == 400, url + joiner + query
                statuses[response.status_code // 100 * 100] += 1
            for kind, variant in _path_variants(url):
                for method in ("GET", "POST") if kind == "nul" else ("GET",):
                    response = _ask(client, method, variant)
                    assert response.status_code < 500, f"{method} {variant}"
                    if kind == "nul":
                        assert response.status_code in (400, 404), f"{method} {variant}"
                    statuses[response.status_code // 100 * 100] += 1
    with capsys.disabled():
        print(
            f"\nhostile page input as {role}: {len(urls)} URLs, {sum(statuses.values())} requests, "
            f"status classes {dict(sorted(statuses.items()))}"
        )


# --- The cases the walk found, one by one ---------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/papers/trending/", "/papers/new/", "/papers/daily/", "/papers/tags/graphs/"]
)
def test_a_page_number_beyond_any_data_is_a_404(client, path, world):
    for page in ("9223372036854775807", "1152921504606846976", "99"):
        assert client.get(path, {"page": page}).status_code == 404


def test_the_uncounted_paginator_refuses_a_page_whose_rows_no_database_can_reach():
    from django.core.paginator import EmptyPage

    from readinggroup.paging import UncountedPaginator

    paginator = UncountedPaginator(list(range(5)), 2)
    assert paginator.validate_number("3") == 3
    with pytest.raises(EmptyPage):
        paginator.validate_number(str(2**62))


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "9999-01-01", "0001-12-31"])
def test_a_day_at_the_ends_of_the_calendar_is_a_404(client, day):
    assert client.get(f"/papers/daily/{day}/").status_code == 404


def test_nul_bytes_in_a_calendar_token_a_token_to_revoke_and_an_admin_filter_are_a_400(client, world):
    world, organiser = world
    assert client.get(f"/meetings/calendar/{world.member.calendar_token}%00.ics").status_code == 400
    client.force_login(world.member)
    assert client.post(f"/members/me/tokens/{world.token_key}%00/revoke/").status_code == 400
    client.force_login(organiser)
    assert client.get("/admin/papers/paper/", {"status__exact": "listed\x00"}).status_code == 400
    assert client.get("/admin/members/user/", {"q": "\x00"}).status_code == 400


# --- HEAD wherever GET ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "member"])
def test_head_answers_wherever_get_does(role, world):
    """Every route of the URLconf (the API's included): HEAD gets GET's status, without a body."""
    world, _ = world
    client = Client()
    if role == "member":
        client.force_login(world.member)
    refused = []
    with quiet_4xx_logs():
        for key in all_routes():
            url = _url(key, world)
            get, head = _ask(client, "GET", url), _ask(client, "HEAD", url)
            if head.status_code != get.status_code:
                refused.append(f"{url}: GET {get.status_code}, HEAD {head.status_code}")
            body = b"".join(head.streaming_content) if head.streaming else head.content
            assert body == b"", url
    assert not refused, refused


@pytest.mark.parametrize("path", ["/healthz", "/papers/export.bib", "/meetings/calendar.ics"])
def test_head_on_the_health_check_and_exports_is_a_200(client, path):
    assert client.head(path).status_code == 200
