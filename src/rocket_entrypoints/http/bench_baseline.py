"""Baseline routes for the HTTP benchmark (``bench/http.py``): the same work as the roll, the
marking and the dashboard, running the same SQL with no domain layer.

Mounted under /api/v1/bench-baseline only when ``ROCKET_BENCH_BASELINE=1`` (``create_app``);
never in a real deployment, and left out of the OpenAPI document. Each handler goes through
the same Litestar app, body and response classes, thread pool and connection pool (the
container's engine: the application role, row-level security by ``rocket.organisation_id``)
as the route it is measured against, and sends the statements that route's use case sends,
in the same transactions, written out by hand on a pooled psycopg connection: no services,
no entities, no ORM session, no events. What it leaves out is the domain's work: the checks
of the permission matrix (only the scope test is kept), of the edit window and of the
statuses each kind of roll line accepts, and the events.

- ``GET /bench-baseline/sessions/{id}/roll`` and ``POST .../attendance``: the statements of
  ``AuthService.authenticate``, ``AttendanceService.roll`` and ``AttendanceService.mark``
  (the roll's reads as ``RollRepository`` sends them; the changed marks in one UPDATE
  executed for many rows, each checking its version, and the audit rows in one
  executemany, as ``RollRepository.record_marks`` writes them), and the roll with the new
  marks, as the use case answers.
- ``GET /bench-baseline/dashboard``: the first call for a staff member and filter records the
  statements ``ReportingService.dashboard`` sends (over an engine of its own, so that the
  measured one carries no listener); every call then authenticates and replays them in one
  transaction (after setting the organisation, which the unit of work does on the driver's
  cursor, unseen by the listener), returning the raw rows (the figures are not assembled).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import attrs
from litestar import Request, get, post
from psycopg.types.json import Jsonb
from sqlalchemy import event

from rocket_adapters.sql.database import Database
from rocket_core.errors import AuthenticationFailed, Conflict, Forbidden, NotFound, ValidationError
from rocket_core.events import EventBus
from rocket_core.model import AttendanceStatus
from rocket_core.services.base import actor_for
from rocket_core.services.reports import ReportingService
from rocket_entrypoints.http.routes.attendance import MarkedOut, MarksIn, RollLineOut

#: ``1`` mounts these routes (bench/http.py starts the server with it).
VARIABLE = "ROCKET_BENCH_BASELINE"
PREFIX = "/bench-baseline"
OPT = {"access": "staff", "baseline": True}


def enabled() -> bool:
    """Whether the environment asks for the baseline routes."""
    return os.environ.get(VARIABLE) == "1"


_ORG = "{0}.organisation_id = %(org)s"
SET_ORGANISATION = "SELECT set_config('rocket.organisation_id', %(org)s, true)"
_ASSIGNED = " UNION ALL ".join(
    f"SELECT '{kind}' AS kind, {kind}_staff.{kind}_id AS ref FROM {kind}_staff"
    f" WHERE {kind}_staff.organisation_id = %(org)s AND {kind}_staff.staff_id = (SELECT"
    " staff_sessions.staff_id FROM staff_sessions WHERE staff_sessions.organisation_id ="
    " %(org)s AND staff_sessions.token_hash = %(hash)s)"
    for kind in ("campus", "cohort", "session")
)
#: ``StaffSessionRepository.find_signed_in``: the session, its staff member, their assignments.
SIGNED_IN = (
    "SELECT staff_sessions.id, staff_sessions.expires_at, staff_sessions.revoked_at,"
    " staff_sessions.csrf_hash, staff.id, staff.role, staff.first_name, staff.last_name,"
    " staff.is_active, assigned.kind, assigned.ref"
    " FROM staff_sessions JOIN staff ON staff.id = staff_sessions.staff_id"
    f" LEFT OUTER JOIN ({_ASSIGNED}) AS assigned ON true"
    " WHERE staff_sessions.organisation_id = %(org)s AND staff_sessions.token_hash = %(hash)s"
    " AND staff.organisation_id = %(org)s"
)
#: ``RollRepository.find_context``: what the roll and its marking need of the session, its
#: cohort and campus and the organisation (its settings: the marks' edit window).
CONTEXT = (
    "SELECT sessions.id, sessions.session_number, sessions.scheduled_date,"
    " sessions.scheduled_end_time, sessions.status, sessions.lead_instructor_id, cohorts.id,"
    " cohorts.name, cohorts.program_id, campuses.id, campuses.timezone, organisations.settings"
    " FROM sessions JOIN cohorts ON cohorts.id = sessions.cohort_id"
    " JOIN campuses ON campuses.id = cohorts.campus_id"
    " JOIN organisations ON organisations.id = sessions.organisation_id"
    " WHERE sessions.organisation_id = %(org)s AND sessions.id = %(id)s"
    " AND cohorts.organisation_id = %(org)s AND campuses.organisation_id = %(org)s"
    " AND organisations.id = %(org)s"
)
#: ``RollRepository.sheet``'s three reads (the marks, members and trials, visits), each with
#: the names of its rows' students.
_STUDENT = (
    " students.id AS s_id, students.family_id, students.first_name, students.preferred_name,"
    " students.last_name"
)


def _named(table: str) -> str:
    return f" JOIN students ON students.id = {table}.student_id AND " + _ORG.format("students")


MARKS = (
    "SELECT attendances.id, attendances.student_id, attendances.enrolment_id,"
    " attendances.status, attendances.notes, attendances.recorded_by_staff_id,"
    f" attendances.recorded_at, attendances.version,{_STUDENT} FROM attendances"
    + _named("attendances")
    + " WHERE "
    + _ORG.format("attendances")
    + " AND attendances.session_id = %(id)s ORDER BY attendances.recorded_at, attendances.id"
)
_MEMBER_STATES = ("dropped", "active", "transferred", "enrolled", "completed", "pending_payment")
_HOLDING = frozenset({"pending_payment", "enrolled", "active"})
ENROLMENTS = (
    "SELECT enrolments.id, enrolments.student_id, enrolments.cohort_id, enrolments.status,"
    " enrolments.enrolment_date, enrolments.start_date, enrolments.end_date,"
    f" enrolments.trial_session_id,{_STUDENT} FROM enrolments"
    + _named("enrolments")
    + " WHERE "
    + _ORG.format("enrolments")
    + " AND (enrolments.cohort_id = %(cohort)s AND enrolments.status IN ("
    + ", ".join(f"%(status_{n})s" for n in range(len(_MEMBER_STATES)))
    + ") OR enrolments.trial_session_id = %(id)s)"
    " ORDER BY enrolments.enrolment_date, enrolments.id"
)
TOKENS = (
    f"SELECT makeup_tokens.student_id, makeup_tokens.enrolment_id,{_STUDENT} FROM makeup_tokens"
    + _named("makeup_tokens")
    + " WHERE "
    + _ORG.format("makeup_tokens")
    + " AND makeup_tokens.redeemed_session_id = %(id)s"
    " ORDER BY makeup_tokens.redeemed_at, makeup_tokens.id"
)
#: ``RollRepository.record_marks``: the changed marks in one UPDATE executed for many rows
#: (each checking its version), the new ones in one INSERT, then the audit entries.
UPDATE_MARKS = (
    "UPDATE attendances SET status=%(new_status)s, notes=%(new_notes)s,"
    " recorded_by_staff_id=%(new_by)s, recorded_at=%(new_at)s, version=%(new_version)s"
    " WHERE attendances.organisation_id = %(org)s AND attendances.id = %(mark_id)s"
    " AND attendances.version = %(read_version)s"
)
INSERT_MARKS = (
    "INSERT INTO attendances (id, organisation_id, session_id, student_id, enrolment_id,"
    " status, check_in_time, check_out_time, notes, recorded_by_staff_id, recorded_at,"
    " version) VALUES (%(id)s, %(org)s, %(session)s, %(student)s, %(enrolment)s, %(status)s,"
    " NULL, NULL, %(notes)s, %(by)s, %(at)s, 1)"
)
INSERT_AUDIT = (
    "INSERT INTO audit_log (id, organisation_id, actor_staff_id, action, entity_type,"
    " entity_id, summary, changes, occurred_at) VALUES (%(id)s, %(org)s, %(actor)s,"
    " 'attendance.mark', 'Attendance', %(entity)s, %(summary)s, %(changes)s, %(at)s)"
)


@attrs.frozen
class _Who:
    organisation_id: UUID
    staff_id: UUID
    role: str
    campus_ids: frozenset[UUID]
    cohort_ids: frozenset[UUID]
    session_ids: frozenset[UUID]


Cursor = Any


@contextmanager
def _transaction(container: Any) -> Iterator[Cursor]:
    """A cursor on a pooled connection of the container's engine; committed at the end."""
    connection = container.database().engine.raw_connection()
    try:
        cursor = connection.cursor()
        yield cursor
        connection.commit()
    finally:
        connection.close()


