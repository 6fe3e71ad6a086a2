"""The nightly lifecycle on SQLite and Postgres gives what it gives in memory, set-based.

One school (two organisations) is built with the same ids on each backend; after the nightly
run the cohorts, enrolments, sessions and audit entries read back through the ports must be
identical.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4

import attrs
import pytest

from rocket_adapters.clock import FixedClock
from rocket_adapters.memory import MemoryStore
from rocket_adapters.sql import Database
from rocket_core import model as m
from rocket_core.enrolment_machine import EnrolmentStatus as S
from rocket_core.events import EventBus
from rocket_core.model import CohortStatus as C
from rocket_core.model import SessionStatus as SS
from rocket_core.ports import UnitOfWork, UnitOfWorkFactory
from rocket_core.services.lifecycle import LifecycleService, NightlyReport

DAY = date(2026, 2, 2)
NOW = datetime(2026, 2, 1, 14, 0, tzinfo=UTC)  # just after midnight in Melbourne
D = timedelta(days=1)

#: name: (status, start, end, capacity, [(student, status, own start date)])
COHORTS: dict[str, tuple[C, date, date, int, list[tuple[str, S, date | None]]]] = {
    "starting": (
        C.OPEN,
        DAY,
        DAY + 21 * D,
        5,
        [
            ("ann", S.ENROLLED, None),
            ("bob", S.PENDING_PAYMENT, None),
            ("cat", S.ENQUIRY, None),
            ("dan", S.ENROLLED, DAY + 7 * D),  # a late joiner
            ("eve", S.TRIAL, None),
        ],
    ),
    "ending": (
        C.IN_PROGRESS,
        DAY - 28 * D,
        DAY - D,
        5,
        [("ann", S.ACTIVE, DAY - 28 * D), ("bob", S.ACTIVE, DAY - 21 * D)],
    ),
    "ends_today": (C.IN_PROGRESS, DAY - 21 * D, DAY, 5, [("ann", S.ACTIVE, DAY - 21 * D)]),
    "empty": (C.OPEN, DAY, DAY + 21 * D, 5, []),
    "full": (C.FULL, DAY - D, DAY + 20 * D, 1, [("cat", S.ENROLLED, None)]),
    "missed": (C.OPEN, DAY - 30 * D, DAY - 2 * D, 5, [("bob", S.ENROLLED, None)]),
    "draft": (C.DRAFT, DAY - D, DAY + 20 * D, 5, []),
    "cancelled": (C.CANCELLED, DAY - D, DAY + 20 * D, 5, [("dan", S.ENROLLED, None)]),
    "future": (C.OPEN, DAY + 7 * D, DAY + 28 * D, 5, [("eve", S.ENROLLED, None)]),
}
STUDENTS = ("ann", "bob", "cat", "dan", "eve")
#: cohort: [(session number, date, status)]; in progress and completed ones have actual times.
SESSIONS: dict[str, list[tuple[int, date, SS]]] = {
    "starting": [(1, DAY, SS.SCHEDULED), (2, DAY + 7 * D, SS.SCHEDULED)],
    "ending": [
        (1, DAY - 15 * D, SS.CANCELLED),
        (2, DAY - 8 * D, SS.COMPLETED),
        (3, DAY - D, SS.SCHEDULED),
    ],
    "ends_today": [(1, DAY - 7 * D, SS.IN_PROGRESS), (2, DAY, SS.SCHEDULED)],
    "full": [(1, DAY - D, SS.SCHEDULED), (2, DAY + 6 * D, SS.SCHEDULED)],
    "missed": [(1, DAY - 30 * D, SS.SCHEDULED), (2, DAY - 2 * D, SS.SCHEDULED)],
    "draft": [(1, DAY - D, SS.SCHEDULED)],
    "cancelled": [(1, DAY - D, SS.SCHEDULED), (2, DAY + 6 * D, SS.CANCELLED)],
    "future": [(1, DAY + 7 * D, SS.SCHEDULED)],
}
STARTED_AT, ENDED_AT = time(16, 5), time(17, 25)


def _session_name(cohort: str, number: int) -> str:
    return f"{cohort}#{number}"


def _school(org_id: UUID, ids: dict[str, UUID], tag: str) -> list[m.Entity]:
    """The entities of one organisation's school, with the given ids (same on every backend)."""
    org = m.Organisation(id=org_id, name=f"Lifecycle {tag}")
    campus = m.Campus(
        id=ids["campus"], organisation_id=org_id, name="Werribee", timezone="Australia/Melbourne"
    )
    program = m.Program(id=ids["program"], organisation_id=org_id, name="Scratch")
    family = m.Family(
        id=ids["family"],
        organisation_id=org_id,
        family_name="Lee",
        primary_contact_name="Jo Lee",
        primary_contact_email=f"jo-{tag}@family.example",
    )
    entities: list[m.Entity] = [org, campus, program, family]
    entities += [
        m.Student(
            id=ids[name],
            organisation_id=org_id,
            family_id=family.id,
            first_name=name.title(),
            last_name="Lee",
            date_of_birth=date(2017, 1, 1),
        )
        for name in STUDENTS
    ]
    for name, (status, start, end, capacity, members) in COHORTS.items():
        holders = sum(1 for _, s, _ in members if s in (S.PENDING_PAYMENT, S.ENROLLED, S.ACTIVE))
        entities.append(
            m.Cohort(
                id=ids[name],
                organisation_id=org_id,
                program_id=program.id,
                campus_id=campus.id,
                name=name,
                start_date=start,
                end_date=end,
                max_capacity=capacity,
                current_enrolments=holders,
                status=status,
            )
        )
        entities += [
            m.Enrolment(
                id=ids[f"{name}/{student}"],
                organisation_id=org_id,
                student_id=ids[student],
                cohort_id=ids[name],
                status=enrolment_status,
                start_date=own_start,
                enrolment_date=NOW - 60 * D,
            )
            for student, enrolment_status, own_start in members
        ]
        entities += [
            m.Session(
                id=ids[_session_name(name, number)],
                organisation_id=org_id,
                cohort_id=ids[name],
                session_number=number,
                scheduled_date=on,
                scheduled_start_time=time(16, 0),
                scheduled_end_time=time(17, 30),
                status=session_status,
                actual_start_time=(
                    STARTED_AT if session_status in (SS.IN_PROGRESS, SS.COMPLETED) else None
                ),
                actual_end_time=ENDED_AT if session_status is SS.COMPLETED else None,
                cancellation_reason="Heatwave" if session_status is SS.CANCELLED else None,
            )
            for number, on, session_status in SESSIONS.get(name, [])
        ]
    return entities


