"""Every admin page loads, and each changelist's query count does not grow with its rows."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from papers.models import Source
from papers.tests.factories import FetchRunFactory
from readinggroup.demo import seed_demo

pytestmark = pytest.mark.django_db

MODELS = [
    model for model in admin.site._registry if model._meta.app_label in {"papers", "meetings", "members"}
]
MAX_CHANGELIST_QUERIES = 12


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _seed(paper_count: int) -> None:
    """Demo content, plus fetch runs, which only real fetches write."""
    seed_demo(paper_count=paper_count)
    for source in Source.objects.all():
        FetchRunFactory.create_batch(paper_count // 4, source=source, error="timed out")


def _changelist_queries(client, model) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_url(model, "changelist"))
    assert response.status_code == 200, response.content[:500]
    return len(queries)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_each_changelist_runs_the_same_queries_for_few_and_many_rows(client, superuser, model):
    client.force_login(superuser)
    _seed(8)
    few = _changelist_queries(client, model)
    _seed(40)
    many = _changelist_queries(client, model)
    assert model._default_manager.count() > 0
    assert many == few <= MAX_CHANGELIST_QUERIES


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_each_change_and_add_page_loads(client, superuser, model):
    client.force_login(superuser)
    _seed(5)
    obj = model._default_manager.first()
    assert client.get(_url(model, "change", obj.pk)).status_code == 200
    add = client.get(_url(model, "add"))
    assert add.status_code in (200, 403)  # fetch runs are written by fetches only


def test_an_organiser_can_curate_but_not_grant_themselves_superuser(client, organiser):
    client.force_login(organiser)
    assert client.get(reverse("admin:papers_paper_changelist")).status_code == 200
    page = client.get(reverse("admin:members_user_change", args=[organiser.pk]))
    assert b'name="is_superuser"' not in page.content


def test_an_organiser_cannot_edit_a_superuser(client, organiser, superuser):
    client.force_login(organiser)
    response = client.get(reverse("admin:members_user_change", args=[superuser.pk]))
    assert b'name="email"' not in response.content


def test_a_member_cannot_open_the_admin(client, member):
    client.force_login(member)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
