"""A small school in memory for the service tests: one organisation, two campuses, staff of
every role with their assignments, a program, an open cohort with weekly sessions, families.

Services are built over ``world.make_uow`` with a FixedClock and an EventBus whose published
events are kept in ``world.published``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

import attrs
import pytest

from rocket_adapters.clock import FixedClock
from rocket_adapters.memory import MemoryStore
from rocket_core import model as m
from rocket_core.events import DomainEvent, EventBus
from rocket_core.permissions import Actor
from rocket_core.ports import UnitOfWork
from rocket_core.services.base import actor_for

MELBOURNE = "Australia/Melbourne"
#: The day the tests run "on": a Monday before the cohort starts.
TODAY = date(2026, 1, 19)


@attrs.define
class World:
    store: MemoryStore
    clock: FixedClock
    bus: EventBus
    published: list[DomainEvent]
    organisation: m.Organisation
    campus: m.Campus
    other_campus: m.Campus
    program: m.Program
    cohort: m.Cohort
    sessions: list[m.Session]
    staff: dict[str, m.Staff]
    family: m.Family
    child: m.Student
    sibling: m.Student
    other_family: m.Family
    other_child: m.Student

    @property
    def org_id(self) -> UUID:
        return self.organisation.id

    def make_uow(self, organisation_id: UUID) -> UnitOfWork:
        return self.store.unit_of_work(organisation_id)

    def uow(self) -> UnitOfWork:
        """A unit of work in the school's organisation (for arranging and checking)."""
        return self.store.unit_of_work(self.org_id)

    def actor(self, who: str) -> Actor:
        """The Actor of one of ``staff``: super_admin, campus_manager, other_manager,
        lead_instructor, other_instructor, teaching_assistant, front_desk."""
        return actor_for(self.make_uow, self.org_id, self.staff[who].id)

    def add(self, *entities: m.Entity) -> None:
        """Save entities directly (arrange), parents first."""
        with self.uow() as uow:
            for entity in entities:
                getattr(uow, _REPOSITORY[type(entity)]).add(entity)
            uow.commit()


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
}


def build_world() -> World:
    store = MemoryStore()
    clock = FixedClock(datetime.combine(TODAY, time(9, 0), tzinfo=UTC))
    bus = EventBus()
    published: list[DomainEvent] = []
    bus.subscribe(DomainEvent, published.append)
    org = m.Organisation(name="Rocket Academy", abn="51824753556")
    campus = m.Campus(organisation_id=org.id, name="Werribee", timezone=MELBOURNE)
    other_campus = m.Campus(organisation_id=org.id, name="Geelong", timezone=MELBOURNE)

    def person(first: str, role: m.StaffRole) -> m.Staff:
        return m.Staff(
            organisation_id=org.id,
            email=f"{first.lower()}@rocket.example",
            password_hash="!no-password-set",
            first_name=first,
            last_name="Staff",
            role=role,
        )

    staff = {
        "super_admin": person("Ada", m.StaffRole.SUPER_ADMIN),
        "campus_manager": person("Carmen", m.StaffRole.CAMPUS_MANAGER),
        "other_manager": person("Omar", m.StaffRole.CAMPUS_MANAGER),
        "lead_instructor": person("Linus", m.StaffRole.LEAD_INSTRUCTOR),
        "other_instructor": person("Grace", m.StaffRole.LEAD_INSTRUCTOR),
        "teaching_assistant": person("Tim", m.StaffRole.TEACHING_ASSISTANT),
        "front_desk": person("Fran", m.StaffRole.FRONT_DESK),
    }
    program = m.Program(
        organisation_id=org.id,
        name="Scratch Basics",
        age_min=7,
        age_max=10,
        duration_weeks=8,
        session_duration_minutes=90,
        default_price=Decimal("320.00"),
    )
    cohort = m.Cohort(
        organisation_id=org.id,
        program_id=program.id,
        campus_id=campus.id,
        name="Scratch Basics - Term 1 Mon",
        start_date=date(2026, 2, 2),
        end_date=date(2026, 2, 23),
        max_capacity=3,
        status=m.CohortStatus.OPEN,
        tuition_price=Decimal("320.00"),
    )
    sessions = [
        m.Session(
            organisation_id=org.id,
            cohort_id=cohort.id,
            session_number=n + 1,
            scheduled_date=cohort.start_date + timedelta(weeks=n),
            scheduled_start_time=time(16, 0),
            scheduled_end_time=time(17, 30),
            lead_instructor_id=staff["lead_instructor"].id,
        )
        for n in range(4)
    ]
    family = m.Family(
        organisation_id=org.id,
        family_name="Nguyen",
        primary_contact_name="Mai Nguyen",
        primary_contact_email="mai@family.example",
    )
    child = m.Student(
        organisation_id=org.id,
        family_id=family.id,
        first_name="Kim",
        last_name="Nguyen",
        date_of_birth=date(2017, 5, 1),
    )
    sibling = m.Student(
        organisation_id=org.id,
        family_id=family.id,
        first_name="An",
        last_name="Nguyen",
        date_of_birth=date(2018, 3, 9),
    )
    other_family = m.Family(
        organisation_id=org.id,
        family_name="Smith",
        primary_contact_name="Jo Smith",
        primary_contact_email="jo@family.example",
    )
    other_child = m.Student(
        organisation_id=org.id,
        family_id=other_family.id,
        first_name="Alex",
        last_name="Smith",
        date_of_birth=date(2016, 11, 20),
    )
    assignments: list[m.Entity] = [
        m.CampusStaff(organisation_id=org.id, campus_id=campus.id, staff_id=staff[who].id)
        for who in ("campus_manager", "lead_instructor", "teaching_assistant", "front_desk")
    ]
    assignments += [
        m.CampusStaff(organisation_id=org.id, campus_id=other_campus.id, staff_id=staff[who].id)
        for who in ("other_manager", "other_instructor")
    ]
    assignments += [
        m.CohortStaff(
            organisation_id=org.id,
            cohort_id=cohort.id,
            staff_id=staff["lead_instructor"].id,
            role=m.CohortStaffRole.LEAD_INSTRUCTOR,
        ),
        m.CohortStaff(
            organisation_id=org.id,
            cohort_id=cohort.id,
            staff_id=staff["teaching_assistant"].id,
            role=m.CohortStaffRole.TEACHING_ASSISTANT,
        ),
    ]
    world = World(
        store=store,
        clock=clock,
        bus=bus,
        published=published,
        organisation=org,
        campus=campus,
        other_campus=other_campus,
        program=program,
        cohort=cohort,
        sessions=sessions,
        staff=staff,
        family=family,
        child=child,
        sibling=sibling,
        other_family=other_family,
        other_child=other_child,
    )
    with store.unit_of_work(org.id) as uow:
        uow.organisations.add(org)
        uow.commit()
    world.add(
        campus,
        other_campus,
        *staff.values(),
        program,
        cohort,
        *sessions,
        family,
        child,
        sibling,
        other_family,
        other_child,
        *assignments,
    )
    return world


@pytest.fixture
def world() -> World:
    return build_world()
