"""Notifiers: e-mail over SMTP (``SmtpNotifier``), and the log (``ConsoleNotifier``), the
default when no SMTP server is configured (ROCKET_SMTP_HOST unset)."""

from rocket_adapters.email.console import ConsoleNotifier
from rocket_adapters.email.smtp import SmtpNotifier

__all__ = ["ConsoleNotifier", "SmtpNotifier"]