_REPOSITORY = {
    m.Organisation: "organisations",
    m.Campus: "campuses",
    m.Program: "programs",
    m.Family: "families",
    m.Student: "students",
    m.Cohort: "cohorts",
    m.Enrolment: "enrolments",
    m.Session: "sessions",
}


class School:
    """The same two-organisation school, buildable on any backend."""

    def __init__(self) -> None:
        self.org_id, self.other_org_id = uuid4(), uuid4()
        names = ["campus", "program", "family", *STUDENTS, *COHORTS]
        names += [f"{c}/{s}" for c, spec in COHORTS.items() for s, _, _ in spec[4]]
        names += [_session_name(c, n) for c, sessions in SESSIONS.items() for n, _, _ in sessions]
        self.ids = {name: uuid4() for name in names}
        self.other_ids = {name: uuid4() for name in names}

    def build(self, make_uow: UnitOfWorkFactory) -> None:
        for org_id, ids, tag in (
            (self.org_id, self.ids, f"{self.org_id.hex[:8]}-a"),
            (self.other_org_id, self.other_ids, f"{self.org_id.hex[:8]}-b"),
        ):
            with make_uow(org_id) as uow:
                for entity in _school(org_id, ids, tag):
                    getattr(uow, _REPOSITORY[type(entity)]).add(entity)
                uow.commit()

    def snapshot(self, make_uow: UnitOfWorkFactory, *, other: bool = False) -> dict[str, Any]:
        """Everything the nightly may change, by name (ids are the same on every backend)."""
        org_id, ids = (self.other_org_id, self.other_ids) if other else (self.org_id, self.ids)
        names = {v: k for k, v in ids.items()}
        found: dict[str, Any] = {}
        with make_uow(org_id) as uow:
            for name in COHORTS:
                cohort = uow.cohorts.get(ids[name])
                found[name] = (
                    cohort.status,
                    cohort.attention,
                    cohort.current_enrolments,
                    cohort.version,
                    _audit(uow, cohort.id),
                )
                for e in uow.enrolments.list_for_cohort(cohort.id):
                    found[names[e.id]] = (
                        e.status,
                        e.start_date,
                        e.end_date,
                        e.version,
                        _audit(uow, e.id),
                    )
                for s in uow.sessions.list_for_cohort(cohort.id):
                    found[names[s.id]] = (
                        s.status,
                        s.actual_start_time,
                        s.actual_end_time,
                        s.version,
                        _audit(uow, s.id),
                    )
        return found


