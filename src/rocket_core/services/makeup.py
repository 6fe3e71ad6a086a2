"""Makeup tokens: a missed session owed to a student.

Tokens are issued for a cancelled session or an excused absence (other use cases call
``issue_token`` inside their own transaction), carried to the new enrolment on a transfer
(``carry_tokens``), redeemed by attending a session of another cohort of the same program
(``MakeupService.redeem``) and expired by the nightly job (``MakeupService.expire_tokens``).
``Enrolment.makeup_tokens`` counts the enrolment's available tokens.

Decisions where the rules are silent:

- **Who books a makeup**: the permission "excuse absences, issue makeup tokens" over the host
  session's cohort (super admin; campus manager of the host campus; the host cohort's lead
  instructor), since spending a token is token management and the host class takes a visitor.
- **A free seat at the session** means a free chair that day: the host cohort's capacity minus
  its seat-holders minus the visitors already booked into that session (makeup visitors and
  trial students). Visitors never change ``Cohort.current_enrolments``.
- **Which token**: the one named, or else the student's usable token for the host's program
  that expires first. A token is usable for a session dated from its issue day to its expiry
  day; the visit may be booked ahead or recorded afterwards, but not at a cancelled session.
- **Transfers** keep tokens usable: carried tokens move to the new enrolment and to the new
  cohort's program (the student now learns there).
- **Issuing by hand** (``MakeupService.issue``: "excuse absences, issue makeup tokens" over
  the enrolment's cohort) gives a token for one session of the enrolment's cohort that the
  student missed or will miss for a reason staff accept (the roll records excused absences on
  its own). The enrolment must hold a seat; the student must not have attended that session;
  and an enrolment gets at most one token per session (one already issued, used or expired
  for it is a Conflict; a withdrawn one does not count).
- **Reading tokens** (``MakeupService.tokens``) is "view roster" over the cohort of the
  token's enrolment: a reader sees the tokens of the student's enrolments in their scope, and
  is refused when none of the student's enrolments is.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import attrs

from rocket_core.errors import Conflict, Forbidden, ValidationError
from rocket_core.events import MakeupTokenIssued
from rocket_core.model import (
    Attendance,
    AttendanceStatus,
    Cohort,
    CohortStatus,
    Enrolment,
    EnrolmentStatus,
    MakeupToken,
    MakeupTokenStatus,
    Session,
)
from rocket_core.permissions import Action, Actor, Scope, authorise
from rocket_core.ports import UnitOfWork
from rocket_core.services.base import Service
from rocket_core.services.waitlist import places_free_at


def issue_token(
    uow: UnitOfWork,
    enrolment: Enrolment,
    *,
    program_id: UUID,
    reason: str,
    today: date,
    source_session_id: UUID | None = None,
) -> MakeupToken:
    """Give the enrolment's student one makeup token, valid for the organisation's
    ``makeup_token_expiry_days``; the enrolment's ``makeup_tokens`` counts it."""
    settings = uow.organisations.current().settings
    token = MakeupToken(
        organisation_id=enrolment.organisation_id,
        student_id=enrolment.student_id,
        enrolment_id=enrolment.id,
        program_id=program_id,
        reason=reason,
        source_session_id=source_session_id,
        issued_on=today,
        expires_on=today + timedelta(days=settings.makeup_token_expiry_days),
    )
    uow.makeup_tokens.add(token)
    enrolment.makeup_tokens += 1
    token.record(
        MakeupTokenIssued(
            organisation_id=token.organisation_id,
            token_id=token.id,
            student_id=token.student_id,
            enrolment_id=enrolment.id,
            reason=reason,
        )
    )
    return token


def carry_tokens(
    uow: UnitOfWork, old: Enrolment, new: Enrolment, *, program_id: UUID
) -> list[MakeupToken]:
    """Move the old enrolment's available tokens to the new one (a transfer), usable in the
    new cohort's program. ``Enrolment.transfer`` moves the count; this moves the records."""
    carried = [
        token
        for token in uow.makeup_tokens.list_for_enrolment(old.id)
        if token.status is MakeupTokenStatus.AVAILABLE
    ]
    for token in carried:
        token.update(enrolment_id=new.id, program_id=program_id)
    return carried


@attrs.frozen(kw_only=True)
class MakeupVisit:
    """A redeemed token and the makeup mark it made at the host session."""

    attendance: Attendance
    token: MakeupToken


