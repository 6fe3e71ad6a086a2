"""SchedulingService: programs, cohorts, capacity, rescheduling and cancelling sessions, and
who teaches them (double-booking at any campus); every rule, every bad input and the
permission walk of each use case. Session generation: test_session_generation.py.

The world's cohort meets on Mondays 2, 9, 16 and 23 February 2026, 16:00-17:30 at Werribee
(Melbourne), led by Linus with Tim assisting; the clock says Monday 19 January.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from tests.unit.services.conftest import MELBOURNE, TODAY, World
from tests.unit.services.helpers import (
    ROLES,
    add_cohort,
    elsewhere,
    snapshot,
    sorted_audit_actions,
    walk,
    work_at_werribee,
)

from rocket_core import model as m
from rocket_core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationError
from rocket_core.events import (
    MakeupTokenIssued,
    SessionCancelled,
    SessionRescheduled,
)
from rocket_core.services.scheduling import SchedulingService

SUPER_ADMIN_ONLY = {"super_admin"}
COHORT_MANAGERS = {"super_admin", "campus_manager"}
S = m.EnrolmentStatus


@pytest.fixture
def service(world: World) -> SchedulingService:
    return SchedulingService(world.make_uow, world.clock, world.bus)


# -- helpers ---------------------------------------------------------------------------------


def load(world: World, cls: type[Any], entity_id: UUID) -> Any:
    with world.uow() as uow:
        return uow.__getattribute__(_REPO[cls]).get(entity_id)


_REPO = {
    m.Cohort: "cohorts",
    m.Session: "sessions",
    m.Program: "programs",
    m.Enrolment: "enrolments",
    m.Campus: "campuses",
}


def sessions_of(world: World, cohort_id: UUID) -> list[m.Session]:
    with world.uow() as uow:
        return uow.sessions.list_for_cohort(cohort_id)


def student(world: World, first: str) -> m.Student:
    child = m.Student(
        organisation_id=world.org_id,
        family_id=world.other_family.id,
        first_name=first,
        last_name="Smith",
        date_of_birth=date(2017, 1, 1),
    )
    world.add(child)
    return child


def enrol(world: World, child: m.Student, status: m.EnrolmentStatus, **fields: Any) -> m.Enrolment:
    """An enrolment of ``child`` in the world's cohort, counted in its seats if it holds one."""
    enrolment = m.Enrolment(
        organisation_id=world.org_id,
        student_id=child.id,
        cohort_id=world.cohort.id,
        status=status,
        **fields,
    )
    with world.uow() as uow:
        if enrolment.holds_seat:
            uow.cohorts.get(world.cohort.id).take_seat()
        uow.enrolments.add(enrolment)
        uow.commit()
    return enrolment


def draft_cohort(world: World, *, sessions: int = 2) -> m.Cohort:
    """A draft Wednesday cohort at Werribee, 4-25 February, with ``sessions`` sessions."""
    return add_cohort(
        world,
        name="Scratch Basics - Term 1 Wed",
        status=m.CohortStatus.DRAFT,
        capacity=10,
        sessions=sessions,
        end=date(2026, 2, 25),
        times=(time(16, 0), time(17, 0)),
    )


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- programs --------------------------------------------------------------------------------


def test_super_admin_creates_a_program(world: World, service: SchedulingService) -> None:
    program = service.create_program(
        world.actor("super_admin"),
        name="Python Fundamentals",
        description="Variables, loops, functions.",
        age_min=10,
        age_max=13,
        skill_level=m.SkillLevel.BEGINNER,
        duration_weeks=10,
        session_duration_minutes=90,
        default_price=Decimal("420.00"),
    )
    stored = load(world, m.Program, program.id)
    assert (stored.name, stored.age_min, stored.age_max, stored.default_price) == (
        "Python Fundamentals",
        10,
        13,
        Decimal("420.00"),
    )
    assert stored.is_active
    assert sorted_audit_actions(world, program.id) == ["program.create"]


@pytest.mark.parametrize(
    ("fields", "error", "match"),
    [
        ({"age_min": 12, "age_max": 9}, ValidationError, "Program.age_min"),
        ({"default_price": 420.0}, ValidationError, "Program.default_price"),
        ({"session_duration_minutes": 0}, ValidationError, "Program.session_duration_minutes"),
        ({"name": "SCRATCH basics"}, Conflict, "already a program named 'Scratch Basics'"),
        ({"skill_tree_id": uuid4()}, NotFound, "SkillTree"),
    ],
)
def test_bad_programs_are_refused_and_nothing_is_written(
    world: World,
    service: SchedulingService,
    fields: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    before = snapshot(world)
    with pytest.raises(error, match=match):
        service.create_program(world.actor("super_admin"), **{"name": "Python", **fields})
    assert snapshot(world) == before


@pytest.mark.parametrize("who", ROLES)
def test_programs_are_organisation_wide_so_only_super_admins_create_them(
    world: World, service: SchedulingService, who: str
) -> None:
    walk(world, who, SUPER_ADMIN_ONLY, lambda a: service.create_program(a, name="Python"))


def test_a_program_update_leaves_existing_cohorts_alone(
    world: World, service: SchedulingService
) -> None:
    program = service.update_program(
        world.actor("super_admin"), world.program.id, default_price=Decimal("350.00"), age_max=11
    )
    assert (program.default_price, program.age_max) == (Decimal("350.00"), 11)
    assert load(world, m.Cohort, world.cohort.id).tuition_price == Decimal("320.00")
    with world.uow() as uow:
        [entry] = uow.audit.list_for_entity(world.program.id)
    assert entry.changes == {"default_price": ["320.00", "350.00"], "age_max": [10, 11]}


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"age_min": 11}, ValidationError),
        ({"is_active": False}, ValidationError),
        ({"skill_tree_id": uuid4()}, NotFound),
    ],
)
def test_bad_program_updates_are_refused(
    world: World, service: SchedulingService, changes: dict[str, Any], error: type[Exception]
) -> None:
    before = snapshot(world)
    with pytest.raises(error):
        service.update_program(world.actor("super_admin"), world.program.id, **changes)
    assert snapshot(world) == before


@pytest.mark.parametrize("who", ROLES)
def test_only_super_admins_update_programs(
    world: World, service: SchedulingService, who: str
) -> None:
    walk(
        world,
        who,
        SUPER_ADMIN_ONLY,
        lambda a: service.update_program(a, world.program.id, description="New words"),
    )


