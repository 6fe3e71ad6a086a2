"""The timetable: programs, cohorts (their transitions and instructors) and sessions
(generated from a weekly pattern, cancelled, rescheduled, their assistants).

Dates and times of sessions are the campus's local wall-clock time (``HH:MM:SS``). PATCH
bodies name only the fields to change: a field left out is not touched, and ``null`` clears
an optional one.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar, cast
from uuid import UUID

import attrs
from litestar import delete, get, patch, post
from msgspec import UNSET, UnsetType

from rocket_core.model import (
    Cohort,
    CohortStaff,
    CohortStaffRole,
    CohortStatus,
    MakeupToken,
    Program,
    Session,
    SessionStaff,
    SessionStatus,
    SkillLevel,
)
from rocket_core.permissions import Actor
from rocket_core.services.scheduling import SchedulingService
from rocket_entrypoints.http.routes._paging import Limit, Offset, Page, page

STAFF = {"access": "staff"}
TAGS = ["scheduling"]
T = TypeVar("T")


def fill(cls: type[T], entity: object, **given: Any) -> T:
    """An attrs response class filled from the entity's attributes of the same names (and
    ``given`` values)."""
    names = {f.name for f in attrs.fields(cast(Any, cls))} - set(given)
    return cls(**{name: getattr(entity, name) for name in names}, **given)


def changes_of(data: object) -> dict[str, Any]:
    """The fields of a PATCH body that were given (``UNSET`` ones left out)."""
    return {
        name: value
        for name, value in attrs.asdict(cast(Any, data), recurse=False).items()
        if value is not UNSET
    }


# -- programs ----------------------------------------------------------------------------------


@attrs.frozen
class ProgramOut:
    """A program: the organisation-wide template cohorts are made from."""

    id: UUID
    name: str
    description: str | None
    age_min: int | None
    age_max: int | None
    skill_level: SkillLevel | None
    duration_weeks: int | None
    session_duration_minutes: int | None
    default_price: Decimal | None
    skill_tree_id: UUID | None
    is_active: bool
    created_at: datetime


@attrs.frozen
class ProgramIn:
    """A new program."""

    name: str
    description: str | None = None
    age_min: int | None = None
    age_max: int | None = None
    skill_level: SkillLevel | None = None
    duration_weeks: int | None = None
    session_duration_minutes: int | None = None
    default_price: Decimal | None = None
    skill_tree_id: UUID | None = None


@attrs.frozen
class ProgramPatch:
    """Program details to change."""

    name: str | UnsetType = UNSET
    description: str | UnsetType | None = UNSET
    age_min: int | UnsetType | None = UNSET
    age_max: int | UnsetType | None = UNSET
    skill_level: SkillLevel | UnsetType | None = UNSET
    duration_weeks: int | UnsetType | None = UNSET
    session_duration_minutes: int | UnsetType | None = UNSET
    default_price: Decimal | UnsetType | None = UNSET
    skill_tree_id: UUID | UnsetType | None = UNSET


def program_out(program: Program) -> ProgramOut:
    """A program as JSON."""
    return fill(ProgramOut, program)


@get("/programs", opt=STAFF, sync_to_thread=True, tags=TAGS)
def list_programs(
    actor: Actor,
    scheduling: SchedulingService,
    active: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ProgramOut]:
    """Programs by name (``active``: only active or only inactive ones)."""
    found = scheduling.list_programs(actor, active=active)
    return page([program_out(p) for p in found], limit, offset)


@post("/programs", opt=STAFF, sync_to_thread=True, tags=TAGS)
def create_program(data: ProgramIn, actor: Actor, scheduling: SchedulingService) -> ProgramOut:
    """Add a program (super admins)."""
    return program_out(scheduling.create_program(actor, **attrs.asdict(data)))


@get("/programs/{program_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def get_program(program_id: UUID, actor: Actor, scheduling: SchedulingService) -> ProgramOut:
    """One program."""
    return program_out(scheduling.get_program(actor, program_id))


@patch("/programs/{program_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def update_program(
    program_id: UUID, data: ProgramPatch, actor: Actor, scheduling: SchedulingService
) -> ProgramOut:
    """Change a program (super admins); existing cohorts keep their price."""
    return program_out(scheduling.update_program(actor, program_id, **changes_of(data)))


@post(
    "/programs/{program_id:uuid}/deactivate",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def deactivate_program(program_id: UUID, actor: Actor, scheduling: SchedulingService) -> ProgramOut:
    """Stop offering a program: no new cohorts (super admins)."""
    return program_out(scheduling.deactivate_program(actor, program_id))


# -- sessions (shapes) -------------------------------------------------------------------------


@attrs.frozen
class SessionOut:
    """One meeting of a cohort (date and times: the campus's local time)."""

    id: UUID
    cohort_id: UUID
    session_number: int
    scheduled_date: date
    scheduled_start_time: time
    scheduled_end_time: time
    actual_start_time: time | None
    actual_end_time: time | None
    status: SessionStatus
    cancellation_reason: str | None
    location_notes: str | None
    lead_instructor_id: UUID | None
    notes: str | None
    created_at: datetime


def session_out(session: Session) -> SessionOut:
    """A session as JSON."""
    return fill(SessionOut, session)


# -- cohorts -----------------------------------------------------------------------------------


@attrs.frozen
class CohortOut:
    """A cohort: one program at one campus between two dates."""

    id: UUID
    program_id: UUID
    campus_id: UUID
    name: str
    start_date: date
    end_date: date
    max_capacity: int
    current_enrolments: int
    seats_free: int
    status: CohortStatus
    tuition_price: Decimal | None
    room: str | None
    attention: str | None
    created_at: datetime


@attrs.frozen
class CohortStaffOut:
    """A staff member's assignment to a cohort."""

    id: UUID
    cohort_id: UUID
    staff_id: UUID
    role: CohortStaffRole
    assigned_at: datetime


@attrs.frozen
class CohortDetailsOut:
    """A cohort and who teaches it (lead first)."""

    cohort: CohortOut
    staff: list[CohortStaffOut]


@attrs.frozen
class CohortIn:
    """A new (draft) cohort of a program at a campus. ``end_date`` defaults to the program's
    duration after the start, ``tuition_price`` to its default price."""

    program_id: UUID
    campus_id: UUID
    name: str
    start_date: date
    max_capacity: int
    end_date: date | None = None
    tuition_price: Decimal | None = None
    room: str | None = None


@attrs.frozen
class CohortPatch:
    """Cohort details to change (capacity: the enrolment routes)."""

    name: str | UnsetType = UNSET
    room: str | UnsetType | None = UNSET
    tuition_price: Decimal | UnsetType | None = UNSET
    start_date: date | UnsetType = UNSET
    end_date: date | UnsetType = UNSET


@attrs.frozen
class CancelIn:
    """Why."""

    reason: str


@attrs.frozen
class CohortCancellationOut:
    """The cancelled cohort and the sessions cancelled with it."""

    cohort: CohortOut
    cancelled_sessions: list[SessionOut]


@attrs.frozen
class CohortStaffIn:
    """A staff member to teach the cohort, as its lead (replacing the current one) or as
    an assistant."""

    staff_id: UUID
    role: CohortStaffRole


@attrs.frozen
class WeeklyPatternIn:
    """When the cohort meets: weekdays (0 = Monday ... 6 = Sunday), a local start time and
    a length in minutes (default: the program's); the lead (default: the cohort's)."""

    weekdays: list[int]
    start_time: time
    length_minutes: int | None = None
    lead_instructor_id: UUID | None = None


@attrs.frozen
class ClosureSkippedOut:
    """A closure day that generation skipped."""

    day: date
    reason: str


@attrs.frozen
class GeneratedSessionsOut:
    """The cohort's new sessions and the closure days skipped."""

    cohort: CohortOut
    sessions: list[SessionOut]
    skipped: list[ClosureSkippedOut]


def cohort_out(cohort: Cohort) -> CohortOut:
    """A cohort as JSON."""
    return fill(CohortOut, cohort)


def _cohort_staff(assignment: CohortStaff) -> CohortStaffOut:
    return fill(CohortStaffOut, assignment)


@get("/cohorts", opt=STAFF, sync_to_thread=True, tags=TAGS)
def list_cohorts(
    actor: Actor,
    scheduling: SchedulingService,
    campus_id: UUID | None = None,
    program_id: UUID | None = None,
    status: list[CohortStatus] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CohortOut]:
    """Cohorts by start date, filterable by campus, program, status (repeatable) and the
    dates they run (those running at some time from ``date_from`` to ``date_to``)."""
    found = scheduling.list_cohorts(
        actor,
        campus_id=campus_id,
        program_id=program_id,
        statuses=status,
        date_from=date_from,
        date_to=date_to,
    )
    return page([cohort_out(c) for c in found], limit, offset)


@post("/cohorts", opt=STAFF, sync_to_thread=True, tags=TAGS)
def create_cohort(data: CohortIn, actor: Actor, scheduling: SchedulingService) -> CohortOut:
    """Schedule a draft cohort from a program (super admins, campus managers there)."""
    return cohort_out(scheduling.create_cohort(actor, **attrs.asdict(data)))


@get("/cohorts/{cohort_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def get_cohort(cohort_id: UUID, actor: Actor, scheduling: SchedulingService) -> CohortDetailsOut:
    """One cohort and who teaches it."""
    details = scheduling.get_cohort(actor, cohort_id)
    return CohortDetailsOut(
        cohort=cohort_out(details.cohort), staff=[_cohort_staff(a) for a in details.staff]
    )


@patch("/cohorts/{cohort_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def update_cohort(
    cohort_id: UUID, data: CohortPatch, actor: Actor, scheduling: SchedulingService
) -> CohortOut:
    """Change a cohort's name, room, price or dates (super admins, its campus managers)."""
    return cohort_out(scheduling.update_cohort(actor, cohort_id, **changes_of(data)))


@post("/cohorts/{cohort_id:uuid}/open", opt=STAFF, sync_to_thread=True, tags=TAGS, status_code=200)
def open_cohort(cohort_id: UUID, actor: Actor, scheduling: SchedulingService) -> CohortOut:
    """Open a draft cohort for enrolment (super admins, its campus managers)."""
    return cohort_out(scheduling.open_cohort(actor, cohort_id))


@post(
    "/cohorts/{cohort_id:uuid}/cancel", opt=STAFF, sync_to_thread=True, tags=TAGS, status_code=200
)
def cancel_cohort(
    cohort_id: UUID, data: CancelIn, actor: Actor, scheduling: SchedulingService
) -> CohortCancellationOut:
    """Cancel a cohort without live enrolments, with its upcoming sessions (super admins,
    its campus managers)."""
    result = scheduling.cancel_cohort(actor, cohort_id, reason=data.reason)
    return CohortCancellationOut(
        cohort=cohort_out(result.cohort),
        cancelled_sessions=[session_out(s) for s in result.cancelled_sessions],
    )


@post("/cohorts/{cohort_id:uuid}/staff", opt=STAFF, sync_to_thread=True, tags=TAGS)
def assign_cohort_staff(
    cohort_id: UUID, data: CohortStaffIn, actor: Actor, scheduling: SchedulingService
) -> CohortStaffOut:
    """Assign a lead instructor or a teaching assistant; nobody is double-booked (super
    admins, its campus managers)."""
    return _cohort_staff(scheduling.assign_cohort_staff(actor, cohort_id, data.staff_id, data.role))


@delete(
    "/cohorts/{cohort_id:uuid}/staff/{staff_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS
)
def unassign_cohort_staff(
    cohort_id: UUID, staff_id: UUID, actor: Actor, scheduling: SchedulingService
) -> None:
    """End a staff member's assignment to a cohort (super admins, its campus managers)."""
    scheduling.unassign_cohort_staff(actor, cohort_id, staff_id)


@post("/cohorts/{cohort_id:uuid}/sessions", opt=STAFF, sync_to_thread=True, tags=TAGS)
def generate_sessions(
    cohort_id: UUID, data: WeeklyPatternIn, actor: Actor, scheduling: SchedulingService
) -> GeneratedSessionsOut:
    """Create a cohort's sessions from a weekly pattern, skipping closure dates (super
    admins, its campus managers)."""
    result = scheduling.generate_sessions(
        actor,
        cohort_id,
        weekdays=data.weekdays,
        start_time=data.start_time,
        length_minutes=data.length_minutes,
        lead_instructor_id=data.lead_instructor_id,
    )
    return GeneratedSessionsOut(
        cohort=cohort_out(result.cohort),
        sessions=[session_out(s) for s in result.sessions],
        skipped=[ClosureSkippedOut(day=x.day, reason=x.reason) for x in result.skipped],
    )


# -- sessions ----------------------------------------------------------------------------------


@attrs.frozen
class SessionStaffOut:
    """A teaching assistant's assignment to one session."""

    id: UUID
    session_id: UUID
    staff_id: UUID
    assigned_at: datetime


@attrs.frozen
class SessionDetailsOut:
    """A session and the assistants assigned to it alone (the cohort's staff teach it
    too)."""

    session: SessionOut
    assistants: list[SessionStaffOut]


@attrs.frozen
class SessionCancelIn:
    """Why; a lead instructor cancels only in an emergency (``emergency: true``)."""

    reason: str
    emergency: bool = False


@attrs.frozen
class MakeupTokenOut:
    """A makeup token issued for the cancelled session."""

    id: UUID
    student_id: UUID
    enrolment_id: UUID
    issued_on: date
    expires_on: date


@attrs.frozen
class SessionCancellationOut:
    """The cancelled session, the makeup tokens issued and the trial enrolments booked into
    it (to rebook)."""

    session: SessionOut
    makeup_tokens: list[MakeupTokenOut]
    trial_enrolment_ids: list[UUID]


@attrs.frozen
class RescheduleIn:
    """The session's new day and local times."""

    scheduled_date: date
    scheduled_start_time: time
    scheduled_end_time: time


@attrs.frozen
class SessionStaffIn:
    """A teaching assistant for this session only."""

    staff_id: UUID


def _session_staff(assignment: SessionStaff) -> SessionStaffOut:
    return fill(SessionStaffOut, assignment)


def _token(token: MakeupToken) -> MakeupTokenOut:
    return fill(MakeupTokenOut, token)


@get("/sessions", opt=STAFF, sync_to_thread=True, tags=TAGS)
def list_sessions(
    actor: Actor,
    scheduling: SchedulingService,
    cohort_id: UUID | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    campus_id: UUID | None = None,
    status: list[SessionStatus] | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[SessionOut]:
    """Sessions by date and time: a cohort's, or every cohort's between ``date_from`` and
    ``date_to`` (both required then), optionally of one campus and in some statuses."""
    found = scheduling.list_sessions(
        actor,
        cohort_id=cohort_id,
        date_from=date_from,
        date_to=date_to,
        campus_id=campus_id,
        statuses=status,
    )
    return page([session_out(s) for s in found], limit, offset)


@get("/sessions/{session_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def get_session(session_id: UUID, actor: Actor, scheduling: SchedulingService) -> SessionDetailsOut:
    """One session and its own assistants."""
    details = scheduling.get_session(actor, session_id)
    return SessionDetailsOut(
        session=session_out(details.session),
        assistants=[_session_staff(a) for a in details.assistants],
    )


@post(
    "/sessions/{session_id:uuid}/cancel",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def cancel_session(
    session_id: UUID, data: SessionCancelIn, actor: Actor, scheduling: SchedulingService
) -> SessionCancellationOut:
    """Cancel a session with a reason: makeup tokens for its students, families told (super
    admins, its campus managers, its lead instructor in an emergency)."""
    result = scheduling.cancel_session(
        actor, session_id, reason=data.reason, emergency=data.emergency
    )
    return SessionCancellationOut(
        session=session_out(result.session),
        makeup_tokens=[_token(t) for t in result.tokens],
        trial_enrolment_ids=[e.id for e in result.trial_enrolments],
    )


@post(
    "/sessions/{session_id:uuid}/reschedule",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def reschedule_session(
    session_id: UUID, data: RescheduleIn, actor: Actor, scheduling: SchedulingService
) -> SessionOut:
    """Move a session within its cohort's dates, never double-booking anyone (super
    admins, its campus managers)."""
    moved = scheduling.reschedule_session(
        actor,
        session_id,
        on=data.scheduled_date,
        start=data.scheduled_start_time,
        end=data.scheduled_end_time,
    )
    return session_out(moved)


@post("/sessions/{session_id:uuid}/staff", opt=STAFF, sync_to_thread=True, tags=TAGS)
def assign_session_assistant(
    session_id: UUID, data: SessionStaffIn, actor: Actor, scheduling: SchedulingService
) -> SessionStaffOut:
    """Add a teaching assistant to one session (super admins, its campus managers)."""
    return _session_staff(scheduling.assign_session_assistant(actor, session_id, data.staff_id))


@delete(
    "/sessions/{session_id:uuid}/staff/{staff_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS
)
def unassign_session_assistant(
    session_id: UUID, staff_id: UUID, actor: Actor, scheduling: SchedulingService
) -> None:
    """Remove a teaching assistant from one session (super admins, its campus managers)."""
    scheduling.unassign_session_assistant(actor, session_id, staff_id)


ROUTES = [
    list_programs,
    create_program,
    get_program,
    update_program,
    deactivate_program,
    list_cohorts,
    create_cohort,
    get_cohort,
    update_cohort,
    open_cohort,
    cancel_cohort,
    assign_cohort_staff,
    unassign_cohort_staff,
    generate_sessions,
    list_sessions,
    get_session,
    cancel_session,
    reschedule_session,
    assign_session_assistant,
    unassign_session_assistant,
]
