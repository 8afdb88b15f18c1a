from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backups.services import BackupError, backup_create, backups_prune


class Command(BaseCommand):
    help = (
        "Back up the database while the site runs: SQLite with its online backup API, PostgreSQL "
        "with pg_dump (custom format). Restore with `manage.py restore FILE`."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--output", "-o", type=Path, help="File to write (default: var/backups/readinggroup-<time>)."
        )
        parser.add_argument(
            "--keep", type=int, metavar="N", help="Then delete all but the newest N backups in that folder."
        )

    def handle(self, *args, output: Path | None, keep: int | None, **options) -> None:
        if keep is not None and keep < 1:
            raise CommandError("--keep must be at least 1.")
        try:
            backup = backup_create(output=output, progress=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Wrote {backup.path} ({backup.size / 1e6:.1f} MB) in {backup.seconds:.1f} s.")
        if keep is not None:
            for old in backups_prune(folder=backup.path.parent, keep=keep):
                self.stdout.write(f"Deleted the old backup {old}.")
