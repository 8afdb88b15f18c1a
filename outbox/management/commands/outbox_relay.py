from django.core.management.base import BaseCommand, CommandError

from outbox.services import messages_pending, messages_purge, messages_relay


class Command(BaseCommand):
    help = (
        "Publish the outbox messages the broker has not taken yet (every worker does this by itself "
        "every OUTBOX_RELAY_SECONDS), and delete those published more than OUTBOX_RETENTION_DAYS ago."
    )

    def handle(self, *args, **options) -> None:
        published = failed = 0
        while True:  # passes of up to 100 messages, until none is due or the broker fails
            result = messages_relay()
            published, failed = published + result.published, failed + result.failed
            if result.broker_down or result.published + result.failed == 0:
                break
        purged = messages_purge()
        pending = messages_pending()
        self.stdout.write(
            f"Published {published}, could not publish {failed}, still waiting {pending}; "
            f"deleted {purged} old message(s)."
        )
        if result.broker_down:
            raise CommandError("The broker is unreachable: the waiting messages stay in the outbox.")
