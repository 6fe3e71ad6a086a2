"""Catalogue and scheduling context: programs, cohorts, sessions and who teaches them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from rocket_core.errors import Conflict, InvalidTransition
from rocket_core.events import SessionCancelled
from rocket_core.model import checks as c
from rocket_core.model.base import Entity, new_id, utc_now
from rocket_core.model.learning import Rubric


class SkillLevel(StrEnum):
    """Program.skill_level."""

    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class CohortStatus(StrEnum):
    """Cohort.status."""

    DRAFT = "draft"
    OPEN = "open"
    FULL = "full"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class SessionStatus(StrEnum):
    """Session.status."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class CohortStaffRole(StrEnum):
    """CohortStaff.role: a cohort's lead instructor or one of its teaching assistants."""

    LEAD_INSTRUCTOR = "lead_instructor"
    TEACHING_ASSISTANT = "teaching_assistant"


@attrs.define(slots=False, eq=False, kw_only=True)
class Program(Entity):
    """A reusable curriculum (e.g. "Scratch Basics Level 1") from which cohorts are made."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    name: str = attrs.field(validator=c.text(200))
    description: str | None = attrs.field(default=None, validator=c.optional(c.long_text))
    age_min: int | None = attrs.field(default=None, validator=c.optional(c.whole_number(0, 120)))
    age_max: int | None = attrs.field(default=None, validator=c.optional(c.whole_number(0, 120)))
    skill_level: SkillLevel | None = attrs.field(
        default=None, validator=c.optional(c.member_of(SkillLevel))
    )
    duration_weeks: int | None = attrs.field(
        default=None, validator=c.optional(c.whole_number(1, 104))
    )
    session_duration_minutes: int | None = attrs.field(
        default=None, validator=c.optional(c.whole_number(1, 24 * 60))
    )
    default_price: Decimal | None = attrs.field(default=None, validator=c.optional(c.money()))
    skill_tree_id: UUID | None = attrs.field(default=None, validator=c.optional(c.of_type(UUID)))
    #: How the program's projects are marked (a cohort may override it).
    rubric: Rubric | None = attrs.field(default=None, validator=c.optional(c.of_type(Rubric)))
    is_active: bool = attrs.field(default=True, validator=c.of_type(bool))
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    def __attrs_post_init__(self) -> None:
        if self.age_min is not None and self.age_max is not None:
            c.require(
                self.age_min <= self.age_max, "Program.age_min", "must not exceed Program.age_max"
            )

    def accepts_age(self, age: int) -> bool:
        """True when ``age`` lies within the program's age range (an open bound accepts all)."""
        too_young = self.age_min is not None and age < self.age_min
        too_old = self.age_max is not None and age > self.age_max
        return not (too_young or too_old)

    def deactivate(self) -> None:
        """Stop offering the program; existing cohorts keep it."""
        self.is_active = False


_COHORT_MOVES: dict[CohortStatus, frozenset[CohortStatus]] = {
    CohortStatus.DRAFT: frozenset({CohortStatus.OPEN, CohortStatus.CANCELLED}),
    CohortStatus.OPEN: frozenset(
        {CohortStatus.FULL, CohortStatus.IN_PROGRESS, CohortStatus.CANCELLED}
    ),
    CohortStatus.FULL: frozenset(
        {CohortStatus.OPEN, CohortStatus.IN_PROGRESS, CohortStatus.CANCELLED}
    ),
    CohortStatus.IN_PROGRESS: frozenset({CohortStatus.COMPLETED, CohortStatus.CANCELLED}),
    CohortStatus.COMPLETED: frozenset(),
    CohortStatus.CANCELLED: frozenset(),
}


