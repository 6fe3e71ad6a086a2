"""A Hypothesis state machine over the enrolment use cases on the memory adapter.

Rules: enquire, request payment, payment received, start, drop, transfer, change capacity,
let time pass and lapse offers. After every step, for each cohort:

- seat-holders (pending payment, enrolled, active) never exceed ``max_capacity``;
- ``current_enrolments`` equals a recount of the seat-holding enrolments;
- the waitlist is numbered 1..n and keeps arrival order: it is the previous list minus the
  enrolments that left it, followed by newcomers; seats offered went to the front;
- a cohort with a free seat has nobody waiting.

Each rule also checks what the use case should have done (a seat or the waitlist, refused
transfers and capacity changes) and that a refused call wrote nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from tests.unit.services.conftest import TODAY, World, build_world
from tests.unit.services.helpers import add_cohort, snapshot
from tests.unit.services.test_enrolment import add_student

from rocket_core import model as m
from rocket_core.errors import Conflict
from rocket_core.model import EnrolmentStatus as S
from rocket_core.permissions import Actor
from rocket_core.services.enrolment import EnrolmentService

#: A transfer date after both cohorts started and before either ended.
TRANSFER_DAY = date(2026, 2, 9)
pick = st.integers(min_value=0, max_value=10_000)


class EnrolmentJourney(RuleBasedStateMachine):
    """Two cohorts of one program at one campus and eight children."""

    def __init__(self) -> None:
        super().__init__()
        self.world: World = build_world()
        self.service = EnrolmentService(self.world.make_uow, self.world.clock, self.world.bus)
        self.actor: Actor = self.world.actor("super_admin")
        second = add_cohort(self.world, capacity=2, start=date(2026, 2, 4))
        self.cohorts: list[UUID] = [self.world.cohort.id, second.id]
        self.students: list[UUID] = [
            self.world.child.id,
            self.world.sibling.id,
            self.world.other_child.id,
            *(add_student(self.world).id for _ in range(5)),
        ]
        self.queues: dict[UUID, list[UUID]] = {c: [] for c in self.cohorts}
        #: Creation order of the enrolments: ids are random, and choices must replay.
        self.order: dict[UUID, int] = {}

    # -- reading the store ----------------------------------------------------------------

    def enrolments(self, *statuses: S) -> list[m.Enrolment]:
        with self.world.uow() as uow:
            found = [e for c in self.cohorts for e in uow.enrolments.list_for_cohort(c)]
        found.sort(key=lambda e: self.order[e.id])
        return [e for e in found if not statuses or e.status in statuses]

    def cohort(self, cohort_id: UUID) -> m.Cohort:
        with self.world.uow() as uow:
            return uow.cohorts.get(cohort_id)

    def waiting(self, cohort_id: UUID) -> list[UUID]:
        with self.world.uow() as uow:
            return [e.id for e in uow.enrolments.waitlist(cohort_id)]

    def holders(self, cohort_id: UUID) -> int:
        return sum(e.holds_seat and e.cohort_id == cohort_id for e in self.enrolments())

    def refused(self, call: Any) -> None:
        before = snapshot(self.world)
        try:
            call()
        except Conflict:
            assert snapshot(self.world) == before
        else:
            raise AssertionError("the call should have been refused")

    def after(self, before: dict[UUID, list[UUID]], joined: UUID | None = None) -> None:
        """Check arrival order against the lists as they were before the step."""
        for cohort_id, queue in before.items():
            now_waiting = self.waiting(cohort_id)
            left = [e for e in queue if e not in now_waiting]
            new = [e for e in now_waiting if e not in queue]
            assert now_waiting == [e for e in queue if e not in left] + new
            assert new == ([joined] if joined is not None and joined in new else [])
            with self.world.uow() as uow:
                offered = [e for e in left if uow.enrolments.get(e).status is S.PENDING_PAYMENT]
            if offered:
                last = max(queue.index(e) for e in offered)
                assert all(e in left for e in queue[: last + 1]), "offers skipped someone"
            self.queues[cohort_id] = now_waiting

    def lists(self) -> dict[UUID, list[UUID]]:
        return {c: self.waiting(c) for c in self.cohorts}

    # -- rules ----------------------------------------------------------------------------

    @initialize(first=st.integers(min_value=0, max_value=6), second=st.integers(0, 4))
    def crowd(self, first: int, second: int) -> None:
        """Start with children asking for seats in each cohort (queues build quickly)."""
        for cohort_id, count in zip(self.cohorts, (first, second), strict=True):
            for student_id in self.students[:count]:
                enquiry = self.enquire_one(student_id, cohort_id)
                if enquiry is not None:
                    self.request_payment_for(enquiry)

    def enquire_one(self, student_id: UUID, cohort_id: UUID) -> m.Enrolment | None:
        live = any(
            e.is_live and e.student_id == student_id and e.cohort_id == cohort_id
            for e in self.enrolments()
        )
        if live:
            self.refused(lambda: self.service.enquire(self.actor, student_id, cohort_id))
            return None
        created = self.service.enquire(self.actor, student_id, cohort_id)
        self.order[created.id] = len(self.order)
        assert created.status is S.ENQUIRY
        return created

    @rule(student=pick, cohort=pick)
    def enquire(self, student: int, cohort: int) -> None:
        self.enquire_one(
            self.students[student % len(self.students)], self.cohorts[cohort % len(self.cohorts)]
        )

    @rule(student=pick, cohort=pick)
    def enquire_and_ask_for_a_seat(self, student: int, cohort: int) -> None:
        created = self.enquire_one(
            self.students[student % len(self.students)], self.cohorts[cohort % len(self.cohorts)]
        )
        if created is not None:
            self.request_payment_for(created)

    @precondition(lambda self: bool(self.enrolments(S.ENQUIRY)))
    @rule(which=pick)
    def request_payment(self, which: int) -> None:
        candidates = [e for e in self.enrolments(S.ENQUIRY) if not e.is_waitlist]
        if not candidates:
            return
        self.request_payment_for(candidates[which % len(candidates)])

    def request_payment_for(self, chosen: m.Enrolment) -> None:
        cohort = self.cohort(chosen.cohort_id)
        before = self.lists()
        expect_seat = cohort.seats_free > 0 and not before[cohort.id]
        result = self.service.request_payment(self.actor, chosen.id)
        if expect_seat:
            assert result.status is S.PENDING_PAYMENT
            assert result.offer_expires_at is None
        else:
            assert (result.status, result.waitlist_position) == (
                S.ENQUIRY,
                len(before[cohort.id]) + 1,
            )
        self.after(before, joined=None if expect_seat else chosen.id)

    @precondition(lambda self: bool(self.enrolments(S.PENDING_PAYMENT)))
    @rule(which=pick)
    def payment_received(self, which: int) -> None:
        candidates = self.enrolments(S.PENDING_PAYMENT)
        chosen = candidates[which % len(candidates)]
        assert self.service.payment_received(self.actor, chosen.id).status is S.ENROLLED

    @precondition(lambda self: bool(self.enrolments(S.ENROLLED)))
    @rule(which=pick)
    def start(self, which: int) -> None:
        candidates = self.enrolments(S.ENROLLED)
        chosen = candidates[which % len(candidates)]
        on = self.cohort(chosen.cohort_id).start_date
        assert self.service.start(self.actor, chosen.id, on=on).status is S.ACTIVE

    @precondition(lambda self: any(e.is_live for e in self.enrolments()))
    @rule(which=pick)
    def drop(self, which: int) -> None:
        candidates = [e for e in self.enrolments() if e.is_live]
        chosen = candidates[which % len(candidates)]
        before = self.lists()
        dropped = self.service.drop(self.actor, chosen.id, on=TODAY, reason="Family decision")
        assert dropped.status is S.DROPPED
        self.after(before)

    @precondition(lambda self: bool(self.enrolments(S.ACTIVE)))
    @rule(which=pick)
    def transfer(self, which: int) -> None:
        candidates = self.enrolments(S.ACTIVE)
        chosen = candidates[which % len(candidates)]
        target = self.cohort(next(c for c in self.cohorts if c != chosen.cohort_id))
        already = any(
            e.is_live and e.student_id == chosen.student_id and e.cohort_id == target.id
            for e in self.enrolments()
        )
        before = self.lists()
        call = lambda: self.service.transfer(  # noqa: E731
            self.actor, chosen.id, target.id, on=TRANSFER_DAY
        )
        if already or target.seats_free <= 0:
            self.refused(call)
            return
        moved = call()
        self.order[moved.new.id] = len(self.order)
        assert moved.old.status is S.TRANSFERRED
        assert moved.new.status is S.ACTIVE
        assert moved.new.cohort_id == target.id
        self.after(before)

    @rule(cohort=pick, capacity=st.integers(min_value=1, max_value=6))
    def change_capacity(self, cohort: int, capacity: int) -> None:
        cohort_id = self.cohorts[cohort % len(self.cohorts)]
        holders = self.holders(cohort_id)
        before = self.lists()
        call = lambda: self.service.change_capacity(self.actor, cohort_id, capacity)  # noqa: E731
        if capacity < holders:
            self.refused(call)
            return
        changed = call()
        assert changed.max_capacity == capacity
        offers = min(capacity - holders, len(before[cohort_id]))
        assert len(self.waiting(cohort_id)) == len(before[cohort_id]) - offers
        self.after(before)

    @rule(hours=st.sampled_from([1, 12, 47, 49]))
    def time_passes_and_offers_lapse(self, hours: int) -> None:
        self.world.clock.advance(timedelta(hours=hours))
        now = self.world.clock.now()
        due = {e.id for e in self.enrolments(S.PENDING_PAYMENT) if e.offer_lapsed(now)}
        before = self.lists()
        run = self.service.lapse_offers(self.world.org_id)
        assert {e.id for e in run.lapsed} == due
        with self.world.uow() as uow:
            for enrolment_id in due:
                lapsed = uow.enrolments.get(enrolment_id)
                assert lapsed.status is S.DROPPED
                assert lapsed.withdrawal_reason == "waitlist offer lapsed"
        self.after(before)

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def seats_add_up(self) -> None:
        for cohort_id in self.cohorts:
            cohort = self.cohort(cohort_id)
            holders = self.holders(cohort_id)
            assert holders <= cohort.max_capacity
            assert cohort.current_enrolments == holders
            assert cohort.status is (
                m.CohortStatus.FULL if holders == cohort.max_capacity else m.CohortStatus.OPEN
            )

    @invariant()
    def the_waitlist_is_numbered_in_order(self) -> None:
        for cohort_id in self.cohorts:
            with self.world.uow() as uow:
                waiting = uow.enrolments.waitlist(cohort_id)
            assert [e.waitlist_position for e in waiting] == list(range(1, len(waiting) + 1))
            assert all(e.status in (S.ENQUIRY, S.TRIAL) for e in waiting)
            if waiting:
                assert self.cohort(cohort_id).seats_free == 0, "a free seat with people waiting"


EnrolmentJourney.TestCase.settings = settings(
    max_examples=80, stateful_step_count=40, deadline=None
)
test_enrolment_journey = EnrolmentJourney.TestCase