def _audit(uow: UnitOfWork, entity_id: UUID) -> list[tuple[Any, ...]]:
    # Entries of one run share their time: in the order of the steps (begin/start first).
    order = [
        "cohort.begin",
        "enrolment.start",
        "enrolment.complete",
        "cohort.complete",
        "session.complete",
    ]
    entries = sorted(uow.audit.list_for_entity(entity_id), key=lambda a: order.index(a.action))
    return [
        (a.action, a.actor_staff_id, a.entity_type, a.summary, a.changes, a.occurred_at)
        for a in entries
    ]


def _without_versions(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Versions go up by one per transaction in memory and by one per statement on SQL (a
    cohort begun and completed in one run is two versions on); the rest must be equal."""
    return {name: (*row[:3], row[4]) for name, row in snapshot.items()}


def _service(make_uow: UnitOfWorkFactory, batch_size: int) -> LifecycleService:
    return LifecycleService(make_uow, FixedClock(NOW), EventBus(), batch_size=batch_size)


def _run(make_uow: UnitOfWorkFactory, school: School, batch_size: int = 2) -> NightlyReport:
    return _service(make_uow, batch_size).run_nightly(school.org_id, DAY, NOW)


@pytest.fixture
def memory() -> UnitOfWorkFactory:
    return MemoryStore().unit_of_work


BACKENDS = ["sqlite_database", "postgres_database"]


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest) -> Database:
    found: Database = request.getfixturevalue(request.param)
    return found


def test_sql_gives_what_memory_gives(database: Database, memory: UnitOfWorkFactory) -> None:
    school = School()
    school.build(memory)
    school.build(database.unit_of_work)
    assert school.snapshot(database.unit_of_work) == school.snapshot(memory)

    expected = _run(memory, school)
    report = _run(database.unit_of_work, school)

    assert report == expected
    on_sql, in_memory = school.snapshot(database.unit_of_work), school.snapshot(memory)
    assert _without_versions(on_sql) == _without_versions(in_memory)
    for name, row in on_sql.items():  # every change moved the version on, on both
        assert (row[3] > 1) == (in_memory[name][3] > 1) == bool(row[4]), name


def test_what_the_nightly_changes_on_sql(database: Database) -> None:
    school = School()
    school.build(database.unit_of_work)
    before = school.snapshot(database.unit_of_work)

    report = _run(database.unit_of_work, school, batch_size=3)

    after = school.snapshot(database.unit_of_work)
    assert (report.cohorts_begun, report.enrolments_started) == (4, 3)
    assert (report.enrolments_completed, report.cohorts_completed) == (3, 2)
    assert report.sessions_completed == 6
    assert report.batches == 3  # nine cohorts, three a transaction
    # started with the cohort: active, dated, versioned and audited without an actor
    status, start, end, version, audit = after["starting/ann"]
    assert (status, start, end, version) == (S.ACTIVE, DAY, None, 2)
    assert audit == [
        (
            "enrolment.start",
            None,
            "Enrolment",
            "Nightly 2026-02-02: started with its cohort",
            {"status": ["enrolled", "active"], "start_date": "2026-02-02"},
            NOW,
        )
    ]
    # the rulebook does not start pending payment, enquiries or trials; a late joiner waits
    for name in ("starting/bob", "starting/cat", "starting/eve", "starting/dan"):
        assert after[name] == before[name], name
    # completed the day after the cohort's end, seats released, cohort completed
    assert after["ending/ann"][:3] == (S.COMPLETED, DAY - 28 * D, DAY - D)
    assert after["ending/ann"][4][0][4] == {
        "status": ["active", "completed"],
        "end_date": (DAY - D).isoformat(),
    }
    assert after["ending"][:3] == (C.COMPLETED, None, 0)
    assert after["ends_today"] == before["ends_today"]
    assert after["ends_today/ann"] == before["ends_today/ann"]
    # an empty cohort is flagged, not cancelled; a full one begins too
    assert after["empty"][:3] == (C.IN_PROGRESS, "started with no enrolments", 0)
    assert after["empty"][4][0][4] == {
        "status": ["open", "in_progress"],
        "attention": "started with no enrolments",
    }
    assert after["full"][:3] == (C.IN_PROGRESS, None, 1)
    assert after["full/cat"][:2] == (S.ACTIVE, DAY - D)
    # a missed cohort catches up in one run
    assert after["missed"][:3] == (C.COMPLETED, None, 0)
    assert after["missed/bob"][:3] == (S.COMPLETED, DAY - 30 * D, DAY - 2 * D)
    # draft, cancelled and future cohorts are left alone
    for name in ("draft", "cancelled", "cancelled/dan", "future", "future/eve"):
        assert after[name] == before[name], name


def test_sessions_complete_the_day_after_their_date_on_sql(database: Database) -> None:
    school = School()
    school.build(database.unit_of_work)
    before = school.snapshot(database.unit_of_work)

    report = _run(database.unit_of_work, school, batch_size=3)

    after = school.snapshot(database.unit_of_work)
    assert report.sessions_completed == 6
    completed = ["ending#3", "ends_today#1", "full#1", "missed#1", "missed#2", "cancelled#1"]
    for name in completed:
        status, _, _, version, audit = after[name]
        source = before[name][0]
        assert (status, version) == (SS.COMPLETED, 2), name
        assert audit == [
            (
                "session.complete",
                None,
                "Session",
                "Nightly 2026-02-02: the session's date is over",
                {"status": [source.value, "completed"]},
                NOW,
            )
        ], name
    # actual times stay as recorded: the one in progress keeps its start and gets no end
    assert after["ends_today#1"][:3] == (SS.COMPLETED, STARTED_AT, None)
    assert after["ending#3"][:3] == (SS.COMPLETED, None, None)
    # today's sessions, later ones, cancelled and already completed ones, and a draft's
    # sessions are untouched
    untouched = [name for name in after if "#" in name and name not in completed]
    assert sorted(untouched) == sorted(
        [
            "starting#1",
            "starting#2",
            "ending#1",
            "ending#2",
            "ends_today#2",
            "full#2",
            "draft#1",
            "cancelled#2",
            "future#1",
        ]
    )
    for name in untouched:
        assert after[name] == before[name], name
    assert after["ending#1"][0] is SS.CANCELLED
    assert after["ending#2"][:3] == (SS.COMPLETED, STARTED_AT, ENDED_AT)


def test_a_second_run_for_the_day_changes_nothing(database: Database) -> None:
    school = School()
    school.build(database.unit_of_work)
    _run(database.unit_of_work, school)
    once = school.snapshot(database.unit_of_work)

    again = _run(database.unit_of_work, school, batch_size=500)

    assert again.changes == 0
    assert again.batches == 1
    assert school.snapshot(database.unit_of_work) == once


def test_another_organisation_is_untouched(database: Database) -> None:
    school = School()
    school.build(database.unit_of_work)
    before = school.snapshot(database.unit_of_work, other=True)

    _run(database.unit_of_work, school)

    assert school.snapshot(database.unit_of_work, other=True) == before
    assert before["starting/ann"][0] is S.ENROLLED


def test_pending_payment_is_not_started(database: Database) -> None:
    school = School()
    school.build(database.unit_of_work)

    _run(database.unit_of_work, school)

    status, start, _, version, audit = school.snapshot(database.unit_of_work)["starting/bob"]
    assert (status, start, version, audit) == (S.PENDING_PAYMENT, None, 1, [])


def test_batches_of_any_size_give_the_same_school(database: Database) -> None:
    results = []
    for size in (1, 4, 100):
        school = School()
        school.build(database.unit_of_work)
        report = _run(database.unit_of_work, school, batch_size=size)
        snapshot = school.snapshot(database.unit_of_work)
        counts = attrs.evolve(report, organisation_id=school.org_id.__class__(int=0), batches=0)
        results.append((counts, {name: row[:3] for name, row in snapshot.items()}))
    assert results[0] == results[1] == results[2]
