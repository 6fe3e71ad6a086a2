"""The console notifier: writes each notification to the log instead of sending it."""

from __future__ import annotations

import logging

from rocket_core.ports import Notifier, OutgoingMessage

#: The logger the notifications are written to (INFO).
LOGGER_NAME = "rocket.notifications"
_log = logging.getLogger(LOGGER_NAME)


class ConsoleNotifier(Notifier):
    """Logs each message (recipient, subject and the body's first line) on the
    ``rocket.notifications`` logger at INFO, and reports it delivered. The default when no
    SMTP server is configured: development, demos, and schools that do not send e-mail."""

    def send(self, message: OutgoingMessage) -> None:
        """Log the message; never fails."""
        first_line = next((line for line in message.text_body.splitlines() if line.strip()), "")
        _log.info(
            "notification %s to %s: %s | %s",
            message.reference or "-",
            message.to_address,
            message.subject,
            first_line.strip(),
        )