class MakeupService(Service):
    """Redeeming and expiring makeup tokens (see the module docstring for the rules)."""

    def redeem(
        self,
        actor: Actor,
        student_id: UUID,
        session_id: UUID,
        *,
        token_id: UUID | None = None,
    ) -> MakeupVisit:
        """The student attends ``session_id`` (of another cohort of the same program, with a
        free chair) as a makeup: the token is spent, the student's enrolment counts one token
        fewer, and the session gets an Attendance marked ``makeup``.

        Uses ``token_id`` when given, else the usable token that expires first.
        """
        host_cohort_id = self._cohort_of_session(actor.organisation_id, session_id)
        with self.transaction(actor) as uow:
            cohort = uow.cohorts.get_for_update(host_cohort_id)
            session = uow.sessions.get(session_id)
            student = uow.students.get(student_id)
            authorise(
                actor,
                Action.EXCUSE_ABSENCES,
                campus_id=cohort.campus_id,
                cohort_id=cohort.id,
                session_id=session.id,
            )
            if not student.is_active:
                raise Conflict(f"student {student.display_name} is deactivated")
            if session.is_cancelled or cohort.status in (
                CohortStatus.DRAFT,
                CohortStatus.CANCELLED,
            ):
                raise Conflict(f"session {session.session_number} of {cohort.name!r} is cancelled")
            if uow.enrolments.find_live(student.id, cohort.id) is not None:
                raise ValidationError(
                    "Attendance.session_id",
                    "a makeup is a session of another cohort than the student's own",
                )
            token = self._token(uow, student_id, session, cohort.program_id, token_id)
            enrolment = uow.enrolments.get(token.enrolment_id)
            if enrolment.cohort_id == cohort.id:
                raise ValidationError(
                    "Attendance.session_id",
                    "a makeup is a session of another cohort than the student's own",
                )
            if enrolment.status is EnrolmentStatus.DROPPED:
                raise Conflict(
                    f"the enrolment of token {token.id} was withdrawn: its tokens are void"
                )
            if uow.attendance.find_for(session.id, student.id) is not None:
                raise Conflict(f"{student.display_name} already has a mark at this session")
            if places_free_at(uow, cohort, session) <= 0:
                raise Conflict(
                    f"session {session.session_number} of {cohort.name!r} has no free seat"
                )
            now = self.clock.now()
            token.redeem(session_id=session.id, at=now, on=session.scheduled_date)
            enrolment.makeup_tokens = max(0, enrolment.makeup_tokens - 1)
            attendance = Attendance(
                organisation_id=uow.organisation_id,
                session_id=session.id,
                student_id=student.id,
                enrolment_id=enrolment.id,
                status=AttendanceStatus.MAKEUP,
                notes=f"Makeup: {token.reason}"[:10_000],
                recorded_by_staff_id=actor.staff_id,
                recorded_at=now,
            )
            uow.attendance.add(attendance)
            self.audit(
                uow,
                actor,
                "makeup_token.redeem",
                token,
                f"{student.display_name} redeemed a makeup token at session"
                f" {session.session_number} of {cohort.name}",
                {
                    "session_id": session.id,
                    "cohort_id": cohort.id,
                    "enrolment_id": enrolment.id,
                    "makeup_tokens": enrolment.makeup_tokens,
                },
            )
            self.audit(
                uow,
                actor,
                "attendance.makeup",
                attendance,
                f"{student.display_name} attends session {session.session_number} of"
                f" {cohort.name} as a makeup",
                {"token_id": token.id, "status": attendance.status},
            )
        return MakeupVisit(attendance=attendance, token=token)

    def issue(
        self, actor: Actor, enrolment_id: UUID, *, session_id: UUID, reason: str
    ) -> MakeupToken:
        """Give the enrolment's student a makeup token for ``session_id`` (a session of the
        enrolment's cohort), valid for the organisation's ``makeup_token_expiry_days`` from
        today at the campus (see "Issuing by hand" in the module docstring)."""
        with self.transaction(actor) as uow:
            enrolment = uow.enrolments.get(enrolment_id)
            cohort = uow.cohorts.get(enrolment.cohort_id)
            session = uow.sessions.get(session_id)
            authorise(
                actor,
                Action.EXCUSE_ABSENCES,
                campus_id=cohort.campus_id,
                cohort_id=cohort.id,
                session_id=session.id,
            )
            if session.cohort_id != cohort.id:
                raise ValidationError(
                    "MakeupToken.source_session_id", "must be a session of the enrolment's cohort"
                )
            student = uow.students.get(enrolment.student_id)
            if not enrolment.holds_seat:
                raise Conflict(
                    f"the enrolment of {student.display_name} in {cohort.name} is"
                    f" {enrolment.status.value}: only a seat-holder (pending payment, enrolled,"
                    " active) is owed makeup sessions"
                )
            issued = [
                t
                for t in uow.makeup_tokens.list_for_enrolment(enrolment.id)
                if t.source_session_id == session.id and t.status is not MakeupTokenStatus.WITHDRAWN
            ]
            if issued:
                raise Conflict(
                    f"{student.display_name} already has a makeup token for session"
                    f" {session.session_number} of {cohort.name} ({issued[0].status.value})"
                )
            mark = uow.attendance.find_for(session.id, student.id)
            if mark is not None and mark.attended:
                raise Conflict(
                    f"{student.display_name} attended session {session.session_number} of"
                    f" {cohort.name} ({mark.status.value}): no makeup is owed"
                )
            today = self.clock.today(uow.campuses.get(cohort.campus_id).timezone)
            token = issue_token(
                uow,
                enrolment,
                program_id=cohort.program_id,
                reason=reason,
                today=today,
                source_session_id=session.id,
            )
            self.audit(
                uow,
                actor,
                "makeup_token.issue",
                token,
                f"Makeup token for {student.display_name}: session {session.session_number} of"
                f" {cohort.name} ({reason})",
                {
                    "enrolment_id": enrolment.id,
                    "source_session_id": session.id,
                    "reason": reason,
                    "expires_on": token.expires_on,
                    "makeup_tokens": enrolment.makeup_tokens,
                },
            )
        return token

    def tokens(
        self, actor: Actor, student_id: UUID, *, status: MakeupTokenStatus | None = None
    ) -> list[MakeupToken]:
        """The student's makeup tokens (of one status if given), soonest expiry first, for
        the enrolments the reader may see (see "Reading tokens" in the module docstring)."""
        with self.transaction(actor) as uow:
            student = uow.students.get(student_id)
            enrolments = uow.enrolments.list_for_student(student.id)
            cohorts = {
                c.id: c
                for c in (
                    uow.cohorts.find_many({e.cohort_id for e in enrolments}) if enrolments else []
                )
            }
            visible = {
                e.id
                for e in enrolments
                if e.cohort_id in cohorts and _sees_roster(actor, cohorts[e.cohort_id])
            }
            if not visible and actor.grant(Action.VIEW_ROSTER).scope is not Scope.ALL:
                first = cohorts.get(enrolments[0].cohort_id) if enrolments else None
                authorise(  # raises: none of the student's enrolments is in the reader's scope
                    actor,
                    Action.VIEW_ROSTER,
                    campus_id=None if first is None else first.campus_id,
                    cohort_id=None if first is None else first.id,
                )
            return [
                t
                for t in uow.makeup_tokens.list_for_student(student.id, status=status)
                if t.enrolment_id in visible
            ]

    def expire_tokens(self, organisation_id: UUID, day: date) -> list[MakeupToken]:
        """Nightly (no actor): mark every available token whose expiry is before ``day``
        expired, and count it off its enrolment. Returns the expired tokens."""
        with self.system_transaction(organisation_id) as uow:
            expired = uow.makeup_tokens.list_expired(day)
            for token in expired:
                token.expire(day)
                enrolment = uow.enrolments.get(token.enrolment_id)
                enrolment.makeup_tokens = max(0, enrolment.makeup_tokens - 1)
                self.audit(
                    uow,
                    None,
                    "makeup_token.expire",
                    token,
                    f"makeup token expired on {token.expires_on.isoformat()}",
                    {"enrolment_id": enrolment.id, "makeup_tokens": enrolment.makeup_tokens},
                )
        return expired

    # -- helpers --------------------------------------------------------------------------

    def _cohort_of_session(self, organisation_id: UUID, session_id: UUID) -> UUID:
        # A session never changes cohort: read it first so that the transaction can lock the
        # cohort before it reads anything else.
        with self.make_uow(organisation_id) as uow:
            return uow.sessions.get(session_id).cohort_id

    @staticmethod
    def _token(
        uow: UnitOfWork,
        student_id: UUID,
        session: Session,
        program_id: UUID,
        token_id: UUID | None,
    ) -> MakeupToken:
        day = session.scheduled_date
        if token_id is None:
            for candidate in uow.makeup_tokens.list_for_student(
                student_id, status=MakeupTokenStatus.AVAILABLE
            ):
                if (
                    candidate.program_id != program_id
                    or candidate.issued_on > day
                    or not candidate.usable_on(day)
                ):
                    continue
                owner = uow.enrolments.get(candidate.enrolment_id)
                if owner.cohort_id != session.cohort_id and owner.status is not (
                    EnrolmentStatus.DROPPED
                ):
                    return candidate
            raise Conflict("the student has no makeup token usable at this session")
        token = uow.makeup_tokens.get(token_id)
        if token.student_id != student_id:
            raise ValidationError("MakeupToken.student_id", "the token is another student's")
        if token.program_id != program_id:
            raise ValidationError(
                "MakeupToken.program_id", "a makeup is a session of the same program"
            )
        if day < token.issued_on:
            raise ValidationError(
                "MakeupToken.issued_on", "a token cannot pay for a session before it was issued"
            )
        return token


def _sees_roster(actor: Actor, cohort: Cohort) -> bool:
    """Whether "view roster" covers ``cohort`` for ``actor``."""
    try:
        authorise(actor, Action.VIEW_ROSTER, campus_id=cohort.campus_id, cohort_id=cohort.id)
    except Forbidden:
        return False
    return True
