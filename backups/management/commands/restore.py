from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from backups.services import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Replace everything in the database with a backup made by `manage.py backup`. Stop the web "
        "server, the workers and beat first."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="The backup to restore.")
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive", help="Do not ask first."
        )

    def handle(self, *args, file: Path, interactive: bool, **options) -> None:
        if interactive:
            name = connection.settings_dict["NAME"]
            answer = input(f"Replace everything in the database {name} with {file}? Type 'yes' to go on: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled: nothing was changed.")
        try:
            backup_restore(path=file, progress=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Restored {file}.")
