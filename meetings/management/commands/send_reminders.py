from django.core.management.base import BaseCommand

from meetings.notifications import send_due_reminders, send_meeting_reminders


class Command(BaseCommand):
    help = (
        "Send session reminders now, in-process: those due (sessions in the next 24 hours), or with "
        "--meeting ID that session's at once. A member is never reminded twice of the same session."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--meeting", type=int, help="Remind the members of this planned session now.")

    def handle(self, *args, meeting: int | None = None, **options) -> None:
        sent = send_meeting_reminders(meeting_id=meeting) if meeting else send_due_reminders()
        self.stdout.write(f"{sent} reminder(s) sent.")