@attrs.define(slots=False, eq=False, kw_only=True)
class Cohort(Entity):
    """A scheduled instance of a program at one campus: the class that students enrol in.

    ``current_enrolments`` counts seat-holders (pending payment, enrolled, active) and never
    exceeds ``max_capacity``; the status follows it between open and full.
    """

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    program_id: UUID = attrs.field(validator=c.of_type(UUID))
    campus_id: UUID = attrs.field(validator=c.of_type(UUID))
    name: str = attrs.field(validator=c.text(200))
    start_date: date = attrs.field(validator=c.a_date)
    end_date: date = attrs.field(validator=c.a_date)
    max_capacity: int = attrs.field(validator=c.whole_number(1, 10_000))
    current_enrolments: int = attrs.field(default=0, validator=c.whole_number(0))
    status: CohortStatus = attrs.field(
        default=CohortStatus.DRAFT, validator=c.member_of(CohortStatus)
    )
    tuition_price: Decimal | None = attrs.field(default=None, validator=c.optional(c.money()))
    room: str | None = attrs.field(default=None, validator=c.optional(c.text(100)))
    #: How this cohort's projects are marked; None uses the program's rubric.
    rubric: Rubric | None = attrs.field(default=None, validator=c.optional(c.of_type(Rubric)))
    #: Why staff should look at this cohort (e.g. it reached its start date with no
    #: enrolments); None when all is well.
    attention: str | None = attrs.field(default=None, validator=c.optional(c.text(200)))
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    def __attrs_post_init__(self) -> None:
        c.require(
            self.start_date <= self.end_date, "Cohort.start_date", "must not be after end_date"
        )
        c.require(
            self.current_enrolments <= self.max_capacity,
            "Cohort.current_enrolments",
            "cannot exceed max_capacity",
        )

    @property
    def seats_free(self) -> int:
        """How many more students can hold a seat."""
        return self.max_capacity - self.current_enrolments

    @property
    def is_finished(self) -> bool:
        """Completed or cancelled: no status change is possible any more."""
        return not _COHORT_MOVES[self.status]

    def _move(self, target: CohortStatus, action: str) -> None:
        if target not in _COHORT_MOVES[self.status]:
            raise InvalidTransition("Cohort", self.id, self.status.value, action)
        self.status = target

    def open(self) -> None:
        """Publish a draft cohort for enrolment (full at once if it has no free seat)."""
        self._move(CohortStatus.OPEN, "open")
        if self.seats_free == 0:
            self.status = CohortStatus.FULL

    def begin(self) -> None:
        """The start date has come: open or full -> in_progress."""
        self._move(CohortStatus.IN_PROGRESS, "begin")

    def complete(self) -> None:
        """The end date has passed: in_progress -> completed."""
        self._move(CohortStatus.COMPLETED, "complete")

    def cancel(self) -> None:
        """Cancel from any status that is not final."""
        self._move(CohortStatus.CANCELLED, "cancel")

    def take_seat(self) -> None:
        """Count one more seat-holder (refused when full); at capacity the cohort is full."""
        if self.seats_free <= 0:
            raise Conflict(f"Cohort {self.name!r} is full ({self.max_capacity} seats)")
        if self.is_finished:
            raise InvalidTransition("Cohort", self.id, self.status.value, "take a seat")
        self.current_enrolments += 1
        self._follow_capacity()

    def release_seat(self) -> None:
        """Count one seat-holder fewer (a drop or transfer); a full cohort opens again."""
        if self.current_enrolments <= 0:
            raise Conflict(f"Cohort {self.name!r} has no seat-holder to release")
        self.current_enrolments -= 1
        self._follow_capacity()

    def change_capacity(self, max_capacity: int) -> None:
        """Raise or lower the number of seats; never below the current seat-holders."""
        if max_capacity < self.current_enrolments:
            raise Conflict(
                f"Cohort {self.name!r} has {self.current_enrolments} seat-holders:"
                f" capacity cannot drop to {max_capacity}"
            )
        self.update(max_capacity=max_capacity)
        self._follow_capacity()

    def _follow_capacity(self) -> None:
        if self.status is CohortStatus.OPEN and self.seats_free == 0:
            self.status = CohortStatus.FULL
        elif self.status is CohortStatus.FULL and self.seats_free > 0:
            self.status = CohortStatus.OPEN


