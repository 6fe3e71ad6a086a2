"""Helpers shared by the service test modules: the seven world actors, a snapshot of the
whole store, the permission walk and a few arrangements of the world."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any
from uuid import UUID, uuid4

import attrs
import pytest
from tests.unit.services.conftest import World

from rocket_core import model as m
from rocket_core.errors import Forbidden
from rocket_core.permissions import Actor

#: The staff of the world, one of every role and scope (``world.actor(who)``).
ROLES = (
    "super_admin",
    "campus_manager",
    "other_manager",
    "lead_instructor",
    "other_instructor",
    "teaching_assistant",
    "front_desk",
)


def snapshot(world: World) -> dict[tuple[str, UUID], dict[str, Any]]:
    """Every committed entity's fields: equal before and after means nothing was written."""
    with world.store.lock:
        return {
            (cls.__name__, entity_id): attrs.asdict(entity)  # type: ignore[arg-type]
            for cls, table in world.store.tables.items()
            for entity_id, entity in table.items()
        }


def walk(world: World, who: str, allowed: set[str], call: Callable[[Actor], object]) -> None:
    """``who`` may run ``call`` when in ``allowed``; otherwise Forbidden and nothing written."""
    actor = world.actor(who)
    if who in allowed:
        call(actor)
        return
    before = snapshot(world)
    with pytest.raises(Forbidden):
        call(actor)
    assert snapshot(world) == before


def sorted_audit_actions(world: World, entity_id: UUID) -> list[str]:
    """The audited actions on an entity, sorted (the fixed clock gives them one time)."""
    with world.uow() as uow:
        return sorted(entry.action for entry in uow.audit.list_for_entity(entity_id))


def work_at_werribee(world: World, who: str) -> None:
    """Assign ``who`` to the world's campus (Werribee) as well."""
    world.add(
        m.CampusStaff(
            organisation_id=world.org_id, campus_id=world.campus.id, staff_id=world.staff[who].id
        )
    )


def elsewhere(
    world: World,
    who: str,
    day: date,
    start: time,
    end: time,
    *,
    campus: m.Campus | None = None,
    as_lead: bool = True,
    name: str | None = None,
) -> tuple[m.Cohort, m.Session]:
    """A one-session cohort at another campus (Geelong unless given) taught by ``who``, as its
    lead or (``as_lead=False``) its assistant; ``name`` defaults to
    "Scratch Basics - <campus> <weekday>"."""
    campus = campus or world.other_campus
    cohort = m.Cohort(
        organisation_id=world.org_id,
        program_id=world.program.id,
        campus_id=campus.id,
        name=name or f"Scratch Basics - {campus.name} {day:%a}",
        start_date=day,
        end_date=day,
        max_capacity=8,
        status=m.CohortStatus.OPEN,
    )
    staff_id = world.staff[who].id
    session = m.Session(
        organisation_id=world.org_id,
        cohort_id=cohort.id,
        session_number=1,
        scheduled_date=day,
        scheduled_start_time=start,
        scheduled_end_time=end,
        lead_instructor_id=staff_id if as_lead else None,
    )
    assignment = m.CohortStaff(
        organisation_id=world.org_id,
        cohort_id=cohort.id,
        staff_id=staff_id,
        role=m.CohortStaffRole.LEAD_INSTRUCTOR if as_lead else m.CohortStaffRole.TEACHING_ASSISTANT,
    )
    world.add(cohort, session, assignment)
    return cohort, session


def add_cohort(
    world: World,
    *,
    capacity: int = 3,
    status: m.CohortStatus = m.CohortStatus.OPEN,
    campus: m.Campus | None = None,
    program: m.Program | None = None,
    start: date = date(2026, 2, 4),
    sessions: int = 3,
    name: str | None = None,
    end: date | None = None,
    times: tuple[time, time] = (time(10, 0), time(11, 30)),
) -> m.Cohort:
    """Another cohort with weekly sessions (default: same program and campus, Wednesdays from
    4 February, 10:00-11:30), ending on ``end`` or else on the day of its last session."""
    cohort = m.Cohort(
        organisation_id=world.org_id,
        program_id=(program or world.program).id,
        campus_id=(campus or world.campus).id,
        name=name or f"Cohort {uuid4().hex[:6]}",
        start_date=start,
        end_date=end or start + timedelta(weeks=max(sessions - 1, 0)),
        max_capacity=capacity,
        status=status,
    )
    world.add(
        cohort,
        *[
            m.Session(
                organisation_id=world.org_id,
                cohort_id=cohort.id,
                session_number=n + 1,
                scheduled_date=start + timedelta(weeks=n),
                scheduled_start_time=times[0],
                scheduled_end_time=times[1],
            )
            for n in range(sessions)
        ],
    )
    return cohort


def sessions_of(world: World, cohort: m.Cohort) -> list[m.Session]:
    with world.uow() as uow:
        return uow.sessions.list_for_cohort(cohort.id)
