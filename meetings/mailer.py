"""The one place e-mail leaves the site: plain data in, Django's mail backend out.

The backend (console, file, SMTP) comes from EMAIL_URL in settings. No ORM here.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    html: str
    # One-click unsubscribe (RFC 8058): mail programs POST to this address.
    unsubscribe_url: str


def build_email(message: Message, connection=None) -> EmailMultiAlternatives:
    headers = {
        "List-Unsubscribe": f"<{message.unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        # Out-of-office replies to automatic messages help nobody.
        "Auto-Submitted": "auto-generated",
    }
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers=headers,
        connection=connection,
    )
    email.attach_alternative(message.html, "text/html")
    return email


class Mailer:
    """Sends messages over one connection, opened at the first message (a run with nothing
    to send never reaches the mail server): `with Mailer() as mailer: mailer.send(message)`.
    """

    def __enter__(self) -> "Mailer":
        self.connection = get_connection(fail_silently=False)
        self._opened = False
        return self

    def __exit__(self, *exc_info) -> None:
        if self._opened:
            self.connection.close()

    def send(self, message: Message) -> None:
        if not self._opened:
            self.connection.open()
            self._opened = True
        build_email(message, self.connection).send()