def test_an_inactive_program_takes_no_new_cohorts(world: World, service: SchedulingService) -> None:
    service.deactivate_program(world.actor("super_admin"), world.program.id)
    with pytest.raises(Conflict, match="already inactive"):
        service.deactivate_program(world.actor("super_admin"), world.program.id)
    with pytest.raises(Conflict, match="Program Scratch Basics is inactive"):
        service.create_cohort(
            world.actor("campus_manager"),
            program_id=world.program.id,
            campus_id=world.campus.id,
            name="Term 2",
            start_date=date(2026, 4, 20),
            max_capacity=8,
        )


@pytest.mark.parametrize("who", ROLES)
def test_only_super_admins_deactivate_programs(
    world: World, service: SchedulingService, who: str
) -> None:
    walk(world, who, SUPER_ADMIN_ONLY, lambda a: service.deactivate_program(a, world.program.id))


# -- cohorts ---------------------------------------------------------------------------------


def test_a_cohort_inherits_the_programs_defaults(world: World, service: SchedulingService) -> None:
    cohort = service.create_cohort(
        world.actor("campus_manager"),
        program_id=world.program.id,
        campus_id=world.campus.id,
        name="Scratch Basics - Term 2 Wed",
        start_date=date(2026, 4, 22),
        max_capacity=8,
    )
    stored = load(world, m.Cohort, cohort.id)
    assert stored.status is m.CohortStatus.DRAFT
    assert stored.tuition_price == Decimal("320.00")  # the program's default price
    assert stored.end_date == date(2026, 6, 16)  # 8 weeks from Wednesday 22 April
    assert (stored.current_enrolments, stored.max_capacity, stored.room) == (0, 8, None)
    assert sorted_audit_actions(world, cohort.id) == ["cohort.create"]


def test_a_cohorts_defaults_are_overridable(world: World, service: SchedulingService) -> None:
    cohort = service.create_cohort(
        world.actor("super_admin"),
        program_id=world.program.id,
        campus_id=world.other_campus.id,
        name="Scratch Basics - Holiday camp",
        start_date=date(2026, 4, 7),
        end_date=date(2026, 4, 10),
        max_capacity=12,
        tuition_price=Decimal("199.00"),
        room="Lab 2",
    )
    assert (cohort.end_date, cohort.tuition_price, cohort.room) == (
        date(2026, 4, 10),
        Decimal("199.00"),
        "Lab 2",
    )


def test_a_cohort_of_a_program_without_length_needs_an_end_date(
    world: World, service: SchedulingService
) -> None:
    program = service.create_program(world.actor("super_admin"), name="Open Lab")
    with pytest.raises(ValidationError, match=r"Cohort\.end_date: is required"):
        service.create_cohort(
            world.actor("super_admin"),
            program_id=program.id,
            campus_id=world.campus.id,
            name="Open Lab Fridays",
            start_date=date(2026, 2, 6),
            max_capacity=8,
        )
    cohort = service.create_cohort(
        world.actor("super_admin"),
        program_id=program.id,
        campus_id=world.campus.id,
        name="Open Lab Fridays",
        start_date=date(2026, 2, 6),
        end_date=date(2026, 3, 27),
        max_capacity=8,
    )
    assert cohort.tuition_price is None


