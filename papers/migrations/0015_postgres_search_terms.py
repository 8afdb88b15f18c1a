"""PostgreSQL: how many papers use each word (lexeme), for the IDF of the lexical ranking.

Counting a common word's papers from the GIN index at query time reads a posting list as
long as the collection (tens of milliseconds a word at 1M papers); a table read by primary
key answers in microseconds. Filled by `papers.search.term_stats.refresh` (a periodic worker
task and `manage.py refresh_search_terms`); words it does not know yet are counted from the
index at query time, which is cheap because a word new since the last refresh is rare.
Plain tables rather than models: only PostgreSQL's search reads them, by raw SQL.
"""

from django.db import migrations

from papers.migrations._postgres import run_on_postgres

FORWARD = """
CREATE TABLE papers_searchterm (lexeme text PRIMARY KEY, documents integer NOT NULL);
CREATE TABLE papers_searchcorpus (
  papers bigint NOT NULL, lexemes bigint NOT NULL, refreshed_at timestamptz NOT NULL
);
"""

BACKWARD = """
DROP TABLE IF EXISTS papers_searchcorpus;
DROP TABLE IF EXISTS papers_searchterm;
"""


class Migration(migrations.Migration):
    dependencies = [("papers", "0014_dismissal")]

    operations = [migrations.RunPython(run_on_postgres(FORWARD), run_on_postgres(BACKWARD))]