def _fetch_all(cursor: Cursor, statement: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cursor.execute(statement, params)
    names = [d.name for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _authenticate(request: Request[Any, Any, Any], container: Any) -> _Who:
    """``AuthService.authenticate``'s statements: the session by its token's digest with the
    staff member and their assignments, in one query."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    head, _, _ = token.partition(".")
    try:
        organisation_id = UUID(head)
    except ValueError:
        raise AuthenticationFailed("the session token is not valid: log in again") from None
    org = str(organisation_id)
    with _transaction(container) as cursor:
        cursor.execute(SET_ORGANISATION, {"org": org})
        cursor.execute(
            SIGNED_IN, {"org": organisation_id, "hash": hashlib.sha256(token.encode()).hexdigest()}
        )
        rows = cursor.fetchall()
    now = datetime.now(UTC)
    if not rows:
        raise AuthenticationFailed("the session has expired or was ended: log in again")
    _, expires_at, revoked_at, _, staff_id, role, _, _, is_active, *_ = rows[0]
    if revoked_at is not None or expires_at <= now:
        raise AuthenticationFailed("the session has expired or was ended: log in again")
    if not is_active:
        raise AuthenticationFailed("the account is deactivated")
    scopes: dict[str, set[UUID]] = {"campus": set(), "cohort": set(), "session": set()}
    for row in rows:
        if row[-2] is not None:
            scopes[row[-2]].add(row[-1])
    return _Who(
        organisation_id=organisation_id,
        staff_id=staff_id,
        role=role,
        campus_ids=frozenset(scopes["campus"]),
        cohort_ids=frozenset(scopes["cohort"]),
        session_ids=frozenset(scopes["session"]),
    )


def _may(who: _Who, campus_id: UUID, cohort_id: UUID, session_id: UUID) -> None:
    """The scope test of VIEW_ROSTER / TAKE_ATTENDANCE (the matrix itself is not read)."""
    allowed = (
        who.role == "super_admin"
        or (who.role in ("campus_manager", "front_desk") and campus_id in who.campus_ids)
        or (
            who.role == "lead_instructor"
            and (cohort_id in who.cohort_ids or session_id in who.session_ids)
        )
    )
    if not allowed:
        raise Forbidden("not your roll")


@attrs.define
class _Roll:
    session: dict[str, Any]
    cohort: dict[str, Any]
    #: student id -> (kind, enrolment id, student row, mark row)
    lines: list[tuple[str, UUID, dict[str, Any], dict[str, Any] | None]]


def _read_roll(cursor: Cursor, who: _Who, session_id: UUID) -> _Roll:
    """``AttendanceService.roll``'s statements (``AttendanceService.mark`` reads the same),
    and the roll's rule on their rows."""
    org = who.organisation_id
    cursor.execute(SET_ORGANISATION, {"org": str(org)})
    cursor.execute(CONTEXT, {"org": org, "id": session_id})
    row = cursor.fetchone()
    if row is None:
        raise NotFound("Session", session_id)
    session = {"id": row[0], "session_number": row[1], "scheduled_date": row[2]}
    cohort = {"id": row[6], "name": row[7], "campus_id": row[9]}
    timezone = row[10]
    _may(who, cohort["campus_id"], cohort["id"], session_id)
    statuses = {f"status_{n}": s for n, s in enumerate(_MEMBER_STATES)}
    enrolments = _fetch_all(
        cursor, ENROLMENTS, {"org": org, "cohort": cohort["id"], "id": session_id, **statuses}
    )
    marks = {m["student_id"]: m for m in _fetch_all(cursor, MARKS, {"org": org, "id": session_id})}
    tokens = _fetch_all(cursor, TOKENS, {"org": org, "id": session_id})
    students = {
        row["s_id"]: {
            "id": row["s_id"],
            "first_name": row["first_name"],
            "preferred_name": row["preferred_name"],
            "last_name": row["last_name"],
        }
        for row in (*enrolments, *marks.values(), *tokens)
    }
    day, zone = session["scheduled_date"], ZoneInfo(timezone)
    found: dict[UUID, tuple[str, UUID]] = {}
    for e in enrolments:
        if e["cohort_id"] != cohort["id"] or e["status"] not in _MEMBER_STATES:
            continue
        first = e["start_date"] or e["enrolment_date"].astimezone(zone).date()
        ended = e["end_date"] is not None and day > e["end_date"]
        started = e["start_date"] is not None and e["end_date"] is not None
        if day >= first and not ended and (e["status"] in _HOLDING or started):
            kind = "trial" if e["trial_session_id"] == session_id else "enrolled"
            found.setdefault(e["student_id"], (kind, e["id"]))
    for trial in enrolments:
        if trial["trial_session_id"] != session_id:
            continue
        if trial["status"] != "dropped" or trial["student_id"] in marks:
            found.setdefault(trial["student_id"], ("trial", trial["id"]))
    for token in tokens:
        found.setdefault(token["student_id"], ("makeup", token["enrolment_id"]))
    for mark in marks.values():
        kind = "makeup" if mark["status"] == "makeup" else "enrolled"
        found.setdefault(mark["student_id"], (kind, mark["enrolment_id"]))
    on_roll = [s for s in students.values() if s["id"] in found]
    on_roll.sort(
        key=lambda s: (
            s["last_name"].casefold(),
            (s["preferred_name"] or s["first_name"]).casefold(),
            str(s["id"]),
        )
    )
    lines = [(*found[s["id"]], s, marks.get(s["id"])) for s in on_roll]
    return _Roll(session=session, cohort=cohort, lines=lines)


def _name(student: dict[str, Any]) -> str:
    return f"{student['preferred_name'] or student['first_name']} {student['last_name']}"


def _out(roll: _Roll) -> list[RollLineOut]:
    return [
        RollLineOut(
            student_id=student["id"],
            display_name=_name(student),
            kind=kind,
            enrolment_id=enrolment_id,
            status=None if mark is None else AttendanceStatus(mark["status"]),
            notes=None if mark is None else mark["notes"],
            recorded_by_staff_id=None if mark is None else mark["recorded_by_staff_id"],
            recorded_at=None if mark is None else mark["recorded_at"],
        )
        for kind, enrolment_id, student, mark in roll.lines
    ]


@get(
    f"{PREFIX}/sessions/{{session_id:uuid}}/roll",
    opt=OPT,
    sync_to_thread=True,
    include_in_schema=False,
)
def baseline_roll(
    session_id: UUID, request: Request[Any, Any, Any], container: Any
) -> list[RollLineOut]:
    """The roll: what ``GET /sessions/{id}/roll`` does, on the same statements."""
    who = _authenticate(request, container)
    with _transaction(container) as cursor:
        return _out(_read_roll(cursor, who, session_id))


@post(
    f"{PREFIX}/sessions/{{session_id:uuid}}/attendance",
    opt=OPT,
    sync_to_thread=True,
    include_in_schema=False,
    status_code=200,
)
def baseline_mark(
    session_id: UUID, data: MarksIn, request: Request[Any, Any, Any], container: Any
) -> MarkedOut:
    """Marking: what ``POST /sessions/{id}/attendance`` does, on the same statements."""
    who = _authenticate(request, container)
    if who.role == "teaching_assistant":
        raise Forbidden("the baseline takes no approvals")
    wanted = {item.student_id: item for item in data.marks}
    if not wanted:
        raise ValidationError("marks", "must name at least one student")
    now = datetime.now(UTC)
    with _transaction(container) as cursor:
        roll = _read_roll(cursor, who, session_id)
        on_roll = {student["id"]: (student, mark) for _, _, student, mark in roll.lines}
        enrolment_of = {student["id"]: enrolment for _, enrolment, student, _ in roll.lines}
        for student_id in wanted:
            if student_id not in on_roll:
                raise ValidationError(
                    "Attendance.student_id", f"student {student_id} is not on this session's roll"
                )
        changes = []
        for student_id, item in wanted.items():
            student, mark = on_roll[student_id]
            before = None if mark is None else mark["status"]
            notes = None if mark is None else mark["notes"]
            if before != item.status.value or item.notes not in (None, notes):
                changes.append((student_id, item, student, mark, before))
        updates, inserts, audits = [], [], []
        for student_id, item, student, mark, before in changes:
            if mark is None:
                mark_id = uuid4()
                inserts.append(
                    {
                        "id": mark_id,
                        "org": who.organisation_id,
                        "session": session_id,
                        "student": student_id,
                        "enrolment": enrolment_of[student_id],
                        "status": item.status.value,
                        "notes": item.notes,
                        "by": who.staff_id,
                        "at": now,
                    }
                )
            else:
                mark_id = mark["id"]
                updates.append(
                    {
                        "org": who.organisation_id,
                        "mark_id": mark_id,
                        "read_version": mark["version"],
                        "new_status": item.status.value,
                        "new_notes": item.notes if item.notes is not None else mark["notes"],
                        "new_by": who.staff_id,
                        "new_at": now,
                        "new_version": mark["version"] + 1,
                    }
                )
            audits.append(
                {
                    "id": uuid4(),
                    "org": who.organisation_id,
                    "actor": who.staff_id,
                    "entity": mark_id,
                    "summary": f"{_name(student)} marked {item.status.value} at session"
                    f" {roll.session['session_number']} of {roll.cohort['name']}"
                    + ("" if before is None else f" (was {before})"),
                    "changes": Jsonb({"status": [before, item.status.value]}),
                    "at": now,
                }
            )
        if updates:
            cursor.executemany(UPDATE_MARKS, updates)
            if cursor.rowcount != len(updates):
                raise Conflict("a mark changed meanwhile")
        if inserts:
            cursor.executemany(INSERT_MARKS, inserts)
        if audits:
            cursor.executemany(INSERT_AUDIT, audits)
    # the roll with the new marks, from what was read and written (as the use case does)
    written = {
        student_id: {
            "status": item.status.value,
            "notes": item.notes if item.notes is not None or mark is None else mark["notes"],
            "recorded_by_staff_id": who.staff_id,
            "recorded_at": now,
        }
        for student_id, item, _, mark, _ in changes
    }
    roll.lines = [
        (kind, enrolment, student, written.get(student["id"], mark))
        for kind, enrolment, student, mark in roll.lines
    ]
    return MarkedOut(changed=len(audits), roll=_out(roll))


# -- the dashboard -------------------------------------------------------------------------------

_recorded: dict[tuple[UUID, UUID, UUID | None], list[tuple[str, Any]]] = {}
_recording = threading.local()
_lock = threading.Lock()
_databases: dict[str, Database] = {}


def _record(container: Any, who: _Who, campus_id: UUID | None) -> list[tuple[str, Any]]:
    """The statements ``ReportingService.dashboard`` sends for ``who`` and ``campus_id``,
    recorded over an engine of their own."""
    settings = container.settings()
    with _lock:
        database = _databases.get("dashboard")
        if database is None:
            database = _databases["dashboard"] = Database(
                settings.database_url, app_role=settings.database_role
            )

            @event.listens_for(database.engine, "before_cursor_execute")
            def keep(
                _c: Any, _cu: Any, statement: str, parameters: Any, _x: Any, _many: bool
            ) -> None:
                found = getattr(_recording, "statements", None)
                if found is not None:
                    found.append((statement, parameters))

    actor = actor_for(database.unit_of_work, who.organisation_id, who.staff_id)
    service = ReportingService(database.unit_of_work, container.clock(), EventBus())
    statements: list[tuple[str, Any]] = []
    _recording.statements = statements
    try:
        service.dashboard(actor, campus_id=campus_id)
    finally:
        _recording.statements = None
    return statements


def _cell(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


@get(f"{PREFIX}/dashboard", opt=OPT, sync_to_thread=True, include_in_schema=False)
def baseline_dashboard(
    request: Request[Any, Any, Any], container: Any, campus_id: UUID | None = None
) -> dict[str, list[list[Any]]]:
    """The dashboard's statements (recorded on the first call), replayed; the raw rows."""
    who = _authenticate(request, container)
    key = (who.organisation_id, who.staff_id, campus_id)
    statements = _recorded.get(key)
    if statements is None:
        statements = _recorded[key] = _record(container, who, campus_id)
    results: list[list[Any]] = []
    with _transaction(container) as cursor:
        # the unit of work sets the organisation on the driver's cursor (sql/direct.py),
        # unseen by the recording listener: set here as it does
        cursor.execute(SET_ORGANISATION, {"org": str(who.organisation_id)})
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            rows: Sequence[Any] = cursor.fetchall() if cursor.description else []
            results.append([[_cell(v) for v in row] for row in rows])
    return {"results": results}


ROUTES = [baseline_roll, baseline_mark, baseline_dashboard]
