"""The roll's reads from the memory store, as values (``ports.RollRepository``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from rocket_core import model as m
from rocket_core import ports, rolls
from rocket_core.enrolment_machine import EnrolmentStatus
from rocket_core.errors import Conflict

if TYPE_CHECKING:
    from rocket_adapters.memory.unit_of_work import MemoryUnitOfWork


class MemoryRollRepository(ports.RollRepository):
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def find_context(self, session_id: UUID) -> rolls.RollContext | None:
        load = self._uow.load
        session = load(m.Session, session_id)
        cohort = None if session is None else load(m.Cohort, session.cohort_id)
        campus = None if cohort is None else load(m.Campus, cohort.campus_id)
        if session is None or cohort is None or campus is None:
            return None
        settings = self._uow.organisations.current().settings
        return rolls.RollContext(
            session_id=session.id,
            session_number=session.session_number,
            scheduled_date=session.scheduled_date,
            scheduled_end_time=session.scheduled_end_time,
            status=session.status,
            lead_instructor_id=session.lead_instructor_id,
            cohort_id=cohort.id,
            cohort_name=cohort.name,
            program_id=cohort.program_id,
            campus_id=campus.id,
            timezone=campus.timezone,
            edit_window_hours=settings.attendance_edit_window_hours,
        )

    def sheet(
        self, cohort_id: UUID, session_id: UUID, statuses: Collection[EnrolmentStatus]
    ) -> rolls.RollSheet:
        select = self._uow.select
        wanted = frozenset(statuses)
        enrolments = select(
            m.Enrolment,
            lambda e: (
                (e.cohort_id == cohort_id and e.status in wanted)
                or e.trial_session_id == session_id
            ),
            lambda e: (e.enrolment_date, e.id),
        )
        marks = select(
            m.Attendance, lambda a: a.session_id == session_id, lambda a: (a.recorded_at, a.id)
        )
        tokens = select(
            m.MakeupToken,
            lambda k: k.redeemed_session_id == session_id,
            lambda k: (k.redeemed_at, k.id),
        )
        named = {e.student_id for e in enrolments} | {a.student_id for a in marks}
        named |= {k.student_id for k in tokens}
        students = select(m.Student, lambda s: s.id in named)
        return rolls.RollSheet(
            enrolments=tuple(
                rolls.RollEnrolment(
                    id=e.id,
                    student_id=e.student_id,
                    cohort_id=e.cohort_id,
                    status=e.status,
                    enrolment_date=e.enrolment_date,
                    start_date=e.start_date,
                    end_date=e.end_date,
                    trial_session_id=e.trial_session_id,
                )
                for e in enrolments
            ),
            marks=tuple(
                rolls.RollMark(
                    id=a.id,
                    student_id=a.student_id,
                    enrolment_id=a.enrolment_id,
                    status=a.status,
                    notes=a.notes,
                    recorded_by_staff_id=a.recorded_by_staff_id,
                    recorded_at=a.recorded_at,
                    version=a.version,
                )
                for a in marks
            ),
            visits=tuple(
                rolls.RollVisit(student_id=k.student_id, enrolment_id=k.enrolment_id)
                for k in tokens
            ),
            students={
                s.id: rolls.RollStudent(
                    id=s.id,
                    family_id=s.family_id,
                    first_name=s.first_name,
                    preferred_name=s.preferred_name,
                    last_name=s.last_name,
                )
                for s in students
            },
        )

    def record_marks(self, writes: Sequence[rolls.MarkWrite]) -> None:
        uow = self._uow
        for write in writes:
            mark = write.mark
            if write.read_version is None:
                uow.attendance.add(
                    m.Attendance(
                        id=mark.id,
                        organisation_id=uow.organisation_id,
                        session_id=write.session_id,
                        student_id=mark.student_id,
                        enrolment_id=mark.enrolment_id,
                        status=mark.status,
                        notes=mark.notes,
                        recorded_by_staff_id=mark.recorded_by_staff_id,
                        recorded_at=mark.recorded_at,
                    )
                )
            else:
                stored = uow.attendance.find(mark.id)
                if stored is None or stored.version != write.read_version:
                    raise Conflict(
                        "Attendance: a mark of this roll was changed meanwhile; reload the roll"
                        " and mark again"
                    )
                # as on SQL, the version is the one written (commit checks the read one)
                stored.update(
                    status=mark.status,
                    notes=mark.notes,
                    recorded_by_staff_id=mark.recorded_by_staff_id,
                    recorded_at=mark.recorded_at,
                    version=mark.version,
                )
            uow.audit.add(
                m.AuditEntry(
                    organisation_id=uow.organisation_id,
                    actor_staff_id=write.actor_staff_id,
                    action=write.ACTION,
                    entity_type="Attendance",
                    entity_id=mark.id,
                    summary=write.summary[:500],
                    changes=write.changes,
                    occurred_at=mark.recorded_at,
                )
            )
