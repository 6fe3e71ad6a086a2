"""A session's roll, taking attendance, and attendance rates per student and per cohort."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import attrs
from litestar import get, post

from rocket_core.model import AttendanceStatus
from rocket_core.permissions import Actor
from rocket_core.services.attendance import AttendanceRate, AttendanceService, Mark, RollLine
from rocket_core.services.base import actor_for

STAFF = {"access": "staff"}


@attrs.frozen
class RollLineOut:
    """One student on the roll and the current mark (null: unmarked, counts as absent)."""

    student_id: UUID
    display_name: str
    kind: str
    enrolment_id: UUID
    status: AttendanceStatus | None
    notes: str | None
    recorded_by_staff_id: UUID | None
    recorded_at: datetime | None


@attrs.frozen
class MarkIn:
    """A mark for one student."""

    student_id: UUID
    status: AttendanceStatus
    notes: str | None = None


@attrs.frozen
class MarksIn:
    """Marks for some or all of the roll, saved together or not at all. A teaching
    assistant's marks name the lead instructor who approved them."""

    marks: list[MarkIn]
    approved_by_staff_id: UUID | None = None


@attrs.frozen
class MarkedOut:
    """How many marks changed, and the roll with them."""

    changed: int
    roll: list[RollLineOut]


@attrs.frozen
class AttendanceRateOut:
    """Sessions attended (present, late, makeup) over sessions held (unmarked ones count as
    absent); ``rate`` is attended / held to 4 places, null when nothing was held yet."""

    attended: int
    held: int
    absent: int
    rate: Decimal | None


def _rate(rate: AttendanceRate) -> AttendanceRateOut:
    return AttendanceRateOut(
        attended=rate.attended, held=rate.held, absent=rate.absent, rate=rate.rate
    )


def _line(line: RollLine) -> RollLineOut:
    return RollLineOut(
        student_id=line.student_id,
        display_name=line.display_name,
        kind=line.kind,
        enrolment_id=line.enrolment_id,
        status=line.status,
        notes=line.notes,
        recorded_by_staff_id=line.recorded_by_staff_id,
        recorded_at=line.recorded_at,
    )


@get("/sessions/{session_id:uuid}/roll", opt=STAFF, sync_to_thread=True, tags=["attendance"])
def roll(session_id: UUID, actor: Actor, attendance: AttendanceService) -> list[RollLineOut]:
    """The session's roll sorted by name, with each student's mark."""
    return [_line(line) for line in attendance.roll(actor, session_id)]


@post(
    "/sessions/{session_id:uuid}/attendance",
    opt=STAFF,
    sync_to_thread=True,
    tags=["attendance"],
    status_code=200,
)
def mark(session_id: UUID, data: MarksIn, actor: Actor, attendance: AttendanceService) -> MarkedOut:
    """Mark one or many students of the roll in one go."""
    approver = None
    if data.approved_by_staff_id is not None:
        approver = actor_for(attendance.make_uow, actor.organisation_id, data.approved_by_staff_id)
    marked = attendance.mark(
        actor,
        session_id,
        {item.student_id: Mark(status=item.status, notes=item.notes) for item in data.marks},
        approver=approver,
    )
    return MarkedOut(changed=len(marked.changed), roll=[_line(line) for line in marked.roll])


@get(
    "/students/{student_id:uuid}/attendance-rate",
    opt=STAFF,
    sync_to_thread=True,
    tags=["attendance"],
)
def student_rate(
    student_id: UUID,
    actor: Actor,
    attendance: AttendanceService,
    cohort_id: UUID | None = None,
) -> AttendanceRateOut:
    """The student's attendance rate in one cohort, or over every cohort they were on the
    roll of (each must be in the reader's roster scope: ask per cohort otherwise)."""
    return _rate(attendance.rate_for_student(actor, student_id, cohort_id))


@get(
    "/cohorts/{cohort_id:uuid}/attendance-rate",
    opt=STAFF,
    sync_to_thread=True,
    tags=["attendance"],
)
def cohort_rate(cohort_id: UUID, actor: Actor, attendance: AttendanceService) -> AttendanceRateOut:
    """The cohort's attendance rate over its students (visitors left out)."""
    return _rate(attendance.rate_for_cohort(actor, cohort_id))


ROUTES = [roll, mark, student_rate, cohort_rate]
