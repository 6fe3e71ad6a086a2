"""Makeup tokens: issued (``issue_token``), redeemed at a session of another cohort of the same
program with a free chair, expired by the nightly job.

The student learns in a Wednesday cohort ("home") of Scratch Basics and makes up a class at the
world's Monday cohort (the host), taught by the world's lead instructor and assistant.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import attrs
import pytest
from tests.unit.services.conftest import TODAY, World
from tests.unit.services.helpers import ROLES, sessions_of, snapshot
from tests.unit.services.test_enrolment import (
    active,
    add_cohort,
    add_student,
    admin,
    audit_entries,
    enquiry,
    load,
    load_cohort,
    other_school,
    refused,
    seated,
    service,
)

from rocket_core import model as m
from rocket_core.errors import Conflict, Forbidden, NotFound, ValidationError
from rocket_core.events import MakeupTokenIssued
from rocket_core.services.makeup import MakeupService, MakeupVisit, issue_token


def makeups(world: World) -> MakeupService:
    return MakeupService(world.make_uow, world.clock, world.bus)


@attrs.define
class Home:
    cohort: m.Cohort
    student: m.Student
    enrolment: m.Enrolment


def home(world: World) -> Home:
    cohort = add_cohort(world, name="Scratch Basics - Term 1 Wed")
    student = add_student(world)
    return Home(cohort, student, active(world, student, cohort))


def token_for(
    world: World,
    enrolment_id: UUID,
    *,
    today: date = TODAY,
    program_id: UUID | None = None,
    reason: str = "Excused absence",
) -> m.MakeupToken:
    with world.uow() as uow:
        token = issue_token(
            uow,
            uow.enrolments.get(enrolment_id),
            program_id=program_id or world.program.id,
            reason=reason,
            today=today,
        )
        uow.commit()
    return token


def token(world: World, token_id: UUID) -> m.MakeupToken:
    with world.uow() as uow:
        return uow.makeup_tokens.get(token_id)


HOST_SESSION = 1  # world.sessions[1]: Monday 9 February 2026


def redeem(world: World, h: Home, *, who: str = "super_admin", **options: Any) -> MakeupVisit:
    return makeups(world).redeem(
        world.actor(who), h.student.id, world.sessions[HOST_SESSION].id, **options
    )


# -- issue ---------------------------------------------------------------------------------


def test_issue_token_counts_it_on_the_enrolment(world: World) -> None:
    h = home(world)
    issued = token_for(world, h.enrolment.id)
    assert (issued.issued_on, issued.expires_on) == (TODAY, TODAY + timedelta(days=90))
    assert issued.status is m.MakeupTokenStatus.AVAILABLE
    assert load(world, h.enrolment.id).makeup_tokens == 1
    assert token(world, issued.id).program_id == world.program.id


# -- redeem --------------------------------------------------------------------------------


def test_a_token_buys_a_makeup_at_another_cohort_of_the_program(world: World) -> None:
    h = home(world)
    issued = token_for(world, h.enrolment.id)
    seats_before = load_cohort(world, world.cohort.id).current_enrolments

    visit = makeups(world).redeem(
        world.actor("lead_instructor"), h.student.id, world.sessions[HOST_SESSION].id
    )

    attendance = visit.attendance
    assert attendance.status is m.AttendanceStatus.MAKEUP
    assert (attendance.session_id, attendance.student_id, attendance.enrolment_id) == (
        world.sessions[HOST_SESSION].id,
        h.student.id,
        h.enrolment.id,
    )
    assert attendance.recorded_by_staff_id == world.staff["lead_instructor"].id
    assert attendance.recorded_at == world.clock.now()
    spent = token(world, issued.id)
    assert (spent.status, spent.redeemed_session_id, spent.redeemed_at) == (
        m.MakeupTokenStatus.REDEEMED,
        world.sessions[HOST_SESSION].id,
        world.clock.now(),
    )
    assert load(world, h.enrolment.id).makeup_tokens == 0
    with world.uow() as uow:
        assert uow.attendance.find_for(world.sessions[HOST_SESSION].id, h.student.id) is not None
    # A visitor takes a chair for one session, never a seat.
    assert load_cohort(world, world.cohort.id).current_enrolments == seats_before
    assert [e.action for e in audit_entries(world, issued.id)] == ["makeup_token.redeem"]
    assert [e.action for e in audit_entries(world, attendance.id)] == ["attendance.makeup"]


def test_the_token_that_expires_first_is_used(world: World) -> None:
    h = home(world)
    later = token_for(world, h.enrolment.id, today=TODAY)
    sooner = token_for(world, h.enrolment.id, today=TODAY - timedelta(days=10))
    assert redeem(world, h).token.id == sooner.id
    assert token(world, later.id).status is m.MakeupTokenStatus.AVAILABLE
    assert load(world, h.enrolment.id).makeup_tokens == 1


def test_a_named_token_is_used(world: World) -> None:
    h = home(world)
    token_for(world, h.enrolment.id, today=TODAY - timedelta(days=10))
    chosen = token_for(world, h.enrolment.id)
    assert redeem(world, h, token_id=chosen.id).token.id == chosen.id


def test_the_token_must_be_the_students_and_of_the_hosts_program(world: World) -> None:
    h = home(world)
    theirs = token_for(world, active(world, cohort=add_cohort(world)).id)
    error = refused(world, ValidationError, lambda: redeem(world, h, token_id=theirs.id))
    assert isinstance(error, ValidationError)
    assert error.field == "MakeupToken.student_id"

    python = m.Program(organisation_id=world.org_id, name="Python")
    world.add(python)
    other_program = token_for(world, h.enrolment.id, program_id=python.id)
    error = refused(world, ValidationError, lambda: redeem(world, h, token_id=other_program.id))
    assert isinstance(error, ValidationError)
    assert error.field == "MakeupToken.program_id"
    refused(world, Conflict, lambda: redeem(world, h), "no makeup token usable")


def test_a_makeup_is_at_another_cohort_than_the_students_own(world: World) -> None:
    h = home(world)
    token_for(world, h.enrolment.id)
    own_session = world.sessions[HOST_SESSION]
    with world.uow() as uow:
        own_session = uow.sessions.list_for_cohort(h.cohort.id)[1]
    error = refused(
        world,
        ValidationError,
        lambda: makeups(world).redeem(admin(world), h.student.id, own_session.id),
        "another cohort",
    )
    assert isinstance(error, ValidationError)
    assert error.field == "Attendance.session_id"
    # Nor at a cohort where the student also has a live enrolment.
    enquiry(world, h.student, world.cohort)
    refused(world, ValidationError, lambda: redeem(world, h), "another cohort")


def test_a_makeup_needs_a_free_chair_and_visitors_take_chairs(world: World) -> None:
    h = home(world)
    token_for(world, h.enrolment.id)
    holders = [seated(world) for _ in range(2)]
    earlier = home(world)
    token_for(world, earlier.enrolment.id)
    redeem(world, earlier)  # the last chair at the session
    refused(world, Conflict, lambda: redeem(world, h), "no free seat")
    # Another session of the host still has a chair.
    other_session = world.sessions[HOST_SESSION + 1]
    visit = makeups(world).redeem(admin(world), h.student.id, other_session.id)
    assert visit.attendance.session_id == other_session.id
    assert len(holders) == 2


def test_a_full_cohort_has_no_chair_for_a_visitor(world: World) -> None:
    h = home(world)
    token_for(world, h.enrolment.id)
    for _ in range(3):
        seated(world)
    refused(world, Conflict, lambda: redeem(world, h), "no free seat")


def test_no_makeup_at_a_cancelled_session(world: World) -> None:
    h = home(world)
    token_for(world, h.enrolment.id)
    with world.uow() as uow:
        uow.sessions.get(world.sessions[HOST_SESSION].id).cancel("Heatwave")
        uow.commit()
    refused(world, Conflict, lambda: redeem(world, h), "cancelled")


def test_the_token_must_be_valid_on_the_sessions_date(world: World) -> None:
    h = home(world)
    stale = token_for(world, h.enrolment.id, today=date(2025, 10, 1))  # expires 30 December
    refused(world, Conflict, lambda: redeem(world, h, token_id=stale.id), "expired")
    refused(world, Conflict, lambda: redeem(world, h), "no makeup token usable")
    future = token_for(world, h.enrolment.id, today=date(2026, 2, 10))
    refused(
        world,
        ValidationError,
        lambda: redeem(world, h, token_id=future.id),
        "before it was issued",
    )
    spent = token_for(world, h.enrolment.id)
    redeem(world, h, token_id=spent.id)
    refused(
        world,
        Conflict,
        lambda: makeups(world).redeem(
            admin(world), h.student.id, world.sessions[HOST_SESSION + 1].id, token_id=spent.id
        ),
        "redeemed",
    )


def test_one_mark_per_student_and_session(world: World) -> None:
    h = home(world)
    token_for(world, h.enrolment.id)
    token_for(world, h.enrolment.id)
    redeem(world, h)
    refused(world, Conflict, lambda: redeem(world, h), "already has a mark")


def test_a_withdrawn_enrolments_tokens_are_void(world: World) -> None:
    h = home(world)
    issued = token_for(world, h.enrolment.id)
    service(world).drop(admin(world), h.enrolment.id, on=TODAY, reason="Moving")
    refused(world, Conflict, lambda: redeem(world, h, token_id=issued.id), "withdrawn")
    refused(world, Conflict, lambda: redeem(world, h), "no makeup token usable")


def test_a_deactivated_student_takes_no_makeup(world: World) -> None:
    h = home(world)
    token_for(world, h.enrolment.id)
    with world.uow() as uow:
        uow.students.get(h.student.id).deactivate()
        uow.commit()
    refused(world, Conflict, lambda: redeem(world, h), "deactivated")


def test_unknown_and_foreign_ids_are_not_found(world: World) -> None:
    h = home(world)
    token_for(world, h.enrolment.id)
    other = other_school(world)
    session_id = world.sessions[HOST_SESSION].id
    for student_id, session, token_id in [
        (uuid4(), session_id, None),
        (h.student.id, uuid4(), None),
        (h.student.id, session_id, uuid4()),
        (other.student.id, session_id, None),
        (h.student.id, other.session.id, None),
    ]:
        refused(
            world,
            NotFound,
            lambda s=student_id, x=session, t=token_id: makeups(world).redeem(
                admin(world), s, x, token_id=t
            ),
        )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_book_a_makeup(world: World, who: str) -> None:
    h = home(world)
    token_for(world, h.enrolment.id)
    call = lambda: redeem(world, h, who=who)  # noqa: E731
    if who in ("super_admin", "campus_manager", "lead_instructor"):
        assert call().attendance.status is m.AttendanceStatus.MAKEUP
    else:
        refused(world, Forbidden, call)


# -- expiry --------------------------------------------------------------------------------


def test_the_nightly_job_expires_tokens_past_their_date(world: World) -> None:
    h = home(world)
    old = token_for(world, h.enrolment.id, today=TODAY - timedelta(days=91))
    last_day = token_for(world, h.enrolment.id, today=TODAY - timedelta(days=90))
    fresh = token_for(world, h.enrolment.id)
    assert load(world, h.enrolment.id).makeup_tokens == 3

    expired = makeups(world).expire_tokens(world.org_id, TODAY)

    assert [t.id for t in expired] == [old.id]
    assert token(world, old.id).status is m.MakeupTokenStatus.EXPIRED
    assert token(world, last_day.id).status is m.MakeupTokenStatus.AVAILABLE
    assert token(world, fresh.id).status is m.MakeupTokenStatus.AVAILABLE
    assert load(world, h.enrolment.id).makeup_tokens == 2
    [entry] = audit_entries(world, old.id)
    assert (entry.action, entry.actor_staff_id) == ("makeup_token.expire", None)
    assert makeups(world).expire_tokens(world.org_id, TODAY) == []
    assert [t.id for t in makeups(world).expire_tokens(world.org_id, TODAY + timedelta(1))] == [
        last_day.id
    ]


def test_expiry_of_another_organisation_touches_nothing_here(world: World) -> None:
    h = home(world)
    old = token_for(world, h.enrolment.id, today=TODAY - timedelta(days=100))
    other = other_school(world)
    assert makeups(world).expire_tokens(other.organisation.id, TODAY) == []
    assert token(world, old.id).status is m.MakeupTokenStatus.AVAILABLE


def test_issued_tokens_announce_themselves(world: World) -> None:
    h = home(world)
    with world.uow() as uow:
        issue_token(
            uow,
            uow.enrolments.get(h.enrolment.id),
            program_id=world.program.id,
            reason="Session cancelled",
            today=TODAY,
        )
        uow.commit()
        world.bus.publish(uow.collect_events())
    [event] = [e for e in world.published if isinstance(e, MakeupTokenIssued)]
    assert (event.enrolment_id, event.reason) == (h.enrolment.id, "Session cancelled")


# -- issuing by hand -----------------------------------------------------------------------


def in_world_cohort(world: World) -> m.Enrolment:
    """An active enrolment in the world's Monday cohort (taught by the lead instructor)."""
    return active(world, add_student(world))


