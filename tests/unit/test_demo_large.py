"""The large demo school, scaled down and written to SQLite: a school consistent with every
rule the use cases keep (seats, invoices, balances, marks, the nightly job's work), the same
for the same seed, and ``rocket demo --size large``."""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from rocket_adapters.clock import FixedClock
from rocket_adapters.sql import migrate
from rocket_adapters.sql import tables as t
from rocket_adapters.sql.database import Database, make_engine
from rocket_core import model as m
from rocket_core.enrolment_machine import SEAT_HOLDING_STATES, EnrolmentStatus
from rocket_core.events import EventBus
from rocket_core.pricing import price_tuition
from rocket_core.services.attendance import AttendanceService
from rocket_core.services.base import load_actor
from rocket_core.services.ledger import load_books, recount
from rocket_core.services.lifecycle import LifecycleService
from rocket_entrypoints.cli import demo as demo_cli
from rocket_entrypoints.cli.app import app
from rocket_entrypoints.demo.large import (
    LARGE_SCHOOL_NAME,
    SUPER_ADMIN_EMAIL,
    LargeSize,
    count_large_school,
    large_organisation_id,
    large_school_loaded,
    plan_large_school,
    write_large_school,
)

#: A Wednesday: the term began on Monday four weeks ago.
TODAY = date(2026, 5, 13)
MELBOURNE = ZoneInfo("Australia/Melbourne")
#: Two campuses of 28 cohorts: a week of full cohorts each, and late joiners in the others.
SIZE = LargeSize(campuses=2, cohorts=56, students=1_000)
SEED = 5


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    url = f"sqlite:///{tmp_path_factory.mktemp('large') / 'large.db'}"
    migrate.upgrade(url)
    school = plan_large_school(SIZE, seed=SEED, today=TODAY)
    engine = make_engine(url)
    progress: Counter[str] = Counter()
    written = write_large_school(
        engine, school, progress=lambda table, rows: progress.update({table: rows})
    )
    engine.dispose()
    database = Database(url)
    yield url, school, written, progress, database
    database.dispose()


def rows(database: Database, table: sa.Table) -> list[sa.Row]:
    with database.engine.connect() as connection:
        return list(connection.execute(sa.select(table)))


def entities(database: Database, cls: type) -> list:
    with database.unit_of_work(large_organisation_id(SEED)) as uow:
        return list(uow.session.scalars(sa.select(cls)))


def test_it_writes_what_it_planned_and_reads_back_the_same(built):
    url, school, written, progress, database = built
    assert written == dict(school.counts) == dict(progress)
    engine = make_engine(url)
    assert count_large_school(engine, SEED) == dict(school.counts)
    assert large_school_loaded(engine, SEED)
    assert not large_school_loaded(engine, SEED + 1)
    engine.dispose()
    assert school.counts["campuses"] == 2
    assert school.counts["cohorts"] == 56
    assert school.counts["students"] == 1_000
    assert school.counts["sessions"] == 56 * 10
    assert 690 <= school.counts["families"] <= 740  # 1.4 children a family
    assert school.counts["attendances"] > 1_000 * 3
    [organisation] = entities(database, m.Organisation)
    assert organisation.name == LARGE_SCHOOL_NAME


def test_the_default_size_is_the_benchmarks_school():
    size = LargeSize()
    assert (size.campuses, size.cohorts, size.students, size.sessions) == (20, 2_000, 40_000, 10)


def test_every_student_has_a_family_and_a_seat_and_never_two_in_one_cohort(built):
    *_, database = built
    families = {f.id for f in entities(database, m.Family)}
    students = entities(database, m.Student)
    enrolments = entities(database, m.Enrolment)
    assert all(s.family_id in families for s in students)
    assert families == {s.family_id for s in students}  # and every family has a child
    seated = Counter(e.student_id for e in enrolments)
    assert set(seated) == {s.id for s in students}
    assert 1.05 < len(enrolments) / len(students) < 1.2  # some in a second class
    pairs = Counter((e.student_id, e.cohort_id) for e in enrolments)
    assert max(pairs.values()) == 1
    # a family's children go to its campus
    cohorts = {c.id: c for c in entities(database, m.Cohort)}
    family_of = {s.id: s.family_id for s in students}
    campuses = defaultdict(set)
    for e in enrolments:
        campuses[family_of[e.student_id]].add(cohorts[e.cohort_id].campus_id)
    assert all(len(found) == 1 for found in campuses.values())


