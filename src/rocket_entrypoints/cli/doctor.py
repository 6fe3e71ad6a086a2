"""`rocket doctor`: what is configured (database, payment gateway, notifier, templates) and
whether each is reachable and ready."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from urllib.parse import urlsplit

import attrs
import sqlalchemy as sa
import typer

from rocket_adapters.sql import make_engine, migrate
from rocket_core.errors import RocketError
from rocket_entrypoints.cli.errors import EXIT_CHECK_FAILED, describe, one_line, reported_errors
from rocket_entrypoints.cli.output import Output
from rocket_entrypoints.container import Container
from rocket_entrypoints.settings import Settings

#: Seconds a reachability check waits for a connection.
TIMEOUT = 3.0


@attrs.frozen
class Check:
    """One line of the doctor's report: ``ok`` False is a problem (exit code 1)."""

    name: str
    ok: bool
    detail: str


def reachable(host: str, port: int, timeout: float = TIMEOUT) -> str | None:
    """None when a TCP connection to ``host:port`` opens within ``timeout`` seconds, else
    why not."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as error:
        return one_line(error.strerror or error) or type(error).__name__


def _local(host: str) -> bool:
    """True for a loopback or private address (checked without going to the internet)."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def check_database(settings: Settings) -> list[Check]:
    """The database: its URL (password hidden), whether it answers as the application role,
    and whether it is migrated to the latest revision."""
    url = settings.database_url
    shown = settings.masked_database_url
    if settings.in_memory:
        return [Check("database", True, f"{shown}: in this process only, forgotten on exit")]
    parsed = sa.make_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file not in (None, "", ":memory:") and not Path(str(file)).exists():
        return [Check("database", False, f"{shown}: no such file yet: run `rocket db upgrade`")]
    options = {} if parsed.get_backend_name() == "sqlite" else {"connect_timeout": int(TIMEOUT)}
    engine = make_engine(url, app_role=settings.database_role, connect_args=options)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as error:
        return [Check("database", False, f"{shown}: not reachable: {describe(error)}")]
    finally:
        engine.dispose()
    checks = [Check("database", True, f"{shown}: reachable")]
    current, head = migrate.current(url), migrate.head()
    if current == head:
        checks.append(Check("migrations", True, f"at the latest revision ({head})"))
    else:
        checks.append(
            Check(
                "migrations",
                False,
                f"at revision {current or 'none'}, not {head}: run `rocket db upgrade`",
            )
        )
    return checks


def check_gateway(settings: Settings) -> list[Check]:
    """The payment gateway: offline, or Stripe with its key (and its API checked only when
    it is a local test server: api.stripe.com would need the internet)."""
    if not settings.card_payments:
        return [
            Check(
                "payment gateway",
                True,
                "offline: cash, bank transfer and cheque recorded by staff; card payments "
                "refused (set ROCKET_STRIPE_SECRET_KEY for Stripe)",
            )
        ]
    key = settings.stripe_secret_key or ""
    mode = "live" if key.startswith(("sk_live_", "rk_live_")) else "test"
    checks = [Check("payment gateway", True, f"Stripe, {mode} key {key[:8]}... set")]
    if settings.stripe_webhook_secret is None:
        checks.append(
            Check(
                "stripe webhooks",
                False,
                "ROCKET_STRIPE_WEBHOOK_SECRET is not set: Stripe's webhooks will be refused",
            )
        )
    base = settings.stripe_api_base
    parts = urlsplit(base) if base else None
    if parts is None or parts.hostname is None or not _local(parts.hostname):
        where = base or "https://api.stripe.com"
        checks.append(Check("stripe api", True, f"{where}: not checked (needs the internet)"))
        return checks
    port = parts.port or (443 if parts.scheme == "https" else 80)
    why = reachable(parts.hostname, port)
    checks.append(
        Check(
            "stripe api",
            why is None,
            f"{base}: reachable" if why is None else f"{base}: not reachable: {why}",
        )
    )
    return checks


def check_notifier(settings: Settings) -> list[Check]:
    """The notifier: the console (the log), or the SMTP server, reachable or not."""
    if not settings.email:
        return [
            Check(
                "notifier",
                True,
                "console: e-mails are written to the log (set ROCKET_SMTP_HOST to send them)",
            )
        ]
    host, port = settings.smtp_host or "", settings.smtp_port
    tls = "STARTTLS required" if settings.smtp_starttls else "no STARTTLS"
    why = reachable(host, port)
    detail = f"SMTP {host}:{port} ({tls}, from {settings.mail_from})"
    if why is None:
        return [Check("notifier", True, f"{detail}: reachable")]
    return [Check("notifier", False, f"{detail}: not reachable: {why}")]


def check_templates(container: Container) -> list[Check]:
    """Every notification template renders (the built-in ones, or ROCKET_TEMPLATES_DIR's)."""
    settings: Settings = container.settings()
    where = settings.templates_dir or "built-in"
    try:
        rendered = container.notifications().check_templates()
    except RocketError as error:
        return [Check("templates", False, f"{where}: {one_line(error)}")]
    return [
        Check(
            "templates", True, f"{where}: all {len(rendered)} kinds render (subject, text and HTML)"
        )
    ]


def doctor() -> None:
    """Check the configuration: database, payment gateway, notifier, templates.

    Says which database, payment gateway and notifier Rocket is set up with and whether each
    is reachable, whether the database is migrated, and whether every notification template
    renders. Exit code 1 when anything is wrong.

    Stripe's API is checked only when ROCKET_STRIPE_API_BASE is a local server (a test
    server): api.stripe.com is "not checked". The SMTP server is checked with a TCP
    connection (3 seconds at most); nothing is sent.

    Example: rocket doctor && rocket serve
    """
    out = Output()
    with reported_errors():
        container = Container()
        settings: Settings = container.settings()
        checks = [
            *check_database(settings),
            *check_gateway(settings),
            *check_notifier(settings),
            *check_templates(container),
        ]
    ok = all(check.ok for check in checks)
    out.document({"ok": ok, "checks": [attrs.asdict(check) for check in checks]})
    out.table(
        "rocket doctor",
        ["check", "", "detail"],
        [[check.name, "ok" if check.ok else "PROBLEM", check.detail] for check in checks],
    )
    out.say("everything is ready" if ok else "problems found")
    if not ok:
        raise typer.Exit(EXIT_CHECK_FAILED)