def issue(
    world: World, enrolment: m.Enrolment, *, who: str = "super_admin", **options: Any
) -> m.MakeupToken:
    options.setdefault("session_id", world.sessions[0].id)
    options.setdefault("reason", "family holiday")
    return makeups(world).issue(world.actor(who), enrolment.id, **options)


def test_staff_issue_a_token_for_a_session_of_the_enrolments_cohort(world: World) -> None:
    enrolment = in_world_cohort(world)
    issued = issue(world, enrolment, who="lead_instructor")
    assert issued.status is m.MakeupTokenStatus.AVAILABLE
    assert (issued.enrolment_id, issued.student_id) == (enrolment.id, enrolment.student_id)
    assert (issued.source_session_id, issued.program_id) == (world.sessions[0].id, world.program.id)
    assert (issued.issued_on, issued.expires_on) == (TODAY, TODAY + timedelta(days=90))
    assert issued.reason == "family holiday"
    assert load(world, enrolment.id).makeup_tokens == 1
    [entry] = audit_entries(world, issued.id)
    assert (entry.action, entry.actor_staff_id) == (
        "makeup_token.issue",
        world.staff["lead_instructor"].id,
    )
    assert entry.changes["source_session_id"] == str(world.sessions[0].id)
    assert any(isinstance(e, MakeupTokenIssued) for e in world.published)


