"""Attendance: the roll of a session, marking it, and attendance rates.

Decisions where the product rules are silent:

- **Who is on the roll.** The cohort's students who hold a seat on the session's day
  (pending payment, enrolled, active; and, for sessions in the past, enrolments that have
  since completed, dropped or transferred but had started by then), from their start date
  on (or, before they started, from the day they enquired: a late joiner is not on the roll
  of sessions held before they came). Plus the trial visitors booked into the session (unless
  the trial was dropped before anyone marked it) and the makeup visitors who spent a token on
  it. A student who has a mark at the session always stays on its roll.
- **When marks open.** From the start of the session's day (campus time), so a roll can be
  taken as children arrive. Before that day only an excused absence can be recorded: an
  absence the family announced ahead (a pre-registered absence; no absence alert).
- **The edit window.** Marks can be given or changed until ``attendance_edit_window_hours``
  (24) after the session ends, inclusive; later only a campus manager or super admin may.
  Submitting a mark that changes nothing writes nothing, and is allowed at any time.
- **Teaching assistants** take attendance with the approval of the cohort's lead instructor
  (the matrix's "own (approved by the lead)"): ``mark`` needs ``approver``, the Actor of the
  cohort's lead instructor (or of the session's lead instructor, e.g. a substitute). The
  approver is reloaded from the staff records. TAs cannot excuse absences.
- **Statuses by kind of line.** Enrolled students and trial visitors: present, late, absent
  or excused; makeup visitors: makeup (they attended) or absent. An excused absence of an
  enrolled student issues a makeup token (trial visitors rebook their trial instead). When an
  excused mark is changed, the token it issued is withdrawn if it is still unused (refused
  when it has already been spent).
- **Rates** count, per student and cohort, the sessions held (not cancelled and already
  ended) while the student was on the roll; unmarked held sessions count as absent; makeups
  attended elsewhere on the cohort's enrolment count as attended (never above the sessions
  held). The result is a count pair with an exact Decimal rate (``VIEW_ROSTER`` scope).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from rocket_core.enrolment_machine import SEAT_HOLDING_STATES, EnrolmentStatus
from rocket_core.errors import Conflict, Forbidden, NotFound, ValidationError
from rocket_core.events import AbsenceCleared, StudentMarkedAbsent
from rocket_core.model import (
    ATTENDED,
    Attendance,
    AttendanceStatus,
    Cohort,
    CohortStaffRole,
    Enrolment,
    MakeupTokenStatus,
    Session,
    StaffRole,
    new_id,
)
from rocket_core.permissions import Action, Actor, authorise
from rocket_core.ports import UnitOfWork
from rocket_core.rolls import MarkWrite, RollContext, RollEnrolment, RollMark, RollStudent
from rocket_core.services.base import Service, jsonable, load_actor
from rocket_core.services.checks import by_id
from rocket_core.services.makeup import issue_token

#: Enrolments that may put a student on a roll (see ``_on_roll``).
_MEMBER_STATES = SEAT_HOLDING_STATES | {
    EnrolmentStatus.COMPLETED,
    EnrolmentStatus.DROPPED,
    EnrolmentStatus.TRANSFERRED,
}
_LATE_EDITORS = frozenset({StaffRole.SUPER_ADMIN, StaffRole.CAMPUS_MANAGER})


class RollKind(StrEnum):
    """Why a student is on a session's roll."""

    ENROLLED = "enrolled"
    TRIAL = "trial"
    MAKEUP = "makeup"


#: The statuses each kind of roll line may be marked with.
ALLOWED_STATUSES: Mapping[RollKind, frozenset[AttendanceStatus]] = {
    RollKind.ENROLLED: frozenset(
        {
            AttendanceStatus.PRESENT,
            AttendanceStatus.LATE,
            AttendanceStatus.ABSENT,
            AttendanceStatus.EXCUSED,
        }
    ),
    RollKind.TRIAL: frozenset(
        {
            AttendanceStatus.PRESENT,
            AttendanceStatus.LATE,
            AttendanceStatus.ABSENT,
            AttendanceStatus.EXCUSED,
        }
    ),
    RollKind.MAKEUP: frozenset({AttendanceStatus.MAKEUP, AttendanceStatus.ABSENT}),
}


