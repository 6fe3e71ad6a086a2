"""SchedulingService.generate_sessions: a cohort's sessions from a weekly pattern, skipping
closure dates, in the campus's local time across daylight-saving changes, refusing
double-booked teachers at any campus; and the pure pattern helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID, uuid4

import pytest
from tests.unit.services.conftest import MELBOURNE, World
from tests.unit.services.helpers import ROLES, elsewhere, snapshot, walk, work_at_werribee

from rocket_core import model as m
from rocket_core.errors import Conflict, InvalidTransition, NotFound, ValidationError
from rocket_core.services.scheduling import SchedulingService, WeeklyPattern, plan_dates

COHORT_MANAGERS = {"super_admin", "campus_manager"}
MONDAY, WEDNESDAY, SUNDAY = 0, 2, 6


@pytest.fixture
def service(world: World) -> SchedulingService:
    return SchedulingService(world.make_uow, world.clock, world.bus)


def new_cohort(
    world: World,
    first: date,
    last: date,
    *,
    campus: m.Campus | None = None,
    program: m.Program | None = None,
    name: str = "Scratch Basics - Term 2",
) -> m.Cohort:
    """A draft cohort without sessions (Werribee unless given)."""
    cohort = m.Cohort(
        organisation_id=world.org_id,
        program_id=(program or world.program).id,
        campus_id=(campus or world.campus).id,
        name=name,
        start_date=first,
        end_date=last,
        max_capacity=10,
    )
    world.add(cohort)
    return cohort


def close(world: World, campus_id: UUID, *closures: tuple[date, str]) -> None:
    with world.uow() as uow:
        campus = uow.campuses.get(campus_id)
        campus.update(closure_dates=[m.ClosureDate(day=d, reason=r) for d, r in closures])
        uow.commit()


def stored_sessions(world: World, cohort_id: UUID) -> list[m.Session]:
    with world.uow() as uow:
        return uow.sessions.list_for_cohort(cohort_id)


def utc(session: m.Session, timezone: str = MELBOURNE) -> datetime:
    return session.starts_at(timezone).astimezone(UTC)


# -- the weekly pattern and closures ---------------------------------------------------------


def test_sessions_skip_a_closure_date_and_are_numbered_in_order(
    world: World, service: SchedulingService
) -> None:
    cohort = new_cohort(world, date(2026, 3, 23), date(2026, 4, 27))  # six Mondays
    close(world, world.campus.id, (date(2026, 4, 6), "Easter Monday"))
    result = service.generate_sessions(
        world.actor("campus_manager"), cohort.id, weekdays={MONDAY}, start_time=time(16, 0)
    )
    days = [s.scheduled_date for s in result.sessions]
    assert days == [
        date(2026, 3, 23),
        date(2026, 3, 30),
        date(2026, 4, 13),
        date(2026, 4, 20),
        date(2026, 4, 27),
    ]
    assert result.skipped == (m.ClosureDate(day=date(2026, 4, 6), reason="Easter Monday"),)
    stored = stored_sessions(world, cohort.id)
    assert [s.session_number for s in stored] == [1, 2, 3, 4, 5]
    assert [s.scheduled_date for s in stored] == days
    assert {(s.scheduled_start_time, s.scheduled_end_time) for s in stored} == {
        (time(16, 0), time(17, 30))  # the program's 90 minutes
    }
    assert {s.status for s in stored} == {m.SessionStatus.SCHEDULED}
    assert {s.created_at for s in stored} == {world.clock.now()}


def test_several_weekdays_are_numbered_by_date(world: World, service: SchedulingService) -> None:
    cohort = new_cohort(world, date(2026, 3, 4), date(2026, 3, 16))  # Wed 4 to Mon 16 March
    result = service.generate_sessions(
        world.actor("super_admin"),
        cohort.id,
        weekdays=[WEDNESDAY, MONDAY],
        start_time=time(9, 30),
        length_minutes=45,
    )
    assert [(s.session_number, s.scheduled_date) for s in result.sessions] == [
        (1, date(2026, 3, 4)),
        (2, date(2026, 3, 9)),
        (3, date(2026, 3, 11)),
        (4, date(2026, 3, 16)),
    ]
    assert result.sessions[0].scheduled_end_time == time(10, 15)


def test_closures_of_another_campus_do_not_count(world: World, service: SchedulingService) -> None:
    cohort = new_cohort(world, date(2026, 3, 23), date(2026, 4, 13))
    close(world, world.other_campus.id, (date(2026, 4, 6), "Geelong show day"))
    result = service.generate_sessions(
        world.actor("super_admin"), cohort.id, weekdays={MONDAY}, start_time=time(16)
    )
    assert len(result.sessions) == 4
    assert result.skipped == ()


@pytest.mark.parametrize(
    ("first", "last", "times"),
    [
        # Daylight saving ends on Sunday 5 April 2026 (AEDT UTC+11 -> AEST UTC+10).
        (
            date(2026, 3, 22),
            date(2026, 4, 19),
            ["05:00", "05:00", "06:00", "06:00", "06:00"],
        ),
        # Daylight saving starts on Sunday 4 October 2026 (AEST UTC+10 -> AEDT UTC+11).
        (
            date(2026, 9, 20),
            date(2026, 10, 18),
            ["06:00", "06:00", "05:00", "05:00", "05:00"],
        ),
    ],
    ids=["april", "october"],
)
def test_local_time_stays_put_across_daylight_saving(
    world: World, service: SchedulingService, first: date, last: date, times: list[str]
) -> None:
    cohort = new_cohort(world, first, last)
    result = service.generate_sessions(
        world.actor("campus_manager"), cohort.id, weekdays={SUNDAY}, start_time=time(16, 0)
    )
    stored = stored_sessions(world, cohort.id)
    assert [s.session_number for s in stored] == [1, 2, 3, 4, 5]
    assert {s.scheduled_start_time for s in stored} == {time(16, 0)}
    assert {s.scheduled_end_time for s in stored} == {time(17, 30)}
    assert [f"{utc(s):%H:%M}" for s in stored] == times
    assert [utc(s).date() for s in stored] == [s.scheduled_date for s in result.sessions]
    assert {s.duration.total_seconds() for s in stored} == {90 * 60}


def test_a_closure_on_the_daylight_saving_sunday_is_skipped(
    world: World, service: SchedulingService
) -> None:
    cohort = new_cohort(world, date(2026, 3, 29), date(2026, 4, 12))
    close(world, world.campus.id, (date(2026, 4, 5), "Easter Sunday"))
    result = service.generate_sessions(
        world.actor("super_admin"), cohort.id, weekdays={SUNDAY}, start_time=time(16, 0)
    )
    assert [(s.session_number, s.scheduled_date) for s in result.sessions] == [
        (1, date(2026, 3, 29)),
        (2, date(2026, 4, 12)),
    ]
    assert [f"{utc(s):%H:%M}" for s in result.sessions] == ["05:00", "06:00"]


def test_a_perth_clash_appears_only_once_melbourne_leaves_daylight_saving(
    world: World, service: SchedulingService
) -> None:
    perth = m.Campus(organisation_id=world.org_id, name="Perth", timezone="Australia/Perth")
    world.add(perth)
    work_at_werribee(world, "other_instructor")
    grace = world.staff["other_instructor"]
    # 14:00-14:45 in Perth (UTC+8, no daylight saving) is 06:00-06:45 UTC. A Melbourne
    # Sunday class at 16:00-16:45 is 05:00-05:45 UTC until 5 April, 06:00-06:45 UTC after.
    elsewhere(
        world,
        "other_instructor",
        date(2026, 3, 29),
        time(14),
        time(14, 45),
        campus=perth,
        name="Python - Perth",
    )
    early = new_cohort(world, date(2026, 3, 22), date(2026, 3, 29), name="March Sundays")
    result = service.generate_sessions(
        world.actor("super_admin"),
        early.id,
        weekdays={SUNDAY},
        start_time=time(16, 0),
        length_minutes=45,
        lead_instructor_id=grace.id,
    )
    assert len(result.sessions) == 2

    elsewhere(
        world,
        "other_instructor",
        date(2026, 4, 12),
        time(14),
        time(14, 45),
        campus=perth,
        name="Python - Perth",
    )
    late = new_cohort(world, date(2026, 4, 5), date(2026, 4, 19), name="April Sundays")
    before = snapshot(world)
    with pytest.raises(Conflict) as info:
        service.generate_sessions(
            world.actor("super_admin"),
            late.id,
            weekdays={SUNDAY},
            start_time=time(16, 0),
            length_minutes=45,
            lead_instructor_id=grace.id,
        )
    message = str(info.value)
    assert "Grace Staff would be double-booked" in message
    assert "Python - Perth (session 1) at Perth on Sun 12 Apr 2026 14:00-14:45" in message
    assert "Sun 12 Apr 2026 16:00" in message
    assert snapshot(world) == before


# -- who leads -------------------------------------------------------------------------------


def test_a_named_lead_becomes_the_cohorts_lead_and_leads_every_session(
    world: World, service: SchedulingService
) -> None:
    cohort = new_cohort(world, date(2026, 3, 2), date(2026, 3, 16))
    linus = world.staff["lead_instructor"]
    result = service.generate_sessions(
        world.actor("campus_manager"),
        cohort.id,
        weekdays={WEDNESDAY},
        start_time=time(16),
        lead_instructor_id=linus.id,
    )
    assert {s.lead_instructor_id for s in result.sessions} == {linus.id}
    with world.uow() as uow:
        [assignment] = uow.cohort_staff.list_for_cohort(cohort.id)
        actions = sorted(e.action for e in uow.audit.list_for_entity(cohort.id))
    assert (assignment.staff_id, assignment.role) == (linus.id, m.CohortStaffRole.LEAD_INSTRUCTOR)
    assert world.actor("lead_instructor").cohort_ids == {world.cohort.id, cohort.id}
    assert actions == ["cohort.sessions_generate"]


def test_the_cohorts_current_lead_leads_the_sessions_by_default(
    world: World, service: SchedulingService
) -> None:
    cohort = new_cohort(world, date(2026, 3, 2), date(2026, 3, 16))
    linus = world.staff["lead_instructor"]
    world.add(
        m.CohortStaff(
            organisation_id=world.org_id,
            cohort_id=cohort.id,
            staff_id=linus.id,
            role=m.CohortStaffRole.LEAD_INSTRUCTOR,
        )
    )
    result = service.generate_sessions(
        world.actor("super_admin"), cohort.id, weekdays={WEDNESDAY}, start_time=time(16)
    )
    assert {s.lead_instructor_id for s in result.sessions} == {linus.id}
    again = new_cohort(world, date(2026, 3, 2), date(2026, 3, 16), name="No lead yet")
    result = service.generate_sessions(
        world.actor("super_admin"), again.id, weekdays={WEDNESDAY}, start_time=time(16)
    )
    assert {s.lead_instructor_id for s in result.sessions} == {None}


def test_a_lead_already_teaching_at_that_time_at_another_campus_is_refused(
    world: World, service: SchedulingService
) -> None:
    # Linus teaches the world's Monday cohort 16:00-17:30 on 9 February at Werribee; a new
    # Monday cohort at 17:00 would overlap it.
    cohort = new_cohort(world, date(2026, 2, 9), date(2026, 2, 9), campus=world.other_campus)
    world.add(
        m.CampusStaff(
            organisation_id=world.org_id,
            campus_id=world.other_campus.id,
            staff_id=world.staff["lead_instructor"].id,
        )
    )
    before = snapshot(world)
    with pytest.raises(Conflict, match=r"Scratch Basics - Term 1 Mon \(session 2\) at Werribee"):
        service.generate_sessions(
            world.actor("super_admin"),
            cohort.id,
            weekdays={MONDAY},
            start_time=time(17, 0),
            lead_instructor_id=world.staff["lead_instructor"].id,
        )
    assert snapshot(world) == before


def test_an_assistant_of_the_cohort_is_checked_for_double_booking_too(
    world: World, service: SchedulingService
) -> None:
    cohort = new_cohort(world, date(2026, 2, 9), date(2026, 2, 9))
    world.add(
        m.CohortStaff(
            organisation_id=world.org_id,
            cohort_id=cohort.id,
            staff_id=world.staff["teaching_assistant"].id,
            role=m.CohortStaffRole.TEACHING_ASSISTANT,
        )
    )
    before = snapshot(world)
    with pytest.raises(Conflict, match="Tim Staff would be double-booked"):
        service.generate_sessions(
            world.actor("super_admin"), cohort.id, weekdays={MONDAY}, start_time=time(15, 0)
        )
    assert snapshot(world) == before


@pytest.mark.parametrize(
    ("who", "error", "match"),
    [
        ("front_desk", ValidationError, "front_desk cannot be a lead instructor"),
        ("teaching_assistant", ValidationError, "teaching_assistant cannot be a lead"),
        ("other_instructor", Conflict, "does not work at Werribee"),
    ],
)
def test_a_lead_who_cannot_lead_here_is_refused(
    world: World, service: SchedulingService, who: str, error: type[Exception], match: str
) -> None:
    cohort = new_cohort(world, date(2026, 3, 2), date(2026, 3, 16))
    before = snapshot(world)
    with pytest.raises(error, match=match):
        service.generate_sessions(
            world.actor("super_admin"),
            cohort.id,
            weekdays={MONDAY},
            start_time=time(16),
            lead_instructor_id=world.staff[who].id,
        )
    assert snapshot(world) == before


def test_an_unknown_lead_or_cohort_is_not_found(world: World, service: SchedulingService) -> None:
    cohort = new_cohort(world, date(2026, 3, 2), date(2026, 3, 16))
    with pytest.raises(NotFound, match="Staff"):
        service.generate_sessions(
            world.actor("super_admin"),
            cohort.id,
            weekdays={MONDAY},
            start_time=time(16),
            lead_instructor_id=uuid4(),
        )
    with pytest.raises(NotFound, match="Cohort"):
        service.generate_sessions(
            world.actor("super_admin"), uuid4(), weekdays={MONDAY}, start_time=time(16)
        )


# -- refusals --------------------------------------------------------------------------------


def test_a_cohort_with_sessions_is_not_generated_again(
    world: World, service: SchedulingService
) -> None:
    before = snapshot(world)
    with pytest.raises(Conflict, match="already has 4 sessions"):
        service.generate_sessions(
            world.actor("super_admin"), world.cohort.id, weekdays={MONDAY}, start_time=time(16)
        )
    assert snapshot(world) == before


def test_a_finished_cohort_gets_no_sessions(world: World, service: SchedulingService) -> None:
    cohort = new_cohort(world, date(2026, 3, 2), date(2026, 3, 16))
    with world.uow() as uow:
        uow.cohorts.get(cohort.id).cancel()
        uow.commit()
    with pytest.raises(InvalidTransition, match="generate sessions"):
        service.generate_sessions(
            world.actor("super_admin"), cohort.id, weekdays={MONDAY}, start_time=time(16)
        )


@pytest.mark.parametrize(
    ("pattern", "field"),
    [
        ({"weekdays": set()}, "WeeklyPattern.weekdays"),
        ({"weekdays": {7}}, "WeeklyPattern.weekdays"),
        ({"weekdays": {-1}}, "WeeklyPattern.weekdays"),
        ({"weekdays": {"monday"}}, "WeeklyPattern.weekdays"),
        ({"weekdays": {True}}, "WeeklyPattern.weekdays"),
        ({"weekdays": 0}, "WeeklyPattern.weekdays"),
        ({"start_time": time(16, tzinfo=UTC)}, "WeeklyPattern.start_time"),
        ({"start_time": "16:00"}, "WeeklyPattern.start_time"),
        ({"length_minutes": 0}, "WeeklyPattern.length_minutes"),
        ({"length_minutes": 1.5}, "WeeklyPattern.length_minutes"),
        ({"start_time": time(23, 0), "length_minutes": 60}, "WeeklyPattern.length_minutes"),
        ({"weekdays": {SUNDAY}}, "WeeklyPattern.weekdays"),  # no Sunday in the dates
    ],
)
def test_bad_patterns_are_refused_and_nothing_is_written(
    world: World, service: SchedulingService, pattern: dict[str, Any], field: str
) -> None:
    cohort = new_cohort(world, date(2026, 3, 2), date(2026, 3, 6))  # Monday to Friday
    arguments: dict[str, Any] = {"weekdays": {MONDAY}, "start_time": time(16), **pattern}
    before = snapshot(world)
    with pytest.raises(ValidationError) as info:
        service.generate_sessions(world.actor("super_admin"), cohort.id, **arguments)
    assert info.value.field == field
    assert snapshot(world) == before


def test_a_pattern_entirely_on_closure_dates_is_refused(
    world: World, service: SchedulingService
) -> None:
    cohort = new_cohort(world, date(2026, 4, 3), date(2026, 4, 6))
    close(world, world.campus.id, (date(2026, 4, 3), "Good Friday"), (date(2026, 4, 6), "Easter"))
    with pytest.raises(ValidationError, match="outside the campus's closure dates"):
        service.generate_sessions(
            world.actor("super_admin"), cohort.id, weekdays={0, 4}, start_time=time(16)
        )


def test_without_a_program_length_the_length_is_required(
    world: World, service: SchedulingService
) -> None:
    program = m.Program(organisation_id=world.org_id, name="Open Lab")
    world.add(program)
    cohort = new_cohort(world, date(2026, 3, 2), date(2026, 3, 16), program=program)
    with pytest.raises(ValidationError, match=r"WeeklyPattern\.length_minutes: is required"):
        service.generate_sessions(
            world.actor("super_admin"), cohort.id, weekdays={MONDAY}, start_time=time(16)
        )
    result = service.generate_sessions(
        world.actor("super_admin"),
        cohort.id,
        weekdays={MONDAY},
        start_time=time(16),
        length_minutes=120,
    )
    assert result.sessions[0].scheduled_end_time == time(18, 0)


def test_generation_is_audited(world: World, service: SchedulingService) -> None:
    cohort = new_cohort(world, date(2026, 3, 23), date(2026, 4, 13))
    close(world, world.campus.id, (date(2026, 4, 6), "Easter Monday"))
    service.generate_sessions(
        world.actor("campus_manager"), cohort.id, weekdays={MONDAY}, start_time=time(16)
    )
    with world.uow() as uow:
        [entry] = uow.audit.list_for_entity(cohort.id)
    assert entry.action == "cohort.sessions_generate"
    assert entry.actor_staff_id == world.staff["campus_manager"].id
    assert entry.changes["sessions"] == 3
    assert entry.changes["skipped"] == ["2026-04-06"]
    assert "Monday 16:00-17:30" in entry.summary


@pytest.mark.parametrize("who", ROLES)
def test_sessions_are_generated_by_managers_of_the_campus(
    world: World, service: SchedulingService, who: str
) -> None:
    cohort = new_cohort(world, date(2026, 3, 2), date(2026, 3, 16))
    walk(
        world,
        who,
        COHORT_MANAGERS,
        lambda a: service.generate_sessions(a, cohort.id, weekdays={MONDAY}, start_time=time(16)),
    )


# -- the pure helpers ------------------------------------------------------------------------


def test_plan_dates_lists_matching_days_inclusive_and_the_skipped_closures() -> None:
    easter = m.ClosureDate(day=date(2026, 4, 6), reason="Easter Monday")
    days, skipped = plan_dates(
        date(2026, 3, 30),
        date(2026, 4, 13),
        {MONDAY},
        [easter, m.ClosureDate(day=date(2026, 4, 7), reason="Tuesday off")],
    )
    assert days == [date(2026, 3, 30), date(2026, 4, 13)]
    assert skipped == [easter]
    assert plan_dates(date(2026, 4, 14), date(2026, 4, 13), {MONDAY}, []) == ([], [])


def test_a_weekly_pattern_describes_itself() -> None:
    pattern = WeeklyPattern(
        weekdays=frozenset({SUNDAY, WEDNESDAY}), start_time=time(16), length_minutes=90
    )
    assert pattern.end_time == time(17, 30)
    assert pattern.describe() == "Wednesday, Sunday 16:00-17:30"