def test_seat_counts_match_the_enrolments_and_some_cohorts_are_full(built):
    *_, database = built
    enrolments = entities(database, m.Enrolment)
    holding = Counter(e.cohort_id for e in enrolments if e.status in SEAT_HOLDING_STATES)
    cohorts = entities(database, m.Cohort)
    for cohort in cohorts:
        assert cohort.current_enrolments == holding[cohort.id]
        assert cohort.current_enrolments <= cohort.max_capacity == SIZE.capacity
        assert cohort.status is m.CohortStatus.IN_PROGRESS
        assert (cohort.attention is None) == (cohort.current_enrolments > 0)
    full = [c for c in cohorts if c.current_enrolments == c.max_capacity]
    assert len(full) >= len(cohorts) // SIZE.full_every - SIZE.campuses


def test_sessions_are_weekly_and_those_held_so_far_are_completed(built):
    _, school, *_, database = built
    sessions = defaultdict(list)
    for s in entities(database, m.Session):
        sessions[s.cohort_id].append(s)
    term_start = TODAY - timedelta(days=TODAY.weekday(), weeks=SIZE.weeks_held)
    assert school.term_start == term_start
    cohorts = {c.id: c for c in entities(database, m.Cohort)}
    for cohort_id, found in sessions.items():
        found.sort(key=lambda s: s.session_number)
        days = [s.scheduled_date for s in found]
        assert [s.session_number for s in found] == list(range(1, 11))
        assert days == [days[0] + timedelta(weeks=n) for n in range(10)]
        assert term_start <= days[0] < term_start + timedelta(weeks=1)
        assert (cohorts[cohort_id].start_date, cohorts[cohort_id].end_date) == (days[0], days[-1])
        for s in found:
            held = s.scheduled_date < TODAY
            assert s.status is (m.SessionStatus.COMPLETED if held else m.SessionStatus.SCHEDULED)
            assert s.version == (2 if held else 1)
    assert any(s.scheduled_date == TODAY for found in sessions.values() for s in found)


def test_the_nightly_job_finds_nothing_to_do(built):
    """Cohorts begun, enrolments started, sessions completed and invoices overdue are all as
    the nightly job of this morning left them."""
    _, school, *_, database = built
    bus = EventBus()
    lifecycle = LifecycleService(database.unit_of_work, FixedClock(school.now), bus)
    report = lifecycle.run_nightly(school.organisation_id, TODAY, school.now)
    assert (
        report.cohorts_begun,
        report.enrolments_started,
        report.enrolments_completed,
        report.cohorts_completed,
        report.sessions_completed,
        report.invoices_overdue,
    ) == (0, 0, 0, 0, 0, 0)


def test_every_family_books_agree_with_the_records(built):
    """The ledger's recount: balances, invoice paid/outstanding figures and statuses."""
    _, school, *_, database = built
    families = entities(database, m.Family)
    with database.unit_of_work(school.organisation_id) as uow:
        problems = [p for f in families for p in recount(load_books(uow, f.id)).problems]
    assert problems == []
    owing = [f for f in families if f.account_balance > 0]
    assert owing
    assert all(f.account_balance >= 0 for f in families)


