"""A session's roll as plain values: what it is read from, and the marks written to it.

The roll is the hottest path of the staff API: every instructor opens it at every session
and marks all of it at once (the answer is the roll again). Its reads only display what
they read, so they are these small frozen values rather than tracked entities, and marking
a roll is a set-based write (``MarkWrite``): on SQL a handful of Core statements, with no
identity map or change tracking per row (docs/architecture.md, "The roll: values and
set-based marks"). They are snapshots of entities (they carry their ids), not entities:
``ports.RollRepository`` reads and writes them.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, ClassVar
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from rocket_core.enrolment_machine import SEAT_HOLDING_STATES, EnrolmentStatus
from rocket_core.model.attendance import AttendanceStatus
from rocket_core.model.catalogue import SessionStatus
from rocket_core.model.families import display_name, sort_key


@attrs.frozen(slots=True, kw_only=True)
class RollContext:
    """A session with what its roll and its marking need of it, of its cohort, of the
    cohort's campus (its time zone) and of the organisation (the marks' edit window)."""

    session_id: UUID
    session_number: int
    scheduled_date: date
    scheduled_end_time: time
    status: SessionStatus
    lead_instructor_id: UUID | None
    cohort_id: UUID
    cohort_name: str
    program_id: UUID
    campus_id: UUID
    timezone: str
    edit_window_hours: int

    @property
    def is_cancelled(self) -> bool:
        """As ``Session.is_cancelled``."""
        return self.status is SessionStatus.CANCELLED

    def ends_at(self) -> datetime:
        """As ``Session.ends_at``: the instant the session ends, in the campus's time zone."""
        return datetime.combine(
            self.scheduled_date, self.scheduled_end_time, ZoneInfo(self.timezone)
        )


@attrs.frozen(slots=True)
class RollEnrolment:
    """An enrolment as the roll sees it: whose, in which cohort, its status and days."""

    id: UUID
    student_id: UUID
    cohort_id: UUID
    status: EnrolmentStatus
    enrolment_date: datetime
    start_date: date | None
    end_date: date | None
    trial_session_id: UUID | None

    @property
    def holds_seat(self) -> bool:
        """Pending payment, enrolled or active (as ``Enrolment.holds_seat``)."""
        return self.status in SEAT_HOLDING_STATES


@attrs.frozen(slots=True)
class RollMark:
    """A student's mark at the session."""

    id: UUID
    student_id: UUID
    enrolment_id: UUID
    status: AttendanceStatus
    notes: str | None
    recorded_by_staff_id: UUID | None
    recorded_at: datetime
    version: int


@attrs.frozen(slots=True, kw_only=True)
class MarkWrite:
    """A mark that marking a roll writes (``RollRepository.record_marks``), with its audit
    entry: ``mark`` as it will be stored (its version included), ``read_version`` the
    version it was read at (None: a new mark), ``changes`` JSON values."""

    #: The audit action of a mark.
    ACTION: ClassVar[str] = "attendance.mark"

    mark: RollMark
    session_id: UUID
    read_version: int | None
    actor_staff_id: UUID
    summary: str
    changes: dict[str, Any]


@attrs.frozen(slots=True)
class RollVisit:
    """A makeup token spent on the session: its student visits on that enrolment."""

    student_id: UUID
    enrolment_id: UUID


@attrs.frozen(slots=True)
class RollStudent:
    """A student's names (and family, for an absence alert)."""

    id: UUID
    family_id: UUID
    first_name: str
    preferred_name: str | None
    last_name: str

    @property
    def display_name(self) -> str:
        """As ``Student.display_name``: preferred first name, then last name."""
        return display_name(self.first_name, self.preferred_name, self.last_name)

    @property
    def sort_key(self) -> tuple[str, str]:
        """As ``Student.sort_key``: last name, then first name, case-insensitively."""
        return sort_key(self.first_name, self.preferred_name, self.last_name)


@attrs.frozen(slots=True)
class RollSheet:
    """Everything a session's roll is made of (``RollRepository.sheet``).

    ``enrolments``: the cohort's enrolments of the asked statuses and the session's trials
    (any status), in arrival order (enrolment date, then id); ``marks``: every mark of the
    session (recorded order); ``visits``: the makeup tokens spent on it (redeemed order);
    ``students``: every student those name, by id.
    """

    enrolments: tuple[RollEnrolment, ...]
    marks: tuple[RollMark, ...]
    visits: tuple[RollVisit, ...]
    students: dict[UUID, RollStudent]
