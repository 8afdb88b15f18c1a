import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from papers.fetching import SourceBusy, source_fetch
from papers.models import FetchRun, Source


class Command(BaseCommand):
    help = (
        "Fetch papers now, in this process, with the same code the workers run. "
        "Without options: every enabled source that is due."
    )

    def add_arguments(self, parser) -> None:
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--source", metavar="NAME", help="Fetch this source (even if disabled or not due)."
        )
        which.add_argument(
            "--all", action="store_true", dest="all_enabled", help="Fetch every enabled source, due or not."
        )

    def handle(self, *args, source: str | None, all_enabled: bool, **options) -> None:
        chosen = self._sources(source, all_enabled)
        if not chosen:
            self.stdout.write("No source is due. Use --all to fetch every enabled source now.")
            return
        failures = []
        for item in tqdm(chosen, desc="Fetching", unit="source", file=sys.stderr, disable=None):
            try:
                run = source_fetch(source=item)
            except SourceBusy:
                self.stdout.write(f"{item.name}: skipped, another process is fetching it right now.")
                continue
            self.stdout.write(self._line(item, run))
            if run.status == FetchRun.Status.FAILED:
                failures.append(f"{item.name} ({run.error})")
        if failures:
            raise CommandError(f"{len(failures)} source(s) failed: " + "; ".join(failures))

    def _sources(self, name: str | None, all_enabled: bool) -> list[Source]:
        if name is not None:
            found = Source.objects.filter(name=name).first()
            if found is None:
                known = (
                    ", ".join(Source.objects.values_list("name", flat=True)) or "none yet (see add_source)"
                )
                raise CommandError(f"No source named {name!r}. Sources: {known}.")
            return [found]
        enabled = list(Source.objects.filter(enabled=True))
        return enabled if all_enabled else [s for s in enabled if s.is_due()]

    def _line(self, source: Source, run: FetchRun) -> str:
        if run.status == FetchRun.Status.FAILED:
            return self.style.ERROR(f"{source.name}: FAILED: {run.error}")
        counts = (
            f"{run.new_count} new, {run.updated_count} updated, "
            f"{run.unchanged_count} unchanged, {run.failed_count} failed, {run.skipped_count} skipped"
        )
        if run.status == FetchRun.Status.PARTIAL:
            # Not a failure (what came is stored and the next fetch asks again): exit status 0.
            return self.style.WARNING(f"{source.name}: PARTIAL: {counts}; {run.error}")
        return self.style.SUCCESS(f"{source.name}: {counts}")
