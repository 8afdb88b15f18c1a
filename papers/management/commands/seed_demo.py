from django.core.management.base import BaseCommand, CommandError

from members.models import User
from readinggroup.demo import seed_demo

DEMO_ORGANISER = "organiser"
DEMO_PASSWORD = "readinggroup-demo"


class Command(BaseCommand):
    help = "Create synthetic demo members, papers, votes and sessions (safe to run again)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--papers", type=int, default=200, help="How many demo papers.")
        parser.add_argument(
            "--organiser",
            action="store_true",
            help=f"Also create the demo organiser '{DEMO_ORGANISER}' and print its login.",
        )

    def handle(self, *args, papers: int, organiser: bool, **options) -> None:
        if papers < 2:
            raise CommandError("--papers must be at least 2 (each demo session has two papers).")
        self.stdout.write("Seeding demo content…")
        report = seed_demo(paper_count=papers)
        self.stdout.write(self.style.SUCCESS(f"Demo content ready: {report}."))
        if organiser:
            self._ensure_organiser()

    def _ensure_organiser(self) -> None:
        user, created = User.objects.get_or_create(
            username=DEMO_ORGANISER, defaults={"role": User.Role.ORGANISER, "display_name": "Demo organiser"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if user.check_password(DEMO_PASSWORD):
            self.stdout.write(
                self.style.SUCCESS(f"Demo organiser login: {DEMO_ORGANISER} / {DEMO_PASSWORD} (at /admin/)")
            )
        else:
            self.stdout.write(
                f"The user '{DEMO_ORGANISER}' exists with a password of its own; "
                f"use it, or run: python manage.py changepassword {DEMO_ORGANISER}"
            )
