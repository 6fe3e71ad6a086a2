"""The demo school: realistic, complete, built by staff through the use cases, reproducible."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from rocket_adapters.memory import MemoryStore
from rocket_core import model as m
from rocket_core.enrolment_machine import SEAT_HOLDING_STATES
from rocket_core.errors import Conflict
from rocket_entrypoints.cli.app import app
from rocket_entrypoints.demo import (
    build_demo_school,
    demo_organisation_id,
    demo_school_loaded,
    summarise,
)
from rocket_entrypoints.demo import school as demo_school_module

TODAY = date(2026, 11, 25)
MELBOURNE = ZoneInfo("Australia/Melbourne")


@pytest.fixture(scope="module")
def school() -> tuple[MemoryStore, m.Organisation]:
    store = MemoryStore()
    built = build_demo_school(store.unit_of_work, seed=1, today=TODAY)
    with store.unit_of_work(built.organisation_id) as uow:
        return store, uow.organisations.current()


def rows(store: MemoryStore, cls: type) -> list:
    return list(store.tables[cls].values())


def audit_of(store: MemoryStore) -> dict:
    """entity id -> its audit entries, oldest first."""
    entries: dict = {}
    for entry in sorted(rows(store, m.AuditEntry), key=lambda e: e.occurred_at):
        entries.setdefault(entry.entity_id, []).append(entry)
    return entries


def test_it_has_the_size_the_issue_asks_for(school):
    store, org = school
    assert org.name == "Rocket Academy"
    assert len(rows(store, m.Campus)) == 2
    assert len(rows(store, m.Staff)) == 12
    assert len(rows(store, m.Program)) == 4
    assert len(rows(store, m.Cohort)) == 8
    assert len(rows(store, m.Family)) == 40
    assert 55 <= len(rows(store, m.Student)) <= 65
    assert len(rows(store, m.Enrolment)) >= len(rows(store, m.Student))
    assert all(rows(store, cls) for cls in (m.Session, m.Attendance, m.MakeupToken))
    assert all(c.closure_dates for c in rows(store, m.Campus))


def test_every_enrolment_status_appears(school):
    store, _ = school
    statuses = Counter(e.status for e in rows(store, m.Enrolment))
    assert set(statuses) == set(m.EnrolmentStatus)


def test_seats_match_a_recount_and_never_exceed_capacity(school):
    store, _ = school
    enrolments = rows(store, m.Enrolment)
    for cohort in rows(store, m.Cohort):
        holders = [
            e for e in enrolments if e.cohort_id == cohort.id and e.status in SEAT_HOLDING_STATES
        ]
        assert cohort.current_enrolments == len(holders), cohort.name
        assert cohort.current_enrolments <= cohort.max_capacity
        if cohort.status is m.CohortStatus.FULL:
            assert cohort.seats_free == 0


def test_a_full_cohort_has_a_waitlist_in_arrival_order(school):
    store, org = school
    full = [c for c in rows(store, m.Cohort) if c.status is m.CohortStatus.FULL]
    assert full
    with store.unit_of_work(org.id) as uow:
        waiting = uow.enrolments.waitlist(full[0].id)
    assert [e.waitlist_position for e in waiting] == list(range(1, len(waiting) + 1))
    assert len(waiting) >= 2
    assert [e.enrolment_date for e in waiting] == sorted(e.enrolment_date for e in waiting)


def test_the_first_waitlist_offer_lapsed_and_the_next_was_paid(school):
    store, _ = school
    full = next(c for c in rows(store, m.Cohort) if c.status is m.CohortStatus.FULL)
    mine = [e for e in rows(store, m.Enrolment) if e.cohort_id == full.id]
    lapsed = [e for e in mine if e.withdrawal_reason == "waitlist offer lapsed"]
    assert len(lapsed) == 1
    assert lapsed[0].status is m.EnrolmentStatus.DROPPED
    audit = audit_of(store)
    offered = sorted(
        (e for e in mine if "enrolment.offer_seat" in {a.action for a in audit[e.id]}),
        key=lambda e: e.enrolment_date,
    )
    assert [e.status for e in offered] == [m.EnrolmentStatus.DROPPED, m.EnrolmentStatus.ENROLLED]
    assert offered[0] is lapsed[0]
    # the nightly job lapsed it and offered the seat on: no staff member acted
    nightly = [a for a in audit[offered[1].id] if a.action == "enrolment.offer_seat"]
    assert [a.actor_staff_id for a in nightly] == [None]
    entries = audit[lapsed[0].id]
    assert [e.actor_staff_id for e in entries if e.action == "enrolment.offer_lapsed"] == [None]


def test_cohort_phases_follow_the_calendar(school):
    store, _ = school
    for cohort in rows(store, m.Cohort):
        if cohort.end_date < TODAY:
            assert cohort.status is m.CohortStatus.COMPLETED
        elif cohort.start_date <= TODAY:
            assert cohort.status is m.CohortStatus.IN_PROGRESS
        else:
            assert cohort.status in (m.CohortStatus.OPEN, m.CohortStatus.FULL)


def test_sessions_skip_closure_dates_and_only_held_sessions_have_marks(school):
    store, _ = school
    campuses = {c.id: c for c in rows(store, m.Campus)}
    cohorts = {c.id: c for c in rows(store, m.Cohort)}
    sessions = {s.id: s for s in rows(store, m.Session)}
    for session in sessions.values():
        cohort = cohorts[session.cohort_id]
        assert not campuses[cohort.campus_id].is_closed_on(session.scheduled_date)
        assert cohort.start_date <= session.scheduled_date <= cohort.end_date
    assert [s.cancellation_reason for s in sessions.values() if s.is_cancelled] == [
        "Instructor unwell"
    ]
    for mark in rows(store, m.Attendance):
        session = sessions[mark.session_id]
        assert not session.is_cancelled
        assert session.scheduled_date < TODAY


def test_marks_were_given_by_the_lead_within_the_edit_window(school):
    store, _ = school
    sessions = {s.id: s for s in rows(store, m.Session)}
    staff = {s.id: s for s in rows(store, m.Staff)}
    for mark in rows(store, m.Attendance):
        session = sessions[mark.session_id]
        ends = session.ends_at("Australia/Melbourne")
        assert mark.recorded_at <= ends + timedelta(hours=24)
        who = staff[mark.recorded_by_staff_id].role
        if mark.status is m.AttendanceStatus.MAKEUP:
            assert who is m.StaffRole.CAMPUS_MANAGER
        else:
            assert mark.recorded_by_staff_id == session.lead_instructor_id
            assert who is m.StaffRole.LEAD_INSTRUCTOR


def test_excused_absences_gave_makeup_tokens(school):
    store, _ = school
    excused = [a for a in rows(store, m.Attendance) if a.status is m.AttendanceStatus.EXCUSED]
    announced = [a for a in excused if a.notes and "told us the day before" in a.notes]
    assert len(announced) == 1
    tokens = rows(store, m.MakeupToken)
    for mark in excused:
        assert any(
            t.source_session_id == mark.session_id and t.student_id == mark.student_id
            for t in tokens
        )
    # the term-old tokens of the past term have expired by now (90 days)
    assert any(t.status is m.MakeupTokenStatus.EXPIRED for t in tokens)


def test_makeup_and_transfer_are_consistent(school):
    store, _ = school
    enrolments = {e.id: e for e in rows(store, m.Enrolment)}
    transferred = [e for e in enrolments.values() if e.status is m.EnrolmentStatus.TRANSFERRED]
    assert len(transferred) == 1
    target = enrolments[transferred[0].transferred_to_id]
    assert target.student_id == transferred[0].student_id
    assert target.cohort_id != transferred[0].cohort_id
    assert target.status is m.EnrolmentStatus.ACTIVE
    makeups = [a for a in rows(store, m.Attendance) if a.status is m.AttendanceStatus.MAKEUP]
    assert len(makeups) == 1
    redeemed = [t for t in rows(store, m.MakeupToken) if t.status is m.MakeupTokenStatus.REDEEMED]
    assert [t.redeemed_session_id for t in redeemed] == [makeups[0].session_id]
    for mark in makeups:
        session = store.tables[m.Session][mark.session_id]
        assert session.cohort_id != enrolments[mark.enrolment_id].cohort_id


def test_everything_was_done_by_staff_through_the_use_cases(school):
    store, org = school
    audit = audit_of(store)
    staff = {s.id: s for s in rows(store, m.Staff)}
    admin = next(s for s in staff.values() if s.role is m.StaffRole.SUPER_ADMIN)

    def first_actor(entity: m.Entity) -> m.StaffRole | None:
        entry = audit[entity.id][0]
        return None if entry.actor_staff_id is None else staff[entry.actor_staff_id].role

    # the organisation and its first super admin are the only rows written directly
    assert admin.id not in audit
    assert [e.action for e in audit[org.id]] == ["organisation.update"]
    role = m.StaffRole
    expected = {
        m.Campus: {role.SUPER_ADMIN},
        m.Staff: {role.SUPER_ADMIN},
        m.Program: {role.SUPER_ADMIN},
        m.Cohort: {role.CAMPUS_MANAGER},
        m.Family: {role.FRONT_DESK},
        m.Student: {role.FRONT_DESK},
        m.Enrolment: {role.FRONT_DESK, role.SUPER_ADMIN},  # the transfer creates one
        m.Attendance: {role.LEAD_INSTRUCTOR, role.CAMPUS_MANAGER},  # makeup visit booked
    }
    for cls, roles in expected.items():
        for entity in rows(store, cls):
            if entity is admin:
                continue
            assert entity.id in audit, (cls.__name__, entity.id)
            assert first_actor(entity) in roles, cls.__name__
    nightly = Counter(e.action for e in rows(store, m.AuditEntry) if e.actor_staff_id is None)
    for action in ("cohort.begin", "enrolment.start", "enrolment.complete", "cohort.complete"):
        assert nightly[action] > 0, action


def fingerprint(store: MemoryStore) -> list:
    """What a school holds, without the ids (the domain picks them at random)."""
    students = {s.id: (s.first_name, s.last_name, s.date_of_birth) for s in rows(store, m.Student)}
    cohorts = {c.id: c.name for c in rows(store, m.Cohort)}
    sessions = {s.id: (cohorts[s.cohort_id], s.session_number) for s in rows(store, m.Session)}
    return sorted(
        [
            *(
                (
                    "enrolment",
                    students[e.student_id],
                    cohorts[e.cohort_id],
                    e.status.value,
                    e.enrolment_date,
                    e.start_date,
                    e.end_date,
                    e.waitlist_position,
                )
                for e in rows(store, m.Enrolment)
            ),
            *(
                ("mark", students[a.student_id], sessions[a.session_id], a.status.value)
                for a in rows(store, m.Attendance)
            ),
            *(("family", f.primary_contact_email, f.created_at) for f in rows(store, m.Family)),
        ],
        key=repr,
    )


def test_the_same_seed_and_day_build_the_same_school():
    first, second = MemoryStore(), MemoryStore()
    a = build_demo_school(first.unit_of_work, seed=7, today=TODAY)
    b = build_demo_school(second.unit_of_work, seed=7, today=TODAY)
    assert a.organisation_id == b.organisation_id
    assert fingerprint(first) == fingerprint(second)
    other = MemoryStore()
    c = build_demo_school(other.unit_of_work, seed=8, today=TODAY)
    assert c.organisation_id != a.organisation_id
    assert fingerprint(other) != fingerprint(first)


@pytest.mark.parametrize("today", [date(2026, 11, 23), date(2027, 1, 3), date(2028, 2, 29)])
def test_any_day_gives_a_complete_school(today):
    store = MemoryStore()
    built = build_demo_school(store.unit_of_work, seed=3, today=today)
    summary = summarise(store.unit_of_work, built.organisation_id)
    assert all(summary.enrolments_by_status.values()), summary.enrolments_by_status
    assert max(c.waitlisted for c in summary.cohorts) >= 2
    assert summary.counts["cancelled sessions"] == 1
    assert summary.counts["makeup tokens redeemed"] == 1


def test_the_memory_build_is_fast():
    started = time.perf_counter()
    build_demo_school(MemoryStore().unit_of_work, seed=4, today=TODAY)
    assert time.perf_counter() - started < 5


def test_today_defaults_to_today_in_melbourne():
    before = datetime.now(MELBOURNE).date()
    built = build_demo_school(MemoryStore().unit_of_work, seed=9)
    assert built.today in {before, datetime.now(MELBOURNE).date()}


def test_the_organisation_id_depends_on_the_seed_alone():
    store = MemoryStore()
    assert not demo_school_loaded(store.unit_of_work, 5)
    built = build_demo_school(store.unit_of_work, seed=5, today=TODAY)
    assert built.organisation_id == demo_organisation_id(5)
    assert demo_organisation_id(5) != demo_organisation_id(6)
    assert demo_school_loaded(store.unit_of_work, 5)
    assert not demo_school_loaded(store.unit_of_work, 6)


def test_a_second_demo_school_is_refused_whole_because_staff_logins_are_unique():
    store = MemoryStore()
    build_demo_school(store.unit_of_work, seed=1, today=TODAY)
    before = {cls: store.count(cls) for cls in (m.Organisation, m.Staff, m.AuditEntry)}
    with pytest.raises(Conflict, match="e-mail"):
        build_demo_school(store.unit_of_work, seed=2, today=TODAY)
    assert {cls: store.count(cls) for cls in before} == before


def test_an_interrupted_build_is_not_taken_for_a_loaded_school(monkeypatch):
    store = MemoryStore()

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(demo_school_module, "plan_journeys", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_demo_school(store.unit_of_work, seed=1, today=TODAY)
    assert store.count(m.Organisation) == 1
    assert not demo_school_loaded(store.unit_of_work, 1)
    monkeypatch.undo()
    with pytest.raises(Conflict):  # the half-built school is in the way
        build_demo_school(store.unit_of_work, seed=1, today=TODAY)


def test_summary_reads_back_what_was_stored(school):
    store, org = school
    summary = summarise(store.unit_of_work, org.id)
    assert summary.organisation == "Rocket Academy"
    assert summary.counts["students"] == len(rows(store, m.Student))
    assert summary.counts["attendance marks"] == len(rows(store, m.Attendance))
    assert summary.counts["makeup tokens"] == len(rows(store, m.MakeupToken))
    assert sum(summary.enrolments_by_status.values()) == len(rows(store, m.Enrolment))
    assert sum(c.seats_held for c in summary.cohorts) == sum(
        c.current_enrolments for c in rows(store, m.Cohort)
    )


def test_rocket_demo_prints_the_summary():
    result = CliRunner().invoke(app, ["demo", "--memory", "--seed", "3", "--today", "2026-11-25"])
    assert result.exit_code == 0, result.output
    assert "Enrolments by status" in result.output
    for status in m.EnrolmentStatus:
        assert status.value in result.output
    assert "Seats per cohort" in result.output


@pytest.mark.parametrize("args", [["--today", "2026-13-01"], ["--seed", "-1"], ["--bogus"]])
def test_rocket_demo_refuses_bad_arguments_without_a_traceback(args):
    result = CliRunner().invoke(app, ["demo", *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
