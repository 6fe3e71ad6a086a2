"""Lists that span families or cohorts read in a fixed number of statements (SQLite).

The invoice list of a super admin or a campus manager and the enrolment list of every kind of
reader page and count in the database: the same statements for a school of 10 families in 5
cohorts as for one of 30 families in 20 cohorts, never one per family or per cohort.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import attrs
import pytest
from sqlalchemy import event
from tests.contracts import factories as f
from tests.contracts.repository_contract import save

from rocket_adapters.clock import FixedClock
from rocket_adapters.sql import Database
from rocket_core import model as m
from rocket_core.enrolment_machine import EnrolmentStatus
from rocket_core.events import EventBus
from rocket_core.permissions import Actor
from rocket_core.services.enrolment import EnrolmentService
from rocket_core.services.invoicing import InvoicingService


@attrs.frozen
class School:
    organisation_id: UUID
    campus_id: UUID
    cohort_ids: frozenset[UUID]  # the cohorts at ``campus_id``
    families: int
    cohorts: int


def _school(database: Database, families: int, cohorts: int) -> School:
    """``families`` families, each with a child enrolled in one of ``cohorts`` cohorts (every
    other one at the first campus) and an invoice."""
    org = f.organisation()
    first, second = f.campus(org.id, name="First"), f.campus(org.id, name="Second")
    program = f.program(org.id)
    classes = [f.cohort(program, first if i % 2 == 0 else second) for i in range(cohorts)]
    entities: list[m.Entity] = [org, first, second, program, *classes]
    for i in range(families):
        family = f.family(org.id)
        child = f.student(family)
        status = EnrolmentStatus.DROPPED if i % 3 == 0 else EnrolmentStatus.ENROLLED
        dropped = {"withdrawal_date": date(2026, 1, 5), "withdrawal_reason": "Moved"}
        enrolment = f.enrolment(
            child,
            classes[i % cohorts],
            status=status,
            **(dropped if status is EnrolmentStatus.DROPPED else {}),
        )
        entities += [family, child, enrolment, f.invoice(family, enrolment)]
    save(database.unit_of_work, *entities)
    return School(
        organisation_id=org.id,
        campus_id=first.id,
        cohort_ids=frozenset(c.id for c in classes if c.campus_id == first.id),
        families=families,
        cohorts=cohorts,
    )


def _readers(school: School) -> dict[str, Actor]:
    org = school.organisation_id

    def actor(role: m.StaffRole, **scope: Any) -> Actor:
        return Actor(staff_id=uuid4(), organisation_id=org, role=role, **scope)

    return {
        "super_admin": actor(m.StaffRole.SUPER_ADMIN),
        "campus_manager": actor(m.StaffRole.CAMPUS_MANAGER, campus_ids={school.campus_id}),
        "front_desk": actor(m.StaffRole.FRONT_DESK, campus_ids={school.campus_id}),
        "lead_instructor": actor(m.StaffRole.LEAD_INSTRUCTOR, cohort_ids=school.cohort_ids),
    }


def _lists(database: Database, school: School) -> dict[str, Callable[[], int]]:
    clock = FixedClock(datetime(2026, 1, 20, 9, tzinfo=UTC))
    invoicing = InvoicingService(database.unit_of_work, clock, EventBus())
    enrolment = EnrolmentService(database.unit_of_work, clock, EventBus())
    readers = _readers(school)
    admin, manager = readers["super_admin"], readers["campus_manager"]
    campus = school.campus_id
    return {
        "invoices of a super admin": lambda: invoicing.list_invoices(admin, limit=200).total,
        "a page of them": lambda: invoicing.list_invoices(admin, limit=5, offset=5).total,
        "invoices of a campus": lambda: invoicing.list_invoices(admin, campus_id=campus).total,
        "invoices of a campus manager": lambda: invoicing.list_invoices(manager).total,
        "enrolments of a super admin": lambda: enrolment.list_enrolments(admin, limit=200).total,
        "enrolments of a campus": lambda: enrolment.list_enrolments(admin, campus_id=campus).total,
        **{
            f"enrolments of a {who}": (
                lambda reader=readers[who]: enrolment.list_enrolments(reader, limit=200).total
            )
            for who in ("campus_manager", "front_desk", "lead_instructor")
        },
    }


def _statements(database: Database, call: Callable[[], int]) -> tuple[int, int]:
    """What ``call`` returns and how many statements it sent."""
    sent: list[str] = []

    def count(*args: Any) -> None:
        sent.append(args[2])

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        found = call()
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    return found, len(sent)


@pytest.fixture
def schools(sqlite_database: Database) -> tuple[School, School]:
    return _school(sqlite_database, 10, 5), _school(sqlite_database, 30, 20)


def test_lists_send_the_same_statements_whatever_the_number_of_families_and_cohorts(
    sqlite_database: Database, schools: tuple[School, School]
) -> None:
    small, large = schools
    measured: dict[str, tuple[int, int]] = {}
    for name, call in _lists(sqlite_database, small).items():
        total, statements = _statements(sqlite_database, call)
        big_total, big_statements = _statements(
            sqlite_database, _lists(sqlite_database, large)[name]
        )
        measured[name] = (statements, big_statements)
        assert big_total > total, name  # the larger school's list is longer ...
        assert big_statements == statements, (name, measured)  # ... with the same statements
        assert statements <= 6, (name, measured)
    print(measured)  # noqa: T201
