"""Scheduling use cases: programs, cohorts, their weekly sessions and who teaches them.

Who may do what (product-rules.md, "Staff permissions"):

- programs are organisation-wide, so creating or changing one needs ``create cohorts, assign
  instructors`` with scope all (super admins);
- cohorts, their sessions and their instructors: super admins, and campus managers at the
  cohort's campus;
- cancelling a session: super admins, campus managers at its campus, and a lead instructor of
  its cohort in an emergency only (``emergency=True``).

Dates and times of sessions are the campus's local wall-clock time; instants (for overlaps,
calendars, reminders) are derived with ``Session.starts_at(campus.timezone)``, so a weekly
16:00 class stays at 16:00 across a daylight-saving change.

Decisions where the rules are silent:

- A cohort's session length is not stored on the cohort: generating its sessions takes a
  length, defaulting to the program's ``session_duration_minutes``. Its tuition defaults to the
  program's ``default_price``; its end date to ``duration_weeks`` after the start; the age
  range stays on the program.
- A new cohort cannot start in the past. It is created as a draft and can be opened only once
  it has sessions, at an active campus, before its end date.
- Sessions are generated once: a cohort that already has sessions refuses a second
  generation (staff reschedule or cancel single sessions, which keeps attendance and makeup
  history intact).
- A cohort has one lead instructor: assigning another replaces the previous one (their
  assignment ends; the audit keeps it) and leads the cohort's upcoming sessions.
- Who can teach: a lead is a lead instructor, campus manager or super admin; an assistant is
  any of those or a teaching assistant. Apart from super admins, they must work at the
  cohort's campus (CampusStaff).
- Double-booking: a staff member teaches a session as its lead, as its assistant or through an
  assignment to its cohort; two non-cancelled sessions of theirs that overlap in time, at any
  campus (compared as instants, each in its own campus's time zone), are refused.
- Cancelling a cohort is refused while it has live enrolments (waitlist and enquiries too):
  staff drop or transfer them first, which settles refunds and credits one family at a time.
  Its upcoming sessions are then cancelled.
- A cancelled session gives a makeup token to every seat-holding enrolment that had started by
  the session's date; trial bookings for it are listed for staff to rebook.
- A session is rescheduled only within its cohort's dates (change the cohort's end date
  first to add a catch-up week), not into the past and not onto a closure date.
- Capacity changes belong to the enrolment journey (``EnrolmentService.change_capacity``),
  because raising it offers freed seats to the waitlist.

Reading (the matrix has no row for it): the timetable (programs, cohorts, sessions and who
teaches them) is read by every staff member. It holds no personal data, and front desk and
instructors need the whole organisation's timetable (makeup sessions are booked in another
cohort, often at another campus; instructors cover each other). Who sits in a cohort or a
session (rosters, rolls) is ``view roster``, in the enrolment and attendance use cases.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from rocket_core.enrolment_machine import SEAT_HOLDING_STATES
from rocket_core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationError
from rocket_core.events import SessionRescheduled
from rocket_core.model import (
    Campus,
    ClosureDate,
    Cohort,
    CohortStaff,
    CohortStaffRole,
    CohortStatus,
    Enrolment,
    MakeupToken,
    Program,
    Session,
    SessionStaff,
    SessionStatus,
    SkillLevel,
    Staff,
    StaffRole,
)
from rocket_core.permissions import Action, Actor, authorise
from rocket_core.ports import UnitOfWork
from rocket_core.services.base import Service
from rocket_core.services.checks import changed_fields, only_fields, require
from rocket_core.services.makeup import issue_token

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_PROGRAM_FIELDS = frozenset(
    {
        "name",
        "description",
        "age_min",
        "age_max",
        "skill_level",
        "duration_weeks",
        "session_duration_minutes",
        "default_price",
        "skill_tree_id",
    }
)
_COHORT_FIELDS = frozenset({"name", "room", "tuition_price", "start_date", "end_date"})

#: Roles that may lead a cohort, and that may assist in one.
LEAD_ROLES = frozenset({StaffRole.LEAD_INSTRUCTOR, StaffRole.CAMPUS_MANAGER, StaffRole.SUPER_ADMIN})
ASSISTANT_ROLES = LEAD_ROLES | {StaffRole.TEACHING_ASSISTANT}


# -- the weekly pattern (pure) ---------------------------------------------------------------


@attrs.frozen(kw_only=True)
class WeeklyPattern:
    """When a cohort meets: weekdays (0 = Monday ... 6 = Sunday, as ``date.weekday()``), a
    local start time and a length in minutes (ending by midnight)."""

    weekdays: frozenset[int]
    start_time: time
    length_minutes: int

    def __attrs_post_init__(self) -> None:
        require(
            bool(self.weekdays)
            and all(
                isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6
                for d in self.weekdays
            ),
            "WeeklyPattern.weekdays",
            "must name at least one weekday, 0 (Monday) to 6 (Sunday)",
        )
        require(
            isinstance(self.start_time, time) and self.start_time.tzinfo is None,
            "WeeklyPattern.start_time",
            "must be a local time of day without a time zone",
        )
        require(
            isinstance(self.length_minutes, int)
            and not isinstance(self.length_minutes, bool)
            and self.length_minutes >= 1,
            "WeeklyPattern.length_minutes",
            "must be a whole number of minutes, at least 1",
        )
        start = self.start_time.hour * 60 + self.start_time.minute
        require(
            start + self.length_minutes < 24 * 60,
            "WeeklyPattern.length_minutes",
            "a session must end before midnight",
        )

    @property
    def end_time(self) -> time:
        """The local time the sessions end."""
        start = datetime.combine(date(2000, 1, 1), self.start_time)
        return (start + timedelta(minutes=self.length_minutes)).time()

    def describe(self) -> str:
        """E.g. "Sunday 16:00-17:30"."""
        days = ", ".join(WEEKDAYS[d] for d in sorted(self.weekdays))
        return f"{days} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


def plan_dates(
    first_day: date, last_day: date, weekdays: Collection[int], closures: Iterable[ClosureDate]
) -> tuple[list[date], list[ClosureDate]]:
    """The days from ``first_day`` to ``last_day`` inclusive that fall on ``weekdays``,
    without the closure days; and the closures that were skipped."""
    closed = {closure.day: closure for closure in closures}
    days: list[date] = []
    skipped: list[ClosureDate] = []
    day = first_day
    while day <= last_day:
        if day.weekday() in weekdays:
            if day in closed:
                skipped.append(closed[day])
            else:
                days.append(day)
        day += timedelta(days=1)
    return days, skipped


# -- results ---------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class GeneratedSessions:
    """A cohort's new sessions (numbered 1..n) and the closure days that were skipped."""

    cohort: Cohort
    sessions: tuple[Session, ...]
    skipped: tuple[ClosureDate, ...]