def test_a_hand_issued_token_is_refused_when_nothing_is_owed(world: World) -> None:
    enrolment = in_world_cohort(world)
    other_cohort = add_cohort(world)
    foreign_session = sessions_of(world, other_cohort)[0]
    error = refused(
        world, ValidationError, lambda: issue(world, enrolment, session_id=foreign_session.id)
    )
    assert isinstance(error, ValidationError)
    assert error.field == "MakeupToken.source_session_id"
    error = refused(world, ValidationError, lambda: issue(world, enrolment, reason="  "))
    assert isinstance(error, ValidationError)
    assert error.field == "MakeupToken.reason"
    issue(world, enrolment)
    refused(world, Conflict, lambda: issue(world, enrolment), "already has a makeup token")
    world.add(
        m.Attendance(
            organisation_id=world.org_id,
            session_id=world.sessions[1].id,
            student_id=enrolment.student_id,
            enrolment_id=enrolment.id,
            status=m.AttendanceStatus.PRESENT,
            recorded_by_staff_id=world.staff["lead_instructor"].id,
            recorded_at=world.clock.now(),
        )
    )
    refused(
        world,
        Conflict,
        lambda: issue(world, enrolment, session_id=world.sessions[1].id),
        "attended",
    )
    waiting = enquiry(world)
    refused(world, Conflict, lambda: issue(world, waiting), "enquiry", "seat-holder")


