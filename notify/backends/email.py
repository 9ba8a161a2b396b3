"""Email through Django's email backend (SMTP in production, console in development).

Plain text: the body, then the link as an absolute URL on SITE_URL. One connection serves
a whole batch. A refused recipient fails at once; a server that is down is retried.
"""

from __future__ import annotations

import contextlib
import smtplib
from email.utils import make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage, get_connection
from django.utils.translation import gettext as _

from notify.backends import Backend, SendError, absolute_link, address_of
from notify.models import Delivery


def email_text(delivery: Delivery) -> str:
    """The plain-text body: the message, then its link."""
    parts = [delivery.body.strip()]
    link = absolute_link(delivery.url)
    if link:
        parts.append(_("Open it in Tongzhou: %(link)s") % {"link": link})
    return "\n\n".join(part for part in parts if part) + "\n"


class EmailBackend(Backend):
    """Sends each delivery as one email over a connection kept open for the batch."""

    def __init__(self) -> None:
        self.connection = get_connection(fail_silently=False)
        self.domain = urlsplit(settings.SITE_URL).hostname or "localhost"

    def send(self, delivery: Delivery) -> str:
        message_id = make_msgid(domain=self.domain)
        message = EmailMessage(
            subject=" ".join(delivery.subject.split()),  # no line breaks in a header
            body=email_text(delivery),
            to=[address_of(delivery)],
            connection=self.connection,
            headers={"Message-ID": message_id},
        )
        try:
            message.send()
        except (smtplib.SMTPRecipientsRefused, BadHeaderError, ValueError) as exc:
            raise SendError(
                _("The mail server refused the address (%(error)s).")
                % {"error": type(exc).__name__},
                retryable=False,
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(
                _("The mail server could not be reached (%(error)s).")
                % {"error": type(exc).__name__},
                retryable=True,
            ) from exc
        return message_id[:100]

    def close(self) -> None:
        # The batch is done; a failed QUIT is not news.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self.connection.close()
