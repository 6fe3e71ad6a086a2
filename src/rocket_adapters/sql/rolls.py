"""The roll as Core statements (``ports.RollRepository``): reads into values, marks written
set-based.

Each statement is built once, with bind parameters, so that a request pays neither for
building it nor for its cache key; rows become the small frozen values of
``rocket_core.rolls``, with no identity map or change tracking per row; the marks of a
roll are one UPDATE executed for many rows (each checking its version), one INSERT and the
audit entries' INSERT (docs/architecture.md, "The roll: values and set-based marks").
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any
from uuid import UUID

import sqlalchemy as sa

from rocket_adapters.sql import tables as t
from rocket_core import model as m
from rocket_core import ports, rolls
from rocket_core.enrolment_machine import EnrolmentStatus
from rocket_core.errors import Conflict

if TYPE_CHECKING:
    from rocket_adapters.sql.unit_of_work import SqlUnitOfWork


def _in_organisation(table: sa.Table) -> sa.ColumnElement[bool]:
    return table.c.organisation_id == sa.bindparam("org")


@cache
def _context() -> sa.Select[tuple[object, ...]]:
    s, c, p, o = t.sessions.c, t.cohorts.c, t.campuses.c, t.organisations.c
    return (
        sa.select(
            s.id,
            s.session_number,
            s.scheduled_date,
            s.scheduled_end_time,
            s.status,
            s.lead_instructor_id,
            c.id,
            c.name,
            c.program_id,
            p.id,
            p.timezone,
            o.settings,
        )
        .select_from(t.sessions)
        .join(t.cohorts, c.id == s.cohort_id)
        .join(t.campuses, p.id == c.campus_id)
        .join(t.organisations, o.id == s.organisation_id)
        .where(
            _in_organisation(t.sessions),
            s.id == sa.bindparam("session"),
            _in_organisation(t.cohorts),
            _in_organisation(t.campuses),
            o.id == sa.bindparam("org"),
        )
    )


def _named(
    select: sa.Select[tuple[object, ...]], student_id: sa.ColumnElement[UUID]
) -> sa.Select[tuple[object, ...]]:
    """``select`` with the names of the student each row is about (``_student_columns`` at
    the end: the students come with their rows, not in a fourth query by a list of ids)."""
    return select.add_columns(*_student_columns()).join(
        t.students, sa.and_(t.students.c.id == student_id, _in_organisation(t.students))
    )


def _student_columns() -> tuple[sa.Column[object], ...]:
    s = t.students.c
    return (s.id, s.family_id, s.first_name, s.preferred_name, s.last_name)


@cache
def _members(statuses: frozenset[EnrolmentStatus]) -> sa.Select[tuple[object, ...]]:
    """The cohort's enrolments of ``statuses`` (bound in the statement: one statement per
    set, with no list to expand at each execution) and the session's trials."""
    e = t.enrolments.c
    wanted = sa.and_(
        e.cohort_id == sa.bindparam("cohort"),
        e.status.in_([sa.literal(status, e.status.type) for status in sorted(statuses)])
        if statuses
        else sa.false(),
    )
    return _named(
        sa.select(
            e.id,
            e.student_id,
            e.cohort_id,
            e.status,
            e.enrolment_date,
            e.start_date,
            e.end_date,
            e.trial_session_id,
        ).where(
            _in_organisation(t.enrolments),
            sa.or_(wanted, e.trial_session_id == sa.bindparam("session")),
        ),
        e.student_id,
    ).order_by(e.enrolment_date, e.id)


@cache
def _marks() -> sa.Select[tuple[object, ...]]:
    a = t.attendances.c
    return _named(
        sa.select(
            a.id,
            a.student_id,
            a.enrolment_id,
            a.status,
            a.notes,
            a.recorded_by_staff_id,
            a.recorded_at,
            a.version,
        ).where(_in_organisation(t.attendances), a.session_id == sa.bindparam("session")),
        a.student_id,
    ).order_by(a.recorded_at, a.id)


@cache
def _visits() -> sa.Select[tuple[object, ...]]:
    k = t.makeup_tokens.c
    return _named(
        sa.select(k.student_id, k.enrolment_id).where(
            _in_organisation(t.makeup_tokens), k.redeemed_session_id == sa.bindparam("session")
        ),
        k.student_id,
    ).order_by(k.redeemed_at, k.id)


