from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from papers.models import Source
from papers.services import source_create


class Command(BaseCommand):
    help = "Add a source of papers (an arXiv query, an arXiv listing, Hugging Face daily papers or any feed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--kind", required=True, choices=Source.Kind.values, help="What the URL serves.")
        parser.add_argument("--name", required=True, help="A unique name, e.g. 'arXiv cs.LG'.")
        parser.add_argument("--url", required=True, help="The full endpoint URL, query included.")
        parser.add_argument(
            "--interval", type=int, default=360, help="Minutes between fetches (default 360)."
        )
        parser.add_argument("--fetch-limit", type=int, default=200, help="Most papers taken per fetch.")
        parser.add_argument(
            "--auto-list",
            action="store_true",
            default=True,
            help="List new papers at once (the default).",
        )
        parser.add_argument(
            "--no-auto-list",
            action="store_false",
            dest="auto_list",
            help="New papers wait as pending until an organiser lists them.",
        )

    def handle(self, *args, kind, name, url, interval, fetch_limit, auto_list, **options) -> None:
        try:
            source = source_create(
                name=name, kind=kind, url=url, interval=interval, auto_list=auto_list, fetch_limit=fetch_limit
            )
        except ValidationError as error:
            problems = "; ".join(
                f"--{field.replace('_', '-')}: {' '.join(msgs)}" for field, msgs in _fields(error)
            )
            raise CommandError(f"Source not added. {problems}") from error
        listing = "listed at once" if source.auto_list else "pending until an organiser lists them"
        self.stdout.write(
            self.style.SUCCESS(
                f"Added source '{source.name}' ({source.kind}), fetched every {source.interval} min, "
                f"new papers {listing}."
            )
        )


def _fields(error: ValidationError):
    if hasattr(error, "message_dict"):
        return error.message_dict.items()
    return [("source", error.messages)]