def test_invoices_price_each_enrolment_as_invoicing_would(built):
    """Lines, GST, sibling discounts (children ranked by when they were first charged),
    proration from a late joiner's start, numbering and the enrolment's status."""
    *_, database = built
    settings = m.OrganisationSettings()
    invoices = entities(database, m.Invoice)
    enrolments = {e.id: e for e in entities(database, m.Enrolment)}
    students = {s.id: s for s in entities(database, m.Student)}
    cohorts = {c.id: c for c in entities(database, m.Cohort)}
    programs = {p.id: p for p in entities(database, m.Program)}
    sessions = defaultdict(list)
    for s in entities(database, m.Session):
        sessions[s.cohort_id].append(s.scheduled_date)
    first_charged: dict = {}
    for invoice in invoices:
        student = enrolments[invoice.enrolment_id].student_id
        first_charged[student] = min(
            first_charged.get(student, invoice.created_at), invoice.created_at
        )
    children = defaultdict(list)
    for student, at in first_charged.items():
        children[students[student].family_id].append((at, student))
    rank = {s: n + 1 for kids in children.values() for n, (_, s) in enumerate(sorted(kids))}
    statuses = Counter()
    for invoice in invoices:
        enrolment = enrolments[invoice.enrolment_id]
        cohort = cohorts[enrolment.cohort_id]
        program = programs[cohort.program_id]
        first = max(invoice.issue_date, enrolment.start_date or invoice.issue_date)
        priced = price_tuition(
            description=f"{program.name} — {cohort.name}",
            tuition=cohort.tuition_price or program.default_price,
            sibling_rank=rank[enrolment.student_id],
            sessions_total=10,
            sessions_remaining=sum(1 for day in sessions[cohort.id] if day >= first),
            settings=settings,
        )
        assert invoice.line_items == priced.lines
        assert (invoice.total_amount, invoice.gst_amount, invoice.discount_amount) == (
            priced.total,
            priced.gst,
            priced.discount,
        )
        assert invoice.lines_total + invoice.gst_amount == invoice.total_amount
        assert enrolment.discount_applied == priced.discount
        assert invoice.issue_date == invoice.created_at.astimezone(MELBOURNE).date()
        assert invoice.due_date == invoice.issue_date + timedelta(days=settings.invoice_due_days)
        overdue = invoice.due_date < TODAY - timedelta(days=settings.overdue_after_days)
        assert (invoice.status is m.InvoiceStatus.OVERDUE) == (overdue and invoice.is_open)
        paid = invoice.status is m.InvoiceStatus.PAID
        assert enrolment.status is (
            EnrolmentStatus.ACTIVE if paid else EnrolmentStatus.PENDING_PAYMENT
        )
        statuses[invoice.status] += 1
    assert set(statuses) == {
        m.InvoiceStatus.PAID,
        m.InvoiceStatus.PARTIAL,
        m.InvoiceStatus.SENT,
        m.InvoiceStatus.OVERDUE,
    }
    assert any(i.discount_amount > 0 for i in invoices)
    assert any(
        len(i.line_items) > 1 and i.line_items[1].description.startswith("Late start")
        for i in invoices
    )
    numbers = sorted((i.created_at, i.invoice_number) for i in invoices)
    assert [n for _, n in numbers] == [f"INV-2026-{k:06d}" for k in range(1, len(invoices) + 1)]
    [counter] = rows(database, t.invoice_number_counters)
    assert (counter.year, counter.last_number) == (2026, len(invoices))


def test_payments_are_allocated_to_their_invoice_in_full(built):
    *_, database = built
    payments = {p.id: p for p in entities(database, m.Payment)}
    allocations = entities(database, m.PaymentAllocation)
    invoices = {i.id: i for i in entities(database, m.Invoice)}
    assert {a.payment_id for a in allocations} == set(payments)
    for allocation in allocations:
        payment = payments[allocation.payment_id]
        invoice = invoices[allocation.invoice_id]
        assert allocation.amount == payment.amount == invoice.amount_paid > 0
        assert payment.family_id == invoice.family_id
        assert invoice.created_at < payment.payment_date == allocation.allocated_at
        assert payment.payment_date < datetime.combine(TODAY, datetime.min.time(), MELBOURNE)
    assert len({p.payment_method for p in payments.values()}) > 1


def test_every_roll_held_so_far_is_marked_and_today_is_not(built):
    """Through the roll use case, as each cohort's lead instructor (who may read it)."""
    _, school, *_, database = built
    clock = FixedClock(school.now)
    attendance = AttendanceService(database.unit_of_work, clock, EventBus())
    leads = {
        a.cohort_id: a.staff_id
        for a in entities(database, m.CohortStaff)
        if a.role is m.CohortStaffRole.LEAD_INSTRUCTOR
    }
    assert len(leads) == SIZE.cohorts
    marks = Counter(a.session_id for a in entities(database, m.Attendance))
    sessions = entities(database, m.Session)
    checked = Counter()
    with database.unit_of_work(school.organisation_id) as uow:
        actors = {staff: load_actor(uow, staff) for staff in set(leads.values())}
    for session in sorted(sessions, key=lambda s: (s.cohort_id, s.session_number)):
        if session.session_number not in (1, SIZE.weeks_held, SIZE.weeks_held + 1, 10):
            continue
        roll = attendance.roll(actors[leads[session.cohort_id]], session.id)
        if session.scheduled_date < TODAY:
            assert all(line.status is not None for line in roll)
            assert all(line.recorded_by_staff_id == leads[session.cohort_id] for line in roll)
            assert marks[session.id] == len(roll)
            checked["held"] += 1
        else:
            assert all(line.status is None for line in roll)
            assert marks[session.id] == 0
            checked["ahead"] += 1
    assert checked["held"] > SIZE.cohorts
    assert checked["ahead"] > SIZE.cohorts
    statuses = Counter(a.status for a in entities(database, m.Attendance))
    assert set(statuses) == {
        m.AttendanceStatus.PRESENT,
        m.AttendanceStatus.LATE,
        m.AttendanceStatus.ABSENT,
    }