@attrs.frozen(kw_only=True)
class RollLine:
    """One student on a session's roll, with the current mark (None: unmarked, which counts
    as absent)."""

    student_id: UUID
    display_name: str
    kind: RollKind
    enrolment_id: UUID
    status: AttendanceStatus | None = None
    notes: str | None = None
    recorded_by_staff_id: UUID | None = None
    recorded_at: datetime | None = None

    @property
    def attended(self) -> bool:
        """Present, late or makeup; unmarked counts as absent."""
        return self.status in ATTENDED


@attrs.frozen(kw_only=True)
class Mark:
    """A mark to give one student: a status and, optionally, a note ("arrived 20 mins late").
    A note left out keeps the note already there."""

    status: AttendanceStatus
    notes: str | None = None


@attrs.frozen(kw_only=True)
class AttendanceRate:
    """Sessions attended (present, late, makeup) over sessions held; exact, no float."""

    attended: int
    held: int

    @property
    def absent(self) -> int:
        """Held sessions not attended (unmarked ones included)."""
        return self.held - self.attended

    @property
    def rate(self) -> Decimal | None:
        """attended / held rounded half up to 4 places (0.8333); None when nothing was held."""
        if self.held == 0:
            return None
        return (Decimal(self.attended) / Decimal(self.held)).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP
        )


@attrs.frozen
class Marked:
    """What marking did: the marks that changed (as written, in roll order) and the roll
    with them, read in the same transaction."""

    changed: list[RollMark]
    roll: list[RollLine]


@attrs.define
class _Line:
    student: RollStudent
    kind: RollKind
    enrolment_id: UUID
    mark: RollMark | None

    def as_roll_line(self) -> RollLine:
        mark = self.mark
        return RollLine(
            student_id=self.student.id,
            display_name=self.student.display_name,
            kind=self.kind,
            enrolment_id=self.enrolment_id,
            status=None if mark is None else mark.status,
            notes=None if mark is None else mark.notes,
            recorded_by_staff_id=None if mark is None else mark.recorded_by_staff_id,
            recorded_at=None if mark is None else mark.recorded_at,
        )


