"""The nightly lifecycle on the memory adapter: cohorts and enrolments follow the calendar.

The world's cohort runs Monday 2 February to Monday 23 February 2026 (capacity 3, open), with
four weekly sessions on the Mondays 2, 9, 16 and 23 February.
The nightly job is a system job: it takes no Actor, so there is no permission to test; its
audit entries have no actor.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import attrs
import pytest
from tests.unit.services.conftest import MELBOURNE, World

from rocket_core import model as m
from rocket_core.enrolment_machine import EnrolmentStatus as S
from rocket_core.enrolment_machine import Trigger, source_states
from rocket_core.errors import Conflict, InvalidTransition, NotFound, ValidationError
from rocket_core.model import CohortStatus as C
from rocket_core.model import SessionStatus as SS
from rocket_core.ports import LifecycleRepository, UnitOfWork
from rocket_core.services.lifecycle import LifecycleService, NightlyReport

START = date(2026, 2, 2)
END = date(2026, 2, 23)
D = timedelta(days=1)


def at(day: date) -> datetime:
    """Just after midnight in Melbourne on ``day``."""
    return datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC) - timedelta(hours=11)


def service(world: World, **options: Any) -> LifecycleService:
    return LifecycleService(world.make_uow, world.clock, world.bus, **options)


def run(world: World, day: date, **options: Any) -> NightlyReport:
    return service(world, **options).run_nightly(world.org_id, day, at(day))


def enrol(
    world: World,
    student: m.Student,
    status: S = S.ENROLLED,
    cohort: m.Cohort | None = None,
    **fields: Any,
) -> m.Enrolment:
    """Arrange an enrolment (and its seat) directly."""
    cohort_id = (cohort or world.cohort).id
    enrolment = m.Enrolment(
        organisation_id=world.org_id,
        student_id=student.id,
        cohort_id=cohort_id,
        status=status,
        **fields,
    )
    with world.uow() as uow:
        uow.enrolments.add(enrolment)
        if enrolment.holds_seat:
            uow.cohorts.get(cohort_id).take_seat()
        uow.commit()
    return enrolment


def cohort(world: World, name: str, start: date, end: date, **fields: Any) -> m.Cohort:
    made = m.Cohort(
        organisation_id=world.org_id,
        program_id=world.program.id,
        campus_id=world.campus.id,
        name=name,
        start_date=start,
        end_date=end,
        max_capacity=fields.pop("max_capacity", 5),
        status=fields.pop("status", C.OPEN),
        **fields,
    )
    world.add(made)
    return made


def load(world: World, entity: Any) -> Any:
    with world.uow() as uow:
        if isinstance(entity, m.Session):
            return uow.sessions.get(entity.id)
        repository = uow.cohorts if isinstance(entity, m.Cohort) else uow.enrolments
        return repository.get(entity.id)


def audit(world: World, entity: m.Entity) -> list[m.AuditEntry]:
    with world.uow() as uow:
        return uow.audit.list_for_entity(entity.id)


def audit_count(world: World) -> int:
    return world.store.count(m.AuditEntry)


def counts(report: NightlyReport) -> tuple[int, int, int, int, int]:
    return (
        report.cohorts_begun,
        report.enrolments_started,
        report.enrolments_completed,
        report.cohorts_completed,
        report.sessions_completed,
    )


# -- the calendar --------------------------------------------------------------------------


def test_before_the_start_date_nothing_moves(world: World) -> None:
    child = enrol(world, world.child)

    report = run(world, START - D)

    assert report.changes == 0
    assert report.batches == 1
    assert load(world, world.cohort).status is C.OPEN
    assert load(world, child).status is S.ENROLLED
    assert audit_count(world) == 0


def test_on_the_start_date_the_cohort_begins_and_enrolled_students_start(world: World) -> None:
    child = enrol(world, world.child)
    version = load(world, world.cohort).version

    report = run(world, START)

    assert counts(report) == (1, 1, 0, 0, 0)  # today's session is not over yet
    assert (report.organisation_id, report.day) == (world.org_id, START)
    cohort_now = load(world, world.cohort)
    assert (cohort_now.status, cohort_now.attention) == (C.IN_PROGRESS, None)
    assert cohort_now.version == version + 1
    started = load(world, child)
    assert (started.status, started.start_date, started.end_date) == (S.ACTIVE, START, None)
    assert started.version == 2
    [entry] = audit(world, child)
    assert (entry.action, entry.actor_staff_id, entry.entity_type) == (
        "enrolment.start",
        None,
        "Enrolment",
    )
    assert entry.changes == {"status": ["enrolled", "active"], "start_date": "2026-02-02"}
    assert entry.summary == "Nightly 2026-02-02: started with its cohort"
    assert entry.occurred_at == at(START)
    [begun] = audit(world, world.cohort)
    assert begun.action == "cohort.begin"
    assert begun.changes == {"status": ["open", "in_progress"], "attention": None}


@pytest.mark.parametrize("status", list(S))
def test_only_the_rulebook_s_sources_of_start_are_started(world: World, status: S) -> None:
    fields: dict[str, Any] = {}
    if status is S.DROPPED:
        fields = {"withdrawal_date": START - D, "withdrawal_reason": "moved away"}
    enrolment = enrol(world, world.child, status, **fields)

    report = run(world, START)

    expected = S.ACTIVE if status in source_states(Trigger.START) else status
    assert load(world, enrolment).status is expected
    assert report.enrolments_started == (status in source_states(Trigger.START))


def test_pending_payment_is_not_started(world: World) -> None:
    paying = enrol(world, world.sibling, S.PENDING_PAYMENT)

    run(world, START)

    assert (load(world, paying).status, load(world, paying).version) == (S.PENDING_PAYMENT, 1)
    assert audit(world, paying) == []


def test_a_late_joiner_waits_for_their_own_start_date(world: World) -> None:
    late = enrol(world, world.child, start_date=START + 7 * D)

    first = run(world, START)
    assert first.enrolments_started == 0
    assert load(world, late).status is S.ENROLLED

    second = run(world, START + 7 * D)
    assert second.enrolments_started == 1
    assert (load(world, late).status, load(world, late).start_date) == (S.ACTIVE, START + 7 * D)


def test_a_cohort_with_no_enrolments_is_flagged_not_cancelled(world: World) -> None:
    enrol(world, world.child, S.ENQUIRY)  # an enquiry holds no seat

    report = run(world, START)

    assert report.cohorts_begun == 1
    flagged = load(world, world.cohort)
    assert (flagged.status, flagged.attention) == (C.IN_PROGRESS, "started with no enrolments")
    assert audit(world, world.cohort)[0].changes == {
        "status": ["open", "in_progress"],
        "attention": "started with no enrolments",
    }


def test_a_full_cohort_begins_too(world: World) -> None:
    for student in (world.child, world.sibling, world.other_child):
        enrol(world, student)
    assert load(world, world.cohort).status is C.FULL

    report = run(world, START)

    assert counts(report) == (1, 3, 0, 0, 0)
    assert load(world, world.cohort).status is C.IN_PROGRESS
    assert audit(world, world.cohort)[0].changes["status"] == ["full", "in_progress"]


def test_enrolments_and_the_cohort_complete_the_day_after_the_end_date(world: World) -> None:
    child = enrol(world, world.child)
    sibling = enrol(world, world.sibling)
    run(world, START)

    on_the_end_date = run(world, END)
    assert counts(on_the_end_date) == (0, 0, 0, 0, 3)  # the sessions of 2, 9 and 16 February
    assert load(world, world.cohort).status is C.IN_PROGRESS
    assert load(world, world.sessions[-1]).status is SS.SCHEDULED

    report = run(world, END + D)

    assert counts(report) == (0, 0, 2, 1, 1)  # and the end date's own session
    for enrolment in (child, sibling):
        done = load(world, enrolment)
        assert (done.status, done.start_date, done.end_date) == (S.COMPLETED, START, END)
        assert audit(world, enrolment)[-1].changes == {
            "status": ["active", "completed"],
            "end_date": "2026-02-23",
        }
    finished = load(world, world.cohort)
    assert (finished.status, finished.current_enrolments) == (C.COMPLETED, 0)
    assert [a.action for a in audit(world, world.cohort)] == ["cohort.begin", "cohort.complete"]


def test_a_missed_run_catches_up(world: World) -> None:
    child = enrol(world, world.child)

    report = run(world, END + 7 * D)

    assert counts(report) == (1, 1, 1, 1, 4)
    assert {load(world, s).status for s in world.sessions} == {SS.COMPLETED}
    done = load(world, child)
    assert (done.status, done.start_date, done.end_date) == (S.COMPLETED, START, END)
    assert load(world, world.cohort).status is C.COMPLETED
    # one entry per step, at the run's time
    entries = audit(world, child)
    assert sorted(a.action for a in entries) == ["enrolment.complete", "enrolment.start"]
    assert {a.occurred_at for a in entries} == {at(END + 7 * D)}


@pytest.mark.parametrize("day", [START, END + D, END + 30 * D])
def test_a_second_run_for_the_same_day_changes_nothing(world: World, day: date) -> None:
    enrol(world, world.child)
    enrol(world, world.sibling, S.PENDING_PAYMENT)
    cohort(world, "Empty", START, END)
    first = run(world, day)
    assert first.changes > 0
    before = snapshot(world)
    entries = audit_count(world)

    second = run(world, day)

    assert second.changes == 0
    assert snapshot(world) == before
    assert audit_count(world) == entries


def snapshot(world: World) -> dict[UUID, tuple[Any, ...]]:
    with world.uow() as uow:
        cohorts = uow.cohorts.list()
        rows: dict[UUID, tuple[Any, ...]] = {
            c.id: (c.status, c.attention, c.current_enrolments, c.version) for c in cohorts
        }
        for c in cohorts:
            for e in uow.enrolments.list_for_cohort(c.id):
                rows[e.id] = (e.status, e.start_date, e.end_date, e.version)
            for s in uow.sessions.list_for_cohort(c.id):
                rows[s.id] = (s.status, s.actual_start_time, s.actual_end_time, s.version)
    return rows


def test_draft_cancelled_and_future_cohorts_are_left_alone(world: World) -> None:
    draft = cohort(world, "Draft", START - D, END, status=C.DRAFT)
    cancelled = cohort(world, "Cancelled", START - D, END, status=C.CANCELLED)
    stranded = m.Enrolment(
        organisation_id=world.org_id,
        student_id=world.child.id,
        cohort_id=cancelled.id,
        status=S.ENROLLED,
    )
    world.add(stranded)
    future = cohort(world, "Next term", END, END + 21 * D)
    waiting = enrol(world, world.sibling, cohort=future)

    report = run(world, START)

    assert counts(report) == (1, 0, 0, 0, 0)  # the world's own cohort only
    assert load(world, draft).status is C.DRAFT
    assert load(world, cancelled).status is C.CANCELLED
    assert load(world, stranded).status is S.ENROLLED
    assert load(world, future).status is C.OPEN
    assert load(world, waiting).status is S.ENROLLED


def test_another_organisation_is_untouched(world: World) -> None:
    other_org = m.Organisation(name="Other School")
    campus = m.Campus(organisation_id=other_org.id, name="Elsewhere", timezone=MELBOURNE)
    program = m.Program(organisation_id=other_org.id, name="Python")
    theirs = m.Cohort(
        organisation_id=other_org.id,
        program_id=program.id,
        campus_id=campus.id,
        name="Theirs",
        start_date=START,
        end_date=END,
        max_capacity=5,
        current_enrolments=1,
        status=C.OPEN,
    )
    family = m.Family(
        organisation_id=other_org.id,
        family_name="Other",
        primary_contact_name="Pat Other",
        primary_contact_email="pat@other.example",
    )
    student = m.Student(
        organisation_id=other_org.id,
        family_id=family.id,
        first_name="Sam",
        last_name="Other",
        date_of_birth=date(2017, 1, 1),
    )
    enrolled = m.Enrolment(
        organisation_id=other_org.id, student_id=student.id, cohort_id=theirs.id, status=S.ENROLLED
    )
    their_session = m.Session(
        organisation_id=other_org.id,
        cohort_id=theirs.id,
        session_number=1,
        scheduled_date=START - 7 * D,
        scheduled_start_time=time(16, 0),
        scheduled_end_time=time(17, 0),
    )
    with world.store.unit_of_work(other_org.id) as uow:
        uow.organisations.add(other_org)
        uow.campuses.add(campus)
        uow.programs.add(program)
        uow.cohorts.add(theirs)
        uow.families.add(family)
        uow.students.add(student)
        uow.enrolments.add(enrolled)
        uow.sessions.add(their_session)
        uow.commit()

    run(world, START)

    with world.store.unit_of_work(other_org.id) as uow:
        assert uow.cohorts.get(theirs.id).status is C.OPEN
        assert uow.enrolments.get(enrolled.id).status is S.ENROLLED
        assert uow.audit.list_for_entity(enrolled.id) == []
        still = uow.sessions.get(their_session.id)
        assert (still.status, still.version) == (SS.SCHEDULED, 1)
        assert uow.audit.list_for_entity(their_session.id) == []


# -- sessions ------------------------------------------------------------------------------


def session(world: World, of: m.Cohort, number: int, on: date, **fields: Any) -> m.Session:
    made = m.Session(
        organisation_id=world.org_id,
        cohort_id=of.id,
        session_number=number,
        scheduled_date=on,
        scheduled_start_time=time(16, 0),
        scheduled_end_time=time(17, 30),
        **fields,
    )
    world.add(made)
    return made


def _change(world: World, entity: m.Session, move: Callable[[m.Session], None]) -> m.Session:
    with world.uow() as uow:
        loaded = uow.sessions.get(entity.id)
        move(loaded)
        uow.commit()
    changed: m.Session = load(world, entity)
    return changed


def test_sessions_complete_the_day_after_their_date(world: World) -> None:
    first, second = world.sessions[0], world.sessions[1]
    run(world, START)

    report = run(world, START + D)

    assert counts(report) == (0, 0, 0, 0, 1)
    assert report.changes == 1
    done = load(world, first)
    assert (done.status, done.actual_start_time, done.actual_end_time, done.version) == (
        SS.COMPLETED,
        None,
        None,
        2,
    )
    [entry] = audit(world, first)
    assert (entry.action, entry.actor_staff_id, entry.entity_type, entry.entity_id) == (
        "session.complete",
        None,
        "Session",
        first.id,
    )
    assert entry.changes == {"status": ["scheduled", "completed"]}
    assert entry.summary == "Nightly 2026-02-03: the session's date is over"
    assert entry.occurred_at == at(START + D)
    assert (load(world, second).status, load(world, second).version) == (SS.SCHEDULED, 1)
    assert audit(world, second) == []


def test_today_s_session_is_left_for_tomorrow_s_run(world: World) -> None:
    second = world.sessions[1]

    on_the_day = run(world, second.scheduled_date)
    assert on_the_day.sessions_completed == 1  # the first session only
    assert load(world, second).status is SS.SCHEDULED

    next_day = run(world, second.scheduled_date + D)
    assert next_day.sessions_completed == 1
    assert load(world, second).status is SS.COMPLETED


def test_a_session_in_progress_completes_and_keeps_its_times(world: World) -> None:
    first = _change(world, world.sessions[0], lambda s: s.begin(time(16, 5)))
    assert (first.status, first.version) == (SS.IN_PROGRESS, 2)
    # a scheduled session whose end someone recorded keeps it too
    second = _change(world, world.sessions[1], lambda s: s.update(actual_end_time=time(17, 25)))

    report = run(world, world.sessions[1].scheduled_date + D)

    assert report.sessions_completed == 2
    done = load(world, first)
    assert (done.status, done.actual_start_time, done.actual_end_time, done.version) == (
        SS.COMPLETED,
        time(16, 5),
        None,
        3,
    )
    assert audit(world, first)[-1].changes == {"status": ["in_progress", "completed"]}
    kept = load(world, second)
    assert (kept.status, kept.actual_end_time, kept.version) == (
        SS.COMPLETED,
        time(17, 25),
        second.version + 1,
    )


def test_cancelled_and_completed_sessions_are_untouched(world: World) -> None:
    cancelled = _change(world, world.sessions[0], lambda s: s.cancel("Heatwave"))

    def held_by_hand(s: m.Session) -> None:
        s.begin(time(16, 0))
        s.complete(time(17, 30))

    completed = _change(world, world.sessions[1], held_by_hand)
    entries = audit_count(world)

    report = run(world, END + D)

    assert report.sessions_completed == 2  # the third and fourth
    still = load(world, cancelled)
    assert (still.status, still.cancellation_reason, still.version) == (
        SS.CANCELLED,
        "Heatwave",
        cancelled.version,
    )
    held = load(world, completed)
    assert (held.status, held.actual_end_time, held.version) == (
        SS.COMPLETED,
        time(17, 30),
        completed.version,
    )
    assert audit(world, cancelled) == audit(world, completed) == []
    assert {load(world, s).status for s in world.sessions[2:]} == {SS.COMPLETED}
    # the cohort began and completed, and two sessions completed
    assert audit_count(world) == entries + 4


def test_a_draft_cohort_s_sessions_are_left_a_cancelled_cohort_s_past_ones_complete(
    world: World,
) -> None:
    draft = cohort(world, "Never published", START - 14 * D, START - D, status=C.DRAFT)
    unpublished = session(world, draft, 1, START - 14 * D)
    stopped = cohort(world, "Stopped", START - 14 * D, START + 14 * D, status=C.IN_PROGRESS)
    held = session(world, stopped, 1, START - 14 * D)
    called_off = session(
        world,
        stopped,
        2,
        START + 7 * D,
        status=SS.CANCELLED,
        cancellation_reason="Cohort cancelled: too few students",
    )
    with world.uow() as uow:
        uow.cohorts.get(stopped.id).cancel()
        uow.commit()

    report = run(world, START + 14 * D)

    assert load(world, unpublished).status is SS.SCHEDULED
    assert audit(world, unpublished) == []
    assert load(world, held).status is SS.COMPLETED
    assert load(world, called_off).status is SS.CANCELLED
    assert report.sessions_completed == 1 + 2  # the stopped cohort's, the world's first two


@pytest.mark.parametrize("size", [1, 2, 100])
def test_sessions_move_with_their_cohort_s_batch(world: World, size: int) -> None:
    others = [cohort(world, f"Cohort {n}", START - 7 * D, END) for n in range(3)]
    past = [session(world, other, 1, START - 7 * D) for other in others]
    later = [session(world, other, 2, START + 7 * D) for other in others]

    report = run(world, START + D, batch_size=size)

    assert report.sessions_completed == 4  # one of each cohort, the world's first
    assert {load(world, s).status for s in [*past, world.sessions[0]]} == {SS.COMPLETED}
    assert {load(world, s).status for s in [*later, *world.sessions[1:]]} == {SS.SCHEDULED}
    assert run(world, START + D, batch_size=size).changes == 0


# -- batches and transactions --------------------------------------------------------------


def test_cohorts_are_taken_in_batches_with_the_same_result(world: World) -> None:
    others = [cohort(world, f"Cohort {n}", START - n * D, END) for n in range(5)]
    for extra in others[:3]:
        enrol(world, world.child, cohort=extra)

    report = run(world, START, batch_size=2)

    assert report.batches == 3  # six cohorts, two a transaction
    assert counts(report) == (6, 3, 0, 0, 0)
    assert {load(world, c).status for c in [world.cohort, *others]} == {C.IN_PROGRESS}


def test_a_batch_that_fails_writes_nothing_and_a_rerun_finishes(world: World) -> None:
    child = enrol(world, world.child)

    def make_uow(organisation_id: UUID) -> UnitOfWork:
        uow = world.make_uow(organisation_id)
        real_commit = uow.commit

        def commit() -> None:
            with world.uow() as other:
                other.cohorts.get(world.cohort.id).update(room="Room 2")
                other.commit()
            real_commit()

        uow.commit = commit  # type: ignore[method-assign]
        return uow

    with pytest.raises(Conflict, match="changed by someone else"):
        # a staff member changes the cohort while the batch runs: its commit must fail
        LifecycleService(make_uow, world.clock, world.bus).run_nightly(
            world.org_id, START, at(START)
        )

    assert load(world, child).status is S.ENROLLED
    assert load(world, world.cohort).status is C.OPEN
    assert audit_count(world) == 0

    report = run(world, START)
    assert counts(report) == (1, 1, 0, 0, 0)
    assert load(world, child).status is S.ACTIVE
    assert load(world, world.cohort).room == "Room 2"


def test_the_set_based_steps_publish_no_events(world: World) -> None:
    enrol(world, world.child)
    world.published.clear()

    run(world, END + D)

    assert world.published == []


# -- offers and tokens ---------------------------------------------------------------------


def test_lapsed_offers_and_expired_tokens_go_through_their_services(world: World) -> None:
    offer = enrol(world, world.child, S.PENDING_PAYMENT, offer_expires_at=at(START - D))
    active = enrol(world, world.sibling, S.ACTIVE)
    token = m.MakeupToken(
        organisation_id=world.org_id,
        student_id=world.sibling.id,
        enrolment_id=active.id,
        program_id=world.program.id,
        reason="session cancelled",
        issued_on=START - 100 * D,
        expires_on=START - 10 * D,
    )
    world.add(token)

    report = run(world, START)

    assert (report.offers_lapsed, report.seats_offered, report.tokens_expired) == (1, 0, 1)
    assert load(world, offer).status is S.DROPPED
    with world.uow() as uow:
        assert uow.makeup_tokens.get(token.id).status is m.MakeupTokenStatus.EXPIRED

    again = run(world, START)
    assert again.changes == 0


@attrs.define
class Offers:
    calls: list[tuple[UUID, datetime]] = attrs.Factory(list)

    @attrs.frozen
    class Run:
        lapsed: tuple[object, ...] = ("a", "b")
        offered: tuple[object, ...] = ("c",)

    def lapse_offers(self, organisation_id: UUID, now: datetime) -> Offers.Run:
        self.calls.append((organisation_id, now))
        return Offers.Run()


@attrs.define
class Tokens:
    calls: list[tuple[UUID, date]] = attrs.Factory(list)

    def expire_tokens(self, organisation_id: UUID, day: date) -> list[object]:
        self.calls.append((organisation_id, day))
        return ["token"]


def test_offers_and_tokens_can_be_wired_to_other_services(world: World) -> None:
    offers, tokens = Offers(), Tokens()

    report = run(world, START, offers=offers, tokens=tokens)

    assert offers.calls == [(world.org_id, at(START))]
    assert tokens.calls == [(world.org_id, START)]
    assert (report.offers_lapsed, report.seats_offered, report.tokens_expired) == (2, 1, 1)


def test_a_failing_later_step_keeps_the_committed_batches(world: World) -> None:
    child = enrol(world, world.child)

    class Broken(Tokens):
        def expire_tokens(self, organisation_id: UUID, day: date) -> list[object]:
            raise RuntimeError("mail server down")

    with pytest.raises(RuntimeError):
        run(world, START, tokens=Broken())

    assert load(world, child).status is S.ACTIVE
    assert run(world, START, tokens=Tokens()).changes == 1  # only the stub's token


# -- bad input -----------------------------------------------------------------------------


def test_an_unknown_organisation_is_not_found(world: World) -> None:
    enrol(world, world.child)

    with pytest.raises(NotFound, match="Organisation"):
        service(world).run_nightly(uuid4(), START, at(START))

    assert load(world, world.cohort).status is C.OPEN


@pytest.mark.parametrize(
    ("day", "now", "field"),
    [
        (datetime(2026, 2, 2, tzinfo=UTC), at(START), "NightlyRun.day"),
        ("2026-02-02", at(START), "NightlyRun.day"),
        (START, datetime(2026, 2, 2, 1, 0), "NightlyRun.now"),
        (START, START, "NightlyRun.now"),
    ],
)
def test_bad_days_and_times_are_refused(world: World, day: Any, now: Any, field: str) -> None:
    enrol(world, world.child)

    with pytest.raises(ValidationError) as refused:
        service(world).run_nightly(world.org_id, day, now)

    assert refused.value.field == field
    assert load(world, world.cohort).status is C.OPEN


@pytest.mark.parametrize("size", [0, -1, True, 2.5])
def test_a_batch_holds_at_least_one_cohort(world: World, size: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        service(world, batch_size=size)
    assert refused.value.field == "LifecycleService.batch_size"


def test_the_report_is_frozen(world: World) -> None:
    report = run(world, START)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        report.cohorts_begun = 5  # type: ignore[misc]


# -- the port's rules match the entities' ---------------------------------------------------


def _cohort_in(world: World, status: C) -> m.Cohort:
    return m.Cohort(
        organisation_id=world.org_id,
        program_id=world.program.id,
        campus_id=world.campus.id,
        name="Rules",
        start_date=START,
        end_date=END,
        max_capacity=5,
        status=status,
    )


def _allowed(move: Callable[[], None]) -> bool:
    try:
        move()
    except InvalidTransition:
        return False
    return True


@pytest.mark.parametrize("status", list(C))
def test_the_port_s_cohort_sources_are_the_cohort_s_own(world: World, status: C) -> None:
    assert _allowed(_cohort_in(world, status).begin) == (
        status in LifecycleRepository.COHORT_BEGINS_FROM
    )
    assert _allowed(_cohort_in(world, status).complete) == (
        status in LifecycleRepository.COHORT_COMPLETES_FROM
    )


@pytest.mark.parametrize("status", list(SS))
def test_the_port_s_session_sources_are_the_session_s_own(world: World, status: SS) -> None:
    reason = "Heatwave" if status is SS.CANCELLED else None
    held = m.Session(
        organisation_id=world.org_id,
        cohort_id=world.cohort.id,
        session_number=9,
        scheduled_date=START,
        scheduled_start_time=time(16, 0),
        scheduled_end_time=time(17, 0),
        status=status,
        cancellation_reason=reason,
    )
    assert _allowed(held.complete) == (status in LifecycleRepository.SESSION_COMPLETES_FROM)


@pytest.mark.parametrize("status", list(C))
def test_only_a_draft_cohort_holds_no_sessions(status: C) -> None:
    assert (status in LifecycleRepository.COHORT_HOLDS_SESSIONS) == (status is not C.DRAFT)


def test_unpaid_invoices_past_their_grace_period_become_overdue_once(world: World) -> None:
    invoice = m.Invoice(
        organisation_id=world.org_id,
        invoice_number="INV-2026-000001",
        family_id=world.family.id,
        issue_date=date(2026, 1, 5),
        due_date=date(2026, 1, 19),
        total_amount=Decimal("100.00"),
        amount_outstanding=Decimal("100.00"),
        status=m.InvoiceStatus.SENT,
    )
    with world.uow() as uow:
        uow.invoices.add(invoice)
        uow.commit()
    # Seven days of grace after the due date: still not overdue on the 26th, overdue on the 27th.
    assert run(world, date(2026, 1, 26)).invoices_overdue == 0
    report = run(world, date(2026, 1, 27))
    assert report.invoices_overdue == 1
    assert run(world, date(2026, 1, 27)).invoices_overdue == 0
    with world.uow() as uow:
        assert uow.invoices.get(invoice.id).status is m.InvoiceStatus.OVERDUE