@attrs.define(slots=False, eq=False, kw_only=True)
class CohortStaff(Entity):
    """A staff member assigned to a cohort as its lead instructor or a teaching assistant."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    cohort_id: UUID = attrs.field(validator=c.of_type(UUID))
    staff_id: UUID = attrs.field(validator=c.of_type(UUID))
    role: CohortStaffRole = attrs.field(validator=c.member_of(CohortStaffRole))
    assigned_at: datetime = attrs.field(factory=utc_now, validator=c.aware)


_SESSION_MOVES: dict[SessionStatus, frozenset[SessionStatus]] = {
    SessionStatus.SCHEDULED: frozenset(
        {SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED, SessionStatus.CANCELLED}
    ),
    SessionStatus.IN_PROGRESS: frozenset({SessionStatus.COMPLETED}),
    SessionStatus.COMPLETED: frozenset(),
    SessionStatus.CANCELLED: frozenset(),
}


@attrs.define(slots=False, eq=False, kw_only=True)
class Session(Entity):
    """One meeting of a cohort. Date and times are the campus's local wall-clock time."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    cohort_id: UUID = attrs.field(validator=c.of_type(UUID))
    session_number: int = attrs.field(validator=c.whole_number(1))
    scheduled_date: date = attrs.field(validator=c.a_date)
    scheduled_start_time: time = attrs.field(validator=c.a_time)
    scheduled_end_time: time = attrs.field(validator=c.a_time)
    actual_start_time: time | None = attrs.field(default=None, validator=c.optional(c.a_time))
    actual_end_time: time | None = attrs.field(default=None, validator=c.optional(c.a_time))
    status: SessionStatus = attrs.field(
        default=SessionStatus.SCHEDULED, validator=c.member_of(SessionStatus)
    )
    cancellation_reason: str | None = attrs.field(default=None, validator=c.optional(c.long_text))
    location_notes: str | None = attrs.field(default=None, validator=c.optional(c.text(200)))
    lead_instructor_id: UUID | None = attrs.field(
        default=None, validator=c.optional(c.of_type(UUID))
    )
    notes: str | None = attrs.field(default=None, validator=c.optional(c.long_text))
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    def __attrs_post_init__(self) -> None:
        c.require(
            self.scheduled_end_time > self.scheduled_start_time,
            "Session.scheduled_end_time",
            "must be after scheduled_start_time",
        )
        if self.actual_start_time is not None and self.actual_end_time is not None:
            c.require(
                self.actual_end_time >= self.actual_start_time,
                "Session.actual_end_time",
                "must not be before actual_start_time",
            )
        if self.status is SessionStatus.CANCELLED:
            c.require(
                bool(self.cancellation_reason and self.cancellation_reason.strip()),
                "Session.cancellation_reason",
                "is required for a cancelled session",
            )

    def starts_at(self, timezone: str) -> datetime:
        """The instant the session starts, from the campus's time zone."""
        return datetime.combine(self.scheduled_date, self.scheduled_start_time, ZoneInfo(timezone))

    def ends_at(self, timezone: str) -> datetime:
        """The instant the session ends, from the campus's time zone."""
        return datetime.combine(self.scheduled_date, self.scheduled_end_time, ZoneInfo(timezone))

    @property
    def duration(self) -> timedelta:
        """Scheduled length."""
        start = datetime.combine(self.scheduled_date, self.scheduled_start_time)
        return datetime.combine(self.scheduled_date, self.scheduled_end_time) - start

    @property
    def is_cancelled(self) -> bool:
        """True once the session has been cancelled."""
        return self.status is SessionStatus.CANCELLED

    def _move(self, target: SessionStatus, action: str) -> None:
        if target not in _SESSION_MOVES[self.status]:
            raise InvalidTransition("Session", self.id, self.status.value, action)
        self.status = target

    def begin(self, at: time) -> None:
        """The class has started at local time ``at``."""
        c.a_time(self, attrs.fields(Session).actual_start_time, at)
        self._move(SessionStatus.IN_PROGRESS, "begin")
        self.actual_start_time = at

    def complete(self, at: time | None = None) -> None:
        """The class is over (at local time ``at`` when known)."""
        if at is not None:
            c.a_time(self, attrs.fields(Session).actual_end_time, at)
            if self.actual_start_time is not None:
                c.require(
                    at >= self.actual_start_time,
                    "Session.actual_end_time",
                    "must not be before actual_start_time",
                )
        self._move(SessionStatus.COMPLETED, "complete")
        self.actual_end_time = at

    def cancel(self, reason: str) -> None:
        """Cancel a session that has not started; records the reason and a SessionCancelled."""
        c.text(10_000)(self, attrs.fields(Session).cancellation_reason, reason)
        self._move(SessionStatus.CANCELLED, "cancel")
        self.cancellation_reason = reason
        self.record(
            SessionCancelled(
                organisation_id=self.organisation_id,
                session_id=self.id,
                cohort_id=self.cohort_id,
                reason=reason,
            )
        )

    def reschedule(self, on: date, start: time, end: time) -> None:
        """Move a scheduled session to another date or time."""
        if self.status is not SessionStatus.SCHEDULED:
            raise InvalidTransition("Session", self.id, self.status.value, "reschedule")
        self.update(scheduled_date=on, scheduled_start_time=start, scheduled_end_time=end)


@attrs.define(slots=False, eq=False, kw_only=True)
class SessionStaff(Entity):
    """A teaching assistant assigned to one session (the lead is Session.lead_instructor_id)."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    session_id: UUID = attrs.field(validator=c.of_type(UUID))
    staff_id: UUID = attrs.field(validator=c.of_type(UUID))
    assigned_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
