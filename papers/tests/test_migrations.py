"""Data migrations, run forward on a database that holds the rows they change (SQLite by
default; the same test runs on PostgreSQL with DATABASE_URL=postgres://…)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("papers", "0005_paper_metadata_state")]
AFTER = [("papers", "0006_remove_keyword_tags")]


def _migrate(targets=None):
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    yield
    _migrate()


@pytest.mark.django_db(transaction=True)
def test_it_removes_keyword_tags_and_their_links_but_keeps_the_keywords(back_to_latest):
    old = _migrate(BEFORE)
    Paper, Tag = old.get_model("papers", "Paper"), old.get_model("papers", "Tag")
    paper = Paper.objects.create(title="Routing", abstract="", keywords=["routing", "sparsity"])
    topic = Tag.objects.create(name="Sparse models", slug="sparse-models", kind="topic")
    category = Tag.objects.create(name="cs.LG", slug="cs-lg", kind="category")
    words = [Tag.objects.create(name=w, slug=w, kind="keyword") for w in ("routing", "sparsity")]
    paper.tags.add(topic, category, *words)

    new = _migrate(AFTER)
    Paper, Tag = new.get_model("papers", "Paper"), new.get_model("papers", "Tag")
    assert set(Tag.objects.values_list("slug", flat=True)) == {"sparse-models", "cs-lg"}
    paper = Paper.objects.get(pk=paper.pk)
    assert set(paper.tags.values_list("slug", flat=True)) == {"sparse-models", "cs-lg"}
    assert paper.keywords == ["routing", "sparsity"]
