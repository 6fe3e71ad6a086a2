"""The waitlist: arrival order, seat offers, offers that lapse (the nightly ``lapse_offers``),
and the seat arithmetic of rocket_core.services.waitlist."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import attrs
import pytest
from tests.unit.services.conftest import TODAY, World
from tests.unit.services.helpers import add_cohort
from tests.unit.services.test_enrolment import (
    admin,
    audit_entries,
    enquiry,
    load,
    load_cohort,
    published,
    seat_holders,
    seated,
    service,
    set_cohort_status,
    waitlist,
)

from rocket_core import model as m
from rocket_core.errors import Conflict
from rocket_core.events import OfferLapsed, SeatOffered
from rocket_core.model import EnrolmentStatus as S
from rocket_core.services import waitlist as w
from rocket_core.services.makeup import issue_token


def full_with_waitlist(
    world: World, waiting: int = 3
) -> tuple[list[m.Enrolment], list[m.Enrolment]]:
    holders = [seated(world) for _ in range(3)]
    return holders, [seated(world) for _ in range(waiting)]


def offer_first(world: World) -> tuple[list[m.Enrolment], list[m.Enrolment]]:
    """Fill the cohort, queue three, and free a seat: the first waiting gets an offer."""
    holders, queue = full_with_waitlist(world)
    service(world).drop(admin(world), holders[0].id, on=TODAY, reason="Moving away")
    assert load(world, queue[0].id).status is S.PENDING_PAYMENT
    return holders, queue


# -- arrival order -------------------------------------------------------------------------


def test_the_waitlist_keeps_arrival_order_through_drops_and_offers(world: World) -> None:
    holders, queue = full_with_waitlist(world, waiting=5)
    service(world).drop(admin(world), queue[2].id, on=TODAY, reason="Other class")
    assert waitlist(world, world.cohort.id) == [
        (queue[0].id, 1),
        (queue[1].id, 2),
        (queue[3].id, 3),
        (queue[4].id, 4),
    ]
    late = seated(world)
    assert load(world, late.id).waitlist_position == 5
    service(world).drop(admin(world), holders[2].id, on=TODAY, reason="Cost")
    assert load(world, queue[0].id).status is S.PENDING_PAYMENT
    assert waitlist(world, world.cohort.id) == [
        (queue[1].id, 1),
        (queue[3].id, 2),
        (queue[4].id, 3),
        (late.id, 4),
    ]


def test_a_waitlisted_trial_is_converted_by_its_offer(world: World) -> None:
    trial = enquiry(world)
    service(world).book_trial(admin(world), trial.id, world.sessions[1].id)
    holders = [seated(world) for _ in range(3)]
    waiting = service(world).convert_trial(admin(world), trial.id)
    assert (waiting.status, waiting.waitlist_position) == (S.TRIAL, 1)
    service(world).drop(admin(world), holders[0].id, on=TODAY, reason="Cost")
    offered = load(world, trial.id)
    assert (offered.status, offered.is_trial, offered.is_waitlist) == (
        S.PENDING_PAYMENT,
        True,
        False,
    )


def test_the_offer_lasts_the_organisations_setting(world: World) -> None:
    with world.uow() as uow:
        organisation = uow.organisations.current()
        organisation.update(settings=attrs.evolve(organisation.settings, waitlist_offer_hours=24))
        uow.commit()
    _, queue = offer_first(world)
    assert load(world, queue[0].id).offer_expires_at == world.clock.now() + timedelta(hours=24)


# -- lapsing offers ------------------------------------------------------------------------


def test_an_unpaid_offer_lapses_and_the_seat_passes_to_the_next(world: World) -> None:
    _, queue = offer_first(world)
    deadline = load(world, queue[0].id).offer_expires_at
    assert deadline is not None

    world.clock.set(deadline - timedelta(seconds=1))
    assert service(world).lapse_offers(world.org_id).lapsed == ()
    assert load(world, queue[0].id).status is S.PENDING_PAYMENT

    world.clock.set(deadline)
    run = service(world).lapse_offers(world.org_id)

    assert [e.id for e in run.lapsed] == [queue[0].id]
    assert [e.id for e in run.offered] == [queue[1].id]
    lapsed = load(world, queue[0].id)
    assert (lapsed.status, lapsed.withdrawal_reason) == (S.DROPPED, "waitlist offer lapsed")
    # 9:00 UTC on 21 January is 20:00 in Melbourne, the same day.
    assert lapsed.withdrawal_date == date(2026, 1, 21)
    following = load(world, queue[1].id)
    assert following.status is S.PENDING_PAYMENT
    assert following.offer_expires_at == deadline + timedelta(hours=48)
    assert waitlist(world, world.cohort.id) == [(queue[2].id, 1)]
    cohort = load_cohort(world, world.cohort.id)
    assert cohort.current_enrolments == 3 == seat_holders(world, world.cohort.id)
    [event] = published(world, OfferLapsed)
    assert (event.enrolment_id, event.family_id, event.cohort_id) == (
        queue[0].id,
        world.family.id,
        world.cohort.id,
    )
    assert published(world, SeatOffered)[-1].enrolment_id == queue[1].id
    entry = audit_entries(world, queue[0].id)[-1]
    assert (entry.action, entry.actor_staff_id) == ("enrolment.offer_lapsed", None)
    assert audit_entries(world, queue[1].id)[-1].actor_staff_id is None


def test_lapse_offers_takes_the_time_it_is_given(world: World) -> None:
    _, queue = offer_first(world)
    later = world.clock.now() + timedelta(hours=49)
    run = service(world).lapse_offers(world.org_id, later)
    assert [e.id for e in run.lapsed] == [queue[0].id]
    assert load(world, queue[1].id).offer_expires_at == later + timedelta(hours=48)


def test_a_lapsed_offer_with_nobody_waiting_opens_the_cohort(world: World) -> None:
    holders, queue = full_with_waitlist(world, waiting=1)
    service(world).drop(admin(world), holders[0].id, on=TODAY, reason="Cost")
    world.clock.advance(timedelta(hours=48))
    run = service(world).lapse_offers(world.org_id)
    assert ([e.id for e in run.lapsed], run.offered) == ([queue[0].id], ())
    cohort = load_cohort(world, world.cohort.id)
    assert (cohort.current_enrolments, cohort.status) == (2, m.CohortStatus.OPEN)


def test_a_paid_offer_never_lapses_and_late_payment_is_accepted(world: World) -> None:
    _, queue = offer_first(world)
    world.clock.advance(timedelta(hours=50))
    # The deadline passed but the nightly job has not run: the seat is still held.
    paid = service(world).payment_received(admin(world), queue[0].id)
    assert (paid.status, paid.offer_expires_at) == (S.ENROLLED, None)
    assert service(world).lapse_offers(world.org_id).lapsed == ()
    assert load(world, queue[0].id).status is S.ENROLLED


def test_offers_in_several_cohorts_lapse_in_one_run(world: World) -> None:
    _, queue = offer_first(world)
    other = add_cohort(world, capacity=1)
    holder = seated(world, cohort=other)
    waiting = seated(world, cohort=other)
    service(world).drop(admin(world), holder.id, on=TODAY, reason="Cost")
    world.clock.advance(timedelta(hours=48))
    run = service(world).lapse_offers(world.org_id)
    assert {e.id for e in run.lapsed} == {queue[0].id, waiting.id}
    assert [e.id for e in run.offered] == [queue[1].id]
    assert load_cohort(world, other.id).current_enrolments == 0


def test_a_cancelled_cohorts_lapsed_offer_frees_the_seat_for_nobody(world: World) -> None:
    _, queue = offer_first(world)
    set_cohort_status(world, world.cohort, "cancel")
    world.clock.advance(timedelta(hours=48))
    run = service(world).lapse_offers(world.org_id)
    assert ([e.id for e in run.lapsed], run.offered) == ([queue[0].id], ())
    assert load(world, queue[1].id).waitlist_position == 1
    assert load_cohort(world, world.cohort.id).current_enrolments == 2


def test_lapse_offers_with_nothing_due_writes_nothing(world: World) -> None:
    offer_first(world)
    entries = len(world.store.tables[m.AuditEntry])
    assert service(world).lapse_offers(world.org_id).lapsed == ()
    assert len(world.store.tables[m.AuditEntry]) == entries


def test_lapse_offers_of_an_organisation_leaves_the_others_alone(world: World) -> None:
    _, queue = offer_first(world)
    world.clock.advance(timedelta(hours=48))
    other_org = m.Organisation(name="Elsewhere Academy")
    with world.store.unit_of_work(other_org.id) as uow:
        uow.organisations.add(other_org)
        uow.commit()
    assert service(world).lapse_offers(other_org.id).lapsed == ()
    assert load(world, queue[0].id).status is S.PENDING_PAYMENT


# -- the seat arithmetic -------------------------------------------------------------------


def test_join_waitlist_goes_after_the_last_position(world: World) -> None:
    holders, queue = full_with_waitlist(world, waiting=2)
    newcomer = enquiry(world)
    with world.uow() as uow:
        cohort = uow.cohorts.get_for_update(world.cohort.id)
        uow.enrolments.get(queue[0].id).move_in_waitlist(7)  # a gap, as if mid-renumbering
        assert w.join_waitlist(uow, cohort, uow.enrolments.get(newcomer.id)) == 8
        moves = w.renumber(uow, cohort.id)
        assert [(mv.from_position, mv.to_position) for mv in moves] == [(2, 1), (7, 2), (8, 3)]
        assert [e.id for e in uow.enrolments.waitlist(cohort.id)] == [
            queue[1].id,
            queue[0].id,
            newcomer.id,
        ]
    assert len(holders) == 3


def test_no_offer_is_made_by_a_cohort_that_takes_no_enrolments(world: World) -> None:
    full_with_waitlist(world, waiting=1)
    with world.uow() as uow:
        cohort = uow.cohorts.get_for_update(world.cohort.id)
        cohort.change_capacity(4)
        cohort.cancel()
        assert w.offer_free_seats(uow, cohort, now=world.clock.now()) == w.SeatChanges()
        with pytest.raises(Conflict, match="does not take enrolments"):
            w.require_accepting(cohort)


def test_a_sessions_free_chairs_count_trial_and_makeup_visitors(world: World) -> None:
    seated(world)
    trial = enquiry(world)
    service(world).book_trial(admin(world), trial.id, world.sessions[1].id)
    elsewhere = add_cohort(world)
    visitor = seated(world, cohort=elsewhere)
    with world.uow() as uow:
        enrolment = uow.enrolments.get(visitor.id)
        token = issue_token(
            uow, enrolment, program_id=world.program.id, reason="Excused", today=TODAY
        )
        token.redeem(session_id=world.sessions[1].id, at=world.clock.now(), on=TODAY)
        uow.commit()
    with world.uow() as uow:
        cohort = uow.cohorts.get(world.cohort.id)
        # 3 seats - 1 seat-holder - 1 trial - 1 makeup visitor.
        assert w.places_free_at(uow, cohort, uow.sessions.get(world.sessions[1].id)) == 0
        assert w.places_free_at(uow, cohort, uow.sessions.get(world.sessions[2].id)) == 2
        assert cohort.seats_free == 2


def test_lapse_offer_refuses_an_offer_still_running(world: World) -> None:
    _, queue = offer_first(world)
    with world.uow() as uow:
        cohort = uow.cohorts.get_for_update(world.cohort.id)
        with pytest.raises(Conflict, match="no offer that lapsed"):
            w.lapse_offer(uow, cohort, uow.enrolments.get(queue[0].id), now=world.clock.now())


def test_offers_expire_at_the_instant_not_the_campus_day(world: World) -> None:
    world.clock.set(datetime(2026, 1, 19, 23, 30, tzinfo=UTC))
    _, queue = offer_first(world)
    assert load(world, queue[0].id).offer_expires_at == datetime(2026, 1, 21, 23, 30, tzinfo=UTC)
