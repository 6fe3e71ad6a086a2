"""The nightly lifecycle: cohorts, enrolments and sessions follow the calendar, offers
lapse, tokens expire, unpaid invoices become overdue. A system job (no staff member): its
audit entries have no actor.

What one run for ``day`` does, in this order:

1. **Cohorts begin** on their start date: open or full cohorts whose ``start_date <= day``
   -> in_progress. One with no seat-holder is flagged (``attention`` = "started with no
   enrolments"), not cancelled: staff decide. Draft and cancelled cohorts are left alone.
2. **Enrolments start** with their cohort: enrolled (the rulebook's sources of ``start``)
   -> active, ``start_date`` = the cohort's start date unless the enrolment already has one.
   A late joiner whose own ``start_date`` is still ahead waits for it. Pending payment,
   enquiries and trials are not started (the rulebook does not allow it).
3. **Enrolments complete** the day AFTER their cohort's end date (the last session is held
   on the end date): active -> completed, ``end_date`` = the cohort's end date; the seat is
   released from ``current_enrolments``, as when staff complete an enrolment by hand.
4. **Cohorts complete** in the same run, the day after their end date: in_progress ->
   completed. The product rule's "completed on the end date" is read as "once the end date
   is over", so a cohort and its enrolments complete together and the end date's own
   session still belongs to a running cohort.
5. **Sessions complete** the day after their date: scheduled or in-progress sessions whose
   ``scheduled_date`` is before ``day`` -> completed, ``actual_end_time`` left as recorded
   (None when nobody recorded it). A session nobody cancelled by the end of its day is taken
   as held, whether or not anyone marked it begun. Cancelled sessions stay cancelled.
   Sessions of a draft cohort (never published, so never held) are left alone, while those
   of a cancelled cohort complete (cancelling a cohort cancels its upcoming sessions only:
   the rest were held). Today's session is left for tomorrow's run.
6. **Lapsed waitlist offers** are dropped and their seats offered on
   (``EnrolmentService.lapse_offers``), then **expired makeup tokens** are marked
   (``MakeupService.expire_tokens``), then unpaid **invoices past their grace period** become
   overdue (``InvoicingService.mark_overdue``, an InvoiceOverdue event for the reminder).

Steps 1-5 are set-based (``uow.lifecycle``), in batches of ``batch_size`` cohorts by id, one
transaction per batch, so that a transaction stays small whatever the school's size; a
cohort and its enrolments always move in the same transaction. A run that fails part-way
keeps the batches already committed, and running it again finishes the job: every step only
moves what is due, so a second run for the same day changes nothing. A run that missed days
catches up (a cohort whose dates are both past begins and completes in one run).

``day`` is the organisation's local date the run is for (run it just after midnight);
``now`` is the instant recorded in the audit entries and the deadline for unpaid offers.
The set-based steps record no domain events (the SQL path never loads the rows); the audit
log has one entry per changed cohort, enrolment and session.
"""

from __future__ import annotations

from collections.abc import Sequence, Sized
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

import attrs

from rocket_core.errors import ValidationError
from rocket_core.events import EventBus
from rocket_core.ports import Clock, UnitOfWorkFactory
from rocket_core.services.base import Service
from rocket_core.services.enrolment import EnrolmentService
from rocket_core.services.invoicing import InvoicingService
from rocket_core.services.makeup import MakeupService

#: Cohorts per transaction of the set-based steps (about 25,000 enrolments at 50 a cohort).
DEFAULT_BATCH_SIZE = 500


class LapsedOffers(Protocol):
    """What a lapse-offers run returns (``OfferRun``): the offers dropped, the seats offered."""

    @property
    def lapsed(self) -> Sequence[object]:
        """The enrolments whose offer lapsed."""

    @property
    def offered(self) -> Sequence[object]:
        """The enrolments offered the freed seats."""


class OfferLapsing(Protocol):
    """Drops unpaid waitlist offers past their deadline (EnrolmentService)."""

    def lapse_offers(self, organisation_id: UUID, now: datetime) -> LapsedOffers:
        """Lapse every offer unpaid by ``now``."""


