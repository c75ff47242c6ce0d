"""The table of the database cache (throttle counts and sign-in locks when there is no
Redis): made here, so every `migrate` (make run, the compose file, the tests) has it."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor) -> None:
    # Creates the table of each DatabaseCache in CACHES, if missing; nothing for Redis.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("audiobooks", "0007_book_outline_and_narration")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