class AttendanceService(Service):
    """Rolls, marks and attendance rates."""

    def roll(self, actor: Actor, session_id: UUID) -> list[RollLine]:
        """The session's roll sorted by name (last, then first): enrolled students, trial and
        makeup visitors, each with the current mark (``Action.VIEW_ROSTER``)."""
        with self.transaction(actor) as uow:
            found = _context(uow, session_id)
            authorise(
                actor,
                Action.VIEW_ROSTER,
                campus_id=found.campus_id,
                cohort_id=found.cohort_id,
                session_id=found.session_id,
            )
            return [line.as_roll_line() for line in _roll(uow, found)]

    def mark(
        self,
        actor: Actor,
        session_id: UUID,
        marks: Mapping[UUID, AttendanceStatus | Mark],
        *,
        approver: Actor | None = None,
    ) -> Marked:
        """Mark one or many students of the roll at once, in one transaction: all the marks
        are saved, or none (``Action.TAKE_ATTENDANCE``; an excused absence also needs
        ``Action.EXCUSE_ABSENCES``). Returns the marks that changed, in roll order, and the
        roll with them (``Marked``: no second read).

        Each mark stamps who and when. A student newly marked absent records
        StudentMarkedAbsent (for the family's alert); a newly excused enrolled student gets a
        makeup token. See the module docstring for the window, the TA approval and the
        statuses each kind of roll line accepts.
        """
        with self.transaction(actor) as uow:
            ctx = _context(uow, session_id)
            campus_id, cohort_id = ctx.campus_id, ctx.cohort_id
            authorise(
                actor,
                Action.TAKE_ATTENDANCE,
                campus_id=campus_id,
                cohort_id=cohort_id,
                session_id=ctx.session_id,
                approver=approver,
            )
            if actor.role is StaffRole.TEACHING_ASSISTANT:
                self._check_approval(uow, actor, approver, ctx)
            # checked once the caller may mark this roll: nobody else learns what is valid
            wanted = _marks(marks)
            if any(m.status is AttendanceStatus.EXCUSED for m in wanted.values()):
                authorise(
                    actor,
                    Action.EXCUSE_ABSENCES,
                    campus_id=campus_id,
                    cohort_id=cohort_id,
                    session_id=ctx.session_id,
                )
            if ctx.is_cancelled:
                raise Conflict(
                    f"session {ctx.session_number} of {ctx.cohort_name} on"
                    f" {ctx.scheduled_date.isoformat()} is cancelled: it cannot be marked"
                )
            now = self.clock.now()
            today = self.clock.today(ctx.timezone)
            roll = _roll(uow, ctx)
            lines = {line.student.id: line for line in roll}
            changes = _plan(wanted, lines)
            if not changes:
                return Marked(changed=[], roll=[line.as_roll_line() for line in roll])
            early = [m for _, m in changes if m.status is not AttendanceStatus.EXCUSED]
            if today < ctx.scheduled_date and early:
                raise Conflict(
                    f"session {ctx.session_number} of {ctx.cohort_name} is on"
                    f" {ctx.scheduled_date.isoformat()}: marks open that day (only an"
                    " excused absence can be recorded ahead)"
                )
            deadline = ctx.ends_at() + timedelta(hours=ctx.edit_window_hours)
            if now > deadline and actor.role not in _LATE_EDITORS:
                raise Forbidden(
                    f"marks of session {ctx.session_number} of {ctx.cohort_name} could be"
                    f" changed until {deadline.isoformat()}; later changes need a campus manager"
                )
            # written set-based: one UPDATE for the changed marks, one INSERT for the new ones
            writes = [
                self._write(uow, actor, approver, ctx, line, mark, now, today)
                for line, mark in changes
            ]
            uow.rolls.record_marks(writes)
            written = {write.mark.student_id: write.mark for write in writes}
            after = [attrs.evolve(ln, mark=written.get(ln.student.id, ln.mark)) for ln in roll]
            return Marked(
                changed=[write.mark for write in writes],
                roll=[line.as_roll_line() for line in after],
            )

    def rate_for_student(
        self, actor: Actor, student_id: UUID, cohort_id: UUID | None = None
    ) -> AttendanceRate:
        """The student's attendance rate in one cohort, or over every cohort they were on the
        roll of (``Action.VIEW_ROSTER`` for each cohort counted: ask per cohort when some are
        out of your scope). A student who was never on a roll has nothing held."""
        with self.transaction(actor) as uow:
            student = uow.students.get(student_id)
            enrolments = [
                e for e in uow.enrolments.list_for_student(student.id) if e.status in _MEMBER_STATES
            ]
            if cohort_id is not None:
                cohorts = {cohort_id: uow.cohorts.get(cohort_id)}
                enrolments = [e for e in enrolments if e.cohort_id == cohort_id]
            else:
                cohorts = by_id(uow.cohorts.find_many({e.cohort_id for e in enrolments}))
                if not cohorts and not actor.can(Action.VIEW_ROSTER):
                    authorise(actor, Action.VIEW_ROSTER)
            for cohort in sorted(cohorts.values(), key=lambda c: c.id):
                authorise(
                    actor, Action.VIEW_ROSTER, campus_id=cohort.campus_id, cohort_id=cohort.id
                )
            marks = uow.attendance.list_for_student(student.id)
            visits = self._held_visits(uow, marks)
            attended = held = 0
            for cohort in cohorts.values():
                tz = uow.campuses.get(cohort.campus_id).timezone
                sessions = self._held(uow, cohort, tz)
                mine = [e for e in enrolments if e.cohort_id == cohort.id]
                got, out_of = _tally(sessions, mine, marks, visits, tz)
                attended, held = attended + got, held + out_of
            return AttendanceRate(attended=attended, held=held)

    def rate_for_cohort(self, actor: Actor, cohort_id: UUID) -> AttendanceRate:
        """The cohort's attendance rate: over its students, the sessions they attended over
        the sessions held while they were on the roll (``Action.VIEW_ROSTER``). Trial and
        makeup visitors are not the cohort's students and are left out."""
        with self.transaction(actor) as uow:
            cohort = uow.cohorts.get(cohort_id)
            authorise(actor, Action.VIEW_ROSTER, campus_id=cohort.campus_id, cohort_id=cohort.id)
            tz = uow.campuses.get(cohort.campus_id).timezone
            sessions = self._held(uow, cohort, tz)
            enrolments = uow.enrolments.list_for_cohort(cohort.id, statuses=_MEMBER_STATES)
            by_student: dict[UUID, list[Enrolment]] = {}
            for enrolment in enrolments:
                by_student.setdefault(enrolment.student_id, []).append(enrolment)
            attended = held = 0
            for student_id, mine in by_student.items():
                # One query per student of the cohort (a class, not a campus): a student's
                # makeups elsewhere count too, so marks are read by student, not by session.
                marks = uow.attendance.list_for_student(student_id)
                visits = self._held_visits(uow, marks)
                got, out_of = _tally(sessions, mine, marks, visits, tz)
                attended, held = attended + got, held + out_of
            return AttendanceRate(attended=attended, held=held)

    # -- helpers ----------------------------------------------------------------------------

    def _held(self, uow: UnitOfWork, cohort: Cohort, tz: str) -> list[Session]:
        """The cohort's sessions held by now: not cancelled and already ended."""
        now = self.clock.now()
        return [
            s
            for s in uow.sessions.list_for_cohort(cohort.id)
            if not s.is_cancelled and s.ends_at(tz) <= now
        ]

    def _held_visits(self, uow: UnitOfWork, marks: list[Attendance]) -> frozenset[UUID]:
        """The sessions of the makeup marks among ``marks`` that have been held by now (a
        makeup booked ahead counts once it took place)."""
        visit_ids = {a.session_id for a in marks if a.status is AttendanceStatus.MAKEUP}
        if not visit_ids:
            return frozenset()
        sessions = uow.sessions.find_many(visit_ids)
        cohorts = by_id(uow.cohorts.find_many({s.cohort_id for s in sessions}))
        zones = {
            c.id: c.timezone
            for c in uow.campuses.find_many({c.campus_id for c in cohorts.values()})
        }
        now = self.clock.now()
        return frozenset(
            s.id
            for s in sessions
            if s.cohort_id in cohorts
            and not s.is_cancelled
            and s.ends_at(zones.get(cohorts[s.cohort_id].campus_id, "UTC")) <= now
        )

    def _check_approval(
        self, uow: UnitOfWork, actor: Actor, approver: Actor | None, ctx: RollContext
    ) -> None:
        """A teaching assistant's marks need the cohort's (or session's) lead instructor."""
        if approver is None:
            raise Forbidden(
                "a teaching assistant's marks need the approval of the cohort's lead instructor"
            )
        if approver.organisation_id != actor.organisation_id or approver.staff_id == actor.staff_id:
            raise Forbidden("the approver must be the cohort's lead instructor")
        try:
            current = load_actor(uow, approver.staff_id)
        except NotFound as missing:
            raise Forbidden("the approver must be the cohort's lead instructor") from missing
        assignment = uow.cohort_staff.find_assignment(ctx.cohort_id, current.staff_id)
        leads_cohort = assignment is not None and assignment.role is CohortStaffRole.LEAD_INSTRUCTOR
        leads_session = ctx.lead_instructor_id == current.staff_id
        if current.role is not StaffRole.LEAD_INSTRUCTOR or not (leads_cohort or leads_session):
            raise Forbidden(
                f"{current.name} is not the lead instructor of {ctx.cohort_name}:"
                " only the lead can approve a teaching assistant's marks"
            )

    def _write(
        self,
        uow: UnitOfWork,
        actor: Actor,
        approver: Actor | None,
        ctx: RollContext,
        line: _Line,
        mark: Mark,
        now: datetime,
        today: date,
    ) -> MarkWrite:
        """One mark to write, with its event, token and audit entry."""
        student, current = line.student, line.mark
        before = None if current is None else current.status
        after = mark.status
        written = RollMark(
            id=new_id() if current is None else current.id,
            student_id=student.id,
            enrolment_id=line.enrolment_id if current is None else current.enrolment_id,
            status=after,
            notes=mark.notes if current is None or mark.notes is not None else current.notes,
            recorded_by_staff_id=actor.staff_id,
            recorded_at=now,
            version=1 if current is None else current.version + 1,
        )
        if after is AttendanceStatus.ABSENT and before is not AttendanceStatus.ABSENT:
            uow.record(
                StudentMarkedAbsent(
                    organisation_id=uow.organisation_id,
                    attendance_id=written.id,
                    session_id=ctx.session_id,
                    student_id=student.id,
                    family_id=student.family_id,
                    session_end=ctx.ends_at(),
                )
            )
        if before is AttendanceStatus.ABSENT and after is not AttendanceStatus.ABSENT:
            uow.record(
                AbsenceCleared(
                    organisation_id=uow.organisation_id,
                    attendance_id=written.id,
                    session_id=ctx.session_id,
                    student_id=student.id,
                )
            )
        if before is AttendanceStatus.EXCUSED and after is not AttendanceStatus.EXCUSED:
            self._withdraw_token(uow, actor, ctx, line)
        if (
            after is AttendanceStatus.EXCUSED
            and before is not AttendanceStatus.EXCUSED
            and line.kind is RollKind.ENROLLED
        ):
            token = issue_token(
                uow,
                uow.enrolments.get(line.enrolment_id),
                program_id=ctx.program_id,
                reason=f"excused absence: {ctx.cohort_name}, session {ctx.session_number}"[:200],
                today=today,
                source_session_id=ctx.session_id,
            )
            self.audit(
                uow,
                actor,
                "makeup_token.issue",
                token,
                f"Makeup token for {student.display_name}: excused absence from session"
                f" {ctx.session_number} of {ctx.cohort_name}",
                {"expires_on": token.expires_on},
            )
        changes: dict[str, object] = {"status": [before, after]}
        if mark.notes is not None:
            changes["notes"] = mark.notes
        if approver is not None and actor.role is StaffRole.TEACHING_ASSISTANT:
            changes["approved_by"] = approver.staff_id
        return MarkWrite(
            mark=written,
            session_id=ctx.session_id,
            read_version=None if current is None else current.version,
            actor_staff_id=actor.staff_id,
            summary=f"{student.display_name} marked {after.value} at session"
            f" {ctx.session_number} of {ctx.cohort_name}"
            + ("" if before is None else f" (was {before.value})"),
            changes=jsonable(changes),
        )

    def _withdraw_token(self, uow: UnitOfWork, actor: Actor, ctx: RollContext, line: _Line) -> None:
        """An excused absence was changed: take back the makeup token it issued, if unused."""
        tokens = [
            t
            for t in uow.makeup_tokens.list_for_enrolment(line.enrolment_id)
            if t.source_session_id == ctx.session_id and t.student_id == line.student.id
        ]
        if any(t.status is MakeupTokenStatus.REDEEMED for t in tokens):
            raise Conflict(
                f"{line.student.display_name}'s excused absence from session"
                f" {ctx.session_number} gave a makeup token that has been used: the"
                " mark cannot change"
            )
        for token in tokens:
            if token.status is not MakeupTokenStatus.AVAILABLE:
                continue
            token.withdraw()
            enrolment = uow.enrolments.get(line.enrolment_id)
            enrolment.makeup_tokens = max(0, enrolment.makeup_tokens - 1)
            self.audit(
                uow,
                actor,
                "makeup_token.withdraw",
                token,
                f"Makeup token of {line.student.display_name} withdrawn: the absence from"
                f" session {ctx.session_number} is no longer excused",
                {"status": [MakeupTokenStatus.AVAILABLE, MakeupTokenStatus.WITHDRAWN]},
            )


