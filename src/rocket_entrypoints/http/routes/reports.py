"""The dashboard (JSON) and the CSV reports of enrolments, revenue and attendance.

Every route takes ``campus_id`` (a campus manager or front desk must give one of theirs),
``date_from`` and ``date_to`` (together; without them each figure covers its own period
around today, the reports this term): ``rocket_core.services.reports`` has the rules and the
permissions. Money is a string with two decimals in JSON and a plain decimal in CSV.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import attrs
from litestar import Response, get
from litestar.di import Provide
from litestar.params import Parameter

from rocket_core.permissions import Actor
from rocket_core.services import reports as r
from rocket_core.services.reports import Report, ReportingService

STAFF = {"access": "staff"}
TAGS = ["reports"]
CSV = "text/csv"

CampusId = Annotated[
    UUID | None, Parameter(description="one campus (campus managers and front desk: required)")
]
DateFrom = Annotated[
    date | None, Parameter(description="first day (inclusive; with date_to), in campus time")
]
DateTo = Annotated[
    date | None, Parameter(description="last day (inclusive; with date_from), in campus time")
]


def _service(container: Any) -> ReportingService:
    """The reporting use cases over the container's persistence, clock and bus."""
    return ReportingService(container.make_uow(), container.clock(), container.bus())


#: ``reports``: the ReportingService (the container has no provider of its own for it).
DEPENDENCIES = {"reports": Provide(_service, sync_to_thread=False)}


# -- the dashboard ------------------------------------------------------------------------------


@attrs.frozen
class DashboardWindowOut:
    """The days a figure covers (inclusive) and the previous period of the same length."""

    first_day: date
    last_day: date
    previous_first_day: date
    previous_last_day: date


@attrs.frozen
class DashboardCountOut:
    """A count, and the previous period's."""

    value: int
    previous: int
    window: DashboardWindowOut


@attrs.frozen
class DashboardRatioOut:
    """``part`` over ``whole`` as ``rate`` (4 places; null when ``whole`` is 0), and the
    previous period's."""

    part: int
    whole: int
    rate: Decimal | None
    previous_part: int
    previous_whole: int
    previous_rate: Decimal | None
    window: DashboardWindowOut


@attrs.frozen
class DashboardRevenueOut:
    """Payments received, refunds given (failed ones left out) and the net, and the previous
    period's."""

    received: Decimal
    refunded: Decimal
    net: Decimal
    previous_received: Decimal
    previous_refunded: Decimal
    previous_net: Decimal
    window: DashboardWindowOut


@attrs.frozen
class DashboardOutstandingOut:
    """Sent, part-paid and overdue invoices issued by the period's last day, as they stand
    now (count and amount outstanding), and the previous period's."""

    count: int
    amount: Decimal
    previous_count: int
    previous_amount: Decimal
    window: DashboardWindowOut


@attrs.frozen
class DashboardCohortFillOut:
    """A cohort's seats held during the period over its capacity."""

    cohort_id: UUID
    cohort_name: str
    campus_id: UUID
    seats_held: int
    max_capacity: int
    fill: Decimal


@attrs.frozen
class DashboardCapacityFillOut:
    """Seats held over capacity of the cohorts running in the period (and the previous one),
    with each cohort of the period."""

    seats_held: int
    capacity: int
    fill: Decimal | None
    previous_seats_held: int
    previous_capacity: int
    previous_fill: Decimal | None
    window: DashboardWindowOut
    cohorts: list[DashboardCohortFillOut]


@attrs.frozen
class DashboardOut:
    """The dashboard of a campus (``campus_id`` null: the organisation) on ``today`` in
    ``timezone``. ``revenue`` and ``outstanding_invoices`` are null for staff who may not see
    financial reports."""

    campus_id: UUID | None
    timezone: str
    today: date
    active_enrolments: DashboardCountOut
    new_enrolments: DashboardCountOut
    attendance_rate: DashboardRatioOut
    trial_conversion: DashboardRatioOut
    capacity_fill: DashboardCapacityFillOut
    revenue: DashboardRevenueOut | None
    outstanding_invoices: DashboardOutstandingOut | None


