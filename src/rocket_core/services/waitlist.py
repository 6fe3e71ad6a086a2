"""Seats and the waitlist of a cohort: the rules the enrolment use cases share.

Every function here runs inside the caller's unit of work, after the caller locked the cohort
with ``uow.cohorts.get_for_update`` (so that counting and changing seats is serialised), and
returns what it changed so that the caller can audit it under its own actor.

Rules (product-rules.md, "Enrolment"):

- Enrolments in pending_payment, enrolled or active hold a seat; ``Cohort.current_enrolments``
  counts them and never exceeds ``max_capacity``.
- A request for a seat in a full cohort joins its waitlist in arrival order: position = last
  position + 1. Positions are always 1..n with no gap (``renumber`` closes gaps).
- When a seat frees (drop, transfer, capacity raised, lapsed offer) it is offered to the first
  waitlisted enrolment: the enrolment moves to pending_payment with an offer that lapses after
  the organisation's ``waitlist_offer_hours``; it takes the seat at once.
- A cohort takes enrolments, seats and offers only while open, full or in progress (a draft is
  not published yet; a completed or cancelled cohort is over).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from rocket_core.errors import Conflict
from rocket_core.events import EnrolmentAwaitingPayment, OfferLapsed, SeatOffered
from rocket_core.model import Cohort, CohortStatus, Enrolment, EnrolmentStatus, Session
from rocket_core.ports import UnitOfWork

#: Cohort statuses that accept enquiries, seats and waitlist offers.
ACCEPTING_STATUSES = frozenset({CohortStatus.OPEN, CohortStatus.FULL, CohortStatus.IN_PROGRESS})

#: The reason recorded on an enrolment whose waitlist offer ran out unpaid.
OFFER_LAPSED_REASON = "waitlist offer lapsed"


@attrs.frozen(kw_only=True)
class WaitlistMove:
    """A waiting enrolment moved up the list (someone ahead of it left)."""

    enrolment: Enrolment
    from_position: int
    to_position: int


@attrs.frozen(kw_only=True)
class SeatChanges:
    """What filling free seats from the waitlist changed: the offers made (in order) and the
    positions renumbered afterwards."""

    offered: tuple[Enrolment, ...] = ()
    moves: tuple[WaitlistMove, ...] = ()


def accepts_enrolments(cohort: Cohort) -> bool:
    """Open, full or in progress: the cohort takes enquiries, seats and offers."""
    return cohort.status in ACCEPTING_STATUSES


def require_accepting(cohort: Cohort) -> None:
    """Conflict unless the cohort takes enrolments (draft, completed and cancelled do not)."""
    if not accepts_enrolments(cohort):
        raise Conflict(
            f"Cohort {cohort.name!r} is {cohort.status.value}: it does not take enrolments"
        )


def family_of(uow: UnitOfWork, enrolment: Enrolment) -> UUID:
    """The family of the enrolment's student (events name it for billing and notices)."""
    return uow.students.get(enrolment.student_id).family_id


def awaiting_payment(uow: UnitOfWork, enrolment: Enrolment) -> EnrolmentAwaitingPayment:
    """The event that asks billing for the invoice of a seat now held (record it)."""
    return EnrolmentAwaitingPayment(
        organisation_id=enrolment.organisation_id,
        enrolment_id=enrolment.id,
        student_id=enrolment.student_id,
        family_id=family_of(uow, enrolment),
        cohort_id=enrolment.cohort_id,
    )


def join_waitlist(uow: UnitOfWork, cohort: Cohort, enrolment: Enrolment) -> int:
    """Put an enquiry or trial at the end of the cohort's waitlist; returns its position."""
    waiting = uow.enrolments.waitlist(cohort.id)
    last = max((e.waitlist_position or 0 for e in waiting), default=0)
    enrolment.join_waitlist(last + 1)
    return last + 1


def renumber(uow: UnitOfWork, cohort_id: UUID) -> tuple[WaitlistMove, ...]:
    """Close the gaps: the cohort's waiting enrolments get positions 1..n, in their order."""
    moves = []
    for position, waiting in enumerate(uow.enrolments.waitlist(cohort_id), start=1):
        before = waiting.waitlist_position
        if before != position:
            waiting.move_in_waitlist(position)
            moves.append(
                WaitlistMove(enrolment=waiting, from_position=before or 0, to_position=position)
            )
    return tuple(moves)


def offer_free_seats(uow: UnitOfWork, cohort: Cohort, *, now: datetime) -> SeatChanges:
    """Offer every free seat to the waitlist, first come first served, then renumber.

    Each offered enrolment moves to pending_payment until ``now`` + the organisation's
    ``waitlist_offer_hours``, takes the seat, and records SeatOffered and
    EnrolmentAwaitingPayment (billing issues the invoice, the family is notified). Nothing
    is offered when the cohort no longer takes enrolments.
    """
    if not accepts_enrolments(cohort):
        return SeatChanges()
    hours = uow.organisations.current().settings.waitlist_offer_hours
    until = now + timedelta(hours=hours)
    offered = []
    for waiting in uow.enrolments.waitlist(cohort.id):
        if cohort.seats_free <= 0:
            break
        waiting.offer_seat(until=until)
        cohort.take_seat()
        family_id = family_of(uow, waiting)
        waiting.record(
            SeatOffered(
                organisation_id=waiting.organisation_id,
                enrolment_id=waiting.id,
                student_id=waiting.student_id,
                family_id=family_id,
                cohort_id=cohort.id,
                expires_at=until,
            )
        )
        waiting.record(awaiting_payment(uow, waiting))
        offered.append(waiting)
    moves = renumber(uow, cohort.id) if offered else ()
    return SeatChanges(offered=tuple(offered), moves=moves)


def release_seat(uow: UnitOfWork, cohort: Cohort, *, now: datetime) -> SeatChanges:
    """A seat-holder left: count one fewer and offer the seat to the waitlist."""
    cohort.release_seat()
    return offer_free_seats(uow, cohort, now=now)


def lapse_offer(uow: UnitOfWork, cohort: Cohort, enrolment: Enrolment, *, now: datetime) -> None:
    """Drop an offer that ran out unpaid (records OfferLapsed) and free its seat; the caller
    then offers the seat on with ``offer_free_seats``."""
    if not enrolment.offer_lapsed(now):
        raise Conflict(f"Enrolment {enrolment.id} has no offer that lapsed by {now.isoformat()}")
    campus = uow.campuses.get(cohort.campus_id)
    # The deadline stays on the dropped enrolment: it says when the offer ran out.
    enrolment.drop(on=now.astimezone(ZoneInfo(campus.timezone)).date(), reason=OFFER_LAPSED_REASON)
    enrolment.record(
        OfferLapsed(
            organisation_id=enrolment.organisation_id,
            enrolment_id=enrolment.id,
            student_id=enrolment.student_id,
            family_id=family_of(uow, enrolment),
            cohort_id=cohort.id,
        )
    )
    cohort.release_seat()


def places_free_at(uow: UnitOfWork, cohort: Cohort, session: Session) -> int:
    """Chairs free at one session of the cohort: its capacity minus its seat-holders, minus
    the visitors already booked into that session (trial students of the cohort who do not
    hold a seat, and makeup visitors from other cohorts). Visitors never change the cohort's
    seat count: they take a chair for that one session only."""
    trials = [
        e
        for e in uow.enrolments.list_trials_for_session(session.id)
        if e.status is EnrolmentStatus.TRIAL
    ]
    makeups = uow.makeup_tokens.list_redeemed_for_session(session.id)
    return cohort.max_capacity - cohort.current_enrolments - len(trials) - len(makeups)