def test_a_withdrawn_token_does_not_block_a_new_one(world: World) -> None:
    enrolment = in_world_cohort(world)
    first = issue(world, enrolment)
    with world.uow() as uow:
        uow.makeup_tokens.get(first.id).withdraw()
        uow.enrolments.get(enrolment.id).makeup_tokens = 0
        uow.commit()
    assert issue(world, enrolment).id != first.id


def test_issuing_for_unknown_or_foreign_ids_is_not_found(world: World) -> None:
    enrolment = in_world_cohort(world)
    other = other_school(world)
    for enrolment_id, session_id in [
        (uuid4(), world.sessions[0].id),
        (other.enrolment.id, world.sessions[0].id),
        (enrolment.id, uuid4()),
        (enrolment.id, other.session.id),
    ]:
        refused(
            world,
            NotFound,
            lambda e=enrolment_id, s=session_id: makeups(world).issue(
                admin(world), e, session_id=s, reason="sick"
            ),
        )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_issue_a_token(world: World, who: str) -> None:
    enrolment = in_world_cohort(world)
    call = lambda: issue(world, enrolment, who=who)  # noqa: E731
    if who in ("super_admin", "campus_manager", "lead_instructor"):
        assert call().status is m.MakeupTokenStatus.AVAILABLE
    else:
        refused(world, Forbidden, call)


