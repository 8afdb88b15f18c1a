from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save, pre_delete

# Tables autovacuum would analyze next, by its default rule: more than 50 rows plus a tenth of the
# table written since the last ANALYZE (or ever). A table loaded in bulk (a restore, loaddata,
# bench.data) stays unanalyzed until autovacuum comes round; before then the planner guesses, and a
# search took 0.3-1.5 s instead of 10-20 ms on 10k papers.
_STALE_TABLES = """
    SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables
    WHERE n_mod_since_analyze > 50 + 0.1 * n_live_tup
"""


def analyze_stale_tables(*, using: str = "default", **kwargs) -> None:
    """After `migrate` on PostgreSQL: ANALYZE the tables whose statistics are missing or stale."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(_STALE_TABLES)
        tables = [row[0] for row in cursor.fetchall()]
        if tables:
            cursor.execute(f"ANALYZE {', '.join(tables)}")  # names quoted by format('%I')


class PapersConfig(AppConfig):
    name = "papers"
    verbose_name = "Papers"

    def ready(self) -> None:
        post_migrate.connect(analyze_stale_tables, sender=self, dispatch_uid="papers.analyze_stale_tables")
        from papers.models import Author, Paper, Tag
        from papers.signals import (
            follow_deletions,
            follow_renames,
            follow_tag_edits,
            follow_visibility,
            record_tombstone,
        )

        post_delete.connect(record_tombstone, sender="papers.Paper", dispatch_uid="papers.record_tombstone")
        post_save.connect(follow_visibility, sender="papers.Paper", dispatch_uid="papers.follow_visibility")
        m2m_changed.connect(
            follow_tag_edits, sender=Paper.tags.through, dispatch_uid="papers.follow_tag_edits"
        )
        for model in (Tag, Author):
            name = model.__name__
            post_save.connect(follow_renames, sender=model, dispatch_uid=f"papers.follow_renames.{name}")
            pre_delete.connect(follow_deletions, sender=model, dispatch_uid=f"papers.follow_deletions.{name}")
