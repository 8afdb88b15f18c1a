"""Full-text search on PostgreSQL: a trigger keeps Paper.search_vector current,
GIN indexes serve full-text and trigram (title similarity) lookups.

A trigger rather than a save() hook so that bulk upserts and raw SQL keep the
vector right too. On SQLite nothing happens and search falls back to LIKE.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from papers.migrations._postgres import run_on_postgres

FORWARD = """
CREATE FUNCTION papers_paper_search_vector_update() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce((
      SELECT string_agg(value, ' ') FROM jsonb_array_elements_text(
        CASE WHEN jsonb_typeof(NEW.keywords) = 'array' THEN NEW.keywords ELSE '[]'::jsonb END)
    ), '')), 'B') ||
    setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(NEW.abstract, '')), 'C');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER papers_paper_search_vector
  BEFORE INSERT OR UPDATE OF title, abstract, summary, keywords ON papers_paper
  FOR EACH ROW EXECUTE FUNCTION papers_paper_search_vector_update();
CREATE INDEX papers_paper_search ON papers_paper USING gin (search_vector);
CREATE INDEX papers_paper_title_trgm ON papers_paper USING gin (title gin_trgm_ops);
UPDATE papers_paper SET title = title;
"""

BACKWARD = """
DROP INDEX IF EXISTS papers_paper_title_trgm;
DROP INDEX IF EXISTS papers_paper_search;
DROP TRIGGER IF EXISTS papers_paper_search_vector ON papers_paper;
DROP FUNCTION IF EXISTS papers_paper_search_vector_update();
"""


class Migration(migrations.Migration):
    dependencies = [("papers", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(run_on_postgres(FORWARD), run_on_postgres(BACKWARD)),
    ]