# -- reading tokens ------------------------------------------------------------------------


def test_a_students_tokens_soonest_expiry_first_and_by_status(world: World) -> None:
    h = home(world)
    later = token_for(world, h.enrolment.id, today=TODAY)
    sooner = token_for(world, h.enrolment.id, today=TODAY - timedelta(days=10))
    before = snapshot(world)
    listed = makeups(world).tokens(admin(world), h.student.id)
    assert [t.id for t in listed] == [sooner.id, later.id]
    assert snapshot(world) == before  # reading writes nothing
    redeem(world, h)  # spends the one that expires first
    spent = makeups(world).tokens(admin(world), h.student.id, status=m.MakeupTokenStatus.REDEEMED)
    assert [t.id for t in spent] == [sooner.id]
    available = makeups(world).tokens(
        admin(world), h.student.id, status=m.MakeupTokenStatus.AVAILABLE
    )
    assert [t.id for t in available] == [later.id]


@pytest.mark.parametrize("who", ROLES)
def test_who_may_read_a_students_tokens(world: World, who: str) -> None:
    enrolment = in_world_cohort(world)  # Werribee, taught by the lead and the assistant
    token_for(world, enrolment.id)
    call = lambda: makeups(world).tokens(world.actor(who), enrolment.student_id)  # noqa: E731
    if (
        who in ("super_admin", "campus_manager", "lead_instructor", "teaching_assistant")
        or who == "front_desk"
    ):
        assert len(call()) == 1
    else:
        refused(world, Forbidden, call)


def test_tokens_of_enrolments_outside_the_readers_scope_are_left_out(world: World) -> None:
    geelong = add_cohort(world, campus=world.other_campus, name="Scratch Basics - Geelong")
    student = add_student(world)
    here = active(world, student)
    there = active(world, student, geelong)
    token_for(world, here.id)
    elsewhere_token = token_for(world, there.id)
    assert len(makeups(world).tokens(admin(world), student.id)) == 2
    other = makeups(world).tokens(world.actor("other_manager"), student.id)
    assert [t.id for t in other] == [elsewhere_token.id]
    assert len(makeups(world).tokens(world.actor("campus_manager"), student.id)) == 1


def test_a_student_with_no_enrolment_has_no_tokens_to_show(world: World) -> None:
    assert makeups(world).tokens(admin(world), world.child.id) == []
    refused(
        world, Forbidden, lambda: makeups(world).tokens(world.actor("front_desk"), world.child.id)
    )
    for student_id in (uuid4(), other_school(world).student.id):
        refused(
            world,
            NotFound,
            lambda s=student_id: makeups(world).tokens(admin(world), s),
        )
