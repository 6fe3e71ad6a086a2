"""Seats under concurrent requests on a real database.

Fifty staff requests for fifty different children hit one cohort of twenty seats at the same
moment (a threading.Barrier releases them together). The cohort lock
(``cohorts.get_for_update``: SELECT ... FOR UPDATE on Postgres, the write lock on SQLite)
serialises them: exactly twenty hold a seat, thirty wait with positions 1..30 (no duplicate,
no gap, in the order they got the lock), and ``current_enrolments`` is 20.

Postgres runs with ROCKET_TEST_DATABASE_URL (see conftest.py); SQLite always runs.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from rocket_adapters.clock import FixedClock
from rocket_adapters.sql import Database
from rocket_core import model as m
from rocket_core.events import DomainEvent, EnrolmentAwaitingPayment, EventBus
from rocket_core.model import EnrolmentStatus as S
from rocket_core.services.base import actor_for
from rocket_core.services.enrolment import EnrolmentService

CAPACITY = 20
REQUESTS = 50


def seed(database: Database) -> tuple[UUID, UUID, UUID, list[UUID]]:
    """An organisation with a super admin, a cohort of CAPACITY seats and REQUESTS enquiries:
    (organisation id, staff id, cohort id, enquiry ids)."""
    tag = uuid4().hex[:10]
    org = m.Organisation(name=f"Concurrency Academy {tag}")
    campus = m.Campus(organisation_id=org.id, name="Main")
    admin = m.Staff(
        organisation_id=org.id,
        email=f"admin-{tag}@rocket.example",
        password_hash="!no-password-set",
        first_name="Ada",
        last_name="Admin",
        role=m.StaffRole.SUPER_ADMIN,
    )
    program = m.Program(organisation_id=org.id, name="Scratch", age_min=7, age_max=10)
    cohort = m.Cohort(
        organisation_id=org.id,
        program_id=program.id,
        campus_id=campus.id,
        name="Scratch - busy",
        start_date=date(2026, 2, 2),
        end_date=date(2026, 3, 30),
        max_capacity=CAPACITY,
        status=m.CohortStatus.OPEN,
    )
    families = [
        m.Family(
            organisation_id=org.id,
            primary_contact_name=f"Parent {n}",
            primary_contact_email=f"parent{n}-{tag}@family.example",
        )
        for n in range(REQUESTS)
    ]
    students = [
        m.Student(
            organisation_id=org.id,
            family_id=family.id,
            first_name=f"Child{n}",
            last_name="Tester",
            date_of_birth=date(2017, 5, 1),
        )
        for n, family in enumerate(families)
    ]
    with database.unit_of_work(org.id) as uow:
        uow.organisations.add(org)
        uow.campuses.add(campus)
        uow.staff.add(admin)
        uow.programs.add(program)
        uow.cohorts.add(cohort)
        for family in families:
            uow.families.add(family)
        for student in students:
            uow.students.add(student)
        uow.commit()
    clock = FixedClock(datetime(2026, 1, 19, 9, 0, tzinfo=UTC))
    service = EnrolmentService(database.unit_of_work, clock, EventBus())
    actor = actor_for(database.unit_of_work, org.id, admin.id)
    enquiries = [service.enquire(actor, s.id, cohort.id).id for s in students]
    return org.id, admin.id, cohort.id, enquiries


@pytest.mark.parametrize("backend", ["postgres_database", "sqlite_database"])
def test_fifty_simultaneous_requests_fill_twenty_seats_and_queue_thirty(
    backend: str, request: pytest.FixtureRequest
) -> None:
    database: Database = request.getfixturevalue(backend)
    org_id, staff_id, cohort_id, enquiries = seed(database)
    bus = EventBus()
    awaiting: list[UUID] = []

    def invoice_wanted(event: DomainEvent) -> None:
        assert isinstance(event, EnrolmentAwaitingPayment)
        awaiting.append(event.enrolment_id)

    bus.subscribe(EnrolmentAwaitingPayment, invoice_wanted)
    service = EnrolmentService(
        database.unit_of_work, FixedClock(datetime(2026, 1, 19, 10, 0, tzinfo=UTC)), bus
    )
    actor = actor_for(database.unit_of_work, org_id, staff_id)
    barrier = threading.Barrier(REQUESTS)
    failures: list[BaseException] = []
    results: dict[UUID, m.Enrolment] = {}

    def ask(enrolment_id: UUID) -> None:
        try:
            barrier.wait(timeout=60)
            results[enrolment_id] = service.request_payment(actor, enrolment_id)
        except BaseException as error:  # reported below, with every other thread's
            failures.append(error)

    threads = [threading.Thread(target=ask, args=(e,)) for e in enquiries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    assert len(results) == REQUESTS

    with database.unit_of_work(org_id) as uow:
        cohort = uow.cohorts.get(cohort_id)
        enrolments = uow.enrolments.list_for_cohort(cohort_id)
        waiting = uow.enrolments.waitlist(cohort_id)
    holders = [e for e in enrolments if e.holds_seat]
    assert len(enrolments) == REQUESTS
    assert len(holders) == CAPACITY
    assert all(e.status is S.PENDING_PAYMENT for e in holders)
    assert (cohort.current_enrolments, cohort.status) == (CAPACITY, m.CohortStatus.FULL)
    positions = [e.waitlist_position for e in waiting]
    assert positions == list(range(1, REQUESTS - CAPACITY + 1))
    assert {e.id for e in waiting} | {e.id for e in holders} == set(enquiries)
    assert all(e.status is S.ENQUIRY for e in waiting)
    # What each caller was told matches what was saved.
    assert {e for e, r in results.items() if r.holds_seat} == {e.id for e in holders}
    assert {e: r.waitlist_position for e, r in results.items() if r.is_waitlist} == {
        e.id: e.waitlist_position for e in waiting
    }
    assert sorted(awaiting) == sorted(e.id for e in holders)
