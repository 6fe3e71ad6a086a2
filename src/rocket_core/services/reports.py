"""Reporting: the dashboard's figures and the CSV reports (enrolments, revenue, attendance).

Every figure is given for a period and for the previous period of the same length (the
days just before it), so that it can be compared. Figures are read set-based through
``uow.reports`` (``ReportingRepository``): a handful of aggregate queries per dashboard,
whatever the size of the school.

Periods (the report's days are those of its time zone: the campus's when a campus is asked
for, else the organisation's first campus by name, else Australia/Melbourne):

- With ``date_from`` and ``date_to`` (both, inclusive; at most ``MAX_DAYS`` days, between
  ``EARLIEST`` and ``LATEST``) every figure and report covers those days.
- Without them each figure has its own period around today: **this term** (the calendar
  quarter: Australian school terms fall in them) for active enrolments, revenue,
  outstanding invoices, trial conversion and capacity fill; **this week** (Monday to Sunday)
  for the attendance rate; **this month** for new enrolments. The CSV reports cover this
  term. Each figure carries its own days and the previous period's.

Figures (the rules of ``ReportingRepository`` in detail):

- **Active enrolments**: the enrolments that held a seat during the period: seat-holders
  (pending payment, enrolled, active) in cohorts running during it, and those that completed,
  were dropped or transferred after they had started and were still there on its first day
  (a period in the past has no seat-holders left: its enrolments have completed since).
- **Revenue**: payments received during the period minus refunds given during it (pending
  card refunds count; failed ones do not). At a campus: the payments on invoices of the
  campus's enrolments (credit and invoices without an enrolment count only for the whole
  organisation).
- **Outstanding invoices**: the sent, part-paid and overdue invoices issued by the period's
  last day, as they stand now (count and amount). For the current period that is everything
  owed now; the previous period's figure is what of it was issued by then (the history of
  each invoice's balance is not kept, so what was owed on that day is not known).
- **Attendance rate**: present, late and makeup marks over the students expected at the
  sessions held in the period (not cancelled, before today or already marked): everyone
  marked there and everyone on the roll, unmarked ones counting as absent, computed
  set-based (the roll's rule, except that a student with no start date is on the roll from
  the UTC day they enquired, not the campus's day).
- **New enrolments**: enrolments made during the period (their enrolment date) that reached
  pending payment or beyond (a dropped one only if it was invoiced).
- **Trial conversion**: of the trials whose session is dated in the period, those that went
  on to pending payment or beyond.
- **Capacity fill**: per cohort running during the period (drafts left out), its enrolments
  that held a seat during it over its ``max_capacity`` (it can exceed 1 when a seat changed
  hands); overall, their sum over the sum of capacities.

Rates are Decimals rounded half up to 4 places (None when there is nothing to divide by);
money is Decimal.

Permissions (product-rules.md has "financial reports" only; the rest is decided here):

- Revenue, outstanding invoices and the revenue report are financial:
  ``Action.FINANCIAL_REPORTS``: super admin (any campus, or all), campus manager only for a
  ``campus_id`` they are assigned to. The dashboard leaves them out (None) for staff without
  that grant instead of refusing the whole dashboard.
- Every other figure, and the enrolment and attendance reports, are counts over the rolls and
  enrolments staff already see cohort by cohort: ``Action.VIEW_ROSTER`` with its scope. Super
  admin: all. Campus manager and front desk: a ``campus_id`` they are assigned to (required).
  Lead instructors and teaching assistants: the cohorts they teach (optionally only those at
  ``campus_id``); refused when they teach none there.
- A ``campus_id`` that is not a campus of the organisation is NotFound, before anything else.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from rocket_core.errors import Forbidden, ValidationError
from rocket_core.permissions import Action, Actor, Scope, authorise
from rocket_core.ports import ReportingRepository, UnitOfWork
from rocket_core.services.base import Service
from rocket_core.services.invoicing import DEFAULT_TIMEZONE

#: The longest period a report covers (ten years).
MAX_DAYS = 3653
#: The earliest and the latest day a report may ask for.
EARLIEST = date(1900, 1, 1)
LATEST = date(9998, 12, 31)

_PLACES = Decimal("0.0001")

ReportScope = ReportingRepository.Scope
Period = ReportingRepository.Period
#: A CSV cell: text, a number, money, a day, an instant, an id, a flag or nothing.
Cell = str | int | Decimal | date | datetime | UUID | bool | None


@attrs.frozen(kw_only=True)
class Window:
    """The days a figure covers, and the previous period of the same length."""

    first_day: date
    last_day: date
    previous_first_day: date
    previous_last_day: date


@attrs.frozen(kw_only=True)
class Count:
    """A count in the period and in the previous one."""

    value: int
    previous: int
    window: Window


@attrs.frozen(kw_only=True)
class Ratio:
    """``part`` over ``whole`` (``rate`` None when ``whole`` is 0), and the previous period's."""

    part: int
    whole: int
    rate: Decimal | None
    previous_part: int
    previous_whole: int
    previous_rate: Decimal | None
    window: Window


