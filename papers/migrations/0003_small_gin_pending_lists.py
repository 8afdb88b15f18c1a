"""Keep the full-text and trigram indexes' pending lists small (PostgreSQL only).

A vote rewrites its paper's row (vote_count and trending_score are indexed for the
queue), and PostgreSQL adds every rewritten row to every index, the GIN indexes
included. GIN collects such entries in a pending list that each search scans in
full until it is merged into the index (at 4 MB by default, or by VACUUM). Measured
on 10,000 papers (bench): 3,000 votes made a rare-word search 40 to 80 times slower
(4 ms to 170-330 ms) until the next vacuum. At 128 kB the list is merged every ~100
rewritten rows: the search stays at 4-7 ms, for ~0.6 ms more per vote on average.
"""

from django.db import migrations

from papers.migrations import _postgres

FORWARD = """
ALTER INDEX papers_paper_search SET (gin_pending_list_limit = 128);
ALTER INDEX papers_paper_title_trgm SET (gin_pending_list_limit = 128);
"""
BACKWARD = """
ALTER INDEX papers_paper_search RESET (gin_pending_list_limit);
ALTER INDEX papers_paper_title_trgm RESET (gin_pending_list_limit);
"""


class Migration(migrations.Migration):
    dependencies = [("papers", "0002_postgres_search")]

    operations = [
        migrations.RunPython(_postgres.run_on_postgres(FORWARD), _postgres.run_on_postgres(BACKWARD))
    ]
