"""PostgreSQL: trigram indexes on authors' and tags' names.

Search matches a short query's words inside names (`icontains`, papers.search.names); without
an index that read all 500,000 authors of the 1M-paper bench for each search (about 0.5 s).
"""

from django.db import migrations

from papers.migrations._postgres import run_on_postgres

FORWARD = """
CREATE INDEX papers_author_name_trgm ON papers_author USING gin (upper(name) gin_trgm_ops);
CREATE INDEX papers_tag_name_trgm ON papers_tag USING gin (upper(name) gin_trgm_ops);
"""

BACKWARD = """
DROP INDEX IF EXISTS papers_tag_name_trgm;
DROP INDEX IF EXISTS papers_author_name_trgm;
"""


class Migration(migrations.Migration):
    dependencies = [("papers", "0015_postgres_search_terms")]

    operations = [migrations.RunPython(run_on_postgres(FORWARD), run_on_postgres(BACKWARD))]
