"""What the batch-job commands share: parsing options, the container, the organisations a job
runs in, and the batch size."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from types import FrameType
from uuid import UUID

import typer

from rocket_core.services.invoicing import DEFAULT_TIMEZONE
from rocket_entrypoints.container import Container, application

#: The environment variable that gives the long jobs a smaller (or larger) batch.
BATCH_SIZE_VARIABLE = "ROCKET_BATCH_SIZE"


def parse_day(text: str | None, option: str) -> date | None:
    """``text`` (YYYY-MM-DD) as a date; a usage error naming ``option`` otherwise."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date like 2026-11-25", param_hint=option
        ) from None


def parse_id(text: str | None, option: str) -> UUID | None:
    """``text`` as a UUID; a usage error naming ``option`` otherwise."""
    if text is None:
        return None
    try:
        return UUID(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a UUID", param_hint=option) from None


def batch_size_option(what: str, default: int) -> int | None:
    """A ``--batch-size`` option (also ``ROCKET_BATCH_SIZE``) for a long job."""
    value: int | None = typer.Option(
        None,
        "--batch-size",
        envvar=BATCH_SIZE_VARIABLE,
        min=1,
        help=f"{what} per transaction (default {default:,}; also {BATCH_SIZE_VARIABLE}).",
        show_default=False,
    )
    return value


@contextmanager
def running() -> Iterator[Container]:
    """The application's container (event handlers subscribed) for one command; its
    database connections are closed at the end."""
    container = application()
    try:
        yield container
    finally:
        if not container.settings().in_memory:
            container.database().dispose()


def organisations(container: Container, only: UUID | None) -> list[UUID]:
    """The organisations a job runs in: ``only`` (NotFound unless it exists), else every one."""
    if only is None:
        found: list[UUID] = container.organisation_directory().organisation_ids()
        return found
    with container.make_uow()(only) as uow:
        uow.organisations.current()
    return [only]


def local_day(container: Container, organisation_id: UUID) -> date:
    """Today for an organisation: the earliest local date among its campuses' time zones (a
    day has begun for the organisation once it has begun at every campus), else today in
    Melbourne for an organisation without campuses."""
    with container.make_uow()(organisation_id) as uow:
        zones = {campus.timezone for campus in uow.campuses.list()} or {DEFAULT_TIMEZONE}
    clock = container.clock()
    return min(clock.today(zone) for zone in sorted(zones))


def _terminate(_signal: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt("SIGTERM")


@contextmanager
def stoppable() -> Iterator[None]:
    """SIGTERM (systemd stopping the service, ``kill``) stops the block as Ctrl-C does, so
    that a long job reports how far it got and exits cleanly. The previous handler is put
    back at the end (only the main thread can set one; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