@attrs.frozen(kw_only=True)
class CohortCancellation:
    """A cancelled cohort and the upcoming sessions cancelled with it."""

    cohort: Cohort
    cancelled_sessions: tuple[Session, ...]


@attrs.frozen(kw_only=True)
class SessionCancellation:
    """A cancelled session, the makeup tokens issued for it, and the trial enrolments booked
    into it (to be rebooked by staff)."""

    session: Session
    tokens: tuple[MakeupToken, ...]
    trial_enrolments: tuple[Enrolment, ...]


@attrs.frozen(kw_only=True)
class CohortDetails:
    """A cohort and its staff assignments (lead first, then assistants, oldest first)."""

    cohort: Cohort
    staff: tuple[CohortStaff, ...]


@attrs.frozen(kw_only=True)
class SessionDetails:
    """A session and the teaching assistants assigned to it alone (its cohort's staff are
    the cohort's)."""

    session: Session
    assistants: tuple[SessionStaff, ...]


#: The longest date range a session list covers (a school year and a bit).
MAX_SESSION_RANGE_DAYS = 400


@attrs.frozen
class _Slot:
    """A session's time as instants (its date and times are its campus's local time)."""

    starts_at: datetime
    ends_at: datetime
    session_id: UUID | None = None

    @classmethod
    def of(cls, day: date, start: time, end: time, timezone: str, session_id: UUID | None) -> _Slot:
        zone = ZoneInfo(timezone)
        return cls(datetime.combine(day, start, zone), datetime.combine(day, end, zone), session_id)

    def overlaps(self, other: _Slot) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