def _context(uow: UnitOfWork, session_id: UUID) -> RollContext:
    found = uow.rolls.find_context(session_id)
    if found is None:
        raise NotFound("Session", session_id)
    return found


def _first_day(enrolment: Enrolment | RollEnrolment, tz: str) -> date:
    """The first day the enrolment puts its student on rolls."""
    if enrolment.start_date is not None:
        return enrolment.start_date
    return enrolment.enrolment_date.astimezone(ZoneInfo(tz)).date()


def _on_roll(enrolment: Enrolment | RollEnrolment, day: date, tz: str) -> bool:
    """Whether the enrolment puts its student on the cohort's roll on ``day``."""
    if enrolment.status not in _MEMBER_STATES or day < _first_day(enrolment, tz):
        return False
    if enrolment.end_date is not None and day > enrolment.end_date:
        return False
    # Completed, dropped or transferred: only if it had started (an end date is recorded).
    return enrolment.holds_seat or (
        enrolment.start_date is not None and enrolment.end_date is not None
    )


def _roll(uow: UnitOfWork, ctx: RollContext) -> list[_Line]:
    """The roll's lines, sorted by name (read as values: ``uow.rolls.sheet``)."""
    cohort_id, session_id, day, tz = ctx.cohort_id, ctx.session_id, ctx.scheduled_date, ctx.timezone
    sheet = uow.rolls.sheet(cohort_id, session_id, _MEMBER_STATES)
    marks = {a.student_id: a for a in sheet.marks}
    found: dict[UUID, tuple[RollKind, UUID]] = {}
    enrolments = sheet.enrolments
    for enrolment in enrolments:
        if enrolment.cohort_id == cohort_id and _on_roll(enrolment, day, tz):
            kind = RollKind.TRIAL if enrolment.trial_session_id == session_id else RollKind.ENROLLED
            found.setdefault(enrolment.student_id, (kind, enrolment.id))
    for trial in enrolments:
        if trial.trial_session_id != session_id:
            continue
        if trial.status is not EnrolmentStatus.DROPPED or trial.student_id in marks:
            found.setdefault(trial.student_id, (RollKind.TRIAL, trial.id))
    for visit in sheet.visits:
        found.setdefault(visit.student_id, (RollKind.MAKEUP, visit.enrolment_id))
    for mark in marks.values():  # a mark never drops off its roll
        kind = RollKind.MAKEUP if mark.status is AttendanceStatus.MAKEUP else RollKind.ENROLLED
        found.setdefault(mark.student_id, (kind, mark.enrolment_id))
    students = sheet.students
    lines = [
        _Line(student=students[sid], kind=kind, enrolment_id=eid, mark=marks.get(sid))
        for sid, (kind, eid) in found.items()
        if sid in students
    ]
    return sorted(lines, key=lambda line: (line.student.sort_key, str(line.student.id)))


