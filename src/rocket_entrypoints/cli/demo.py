"""`rocket demo`: build the demo school and print what it holds."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console
from rich.table import Table

from rocket_adapters.memory import MemoryStore
from rocket_entrypoints.demo import DemoSummary, build_demo_school, summarise


def demo(
    seed: int = typer.Option(1, min=0, help="Random seed: the same seed gives the same school."),
    today: str | None = typer.Option(
        None,
        help="Build the school as it stands on this day (YYYY-MM-DD); default today in Melbourne.",
        metavar="YYYY-MM-DD",
    ),
) -> None:
    """Build the demo school in memory and print a summary.

    Example: rocket demo --seed 7 --today 2026-11-25
    """
    day = None
    if today is not None:
        try:
            day = date.fromisoformat(today)
        except ValueError:
            raise typer.BadParameter(
                f"{today!r} is not a date like 2026-11-25", param_hint="--today"
            ) from None
    store = MemoryStore()
    school = build_demo_school(store.unit_of_work, seed=seed, today=day)
    summary = summarise(store.unit_of_work, school.organisation_id)
    print_summary(summary, Console(), f"as on {school.today.isoformat()}, seed {seed}")


def print_summary(summary: DemoSummary, console: Console, caption: str) -> None:
    """The summary as three small tables."""
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
    for table in (counts, statuses, seats):
        console.print(table)
