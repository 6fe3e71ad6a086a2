"""Reporting: the dashboard's figures with their previous periods, the CSV reports' rows, the
periods, and who may see what (VIEW_ROSTER scope; money only with FINANCIAL_REPORTS)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import attrs
import pytest
from tests.unit.services.conftest import World
from tests.unit.services.helpers import ROLES, add_cohort, sessions_of, snapshot, walk

from rocket_core import model as m
from rocket_core.errors import Forbidden, NotFound, ValidationError
from rocket_core.model import AttendanceStatus as A
from rocket_core.model import EnrolmentStatus as S
from rocket_core.services.reports import (
    ENROLMENT_COLUMNS,
    REVENUE_COLUMNS,
    Dashboard,
    ReportingService,
    Window,
    periods,
    rate,
    requested_days,
    this_month,
    this_term,
    this_week,
)

#: "Now" in the scenario: Tuesday 10 February 2026, 20:00 in Melbourne.
NOW = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
TERM = Window(
    first_day=date(2026, 1, 1),
    last_day=date(2026, 3, 31),
    previous_first_day=date(2025, 10, 3),
    previous_last_day=date(2025, 12, 31),
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@attrs.frozen
class Scenario:
    """What ``arrange`` built, by name."""

    past: m.Cohort
    draft: m.Cohort
    geelong: m.Cohort
    enrolments: dict[str, m.Enrolment]
    payments: dict[str, m.Payment]


def arrange(world: World) -> Scenario:
    """A term under way at Werribee (the world's cohort: Kim active, An pending payment, Alex
    on a trial), last term's cohort (completed), a draft, a Geelong cohort, marks, invoices,
    payments and refunds; the clock at ``NOW``."""
    world.clock.set(NOW)
    org = world.org_id
    past = add_cohort(
        world,
        start=date(2025, 11, 3),
        sessions=3,
        status=m.CohortStatus.COMPLETED,
        name="Scratch Basics - Term 4",
    )
    draft = add_cohort(world, start=date(2026, 2, 4), status=m.CohortStatus.DRAFT, name="Draft")
    geelong = add_cohort(
        world,
        campus=world.other_campus,
        start=date(2026, 2, 4),
        capacity=4,
        name="Scratch Basics - Geelong Wed",
    )
    sessions = world.sessions
    past_sessions = sessions_of(world, past)
    geelong_sessions = sessions_of(world, geelong)

    def enrolment(
        student: m.Student, cohort: m.Cohort, status: S, made: datetime, **fields: Any
    ) -> m.Enrolment:
        return m.Enrolment(
            organisation_id=org,
            student_id=student.id,
            cohort_id=cohort.id,
            status=status,
            enrolment_date=made,
            **fields,
        )

    enrolments = {
        "kim": enrolment(
            world.child, world.cohort, S.ACTIVE, utc(2026, 1, 10), start_date=date(2026, 2, 2)
        ),
        "an": enrolment(world.sibling, world.cohort, S.PENDING_PAYMENT, utc(2026, 2, 5, 1)),
        "alex": enrolment(
            world.other_child,
            world.cohort,
            S.TRIAL,
            utc(2026, 2, 1),
            is_trial=True,
            trial_session_id=sessions[1].id,
        ),
        "past_kim": enrolment(
            world.child,
            past,
            S.COMPLETED,
            utc(2025, 10, 1),
            start_date=date(2025, 11, 3),
            end_date=date(2025, 11, 17),
        ),
        "past_alex": enrolment(
            world.other_child,
            past,
            S.COMPLETED,
            utc(2025, 10, 20),
            is_trial=True,
            trial_session_id=past_sessions[0].id,
            start_date=date(2025, 11, 3),
            end_date=date(2025, 11, 17),
        ),
        "past_an": enrolment(
            world.sibling,
            past,
            S.DROPPED,
            utc(2025, 10, 10),
            withdrawal_date=date(2025, 10, 25),
            withdrawal_reason="moved away",
        ),
        "geelong_an": enrolment(world.sibling, geelong, S.ENROLLED, utc(2026, 1, 5)),
    }
    e = enrolments

    def mark(session: m.Session, enrolment: m.Enrolment, status: A) -> m.Attendance:
        return m.Attendance(
            organisation_id=org,
            session_id=session.id,
            student_id=enrolment.student_id,
            enrolment_id=enrolment.id,
            status=status,
            recorded_by_staff_id=world.staff["lead_instructor"].id,
            recorded_at=datetime.combine(session.scheduled_date, datetime.min.time(), UTC),
        )

    world.add(
        *enrolments.values(),
        mark(past_sessions[0], e["past_kim"], A.PRESENT),
        mark(past_sessions[1], e["past_kim"], A.PRESENT),
        mark(past_sessions[2], e["past_kim"], A.ABSENT),
        mark(past_sessions[0], e["past_alex"], A.PRESENT),
        mark(past_sessions[1], e["past_alex"], A.LATE),
        mark(sessions[0], e["kim"], A.PRESENT),
        mark(sessions[1], e["kim"], A.LATE),
        mark(sessions[1], e["alex"], A.PRESENT),
    )
    assert geelong_sessions[0].scheduled_date == date(2026, 2, 4)

    def invoice(
        number: str, family: m.Family, issued: date, total: str, **fields: Any
    ) -> m.Invoice:
        return m.Invoice(
            organisation_id=org,
            invoice_number=number,
            family_id=family.id,
            issue_date=issued,
            due_date=issued + timedelta(days=14),
            total_amount=Decimal(total),
            **fields,
        )

    invoices = {
        "a": invoice(
            "INV-2026-000001",
            world.family,
            date(2026, 1, 20),
            "320.00",
            enrolment_id=e["kim"].id,
            amount_paid=Decimal("300.00"),
            amount_outstanding=Decimal("20.00"),
            status=m.InvoiceStatus.PARTIAL,
        ),
        "b": invoice(
            "INV-2026-000002",
            world.family,
            date(2026, 2, 5),
            "320.00",
            enrolment_id=e["an"].id,
            amount_outstanding=Decimal("320.00"),
            status=m.InvoiceStatus.SENT,
        ),
        "c": invoice(
            "INV-2025-000003",
            world.other_family,
            date(2025, 12, 1),
            "40.00",
            amount_outstanding=Decimal("40.00"),
            status=m.InvoiceStatus.OVERDUE,
        ),
        "d": invoice(
            "INV-2025-000001",
            world.family,
            date(2025, 10, 20),
            "300.00",
            enrolment_id=e["past_kim"].id,
            amount_paid=Decimal("300.00"),
            amount_outstanding=Decimal("0.00"),
            status=m.InvoiceStatus.PAID,
        ),
        "e": invoice(
            "INV-2025-000002",
            world.family,
            date(2025, 10, 10),
            "300.00",
            enrolment_id=e["past_an"].id,
            amount_outstanding=Decimal("0.00"),
            status=m.InvoiceStatus.VOID,
        ),
    }

    def payment(
        family: m.Family, amount: str, at: datetime, invoice: str | None, **fields: Any
    ) -> m.Payment:
        return m.Payment(
            organisation_id=org,
            family_id=family.id,
            invoice_id=None if invoice is None else invoices[invoice].id,
            amount=Decimal(amount),
            payment_date=at,
            payment_method=fields.pop("method", m.PaymentMethod.CASH),
            **fields,
        )

    payments = {
        "on_a": payment(
            world.family,
            "300.00",
            utc(2026, 2, 5, 2),
            "a",
            method=m.PaymentMethod.BANK_TRANSFER,
            reference_number="=SUM(A1)",
        ),
        "credit": payment(world.family, "50.00", utc(2026, 2, 6, 2), None),
        "on_d": payment(world.family, "300.00", utc(2025, 11, 1, 2), "d"),
        # 00:30 on 1 January in Melbourne: this term, although still 2025 in UTC
        "new_year": payment(world.other_family, "40.00", utc(2025, 12, 31, 13, 30), None),
        # 00:30 on 1 April in Melbourne: next term
        "april": payment(world.other_family, "40.00", utc(2026, 3, 31, 13, 30), None),
    }

    def refund(paid: str, amount: str, at: datetime, status: m.RefundStatus) -> m.Refund:
        return m.Refund(
            organisation_id=org,
            payment_id=payments[paid].id,
            family_id=payments[paid].family_id,
            amount=Decimal(amount),
            reason="goodwill",
            status=status,
            refunded_at=at,
        )

    with world.uow() as uow:
        for item in invoices.values():
            uow.invoices.add(item)
        for item in payments.values():
            uow.payments.add(item)
        uow.refunds.add(refund("credit", "20.00", utc(2026, 2, 7), m.RefundStatus.SUCCEEDED))
        uow.refunds.add(refund("on_a", "10.00", utc(2026, 2, 8), m.RefundStatus.FAILED))
        uow.refunds.add(refund("on_a", "5.00", utc(2026, 2, 9), m.RefundStatus.PENDING))
        uow.commit()
    return Scenario(
        past=past, draft=draft, geelong=geelong, enrolments=enrolments, payments=payments
    )


def service(world: World) -> ReportingService:
    return ReportingService(world.make_uow, world.clock, world.bus)


def dashboard(world: World, who: str = "super_admin", **filters: Any) -> Dashboard:
    return service(world).dashboard(world.actor(who), **filters)


# -- periods -------------------------------------------------------------------------------------


def test_default_periods_around_today() -> None:
    assert this_week(date(2026, 2, 10)) == (date(2026, 2, 9), date(2026, 2, 15))
    assert this_week(date(2026, 2, 15)) == (date(2026, 2, 9), date(2026, 2, 15))
    assert this_month(date(2024, 2, 10)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert this_term(date(2026, 2, 10)) == (date(2026, 1, 1), date(2026, 3, 31))
    assert this_term(date(2026, 12, 31)) == (date(2026, 10, 1), date(2026, 12, 31))


def test_previous_period_has_the_same_length_and_local_bounds() -> None:
    current, previous = periods(date(2026, 4, 1), date(2026, 4, 30), "Australia/Melbourne")
    assert (previous.first_day, previous.last_day) == (date(2026, 3, 2), date(2026, 3, 31))
    # midnight in Melbourne on the first day (AEDT, +11) and after the last (AEST, +10)
    assert current.starts_at == utc(2026, 3, 31, 13)
    assert current.ends_at == utc(2026, 4, 30, 14)
    assert previous.ends_at == current.starts_at


@pytest.mark.parametrize(
    ("date_from", "date_to", "field"),
    [
        (date(2026, 1, 1), None, "date_to"),
        (None, date(2026, 1, 1), "date_from"),
        (date(2026, 2, 1), date(2026, 1, 31), "date_to"),
        (date(1899, 12, 31), date(2026, 1, 1), "date_from"),
        (date(2026, 1, 1), date(9999, 12, 31), "date_to"),
        (date(2000, 1, 1), date(2010, 1, 1), "date_to"),
        (datetime(2026, 1, 1, tzinfo=UTC), date(2026, 1, 2), "date_from"),
    ],
)
def test_bad_date_ranges_name_the_parameter(
    world: World, date_from: date | None, date_to: date | None, field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        requested_days(date_from, date_to)
    assert error.value.field == field
    with pytest.raises(ValidationError):
        service(world).dashboard(world.actor("super_admin"), date_from=date_from, date_to=date_to)


def test_a_ten_year_range_and_a_single_day_are_fine() -> None:
    assert requested_days(date(2000, 1, 1), date(2009, 12, 31)) is not None
    assert requested_days(date(2026, 1, 1), date(2026, 1, 1)) == (date(2026, 1, 1),) * 2


def test_rates_round_half_up_to_four_places() -> None:
    assert rate(2, 3) == Decimal("0.6667")
    assert rate(1, 8) == Decimal("0.1250")
    assert rate(3, 2) == Decimal("1.5000")
    assert rate(0, 0) is None


# -- the dashboard --------------------------------------------------------------------------------


def test_dashboard_of_a_campus(world: World) -> None:
    arrange(world)

    board = dashboard(world, campus_id=world.campus.id)

    assert (board.campus_id, board.timezone, board.today) == (
        world.campus.id,
        "Australia/Melbourne",
        date(2026, 2, 10),
    )
    # Kim (active) and An (pending payment) this term; last term's two completed (An had
    # dropped before it began); the trial and the draft count for nothing
    assert (board.active_enrolments.value, board.active_enrolments.previous) == (2, 2)
    assert board.active_enrolments.window == TERM
    fill = board.capacity_fill
    assert (fill.seats_held, fill.capacity, fill.fill) == (2, 3, Decimal("0.6667"))
    assert (fill.previous_seats_held, fill.previous_capacity) == (2, 3)
    assert [(c.cohort_id, c.seats_held, c.max_capacity, c.fill) for c in fill.cohorts] == [
        (world.cohort.id, 2, 3, Decimal("0.6667"))
    ]
    # this week: Monday's session (Kim late, Alex's trial present, An unmarked = absent);
    # last week: Kim present (An's enrolment came after that session)
    attendance = board.attendance_rate
    assert (attendance.part, attendance.whole, attendance.rate) == (2, 3, Decimal("0.6667"))
    assert (attendance.previous_part, attendance.previous_whole) == (1, 1)
    assert attendance.previous_rate == Decimal("1.0000")
    assert attendance.window == Window(
        first_day=date(2026, 2, 9),
        last_day=date(2026, 2, 15),
        previous_first_day=date(2026, 2, 2),
        previous_last_day=date(2026, 2, 8),
    )
    # An this month (pending payment); Kim last month; Alex's trial is not an enrolment yet
    assert (board.new_enrolments.value, board.new_enrolments.previous) == (1, 1)
    assert board.new_enrolments.window == Window(
        first_day=date(2026, 2, 1),
        last_day=date(2026, 2, 28),
        previous_first_day=date(2026, 1, 4),
        previous_last_day=date(2026, 1, 31),
    )
    trials = board.trial_conversion
    assert (trials.part, trials.whole, trials.rate) == (0, 1, Decimal("0.0000"))
    assert (trials.previous_part, trials.previous_whole) == (1, 1)
    # money at Werribee: the 300.00 on Kim's invoice less the pending 5.00 refund (the
    # failed one does not count; credit and the manual invoice are not a campus's)
    assert board.revenue is not None
    assert (board.revenue.received, board.revenue.refunded, board.revenue.net) == (
        Decimal("300.00"),
        Decimal("5.00"),
        Decimal("295.00"),
    )
    assert board.revenue.previous_net == Decimal("300.00")
    assert board.outstanding_invoices is not None
    owed = board.outstanding_invoices
    assert (owed.count, owed.amount, owed.previous_count, owed.previous_amount) == (
        2,
        Decimal("340.00"),
        0,
        Decimal("0.00"),
    )


def test_dashboard_of_the_organisation(world: World) -> None:
    arrange(world)

    board = dashboard(world)

    assert board.campus_id is None
    assert (board.active_enrolments.value, board.active_enrolments.previous) == (3, 2)
    fill = board.capacity_fill
    assert (fill.seats_held, fill.capacity, fill.fill) == (3, 7, Decimal("0.4286"))
    # last week also Geelong's Wednesday session, where An (enrolled) was not marked
    attendance = board.attendance_rate
    assert (attendance.previous_part, attendance.previous_whole) == (1, 2)
    assert (board.new_enrolments.value, board.new_enrolments.previous) == (1, 2)
    assert board.revenue is not None
    # with the family's credit (50.00 less a 20.00 refund) and a payment made at 00:30 on
    # New Year's Day in Melbourne; not the one at 00:30 on 1 April
    assert (board.revenue.received, board.revenue.refunded, board.revenue.net) == (
        Decimal("390.00"),
        Decimal("25.00"),
        Decimal("365.00"),
    )
    owed = board.outstanding_invoices
    assert owed is not None
    assert (owed.count, owed.amount, owed.previous_count, owed.previous_amount) == (
        3,
        Decimal("380.00"),
        1,
        Decimal("40.00"),
    )


def test_a_date_range_applies_to_every_figure(world: World) -> None:
    arrange(world)

    board = dashboard(world, date_from=date(2025, 11, 1), date_to=date(2025, 11, 30))

    window = Window(
        first_day=date(2025, 11, 1),
        last_day=date(2025, 11, 30),
        previous_first_day=date(2025, 10, 2),
        previous_last_day=date(2025, 10, 31),
    )
    for figure in (
        board.active_enrolments,
        board.new_enrolments,
        board.attendance_rate,
        board.trial_conversion,
        board.capacity_fill,
        board.revenue,
        board.outstanding_invoices,
    ):
        assert figure is not None
        assert figure.window == window
    assert board.active_enrolments.value == 2
    # three sessions of last term: Kim present, present, absent; Alex present, late, unmarked
    attendance = board.attendance_rate
    assert (attendance.part, attendance.whole, attendance.rate) == (4, 6, Decimal("0.6667"))
    # the 30 days before: Alex, and An (dropped, but invoiced: it reached payment); Kim's
    # enrolment on 1 October is a day too early
    assert (board.new_enrolments.value, board.new_enrolments.previous) == (0, 2)
    assert board.revenue is not None
    assert board.revenue.received == Decimal("300.00")


def test_sessions_of_today_count_once_marked(world: World) -> None:
    arrange(world)
    world.clock.set(utc(2026, 2, 9, 3))  # Monday 9 February, 14:00 in Melbourne

    marked = dashboard(world, campus_id=world.campus.id).attendance_rate
    world.clock.set(utc(2026, 2, 15, 23))  # Monday 16 February, 10:00 in Melbourne
    unmarked = dashboard(world, campus_id=world.campus.id).attendance_rate

    assert (marked.window.first_day, marked.part, marked.whole) == (date(2026, 2, 9), 2, 3)
    assert (unmarked.window.first_day, unmarked.part, unmarked.whole) == (date(2026, 2, 16), 0, 0)
    assert unmarked.rate is None


def test_makeup_visitors_count_on_the_roll(world: World) -> None:
    scenario = arrange(world)
    visitor = m.MakeupToken(
        organisation_id=world.org_id,
        student_id=world.child.id,
        enrolment_id=scenario.enrolments["kim"].id,
        program_id=world.program.id,
        reason="cancelled session",
        issued_on=date(2026, 1, 1),
        expires_on=date(2026, 4, 1),
        status=m.MakeupTokenStatus.REDEEMED,
        redeemed_session_id=sessions_of(world, scenario.geelong)[0].id,
        redeemed_at=utc(2026, 2, 1),
    )
    world.add(visitor)

    board = dashboard(world, campus_id=world.other_campus.id)

    # Geelong's 4 February session: An (enrolled, unmarked) and Kim's makeup (unmarked)
    assert (board.attendance_rate.previous_part, board.attendance_rate.previous_whole) == (0, 2)


# -- permissions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("campus", "allowed"),
    [
        (
            "campus",
            {
                "super_admin",
                "campus_manager",
                "lead_instructor",
                "teaching_assistant",
                "front_desk",
            },
        ),
        ("other_campus", {"super_admin", "other_manager"}),
        (None, {"super_admin", "lead_instructor", "teaching_assistant"}),
    ],
)
@pytest.mark.parametrize("who", ROLES)
def test_who_sees_the_dashboard(
    world: World, who: str, campus: str | None, allowed: set[str]
) -> None:
    campus_id = None if campus is None else getattr(world, campus).id
    walk(world, who, allowed, lambda actor: service(world).dashboard(actor, campus_id=campus_id))


@pytest.mark.parametrize("who", ["lead_instructor", "teaching_assistant", "front_desk"])
def test_money_is_left_out_without_financial_reports(world: World, who: str) -> None:
    arrange(world)

    board = dashboard(world, who, campus_id=world.campus.id)

    assert board.revenue is None
    assert board.outstanding_invoices is None
    assert board.active_enrolments.value == 2


def test_instructors_count_only_the_cohorts_they_teach(world: World) -> None:
    scenario = arrange(world)
    world.add(
        m.CohortStaff(
            organisation_id=world.org_id,
            cohort_id=scenario.geelong.id,
            staff_id=world.staff["other_instructor"].id,
            role=m.CohortStaffRole.LEAD_INSTRUCTOR,
        )
    )

    mine = dashboard(world, "lead_instructor")
    theirs = dashboard(world, "other_instructor")

    assert mine.active_enrolments.value == 2
    assert [c.cohort_id for c in mine.capacity_fill.cohorts] == [world.cohort.id]
    assert theirs.active_enrolments.value == 1
    with pytest.raises(Forbidden, match="none at this campus"):
        dashboard(world, "other_instructor", campus_id=world.campus.id)


def test_an_unknown_campus_is_not_found(world: World) -> None:
    before = snapshot(world)
    for who in ("super_admin", "campus_manager", "teaching_assistant"):
        with pytest.raises(NotFound):
            service(world).dashboard(world.actor(who), campus_id=uuid4())
    assert snapshot(world) == before


# -- the CSV reports --------------------------------------------------------------------------


def test_enrolment_report(world: World) -> None:
    arrange(world)

    report = service(world).enrolment_report(world.actor("front_desk"), campus_id=world.campus.id)

    assert (report.name, report.first_day, report.last_day) == (
        "enrolments",
        date(2026, 1, 1),
        date(2026, 3, 31),
    )
    assert report.columns == ENROLMENT_COLUMNS
    rows = [dict(zip(report.columns, row, strict=True)) for row in report.rows]
    assert [(r["student_name"], r["status"], r["is_trial"]) for r in rows] == [
        ("An Nguyen", "pending_payment", False),
        ("Kim Nguyen", "active", False),
        ("Alex Smith", "trial", True),
    ]
    kim = rows[1]
    assert kim["campus_name"] == "Werribee"
    assert kim["program_name"] == "Scratch Basics"
    assert kim["family_id"] == world.family.id
    assert kim["enrolment_date"] == datetime(2026, 1, 10, 11, tzinfo=kim["enrolment_date"].tzinfo)
    assert kim["enrolment_date"].utcoffset() == timedelta(hours=11)


def test_revenue_report_adds_up_to_the_revenue(world: World) -> None:
    arrange(world)
    actor = world.actor("super_admin")

    report = service(world).revenue_report(actor)

    assert report.columns == REVENUE_COLUMNS
    rows = [dict(zip(report.columns, row, strict=True)) for row in report.rows]
    assert [(r["kind"], r["amount"], r["status"]) for r in rows] == [
        ("payment", Decimal("40.00"), "received"),
        ("payment", Decimal("300.00"), "received"),
        ("payment", Decimal("50.00"), "received"),
        ("refund", Decimal("-20.00"), "succeeded"),
        ("refund", Decimal("-5.00"), "pending"),
    ]
    assert sum(r["amount"] for r in rows) == Decimal("365.00")
    on_a = rows[1]
    assert on_a["invoice_number"] == "INV-2026-000001"
    assert on_a["campus_id"] == world.campus.id
    assert on_a["family_name"] == "Nguyen"
    assert on_a["payment_method"] == "bank_transfer"
    assert rows[2]["campus_id"] is None
    at_campus = service(world).revenue_report(actor, campus_id=world.campus.id)
    assert [row[3] for row in at_campus.rows] == [Decimal("300.00"), Decimal("-5.00")]


def test_attendance_report(world: World) -> None:
    arrange(world)

    report = service(world).attendance_report(
        world.actor("teaching_assistant"), date_from=date(2026, 2, 1), date_to=date(2026, 2, 28)
    )

    rows = [dict(zip(report.columns, row, strict=True)) for row in report.rows]
    assert [(r["session_date"], r["student_name"], r["status"]) for r in rows] == [
        (date(2026, 2, 2), "Kim Nguyen", "present"),
        (date(2026, 2, 9), "Kim Nguyen", "late"),
        (date(2026, 2, 9), "Alex Smith", "present"),
    ]
    assert rows[0]["campus_name"] == "Werribee"
    assert rows[0]["recorded_by_staff_id"] == world.staff["lead_instructor"].id


@pytest.mark.parametrize("who", ROLES)
def test_who_may_export_reports(world: World, who: str) -> None:
    reports = service(world)
    campus = world.campus.id
    roster = {
        "super_admin",
        "campus_manager",
        "lead_instructor",
        "teaching_assistant",
        "front_desk",
    }
    walk(world, who, roster, lambda a: reports.enrolment_report(a, campus_id=campus))
    walk(world, who, roster, lambda a: reports.attendance_report(a, campus_id=campus))
    walk(
        world,
        who,
        {"super_admin", "campus_manager"},
        lambda a: reports.revenue_report(a, campus_id=campus),
    )
    walk(world, who, {"super_admin"}, lambda a: reports.revenue_report(a))
