"""Keywords stop being tags: remove the keyword-kind tags and their links to papers.

The papers' `keywords` lists are left as they are; only the Tag rows the summariser used to
make from them go. The schema change that drops the "keyword" kind is the next migration: on
PostgreSQL a table cannot be altered in the transaction that deleted rows pointing at it
(deferred foreign-key triggers are still pending).
"""

from django.db import migrations


def remove_keyword_tags(apps, schema_editor) -> None:
    Tag = apps.get_model("papers", "Tag")
    Paper = apps.get_model("papers", "Paper")
    # Links first, in one statement, so deleting the tags does not collect them row by row.
    Paper.tags.through.objects.filter(tag__kind="keyword").delete()
    Tag.objects.filter(kind="keyword").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0005_paper_metadata_state"),
    ]

    operations = [
        # Not reversible in content: which papers had which keyword tags is not kept; going
        # back leaves the kind allowed again and no keyword tags, as after a fresh install.
        migrations.RunPython(remove_keyword_tags, migrations.RunPython.noop),
    ]
