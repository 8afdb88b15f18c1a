from django.core.management.base import BaseCommand

from meetings.notifications import send_weekly_digest


class Command(BaseCommand):
    help = "Send this week's digest now, in-process; members who have this week's already are skipped."

    def handle(self, *args, **options) -> None:
        sent = send_weekly_digest()
        self.stdout.write(f"Digest sent to {sent} member(s).")
