"""The enrolment journey: enquire, trial, seats, payment, start/complete, withdrawal, transfer.

The school is ``world`` (tests/unit/services/conftest.py): cohort "Scratch Basics - Term 1 Mon"
(3 seats, 2-23 February 2026, four Monday sessions) at Werribee; today is Monday 19 January.
The helpers at the top are shared by the other enrolment test modules.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4

import attrs
import pytest
from tests.unit.services.conftest import TODAY, World
from tests.unit.services.helpers import ROLES, add_cohort, sessions_of, snapshot

from rocket_core import model as m
from rocket_core.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationError
from rocket_core.events import (
    DomainEvent,
    EnrolmentAwaitingPayment,
    EnrolmentConfirmed,
    EnrolmentStatusChanged,
    SeatOffered,
)
from rocket_core.model import EnrolmentStatus as S
from rocket_core.permissions import Actor
from rocket_core.services.enrolment import EnrolmentService
from rocket_core.services.makeup import issue_token

#: Who may "create / approve enrolment" at the world's campus.
ENROLS = {"super_admin", "campus_manager", "front_desk"}

# -- helpers shared by the enrolment test modules ------------------------------------------


def service(world: World) -> EnrolmentService:
    return EnrolmentService(world.make_uow, world.clock, world.bus)


def admin(world: World) -> Actor:
    return world.actor("super_admin")


def add_student(
    world: World, *, born: date = date(2017, 6, 1), family: m.Family | None = None
) -> m.Student:
    student = m.Student(
        organisation_id=world.org_id,
        family_id=(family or world.family).id,
        first_name=f"Kid{uuid4().hex[:6]}",
        last_name="Tester",
        date_of_birth=born,
    )
    world.add(student)
    return student


def load(world: World, enrolment_id: UUID) -> m.Enrolment:
    with world.uow() as uow:
        return uow.enrolments.get(enrolment_id)


def load_cohort(world: World, cohort_id: UUID) -> m.Cohort:
    with world.uow() as uow:
        return uow.cohorts.get(cohort_id)


def waitlist(world: World, cohort_id: UUID) -> list[tuple[UUID, int | None]]:
    with world.uow() as uow:
        return [(e.id, e.waitlist_position) for e in uow.enrolments.waitlist(cohort_id)]


def seat_holders(world: World, cohort_id: UUID) -> int:
    with world.uow() as uow:
        return sum(e.holds_seat for e in uow.enrolments.list_for_cohort(cohort_id))


def enquiry(
    world: World, student: m.Student | None = None, cohort: m.Cohort | None = None
) -> m.Enrolment:
    student = student or add_student(world)
    return service(world).enquire(admin(world), student.id, (cohort or world.cohort).id)


def seated(
    world: World, student: m.Student | None = None, cohort: m.Cohort | None = None
) -> m.Enrolment:
    """An enrolment that asked for a seat (pending payment, or waitlisted when full)."""
    return service(world).request_payment(admin(world), enquiry(world, student, cohort).id)


def enrolled(
    world: World, student: m.Student | None = None, cohort: m.Cohort | None = None
) -> m.Enrolment:
    return service(world).payment_received(admin(world), seated(world, student, cohort).id)


def active(
    world: World, student: m.Student | None = None, cohort: m.Cohort | None = None
) -> m.Enrolment:
    cohort = cohort or world.cohort
    enrolment = enrolled(world, student, cohort)
    return service(world).start(admin(world), enrolment.id, on=cohort.start_date)


def audit_entries(world: World, entity_id: UUID) -> list[m.AuditEntry]:
    """The entity's audit entries in the order they were written (the clock stands still, so
    their times tie: the store keeps insertion order)."""
    with world.store.lock:
        entries = list(world.store.tables[m.AuditEntry].values())
    return [e for e in entries if isinstance(e, m.AuditEntry) and e.entity_id == entity_id]


def audit_actions(world: World, entity_id: UUID) -> list[str]:
    return [entry.action for entry in audit_entries(world, entity_id)]


def published(world: World, kind: type[DomainEvent]) -> list[Any]:
    return [event for event in world.published if isinstance(event, kind)]


def set_cohort_status(world: World, cohort: m.Cohort, *moves: str) -> None:
    with world.uow() as uow:
        loaded = uow.cohorts.get(cohort.id)
        for move in moves:
            getattr(loaded, move)()
        uow.commit()


@attrs.define
class OtherSchool:
    organisation: m.Organisation
    cohort: m.Cohort
    session: m.Session
    student: m.Student
    enrolment: m.Enrolment


def other_school(world: World) -> OtherSchool:
    """A second organisation in the same store, with a cohort, a session and an enquiry."""
    org = m.Organisation(name="Other Academy")
    campus = m.Campus(organisation_id=org.id, name="Elsewhere")
    program = m.Program(organisation_id=org.id, name="Python")
    cohort = m.Cohort(
        organisation_id=org.id,
        program_id=program.id,
        campus_id=campus.id,
        name="Python 1",
        start_date=date(2026, 2, 2),
        end_date=date(2026, 3, 2),
        max_capacity=5,
        status=m.CohortStatus.OPEN,
    )
    session = m.Session(
        organisation_id=org.id,
        cohort_id=cohort.id,
        session_number=1,
        scheduled_date=date(2026, 2, 2),
        scheduled_start_time=time(9, 0),
        scheduled_end_time=time(10, 0),
    )
    family = m.Family(
        organisation_id=org.id,
        primary_contact_name="Pat Other",
        primary_contact_email="pat@other.example",
    )
    student = m.Student(
        organisation_id=org.id,
        family_id=family.id,
        first_name="Sam",
        last_name="Other",
        date_of_birth=date(2016, 1, 1),
    )
    enrolment = m.Enrolment(organisation_id=org.id, student_id=student.id, cohort_id=cohort.id)
    with world.store.unit_of_work(org.id) as uow:
        uow.organisations.add(org)
        uow.campuses.add(campus)
        uow.programs.add(program)
        uow.cohorts.add(cohort)
        uow.sessions.add(session)
        uow.families.add(family)
        uow.students.add(student)
        uow.enrolments.add(enrolment)
        uow.commit()
    return OtherSchool(org, cohort, session, student, enrolment)


def refused(world: World, error: type[Exception], call: Any, *words: str) -> Exception:
    """``call()`` raises ``error`` (with ``words`` in its message) and writes nothing."""
    before = snapshot(world)
    events = len(world.published)
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {info.value}"
    assert snapshot(world) == before
    assert len(world.published) == events
    return info.value


# -- enquire -------------------------------------------------------------------------------


def test_an_enquiry_records_the_student_in_the_cohort_without_a_seat(world: World) -> None:
    enrolment = service(world).enquire(world.actor("front_desk"), world.child.id, world.cohort.id)

    saved = load(world, enrolment.id)
    assert saved.status is S.ENQUIRY
    assert (saved.student_id, saved.cohort_id) == (world.child.id, world.cohort.id)
    assert saved.enrolment_date == world.clock.now()
    assert not saved.is_waitlist
    assert load_cohort(world, world.cohort.id).current_enrolments == 0
    [entry] = audit_entries(world, enrolment.id)
    assert entry.action == "enrolment.enquire"
    assert entry.actor_staff_id == world.staff["front_desk"].id
    assert "age_override" not in entry.changes


@pytest.mark.parametrize("begun", [False, True])
def test_full_and_in_progress_cohorts_take_enquiries(world: World, begun: bool) -> None:
    cohort = add_cohort(world, capacity=1)
    seated(world, cohort=cohort)
    if begun:
        set_cohort_status(world, cohort, "begin")
    assert load_cohort(world, cohort.id).status in (m.CohortStatus.FULL, m.CohortStatus.IN_PROGRESS)
    assert enquiry(world, cohort=cohort).status is S.ENQUIRY


@pytest.mark.parametrize(
    ("status", "moves"),
    [
        (m.CohortStatus.DRAFT, ()),
        (m.CohortStatus.OPEN, ("cancel",)),
        (m.CohortStatus.OPEN, ("begin", "complete")),
    ],
)
def test_draft_cancelled_and_completed_cohorts_take_no_enquiry(
    world: World, status: m.CohortStatus, moves: tuple[str, ...]
) -> None:
    cohort = add_cohort(world, status=status)
    set_cohort_status(world, cohort, *moves)
    state = load_cohort(world, cohort.id).status.value
    refused(
        world,
        Conflict,
        lambda: service(world).enquire(admin(world), world.child.id, cohort.id),
        "does not take enrolments",
        state,
    )


def test_a_student_cannot_hold_two_live_enrolments_in_a_cohort(world: World) -> None:
    first = enquiry(world, world.child)
    refused(
        world,
        Conflict,
        lambda: service(world).enquire(admin(world), world.child.id, world.cohort.id),
        "already enrolled",
    )
    service(world).drop(admin(world), first.id, on=TODAY, reason="Changed their mind")
    again = enquiry(world, world.child)
    assert again.id != first.id
    assert again.status is S.ENQUIRY


@pytest.mark.parametrize(("born", "age"), [(date(2019, 2, 3), 6), (date(2015, 2, 2), 11)])
def test_an_age_outside_the_programs_range_is_refused(world: World, born: date, age: int) -> None:
    student = add_student(world, born=born)
    error = refused(
        world,
        ValidationError,
        lambda: service(world).enquire(admin(world), student.id, world.cohort.id),
        f"is {age} on 2026-02-02",
        "7 to 10",
    )
    assert isinstance(error, ValidationError)
    assert error.field == "Student.date_of_birth"


def test_the_age_is_taken_on_the_cohorts_start_date(world: World) -> None:
    # Six today (19 January), seven on the first day of class (2 February).
    student = add_student(world, born=date(2019, 2, 1))
    assert enquiry(world, student).status is S.ENQUIRY


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_an_age_override_needs_a_reason(world: World, reason: str | None) -> None:
    student = add_student(world, born=date(2019, 6, 1))
    error = refused(
        world,
        ValidationError,
        lambda: service(world).enquire(
            admin(world), student.id, world.cohort.id, override_age=True, override_reason=reason
        ),
    )
    assert isinstance(error, ValidationError)
    assert error.field == "override_reason"


def test_an_age_override_with_a_reason_is_recorded_in_the_audit(world: World) -> None:
    student = add_student(world, born=date(2019, 6, 1))
    enrolment = service(world).enquire(
        world.actor("campus_manager"),
        student.id,
        world.cohort.id,
        override_age=True,
        override_reason="Sibling attends; assessed as ready",
    )
    [entry] = audit_entries(world, enrolment.id)
    assert entry.changes["age_override"] == {
        "age": 6,
        "age_min": 7,
        "age_max": 10,
        "reason": "Sibling attends; assessed as ready",
    }
    assert "age range overridden" in entry.summary


def test_an_override_within_the_range_records_nothing(world: World) -> None:
    enrolment = service(world).enquire(
        admin(world), world.child.id, world.cohort.id, override_age=True, override_reason="x"
    )
    [entry] = audit_entries(world, enrolment.id)
    assert "age_override" not in entry.changes


def test_a_deactivated_student_or_family_cannot_enquire(world: World) -> None:
    student = add_student(world)
    with world.uow() as uow:
        uow.students.get(student.id).deactivate()
        uow.families.get(world.other_family.id).deactivate()
        uow.commit()
    refused(
        world,
        Conflict,
        lambda: service(world).enquire(admin(world), student.id, world.cohort.id),
        "deactivated",
    )
    refused(
        world,
        Conflict,
        lambda: service(world).enquire(admin(world), world.other_child.id, world.cohort.id),
        "family account",
    )


def test_unknown_and_other_organisations_ids_are_not_found(world: World) -> None:
    other = other_school(world)
    for student_id, cohort_id in [
        (uuid4(), world.cohort.id),
        (world.child.id, uuid4()),
        (other.student.id, world.cohort.id),
        (world.child.id, other.cohort.id),
    ]:
        refused(
            world,
            NotFound,
            lambda s=student_id, c=cohort_id: service(world).enquire(admin(world), s, c),
        )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_record_an_enquiry(world: World, who: str) -> None:
    call = lambda: service(world).enquire(world.actor(who), world.child.id, world.cohort.id)  # noqa: E731
    if who in ENROLS:
        assert call().status is S.ENQUIRY
    else:
        refused(world, Forbidden, call)


# -- trial ---------------------------------------------------------------------------------


def test_a_trial_books_one_future_session_of_the_cohort(world: World) -> None:
    enrolment = enquiry(world)
    session = world.sessions[1]
    booked = service(world).book_trial(world.actor("front_desk"), enrolment.id, session.id)
    saved = load(world, booked.id)
    assert saved.status is S.TRIAL
    assert saved.is_trial
    assert saved.trial_session_id == session.id
    assert load_cohort(world, world.cohort.id).current_enrolments == 0
    assert audit_actions(world, enrolment.id) == ["enrolment.enquire", "enrolment.book_trial"]
    [event] = published(world, EnrolmentStatusChanged)
    assert (event.from_status, event.to_status) == ("enquiry", "trial")


def test_a_trial_session_must_belong_to_the_cohort(world: World) -> None:
    enrolment = enquiry(world)
    elsewhere = sessions_of(world, add_cohort(world))[0]
    error = refused(
        world,
        ValidationError,
        lambda: service(world).book_trial(admin(world), enrolment.id, elsewhere.id),
        "session of the enrolment's cohort",
    )
    assert isinstance(error, ValidationError)
    assert error.field == "Enrolment.trial_session_id"


def test_a_trial_session_must_be_scheduled_and_not_started(world: World) -> None:
    enrolment = enquiry(world)
    with world.uow() as uow:
        uow.sessions.get(world.sessions[2].id).cancel("Room flooded")
        uow.commit()
    refused(
        world,
        ValidationError,
        lambda: service(world).book_trial(admin(world), enrolment.id, world.sessions[2].id),
        "scheduled session",
        "cancelled",
    )
    # 16:00 in Melbourne on 2 February is 05:00 UTC: at 05:00 the first session has started.
    world.clock.set(datetime(2026, 2, 2, 5, 0, tzinfo=UTC))
    refused(
        world,
        ValidationError,
        lambda: service(world).book_trial(admin(world), enrolment.id, world.sessions[0].id),
        "not started",
    )
    world.clock.set(datetime(2026, 2, 2, 4, 59, tzinfo=UTC))
    assert service(world).book_trial(admin(world), enrolment.id, world.sessions[0].id).is_trial


def test_a_trial_needs_a_free_chair_at_its_session(world: World) -> None:
    for _ in range(2):
        seated(world)
    first = enquiry(world)
    service(world).book_trial(admin(world), first.id, world.sessions[1].id)
    second = enquiry(world)
    refused(
        world,
        Conflict,
        lambda: service(world).book_trial(admin(world), second.id, world.sessions[1].id),
        "no free seat",
    )
    assert service(world).book_trial(admin(world), second.id, world.sessions[2].id).is_trial


def test_only_an_enquiry_books_a_trial(world: World) -> None:
    enrolment = seated(world)
    refused(
        world,
        InvalidTransition,
        lambda: service(world).book_trial(admin(world), enrolment.id, world.sessions[1].id),
        "pending_payment",
        "book_trial",
    )


def test_a_trial_of_an_unknown_session_or_enrolment_is_not_found(world: World) -> None:
    enrolment = enquiry(world)
    other = other_school(world)
    for enrolment_id, session_id in [
        (enrolment.id, uuid4()),
        (uuid4(), world.sessions[1].id),
        (enrolment.id, other.session.id),
        (other.enrolment.id, world.sessions[1].id),
    ]:
        refused(
            world,
            NotFound,
            lambda e=enrolment_id, s=session_id: service(world).book_trial(admin(world), e, s),
        )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_book_a_trial(world: World, who: str) -> None:
    enrolment = enquiry(world)
    call = lambda: service(world).book_trial(world.actor(who), enrolment.id, world.sessions[1].id)  # noqa: E731
    if who in ENROLS:
        assert call().status is S.TRIAL
    else:
        refused(world, Forbidden, call)


# -- seats ---------------------------------------------------------------------------------


def test_requesting_payment_takes_a_seat_and_asks_billing_for_an_invoice(world: World) -> None:
    enrolment = enquiry(world, world.child)
    taken = service(world).request_payment(world.actor("front_desk"), enrolment.id)

    saved = load(world, taken.id)
    assert saved.status is S.PENDING_PAYMENT
    assert saved.offer_expires_at is None
    cohort = load_cohort(world, world.cohort.id)
    assert cohort.current_enrolments == 1
    assert cohort.status is m.CohortStatus.OPEN
    [event] = published(world, EnrolmentAwaitingPayment)
    assert event == EnrolmentAwaitingPayment(
        organisation_id=world.org_id,
        enrolment_id=enrolment.id,
        student_id=world.child.id,
        family_id=world.family.id,
        cohort_id=world.cohort.id,
    )
    assert audit_actions(world, enrolment.id)[-1] == "enrolment.request_payment"


def test_the_last_seat_fills_the_cohort_and_the_next_requests_wait_in_order(
    world: World,
) -> None:
    holders = [seated(world) for _ in range(3)]
    assert all(h.status is S.PENDING_PAYMENT for h in holders)
    assert load_cohort(world, world.cohort.id).status is m.CohortStatus.FULL

    waiting = [seated(world) for _ in range(3)]
    assert [(w.status, w.waitlist_position) for w in waiting] == [
        (S.ENQUIRY, 1),
        (S.ENQUIRY, 2),
        (S.ENQUIRY, 3),
    ]
    assert waitlist(world, world.cohort.id) == [(w.id, i) for i, w in enumerate(waiting, 1)]
    assert load_cohort(world, world.cohort.id).current_enrolments == 3
    assert len(published(world, EnrolmentAwaitingPayment)) == 3
    assert audit_actions(world, waiting[0].id)[-1] == "enrolment.join_waitlist"


def test_a_waitlisted_enrolment_cannot_ask_again(world: World) -> None:
    for _ in range(3):
        seated(world)
    waiting = seated(world)
    refused(
        world,
        Conflict,
        lambda: service(world).request_payment(admin(world), waiting.id),
        "already on the waitlist",
    )


def test_a_trial_converts_into_a_seat_or_onto_the_waitlist(world: World) -> None:
    first = enquiry(world)
    service(world).book_trial(admin(world), first.id, world.sessions[1].id)
    converted = service(world).convert_trial(world.actor("campus_manager"), first.id)
    assert converted.status is S.PENDING_PAYMENT
    assert load_cohort(world, world.cohort.id).current_enrolments == 1
    assert audit_actions(world, first.id)[-1] == "enrolment.convert_trial"

    late = enquiry(world)
    service(world).book_trial(admin(world), late.id, world.sessions[2].id)
    for _ in range(2):
        seated(world)
    assert load_cohort(world, world.cohort.id).status is m.CohortStatus.FULL
    waiting = service(world).convert_trial(admin(world), late.id)
    assert (waiting.status, waiting.is_waitlist, waiting.waitlist_position) == (S.TRIAL, True, 1)


def test_convert_and_request_follow_the_rulebook(world: World) -> None:
    enquiry_ = enquiry(world)
    refused(
        world,
        InvalidTransition,
        lambda: service(world).convert_trial(admin(world), enquiry_.id),
        "enquiry",
        "convert_trial",
    )
    trial = enquiry(world)
    service(world).book_trial(admin(world), trial.id, world.sessions[1].id)
    refused(
        world,
        InvalidTransition,
        lambda: service(world).request_payment(admin(world), trial.id),
        "trial",
        "request_payment",
    )
    pending = seated(world)
    refused(
        world,
        InvalidTransition,
        lambda: service(world).request_payment(admin(world), pending.id),
        "pending_payment",
    )


def test_a_cancelled_cohort_gives_no_seat(world: World) -> None:
    enrolment = enquiry(world)
    set_cohort_status(world, world.cohort, "cancel")
    refused(
        world,
        Conflict,
        lambda: service(world).request_payment(admin(world), enrolment.id),
        "cancelled",
    )


def test_requests_for_unknown_or_foreign_enrolments_are_not_found(world: World) -> None:
    other = other_school(world)
    for enrolment_id in (uuid4(), other.enrolment.id):
        for use_case in ("request_payment", "convert_trial", "payment_received"):
            refused(
                world,
                NotFound,
                lambda e=enrolment_id, u=use_case: getattr(service(world), u)(admin(world), e),
            )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_give_a_seat(world: World, who: str) -> None:
    enrolment = enquiry(world)
    call = lambda: service(world).request_payment(world.actor(who), enrolment.id)  # noqa: E731
    if who in ENROLS:
        assert call().status is S.PENDING_PAYMENT
    else:
        refused(world, Forbidden, call)


@pytest.mark.parametrize("who", ROLES)
def test_who_may_convert_a_trial(world: World, who: str) -> None:
    enrolment = enquiry(world)
    service(world).book_trial(admin(world), enrolment.id, world.sessions[1].id)
    call = lambda: service(world).convert_trial(world.actor(who), enrolment.id)  # noqa: E731
    if who in ENROLS:
        assert call().status is S.PENDING_PAYMENT
    else:
        refused(world, Forbidden, call)


# -- payment, start, complete --------------------------------------------------------------


def test_payment_received_confirms_the_enrolment(world: World) -> None:
    enrolment = seated(world, world.child)
    confirmed = service(world).payment_received(world.actor("front_desk"), enrolment.id)
    assert load(world, confirmed.id).status is S.ENROLLED
    assert load_cohort(world, world.cohort.id).current_enrolments == 1
    [event] = published(world, EnrolmentConfirmed)
    assert (event.enrolment_id, event.family_id) == (enrolment.id, world.family.id)
    assert audit_actions(world, enrolment.id)[-1] == "enrolment.payment_received"


def test_payment_is_only_received_for_a_held_seat(world: World) -> None:
    enrolment = enquiry(world)
    refused(
        world,
        InvalidTransition,
        lambda: service(world).payment_received(admin(world), enrolment.id),
        "payment_received",
    )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_confirm_a_payment(world: World, who: str) -> None:
    enrolment = seated(world)
    call = lambda: service(world).payment_received(world.actor(who), enrolment.id)  # noqa: E731
    if who in ENROLS:
        assert call().status is S.ENROLLED
    else:
        refused(world, Forbidden, call)


def test_start_defaults_to_today_at_the_campus_within_the_cohorts_dates(world: World) -> None:
    enrolment = enrolled(world)
    refused(
        world,
        ValidationError,
        lambda: service(world).start(admin(world), enrolment.id),
        "within the cohort's dates",
    )
    # 14:00 UTC on 8 February is 01:00 on 9 February in Melbourne.
    world.clock.set(datetime(2026, 2, 8, 14, 0, tzinfo=UTC))
    started = service(world).start(world.actor("campus_manager"), enrolment.id)
    assert (started.status, started.start_date) == (S.ACTIVE, date(2026, 2, 9))
    assert audit_actions(world, enrolment.id)[-1] == "enrolment.start"


def test_start_is_refused_outside_the_cohort_or_from_another_status(world: World) -> None:
    enrolment = enrolled(world)
    for day in (date(2026, 2, 1), date(2026, 2, 24)):
        refused(
            world,
            ValidationError,
            lambda d=day: service(world).start(admin(world), enrolment.id, on=d),
        )
    pending = seated(world)
    refused(
        world,
        InvalidTransition,
        lambda: service(world).start(admin(world), pending.id, on=date(2026, 2, 2)),
        "start",
    )


def test_complete_releases_the_seat_without_offering_it(world: World) -> None:
    students = [active(world) for _ in range(3)]
    waiting = seated(world)
    refused(
        world,
        ValidationError,
        lambda: service(world).complete(admin(world), students[0].id, on=date(2026, 2, 22)),
        "withdraw the student instead",
    )
    done = service(world).complete(admin(world), students[0].id, on=date(2026, 2, 23))
    assert (done.status, done.end_date) == (S.COMPLETED, date(2026, 2, 23))
    assert load_cohort(world, world.cohort.id).current_enrolments == 2
    assert load(world, waiting.id).is_waitlist
    assert seat_holders(world, world.cohort.id) == 2
    refused(
        world,
        InvalidTransition,
        lambda: service(world).complete(admin(world), done.id, on=date(2026, 2, 24)),
    )


def test_complete_defaults_to_today(world: World) -> None:
    enrolment = active(world)
    world.clock.set(datetime(2026, 2, 24, 1, 0, tzinfo=UTC))
    assert service(world).complete(admin(world), enrolment.id).end_date == date(2026, 2, 24)


@pytest.mark.parametrize("who", ROLES)
def test_who_may_start_and_complete(world: World, who: str) -> None:
    first, second = enrolled(world), active(world)
    start = lambda: service(world).start(world.actor(who), first.id, on=date(2026, 2, 2))  # noqa: E731
    complete = lambda: service(world).complete(  # noqa: E731
        world.actor(who), second.id, on=date(2026, 2, 23)
    )
    if who in ENROLS:
        assert start().status is S.ACTIVE
        assert complete().status is S.COMPLETED
    else:
        refused(world, Forbidden, start)
        refused(world, Forbidden, complete)


# -- withdrawal ----------------------------------------------------------------------------


def test_dropping_a_seat_holder_offers_the_seat_to_the_first_waiting(world: World) -> None:
    holders = [seated(world) for _ in range(3)]
    first, second, third = (seated(world) for _ in range(3))

    dropped = service(world).drop(
        world.actor("campus_manager"), holders[1].id, on=TODAY, reason="Moving interstate"
    )

    assert (dropped.status, dropped.withdrawal_date, dropped.withdrawal_reason) == (
        S.DROPPED,
        TODAY,
        "Moving interstate",
    )
    offered = load(world, first.id)
    assert offered.status is S.PENDING_PAYMENT
    assert not offered.is_waitlist
    assert offered.offer_expires_at == world.clock.now() + timedelta(hours=48)
    assert waitlist(world, world.cohort.id) == [(second.id, 1), (third.id, 2)]
    cohort = load_cohort(world, world.cohort.id)
    assert cohort.current_enrolments == 3 == seat_holders(world, world.cohort.id)
    assert cohort.status is m.CohortStatus.FULL
    [offer] = published(world, SeatOffered)
    assert (offer.enrolment_id, offer.family_id, offer.expires_at) == (
        first.id,
        world.family.id,
        offered.offer_expires_at,
    )
    assert published(world, EnrolmentAwaitingPayment)[-1].enrolment_id == first.id
    assert audit_actions(world, holders[1].id)[-1] == "enrolment.drop"
    assert audit_actions(world, first.id)[-1] == "enrolment.offer_seat"
    assert audit_actions(world, third.id)[-1] == "enrolment.waitlist_move"


def test_dropping_with_an_empty_waitlist_opens_the_cohort(world: World) -> None:
    holders = [seated(world) for _ in range(3)]
    service(world).drop(admin(world), holders[0].id, on=TODAY, reason="Illness")
    cohort = load_cohort(world, world.cohort.id)
    assert (cohort.current_enrolments, cohort.status) == (2, m.CohortStatus.OPEN)


def test_dropping_a_waiting_enrolment_moves_the_others_up(world: World) -> None:
    for _ in range(3):
        seated(world)
    first, second, third = (seated(world) for _ in range(3))
    service(world).drop(admin(world), first.id, on=TODAY, reason="Found another class")
    assert waitlist(world, world.cohort.id) == [(second.id, 1), (third.id, 2)]
    assert load_cohort(world, world.cohort.id).current_enrolments == 3
    assert not load(world, first.id).is_waitlist


def test_a_drop_needs_a_reason_and_a_live_enrolment(world: World) -> None:
    enrolment = seated(world)
    error = refused(
        world,
        ValidationError,
        lambda: service(world).drop(admin(world), enrolment.id, on=TODAY, reason="  "),
    )
    assert isinstance(error, ValidationError)
    assert error.field == "Enrolment.withdrawal_reason"
    service(world).drop(admin(world), enrolment.id, on=TODAY, reason="Cost")
    refused(
        world,
        InvalidTransition,
        lambda: service(world).drop(admin(world), enrolment.id, on=TODAY, reason="Again"),
        "dropped",
    )
    refused(
        world,
        NotFound,
        lambda: service(world).drop(admin(world), uuid4(), on=TODAY, reason="Cost"),
    )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_withdraw_a_student(world: World, who: str) -> None:
    enrolment = seated(world)
    call = lambda: service(world).drop(world.actor(who), enrolment.id, on=TODAY, reason="Cost")  # noqa: E731
    if who in ("super_admin", "campus_manager"):
        assert call().status is S.DROPPED
    else:
        refused(world, Forbidden, call)


def test_front_desk_withdraws_with_a_managers_approval(world: World) -> None:
    enrolment = seated(world)
    desk = world.actor("front_desk")
    for approver in ("other_manager", "front_desk", "lead_instructor"):
        refused(
            world,
            Forbidden,
            lambda a=approver: service(world).drop(
                desk, enrolment.id, on=TODAY, reason="Cost", approver=world.actor(a)
            ),
        )
    dropped = service(world).drop(
        desk, enrolment.id, on=TODAY, reason="Cost", approver=world.actor("campus_manager")
    )
    assert dropped.status is S.DROPPED
    entry = audit_entries(world, enrolment.id)[-1]
    assert entry.actor_staff_id == world.staff["front_desk"].id
    assert entry.changes["approved_by_staff_id"] == str(world.staff["campus_manager"].id)


# -- transfer ------------------------------------------------------------------------------


def test_a_transfer_moves_the_student_with_their_tokens_and_frees_the_old_seat(
    world: World,
) -> None:
    target = add_cohort(world, start=date(2026, 2, 4))
    leaving = active(world, world.child)
    others = [seated(world) for _ in range(2)]
    waiting = seated(world)
    with world.uow() as uow:
        enrolment = uow.enrolments.get(leaving.id)
        kept = issue_token(
            uow, enrolment, program_id=world.program.id, reason="Excused", today=TODAY
        )
        spent = issue_token(
            uow, enrolment, program_id=world.program.id, reason="Cancelled", today=TODAY
        )
        spent.redeem(session_id=world.sessions[0].id, at=world.clock.now(), on=TODAY)
        enrolment.makeup_tokens -= 1
        uow.commit()

    moved = service(world).transfer(
        world.actor("campus_manager"), leaving.id, target.id, on=date(2026, 2, 9)
    )

    old, new = load(world, moved.old.id), load(world, moved.new.id)
    assert (old.status, old.transferred_to_id, old.end_date) == (
        S.TRANSFERRED,
        new.id,
        date(2026, 2, 9),
    )
    assert (new.cohort_id, new.student_id) == (target.id, world.child.id)
    assert (new.status, new.start_date) == (S.ACTIVE, date(2026, 2, 9))
    assert (old.makeup_tokens, new.makeup_tokens, moved.carried_tokens) == (0, 1, 1)
    with world.uow() as uow:
        assert uow.makeup_tokens.get(kept.id).enrolment_id == new.id
        assert uow.makeup_tokens.get(spent.id).enrolment_id == old.id
    assert load_cohort(world, target.id).current_enrolments == 1
    # The old seat went to the first waiting.
    assert load(world, waiting.id).status is S.PENDING_PAYMENT
    assert load_cohort(world, world.cohort.id).current_enrolments == 3
    assert seat_holders(world, world.cohort.id) == 3
    assert all(load(world, o.id).holds_seat for o in others)
    assert audit_actions(world, old.id)[-1] == "enrolment.transfer"
    assert audit_actions(world, new.id) == ["enrolment.transfer_in"]
    # No second full invoice: billing adjusts fees on the old enrolment's transfer.
    assert published(world, EnrolmentAwaitingPayment)[-1].enrolment_id == waiting.id
    transfer_event = [
        e for e in published(world, EnrolmentStatusChanged) if e.trigger == "transfer"
    ]
    assert [e.enrolment_id for e in transfer_event] == [old.id]


def test_a_transfer_before_the_target_starts_is_enrolled_until_then(world: World) -> None:
    target = add_cohort(world, start=date(2026, 3, 4))
    leaving = active(world)
    moved = service(world).transfer(admin(world), leaving.id, target.id, on=date(2026, 2, 9))
    assert (moved.new.status, moved.new.start_date) == (S.ENROLLED, None)


def test_a_transfer_into_a_full_cohort_is_refused(world: World) -> None:
    target = add_cohort(world, capacity=1)
    seated(world, cohort=target)
    leaving = active(world)
    refused(
        world,
        Conflict,
        lambda: service(world).transfer(admin(world), leaving.id, target.id, on=date(2026, 2, 9)),
        "is full",
    )


def test_a_transfer_checks_the_target_the_student_and_the_date(world: World) -> None:
    leaving = active(world, world.child)
    target = add_cohort(world)
    # The same cohort.
    refused(
        world,
        ValidationError,
        lambda: service(world).transfer(
            admin(world), leaving.id, world.cohort.id, on=date(2026, 2, 9)
        ),
        "another cohort",
    )
    # Before the enrolment started; after the target ends.
    for day in (date(2026, 2, 1), date(2026, 3, 1)):
        refused(
            world,
            ValidationError,
            lambda d=day: service(world).transfer(admin(world), leaving.id, target.id, on=d),
        )
    # Already enrolled there.
    enquiry(world, world.child, target)
    refused(
        world,
        Conflict,
        lambda: service(world).transfer(admin(world), leaving.id, target.id, on=date(2026, 2, 9)),
        "already enrolled",
    )
    # A draft target.
    draft = add_cohort(world, status=m.CohortStatus.DRAFT)
    refused(
        world,
        Conflict,
        lambda: service(world).transfer(admin(world), leaving.id, draft.id, on=date(2026, 2, 9)),
        "draft",
    )
    # Unknown and other organisation's ids.
    other = other_school(world)
    for enrolment_id, cohort_id in [
        (uuid4(), target.id),
        (leaving.id, uuid4()),
        (leaving.id, other.cohort.id),
        (other.enrolment.id, target.id),
    ]:
        refused(
            world,
            NotFound,
            lambda e=enrolment_id, c=cohort_id: service(world).transfer(
                admin(world), e, c, on=date(2026, 2, 9)
            ),
        )


def test_only_an_active_enrolment_transfers(world: World) -> None:
    pending = seated(world)
    target = add_cohort(world)
    refused(
        world,
        InvalidTransition,
        lambda: service(world).transfer(admin(world), pending.id, target.id, on=date(2026, 2, 9)),
        "transfer",
    )


def test_the_target_programs_age_range_applies_unless_overridden(world: World) -> None:
    teens = m.Program(organisation_id=world.org_id, name="Python Teens", age_min=12, age_max=16)
    world.add(teens)
    target = add_cohort(world, program=teens)
    leaving = active(world, world.child)
    error = refused(
        world,
        ValidationError,
        lambda: service(world).transfer(admin(world), leaving.id, target.id, on=date(2026, 2, 9)),
        "Python Teens",
    )
    assert isinstance(error, ValidationError)
    assert error.field == "Student.date_of_birth"
    moved = service(world).transfer(
        admin(world),
        leaving.id,
        target.id,
        on=date(2026, 2, 9),
        override_age=True,
        override_reason="Advanced coder",
    )
    assert audit_entries(world, moved.old.id)[-1].changes["age_override"]["reason"] == (
        "Advanced coder"
    )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_transfer_within_a_campus(world: World, who: str) -> None:
    target = add_cohort(world)
    leaving = active(world)
    call = lambda: service(world).transfer(  # noqa: E731
        world.actor(who), leaving.id, target.id, on=date(2026, 2, 9)
    )
    if who in ("super_admin", "campus_manager"):
        assert call().new.cohort_id == target.id
    else:
        refused(world, Forbidden, call)


@pytest.mark.parametrize("who", ["campus_manager", "other_manager"])
def test_a_transfer_across_campuses_needs_both(world: World, who: str) -> None:
    target = add_cohort(world, campus=world.other_campus)
    leaving = active(world)
    refused(
        world,
        Forbidden,
        lambda: service(world).transfer(
            world.actor(who), leaving.id, target.id, on=date(2026, 2, 9)
        ),
        "campuses they are assigned to",
    )
    with world.uow() as uow:
        uow.campus_staff.add(
            m.CampusStaff(
                organisation_id=world.org_id,
                campus_id=world.campus.id if who == "other_manager" else world.other_campus.id,
                staff_id=world.staff[who].id,
            )
        )
        uow.commit()
    assert service(world).transfer(
        world.actor(who), leaving.id, target.id, on=date(2026, 2, 9)
    ).new.cohort_id == (target.id)


# -- capacity ------------------------------------------------------------------------------


def test_raising_the_capacity_offers_the_new_seats_in_order(world: World) -> None:
    for _ in range(3):
        seated(world)
    waiting = [seated(world) for _ in range(4)]
    cohort = service(world).change_capacity(world.actor("campus_manager"), world.cohort.id, 5)
    assert (cohort.max_capacity, cohort.current_enrolments, cohort.status) == (
        5,
        5,
        m.CohortStatus.FULL,
    )
    assert [load(world, w.id).status for w in waiting] == [
        S.PENDING_PAYMENT,
        S.PENDING_PAYMENT,
        S.ENQUIRY,
        S.ENQUIRY,
    ]
    assert waitlist(world, world.cohort.id) == [(waiting[2].id, 1), (waiting[3].id, 2)]
    assert [e.enrolment_id for e in published(world, SeatOffered)] == [
        waiting[0].id,
        waiting[1].id,
    ]
    assert audit_actions(world, world.cohort.id) == ["cohort.change_capacity"]


def test_capacity_never_drops_below_the_seat_holders(world: World) -> None:
    for _ in range(2):
        seated(world)
    refused(
        world,
        Conflict,
        lambda: service(world).change_capacity(admin(world), world.cohort.id, 1),
        "2 seat-holders",
    )
    cohort = service(world).change_capacity(admin(world), world.cohort.id, 2)
    assert cohort.status is m.CohortStatus.FULL
    empty = add_cohort(world)
    error = refused(
        world,
        ValidationError,
        lambda: service(world).change_capacity(admin(world), empty.id, 0),
    )
    assert isinstance(error, ValidationError)
    assert error.field == "Cohort.max_capacity"


def test_a_finished_cohorts_capacity_is_fixed(world: World) -> None:
    set_cohort_status(world, world.cohort, "cancel")
    refused(
        world,
        InvalidTransition,
        lambda: service(world).change_capacity(admin(world), world.cohort.id, 5),
        "change capacity",
    )
    other = other_school(world)
    for cohort_id in (uuid4(), other.cohort.id):
        refused(
            world,
            NotFound,
            lambda c=cohort_id: service(world).change_capacity(admin(world), c, 5),
        )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_change_capacity(world: World, who: str) -> None:
    call = lambda: service(world).change_capacity(world.actor(who), world.cohort.id, 6)  # noqa: E731
    if who in ("super_admin", "campus_manager"):
        assert call().max_capacity == 6
    else:
        refused(world, Forbidden, call)


# -- reading -------------------------------------------------------------------------------

#: Who may view the world cohort's roster (VIEW_ROSTER): it is at Werribee, taught by the
#: lead instructor and the teaching assistant.
ROSTER = {"super_admin", "campus_manager", "lead_instructor", "teaching_assistant", "front_desk"}


def names(views: list[Any]) -> list[str]:
    return [view.student_name for view in views]


def test_an_enrolment_is_read_with_its_names(world: World) -> None:
    enrolment = enquiry(world, world.child)
    before = snapshot(world)
    view = service(world).enrolment(admin(world), enrolment.id)
    assert view.enrolment.id == enrolment.id
    assert (view.student_name, view.cohort_name) == ("Kim Nguyen", world.cohort.name)
    assert view.campus_id == world.campus.id
    assert snapshot(world) == before


@pytest.mark.parametrize("who", ROLES)
def test_who_may_read_an_enrolment(world: World, who: str) -> None:
    enrolment = enquiry(world, world.child)
    call = lambda: service(world).enrolment(world.actor(who), enrolment.id)  # noqa: E731
    if who in ROSTER:
        assert call().enrolment.status is S.ENQUIRY
    else:
        refused(world, Forbidden, call)


def two_campuses(world: World) -> tuple[m.Enrolment, m.Enrolment, m.Cohort]:
    """Kim enquires at Werribee (the world's cohort) and at a Geelong cohort."""
    geelong = add_cohort(world, campus=world.other_campus, name="Scratch Basics - Geelong")
    return enquiry(world, world.child), enquiry(world, world.child, geelong), geelong


@pytest.mark.parametrize(
    ("who", "seen"),
    [
        ("super_admin", ["Werribee", "Geelong"]),
        ("campus_manager", ["Werribee"]),
        ("other_manager", ["Geelong"]),
        ("lead_instructor", ["Werribee"]),
        ("other_instructor", []),  # teaches no cohort with enrolments
        ("teaching_assistant", ["Werribee"]),
        ("front_desk", ["Werribee"]),
    ],
)
def test_a_list_without_filters_gives_what_the_reader_may_see(
    world: World, who: str, seen: list[str]
) -> None:
    werribee, geelong, _ = two_campuses(world)
    ids = {"Werribee": werribee.id, "Geelong": geelong.id}
    views = service(world).list_enrolments(world.actor(who)).items
    assert [v.enrolment.id for v in views] == [ids[name] for name in seen]
    # a student filter narrows it the same way
    views = service(world).list_enrolments(world.actor(who), student_id=world.child.id).items
    assert sorted(v.enrolment.id for v in views) == sorted(ids[name] for name in seen)


def test_lists_are_paged_in_order_with_their_total(world: World) -> None:
    werribee, geelong, geelong_cohort = two_campuses(world)
    world.clock.advance(timedelta(minutes=1))
    sibling = enquiry(world, world.sibling)
    world.clock.advance(timedelta(minutes=1))
    smith = enquiry(world, world.other_child, geelong_cohort)
    everything = [v.enrolment.id for v in service(world).list_enrolments(admin(world)).items]
    assert sorted(everything) == sorted([werribee.id, geelong.id, sibling.id, smith.id])

    def page(actor: Actor, **filters: Any) -> tuple[list[UUID], int, int, int]:
        found = service(world).list_enrolments(actor, **filters)
        return [v.enrolment.id for v in found.items], found.total, found.limit, found.offset

    assert page(admin(world), limit=3) == (everything[:3], 4, 3, 0)
    assert page(admin(world), limit=3, offset=3) == (everything[3:], 4, 3, 3)
    assert page(admin(world), offset=4) == ([], 4, 50, 4)
    # each reader pages through what they may see
    assert page(world.actor("other_manager"), limit=1, offset=1) == ([smith.id], 2, 1, 1)
    assert page(world.actor("lead_instructor"), limit=1) == ([werribee.id], 2, 1, 0)
    assert page(world.actor("lead_instructor"), limit=1, offset=1) == ([sibling.id], 2, 1, 1)
    # a cohort's list, a campus's and a student's page the same way
    assert page(admin(world), cohort_id=geelong_cohort.id, limit=1, offset=1) == (
        [smith.id],
        2,
        1,
        1,
    )
    assert page(admin(world), campus_id=world.campus.id, limit=1) == ([werribee.id], 2, 1, 0)
    kim = page(admin(world), student_id=world.child.id, limit=1, offset=1)
    assert kim[1:] == (2, 1, 1)
    assert kim[0] in ([werribee.id], [geelong.id])
    error = refused(
        world, ValidationError, lambda: service(world).list_enrolments(admin(world), limit=0)
    )
    assert isinstance(error, ValidationError)
    assert error.field == "limit"
    error = refused(
        world, ValidationError, lambda: service(world).list_enrolments(admin(world), offset=-1)
    )
    assert isinstance(error, ValidationError)
    assert error.field == "offset"


def test_a_cohort_list_is_in_arrival_order_and_filters_statuses(world: World) -> None:
    first = seated(world, world.child)
    world.clock.advance(timedelta(minutes=1))  # arrival order: by the clock
    second = enquiry(world, world.sibling)
    world.clock.advance(timedelta(minutes=1))
    third = enquiry(world, world.other_child)
    assert names(service(world).list_enrolments(admin(world), cohort_id=world.cohort.id).items) == [
        "Kim Nguyen",
        "An Nguyen",
        "Alex Smith",
    ]
    enquiries = (
        service(world)
        .list_enrolments(admin(world), cohort_id=world.cohort.id, statuses=[S.ENQUIRY])
        .items
    )
    assert [v.enrolment.id for v in enquiries] == [second.id, third.id]
    both = (
        service(world)
        .list_enrolments(
            admin(world), statuses=[S.ENQUIRY, S.PENDING_PAYMENT], student_id=world.child.id
        )
        .items
    )
    assert [v.enrolment.id for v in both] == [first.id]


def test_a_named_cohort_or_campus_outside_the_readers_scope_is_refused(world: World) -> None:
    _, geelong_enrolment, geelong = two_campuses(world)
    manager = world.actor("campus_manager")
    refused(world, Forbidden, lambda: service(world).list_enrolments(manager, cohort_id=geelong.id))
    refused(
        world,
        Forbidden,
        lambda: service(world).list_enrolments(manager, campus_id=world.other_campus.id),
    )
    refused(
        world,
        Forbidden,
        lambda: service(world).list_enrolments(
            world.actor("lead_instructor"), cohort_id=geelong.id
        ),
    )
    other = world.actor("other_manager")
    views = service(world).list_enrolments(other, campus_id=world.other_campus.id).items
    assert [v.enrolment.id for v in views] == [geelong_enrolment.id]
    # an instructor's campus list keeps the cohorts they teach there
    lead = world.actor("lead_instructor")
    assert names(service(world).list_enrolments(lead, campus_id=world.campus.id).items) == [
        "Kim Nguyen"
    ]
    assert service(world).list_enrolments(lead, campus_id=world.other_campus.id).items == ()


def test_filters_combine(world: World) -> None:
    werribee, geelong, geelong_cohort = two_campuses(world)
    admin_ = admin(world)
    by_campus = (
        service(world)
        .list_enrolments(admin_, campus_id=world.other_campus.id, student_id=world.child.id)
        .items
    )
    assert [v.enrolment.id for v in by_campus] == [geelong.id]
    mismatch = (
        service(world)
        .list_enrolments(admin_, cohort_id=geelong_cohort.id, campus_id=world.campus.id)
        .items
    )
    assert mismatch == ()
    by_cohort = (
        service(world)
        .list_enrolments(admin_, cohort_id=world.cohort.id, student_id=world.child.id)
        .items
    )
    assert [v.enrolment.id for v in by_cohort] == [werribee.id]
    assert service(world).list_enrolments(admin_, student_id=world.sibling.id).items == ()


def test_lists_of_unknown_or_foreign_ids_are_not_found(world: World) -> None:
    other = other_school(world)
    admin_ = admin(world)
    for call in (
        lambda: service(world).list_enrolments(admin_, cohort_id=other.cohort.id),
        lambda: service(world).list_enrolments(admin_, campus_id=uuid4()),
        lambda: service(world).list_enrolments(admin_, student_id=other.student.id),
        lambda: service(world).enrolment(admin_, other.enrolment.id),
        lambda: service(world).waitlist(admin_, other.cohort.id),
        lambda: service(world).offers(admin_, uuid4()),
    ):
        refused(world, NotFound, call)
    assert service(world).list_enrolments(admin_).items == ()


def test_the_waitlist_in_order_and_the_open_offers(world: World) -> None:
    holders = [seated(world) for _ in range(3)]  # the cohort (3 seats) is full
    waiting = [seated(world) for _ in range(3)]
    ids = lambda views: [v.enrolment.id for v in views]  # noqa: E731
    assert ids(service(world).waitlist(admin(world), world.cohort.id)) == [e.id for e in waiting]
    assert service(world).offers(admin(world), world.cohort.id) == []
    for holder in holders[:2]:
        service(world).drop(admin(world), holder.id, on=TODAY, reason="moved away")
        world.clock.advance(timedelta(minutes=1))  # the next offer ends later
    offers = service(world).offers(admin(world), world.cohort.id)
    assert ids(offers) == [waiting[0].id, waiting[1].id]
    assert all(v.enrolment.offer_expires_at is not None for v in offers)
    rest = service(world).waitlist(admin(world), world.cohort.id)
    assert ids(rest) == [waiting[2].id]
    assert rest[0].enrolment.waitlist_position == 1
    # a paid offer is no longer an open offer
    service(world).payment_received(admin(world), waiting[0].id)
    assert ids(service(world).offers(admin(world), world.cohort.id)) == [waiting[1].id]


@pytest.mark.parametrize("who", ROLES)
def test_who_may_read_the_waitlist_and_offers(world: World, who: str) -> None:
    for read in (service(world).waitlist, service(world).offers):
        call = lambda r=read: r(world.actor(who), world.cohort.id)  # noqa: E731
        if who in ROSTER:
            assert call() == []
        else:
            refused(world, Forbidden, call)
