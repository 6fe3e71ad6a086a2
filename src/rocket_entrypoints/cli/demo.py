"""`rocket demo`: load the demo school into the database (or memory) and print what it holds;
``--size large`` writes the large school of the benchmarks instead."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.table import Table

from rocket_adapters.sql import migrate
from rocket_adapters.sql.database import make_engine
from rocket_core.errors import Conflict
from rocket_core.ports import UnitOfWorkFactory
from rocket_entrypoints.cli.errors import EXIT_CHECK_FAILED, fail, reported_errors
from rocket_entrypoints.cli.output import Output
from rocket_entrypoints.container import Container
from rocket_entrypoints.demo import (
    DEMO_PASSWORD,
    SUPER_ADMIN,
    DemoSummary,
    build_demo_school,
    demo_organisation_id,
    demo_school_loaded,
    summarise,
)
from rocket_entrypoints.demo.large import (
    SUPER_ADMIN_EMAIL,
    count_large_school,
    large_school_loaded,
    plan_large_school,
    write_large_school,
)
from rocket_entrypoints.settings import Settings


class Size(StrEnum):
    """Which demo school: the small one played through the use cases, or the large one."""

    SMALL = "small"
    LARGE = "large"


def demo(
    seed: int = typer.Option(1, min=0, help="Random seed: the same seed gives the same school."),
    today: str | None = typer.Option(
        None,
        help="Build the school as it stands on this day (YYYY-MM-DD); default today in Melbourne.",
        metavar="YYYY-MM-DD",
    ),
    memory: bool = typer.Option(
        False, "--memory", help="Build the school in memory only: no database, no file."
    ),
    size: Annotated[
        Size,
        typer.Option(
            "--size",
            case_sensitive=False,
            help="small: 2 campuses built through the use cases; large: 20 campuses, 2,000"
            " cohorts, 40,000 students in week 5 of a term, written set-based (the"
            " benchmarks' data; needs a database).",
        ),
    ] = Size.SMALL,
) -> None:
    """Load the demo school into the database and print a summary read back from it.

    The database is ROCKET_DATABASE_URL (default sqlite:///rocket.db), migrated first.
    Staff build the school through Rocket's use cases, over a simulated history.

    When the school of this seed is already there, it is shown, not built again.

    Example: rocket demo --seed 7 --today 2026-11-25

    Example: ROCKET_DATABASE_URL=postgresql+psycopg://... rocket demo --size large
    """
    day = None
    if today is not None:
        try:
            day = date.fromisoformat(today)
        except ValueError:
            raise typer.BadParameter(
                f"{today!r} is not a date like 2026-11-25", param_hint="--today"
            ) from None
    if size is Size.LARGE:
        _large(seed, day, memory)
        return
    console = Console()
    container = Container()
    if memory:
        container.settings.override(Settings(database_url="memory://"))
    with reported_errors():
        settings: Settings = container.settings()
        if settings.in_memory:
            make_uow: UnitOfWorkFactory = container.make_uow()
            school = build_demo_school(
                make_uow, seed=seed, today=day, password_hash=_demo_hash(container)
            )
            summary = summarise(make_uow, school.organisation_id)
            caption = f"in memory, as on {school.today.isoformat()}, seed {seed}"
        else:
            typer.echo(f"database: {settings.masked_database_url}")
            migrate.upgrade(settings.database_url, app_role=settings.database_role)
            make_uow = container.make_uow()
            try:
                caption = _load(make_uow, seed, day, _demo_hash(container))
                summary = summarise(make_uow, demo_organisation_id(seed))
            finally:
                container.database().dispose()
    print_summary(summary, console, caption)
    typer.echo(
        f"demo login: {SUPER_ADMIN.email} / {DEMO_PASSWORD} (super admin; every demo staff "
        "member has this password)"
    )


def _large(seed: int, day: date | None, memory: bool) -> None:
    """Plan and write the large school of ``seed`` (one transaction, with a progress bar)
    unless it is there; then print its rows per table, read back."""
    if memory:
        fail("the large demo school is written to a database: leave out --memory")
    out, container = Output(), Container()
    with reported_errors():
        settings: Settings = container.settings()
        if settings.in_memory:
            fail("the large demo school is written to a database: set ROCKET_DATABASE_URL")
        typer.echo(f"database: {settings.masked_database_url}")
        migrate.upgrade(settings.database_url, app_role=settings.database_role)
        engine = make_engine(settings.database_url, app_role=None)
        try:
            if large_school_loaded(engine, seed):
                caption = f"seed {seed}, loaded earlier"
                typer.echo(f"large demo school already loaded (seed {seed}): showing it")
            else:
                caption = _write_large(out, engine, seed, day, _demo_hash(container))
            counts = count_large_school(engine, seed)
        finally:
            engine.dispose()
    out.pairs(
        f"Rocket Academy Group, the large demo school ({caption})",
        {table: f"{rows:,}" for table, rows in counts.items()},
    )
    typer.echo(
        f"demo login: {SUPER_ADMIN_EMAIL} / {DEMO_PASSWORD} (super admin; every staff member"
        " of the large school has this password, e.g. manager.c01@, lead.c01.1@, desk.c01.1@)"
    )


def _write_large(out: Output, engine: sa.Engine, seed: int, day: date | None, hashed: str) -> str:
    with out.progress() as progress:
        task = None if progress is None else progress.add_task("planning", total=None, status="")
        school = plan_large_school(seed=seed, today=day, password_hash=hashed)

        def step(table: str, rows: int) -> None:
            if progress is not None and task is not None:
                progress.update(task, advance=rows, status=table)

        if progress is not None and task is not None:
            progress.update(task, description=f"writing {school.rows:,} rows", total=school.rows)
        try:
            write_large_school(engine, school, progress=step)
        except sa.exc.IntegrityError as error:
            if large_school_loaded(engine, seed):  # a concurrent run wrote it
                return f"seed {seed}, loaded by another run"
            fail(
                f"cannot load the large demo school (seed {seed}): {error.orig}; the database"
                " holds other data (another seed's large school?): use another"
                " ROCKET_DATABASE_URL or the same --seed",
                code=EXIT_CHECK_FAILED,
            )
    typer.echo(f"large demo school loaded (seed {seed})")
    return f"as on {school.today.isoformat()}, seed {seed}"


def _demo_hash(container: Container) -> str:
    hashed: str = container.hasher().hash(DEMO_PASSWORD)
    return hashed


def _load(make_uow: UnitOfWorkFactory, seed: int, day: date | None, password_hash: str) -> str:
    """Build the school of ``seed`` unless it is there; the caption for its summary."""
    if not demo_school_loaded(make_uow, seed):
        try:
            school = build_demo_school(make_uow, seed=seed, today=day, password_hash=password_hash)
        except Conflict as error:
            if not demo_school_loaded(make_uow, seed):  # not a concurrent run
                fail(
                    f"cannot load the demo school (seed {seed}): {error}; the database holds "
                    "other data (another seed's school, or one that an interrupted run left "
                    "half-built): use another ROCKET_DATABASE_URL, the same --seed, or --memory",
                    code=1,
                )
        else:
            typer.echo(f"demo school loaded (seed {seed})")
            return f"as on {school.today.isoformat()}, seed {seed}"
    typer.echo(f"demo school already loaded (seed {seed}): showing it")
    return f"seed {seed}, loaded earlier"


def print_summary(summary: DemoSummary, console: Console, caption: str) -> None:
    """The summary as five small tables (amounts with two decimal places)."""
    counts = Table(title=f"{summary.organisation} ({caption})", show_header=False)
    for name, value in summary.counts.items():
        counts.add_row(name, str(value))
    statuses = Table(title="Enrolments by status")
    statuses.add_column("status")
    statuses.add_column("count", justify="right")
    for status, value in summary.enrolments_by_status.items():
        statuses.add_row(status, str(value))
    seats = Table(title="Seats per cohort")
    for column in ("cohort", "status", "seats held", "waitlist", "sessions"):
        seats.add_column(column, justify="left" if column in ("cohort", "status") else "right")
    for cohort in summary.cohorts:
        seats.add_row(
            cohort.name,
            cohort.status,
            f"{cohort.seats_held}/{cohort.max_capacity}",
            str(cohort.waitlisted),
            str(cohort.sessions),
        )
    billing = Table(title="Billing", show_header=False)
    billing.add_column()
    billing.add_column(justify="right")
    for status, value in summary.billing.invoices_by_status.items():
        billing.add_row(f"invoices {status}", str(value))
    for name, amount in summary.billing.amounts().items():
        billing.add_row(name, f"{amount:,.2f}")
    notifications = Table(title="Notifications by kind")
    notifications.add_column("kind")
    notifications.add_column("count", justify="right")
    for kind, value in summary.notifications_by_kind.items():
        notifications.add_row(kind, str(value))
    for table in (counts, statuses, seats, billing, notifications):
        console.print(table)
