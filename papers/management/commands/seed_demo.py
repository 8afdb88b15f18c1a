from django.core.management.base import BaseCommand, CommandError

from members.models import User
from readinggroup.demo import seed_demo

DEMO_ORGANISER = "organiser"
DEMO_MEMBER = "member"
DEMO_PASSWORD = "readinggroup-demo"
# (username, role, display name, where to log in)
DEMO_LOGINS = [
    (DEMO_ORGANISER, User.Role.ORGANISER, "Demo organiser", "/admin/ and the site"),
    (DEMO_MEMBER, User.Role.MEMBER, "Demo member", "the site, as a member sees it"),
]


class Command(BaseCommand):
    help = "Create synthetic demo members, papers, votes and sessions (safe to run again)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--papers", type=int, default=200, help="How many demo papers.")
        parser.add_argument(
            "--organiser",
            action="store_true",
            help=f"Also create the demo logins '{DEMO_ORGANISER}' and '{DEMO_MEMBER}' and print them.",
        )

    def handle(self, *args, papers: int, organiser: bool, **options) -> None:
        if papers < 2:
            raise CommandError("--papers must be at least 2 (each demo session has two papers).")
        self.stdout.write("Seeding demo content…")
        report = seed_demo(paper_count=papers)
        self.stdout.write(self.style.SUCCESS(f"Demo content ready: {report}."))
        if organiser:
            for login in DEMO_LOGINS:
                self._ensure_login(*login)

    def _ensure_login(self, username: str, role: str, display_name: str, where: str) -> None:
        user, created = User.objects.get_or_create(
            username=username, defaults={"role": role, "display_name": display_name}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if user.check_password(DEMO_PASSWORD):
            self.stdout.write(self.style.SUCCESS(f"Demo login: {username} / {DEMO_PASSWORD} ({where})"))
        else:
            self.stdout.write(
                f"The user '{username}' exists with a password of its own; "
                f"use it, or run: python manage.py changepassword {username}"
            )
