"""The SMTP notifier: each notification as one e-mail through an SMTP server (smtplib).

Settings (``rocket_entrypoints.settings``): ROCKET_SMTP_HOST, ROCKET_SMTP_PORT (587),
ROCKET_SMTP_USERNAME and ROCKET_SMTP_PASSWORD (log in when set), ROCKET_SMTP_STARTTLS
(``true``), ROCKET_MAIL_FROM (the sender address; its domain names the Message-IDs).

One connection per message: EHLO, STARTTLS (then EHLO again) unless ``starttls=False`` was
chosen, LOGIN when a username is set, then the message. With ``starttls=True`` a server that
does not offer STARTTLS is refused: neither the password nor the mail travels in the clear
unless the operator asked for it. Implicit TLS (port 465) is not supported; use 587.

The message is ``multipart/alternative`` (plain text, and HTML when there is some), From
"<school name> <mail_from address>", ``Message-ID: <notification id@mail_from domain>`` (a
copy re-sent after a crash carries the same id) and the Date of sending.

What the dispatcher makes of the failures:

- ``PermanentDeliveryFailure`` (the family is flagged undeliverable): the server refused the
  recipient (RCPT) or the message (DATA) with a 5xx code;
- ``TemporaryDeliveryFailure`` (retried with backoff): 4xx codes, a refused sender (a
  configuration problem of ours, not of the recipient: check ROCKET_MAIL_FROM), a failed
  login (check ROCKET_SMTP_USERNAME/PASSWORD), a server without STARTTLS, disconnections,
  refused connections, timeouts, TLS errors and any other SMTP error.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from rocket_core.errors import (
    DeliveryError,
    PermanentDeliveryFailure,
    TemporaryDeliveryFailure,
    ValidationError,
)
from rocket_core.model import NotificationChannel
from rocket_core.ports import Notifier, OutgoingMessage


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())


def _refusal(what: str, code: int, reply: bytes | str) -> DeliveryError:
    """A 5xx reply is permanent, anything else temporary; the message names both."""
    detail = f"the SMTP server refused {what}: {code} {_text(reply)}"
    if 500 <= code < 600:
        return PermanentDeliveryFailure(detail)
    return TemporaryDeliveryFailure(detail)


class SmtpNotifier(Notifier):
    """Sends e-mail notifications through an SMTP server (see the module docstring)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        mail_from: str,
        timeout: float = 30,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if not isinstance(host, str) or not host.strip():
            raise ValidationError("SmtpNotifier.host", "must name the SMTP server")
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ValidationError("SmtpNotifier.port", "must be a port number from 1 to 65535")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise ValidationError("SmtpNotifier.timeout", "must be a number of seconds > 0")
        if (username is None) != (password is None):
            raise ValidationError(
                "SmtpNotifier.password", "a username and a password go together (or neither)"
            )
        if not isinstance(starttls, bool):
            raise ValidationError("SmtpNotifier.starttls", "must be true or false")
        name, address = parseaddr(mail_from if isinstance(mail_from, str) else "")
        local, _, domain = address.rpartition("@")
        if not local or not domain:
            raise ValidationError(
                "SmtpNotifier.mail_from",
                "must be an e-mail address, with a name or not: Rocket <no-reply@school.example>",
            )
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.starttls = starttls
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.from_name = name
        self.from_address = address
        self.domain = domain

    def __repr__(self) -> str:
        return (
            f"SmtpNotifier({self.host!r}, {self.port}, username={self.username!r}, "
            f"starttls={self.starttls}, mail_from={self.from_address!r})"
        )

    def build(self, message: OutgoingMessage) -> EmailMessage:
        """The e-mail for a message: headers, the plain text and (when given) the HTML."""
        if message.channel is not NotificationChannel.EMAIL:
            raise ValidationError("OutgoingMessage.channel", "SmtpNotifier sends e-mail only")
        email = EmailMessage()
        email["Subject"] = message.subject
        email["From"] = Address(
            display_name=message.sender_name or self.from_name, addr_spec=self.from_address
        )
        email["To"] = message.to_address
        email["Date"] = format_datetime(datetime.now(UTC))
        email["Message-ID"] = (
            make_msgid(domain=self.domain)
            if message.reference is None
            else f"<{message.reference}@{self.domain}>"
        )
        email.set_content(message.text_body)
        if message.html_body:
            email.add_alternative(message.html_body, subtype="html")
        return email

    def send(self, message: OutgoingMessage) -> None:
        """Deliver one message to the server, or raise Temporary/PermanentDeliveryFailure."""
        email = self.build(message)
        try:
            self._deliver(email, message.to_address)
        except DeliveryError:
            raise
        except smtplib.SMTPAuthenticationError as error:
            raise TemporaryDeliveryFailure(
                f"the SMTP server refused the login ({error.smtp_code} {_text(error.smtp_error)}):"
                " check ROCKET_SMTP_USERNAME/PASSWORD"
            ) from error
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()), (0, b"recipient refused"))
            raise _refusal(f"the recipient {message.to_address}", code, reply) from error
        except smtplib.SMTPDataError as error:
            raise _refusal("the message", error.smtp_code, error.smtp_error) from error
        except smtplib.SMTPSenderRefused as error:
            # Our sender address, not the recipient's: never a reason to flag a family.
            raise TemporaryDeliveryFailure(
                f"the SMTP server refused the sender {self.from_address}: {error.smtp_code} "
                f"{_text(error.smtp_error)} (check ROCKET_MAIL_FROM)"
            ) from error
        except smtplib.SMTPResponseException as error:
            raise TemporaryDeliveryFailure(
                f"the SMTP server answered {error.smtp_code} {_text(error.smtp_error)}"
            ) from error
        except (smtplib.SMTPException, OSError) as error:  # disconnected, refused, timeout, TLS
            raise TemporaryDeliveryFailure(
                f"could not reach the SMTP server {self.host}:{self.port}: "
                f"{type(error).__name__}: {error}"
            ) from error

    def _deliver(self, email: EmailMessage, to_address: str) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.ehlo()
            if self.starttls:
                if not smtp.has_extn("starttls"):
                    raise TemporaryDeliveryFailure(
                        f"the SMTP server {self.host}:{self.port} does not offer STARTTLS; "
                        "set ROCKET_SMTP_STARTTLS=false only if sending in the clear is intended"
                    )
                smtp.starttls(context=self.ssl_context or ssl.create_default_context())
                smtp.ehlo()
            if self.username is not None:
                smtp.login(self.username, self._password or "")
            smtp.send_message(email, from_addr=self.from_address, to_addrs=[to_address])
