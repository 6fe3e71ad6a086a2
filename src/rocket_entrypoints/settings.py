"""Configuration from environment variables (``ROCKET_*``), with safe defaults.

With nothing set, Rocket works on the SQLite file ``rocket.db`` in the current directory
(the embedded default); production sets ``ROCKET_DATABASE_URL=postgresql+psycopg://...``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError

DATABASE_URL_VARIABLE = "ROCKET_DATABASE_URL"
DATABASE_ROLE_VARIABLE = "ROCKET_DATABASE_ROLE"
DATABASE_POOL_SIZE_VARIABLE = "ROCKET_DATABASE_POOL_SIZE"
#: Connections each process keeps open (and the HTTP worker's request threads).
DEFAULT_DATABASE_POOL_SIZE = 10
DEFAULT_DATABASE_URL = "sqlite:///rocket.db"
DEFAULT_DATABASE_ROLE = "rocket_app"
STRIPE_SECRET_KEY_VARIABLE = "ROCKET_STRIPE_SECRET_KEY"
STRIPE_WEBHOOK_SECRET_VARIABLE = "ROCKET_STRIPE_WEBHOOK_SECRET"
STRIPE_API_BASE_VARIABLE = "ROCKET_STRIPE_API_BASE"
SMTP_HOST_VARIABLE = "ROCKET_SMTP_HOST"
SMTP_PORT_VARIABLE = "ROCKET_SMTP_PORT"
SMTP_USERNAME_VARIABLE = "ROCKET_SMTP_USERNAME"
SMTP_PASSWORD_VARIABLE = "ROCKET_SMTP_PASSWORD"
SMTP_STARTTLS_VARIABLE = "ROCKET_SMTP_STARTTLS"
MAIL_FROM_VARIABLE = "ROCKET_MAIL_FROM"
TEMPLATES_DIR_VARIABLE = "ROCKET_TEMPLATES_DIR"

#: The drivers Rocket runs on: SQLite (embedded) and Postgres through psycopg 3; ``memory://``
#: keeps everything in the process (tests, demos, embedders) and forgets it on exit.
SUPPORTED_DRIVERS = ("memory", "sqlite", "postgresql+psycopg")
_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_URL_HELP = "use sqlite:///path/to/rocket.db or postgresql+psycopg://user:password@host/dbname"


class SettingsError(ValueError):
    """A configuration value is refused; the message names the environment variable."""


def masked(url: str | sa.URL) -> str:
    """The URL as it can be shown: the password (if any) replaced by ``***``."""
    return sa.make_url(url).render_as_string(hide_password=True)


def _check_database_url(_instance: Any, _attribute: Any, value: str) -> None:
    if not value.strip():
        raise SettingsError(
            f"{DATABASE_URL_VARIABLE} is set but empty: unset it for the default "
            f"{DEFAULT_DATABASE_URL}, or {_URL_HELP}"
        )
    try:
        url = sa.make_url(value)
    except ArgumentError:
        raise SettingsError(f"{DATABASE_URL_VARIABLE} is not a database URL: {_URL_HELP}") from None
    if url.drivername in SUPPORTED_DRIVERS:
        return
    shown = masked(url)
    if url.drivername in ("postgresql", "postgres") or url.drivername.startswith("postgres"):
        raise SettingsError(
            f"{DATABASE_URL_VARIABLE}={shown}: use postgresql+psycopg://... "
            "(Rocket talks to Postgres through psycopg 3)"
        )
    raise SettingsError(
        f"{DATABASE_URL_VARIABLE}={shown}: Rocket runs on SQLite or Postgres; {_URL_HELP}"
    )


def _check_database_role(_instance: Any, _attribute: Any, value: str) -> None:
    if not _ROLE.fullmatch(value):
        raise SettingsError(
            f"{DATABASE_ROLE_VARIABLE}={value!r} is not a plain Postgres role name "
            "(lower-case letters, digits and underscores, at most 63)"
        )


def _whole(variable: str, low: int, high: int, what: str) -> Any:
    """An attrs validator: an int from ``low`` to ``high``, else SettingsError naming the
    variable and ``what`` it must be."""

    def check(_instance: Any, _attribute: Any, value: int) -> None:
        if not isinstance(value, int) or not low <= value <= high:
            raise SettingsError(f"{variable}={value!r}: {what}")

    return check


def _integer(variable: str, text: str, what: str) -> int:
    """``text`` as an int, else SettingsError naming the variable and ``what`` it must be."""
    try:
        return int(text)
    except ValueError:
        raise SettingsError(f"{variable}={text!r}: {what}") from None


_PORT = "a port number from 1 to 65535"
_POOL_SIZE = "a number from 1 to 100"


def _flag(variable: str, text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{variable}={text!r}: true or false")


@attrs.frozen
class Settings:
    """What Rocket is configured with.

    ``database_url`` (``ROCKET_DATABASE_URL``): where the data lives, a SQLAlchemy URL,
    ``sqlite://...`` or ``postgresql+psycopg://...``, or ``memory://`` for an in-process store
    that is forgotten on exit; default ``sqlite:///rocket.db``.

    ``database_role`` (``ROCKET_DATABASE_ROLE``): the Postgres role the application works as
    (``SET ROLE``), which row-level security applies to; the migrations create it. Default
    ``rocket_app``. SQLite ignores it.

    ``database_pool_size`` (``ROCKET_DATABASE_POOL_SIZE``): the database connections each
    process keeps open, default 10; an HTTP worker also runs at most this many requests at
    once (its request threads), so that a request never waits for a connection to be opened.

    ``stripe_secret_key`` (``ROCKET_STRIPE_SECRET_KEY``): card payments through Stripe when
    set; without it Rocket uses the offline gateway (cash, bank transfer and cheque recorded by
    staff; card operations refused). ``stripe_webhook_secret``
    (``ROCKET_STRIPE_WEBHOOK_SECRET``) verifies Stripe's webhooks; ``stripe_api_base``
    (``ROCKET_STRIPE_API_BASE``) points the library elsewhere (a test server).

    ``smtp_host`` (``ROCKET_SMTP_HOST``): notifications go out by e-mail through this SMTP
    server when set (``ROCKET_SMTP_PORT`` default 587, ``ROCKET_SMTP_USERNAME`` and
    ``ROCKET_SMTP_PASSWORD`` to log in, ``ROCKET_SMTP_STARTTLS`` default ``true``); without it
    they are written to the log (the console notifier). ``mail_from`` (``ROCKET_MAIL_FROM``):
    the sender address, default ``Rocket <no-reply@localhost>``.

    ``templates_dir`` (``ROCKET_TEMPLATES_DIR``): a folder of notification templates that
    replace the built-in ones file by file (see docs/notifications.md).
    """

    database_url: str = attrs.field(default=DEFAULT_DATABASE_URL, validator=_check_database_url)
    database_role: str = attrs.field(default=DEFAULT_DATABASE_ROLE, validator=_check_database_role)
    database_pool_size: int = attrs.field(
        default=DEFAULT_DATABASE_POOL_SIZE,
        validator=_whole(DATABASE_POOL_SIZE_VARIABLE, 1, 100, _POOL_SIZE),
    )
    stripe_secret_key: str | None = attrs.field(default=None, repr=False)
    stripe_webhook_secret: str | None = attrs.field(default=None, repr=False)
    stripe_api_base: str | None = attrs.field(default=None)
    smtp_host: str | None = attrs.field(default=None)
    smtp_port: int = attrs.field(default=587, validator=_whole(SMTP_PORT_VARIABLE, 1, 65535, _PORT))
    smtp_username: str | None = attrs.field(default=None)
    smtp_password: str | None = attrs.field(default=None, repr=False)
    smtp_starttls: bool = attrs.field(default=True)
    mail_from: str = attrs.field(default="Rocket <no-reply@localhost>")
    templates_dir: str | None = attrs.field(default=None)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` (the process environment by default).

        A variable that is not set takes its default; a refused value raises SettingsError.
        """
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get(DATABASE_URL_VARIABLE, DEFAULT_DATABASE_URL),
            database_role=env.get(DATABASE_ROLE_VARIABLE, DEFAULT_DATABASE_ROLE),
            database_pool_size=_integer(
                DATABASE_POOL_SIZE_VARIABLE,
                env.get(DATABASE_POOL_SIZE_VARIABLE) or str(DEFAULT_DATABASE_POOL_SIZE),
                _POOL_SIZE,
            ),
            stripe_secret_key=env.get(STRIPE_SECRET_KEY_VARIABLE) or None,
            stripe_webhook_secret=env.get(STRIPE_WEBHOOK_SECRET_VARIABLE) or None,
            stripe_api_base=env.get(STRIPE_API_BASE_VARIABLE) or None,
            smtp_host=env.get(SMTP_HOST_VARIABLE) or None,
            smtp_port=_integer(SMTP_PORT_VARIABLE, env.get(SMTP_PORT_VARIABLE) or "587", _PORT),
            smtp_username=env.get(SMTP_USERNAME_VARIABLE) or None,
            smtp_password=env.get(SMTP_PASSWORD_VARIABLE) or None,
            smtp_starttls=_flag(SMTP_STARTTLS_VARIABLE, env.get(SMTP_STARTTLS_VARIABLE) or "true"),
            mail_from=env.get(MAIL_FROM_VARIABLE) or "Rocket <no-reply@localhost>",
            templates_dir=env.get(TEMPLATES_DIR_VARIABLE) or None,
        )

    @property
    def email(self) -> bool:
        """True when an SMTP server is configured for notifications."""
        return self.smtp_host is not None

    @property
    def card_payments(self) -> bool:
        """True when Stripe is configured (a secret key is set)."""
        return self.stripe_secret_key is not None

    @property
    def in_memory(self) -> bool:
        """True when the data lives in the process only (``memory://``)."""
        return sa.make_url(self.database_url).drivername == "memory"

    @property
    def masked_database_url(self) -> str:
        """The database URL with its password hidden, for messages and logs."""
        return masked(self.database_url)

    def __repr__(self) -> str:
        # never show the password, even in a traceback or a log line
        url, role = self.masked_database_url, self.database_role
        stripe = "configured" if self.card_payments else "not configured"
        return f"Settings(database_url={url!r}, database_role={role!r}, stripe={stripe})"