@cache
def _update_marks() -> sa.Update:
    a = t.attendances.c
    return (
        sa.update(t.attendances)
        .where(
            _in_organisation(t.attendances),
            a.id == sa.bindparam("mark_id"),
            a.version == sa.bindparam("read_version"),
        )
        .values(
            status=sa.bindparam("new_status", type_=a.status.type),
            notes=sa.bindparam("new_notes", type_=a.notes.type),
            recorded_by_staff_id=sa.bindparam("new_by", type_=a.recorded_by_staff_id.type),
            recorded_at=sa.bindparam("new_at", type_=a.recorded_at.type),
            version=sa.bindparam("new_version", type_=a.version.type),
        )
    )


_STUDENT_WIDTH = len(_student_columns())


@cache
def _insert(table: sa.Table) -> sa.Insert:
    """An INSERT of every column of ``table`` (each row names them all)."""
    return sa.insert(table)


class SqlRollRepository(ports.RollRepository):
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def find_context(self, session_id: UUID) -> rolls.RollContext | None:
        rows = self._uow.values(
            _context(), {"org": self._uow.organisation_id, "session": session_id}
        )
        if not rows:
            return None
        row = rows[0]
        return rolls.RollContext(
            session_id=row[0],
            session_number=row[1],
            scheduled_date=row[2],
            scheduled_end_time=row[3],
            status=row[4],
            lead_instructor_id=row[5],
            cohort_id=row[6],
            cohort_name=row[7],
            program_id=row[8],
            campus_id=row[9],
            timezone=row[10],
            edit_window_hours=row[11].attendance_edit_window_hours,
        )

    def sheet(
        self, cohort_id: UUID, session_id: UUID, statuses: Collection[EnrolmentStatus]
    ) -> rolls.RollSheet:
        uow = self._uow
        org = uow.organisation_id
        students: dict[UUID, rolls.RollStudent] = {}

        def read(
            statement: sa.Select[tuple[object, ...]], parameters: dict[str, Any]
        ) -> list[Sequence[Any]]:
            """The rows' own columns; the students' names they end with go to ``students``."""
            rows = uow.values(statement, parameters)
            width = len(rows[0]) - _STUDENT_WIDTH if rows else 0
            for row in rows:
                if row[width] not in students:
                    students[row[width]] = rolls.RollStudent(*row[width:])
            return [row[:width] for row in rows]

        at_session = {"org": org, "session": session_id}
        members = read(_members(frozenset(statuses)), {**at_session, "cohort": cohort_id})
        marks = read(_marks(), at_session)
        visits = read(_visits(), at_session)
        return rolls.RollSheet(
            enrolments=tuple(rolls.RollEnrolment(*row) for row in members),
            marks=tuple(rolls.RollMark(*row) for row in marks),
            visits=tuple(rolls.RollVisit(*row) for row in visits),
            students=students,
        )

    def record_marks(self, writes: Sequence[rolls.MarkWrite]) -> None:
        uow, org = self._uow, self._uow.organisation_id
        changed = [w for w in writes if w.read_version is not None]
        if changed:
            changed_rows = uow.write(
                _update_marks(),
                [
                    {
                        "org": org,
                        "mark_id": w.mark.id,
                        "read_version": w.read_version,
                        "new_status": w.mark.status,
                        "new_notes": w.mark.notes,
                        "new_by": w.mark.recorded_by_staff_id,
                        "new_at": w.mark.recorded_at,
                        "new_version": w.mark.version,
                    }
                    for w in changed
                ],
            )
            if changed_rows != len(changed):
                raise Conflict(
                    "Attendance: a mark of this roll was changed meanwhile; reload the roll"
                    " and mark again"
                )
        added = [w for w in writes if w.read_version is None]
        if added:
            uow.write(
                _insert(t.attendances),
                [
                    {
                        "id": w.mark.id,
                        "organisation_id": org,
                        "session_id": w.session_id,
                        "student_id": w.mark.student_id,
                        "enrolment_id": w.mark.enrolment_id,
                        "status": w.mark.status,
                        "check_in_time": None,
                        "check_out_time": None,
                        "notes": w.mark.notes,
                        "recorded_by_staff_id": w.mark.recorded_by_staff_id,
                        "recorded_at": w.mark.recorded_at,
                        "version": w.mark.version,
                    }
                    for w in added
                ],
            )
        if writes:
            uow.write(
                _insert(t.audit_log),
                [
                    {
                        "id": m.new_id(),
                        "organisation_id": org,
                        "actor_staff_id": w.actor_staff_id,
                        "action": w.ACTION,
                        "entity_type": "Attendance",
                        "entity_id": w.mark.id,
                        "summary": w.summary[:500],
                        "changes": w.changes,
                        "occurred_at": w.mark.recorded_at,
                    }
                    for w in writes
                ],
            )