@pytest.mark.parametrize(
    ("fields", "error", "match"),
    [
        ({"start_date": date(2026, 1, 18)}, ValidationError, "Cohort.start_date: must not be in"),
        (
            {"start_date": date(2026, 3, 2), "end_date": date(2026, 3, 1)},
            ValidationError,
            "Cohort.start_date: must not be after end_date",
        ),
        ({"max_capacity": 0}, ValidationError, "Cohort.max_capacity"),
        ({"name": ""}, ValidationError, "Cohort.name"),
        ({"tuition_price": Decimal("1.234")}, ValidationError, "Cohort.tuition_price"),
        ({"start_date": "2026-03-02"}, ValidationError, "Cohort.start_date"),
        ({"program_id": uuid4()}, NotFound, "Program"),
        ({"campus_id": uuid4()}, NotFound, "Campus"),
    ],
)
def test_bad_cohorts_are_refused_and_nothing_is_written(
    world: World,
    service: SchedulingService,
    fields: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    details: dict[str, Any] = {
        "program_id": world.program.id,
        "campus_id": world.campus.id,
        "name": "Term 2",
        "start_date": date(2026, 3, 2),
        "max_capacity": 8,
    }
    before = snapshot(world)
    with pytest.raises(error, match=match):
        service.create_cohort(world.actor("super_admin"), **{**details, **fields})
    assert snapshot(world) == before


def test_an_inactive_campus_takes_no_new_cohort(world: World, service: SchedulingService) -> None:
    with world.uow() as uow:
        uow.campuses.get(world.campus.id).deactivate()
        uow.commit()
    before = snapshot(world)
    with pytest.raises(Conflict, match="Campus Werribee is inactive: it takes no new cohorts"):
        service.create_cohort(
            world.actor("super_admin"),
            program_id=world.program.id,
            campus_id=world.campus.id,
            name="Term 2",
            start_date=date(2026, 4, 20),
            max_capacity=8,
        )
    assert snapshot(world) == before


def test_the_start_date_is_today_at_the_campus(world: World, service: SchedulingService) -> None:
    # 09:00 UTC on 19 January is 20:00 in Melbourne but 17:00 in Perth: both the 19th. At
    # 14:00 UTC it is already the 20th in Melbourne.
    world.clock.set(at(2026, 1, 19, 14))
    with pytest.raises(ValidationError, match="in the past"):
        service.create_cohort(
            world.actor("super_admin"),
            program_id=world.program.id,
            campus_id=world.campus.id,
            name="Starts today?",
            start_date=date(2026, 1, 19),
            max_capacity=8,
        )


@pytest.mark.parametrize("who", ROLES)
def test_cohorts_are_created_by_managers_of_their_campus(
    world: World, service: SchedulingService, who: str
) -> None:
    walk(
        world,
        who,
        COHORT_MANAGERS,
        lambda a: service.create_cohort(
            a,
            program_id=world.program.id,
            campus_id=world.campus.id,
            name="Term 2",
            start_date=date(2026, 4, 20),
            max_capacity=8,
        ),
    )


def test_a_campus_manager_creates_cohorts_at_their_own_campus_only(
    world: World, service: SchedulingService
) -> None:
    with pytest.raises(Forbidden, match="campuses they are assigned to"):
        service.create_cohort(
            world.actor("campus_manager"),
            program_id=world.program.id,
            campus_id=world.other_campus.id,
            name="Term 2",
            start_date=date(2026, 4, 20),
            max_capacity=8,
        )


def test_a_cohort_is_updated_within_its_sessions_dates(
    world: World, service: SchedulingService
) -> None:
    manager = world.actor("campus_manager")
    cohort = service.update_cohort(
        manager, world.cohort.id, end_date=date(2026, 3, 2), room="Lab 1"
    )
    assert (cohort.end_date, cohort.room) == (date(2026, 3, 2), "Lab 1")
    before = snapshot(world)
    with pytest.raises(ValidationError, match="session 4 on 2026-02-23 would fall outside"):
        service.update_cohort(manager, world.cohort.id, end_date=date(2026, 2, 20))
    with pytest.raises(ValidationError, match=r"Cohort\.status: cannot be changed here"):
        service.update_cohort(manager, world.cohort.id, status=m.CohortStatus.FULL)
    with pytest.raises(ValidationError, match=r"Cohort\.max_capacity: cannot be changed here"):
        service.update_cohort(manager, world.cohort.id, max_capacity=1)
    assert snapshot(world) == before


@pytest.mark.parametrize("who", ROLES)
def test_cohorts_are_updated_by_managers_of_their_campus(
    world: World, service: SchedulingService, who: str
) -> None:
    walk(world, who, COHORT_MANAGERS, lambda a: service.update_cohort(a, world.cohort.id, room="2"))


def test_a_draft_cohort_with_sessions_opens(world: World, service: SchedulingService) -> None:
    draft = draft_cohort(world)
    cohort = service.open_cohort(world.actor("campus_manager"), draft.id)
    assert cohort.status is m.CohortStatus.OPEN
    assert load(world, m.Cohort, draft.id).status is m.CohortStatus.OPEN
    assert sorted_audit_actions(world, draft.id) == ["cohort.open"]
    with pytest.raises(InvalidTransition, match="cannot open from status 'open'"):
        service.open_cohort(world.actor("campus_manager"), draft.id)


def test_a_cohort_without_sessions_or_campus_does_not_open(
    world: World, service: SchedulingService
) -> None:
    empty = draft_cohort(world, sessions=0)
    with pytest.raises(Conflict, match="has no sessions yet"):
        service.open_cohort(world.actor("super_admin"), empty.id)
    ready = draft_cohort(world)
    with world.uow() as uow:
        uow.campuses.get(world.campus.id).deactivate()
        uow.commit()
    with pytest.raises(Conflict, match="inactive"):
        service.open_cohort(world.actor("super_admin"), ready.id)
    assert load(world, m.Cohort, ready.id).status is m.CohortStatus.DRAFT


def test_a_cohort_past_its_end_does_not_open(world: World, service: SchedulingService) -> None:
    ready = draft_cohort(world)
    world.clock.set(at(2026, 3, 1, 0))
    with pytest.raises(Conflict, match="ended on 2026-02-25"):
        service.open_cohort(world.actor("super_admin"), ready.id)


@pytest.mark.parametrize("who", ROLES)
def test_cohorts_are_opened_by_managers_of_their_campus(
    world: World, service: SchedulingService, who: str
) -> None:
    draft = draft_cohort(world)
    walk(world, who, COHORT_MANAGERS, lambda a: service.open_cohort(a, draft.id))


def test_a_cohort_without_live_enrolments_is_cancelled_with_its_upcoming_sessions(
    world: World, service: SchedulingService
) -> None:
    enrol(world, world.child, S.DROPPED, withdrawal_date=date(2026, 1, 10), withdrawal_reason="x")
    with world.uow() as uow:  # session 1 was held
        uow.sessions.get(world.sessions[0].id).complete()
        uow.commit()
    world.clock.set(at(2026, 2, 3, 0))
    result = service.cancel_cohort(
        world.actor("campus_manager"), world.cohort.id, reason="Too few students"
    )
    assert result.cohort.status is m.CohortStatus.CANCELLED
    assert [s.session_number for s in result.cancelled_sessions] == [2, 3, 4]
    stored = sessions_of(world, world.cohort.id)
    assert [s.status for s in stored] == [
        m.SessionStatus.COMPLETED,
        *[m.SessionStatus.CANCELLED] * 3,
    ]
    assert stored[1].cancellation_reason == "Cohort cancelled: Too few students"
    assert load(world, m.Cohort, world.cohort.id).status is m.CohortStatus.CANCELLED
    with world.uow() as uow:
        [entry] = uow.audit.list_for_entity(world.cohort.id)
    assert entry.changes["status"] == ["open", "cancelled"]
    with pytest.raises(InvalidTransition):
        service.cancel_cohort(world.actor("campus_manager"), world.cohort.id, reason="Again")


@pytest.mark.parametrize("status", [S.ENQUIRY, S.TRIAL, S.PENDING_PAYMENT, S.ENROLLED, S.ACTIVE])
def test_a_cohort_with_live_enrolments_is_not_cancelled(
    world: World, service: SchedulingService, status: m.EnrolmentStatus
) -> None:
    enrol(world, world.child, status)
    before = snapshot(world)
    with pytest.raises(Conflict, match=r"1 live enrolment.*drop or transfer them first"):
        service.cancel_cohort(world.actor("super_admin"), world.cohort.id, reason="Closing")
    assert snapshot(world) == before


def test_cancelling_a_cohort_needs_a_reason(world: World, service: SchedulingService) -> None:
    with pytest.raises(ValidationError, match=r"Cohort\.cancellation_reason: is required"):
        service.cancel_cohort(world.actor("super_admin"), world.cohort.id, reason="  ")


@pytest.mark.parametrize("who", ROLES)
def test_cohorts_are_cancelled_by_managers_of_their_campus(
    world: World, service: SchedulingService, who: str
) -> None:
    walk(
        world,
        who,
        COHORT_MANAGERS,
        lambda a: service.cancel_cohort(a, world.cohort.id, reason="Closing"),
    )


# -- capacity --------------------------------------------------------------------------------


def test_a_new_lead_replaces_the_old_one_on_upcoming_sessions(
    world: World, service: SchedulingService
) -> None:
    work_at_werribee(world, "other_instructor")
    with world.uow() as uow:  # session 1 was held under Linus
        uow.sessions.get(world.sessions[0].id).complete()
        uow.commit()
    grace = world.staff["other_instructor"]
    assignment = service.assign_cohort_staff(
        world.actor("campus_manager"),
        world.cohort.id,
        grace.id,
        m.CohortStaffRole.LEAD_INSTRUCTOR,
    )
    assert (assignment.staff_id, assignment.role) == (grace.id, m.CohortStaffRole.LEAD_INSTRUCTOR)
    leads = [s.lead_instructor_id for s in sessions_of(world, world.cohort.id)]
    assert leads == [world.staff["lead_instructor"].id, grace.id, grace.id, grace.id]
    with world.uow() as uow:
        staff = {(a.staff_id, a.role) for a in uow.cohort_staff.list_for_cohort(world.cohort.id)}
    assert staff == {
        (grace.id, m.CohortStaffRole.LEAD_INSTRUCTOR),
        (world.staff["teaching_assistant"].id, m.CohortStaffRole.TEACHING_ASSISTANT),
    }
    assert world.actor("other_instructor").cohort_ids == {world.cohort.id}
    assert world.actor("lead_instructor").cohort_ids == frozenset()
    assert sorted_audit_actions(world, assignment.id) == ["cohort_staff.assign"]


def test_an_assistant_of_the_cohort_is_promoted_to_lead(
    world: World, service: SchedulingService
) -> None:
    tim = world.staff["teaching_assistant"]
    with world.uow() as uow:
        uow.staff.get(tim.id).update(role=m.StaffRole.LEAD_INSTRUCTOR)
        uow.commit()
    service.assign_cohort_staff(
        world.actor("super_admin"), world.cohort.id, tim.id, m.CohortStaffRole.LEAD_INSTRUCTOR
    )
    with world.uow() as uow:
        staff = [(a.staff_id, a.role) for a in uow.cohort_staff.list_for_cohort(world.cohort.id)]
    assert staff == [(tim.id, m.CohortStaffRole.LEAD_INSTRUCTOR)]
    assert {s.lead_instructor_id for s in sessions_of(world, world.cohort.id)} == {tim.id}


def test_an_assistant_joins_a_cohort(world: World, service: SchedulingService) -> None:
    work_at_werribee(world, "other_instructor")
    grace = world.staff["other_instructor"]
    assignment = service.assign_cohort_staff(
        world.actor("campus_manager"),
        world.cohort.id,
        grace.id,
        m.CohortStaffRole.TEACHING_ASSISTANT,
    )
    assert assignment.role is m.CohortStaffRole.TEACHING_ASSISTANT
    leads = {s.lead_instructor_id for s in sessions_of(world, world.cohort.id)}
    assert leads == {world.staff["lead_instructor"].id}


@pytest.mark.parametrize(
    ("who", "role", "error", "match"),
    [
        ("front_desk", m.CohortStaffRole.TEACHING_ASSISTANT, ValidationError, "front_desk cannot"),
        ("teaching_assistant", m.CohortStaffRole.LEAD_INSTRUCTOR, Conflict, "already assigned"),
        ("lead_instructor", m.CohortStaffRole.LEAD_INSTRUCTOR, Conflict, "already leads"),
        ("lead_instructor", m.CohortStaffRole.TEACHING_ASSISTANT, Conflict, "already assigned"),
        ("other_instructor", m.CohortStaffRole.TEACHING_ASSISTANT, Conflict, "does not work at"),
        ("campus_manager", "janitor", ValidationError, "CohortStaff.role"),
    ],
)
def test_bad_cohort_assignments_are_refused_and_nothing_is_written(
    world: World,
    service: SchedulingService,
    who: str,
    role: Any,
    error: type[Exception],
    match: str,
) -> None:
    if who == "teaching_assistant":  # a TA cannot lead: the role check comes first
        match = "teaching_assistant cannot be a lead instructor"
        error = ValidationError
    before = snapshot(world)
    with pytest.raises(error, match=match):
        service.assign_cohort_staff(
            world.actor("super_admin"), world.cohort.id, world.staff[who].id, role
        )
    assert snapshot(world) == before


def test_deactivated_staff_are_not_assigned(world: World, service: SchedulingService) -> None:
    work_at_werribee(world, "other_instructor")
    with world.uow() as uow:
        uow.staff.get(world.staff["other_instructor"].id).deactivate()
        uow.commit()
    with pytest.raises(Conflict, match="deactivated"):
        service.assign_cohort_staff(
            world.actor("super_admin"),
            world.cohort.id,
            world.staff["other_instructor"].id,
            m.CohortStaffRole.TEACHING_ASSISTANT,
        )


def test_a_lead_double_booked_at_another_campus_is_refused_with_a_clear_message(
    world: World, service: SchedulingService
) -> None:
    work_at_werribee(world, "other_instructor")
    # Grace teaches at Geelong on Monday 16 February 17:00-18:00: session 3 is 16:00-17:30.
    elsewhere(world, "other_instructor", date(2026, 2, 16), time(17, 0), time(18, 0))
    before = snapshot(world)
    with pytest.raises(Conflict) as info:
        service.assign_cohort_staff(
            world.actor("campus_manager"),
            world.cohort.id,
            world.staff["other_instructor"].id,
            m.CohortStaffRole.LEAD_INSTRUCTOR,
        )
    message = str(info.value)
    assert "Grace Staff would be double-booked" in message
    assert "Scratch Basics - Geelong Mon" in message
    assert "Mon 16 Feb 2026 17:00-18:00" in message
    assert "Geelong" in message
    assert snapshot(world) == before


def test_an_assistant_double_booked_elsewhere_is_refused(
    world: World, service: SchedulingService
) -> None:
    work_at_werribee(world, "other_instructor")
    elsewhere(world, "other_instructor", date(2026, 2, 23), time(15, 0), time(16, 1), as_lead=False)
    with pytest.raises(Conflict, match="Mon 23 Feb 2026 15:00-16:01"):
        service.assign_cohort_staff(
            world.actor("super_admin"),
            world.cohort.id,
            world.staff["other_instructor"].id,
            m.CohortStaffRole.TEACHING_ASSISTANT,
        )


def test_back_to_back_and_cancelled_sessions_are_no_double_booking(
    world: World, service: SchedulingService
) -> None:
    work_at_werribee(world, "other_instructor")
    elsewhere(world, "other_instructor", date(2026, 2, 2), time(17, 30), time(18, 30))
    elsewhere(world, "other_instructor", date(2026, 2, 9), time(14, 30), time(16, 0))
    _, clash = elsewhere(world, "other_instructor", date(2026, 2, 16), time(16, 0), time(17, 0))
    with world.uow() as uow:
        uow.sessions.get(clash.id).cancel("Venue flooded")
        uow.commit()
    service.assign_cohort_staff(
        world.actor("super_admin"),
        world.cohort.id,
        world.staff["other_instructor"].id,
        m.CohortStaffRole.TEACHING_ASSISTANT,
    )


def test_past_sessions_are_not_checked_for_double_booking(
    world: World, service: SchedulingService
) -> None:
    work_at_werribee(world, "other_instructor")
    elsewhere(world, "other_instructor", date(2026, 2, 2), time(16, 0), time(17, 0))
    world.clock.set(at(2026, 2, 3, 0))  # session 1 is over
    service.assign_cohort_staff(
        world.actor("super_admin"),
        world.cohort.id,
        world.staff["other_instructor"].id,
        m.CohortStaffRole.TEACHING_ASSISTANT,
    )


def test_double_booking_compares_instants_across_time_zones(
    world: World, service: SchedulingService
) -> None:
    perth = m.Campus(organisation_id=world.org_id, name="Perth", timezone="Australia/Perth")
    world.add(perth)
    work_at_werribee(world, "other_instructor")
    # 13:00-14:00 in Perth (UTC+8) is 16:00-17:00 in Melbourne (UTC+11 in February).
    elsewhere(world, "other_instructor", date(2026, 2, 9), time(13, 0), time(14, 0), campus=perth)
    with pytest.raises(Conflict, match="at Perth on Mon 09 Feb 2026 13:00-14:00"):
        service.assign_cohort_staff(
            world.actor("super_admin"),
            world.cohort.id,
            world.staff["other_instructor"].id,
            m.CohortStaffRole.TEACHING_ASSISTANT,
        )


@pytest.mark.parametrize("who", ROLES)
def test_instructors_are_assigned_by_managers_of_the_campus(
    world: World, service: SchedulingService, who: str
) -> None:
    work_at_werribee(world, "other_instructor")
    walk(
        world,
        who,
        COHORT_MANAGERS,
        lambda a: service.assign_cohort_staff(
            a,
            world.cohort.id,
            world.staff["other_instructor"].id,
            m.CohortStaffRole.TEACHING_ASSISTANT,
        ),
    )


def test_an_outgoing_lead_stops_leading_upcoming_sessions(
    world: World, service: SchedulingService
) -> None:
    linus = world.staff["lead_instructor"]
    removed = service.unassign_cohort_staff(
        world.actor("campus_manager"), world.cohort.id, linus.id
    )
    assert removed.role is m.CohortStaffRole.LEAD_INSTRUCTOR
    assert {s.lead_instructor_id for s in sessions_of(world, world.cohort.id)} == {None}
    assert world.actor("lead_instructor").cohort_ids == frozenset()
    with world.uow() as uow:
        [entry] = uow.audit.list_for_entity(removed.id)
    assert entry.changes["sessions_without_lead"] == 4
    with pytest.raises(NotFound, match="CohortStaff"):
        service.unassign_cohort_staff(world.actor("campus_manager"), world.cohort.id, linus.id)


@pytest.mark.parametrize("who", ROLES)
def test_instructors_are_unassigned_by_managers_of_the_campus(
    world: World, service: SchedulingService, who: str
) -> None:
    walk(
        world,
        who,
        COHORT_MANAGERS,
        lambda a: service.unassign_cohort_staff(
            a, world.cohort.id, world.staff["teaching_assistant"].id
        ),
    )


def test_an_assistant_helps_at_one_session(world: World, service: SchedulingService) -> None:
    work_at_werribee(world, "other_instructor")
    grace = world.staff["other_instructor"]
    session = world.sessions[2]
    assignment = service.assign_session_assistant(
        world.actor("campus_manager"), session.id, grace.id
    )
    assert (assignment.session_id, assignment.staff_id) == (session.id, grace.id)
    actor = world.actor("other_instructor")
    assert actor.session_ids == {session.id}
    assert actor.cohort_ids == frozenset()
    assert sorted_audit_actions(world, assignment.id) == ["session_staff.assign"]
    with pytest.raises(Conflict, match="already teaches session 3"):
        service.assign_session_assistant(world.actor("campus_manager"), session.id, grace.id)
    removed = service.unassign_session_assistant(
        world.actor("campus_manager"), session.id, grace.id
    )
    assert removed.id == assignment.id
    assert world.actor("other_instructor").session_ids == frozenset()
    with pytest.raises(NotFound, match="SessionStaff"):
        service.unassign_session_assistant(world.actor("campus_manager"), session.id, grace.id)


def test_a_session_assistant_is_checked_for_double_booking(
    world: World, service: SchedulingService
) -> None:
    work_at_werribee(world, "other_instructor")
    elsewhere(world, "other_instructor", date(2026, 2, 9), time(17, 0), time(18, 0))
    before = snapshot(world)
    with pytest.raises(Conflict, match="Grace Staff would be double-booked"):
        service.assign_session_assistant(
            world.actor("super_admin"), world.sessions[1].id, world.staff["other_instructor"].id
        )
    assert snapshot(world) == before
    service.assign_session_assistant(
        world.actor("super_admin"), world.sessions[2].id, world.staff["other_instructor"].id
    )


@pytest.mark.parametrize(
    ("who", "error", "match"),
    [
        ("teaching_assistant", Conflict, "already teaches"),
        ("lead_instructor", Conflict, "already teaches"),
        ("front_desk", ValidationError, "front_desk cannot be a teaching assistant"),
        ("other_instructor", Conflict, "does not work at Werribee"),
    ],
)
def test_bad_session_assistants_are_refused(
    world: World, service: SchedulingService, who: str, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        service.assign_session_assistant(
            world.actor("super_admin"), world.sessions[0].id, world.staff[who].id
        )


def test_a_cancelled_session_takes_no_assistant(world: World, service: SchedulingService) -> None:
    work_at_werribee(world, "other_instructor")
    with world.uow() as uow:
        uow.sessions.get(world.sessions[0].id).cancel("Storm")
        uow.commit()
    with pytest.raises(InvalidTransition, match="assign an assistant"):
        service.assign_session_assistant(
            world.actor("super_admin"), world.sessions[0].id, world.staff["other_instructor"].id
        )


@pytest.mark.parametrize("who", ROLES)
def test_session_assistants_are_assigned_by_managers_of_the_campus(
    world: World, service: SchedulingService, who: str
) -> None:
    work_at_werribee(world, "other_instructor")
    walk(
        world,
        who,
        COHORT_MANAGERS,
        lambda a: service.assign_session_assistant(
            a, world.sessions[1].id, world.staff["other_instructor"].id
        ),
    )


@pytest.mark.parametrize("who", ROLES)
def test_session_assistants_are_removed_by_managers_of_the_campus(
    world: World, service: SchedulingService, who: str
) -> None:
    work_at_werribee(world, "other_instructor")
    service.assign_session_assistant(
        world.actor("super_admin"), world.sessions[1].id, world.staff["other_instructor"].id
    )
    walk(
        world,
        who,
        COHORT_MANAGERS,
        lambda a: service.unassign_session_assistant(
            a, world.sessions[1].id, world.staff["other_instructor"].id
        ),
    )


# -- cancelling a session --------------------------------------------------------------------


def test_a_cancelled_session_gives_each_seat_holder_a_makeup_token(
    world: World, service: SchedulingService
) -> None:
    active = enrol(world, world.child, S.ACTIVE, start_date=date(2026, 2, 2))
    enrolled = enrol(world, world.sibling, S.ENROLLED)
    pending = enrol(world, world.other_child, S.PENDING_PAYMENT)
    enrol(world, student(world, "Ari"), S.ENQUIRY)
    enrol(world, student(world, "Bo"), S.DROPPED, withdrawal_date=TODAY, withdrawal_reason="x")
    session = world.sessions[1]
    trial = enrol(world, student(world, "Cy"), S.TRIAL, is_trial=True, trial_session_id=session.id)
    world.published.clear()
    result = service.cancel_session(
        world.actor("campus_manager"), session.id, reason="Instructor unwell"
    )
    assert result.session.status is m.SessionStatus.CANCELLED
    stored = load(world, m.Session, session.id)
    assert (stored.status, stored.cancellation_reason) == (
        m.SessionStatus.CANCELLED,
        "Instructor unwell",
    )
    assert {t.enrolment_id for t in result.tokens} == {active.id, enrolled.id, pending.id}
    token = result.tokens[0]
    assert token.source_session_id == session.id
    assert token.program_id == world.program.id
    assert token.issued_on == date(2026, 1, 19)
    assert "Instructor unwell" in token.reason
    assert [e.id for e in result.trial_enrolments] == [trial.id]
    for enrolment in (active, enrolled, pending):
        assert load(world, m.Enrolment, enrolment.id).makeup_tokens == 1
    cancelled = [e for e in world.published if isinstance(e, SessionCancelled)]
    assert cancelled == [
        SessionCancelled(
            organisation_id=world.org_id,
            session_id=session.id,
            cohort_id=world.cohort.id,
            reason="Instructor unwell",
        )
    ]
    assert sum(isinstance(e, MakeupTokenIssued) for e in world.published) == 3
    with world.uow() as uow:
        [entry] = uow.audit.list_for_entity(session.id)
    assert entry.action == "session.cancel"
    assert entry.changes["makeup_tokens"] == 3


def test_a_late_joiner_gets_no_token_for_a_session_before_they_started(
    world: World, service: SchedulingService
) -> None:
    enrol(world, world.child, S.ACTIVE, start_date=date(2026, 2, 16))
    result = service.cancel_session(
        world.actor("super_admin"), world.sessions[1].id, reason="Power cut"
    )
    assert result.tokens == ()


def test_a_session_is_cancelled_once(world: World, service: SchedulingService) -> None:
    enrol(world, world.child, S.ENROLLED)
    service.cancel_session(world.actor("super_admin"), world.sessions[1].id, reason="Storm")
    before = snapshot(world)
    with pytest.raises(InvalidTransition, match="cannot cancel from status 'cancelled'"):
        service.cancel_session(world.actor("super_admin"), world.sessions[1].id, reason="Storm")
    assert snapshot(world) == before
    with world.uow() as uow:
        assert len(uow.makeup_tokens.list_for_student(world.child.id)) == 1


def test_a_held_session_cannot_be_cancelled(world: World, service: SchedulingService) -> None:
    with world.uow() as uow:
        uow.sessions.get(world.sessions[0].id).complete()
        uow.commit()
    with pytest.raises(InvalidTransition):
        service.cancel_session(world.actor("super_admin"), world.sessions[0].id, reason="Oops")


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_cancellation_needs_a_reason(
    world: World, service: SchedulingService, reason: str
) -> None:
    enrol(world, world.child, S.ENROLLED)
    before = snapshot(world)
    with pytest.raises(ValidationError) as info:
        service.cancel_session(world.actor("super_admin"), world.sessions[1].id, reason=reason)
    assert info.value.field == "Session.cancellation_reason"
    assert snapshot(world) == before


def test_a_lead_instructor_cancels_their_own_session_only_in_an_emergency(
    world: World, service: SchedulingService
) -> None:
    lead = world.actor("lead_instructor")
    before = snapshot(world)
    with pytest.raises(Forbidden, match="only in an emergency"):
        service.cancel_session(lead, world.sessions[1].id, reason="Sick")
    assert snapshot(world) == before
    result = service.cancel_session(lead, world.sessions[1].id, reason="Sick", emergency=True)
    assert result.session.is_cancelled
    with world.uow() as uow:
        [entry] = uow.audit.list_for_entity(world.sessions[1].id)
    assert entry.actor_staff_id == lead.staff_id
    assert entry.changes["emergency"] is True


def test_an_instructor_cannot_cancel_another_cohorts_session(
    world: World, service: SchedulingService
) -> None:
    with pytest.raises(Forbidden, match="only for the cohorts they teach"):
        service.cancel_session(
            world.actor("other_instructor"), world.sessions[1].id, reason="x", emergency=True
        )


@pytest.mark.parametrize("emergency", [False, True])
@pytest.mark.parametrize("who", ROLES)
def test_sessions_are_cancelled_by_managers_and_in_an_emergency_by_their_lead(
    world: World, service: SchedulingService, who: str, emergency: bool
) -> None:
    allowed = COHORT_MANAGERS | ({"lead_instructor"} if emergency else set())
    walk(
        world,
        who,
        allowed,
        lambda a: service.cancel_session(
            a, world.sessions[1].id, reason="Heatwave", emergency=emergency
        ),
    )


def test_unknown_sessions_are_not_found(world: World, service: SchedulingService) -> None:
    with pytest.raises(NotFound, match="Session"):
        service.cancel_session(world.actor("super_admin"), uuid4(), reason="x")
    with pytest.raises(NotFound, match="Session"):
        service.reschedule_session(
            world.actor("super_admin"),
            uuid4(),
            on=date(2026, 2, 10),
            start=time(16),
            end=time(17),
        )


# -- rescheduling a session ------------------------------------------------------------------


def test_a_session_is_rescheduled_with_an_event(world: World, service: SchedulingService) -> None:
    session = world.sessions[1]
    world.published.clear()
    moved = service.reschedule_session(
        world.actor("campus_manager"),
        session.id,
        on=date(2026, 2, 11),
        start=time(10, 0),
        end=time(11, 30),
    )
    assert (moved.scheduled_date, moved.scheduled_start_time, moved.scheduled_end_time) == (
        date(2026, 2, 11),
        time(10, 0),
        time(11, 30),
    )
    assert load(world, m.Session, session.id).scheduled_date == date(2026, 2, 11)
    assert world.published == [
        SessionRescheduled(
            organisation_id=world.org_id,
            session_id=session.id,
            cohort_id=world.cohort.id,
            starts_at=datetime(2026, 2, 11, 10, 0, tzinfo=ZoneInfo(MELBOURNE)),
        )
    ]
    event = world.published[0]
    assert isinstance(event, SessionRescheduled)
    assert event.starts_at.astimezone(UTC) == at(2026, 2, 10, 23)
    with world.uow() as uow:
        [entry] = uow.audit.list_for_entity(session.id)
    assert entry.changes["scheduled_date"] == ["2026-02-09", "2026-02-11"]


@pytest.mark.parametrize(
    ("on", "start", "end", "error", "match"),
    [
        (date(2026, 3, 2), time(16), time(17), ValidationError, "within the cohort's dates"),
        (date(2026, 2, 1), time(16), time(17), ValidationError, "within the cohort's dates"),
        (date(2026, 2, 10), time(17), time(16), ValidationError, "scheduled_end_time"),
        (date(2026, 2, 17), time(16), time(17), Conflict, "closed on 2026-02-17: Show day"),
        (date(2026, 2, 16), time(17), time(18), Conflict, "overlaps session 3"),
        (date(2026, 2, 9), time(16), time(17, 30), Conflict, "already at that time"),
    ],
)
def test_bad_reschedules_are_refused_and_nothing_is_written(
    world: World,
    service: SchedulingService,
    on: date,
    start: time,
    end: time,
    error: type[Exception],
    match: str,
) -> None:
    with world.uow() as uow:
        campus = uow.campuses.get(world.campus.id)
        campus.update(closure_dates=[m.ClosureDate(day=date(2026, 2, 17), reason="Show day")])
        uow.commit()
    world.published.clear()
    before = snapshot(world)
    with pytest.raises(error, match=match):
        service.reschedule_session(
            world.actor("super_admin"), world.sessions[1].id, on=on, start=start, end=end
        )
    assert snapshot(world) == before
    assert world.published == []


def test_a_session_is_not_moved_into_the_past(world: World, service: SchedulingService) -> None:
    world.clock.set(at(2026, 2, 10, 0))  # 11:00 on Tuesday 10 February in Melbourne
    with pytest.raises(ValidationError, match=r"Session\.scheduled_date: must not be in the past"):
        service.reschedule_session(
            world.actor("super_admin"),
            world.sessions[3].id,
            on=date(2026, 2, 10),
            start=time(9, 0),
            end=time(10, 0),
        )
    service.reschedule_session(
        world.actor("super_admin"),
        world.sessions[3].id,
        on=date(2026, 2, 10),
        start=time(16, 0),
        end=time(17, 0),
    )


@pytest.mark.parametrize("status", ["cancel", "complete"])
def test_cancelled_or_held_sessions_are_not_rescheduled(
    world: World, service: SchedulingService, status: str
) -> None:
    with world.uow() as uow:
        session = uow.sessions.get(world.sessions[1].id)
        session.cancel("Storm") if status == "cancel" else session.complete()
        uow.commit()
    with pytest.raises(InvalidTransition, match="reschedule"):
        service.reschedule_session(
            world.actor("super_admin"),
            world.sessions[1].id,
            on=date(2026, 2, 10),
            start=time(16),
            end=time(17),
        )


@pytest.mark.parametrize("who", ["lead_instructor", "teaching_assistant"])
def test_a_reschedule_that_double_books_a_teacher_elsewhere_is_refused(
    world: World, service: SchedulingService, who: str
) -> None:
    # The cohort's lead and its assistant both teach at Geelong on Tuesday 10 February.
    elsewhere(world, who, date(2026, 2, 10), time(15, 0), time(16, 30))
    before = snapshot(world)
    with pytest.raises(Conflict) as info:
        service.reschedule_session(
            world.actor("campus_manager"),
            world.sessions[1].id,
            on=date(2026, 2, 10),
            start=time(16, 0),
            end=time(17, 30),
        )
    name = world.staff[who].full_name
    assert f"{name} would be double-booked" in str(info.value)
    assert "Scratch Basics - Geelong Tue (session 1) at Geelong" in str(info.value)
    assert "Tue 10 Feb 2026 15:00-16:30" in str(info.value)
    assert snapshot(world) == before


def test_a_session_assistant_is_checked_when_their_session_moves(
    world: World, service: SchedulingService
) -> None:
    work_at_werribee(world, "other_instructor")
    service.assign_session_assistant(
        world.actor("super_admin"), world.sessions[1].id, world.staff["other_instructor"].id
    )
    elsewhere(world, "other_instructor", date(2026, 2, 12), time(16, 0), time(17, 0))
    with pytest.raises(Conflict, match="Grace Staff would be double-booked"):
        service.reschedule_session(
            world.actor("super_admin"),
            world.sessions[1].id,
            on=date(2026, 2, 12),
            start=time(16, 30),
            end=time(17, 30),
        )


@pytest.mark.parametrize("who", ROLES)
def test_sessions_are_rescheduled_by_managers_of_the_campus(
    world: World, service: SchedulingService, who: str
) -> None:
    walk(
        world,
        who,
        COHORT_MANAGERS,
        lambda a: service.reschedule_session(
            a, world.sessions[1].id, on=date(2026, 2, 10), start=time(16), end=time(17)
        ),
    )


def test_cancelling_a_draft_cancels_its_past_sessions_too(world: World) -> None:
    service = SchedulingService(world.make_uow, world.clock, world.bus)
    with world.uow() as uow:
        cohort = uow.cohorts.get(world.cohort.id)
        cohort.status = m.CohortStatus.DRAFT
        uow.commit()
    world.clock.set(datetime(2026, 2, 20, 9, 0, tzinfo=UTC))  # two sessions are in the past
    result = service.cancel_cohort(world.actor("super_admin"), world.cohort.id, reason="No demand")
    assert len(result.cancelled_sessions) == 4
    with world.uow() as uow:
        statuses = {s.status for s in uow.sessions.list_for_cohort(world.cohort.id)}
    assert statuses == {m.SessionStatus.CANCELLED}


# -- reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
def test_every_staff_member_reads_the_timetable(
    world: World, service: SchedulingService, who: str
) -> None:
    actor = world.actor(who)
    assert [p.name for p in service.list_programs(actor)] == ["Scratch Basics"]
    assert service.get_program(actor, world.program.id).name == "Scratch Basics"
    assert [c.id for c in service.list_cohorts(actor)] == [world.cohort.id]
    assert service.get_cohort(actor, world.cohort.id).cohort.id == world.cohort.id
    sessions = service.list_sessions(actor, cohort_id=world.cohort.id)
    assert [s.session_number for s in sessions] == [1, 2, 3, 4]
    assert service.get_session(actor, world.sessions[0].id).session.id == world.sessions[0].id


def test_programs_are_listed_by_activity(world: World, service: SchedulingService) -> None:
    admin = world.actor("super_admin")
    java = service.create_program(admin, name="Java Games")
    service.deactivate_program(admin, world.program.id)
    assert [p.name for p in service.list_programs(admin)] == ["Java Games", "Scratch Basics"]
    assert [p.id for p in service.list_programs(admin, active=True)] == [java.id]
    assert [p.id for p in service.list_programs(admin, active=False)] == [world.program.id]


def test_cohorts_are_filtered_by_campus_program_status_and_dates(
    world: World, service: SchedulingService
) -> None:
    admin = world.actor("super_admin")
    java = service.create_program(admin, name="Java Games", duration_weeks=4)
    geelong = add_cohort(world, campus=world.other_campus, start=date(2026, 3, 4), name="G")
    draft = add_cohort(
        world, program=java, status=m.CohortStatus.DRAFT, start=date(2026, 4, 1), name="J"
    )

    def names(**filters: Any) -> list[str]:
        return [c.name for c in service.list_cohorts(admin, **filters)]

    assert names() == [world.cohort.name, "G", "J"]  # by start date
    assert names(campus_id=world.other_campus.id) == ["G"]
    assert names(program_id=java.id) == ["J"]
    assert names(statuses=[m.CohortStatus.DRAFT]) == ["J"]
    assert names(statuses=[m.CohortStatus.OPEN, m.CohortStatus.DRAFT]) == [
        world.cohort.name,
        "G",
        "J",
    ]
    # running at some time in the range: the world's cohort ends on 23 February
    assert names(date_from=date(2026, 2, 23)) == [world.cohort.name, "G", "J"]
    assert names(date_from=date(2026, 2, 24)) == ["G", "J"]
    assert names(date_to=date(2026, 3, 4)) == [world.cohort.name, "G"]
    assert names(date_from=date(2026, 3, 19), date_to=date(2026, 3, 31)) == []
    assert {c.id for c in service.list_cohorts(admin, date_from=date(2026, 3, 1))} == {
        geelong.id,
        draft.id,
    }


def test_bad_cohort_filters_are_refused(world: World, service: SchedulingService) -> None:
    admin = world.actor("super_admin")
    with pytest.raises(ValidationError, match="date_to"):
        service.list_cohorts(admin, date_from=date(2026, 3, 1), date_to=date(2026, 2, 1))
    with pytest.raises(NotFound, match="Campus"):
        service.list_cohorts(admin, campus_id=uuid4())
    with pytest.raises(NotFound, match="Program"):
        service.list_cohorts(admin, program_id=uuid4())


def test_a_cohort_lists_its_lead_first(world: World, service: SchedulingService) -> None:
    admin = world.actor("super_admin")
    details = service.get_cohort(admin, world.cohort.id)
    assert [(a.staff_id, a.role) for a in details.staff] == [
        (world.staff["lead_instructor"].id, m.CohortStaffRole.LEAD_INSTRUCTOR),
        (world.staff["teaching_assistant"].id, m.CohortStaffRole.TEACHING_ASSISTANT),
    ]
    with pytest.raises(NotFound):
        service.get_cohort(admin, uuid4())


def test_sessions_are_listed_for_a_date_range_and_campus(
    world: World, service: SchedulingService
) -> None:
    admin = world.actor("super_admin")
    geelong = add_cohort(world, campus=world.other_campus, start=date(2026, 2, 4), sessions=2)

    def listed(**filters: Any) -> list[tuple[date, UUID]]:
        return [(s.scheduled_date, s.cohort_id) for s in service.list_sessions(admin, **filters)]

    first_week = listed(date_from=date(2026, 2, 2), date_to=date(2026, 2, 8))
    assert first_week == [(date(2026, 2, 2), world.cohort.id), (date(2026, 2, 4), geelong.id)]
    werribee = listed(
        date_from=date(2026, 2, 1), date_to=date(2026, 2, 28), campus_id=world.campus.id
    )
    assert [d for d, _ in werribee] == [date(2026, 2, d) for d in (2, 9, 16, 23)]
    in_cohort = listed(
        cohort_id=world.cohort.id, date_from=date(2026, 2, 9), date_to=date(2026, 2, 16)
    )
    assert [d for d, _ in in_cohort] == [date(2026, 2, 9), date(2026, 2, 16)]
    assert listed(cohort_id=world.cohort.id, campus_id=world.other_campus.id) == []


def test_sessions_are_filtered_by_status(world: World, service: SchedulingService) -> None:
    admin = world.actor("super_admin")
    service.cancel_session(admin, world.sessions[1].id, reason="Storm")
    cancelled = service.list_sessions(
        admin, cohort_id=world.cohort.id, statuses=[m.SessionStatus.CANCELLED]
    )
    assert [s.id for s in cancelled] == [world.sessions[1].id]


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({}, "date_from"),
        ({"date_from": date(2026, 2, 1)}, "date_from"),
        ({"date_from": date(2026, 2, 1), "date_to": date(2027, 6, 1)}, "date_to"),
        ({"date_from": date(2026, 2, 9), "date_to": date(2026, 2, 1)}, "date_to"),
    ],
)
def test_a_session_list_needs_a_cohort_or_a_bounded_range(
    world: World, service: SchedulingService, filters: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        service.list_sessions(world.actor("super_admin"), **filters)
    assert refused.value.field == field


def test_unknown_ids_in_session_reads_are_not_found(
    world: World, service: SchedulingService
) -> None:
    admin = world.actor("super_admin")
    with pytest.raises(NotFound):
        service.list_sessions(admin, cohort_id=uuid4())
    with pytest.raises(NotFound):
        service.list_sessions(
            admin, date_from=date(2026, 2, 1), date_to=date(2026, 2, 2), campus_id=uuid4()
        )
    with pytest.raises(NotFound):
        service.get_session(admin, uuid4())


def test_a_session_lists_its_own_assistants(world: World, service: SchedulingService) -> None:
    admin = world.actor("super_admin")
    work_at_werribee(world, "other_instructor")
    service.assign_session_assistant(
        admin, world.sessions[2].id, world.staff["other_instructor"].id
    )
    details = service.get_session(admin, world.sessions[2].id)
    assert [a.staff_id for a in details.assistants] == [world.staff["other_instructor"].id]
    assert service.get_session(admin, world.sessions[0].id).assistants == ()


def test_reading_the_timetable_writes_nothing(world: World, service: SchedulingService) -> None:
    before = snapshot(world)
    actor = world.actor("front_desk")
    service.list_programs(actor)
    service.list_cohorts(actor)
    service.get_cohort(actor, world.cohort.id)
    service.list_sessions(actor, date_from=date(2026, 2, 1), date_to=date(2026, 2, 28))
    service.get_session(actor, world.sessions[0].id)
    assert snapshot(world) == before