@attrs.frozen(kw_only=True)
class Revenue:
    """Money received, refunded and the difference (``net``), and the previous period's."""

    received: Decimal
    refunded: Decimal
    net: Decimal
    previous_received: Decimal
    previous_refunded: Decimal
    previous_net: Decimal
    window: Window


@attrs.frozen(kw_only=True)
class Outstanding:
    """Open invoices issued by the period's last day (count, amount outstanding now), and
    the previous period's."""

    count: int
    amount: Decimal
    previous_count: int
    previous_amount: Decimal
    window: Window


@attrs.frozen(kw_only=True)
class CohortFill:
    """One cohort's seats held during the period over its capacity."""

    cohort_id: UUID
    cohort_name: str
    campus_id: UUID
    seats_held: int
    max_capacity: int
    fill: Decimal


@attrs.frozen(kw_only=True)
class CapacityFill:
    """Seats held over capacity for all the cohorts running in the period (and in the
    previous one), with each cohort of the period (by start date, name, id)."""

    seats_held: int
    capacity: int
    fill: Decimal | None
    previous_seats_held: int
    previous_capacity: int
    previous_fill: Decimal | None
    window: Window
    cohorts: tuple[CohortFill, ...]


@attrs.frozen(kw_only=True)
class Dashboard:
    """The dashboard's figures for a campus (None: the organisation) on ``today``. The
    financial figures are None for staff who may not see financial reports."""

    campus_id: UUID | None
    timezone: str
    today: date
    active_enrolments: Count
    new_enrolments: Count
    attendance_rate: Ratio
    trial_conversion: Ratio
    capacity_fill: CapacityFill
    revenue: Revenue | None
    outstanding_invoices: Outstanding | None


@attrs.frozen(kw_only=True)
class Report:
    """A CSV report: its name, column names and rows (cells in column order), with the
    days it covers."""

    name: str
    first_day: date
    last_day: date
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