class SchedulingService(Service):
    """Use cases of the catalogue: programs, cohorts, sessions and their staff."""

    # -- programs ------------------------------------------------------------------------------

    def list_programs(self, actor: Actor, *, active: bool | None = None) -> list[Program]:
        """The organisation's programs by name; only the active (``active=True``) or the
        inactive (``False``) ones when asked. Every staff member."""
        with self.transaction(actor) as uow:
            programs = uow.programs.list(active_only=active is True)
        return [p for p in programs if active is None or p.is_active is active]

    def get_program(self, actor: Actor, program_id: UUID) -> Program:
        """One program. Every staff member."""
        with self.transaction(actor) as uow:
            return uow.programs.get(program_id)

    def create_program(
        self,
        actor: Actor,
        *,
        name: str,
        description: str | None = None,
        age_min: int | None = None,
        age_max: int | None = None,
        skill_level: SkillLevel | None = None,
        duration_weeks: int | None = None,
        session_duration_minutes: int | None = None,
        default_price: Decimal | None = None,
        skill_tree_id: UUID | None = None,
    ) -> Program:
        """Add an organisation-wide program (the template cohorts are made from). Super
        admins only; names are unique; the skill tree must exist."""
        with self.transaction(actor) as uow:
            authorise(actor, Action.MANAGE_COHORTS)
            program = Program(
                organisation_id=uow.organisation_id,
                name=name,
                description=description,
                age_min=age_min,
                age_max=age_max,
                skill_level=skill_level,
                duration_weeks=duration_weeks,
                session_duration_minutes=session_duration_minutes,
                default_price=default_price,
                skill_tree_id=skill_tree_id,
                created_at=self.clock.now(),
            )
            _refuse_duplicate_program(uow, program)
            if skill_tree_id is not None:
                uow.skill_trees.get(skill_tree_id)
            uow.programs.add(program)
            self.audit(
                uow,
                actor,
                "program.create",
                program,
                f"Program {program.name} created",
                {"name": program.name, "default_price": program.default_price},
            )
            return program

    def update_program(self, actor: Actor, program_id: UUID, **changes: Any) -> Program:
        """Change a program's details (name, description, ages, level, durations, default
        price, skill tree). Super admins only. Existing cohorts keep the price and session
        length they were given; the age range applies to new enrolments."""
        only_fields(changes, _PROGRAM_FIELDS, "Program")
        with self.transaction(actor) as uow:
            program = uow.programs.get(program_id)
            authorise(actor, Action.MANAGE_COHORTS)
            diff = changed_fields(program, changes)
            if diff:
                program.update(**changes)
                if "name" in diff:
                    _refuse_duplicate_program(uow, program)
                if changes.get("skill_tree_id") is not None:
                    uow.skill_trees.get(changes["skill_tree_id"])
                self.audit(
                    uow,
                    actor,
                    "program.update",
                    program,
                    f"Program {program.name} changed: {', '.join(diff)}",
                    diff,
                )
            return program

    def deactivate_program(self, actor: Actor, program_id: UUID) -> Program:
        """Stop offering a program: no new cohorts; existing ones keep it. Super admins."""
        with self.transaction(actor) as uow:
            program = uow.programs.get(program_id)
            authorise(actor, Action.MANAGE_COHORTS)
            if not program.is_active:
                raise Conflict(f"Program {program.name} is already inactive")
            program.deactivate()
            self.audit(
                uow,
                actor,
                "program.deactivate",
                program,
                f"Program {program.name} deactivated",
                {"is_active": [True, False]},
            )
            return program

    # -- cohorts -------------------------------------------------------------------------------

    def list_cohorts(
        self,
        actor: Actor,
        *,
        campus_id: UUID | None = None,
        program_id: UUID | None = None,
        statuses: Collection[CohortStatus] | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> list[Cohort]:
        """Cohorts by start date then name, optionally at one campus, of one program, in
        some statuses, or running at some time between ``date_from`` and ``date_to``
        (inclusive; either may be open). An unknown campus or program is NotFound. Every
        staff member."""
        _refuse_reversed_range(date_from, date_to)
        with self.transaction(actor) as uow:
            if campus_id is not None:
                uow.campuses.get(campus_id)
            if program_id is not None:
                uow.programs.get(program_id)
            cohorts = uow.cohorts.list(
                campus_id=campus_id,
                program_id=program_id,
                statuses=None if not statuses else frozenset(statuses),
            )
        return [
            c
            for c in cohorts
            if (date_from is None or c.end_date >= date_from)
            and (date_to is None or c.start_date <= date_to)
        ]

    def get_cohort(self, actor: Actor, cohort_id: UUID) -> CohortDetails:
        """One cohort with its lead instructor and teaching assistants. Every staff
        member."""
        with self.transaction(actor) as uow:
            cohort = uow.cohorts.get(cohort_id)
            assignments = uow.cohort_staff.list_for_cohort(cohort.id)
        lead_first = sorted(
            assignments, key=lambda a: a.role is not CohortStaffRole.LEAD_INSTRUCTOR
        )
        return CohortDetails(cohort=cohort, staff=tuple(lead_first))

    def create_cohort(
        self,
        actor: Actor,
        *,
        program_id: UUID,
        campus_id: UUID,
        name: str,
        start_date: date,
        max_capacity: int,
        end_date: date | None = None,
        tuition_price: Decimal | None = None,
        room: str | None = None,
    ) -> Cohort:
        """Schedule a draft cohort of an active program at an active campus. Super admins,
        or campus managers at that campus.

        ``tuition_price`` defaults to the program's ``default_price`` and ``end_date`` to
        ``duration_weeks`` after ``start_date``; the start cannot be in the past."""
        with self.transaction(actor) as uow:
            program = uow.programs.get(program_id)
            campus = uow.campuses.get(campus_id)
            authorise(actor, Action.MANAGE_COHORTS, campus_id=campus.id)
            if not campus.is_active:
                raise Conflict(f"Campus {campus.name} is inactive: it takes no new cohorts")
            if not program.is_active:
                raise Conflict(f"Program {program.name} is inactive: it takes no new cohorts")
            require(isinstance(start_date, date), "Cohort.start_date", "must be a date")
            if end_date is None:
                if program.duration_weeks is None:
                    raise ValidationError(
                        "Cohort.end_date", "is required: the program has no duration_weeks"
                    )
                end_date = start_date + timedelta(weeks=program.duration_weeks, days=-1)
            today = self.clock.today(campus.timezone)
            require(start_date >= today, "Cohort.start_date", "must not be in the past")
            cohort = Cohort(
                organisation_id=uow.organisation_id,
                program_id=program.id,
                campus_id=campus.id,
                name=name,
                start_date=start_date,
                end_date=end_date,
                max_capacity=max_capacity,
                tuition_price=program.default_price if tuition_price is None else tuition_price,
                room=room,
                created_at=self.clock.now(),
            )
            uow.cohorts.add(cohort)
            self.audit(
                uow,
                actor,
                "cohort.create",
                cohort,
                f"Cohort {cohort.name} of {program.name} at {campus.name} created",
                {
                    "program_id": program.id,
                    "campus_id": campus.id,
                    "start_date": cohort.start_date,
                    "end_date": cohort.end_date,
                    "max_capacity": cohort.max_capacity,
                    "tuition_price": cohort.tuition_price,
                },
            )
            return cohort

    def update_cohort(self, actor: Actor, cohort_id: UUID, **changes: Any) -> Cohort:
        """Change a cohort's name, room, tuition price or dates. Super admins, or campus
        managers at its campus. Not once it is completed or cancelled; its sessions must
        stay within its dates."""
        only_fields(changes, _COHORT_FIELDS, "Cohort")
        with self.transaction(actor) as uow:
            cohort = uow.cohorts.get(cohort_id)
            authorise(actor, Action.MANAGE_COHORTS, campus_id=cohort.campus_id)
            if cohort.is_finished:
                raise InvalidTransition("Cohort", cohort.id, cohort.status.value, "update")
            diff = changed_fields(cohort, changes)
            if diff:
                cohort.update(**changes)
                for session in uow.sessions.list_for_cohort(cohort.id):
                    if session.is_cancelled:
                        continue
                    require(
                        cohort.start_date <= session.scheduled_date <= cohort.end_date,
                        "Cohort.start_date" if "start_date" in diff else "Cohort.end_date",
                        f"session {session.session_number} on"
                        f" {session.scheduled_date.isoformat()} would fall outside the"
                        " cohort's dates",
                    )
                self.audit(
                    uow,
                    actor,
                    "cohort.update",
                    cohort,
                    f"Cohort {cohort.name} changed: {', '.join(diff)}",
                    diff,
                )
            return cohort

    def open_cohort(self, actor: Actor, cohort_id: UUID) -> Cohort:
        """Publish a draft cohort for enrolment. It needs sessions, an active campus and an
        end date not yet past. Super admins, or campus managers at its campus."""
        with self.transaction(actor) as uow:
            cohort = uow.cohorts.get(cohort_id)
            campus = uow.campuses.get(cohort.campus_id)
            authorise(actor, Action.MANAGE_COHORTS, campus_id=campus.id)
            if cohort.status is not CohortStatus.DRAFT:
                raise InvalidTransition("Cohort", cohort.id, cohort.status.value, "open")
            if not campus.is_active:
                raise Conflict(f"Campus {campus.name} is inactive: it takes no new cohorts")
            if not [s for s in uow.sessions.list_for_cohort(cohort.id) if not s.is_cancelled]:
                raise Conflict(f"Cohort {cohort.name} has no sessions yet: generate them first")
            if cohort.end_date < self.clock.today(campus.timezone):
                raise Conflict(f"Cohort {cohort.name} ended on {cohort.end_date.isoformat()}")
            cohort.open()
            self.audit(
                uow,
                actor,
                "cohort.open",
                cohort,
                f"Cohort {cohort.name} opened for enrolment",
                {"status": [CohortStatus.DRAFT, cohort.status]},
            )
            return cohort

    def cancel_cohort(self, actor: Actor, cohort_id: UUID, *, reason: str) -> CohortCancellation:
        """Cancel a cohort that is not completed or cancelled, with its upcoming sessions (all
        of them for a draft, which never ran).
        Refused while it has live enrolments (drop or transfer them first). Super admins,
        or campus managers at its campus."""
        reason = _reason(reason, "Cohort.cancellation_reason")
        with self.transaction(actor) as uow:
            cohort = uow.cohorts.get_for_update(cohort_id)
            campus = uow.campuses.get(cohort.campus_id)
            authorise(actor, Action.MANAGE_COHORTS, campus_id=campus.id)
            before = cohort.status
            if cohort.is_finished:
                raise InvalidTransition("Cohort", cohort.id, before.value, "cancel")
            live = [e for e in uow.enrolments.list_for_cohort(cohort.id) if e.is_live]
            if live:
                raise Conflict(
                    f"Cohort {cohort.name} still has {len(live)} live enrolment(s), waitlist"
                    " included: drop or transfer them first"
                )
            cohort.cancel()
            now = self.clock.now()
            cancelled = []
            never_held = before is CohortStatus.DRAFT  # a draft's sessions never took place
            for session in uow.sessions.list_for_cohort(cohort.id):
                upcoming = session.starts_at(campus.timezone) >= now
                if session.status is SessionStatus.SCHEDULED and (upcoming or never_held):
                    session.cancel(f"Cohort cancelled: {reason}")
                    cancelled.append(session)
            self.audit(
                uow,
                actor,
                "cohort.cancel",
                cohort,
                f"Cohort {cohort.name} cancelled ({len(cancelled)} sessions): {reason}",
                {"status": [before, cohort.status], "reason": reason, "sessions": len(cancelled)},
            )
            return CohortCancellation(cohort=cohort, cancelled_sessions=tuple(cancelled))

    # -- sessions ------------------------------------------------------------------------------

    def list_sessions(
        self,
        actor: Actor,
        *,
        cohort_id: UUID | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        campus_id: UUID | None = None,
        statuses: Collection[SessionStatus] | None = None,
    ) -> list[Session]:
        """Sessions by date and start time (campus local): a cohort's (optionally between
        two dates), or else those of every cohort, optionally of one campus, between
        ``date_from`` and ``date_to`` inclusive (both required then, at most
        ``MAX_SESSION_RANGE_DAYS`` apart); optionally in some statuses. Every staff member."""
        _refuse_reversed_range(date_from, date_to)
        if cohort_id is None:
            if date_from is None or date_to is None:
                raise ValidationError(
                    "date_from", "date_from and date_to are required unless a cohort_id is given"
                )
            require(
                (date_to - date_from).days <= MAX_SESSION_RANGE_DAYS,
                "date_to",
                f"must be at most {MAX_SESSION_RANGE_DAYS} days after date_from",
            )
        with self.transaction(actor) as uow:
            if campus_id is not None:
                uow.campuses.get(campus_id)
            if cohort_id is not None:
                cohort = uow.cohorts.get(cohort_id)
                found = uow.sessions.list_for_cohort(cohort.id)
                if campus_id is not None and cohort.campus_id != campus_id:
                    found = []
            elif date_from is not None and date_to is not None:  # checked above
                found = uow.sessions.list_between(date_from, date_to)
                if campus_id is not None:
                    cohorts = uow.cohorts.find_many({s.cohort_id for s in found})
                    here = {c.id for c in cohorts if c.campus_id == campus_id}
                    found = [s for s in found if s.cohort_id in here]
            else:
                found = []
        chosen = [
            s
            for s in found
            if (date_from is None or s.scheduled_date >= date_from)
            and (date_to is None or s.scheduled_date <= date_to)
            and (not statuses or s.status in statuses)
        ]
        return sorted(
            chosen,
            key=lambda s: (s.scheduled_date, s.scheduled_start_time, s.session_number, s.id),
        )

    def get_session(self, actor: Actor, session_id: UUID) -> SessionDetails:
        """One session with the assistants assigned to it alone. Every staff member."""
        with self.transaction(actor) as uow:
            session = uow.sessions.get(session_id)
            assistants = uow.session_staff.list_for_session(session.id)
        return SessionDetails(session=session, assistants=tuple(assistants))

    def generate_sessions(
        self,
        actor: Actor,
        cohort_id: UUID,
        *,
        weekdays: Collection[int],
        start_time: time,
        length_minutes: int | None = None,
        lead_instructor_id: UUID | None = None,
    ) -> GeneratedSessions:
        """Create a cohort's sessions from a weekly pattern, from its start date to its end
        date inclusive, skipping the campus's closure dates, numbered 1..n in date order.

        ``weekdays`` as ``date.weekday()`` (0 = Monday); ``start_time`` is the campus's local
        time; ``length_minutes`` defaults to the program's session length. The lead is
        ``lead_instructor_id`` (who becomes the cohort's lead) or else the cohort's current
        lead, if any. Refused when the cohort already has sessions, or when a teacher of the
        cohort would be double-booked. Super admins, or campus managers at its campus."""
        with self.transaction(actor) as uow:
            cohort = uow.cohorts.get(cohort_id)
            campus = uow.campuses.get(cohort.campus_id)
            program = uow.programs.get(cohort.program_id)
            authorise(actor, Action.MANAGE_COHORTS, campus_id=campus.id)
            if length_minutes is None:
                if program.session_duration_minutes is None:
                    raise ValidationError(
                        "WeeklyPattern.length_minutes",
                        "is required: the program has no session_duration_minutes",
                    )
                length_minutes = program.session_duration_minutes
            pattern = WeeklyPattern(
                weekdays=_weekdays(weekdays),
                start_time=start_time,
                length_minutes=length_minutes,
            )
            if cohort.is_finished:
                raise InvalidTransition(
                    "Cohort", cohort.id, cohort.status.value, "generate sessions"
                )
            existing = uow.sessions.list_for_cohort(cohort.id)
            if existing:
                raise Conflict(
                    f"Cohort {cohort.name} already has {len(existing)} sessions: reschedule"
                    " or cancel them one by one"
                )
            days, skipped = plan_dates(
                cohort.start_date, cohort.end_date, pattern.weekdays, campus.closure_dates
            )
            require(
                bool(days),
                "WeeklyPattern.weekdays",
                f"no {pattern.describe()} session falls between"
                f" {cohort.start_date.isoformat()} and {cohort.end_date.isoformat()}"
                " outside the campus's closure dates",
            )
            assignments = uow.cohort_staff.list_for_cohort(cohort.id)
            current_lead = next(
                (a.staff_id for a in assignments if a.role is CohortStaffRole.LEAD_INSTRUCTOR),
                None,
            )
            lead_id = current_lead if lead_instructor_id is None else lead_instructor_id
            if lead_id is not None:
                _teacher(uow, lead_id, campus, CohortStaffRole.LEAD_INSTRUCTOR)
            slots = [
                _Slot.of(day, pattern.start_time, pattern.end_time, campus.timezone, None)
                for day in days
            ]
            teachers = {a.staff_id for a in assignments} | ({lead_id} if lead_id else set())
            for staff in uow.staff.find_many(teachers):
                _refuse_double_booking(uow, staff, slots)
            if lead_id is not None and lead_id != current_lead:
                self._make_lead(uow, actor, cohort, campus, lead_id, assignments)
            now = self.clock.now()
            sessions = []
            for number, day in enumerate(days, start=1):
                session = Session(
                    organisation_id=uow.organisation_id,
                    cohort_id=cohort.id,
                    session_number=number,
                    scheduled_date=day,
                    scheduled_start_time=pattern.start_time,
                    scheduled_end_time=pattern.end_time,
                    lead_instructor_id=lead_id,
                    created_at=now,
                )
                uow.sessions.add(session)
                sessions.append(session)
            self.audit(
                uow,
                actor,
                "cohort.sessions_generate",
                cohort,
                f"{len(sessions)} sessions of {cohort.name} scheduled: {pattern.describe()}"
                f" ({campus.timezone})",
                {
                    "weekdays": sorted(pattern.weekdays),
                    "start_time": pattern.start_time,
                    "length_minutes": pattern.length_minutes,
                    "sessions": len(sessions),
                    "first": days[0],
                    "last": days[-1],
                    "skipped": [closure.day for closure in skipped],
                    "lead_instructor_id": lead_id,
                },
            )
            return GeneratedSessions(
                cohort=cohort, sessions=tuple(sessions), skipped=tuple(skipped)
            )

    def reschedule_session(
        self, actor: Actor, session_id: UUID, *, on: date, start: time, end: time
    ) -> Session:
        """Move a scheduled session to another day or time (campus local), within its
        cohort's dates, not into the past, not onto a closure date, and without
        double-booking anyone who teaches it. Super admins, or campus managers at its
        campus. Publishes SessionRescheduled."""
        with self.transaction(actor) as uow:
            session = uow.sessions.get(session_id)
            cohort = uow.cohorts.get(session.cohort_id)
            campus = uow.campuses.get(cohort.campus_id)
            authorise(actor, Action.MANAGE_COHORTS, campus_id=campus.id)
            before = (
                session.scheduled_date,
                session.scheduled_start_time,
                session.scheduled_end_time,
            )
            session.reschedule(on, start, end)
            if (on, start, end) == before:
                raise Conflict(f"Session {session.session_number} is already at that time")
            require(
                cohort.start_date <= on <= cohort.end_date,
                "Session.scheduled_date",
                f"must lie within the cohort's dates ({cohort.start_date.isoformat()} to"
                f" {cohort.end_date.isoformat()})",
            )
            slot = _Slot.of(on, start, end, campus.timezone, session.id)
            require(
                slot.starts_at >= self.clock.now(),
                "Session.scheduled_date",
                "must not be in the past",
            )
            closed = [x for x in campus.closure_dates if x.day == on]
            if closed:
                raise Conflict(
                    f"Campus {campus.name} is closed on {on.isoformat()}: {closed[0].reason}"
                )
            for other in uow.sessions.list_for_cohort(cohort.id):
                if other.id != session.id and not other.is_cancelled:
                    theirs = _Slot.of(
                        other.scheduled_date,
                        other.scheduled_start_time,
                        other.scheduled_end_time,
                        campus.timezone,
                        other.id,
                    )
                    if theirs.overlaps(slot):
                        raise Conflict(
                            f"the new time overlaps session {other.session_number} of"
                            f" {cohort.name} ({_when(other)})"
                        )
            for staff in uow.staff.find_many(_teachers(uow, session)):
                _refuse_double_booking(uow, staff, [slot])
            session.record(
                SessionRescheduled(
                    organisation_id=session.organisation_id,
                    session_id=session.id,
                    cohort_id=cohort.id,
                    starts_at=slot.starts_at,
                )
            )
            self.audit(
                uow,
                actor,
                "session.reschedule",
                session,
                f"Session {session.session_number} of {cohort.name} moved to {_when(session)}",
                {
                    "scheduled_date": [before[0], on],
                    "scheduled_start_time": [before[1], start],
                    "scheduled_end_time": [before[2], end],
                },
            )
            return session

    def cancel_session(
        self, actor: Actor, session_id: UUID, *, reason: str, emergency: bool = False
    ) -> SessionCancellation:
        """Cancel a scheduled session with a reason; every seat-holding enrolment that had
        started by then gets a makeup token, and SessionCancelled is published once (families
        are told). Super admins; campus managers at its campus; a lead instructor of its
        cohort with ``emergency=True`` only."""
        with self.transaction(actor) as uow:
            session = uow.sessions.get(session_id)
            cohort = uow.cohorts.get(session.cohort_id)
            campus = uow.campuses.get(cohort.campus_id)
            grant = authorise(
                actor, Action.CANCEL_SESSIONS, campus_id=campus.id, cohort_id=cohort.id
            )
            if grant.condition is not None and not emergency:
                raise Forbidden(
                    f"{actor.role.value} may cancel a session only in an emergency (emergency=True)"
                )
            reason = _reason(reason, "Session.cancellation_reason")
            session.cancel(reason)
            today = self.clock.today(campus.timezone)
            tokens = []
            for enrolment in uow.enrolments.list_for_cohort(
                cohort.id, statuses=SEAT_HOLDING_STATES
            ):
                joined_later = enrolment.start_date is not None and (
                    enrolment.start_date > session.scheduled_date
                )
                if joined_later:
                    continue
                tokens.append(
                    issue_token(
                        uow,
                        enrolment,
                        program_id=cohort.program_id,
                        reason=f"Session {session.session_number} of {cohort.name}"
                        f" cancelled: {reason}"[:200],
                        today=today,
                        source_session_id=session.id,
                    )
                )
            trials = uow.enrolments.list_trials_for_session(session.id)
            self.audit(
                uow,
                actor,
                "session.cancel",
                session,
                f"Session {session.session_number} of {cohort.name} ({_when(session)})"
                f" cancelled: {reason}",
                {
                    "status": [SessionStatus.SCHEDULED, session.status],
                    "reason": reason,
                    "emergency": emergency,
                    "makeup_tokens": len(tokens),
                },
            )
            return SessionCancellation(
                session=session, tokens=tuple(tokens), trial_enrolments=tuple(trials)
            )

    # -- who teaches ---------------------------------------------------------------------------

    def assign_cohort_staff(
        self, actor: Actor, cohort_id: UUID, staff_id: UUID, role: CohortStaffRole
    ) -> CohortStaff:
        """Make a staff member the cohort's lead instructor (replacing the previous lead, and
        leading its upcoming sessions) or one of its teaching assistants. Refused when they
        would be double-booked on any of its upcoming sessions. Super admins, or campus
        managers at its campus."""
        with self.transaction(actor) as uow:
            cohort = uow.cohorts.get(cohort_id)
            campus = uow.campuses.get(cohort.campus_id)
            authorise(actor, Action.MANAGE_COHORTS, campus_id=campus.id)
            if cohort.is_finished:
                raise InvalidTransition(
                    "Cohort", cohort.id, cohort.status.value, "assign instructors"
                )
            try:
                role = CohortStaffRole(role)
            except ValueError:
                raise ValidationError(
                    "CohortStaff.role", "must be lead_instructor or teaching_assistant"
                ) from None
            assignments = uow.cohort_staff.list_for_cohort(cohort.id)
            if role is CohortStaffRole.LEAD_INSTRUCTOR:
                return self._make_lead(uow, actor, cohort, campus, staff_id, assignments)
            staff = _teacher(uow, staff_id, campus, role)
            _refuse_if_assigned(staff, cohort, assignments)
            _refuse_double_booking(uow, staff, self._upcoming_slots(uow, cohort, campus))
            assignment = CohortStaff(
                organisation_id=uow.organisation_id,
                cohort_id=cohort.id,
                staff_id=staff.id,
                role=role,
                assigned_at=self.clock.now(),
            )
            uow.cohort_staff.add(assignment)
            self.audit(
                uow,
                actor,
                "cohort_staff.assign",
                assignment,
                f"{staff.full_name} assists in {cohort.name}",
                {"cohort_id": cohort.id, "staff_id": staff.id, "role": role},
            )
            return assignment

    def unassign_cohort_staff(self, actor: Actor, cohort_id: UUID, staff_id: UUID) -> CohortStaff:
        """End a staff member's assignment to a cohort; an outgoing lead stops leading its
        upcoming sessions (which then have no lead until another is assigned). Super
        admins, or campus managers at its campus."""
        with self.transaction(actor) as uow:
            cohort = uow.cohorts.get(cohort_id)
            campus = uow.campuses.get(cohort.campus_id)
            authorise(actor, Action.MANAGE_COHORTS, campus_id=campus.id)
            assignment = uow.cohort_staff.find_assignment(cohort.id, staff_id)
            if assignment is None:
                raise NotFound("CohortStaff", f"{cohort.id}/{staff_id}")
            staff = uow.staff.get(staff_id)
            uow.cohort_staff.remove(assignment)
            cleared = 0
            if assignment.role is CohortStaffRole.LEAD_INSTRUCTOR:
                for session in self._upcoming(uow, cohort, campus):
                    if session.lead_instructor_id == staff.id:
                        session.update(lead_instructor_id=None)
                        cleared += 1
            self.audit(
                uow,
                actor,
                "cohort_staff.unassign",
                assignment,
                f"{staff.full_name} no longer teaches {cohort.name}",
                {
                    "cohort_id": cohort.id,
                    "staff_id": staff.id,
                    "role": assignment.role,
                    "sessions_without_lead": cleared,
                },
            )
            return assignment

    def assign_session_assistant(
        self, actor: Actor, session_id: UUID, staff_id: UUID
    ) -> SessionStaff:
        """Add a teaching assistant to one scheduled session, unless they already teach it or
        would be double-booked. Super admins, or campus managers at its campus."""
        with self.transaction(actor) as uow:
            session = uow.sessions.get(session_id)
            cohort = uow.cohorts.get(session.cohort_id)
            campus = uow.campuses.get(cohort.campus_id)
            authorise(actor, Action.MANAGE_COHORTS, campus_id=campus.id)
            if session.status is not SessionStatus.SCHEDULED:
                raise InvalidTransition(
                    "Session", session.id, session.status.value, "assign an assistant"
                )
            staff = _teacher(uow, staff_id, campus, CohortStaffRole.TEACHING_ASSISTANT)
            if staff.id in _teachers(uow, session):
                raise Conflict(
                    f"{staff.full_name} already teaches session {session.session_number}"
                    f" of {cohort.name}"
                )
            slot = _Slot.of(
                session.scheduled_date,
                session.scheduled_start_time,
                session.scheduled_end_time,
                campus.timezone,
                session.id,
            )
            _refuse_double_booking(uow, staff, [slot])
            assignment = SessionStaff(
                organisation_id=uow.organisation_id,
                session_id=session.id,
                staff_id=staff.id,
                assigned_at=self.clock.now(),
            )
            uow.session_staff.add(assignment)
            self.audit(
                uow,
                actor,
                "session_staff.assign",
                assignment,
                f"{staff.full_name} assists in session {session.session_number} of"
                f" {cohort.name} ({_when(session)})",
                {"session_id": session.id, "staff_id": staff.id},
            )
            return assignment

    def unassign_session_assistant(
        self, actor: Actor, session_id: UUID, staff_id: UUID
    ) -> SessionStaff:
        """Remove a teaching assistant from one session. Super admins, or campus managers
        at its campus."""
        with self.transaction(actor) as uow:
            session = uow.sessions.get(session_id)
            cohort = uow.cohorts.get(session.cohort_id)
            authorise(actor, Action.MANAGE_COHORTS, campus_id=cohort.campus_id)
            assignment = next(
                (
                    a
                    for a in uow.session_staff.list_for_session(session.id)
                    if a.staff_id == staff_id
                ),
                None,
            )
            if assignment is None:
                raise NotFound("SessionStaff", f"{session.id}/{staff_id}")
            uow.session_staff.remove(assignment)
            self.audit(
                uow,
                actor,
                "session_staff.unassign",
                assignment,
                f"Assistant removed from session {session.session_number} of {cohort.name}",
                {"session_id": session.id, "staff_id": staff_id},
            )
            return assignment

    # -- helpers -------------------------------------------------------------------------------

    def _make_lead(
        self,
        uow: UnitOfWork,
        actor: Actor,
        cohort: Cohort,
        campus: Campus,
        staff_id: UUID,
        assignments: Sequence[CohortStaff],
    ) -> CohortStaff:
        """Make ``staff_id`` the cohort's only lead: their double-booking is checked on its
        upcoming sessions, which they then lead; a previous lead's assignment ends."""
        staff = _teacher(uow, staff_id, campus, CohortStaffRole.LEAD_INSTRUCTOR)
        current = next((a for a in assignments if a.role is CohortStaffRole.LEAD_INSTRUCTOR), None)
        if current is not None and current.staff_id == staff.id:
            raise Conflict(f"{staff.full_name} already leads {cohort.name}")
        # An assistant of the cohort may be promoted: their assistant assignment ends.
        promoted = next((a for a in assignments if a.staff_id == staff.id), None)
        upcoming = self._upcoming(uow, cohort, campus)
        _refuse_double_booking(uow, staff, [_slot(s, campus) for s in upcoming])
        for ended in (current, promoted):
            if ended is not None:
                uow.cohort_staff.remove(ended)
        assignment = CohortStaff(
            organisation_id=uow.organisation_id,
            cohort_id=cohort.id,
            staff_id=staff.id,
            role=CohortStaffRole.LEAD_INSTRUCTOR,
            assigned_at=self.clock.now(),
        )
        uow.cohort_staff.add(assignment)
        for session in upcoming:
            session.update(lead_instructor_id=staff.id)
        self.audit(
            uow,
            actor,
            "cohort_staff.assign",
            assignment,
            f"{staff.full_name} leads {cohort.name}",
            {
                "cohort_id": cohort.id,
                "staff_id": staff.id,
                "role": CohortStaffRole.LEAD_INSTRUCTOR,
                "replaces": None if current is None else current.staff_id,
                "promoted_from_assistant": promoted is not None,
                "sessions": len(upcoming),
            },
        )
        return assignment

    def _upcoming(self, uow: UnitOfWork, cohort: Cohort, campus: Campus) -> list[Session]:
        """The cohort's scheduled sessions that have not started yet."""
        now = self.clock.now()
        return [
            s
            for s in uow.sessions.list_for_cohort(cohort.id)
            if s.status is SessionStatus.SCHEDULED and s.starts_at(campus.timezone) >= now
        ]

    def _upcoming_slots(self, uow: UnitOfWork, cohort: Cohort, campus: Campus) -> list[_Slot]:
        return [_slot(s, campus) for s in self._upcoming(uow, cohort, campus)]


# -- module helpers ----------------------------------------------------------------------------


def _refuse_reversed_range(date_from: date | None, date_to: date | None) -> None:
    if date_from is not None and date_to is not None:
        require(date_from <= date_to, "date_to", "must not be before date_from")


def _weekdays(value: Collection[int]) -> frozenset[int]:
    try:
        return frozenset(value)
    except TypeError:
        raise ValidationError(
            "WeeklyPattern.weekdays", "must name at least one weekday, 0 (Monday) to 6 (Sunday)"
        ) from None


def _reason(reason: str, field: str) -> str:
    require(isinstance(reason, str) and bool(reason.strip()), field, "is required")
    return reason.strip()


def _refuse_duplicate_program(uow: UnitOfWork, program: Program) -> None:
    wanted = program.name.strip().casefold()
    for other in uow.programs.list():
        if other.id != program.id and other.name.strip().casefold() == wanted:
            raise Conflict(f"Program: there is already a program named {other.name!r}")


def _when(session: Session) -> str:
    """E.g. "Sun 05 Apr 2026 16:00-17:30" (campus local time)."""
    return (
        f"{session.scheduled_date:%a %d %b %Y} {session.scheduled_start_time:%H:%M}"
        f"-{session.scheduled_end_time:%H:%M}"
    )


def _slot(session: Session, campus: Campus) -> _Slot:
    return _Slot.of(
        session.scheduled_date,
        session.scheduled_start_time,
        session.scheduled_end_time,
        campus.timezone,
        session.id,
    )


def _teacher(uow: UnitOfWork, staff_id: UUID, campus: Campus, role: CohortStaffRole) -> Staff:
    """The active staff member who may take ``role`` at ``campus``."""
    staff = uow.staff.get(staff_id)
    if not staff.is_active:
        raise Conflict(f"{staff.full_name} is deactivated and cannot teach")
    allowed = LEAD_ROLES if role is CohortStaffRole.LEAD_INSTRUCTOR else ASSISTANT_ROLES
    require(
        staff.role in allowed,
        "CohortStaff.staff_id",
        f"a {staff.role.value} cannot be a {role.value.replace('_', ' ')}",
    )
    if (
        staff.role is not StaffRole.SUPER_ADMIN
        and uow.campus_staff.find_assignment(campus.id, staff.id) is None
    ):
        raise Conflict(
            f"{staff.full_name} does not work at {campus.name}: assign them to the campus first"
        )
    return staff


def _refuse_if_assigned(staff: Staff, cohort: Cohort, assignments: Iterable[CohortStaff]) -> None:
    for assignment in assignments:
        if assignment.staff_id == staff.id:
            raise Conflict(
                f"{staff.full_name} is already assigned to {cohort.name} as"
                f" {assignment.role.value.replace('_', ' ')}: unassign them first"
            )


def _teachers(uow: UnitOfWork, session: Session) -> set[UUID]:
    """Who teaches a session: its lead, its assistants and its cohort's staff."""
    teachers = {a.staff_id for a in uow.session_staff.list_for_session(session.id)}
    teachers |= {a.staff_id for a in uow.cohort_staff.list_for_cohort(session.cohort_id)}
    if session.lead_instructor_id is not None:
        teachers.add(session.lead_instructor_id)
    return teachers


def _refuse_double_booking(uow: UnitOfWork, staff: Staff, slots: Sequence[_Slot]) -> None:
    """Conflict when one of ``slots`` overlaps a non-cancelled session that ``staff`` already
    teaches at any campus (sessions in ``slots`` themselves aside). The message names the
    clashing cohort, campus, date and time."""
    if not slots:
        return
    own = {slot.session_id for slot in slots if slot.session_id is not None}
    # Two days either side: a campus in another time zone may be on another local date.
    first = min(slot.starts_at.date() for slot in slots) - timedelta(days=2)
    last = max(slot.ends_at.date() for slot in slots) + timedelta(days=2)
    theirs = [
        s
        for s in uow.sessions.list_for_staff(staff.id, first, last)
        if not s.is_cancelled and s.id not in own
    ]
    if not theirs:
        return
    cohorts = {c.id: c for c in uow.cohorts.find_many({s.cohort_id for s in theirs})}
    campuses = {c.id: c for c in uow.campuses.find_many({c.campus_id for c in cohorts.values()})}
    for other in theirs:
        cohort = cohorts[other.cohort_id]
        campus = campuses[cohort.campus_id]
        busy = _slot(other, campus)
        for slot in slots:
            if busy.overlaps(slot):
                raise Conflict(
                    f"{staff.full_name} would be double-booked: they already teach"
                    f" {cohort.name} (session {other.session_number}) at {campus.name} on"
                    f" {_when(other)}, which overlaps the session of"
                    f" {slot.starts_at:%a %d %b %Y %H:%M}"
                )