def _marks(marks: Mapping[UUID, AttendanceStatus | Mark]) -> dict[UUID, Mark]:
    """The marks asked for, as Mark values; a bad status or notes that are not text are a
    ValidationError (marks are written set-based, not through the Attendance entity)."""
    if not marks:
        raise ValidationError("marks", "must name at least one student")
    wanted: dict[UUID, Mark] = {}
    for student_id, given in marks.items():
        mark = given if isinstance(given, Mark) else Mark(status=given)
        try:
            status = AttendanceStatus(mark.status)
        except ValueError:
            raise ValidationError(
                "Attendance.status",
                f"{mark.status!r} is not one of {', '.join(s.value for s in AttendanceStatus)}",
            ) from None
        if mark.notes is not None and not isinstance(mark.notes, str):
            raise ValidationError("Attendance.notes", "must be text")
        wanted[student_id] = Mark(status=status, notes=mark.notes)
    return wanted


def _plan(wanted: dict[UUID, Mark], lines: dict[UUID, _Line]) -> list[tuple[_Line, Mark]]:
    """Check every mark against the roll; the ones that change something, in roll order."""
    for student_id, mark in wanted.items():
        line = lines.get(student_id)
        if line is None:
            raise ValidationError(
                "Attendance.student_id", f"student {student_id} is not on this session's roll"
            )
        if mark.status not in ALLOWED_STATUSES[line.kind]:
            allowed = ", ".join(sorted(s.value for s in ALLOWED_STATUSES[line.kind]))
            raise ValidationError(
                "Attendance.status",
                f"{line.student.display_name} is a {line.kind.value} student on this roll:"
                f" marked {allowed}, not {mark.status.value}",
            )
    changes = []
    for student_id, line in lines.items():
        asked = wanted.get(student_id)
        if asked is None:
            continue
        current = line.mark
        if (
            current is not None
            and current.status is asked.status
            and (asked.notes is None or asked.notes == current.notes)
        ):
            continue
        changes.append((line, asked))
    return changes


def _tally(
    held: list[Session],
    enrolments: list[Enrolment],
    marks: list[Attendance],
    visits: frozenset[UUID],
    tz: str,
) -> tuple[int, int]:
    """(attended, held) for one student in one cohort: the held sessions while one of
    ``enrolments`` put them on the roll, the ones marked present or late there, plus the
    makeups they attended (held ``visits``) on those enrolments, never more than held."""
    mine = [s for s in held if any(_on_roll(e, s.scheduled_date, tz) for e in enrolments)]
    by_session = {a.session_id: a for a in marks}
    attended = sum(1 for s in mine if s.id in by_session and by_session[s.id].status in ATTENDED)
    enrolment_ids = {e.id for e in enrolments}
    own = {s.id for s in held}
    makeups = sum(
        1
        for a in marks
        if a.status is AttendanceStatus.MAKEUP
        and a.enrolment_id in enrolment_ids
        and a.session_id in visits
        and a.session_id not in own
    )
    return min(attended + makeups, len(mine)), len(mine)