def _out(value: Any, cls: type[Any]) -> Any:
    """``value`` (an attrs result of the service) as ``cls``, field by field."""
    fields = {f.name: getattr(value, f.name) for f in attrs.fields(cls)}
    if "window" in fields:
        fields["window"] = _out(fields["window"], DashboardWindowOut)
    if "cohorts" in fields:
        fields["cohorts"] = [_out(cohort, DashboardCohortFillOut) for cohort in fields["cohorts"]]
    return cls(**fields)


def _dashboard(board: r.Dashboard) -> DashboardOut:
    return DashboardOut(
        campus_id=board.campus_id,
        timezone=board.timezone,
        today=board.today,
        active_enrolments=_out(board.active_enrolments, DashboardCountOut),
        new_enrolments=_out(board.new_enrolments, DashboardCountOut),
        attendance_rate=_out(board.attendance_rate, DashboardRatioOut),
        trial_conversion=_out(board.trial_conversion, DashboardRatioOut),
        capacity_fill=_out(board.capacity_fill, DashboardCapacityFillOut),
        revenue=None if board.revenue is None else _out(board.revenue, DashboardRevenueOut),
        outstanding_invoices=(
            None
            if board.outstanding_invoices is None
            else _out(board.outstanding_invoices, DashboardOutstandingOut)
        ),
    )


@get("/dashboard", opt=STAFF, sync_to_thread=True, tags=TAGS, dependencies=DEPENDENCIES)
def dashboard(
    actor: Actor,
    reports: ReportingService,
    campus_id: CampusId = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> DashboardOut:
    """The dashboard's figures, each with the previous period of the same length: active
    enrolments, revenue this term, outstanding invoices, attendance rate this week, new
    enrolments this month, trial conversion and capacity fill per cohort."""
    return _dashboard(
        reports.dashboard(actor, campus_id=campus_id, date_from=date_from, date_to=date_to)
    )


# -- the CSV reports ------------------------------------------------------------------------------

#: The first characters that make a spreadsheet read a text cell as a formula.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: r.Cell) -> str:
    """A CSV cell: money as a plain decimal, days and instants in ISO 8601, flags as
    true/false, nothing as empty; text that a spreadsheet would run as a formula is quoted
    with a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA) else value
    return str(value)


def _csv(report: Report) -> Response[str]:
    """The report as CSV (a header row, then one row per item), to download."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(report.columns)
    writer.writerows([_cell(value) for value in row] for row in report.rows)
    name = f"{report.name}-{report.first_day.isoformat()}-{report.last_day.isoformat()}.csv"
    return Response(
        buffer.getvalue(),
        media_type=CSV,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@get(
    "/reports/enrolments.csv",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    media_type=CSV,
    dependencies=DEPENDENCIES,
)
def enrolments_csv(
    actor: Actor,
    reports: ReportingService,
    campus_id: CampusId = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> Response[str]:
    """Every enrolment (any status) in the cohorts running during the period: one row each."""
    return _csv(
        reports.enrolment_report(actor, campus_id=campus_id, date_from=date_from, date_to=date_to)
    )


@get(
    "/reports/revenue.csv",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    media_type=CSV,
    dependencies=DEPENDENCIES,
)
def revenue_csv(
    actor: Actor,
    reports: ReportingService,
    campus_id: CampusId = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> Response[str]:
    """Every payment received and refund given in the period (refunds negative, so the
    ``amount`` column adds up to the revenue): one row each."""
    return _csv(
        reports.revenue_report(actor, campus_id=campus_id, date_from=date_from, date_to=date_to)
    )


@get(
    "/reports/attendance.csv",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    media_type=CSV,
    dependencies=DEPENDENCIES,
)
def attendance_csv(
    actor: Actor,
    reports: ReportingService,
    campus_id: CampusId = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> Response[str]:
    """Every attendance mark at the sessions dated in the period: one row each."""
    return _csv(
        reports.attendance_report(actor, campus_id=campus_id, date_from=date_from, date_to=date_to)
    )


ROUTES = [dashboard, enrolments_csv, revenue_csv, attendance_csv]