class ReportingService(Service):
    """The dashboard and the CSV reports (see the module docstring)."""

    def dashboard(
        self,
        actor: Actor,
        *,
        campus_id: UUID | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> Dashboard:
        """Every figure of the dashboard with its previous period (``VIEW_ROSTER`` scope;
        revenue and outstanding invoices only with ``FINANCIAL_REPORTS``)."""
        asked = requested_days(date_from, date_to)
        with self.transaction(actor) as uow:
            tz = _timezone(uow, campus_id)
            scope = _roster_scope(uow, actor, campus_id)
            today = self.clock.today(tz)
            repo = uow.reports

            def window(default: Callable[[date], tuple[date, date]]) -> tuple[Period, Period]:
                first, last = asked or default(today)
                return periods(first, last, tz)

            term = window(this_term)
            seats = [repo.cohort_seats(scope, p) for p in term]
            attendance = window(this_week)
            attended = [repo.attendance(scope, p, today) for p in attendance]
            month = window(this_month)
            trials = [repo.trial_conversion(scope, p) for p in term]
            revenue = outstanding = None
            if _sees_money(actor, campus_id):
                money = [repo.revenue(campus_id, p) for p in term]
                revenue = Revenue(
                    received=money[0][0],
                    refunded=money[0][1],
                    net=money[0][0] - money[0][1],
                    previous_received=money[1][0],
                    previous_refunded=money[1][1],
                    previous_net=money[1][0] - money[1][1],
                    window=_window(term),
                )
                owed = [repo.outstanding(campus_id, p.last_day) for p in term]
                outstanding = Outstanding(
                    count=owed[0][0],
                    amount=owed[0][1],
                    previous_count=owed[1][0],
                    previous_amount=owed[1][1],
                    window=_window(term),
                )
            return Dashboard(
                campus_id=campus_id,
                timezone=tz,
                today=today,
                active_enrolments=Count(
                    value=_held(seats[0]), previous=_held(seats[1]), window=_window(term)
                ),
                new_enrolments=Count(
                    value=repo.new_enrolments(scope, month[0]),
                    previous=repo.new_enrolments(scope, month[1]),
                    window=_window(month),
                ),
                attendance_rate=_ratio(attended, _window(attendance)),
                trial_conversion=_ratio(trials, _window(term)),
                capacity_fill=_capacity(seats, _window(term)),
                revenue=revenue,
                outstanding_invoices=outstanding,
            )

    def enrolment_report(
        self,
        actor: Actor,
        *,
        campus_id: UUID | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> Report:
        """Every enrolment (any status) in the cohorts running during the period, by campus,
        cohort and student (``VIEW_ROSTER`` scope)."""
        asked = requested_days(date_from, date_to)
        with self.transaction(actor) as uow:
            tz = _timezone(uow, campus_id)
            scope = _roster_scope(uow, actor, campus_id)
            period = periods(*(asked or this_term(self.clock.today(tz))), tz)[0]
            found = uow.reports.enrolment_rows(scope, period)
            campuses = _campus_names(uow, {row.campus_id for row in found})
            zone = ZoneInfo(tz)
            found.sort(
                key=lambda r: (
                    campuses.get(r.campus_id, ""),
                    r.cohort_start,
                    r.cohort_name,
                    str(r.cohort_id),
                    r.student_last_name.casefold(),
                    r.student_first_name.casefold(),
                    r.enrolment_date,
                    str(r.enrolment_id),
                )
            )
            rows = tuple(
                (
                    r.enrolment_id,
                    r.status.value,
                    r.enrolment_date.astimezone(zone),
                    r.is_trial,
                    r.is_waitlist,
                    r.start_date,
                    r.end_date,
                    r.withdrawal_date,
                    r.student_id,
                    _student(r.student_preferred_name, r.student_first_name, r.student_last_name),
                    r.family_id,
                    r.cohort_id,
                    r.cohort_name,
                    r.program_name,
                    r.campus_id,
                    campuses.get(r.campus_id, ""),
                )
                for r in found
            )
        return Report(
            name="enrolments",
            first_day=period.first_day,
            last_day=period.last_day,
            columns=ENROLMENT_COLUMNS,
            rows=rows,
        )

    def revenue_report(
        self,
        actor: Actor,
        *,
        campus_id: UUID | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> Report:
        """Every payment received and refund given (failed ones left out) in the period, in
        time order; refunds as negative amounts, so the column adds up to the revenue
        (``FINANCIAL_REPORTS``)."""
        asked = requested_days(date_from, date_to)
        with self.transaction(actor) as uow:
            tz = _timezone(uow, campus_id)
            _authorise_money(actor, campus_id)
            period = periods(*(asked or this_term(self.clock.today(tz))), tz)[0]
            found = uow.reports.money_rows(campus_id, period)
            zone = ZoneInfo(tz)
            found.sort(key=lambda r: (r.at, r.refund_status is not None, str(r.id)))
            rows = tuple(
                (
                    "payment" if r.refund_status is None else "refund",
                    r.id,
                    r.at.astimezone(zone),
                    r.amount if r.refund_status is None else -r.amount,
                    "received" if r.refund_status is None else r.refund_status.value,
                    r.payment_method.value,
                    r.payment_id,
                    r.reference_number,
                    r.family_id,
                    r.family_name,
                    r.invoice_number,
                    r.campus_id,
                )
                for r in found
            )
        return Report(
            name="revenue",
            first_day=period.first_day,
            last_day=period.last_day,
            columns=REVENUE_COLUMNS,
            rows=rows,
        )

    def attendance_report(
        self,
        actor: Actor,
        *,
        campus_id: UUID | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> Report:
        """Every attendance mark at the sessions dated in the period, by day, cohort, session
        and student (``VIEW_ROSTER`` scope)."""
        asked = requested_days(date_from, date_to)
        with self.transaction(actor) as uow:
            tz = _timezone(uow, campus_id)
            scope = _roster_scope(uow, actor, campus_id)
            period = periods(*(asked or this_term(self.clock.today(tz))), tz)[0]
            found = uow.reports.mark_rows(scope, period)
            campuses = _campus_names(uow, {row.campus_id for row in found})
            zone = ZoneInfo(tz)
            found.sort(
                key=lambda r: (
                    r.session_date,
                    r.cohort_name,
                    str(r.cohort_id),
                    r.session_number,
                    r.student_last_name.casefold(),
                    r.student_first_name.casefold(),
                    str(r.attendance_id),
                )
            )
            rows = tuple(
                (
                    r.session_date,
                    r.session_id,
                    r.session_number,
                    r.cohort_id,
                    r.cohort_name,
                    r.campus_id,
                    campuses.get(r.campus_id, ""),
                    r.student_id,
                    _student(r.student_preferred_name, r.student_first_name, r.student_last_name),
                    r.status.value,
                    r.recorded_at.astimezone(zone),
                    r.recorded_by_staff_id,
                    r.attendance_id,
                )
                for r in found
            )
        return Report(
            name="attendance",
            first_day=period.first_day,
            last_day=period.last_day,
            columns=ATTENDANCE_COLUMNS,
            rows=rows,
        )


#: The columns of each CSV report.
ENROLMENT_COLUMNS = (
    "enrolment_id",
    "status",
    "enrolment_date",
    "is_trial",
    "is_waitlist",
    "start_date",
    "end_date",
    "withdrawal_date",
    "student_id",
    "student_name",
    "family_id",
    "cohort_id",
    "cohort_name",
    "program_name",
    "campus_id",
    "campus_name",
)
REVENUE_COLUMNS = (
    "kind",
    "id",
    "at",
    "amount",
    "status",
    "payment_method",
    "payment_id",
    "reference_number",
    "family_id",
    "family_name",
    "invoice_number",
    "campus_id",
)
ATTENDANCE_COLUMNS = (
    "session_date",
    "session_id",
    "session_number",
    "cohort_id",
    "cohort_name",
    "campus_id",
    "campus_name",
    "student_id",
    "student_name",
    "status",
    "recorded_at",
    "recorded_by_staff_id",
    "attendance_id",
)


# -- periods ----------------------------------------------------------------------------------


def requested_days(date_from: date | None, date_to: date | None) -> tuple[date, date] | None:
    """The days asked for (None: each figure's own period); ValidationError naming the
    parameter when only one is given, they are the wrong way round, out of range or span
    more than ``MAX_DAYS``."""
    if date_from is None and date_to is None:
        return None
    for field, value in (("date_from", date_from), ("date_to", date_to)):
        if value is None:
            other = "date_to" if field == "date_from" else "date_from"
            raise ValidationError(field, f"is required with {other}")
        if not isinstance(value, date) or isinstance(value, datetime):
            raise ValidationError(field, "must be a date")
        if not EARLIEST <= value <= LATEST:
            raise ValidationError(
                field, f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}"
            )
    assert date_from is not None
    assert date_to is not None
    if date_to < date_from:
        raise ValidationError("date_to", "must not be before date_from")
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise ValidationError("date_to", f"a report covers at most {MAX_DAYS} days")
    return date_from, date_to


def this_week(today: date) -> tuple[date, date]:
    """Monday to Sunday of ``today``'s week."""
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=6)


def this_month(today: date) -> tuple[date, date]:
    """The first to the last day of ``today``'s month."""
    last = calendar.monthrange(today.year, today.month)[1]
    return today.replace(day=1), today.replace(day=last)


def this_term(today: date) -> tuple[date, date]:
    """The calendar quarter of ``today`` (a school term falls in one)."""
    first_month = 3 * ((today.month - 1) // 3) + 1
    last_month = first_month + 2
    last = calendar.monthrange(today.year, last_month)[1]
    return date(today.year, first_month, 1), date(today.year, last_month, last)


def periods(first_day: date, last_day: date, timezone: str) -> tuple[Period, Period]:
    """The period ``first_day``..``last_day`` in ``timezone`` and the one of the same length
    just before it."""
    length = timedelta(days=(last_day - first_day).days + 1)
    return (
        _period(first_day, last_day, timezone),
        _period(first_day - length, first_day - timedelta(days=1), timezone),
    )


def _period(first_day: date, last_day: date, timezone: str) -> Period:
    zone = ZoneInfo(timezone)
    return Period(
        first_day=first_day,
        last_day=last_day,
        starts_at=datetime.combine(first_day, time(0), tzinfo=zone),
        ends_at=datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone),
    )


def _window(pair: Sequence[Period]) -> Window:
    return Window(
        first_day=pair[0].first_day,
        last_day=pair[0].last_day,
        previous_first_day=pair[1].first_day,
        previous_last_day=pair[1].last_day,
    )


# -- figures ----------------------------------------------------------------------------------


def rate(part: int, whole: int) -> Decimal | None:
    """``part / whole`` rounded half up to 4 places; None when ``whole`` is 0."""
    if whole == 0:
        return None
    return _fraction(part, whole)


def _fraction(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(_PLACES, rounding=ROUND_HALF_UP)


def _ratio(pairs: Sequence[tuple[int, int]], window: Window) -> Ratio:
    (part, whole), (previous_part, previous_whole) = pairs
    return Ratio(
        part=part,
        whole=whole,
        rate=rate(part, whole),
        previous_part=previous_part,
        previous_whole=previous_whole,
        previous_rate=rate(previous_part, previous_whole),
        window=window,
    )


def _held(seats: Sequence[ReportingRepository.CohortSeats]) -> int:
    return sum(row.seats_held for row in seats)


def _capacity(
    seats: Sequence[Sequence[ReportingRepository.CohortSeats]], window: Window
) -> CapacityFill:
    current, previous = seats
    capacity = sum(row.max_capacity for row in current)
    previous_capacity = sum(row.max_capacity for row in previous)
    cohorts = sorted(current, key=lambda r: (r.start_date, r.cohort_name, str(r.cohort_id)))
    return CapacityFill(
        seats_held=_held(current),
        capacity=capacity,
        fill=rate(_held(current), capacity),
        previous_seats_held=_held(previous),
        previous_capacity=previous_capacity,
        previous_fill=rate(_held(previous), previous_capacity),
        window=window,
        cohorts=tuple(
            CohortFill(
                cohort_id=row.cohort_id,
                cohort_name=row.cohort_name,
                campus_id=row.campus_id,
                seats_held=row.seats_held,
                max_capacity=row.max_capacity,
                fill=_fraction(row.seats_held, max(row.max_capacity, 1)),
            )
            for row in cohorts
        ),
    )


# -- scope and permissions ----------------------------------------------------------------------


def _timezone(uow: UnitOfWork, campus_id: UUID | None) -> str:
    """The report's time zone: the campus's (NotFound for an unknown campus), else the
    organisation's first campus's by name, else the default."""
    if campus_id is not None:
        return uow.campuses.get(campus_id).timezone
    campuses = uow.campuses.list()
    return campuses[0].timezone if campuses else DEFAULT_TIMEZONE


def _roster_scope(uow: UnitOfWork, actor: Actor, campus_id: UUID | None) -> ReportScope:
    """What ``actor`` may count under ``VIEW_ROSTER`` at ``campus_id`` (None: everywhere)."""
    grant = actor.grant(Action.VIEW_ROSTER)
    role = actor.role.value
    if grant.scope is Scope.OWN:
        cohorts = uow.cohorts.find_many(actor.cohort_ids) if actor.cohort_ids else []
        mine = frozenset(c.id for c in cohorts if campus_id in (None, c.campus_id))
        if not mine:
            where = "" if campus_id is None else " at this campus"
            raise Forbidden(f"{role} sees reports only of the cohorts they teach: none{where}")
        authorise(actor, Action.VIEW_ROSTER, campus_id=campus_id, cohort_id=min(mine))
        return ReportScope(campus_id=campus_id, cohort_ids=mine)
    if grant.scope is Scope.CAMPUS and campus_id is None:
        raise Forbidden(
            f"{role} sees reports of one campus at a time: give the campus_id of a campus"
            " they are assigned to"
        )
    authorise(actor, Action.VIEW_ROSTER, campus_id=campus_id)
    return ReportScope(campus_id=campus_id)


def _sees_money(actor: Actor, campus_id: UUID | None) -> bool:
    """Whether ``actor`` may see the financial figures at ``campus_id`` (None: everywhere)."""
    grant = actor.grant(Action.FINANCIAL_REPORTS)
    if grant.scope is Scope.ALL:
        return True
    return grant.scope is Scope.CAMPUS and campus_id is not None and campus_id in actor.campus_ids


def _authorise_money(actor: Actor, campus_id: UUID | None) -> None:
    """Forbidden unless ``actor`` may see financial reports at ``campus_id``."""
    grant = actor.grant(Action.FINANCIAL_REPORTS)
    if grant.scope is Scope.CAMPUS and campus_id is None:
        raise Forbidden(
            f"{actor.role.value} sees financial reports of one campus at a time: give the"
            " campus_id of a campus they are assigned to"
        )
    authorise(actor, Action.FINANCIAL_REPORTS, campus_id=campus_id)


def _campus_names(uow: UnitOfWork, campus_ids: set[UUID]) -> dict[UUID, str]:
    return {c.id: c.name for c in uow.campuses.find_many(campus_ids)} if campus_ids else {}


def _student(preferred: str | None, first: str, last: str) -> str:
    return f"{preferred or first} {last}"


__all__ = [
    "ATTENDANCE_COLUMNS",
    "ENROLMENT_COLUMNS",
    "REVENUE_COLUMNS",
    "CapacityFill",
    "Cell",
    "CohortFill",
    "Count",
    "Dashboard",
    "Outstanding",
    "Ratio",
    "Report",
    "ReportingService",
    "Revenue",
    "Window",
    "periods",
    "rate",
    "requested_days",
    "this_month",
    "this_term",
    "this_week",
]
