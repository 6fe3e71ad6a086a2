"""The demo school: realistic, complete, consistent with the domain's rules, reproducible."""

from __future__ import annotations

from collections import Counter
from datetime import date

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

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def school() -> tuple[MemoryStore, m.Organisation]:
    store = MemoryStore()
    built = build_demo_school(store.unit_of_work, seed=1, today=TODAY)
    with store.unit_of_work(built.organisation_id) as uow:
        return store, uow.organisations.current()


def rows(store: MemoryStore, cls: type) -> list:
    return list(store.tables[cls].values())


def test_it_has_the_size_the_issue_asks_for(school):
    store, _ = school
    assert len(rows(store, m.Campus)) == 2
    assert len(rows(store, m.Program)) == 4
    assert len(rows(store, m.Cohort)) == 8
    assert len(rows(store, m.Family)) == 40
    assert 55 <= len(rows(store, m.Student)) <= 65
    assert all(rows(store, cls) for cls in (m.Session, m.Attendance, m.SkillProgress))


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
    assert any(s.is_cancelled for s in sessions.values())
    for mark in rows(store, m.Attendance):
        session = sessions[mark.session_id]
        assert session.status is m.SessionStatus.COMPLETED
        assert session.scheduled_date < TODAY


def test_makeup_and_transfer_are_consistent(school):
    store, _ = school
    enrolments = {e.id: e for e in rows(store, m.Enrolment)}
    transferred = [e for e in enrolments.values() if e.status is m.EnrolmentStatus.TRANSFERRED]
    assert len(transferred) == 1
    target = enrolments[transferred[0].transferred_to_id]
    assert target.student_id == transferred[0].student_id
    assert target.cohort_id != transferred[0].cohort_id
    makeups = [a for a in rows(store, m.Attendance) if a.status is m.AttendanceStatus.MAKEUP]
    assert makeups
    for mark in makeups:
        session = store.tables[m.Session][mark.session_id]
        assert session.cohort_id != enrolments[mark.enrolment_id].cohort_id


def test_skill_history_ends_at_the_current_status(school):
    store, _ = school
    for progress in rows(store, m.SkillProgress):
        assert progress.history
        assert progress.history[-1].to_status is progress.status
        for before, after in zip(progress.history, progress.history[1:], strict=False):
            assert before.to_status is after.from_status


def test_the_same_seed_builds_the_same_school():
    first, second = MemoryStore(), MemoryStore()
    a = build_demo_school(first.unit_of_work, seed=7, today=TODAY)
    b = build_demo_school(second.unit_of_work, seed=7, today=TODAY)
    assert a.organisation_id == b.organisation_id
    assert set(first.tables[m.Enrolment]) == set(second.tables[m.Enrolment])
    other = MemoryStore()
    c = build_demo_school(other.unit_of_work, seed=8, today=TODAY)
    assert c.organisation_id != a.organisation_id


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
    before = {cls: store.count(cls) for cls in (m.Organisation, m.Family, m.Enrolment)}
    with pytest.raises(Conflict, match="e-mail"):
        build_demo_school(store.unit_of_work, seed=2, today=TODAY)
    assert {cls: store.count(cls) for cls in before} == before


def test_summary_reads_back_what_was_stored(school):
    store, org = school
    summary = summarise(store.unit_of_work, org.id)
    assert summary.counts["students"] == len(rows(store, m.Student))
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
