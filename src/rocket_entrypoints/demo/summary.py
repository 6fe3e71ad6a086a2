"""What a school holds, read back through a unit of work: counts and seats per cohort.

Skill progress is not counted: the demo leaves it out until the learning issue brings its
use case (the demo writes nothing except through use cases).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from uuid import UUID

import attrs

from rocket_core import model as m
from rocket_core.ports import UnitOfWork


@attrs.frozen
class CohortSeats:
    """One cohort's line of the summary."""

    name: str
    campus: str
    status: str
    seats_held: int
    max_capacity: int
    waitlisted: int
    sessions: int


@attrs.frozen
class DemoSummary:
    """Counts of what the organisation holds and its enrolments by status."""

    organisation: str
    counts: dict[str, int]
    enrolments_by_status: dict[str, int]
    cohorts: list[CohortSeats]


def summarise(make_uow: Callable[[UUID], UnitOfWork], organisation_id: UUID) -> DemoSummary:
    """Read the organisation's figures in one (read-only) transaction."""
    with make_uow(organisation_id) as uow:
        campuses = {c.id: c.name for c in uow.campuses.list()}
        cohorts = uow.cohorts.list()
        families = uow.families.list()
        students = [s for f in families for s in uow.students.list_for_family(f.id)]
        enrolments = [e for c in cohorts for e in uow.enrolments.list_for_cohort(c.id)]
        sessions = {c.id: uow.sessions.list_for_cohort(c.id) for c in cohorts}
        marks = sum(
            len(uow.attendance.list_for_session(s.id)) for v in sessions.values() for s in v
        )
        tokens = [t for s in students for t in uow.makeup_tokens.list_for_student(s.id)]
        by_status = Counter(e.status.value for e in enrolments)
        return DemoSummary(
            organisation=uow.organisations.current().name,
            counts={
                "campuses": len(campuses),
                "staff": len(uow.staff.list()),
                "programs": len(uow.programs.list()),
                "cohorts": len(cohorts),
                "sessions": sum(len(v) for v in sessions.values()),
                "cancelled sessions": sum(s.is_cancelled for v in sessions.values() for s in v),
                "families": len(families),
                "students": len(students),
                "enrolments": len(enrolments),
                "attendance marks": marks,
                "makeup tokens": len(tokens),
                "makeup tokens redeemed": sum(
                    t.status is m.MakeupTokenStatus.REDEEMED for t in tokens
                ),
            },
            enrolments_by_status={s.value: by_status.get(s.value, 0) for s in m.EnrolmentStatus},
            cohorts=[
                CohortSeats(
                    name=c.name,
                    campus=campuses[c.campus_id],
                    status=c.status.value,
                    seats_held=c.current_enrolments,
                    max_capacity=c.max_capacity,
                    waitlisted=len(uow.enrolments.waitlist(c.id)),
                    sessions=len(sessions[c.id]),
                )
                for c in cohorts
            ],
        )
