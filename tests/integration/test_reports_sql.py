"""The dashboard's figures and the CSV reports on SQLite and Postgres give what they give in
memory: one contract over the same data.

The service tests' school with its reporting scenario (tests/unit/services/test_reports.py:
a term under way, last term, a draft, another campus, marks, a makeup visit, invoices,
payments and refunds) is built in memory, then copied entity by entity, with the same ids,
into the database, next to a second organisation with the same scenario. Every repository
call, over several scopes and periods, and every use case must then answer exactly what the
memory adapter answers (and the second organisation must never show).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event
from tests.unit.services.conftest import World, build_world
from tests.unit.services.test_reports import Scenario, arrange

from rocket_adapters.clock import FixedClock
from rocket_adapters.sql import Database
from rocket_core import model as m
from rocket_core.events import EventBus
from rocket_core.permissions import Actor
from rocket_core.ports import ReportingRepository, UnitOfWorkFactory
from rocket_core.services.reports import ReportingService, periods

Scope = ReportingRepository.Scope
TZ = "Australia/Melbourne"
TODAY = date(2026, 2, 10)

#: Repository of each kind of entity, in the order they are copied.
_REPOSITORY = {
    m.Campus: "campuses",
    m.Staff: "staff",
    m.CampusStaff: "campus_staff",
    m.Program: "programs",
    m.Cohort: "cohorts",
    m.CohortStaff: "cohort_staff",
    m.Session: "sessions",
    m.SessionStaff: "session_staff",
    m.Family: "families",
    m.Student: "students",
    m.Enrolment: "enrolments",
    m.Attendance: "attendance",
    m.MakeupToken: "makeup_tokens",
    m.Invoice: "invoices",
    m.Payment: "payments",
    m.Refund: "refunds",
}


def school() -> tuple[World, Scenario]:
    """The reporting scenario in memory, with a makeup visit at Geelong."""
    world = build_world()
    scenario = arrange(world)
    with world.uow() as uow:
        geelong = uow.sessions.list_for_cohort(scenario.geelong.id)[0]
        uow.makeup_tokens.add(
            m.MakeupToken(
                organisation_id=world.org_id,
                student_id=world.child.id,
                enrolment_id=scenario.enrolments["kim"].id,
                program_id=world.program.id,
                reason="cancelled session",
                issued_on=date(2026, 1, 1),
                expires_on=date(2026, 4, 1),
                status=m.MakeupTokenStatus.REDEEMED,
                redeemed_session_id=geelong.id,
                redeemed_at=datetime(2026, 2, 1, tzinfo=UTC),
            )
        )
        uow.commit()
    return world, scenario


def copy_into(database: Database, world: World) -> None:
    """Every entity of the world's store, with the same ids (staff e-mails made unique: the
    test database is shared)."""
    tables = world.store.tables
    with database.unit_of_work(world.org_id) as uow:
        uow.organisations.add(copy.deepcopy(world.organisation))
        uow.commit()
    with database.unit_of_work(world.org_id) as uow:
        for cls, name in _REPOSITORY.items():
            for entity in tables[cls].values():
                entity = copy.deepcopy(entity)
                entity.__dict__.pop("_pending_events", None)
                if isinstance(entity, m.Staff):
                    entity.email = f"{entity.id.hex}@reports.example"
                getattr(uow, name).add(entity)
        uow.commit()


BACKENDS = ["sqlite_database", "postgres_database"]


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest) -> Database:
    found: Database = request.getfixturevalue(request.param)
    return found


@pytest.fixture
def built(database: Database) -> tuple[World, Scenario, UnitOfWorkFactory]:
    world, scenario = school()
    other, _ = school()
    copy_into(database, world)
    copy_into(database, other)
    return world, scenario, database.unit_of_work


def _scopes(world: World, scenario: Scenario) -> dict[str, Scope]:
    return {
        "organisation": Scope(),
        "werribee": Scope(campus_id=world.campus.id),
        "geelong": Scope(campus_id=world.other_campus.id),
        "taught": Scope(cohort_ids=frozenset({world.cohort.id, scenario.past.id})),
        "taught at geelong": Scope(
            campus_id=world.other_campus.id, cohort_ids=frozenset({world.cohort.id})
        ),
    }


#: (first day, last day): the term and the one before, weeks, a month, a day, ten years.
RANGES = [
    (date(2026, 1, 1), date(2026, 3, 31)),
    (date(2025, 10, 3), date(2025, 12, 31)),
    (date(2026, 2, 9), date(2026, 2, 15)),
    (date(2026, 2, 2), date(2026, 2, 8)),
    (date(2025, 11, 1), date(2025, 11, 30)),
    (date(2026, 1, 1), date(2026, 1, 1)),
    (date(2016, 6, 1), date(2026, 5, 31)),
]


def _sorted(rows: list[Any]) -> list[Any]:
    return sorted(rows, key=lambda row: str(row[0]))


def _answers(
    make_uow: UnitOfWorkFactory, world: World, scenario: Scenario
) -> dict[tuple[str, ...], Any]:
    """Every repository call over the scopes and periods, by a readable key."""
    found: dict[tuple[str, ...], Any] = {}
    with make_uow(world.org_id) as uow:
        repo = uow.reports
        for first, last in RANGES:
            period = periods(first, last, TZ)[0]
            days = f"{first}..{last}"
            for name, scope in _scopes(world, scenario).items():
                found[("seats", name, days)] = _sorted(repo.cohort_seats(scope, period))
                found[("new", name, days)] = repo.new_enrolments(scope, period)
                found[("trials", name, days)] = repo.trial_conversion(scope, period)
                found[("attendance", name, days)] = repo.attendance(scope, period, TODAY)
                found[("enrolments", name, days)] = _sorted(repo.enrolment_rows(scope, period))
                found[("marks", name, days)] = _sorted(repo.mark_rows(scope, period))
            for campus in (None, world.campus.id, world.other_campus.id):
                key = str(campus)
                found[("revenue", key, days)] = repo.revenue(campus, period)
                found[("outstanding", key, days)] = repo.outstanding(campus, last)
                found[("money", key, days)] = _sorted(repo.money_rows(campus, period))
    return found


def test_every_figure_and_row_is_what_memory_gives(
    built: tuple[World, Scenario, UnitOfWorkFactory],
) -> None:
    world, scenario, on_sql = built

    expected = _answers(world.make_uow, world, scenario)
    answers = _answers(on_sql, world, scenario)

    assert answers.keys() == expected.keys()
    for key, value in expected.items():
        assert answers[key] == value, key
    # and they are not all empty: a few of the figures the service tests work out by hand
    term = "2026-01-01..2026-03-31"
    week = "2026-02-09..2026-02-15"
    assert answers[("attendance", "werribee", week)] == (2, 3)
    assert answers[("attendance", "geelong", "2026-02-02..2026-02-08")] == (0, 2)
    assert answers[("trials", "organisation", "2025-10-03..2025-12-31")] == (1, 1)
    assert sum(row.seats_held for row in answers[("seats", "organisation", term)]) == 3
    assert len(answers[("money", "None", term)]) == 5
    assert answers[("seats", "taught at geelong", term)] == []


def _service(make_uow: UnitOfWorkFactory) -> ReportingService:
    return ReportingService(make_uow, FixedClock(datetime(2026, 2, 10, 9, tzinfo=UTC)), EventBus())


def _actor(world: World, who: str) -> Actor:
    return world.actor(who)


USE_CASES: dict[str, Callable[[ReportingService, World], Any]] = {
    "dashboard": lambda s, w: s.dashboard(_actor(w, "super_admin")),
    "dashboard at werribee": lambda s, w: s.dashboard(
        _actor(w, "campus_manager"), campus_id=w.campus.id
    ),
    "dashboard of a lead": lambda s, w: s.dashboard(_actor(w, "lead_instructor")),
    "dashboard of November": lambda s, w: s.dashboard(
        _actor(w, "super_admin"), date_from=date(2025, 11, 1), date_to=date(2025, 11, 30)
    ),
    "enrolments": lambda s, w: s.enrolment_report(_actor(w, "super_admin")),
    "revenue": lambda s, w: s.revenue_report(_actor(w, "super_admin")),
    "revenue at werribee": lambda s, w: s.revenue_report(
        _actor(w, "campus_manager"), campus_id=w.campus.id
    ),
    "attendance": lambda s, w: s.attendance_report(
        _actor(w, "super_admin"), date_from=date(2025, 10, 1), date_to=date(2026, 3, 31)
    ),
}


@pytest.mark.parametrize("use_case", sorted(USE_CASES))
def test_the_use_cases_answer_the_same(
    built: tuple[World, Scenario, UnitOfWorkFactory], use_case: str
) -> None:
    world, _, on_sql = built
    run = USE_CASES[use_case]

    assert run(_service(on_sql), world) == run(_service(world.make_uow), world)


def test_the_other_organisation_never_shows(
    built: tuple[World, Scenario, UnitOfWorkFactory],
) -> None:
    world, _, on_sql = built
    report = _service(on_sql).enrolment_report(
        _actor(world, "super_admin"), date_from=date(2016, 1, 1), date_to=date(2025, 12, 31)
    )
    ids = {row[0] for row in report.rows}
    with world.uow() as uow:
        mine = {e.id for e in uow.enrolments.find_many(ids)}
    assert ids == mine
    assert len(ids) == 3


def _more_families(world: World, make_uow: UnitOfWorkFactory, count: int) -> None:
    """``count`` more families, each with a child active in the world's cohort, marked at its
    first session, and a payment of this term."""
    org = world.org_id
    with make_uow(org) as uow:
        for n in range(count):
            family = m.Family(
                organisation_id=org,
                family_name=f"Family {n}",
                primary_contact_name=f"Parent {n}",
                primary_contact_email=f"parent{n}@family.example",
            )
            child = m.Student(
                organisation_id=org,
                family_id=family.id,
                first_name=f"Child {n}",
                last_name=family.family_name or "",
                date_of_birth=date(2017, 1, 1),
            )
            enrolment = m.Enrolment(
                organisation_id=org,
                student_id=child.id,
                cohort_id=world.cohort.id,
                status=m.EnrolmentStatus.ACTIVE,
                start_date=world.cohort.start_date,
                enrolment_date=datetime(2026, 1, 12, tzinfo=UTC),
            )
            uow.families.add(family)
            uow.students.add(child)
            uow.enrolments.add(enrolment)
            uow.attendance.add(
                m.Attendance(
                    organisation_id=org,
                    session_id=world.sessions[0].id,
                    student_id=child.id,
                    enrolment_id=enrolment.id,
                    status=m.AttendanceStatus.PRESENT,
                    recorded_at=datetime(2026, 2, 2, 6, tzinfo=UTC),
                )
            )
            uow.payments.add(
                m.Payment(
                    organisation_id=org,
                    family_id=family.id,
                    amount=Decimal("320.00"),
                    payment_method=m.PaymentMethod.CASH,
                    payment_date=datetime(2026, 1, 20, tzinfo=UTC),
                )
            )
        uow.commit()


def test_a_handful_of_statements_whatever_the_data(
    built: tuple[World, Scenario, UnitOfWorkFactory], database: Database
) -> None:
    world, _, on_sql = built
    actor = _actor(world, "super_admin")
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    def run() -> tuple[int, int]:
        statements.clear()
        event.listen(database.engine, "before_cursor_execute", count)
        try:
            reports = _service(on_sql)
            board = reports.dashboard(actor)
            rows = len(reports.enrolment_report(actor).rows)
            rows += len(reports.revenue_report(actor).rows)
            rows += len(
                reports.attendance_report(
                    actor, date_from=date(2026, 2, 1), date_to=date(2026, 2, 28)
                ).rows
            )
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
        return rows + board.active_enrolments.value, len(statements)

    rows, before = run()
    _more_families(world, on_sql, 25)
    more_rows, after = run()

    # a hundred more rows read and counted, with the very same statements: nothing per row
    assert more_rows == rows + 100
    assert after == before <= 30
