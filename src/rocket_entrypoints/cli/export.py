"""`rocket export`: a family's data (a privacy request) and the CSV reports."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import typer

from rocket_core.errors import NotFound
from rocket_core.services.base import actor_for
from rocket_entrypoints.cli.common import parse_day, parse_id, running
from rocket_entrypoints.cli.errors import fail, reported_errors
from rocket_entrypoints.cli.output import Output, dumps
from rocket_entrypoints.container import Container

if TYPE_CHECKING:  # the reports are imported when one is asked for
    from rocket_core.services.reports import Cell, Report, ReportingService

export_app = typer.Typer(
    name="export",
    help=(
        "Export data: all of a family's data as JSON (a privacy request), or a report as "
        "CSV.\n\n"
        "Example: rocket export family 3f1c9a52-0b4e-4f57-9b61-2f1d8c0e7a10 -o family.json"
    ),
    no_args_is_help=True,
)


class ReportName(StrEnum):
    """The reports ``rocket export report`` writes."""

    ENROLMENTS = "enrolments"
    REVENUE = "revenue"
    ATTENDANCE = "attendance"


class ReportFormat(StrEnum):
    """How a report is written."""

    CSV = "csv"
    JSON = "json"


def _write(text: str, output: Path | None) -> None:
    """``text`` on stdout, or into ``output`` (created readable by its owner only: it holds
    personal data)."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as file:
            file.write(text)
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror or error}")


def _family_organisation(container: Container, family_id: UUID) -> UUID:
    """The organisation that holds the family (looked up in every organisation)."""
    make_uow = container.make_uow()
    for organisation in container.organisation_directory().organisation_ids():
        with make_uow(organisation) as uow:
            if uow.families.find(family_id) is not None:
                found: UUID = organisation
                return found
    raise NotFound("Family", family_id)


@export_app.command("family")
def family(
    family_id: str = typer.Argument(..., help="The family's id."),
    organisation_id: str | None = typer.Option(
        None, help="The family's organisation (default: looked up in every organisation)."
    ),
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the JSON into this file (readable by its owner only) instead of stdout.",
        ),
    ] = None,
) -> None:
    """All of a family's data as JSON, for a privacy request.

    The family, its students,
    their enrolments, attendance, skill progress, projects and makeup tokens, the family's
    invoices, payments (and their allocations), refunds, credit notes, messages and
    notifications. Every field of every record; ids, dates, times and amounts as strings.
    The export is audited (family.export).

    Example: rocket export family 3f1c9a52-0b4e-4f57-9b61-2f1d8c0e7a10 -o family.json
    """
    wanted = parse_id(family_id, "FAMILY_ID")
    organisation = parse_id(organisation_id, "--organisation-id")
    assert wanted is not None
    out = Output()
    with reported_errors(), running() as container:
        if organisation is None:
            organisation = _family_organisation(container, wanted)
        export = container.export().export_family_as_operator(organisation, wanted)
    document = export.as_json()
    _write(json.dumps(document, indent=2, ensure_ascii=False) + "\n", output)
    if output is not None:
        records = sum(export.counts().values())
        out.event("done", path=str(output), family_id=wanted, records=records)
        out.say(f"family {wanted}: {records} records written to {output}")


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(report.columns)
    writer.writerows([_cell(cell) for cell in row] for row in report.rows)
    return buffer.getvalue()


def _json(report: Report) -> str:
    return (
        dumps(
            {
                "report": report.name,
                "first_day": report.first_day,
                "last_day": report.last_day,
                "columns": list(report.columns),
                "rows": [dict(zip(report.columns, row, strict=True)) for row in report.rows],
            }
        )
        + "\n"
    )


def _reports(container: Container) -> ReportingService:
    from rocket_core.services.reports import ReportingService

    return ReportingService(container.make_uow(), container.clock(), container.bus())


@export_app.command("report")
def report(
    name: Annotated[ReportName, typer.Argument(help="Which report.", metavar="REPORT")],
    by: str = typer.Option(
        ...,
        help="The login e-mail of the staff member asking: the report covers what they may "
        "see (a campus manager their campuses, a lead instructor their cohorts).",
    ),
    format: Annotated[
        ReportFormat,
        typer.Option("--format", help="csv (a header row, then one row a record) or json."),
    ] = ReportFormat.CSV,
    campus_id: str | None = typer.Option(None, help="Only this campus."),
    date_from: str | None = typer.Option(
        None, "--from", metavar="YYYY-MM-DD", help="First day (with --to; default this term)."
    ),
    date_to: str | None = typer.Option(
        None, "--to", metavar="YYYY-MM-DD", help="Last day (with --from; default this term)."
    ),
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write into this file instead of stdout."),
    ] = None,
) -> None:
    """A report as CSV: enrolments, revenue or attendance.

    Enrolments (every enrolment in the cohorts running in the period),
    revenue (payments received and refunds given; financial: super admins, and campus
    managers for their campus) or attendance (every mark at the sessions of the period).
    Dates and times in the campus's time zone; amounts with two decimals.

    Example: rocket export report enrolments --by alex@school.example --from 2027-01-25
    --to 2027-04-02 > enrolments.csv
    """
    campus = parse_id(campus_id, "--campus-id")
    first = parse_day(date_from, "--from")
    last = parse_day(date_to, "--to")
    out = Output()
    with reported_errors(), running() as container:
        found = container.login_directory().find(by)
        if found is None:
            fail(f"no staff member with the e-mail {by}")
        actor = actor_for(container.make_uow(), found[0], found[1])
        service = _reports(container)
        make = {
            ReportName.ENROLMENTS: service.enrolment_report,
            ReportName.REVENUE: service.revenue_report,
            ReportName.ATTENDANCE: service.attendance_report,
        }[name]
        result = make(actor, campus_id=campus, date_from=first, date_to=last)
    as_json = out.json or format is ReportFormat.JSON
    _write(_json(result) if as_json else _csv(result), output)