class TokenExpiry(Protocol):
    """Marks makeup tokens past their expiry date expired (MakeupService)."""

    def expire_tokens(self, organisation_id: UUID, day: date) -> Sized:
        """Expire every available token whose expiry is before ``day``; the tokens."""


class OverdueMarking(Protocol):
    """Marks unpaid invoices past their grace period overdue (InvoicingService)."""

    def mark_overdue(self, organisation_id: UUID, day: date) -> Sized:
        """Mark every invoice due for it overdue on ``day``; the invoices."""


@attrs.frozen(kw_only=True)
class NightlyReport:
    """What one nightly run changed, step by step (all zero on a second run for a day)."""

    organisation_id: UUID
    day: date
    cohorts_begun: int
    enrolments_started: int
    enrolments_completed: int
    cohorts_completed: int
    sessions_completed: int
    offers_lapsed: int
    seats_offered: int
    tokens_expired: int
    invoices_overdue: int = 0
    #: Transactions the set-based steps ran in (batches of cohorts).
    batches: int

    @property
    def changes(self) -> int:
        """How many things the run changed in all."""
        return (
            self.cohorts_begun
            + self.enrolments_started
            + self.enrolments_completed
            + self.cohorts_completed
            + self.sessions_completed
            + self.offers_lapsed
            + self.seats_offered
            + self.tokens_expired
            + self.invoices_overdue
        )


class LifecycleService(Service):
    """The nightly job (see the module docstring for what it does and the decisions)."""

    def __init__(
        self,
        make_uow: UnitOfWorkFactory,
        clock: Clock,
        bus: EventBus,
        *,
        offers: OfferLapsing | None = None,
        tokens: TokenExpiry | None = None,
        invoices: OverdueMarking | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        super().__init__(make_uow, clock, bus)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValidationError("LifecycleService.batch_size", "must be a whole number >= 1")
        self.offers: OfferLapsing = offers or EnrolmentService(make_uow, clock, bus)
        self.tokens: TokenExpiry = tokens or MakeupService(make_uow, clock, bus)
        self.invoices: OverdueMarking = invoices or InvoicingService(make_uow, clock, bus)
        self.batch_size = batch_size

    def run_nightly(self, organisation_id: UUID, day: date, now: datetime) -> NightlyReport:
        """Run the nightly lifecycle of one organisation for ``day``; NotFound for an unknown
        organisation. Idempotent: a second run for the same day changes nothing."""
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValidationError("NightlyRun.day", "must be a date")
        if not isinstance(now, datetime) or now.utcoffset() is None:
            raise ValidationError("NightlyRun.now", "must be a timezone-aware datetime")
        with self.make_uow(organisation_id) as uow:
            uow.organisations.current()  # NotFound before anything runs
        begun = started = completed = finished = held = batches = 0
        after: UUID | None = None
        while True:
            with self.system_transaction(organisation_id) as uow:
                lifecycle = uow.lifecycle
                upto = lifecycle.next_cohort_batch(after, self.batch_size)
                if upto is not None:
                    begun += lifecycle.begin_cohorts(day, now, after=after, upto=upto)
                    started += lifecycle.start_enrolments(day, now, after=after, upto=upto)
                    completed += lifecycle.complete_enrolments(day, now, after=after, upto=upto)
                    finished += lifecycle.complete_cohorts(day, now, after=after, upto=upto)
                    held += lifecycle.complete_sessions(day, now, after=after, upto=upto)
            if upto is None:
                break
            batches += 1
            after = upto
        offers = self.offers.lapse_offers(organisation_id, now)
        expired = self.tokens.expire_tokens(organisation_id, day)
        overdue = self.invoices.mark_overdue(organisation_id, day)
        return NightlyReport(
            organisation_id=organisation_id,
            day=day,
            cohorts_begun=begun,
            enrolments_started=started,
            enrolments_completed=completed,
            cohorts_completed=finished,
            sessions_completed=held,
            offers_lapsed=len(offers.lapsed),
            seats_offered=len(offers.offered),
            tokens_expired=len(expired),
            invoices_overdue=len(overdue),
            batches=batches,
        )
