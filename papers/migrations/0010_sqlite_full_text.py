"""Full-text search on SQLite: an FTS5 table over the papers' title, keywords, TL;DR and
abstract (Porter stemming, like PostgreSQL's 'english'), kept current by triggers, so that
search ranks with FTS5's bm25() (papers.search.lexical). PostgreSQL has its tsvector
(migration 0002); there nothing happens.

External content (the text stays in papers_paper only); triggers rather than save() hooks so
that bulk writes and raw SQL keep the index right too.
"""

from django.db import migrations

COLUMNS = "title, keywords, summary, abstract"
FORWARD = [
    f"""CREATE VIRTUAL TABLE papers_paper_fts USING fts5({COLUMNS},
        content='papers_paper', content_rowid='id', tokenize='porter unicode61')""",
    f"""CREATE TRIGGER papers_paper_fts_insert AFTER INSERT ON papers_paper BEGIN
        INSERT INTO papers_paper_fts(rowid, {COLUMNS})
        VALUES (new.id, new.title, new.keywords, new.summary, new.abstract);
    END""",
    f"""CREATE TRIGGER papers_paper_fts_delete AFTER DELETE ON papers_paper BEGIN
        INSERT INTO papers_paper_fts(papers_paper_fts, rowid, {COLUMNS})
        VALUES ('delete', old.id, old.title, old.keywords, old.summary, old.abstract);
    END""",
    f"""CREATE TRIGGER papers_paper_fts_update AFTER UPDATE OF {COLUMNS} ON papers_paper BEGIN
        INSERT INTO papers_paper_fts(papers_paper_fts, rowid, {COLUMNS})
        VALUES ('delete', old.id, old.title, old.keywords, old.summary, old.abstract);
        INSERT INTO papers_paper_fts(rowid, {COLUMNS})
        VALUES (new.id, new.title, new.keywords, new.summary, new.abstract);
    END""",
    "INSERT INTO papers_paper_fts(papers_paper_fts) VALUES ('rebuild')",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS papers_paper_fts_update",
    "DROP TRIGGER IF EXISTS papers_paper_fts_delete",
    "DROP TRIGGER IF EXISTS papers_paper_fts_insert",
    "DROP TABLE IF EXISTS papers_paper_fts",
]


def run_on_sqlite(statements: list[str]):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("papers", "0009_paper_comment_count")]

    operations = [migrations.RunPython(run_on_sqlite(FORWARD), run_on_sqlite(BACKWARD))]