def test_today_there_are_full_rolls_to_take(built):
    """What the HTTP benchmark needs: sessions today with a full cohort on the roll."""
    *_, database = built
    cohorts = {c.id: c for c in entities(database, m.Cohort)}
    today = [s for s in entities(database, m.Session) if s.scheduled_date == TODAY]
    full = [s for s in today if cohorts[s.cohort_id].current_enrolments == SIZE.capacity]
    assert full


def test_staff_work_at_their_campus_and_every_cohort_has_a_lead_there(built):
    _, school, *_, database = built
    staff = {s.id: s for s in entities(database, m.Staff)}
    roles = Counter(s.role for s in staff.values())
    assert roles[m.StaffRole.SUPER_ADMIN] == 1
    assert roles[m.StaffRole.CAMPUS_MANAGER] == SIZE.campuses
    assert roles[m.StaffRole.FRONT_DESK] == 2 * SIZE.campuses
    assert roles[m.StaffRole.LEAD_INSTRUCTOR] >= SIZE.campuses
    assert roles[m.StaffRole.TEACHING_ASSISTANT] >= SIZE.campuses
    assert SUPER_ADMIN_EMAIL in {s.email for s in staff.values()}
    assert {s.password_hash for s in staff.values()} == {school.password_hash}
    campus_of = defaultdict(set)
    for assignment in entities(database, m.CampusStaff):
        campus_of[assignment.staff_id].add(assignment.campus_id)
    assert all(
        len(campus_of[s]) == 1 for s in staff if staff[s].role is not m.StaffRole.SUPER_ADMIN
    )
    cohorts = {c.id: c for c in entities(database, m.Cohort)}
    for assignment in entities(database, m.CohortStaff):
        member = staff[assignment.staff_id]
        assert cohorts[assignment.cohort_id].campus_id in campus_of[member.id]
        assert member.role.value == assignment.role.value


def test_the_same_seed_gives_the_same_school_and_another_seed_another():
    size = LargeSize(campuses=2, cohorts=14, students=150)
    first = plan_large_school(size, seed=3, today=TODAY)
    again = plan_large_school(size, seed=3, today=TODAY)
    other = plan_large_school(size, seed=4, today=TODAY)
    assert first == again
    assert first.organisation_id == large_organisation_id(3) != other.organisation_id
    assert [e.id for e in first.enrolments] != [e.id for e in other.enrolments]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"campuses": 5, "cohorts": 4}, "cohorts"),
        ({"weeks_held": 10}, "weeks_held"),
        ({"cohorts": 20, "students": 5_000}, "too few"),
        ({"students": 0}, "students"),
        ({"late_joiners": Decimal("1.5")}, "late_joiners"),
    ],
)
def test_a_size_that_cannot_be_a_school_is_refused(options, field):
    with pytest.raises(ValueError, match=field):
        LargeSize(**options)


def test_writing_it_twice_is_refused_whole(built, tmp_path: Path):
    url, school, *_ = built
    engine = make_engine(url)
    before = count_large_school(engine, SEED)
    with pytest.raises(sa.exc.IntegrityError):
        write_large_school(engine, school)
    assert count_large_school(engine, SEED) == before
    engine.dispose()


def test_rocket_demo_size_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ROCKET_DATABASE_URL", url)
    small = functools.partial(plan_large_school, LargeSize(campuses=2, cohorts=14, students=150))
    monkeypatch.setattr(demo_cli, "plan_large_school", small)
    runner = CliRunner()
    result = runner.invoke(app, ["demo", "--size", "large", "--seed", "2", "--today", "2026-05-13"])
    assert result.exit_code == 0, result.output
    assert "large demo school loaded (seed 2)" in result.output
    assert "attendances" in result.output
    assert SUPER_ADMIN_EMAIL in result.output
    engine = make_engine(url)
    assert large_school_loaded(engine, 2)
    counts = count_large_school(engine, 2)
    engine.dispose()
    assert counts["cohorts"] == 14
    again = runner.invoke(app, ["demo", "--size", "large", "--seed", "2"])
    assert again.exit_code == 0, again.output
    assert "already loaded (seed 2)" in again.output
    clash = runner.invoke(app, ["demo", "--size", "large", "--seed", "3"])
    assert clash.exit_code == 1
    assert "cannot load the large demo school (seed 3)" in clash.output
    memory = runner.invoke(app, ["demo", "--size", "large", "--memory"])
    assert memory.exit_code == 2
    assert "leave out --memory" in memory.output
