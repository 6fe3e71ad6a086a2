"""Term invoicing: the tuition invoices of a whole term in one run (``rocket billing run-term``).

A system job (no staff member; its audit entries have no actor). ``run_term(organisation_id,
first_day=, last_day=, today=)`` issues, for every enrolment that

- is **enrolled or pending payment** (a seat is held and nobody has been charged: an enquiry,
  trial or waitlisted request is not charged, an active, completed, dropped or transferred
  one is past the point of a term invoice: run it before the term begins),
- is in a cohort **starting between first_day and last_day** (inclusive), and
- has **no invoice that is not void** (a void invoice does not count: the enrolment is
  charged again),

its tuition invoice, exactly as ``InvoicingService.invoice_enrolment`` would issue it (see
``rocket_core.services.invoicing``, whose rules this follows and whose arithmetic,
``rocket_core.pricing.price_tuition``, it uses): tuition = the enrolment's override, else
the cohort's price, else the program's; a "<program> — <cohort>" line, a late-start line
when sessions are left out (sessions not cancelled dated on or after ``today``, or the
enrolment's own later start date, over all those of the cohort), a sibling discount line,
GST per the settings; numbered from the organisation's counter, **sent**, dated ``today``,
due ``invoice_due_days`` later, and charged to the family's ``account_balance``;
``Enrolment.discount_applied`` records the sibling discount; a 0.00 invoice is paid at once
and confirms its enrolment if it was pending payment. Each issued invoice is published as
InvoiceIssued after its batch commits (the family is told; existing credit pays it).

Decisions where the rules are silent:

- **Sibling rank for the term.** The invoicing rule ranks the children of a family with an
  enrolment counting for the term (pending payment, enrolled, active, completed or
  transferred, in a cohort whose dates overlap) in the order they were first charged for it:
  their earliest invoice that is not void, else their enrolment date. A term run charges
  many siblings at once: it invoices a family's enrolments one after the other in the order
  of their enrolment date (then id), each counting as charged now once invoiced, so the
  child who enrolled first pays full price and the others get 10 % and 15 % off. An
  enrolment still waiting for its invoice in the same run (or skipped for want of a price)
  does not count as charged yet: were it counted at its enrolment date, as the automatic
  invoice counts a sibling never invoiced, both of two siblings charged together would get
  the discount. A child already charged for the term (an earlier invoice) keeps their place;
  a child with two classes in the term has one rank.
- **No price** (no override, cohort price or program price): the enrolment is skipped and
  counted in the report (``unpriced``); set a price and run again.
- **Batches.** Families are taken ``batch_size`` at a time (by id); a batch is one
  transaction: its enrolments are read, ranked and priced, a block of invoice numbers is
  taken from the counter in one statement, and the invoices, discounts, balances and audit
  entries are written set-based (``uow.term_invoicing``). While a batch is written and
  committed (by a worker thread), the next page is read, ranked and priced (the pages'
  families are different; the next batch's numbers are taken once the previous one has
  committed, so they follow on). Memory does not grow with the number of families (two
  batches at most are in hand). A run stopped part way keeps the batches committed; running
  it again finishes the job and issues nothing twice (an enrolment with an invoice is
  skipped).
- **Prices** come from ``price_tuition``, once per tuition, sibling rank and sessions (a
  term has a few hundred such prices), with a stand-in description replaced by the
  invoice's "<program> — <cohort>": pricing passes the description through untouched.
- **Audit.** One ``invoice.issue`` entry per invoice, which records everything issuing it
  changed: the invoice's figures (created and sent in one step; its lines are on the invoice,
  which never changes them), the sibling rank and sessions counted, the enrolment's
  ``discount_applied`` and the family's ``account_balance`` before and after (a family's
  invoices move its balance one after the other, in number order). The automatic invoice
  writes separate entries for the invoice, the enrolment and the family; a term run writes
  one per invoice, so that its audit does not outweigh the invoices themselves.
- **Concurrency.** A run holds the organisation's term-run lock from start to end (a second
  run waits, then finds everything invoiced), and each batch locks the cohorts of the
  enrolments pending payment it invoices against the automatic invoice (which takes them
  for update), so the two never both invoice an enrolment. An enrolment that becomes
  pending payment meanwhile in another cohort is left to its automatic invoice.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Any
from uuid import UUID, uuid4

import attrs

from rocket_core.enrolment_machine import EnrolmentStatus
from rocket_core.errors import ValidationError
from rocket_core.events import DomainEvent, EventBus, InvoiceIssued
from rocket_core.model import InvoiceStatus, LineItem, OrganisationSettings, invoice_number
from rocket_core.ports import Clock, TermInvoicingRepository, UnitOfWork, UnitOfWorkFactory
from rocket_core.pricing import PricedLines, price_tuition
from rocket_core.services.base import Service
from rocket_core.services.enrolment import EnrolmentService

#: Families per transaction (about 5,000 enrolments with two or three children a family).
DEFAULT_BATCH_SIZE = 2000

ZERO = Decimal("0.00")
_Row = TermInvoicingRepository.TermEnrolment
_Invoice = TermInvoicingRepository.TermInvoice
_INVOICED = TermInvoicingRepository.INVOICED
_SENT, _PAID = InvoiceStatus.SENT, InvoiceStatus.PAID
#: Prices kept between batches (by tuition, rank and sessions: a few hundred in a term); the
#: cache is emptied should it ever hold more, so memory stays flat.
_PRICE_CACHE_LIMIT = 4096
#: The tuition line's description while pricing (replaced by the invoice's own).
_STAND_IN = "<tuition>"


@attrs.frozen(kw_only=True)
class TermInvoicingReport:
    """What a term run did (all zero but ``already_invoiced`` when run again)."""

    organisation_id: UUID
    first_day: date
    last_day: date
    today: date
    #: Invoices issued by this run, and what they add up to.
    invoices_issued: int
    amount_invoiced: Decimal
    #: Families charged, and invoices with a sibling discount.
    families_charged: int
    sibling_discounts: int
    #: Enrolments of the term skipped: invoiced already, or without any price.
    already_invoiced: int
    unpriced: int
    #: Transactions (batches of families) the run took.
    batches: int


@attrs.define
class _Tally:
    issued: int = 0
    amount: Decimal = ZERO
    families: int = 0
    discounts: int = 0
    already: int = 0
    unpriced: int = 0
    batches: int = 0

    def add(self, other: _Tally) -> None:
        """Count a committed batch in."""
        for field in attrs.fields(_Tally):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


@attrs.frozen
class _Batch:
    """A page priced and ranked, waiting for its invoice numbers: each invoice's fields but
    its number (``invoice_number`` holds a stand-in that sorts like the real one)."""

    drafts: list[_Invoice]
    #: Enrolments pending payment whose invoice is 0.00 (paid at once: confirmed).
    settle: list[UUID]
    tally: _Tally
    at: datetime


class TermInvoicingService(Service):
    """The term's tuition invoices in one run (see the module docstring)."""

    def __init__(
        self,
        make_uow: UnitOfWorkFactory,
        clock: Clock,
        bus: EventBus,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        super().__init__(make_uow, clock, bus)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValidationError("TermInvoicingService.batch_size", "must be a whole number >= 1")
        self.batch_size = batch_size
        self._prices: dict[tuple[Any, ...], PricedLines] = {}
        self._priced_with: OrganisationSettings | None = None

    def run_term(
        self,
        organisation_id: UUID,
        *,
        first_day: date,
        last_day: date,
        today: date,
        on_batch: Callable[[TermInvoicingReport], None] | None = None,
    ) -> TermInvoicingReport:
        """Issue the term's tuition invoices of one organisation: every enrolled or pending
        enrolment in a cohort starting between ``first_day`` and ``last_day`` without an
        invoice gets one, dated ``today``. NotFound for an unknown organisation. Idempotent:
        running it again issues nothing. ``on_batch`` is told the running totals after each
        committed batch (a progress bar).

        While one batch is written and committed (in a worker thread), the next page is read,
        ranked and priced: the database works on the one while Python works on the other.
        """
        for field, value in (("first_day", first_day), ("last_day", last_day), ("today", today)):
            if isinstance(value, datetime) or not isinstance(value, date):
                raise ValidationError(f"TermRun.{field}", "must be a date")
        if last_day < first_day:
            raise ValidationError("TermRun.last_day", "must not be before first_day")
        tally = _Tally()
        days = (first_day, last_day, today)

        def report() -> TermInvoicingReport:
            return self._report(organisation_id, first_day, last_day, today, tally)

        def committed(writing: Future[tuple[_Batch, list[DomainEvent]]]) -> None:
            batch, events = writing.result()  # the batch's error, if it failed
            tally.add(batch.tally)
            self.bus.publish(events)
            if on_batch is not None:
                on_batch(report())

        with self.make_uow(organisation_id) as run:
            run.organisations.current()  # NotFound before anything runs
            run.term_invoicing.lock_run()  # until the run ends
            with ThreadPoolExecutor(1, thread_name_prefix="term-invoicing") as writer:
                writing: Future[tuple[_Batch, list[DomainEvent]]] | None = None
                after: UUID | None = None
                try:
                    while True:
                        uow = self.make_uow(organisation_id)
                        uow.begin()
                        try:
                            page = uow.term_invoicing.page(
                                after,
                                self.batch_size,
                                first_day=first_day,
                                last_day=last_day,
                                today=today,
                            )
                            batch = self._plan(uow, page.enrolments, *days)
                            if writing is not None:
                                done, writing = writing, None
                                committed(done)
                        except BaseException:
                            uow.rollback()
                            raise
                        if page.upto is None:
                            uow.rollback()
                            break
                        writing = writer.submit(self._write, uow, batch, *days)
                        after = page.upto
                finally:
                    if writing is not None:  # an error while the last batch was written
                        with contextlib.suppress(Exception):
                            committed(writing)
        return report()

    # -- one batch --------------------------------------------------------------------------

    def _plan(
        self, uow: UnitOfWork, rows: Sequence[_Row], first_day: date, last_day: date, today: date
    ) -> _Batch:
        """Rank and price a page of families' enrolments (reading only)."""
        settings = uow.organisations.current().settings
        if settings != self._priced_with:
            self._prices, self._priced_with = {}, settings
        tally = _Tally(batches=1)
        now = self.clock.now()
        due_date = today + timedelta(days=settings.invoice_due_days)
        drafts: list[_Invoice] = []
        settle: list[UUID] = []
        for _, grouped in groupby(rows, key=lambda row: row.family_id):
            family = list(grouped)
            due: list[tuple[_Row, Decimal]] = []
            skipped: set[UUID] = set()
            for row in family:  # in enrolment order (the port's order)
                if row.status not in _INVOICED or not first_day <= row.cohort_start <= last_day:
                    continue
                if row.first_charge is not None:
                    tally.already += 1
                    continue
                tuition = row.tuition_override
                if tuition is None:
                    tuition = (
                        row.cohort_price if row.cohort_price is not None else row.program_price
                    )
                if tuition is None:
                    tally.unpriced += 1
                    skipped.add(row.id)
                    continue
                due.append((row, tuition))
            if not due:
                continue
            tally.families += 1
            # Stand-ins for the numbers, taken from the counter when the batch is written:
            # they sort as the real ones will (after every number already given this year).
            first = len(drafts)
            numbers = [f"INV-{today.year:04d}-~{first + n:09d}" for n in range(len(due))]
            waiting = {row.id for row, _ in due} | skipped
            ranks = family_ranks(family, [row for row, _ in due], numbers, waiting, now=now)
            for (row, tuition), rank, number in zip(due, ranks, numbers, strict=True):
                priced, lines = self._price(row, tuition, rank, settings)
                paid = priced.total == ZERO
                drafts.append(
                    _Invoice(
                        uuid4(),
                        number,
                        row.family_id,
                        row.id,
                        today,
                        due_date,
                        _PAID if paid else _SENT,
                        lines,
                        priced.total,
                        priced.gst,
                        priced.discount,
                        priced.subtotal,
                        priced.proration,
                        tuition,
                        rank,
                        row.sessions_total,
                        row.sessions_remaining,
                        row.discount_applied,
                        row.student_name,
                        row.cohort_name,
                        now,
                    )
                )
                tally.amount += priced.total
                if priced.discount:
                    tally.discounts += 1
                if paid and row.status is EnrolmentStatus.PENDING_PAYMENT:
                    settle.append(row.id)
        tally.issued = len(drafts)
        return _Batch(drafts=drafts, settle=settle, tally=tally, at=now)

    def _write(
        self, uow: UnitOfWork, batch: _Batch, first_day: date, last_day: date, today: date
    ) -> tuple[_Batch, list[DomainEvent]]:
        """Number, issue and commit a planned batch (the worker thread); the batch and the
        events to publish."""
        try:
            invoices: list[_Invoice] = []
            if batch.drafts:
                repo = uow.term_invoicing
                count = len(batch.drafts)
                number = repo.allocate_invoice_numbers(today.year, count)
                invoice_number(today.year, number + count - 1)  # the whole block is valid
                invoices = [
                    draft._replace(invoice_number=f"INV-{today.year:04d}-{number + n:06d}")
                    for n, draft in enumerate(batch.drafts)
                ]
                repo.issue(invoices, first_day=first_day, last_day=last_day, at=batch.at)
            if batch.settle:
                enrolments = EnrolmentService(self.make_uow, self.clock, self.bus)
                for enrolment_id in batch.settle:
                    enrolments.confirm_payment(uow, None, uow.enrolments.get(enrolment_id))
            events: list[DomainEvent] = list(uow.collect_events())
            events += [
                InvoiceIssued(
                    organisation_id=uow.organisation_id,
                    invoice_id=invoice.id,
                    invoice_number=invoice.invoice_number,
                    family_id=invoice.family_id,
                    enrolment_id=invoice.enrolment_id,
                    total_amount=invoice.total_amount,
                    due_date=invoice.due_date,
                )
                for invoice in invoices
            ]
            # the outbox's notifications commit with the batch
            self.bus.handle_in_transaction(uow, events)
            events += uow.collect_events()
            uow.commit()
        except BaseException:
            uow.rollback()
            raise
        return batch, events

    def _price(
        self, row: _Row, tuition: Decimal, rank: int, settings: OrganisationSettings
    ) -> tuple[PricedLines, tuple[LineItem, ...]]:
        """``price_tuition`` and the invoice's lines. The figures do not depend on the
        tuition line's description, which pricing passes through as it is: they are priced
        once per tuition, rank and sessions (a term has a few hundred such prices, whatever
        its size) with a stand-in description, replaced here by "<program> — <cohort>"."""
        key = (tuition, rank, row.sessions_total, row.sessions_remaining)
        priced = self._prices.get(key)
        if priced is None:
            if len(self._prices) >= _PRICE_CACHE_LIMIT:
                self._prices = {}
            priced = self._prices[key] = price_tuition(
                description=_STAND_IN,
                tuition=tuition,
                sibling_rank=rank,
                sessions_total=row.sessions_total,
                sessions_remaining=row.sessions_remaining,
                settings=settings,
            )
        description = f"{row.program_name} — {row.cohort_name}"[:200]
        lines = tuple(
            LineItem(description=description, quantity=line.quantity, unit_price=line.unit_price)
            if line.description == _STAND_IN
            else line
            for line in priced.lines
        )
        return priced, lines

    @staticmethod
    def _report(
        organisation_id: UUID, first_day: date, last_day: date, today: date, tally: _Tally
    ) -> TermInvoicingReport:
        return TermInvoicingReport(
            organisation_id=organisation_id,
            first_day=first_day,
            last_day=last_day,
            today=today,
            invoices_issued=tally.issued,
            amount_invoiced=tally.amount,
            families_charged=tally.families,
            sibling_discounts=tally.discounts,
            already_invoiced=tally.already,
            unpriced=tally.unpriced,
            batches=tally.batches,
        )


# -- pure helpers ---------------------------------------------------------------------------


def family_ranks(
    family: Sequence[_Row],
    due: Sequence[_Row],
    numbers: Sequence[str],
    waiting: set[UUID],
    *,
    now: datetime,
) -> list[int]:
    """The sibling rank of each of ``due``, the family's enrolments a run invoices, in this
    order and with these ``numbers`` (``term_sibling_rank`` one after the other); ``waiting``
    holds those not charged yet when the run begins (``due`` and any it skips)."""
    if len({row.student_id for row in family}) == 1:
        return [1] * len(due)
    if max(row.cohort_start for row in family) > min(row.cohort_end for row in family):
        ranks: list[int] = []
        charged: dict[UUID, str] = {}
        left = set(waiting)
        for row, number in zip(due, numbers, strict=True):
            left.discard(row.id)
            ranks.append(term_sibling_rank(row, family, charged, left, now=now))
            charged[row.id] = number
        return ranks
    # Every cohort overlaps every other: each child's key (when first charged) is kept and
    # moved on as the run charges them, instead of being found again for every enrolment.
    keys: dict[UUID, tuple[datetime, int, str, datetime]] = {}
    for other in family:
        if other.id in waiting:
            continue
        key = (
            (other.first_charge[0], 0, other.first_charge[1], other.enrolment_date)
            if other.first_charge is not None
            else (other.enrolment_date, 0, "", other.enrolment_date)
        )
        if other.student_id not in keys or key < keys[other.student_id]:
            keys[other.student_id] = key
    ranks = []
    for row, number in zip(due, numbers, strict=True):
        child = row.student_id
        mine = (now, 1, "", row.enrolment_date)
        if child in keys and keys[child] < mine:
            mine = keys[child]
        ranks.append(
            1 + sum(1 for k, key in keys.items() if k != child and (key, k) < (mine, child))
        )
        at_charge = (now, 0, number, row.enrolment_date)
        if child not in keys or at_charge < keys[child]:
            keys[child] = at_charge
    return ranks


def term_sibling_rank(
    row: _Row,
    family: Sequence[_Row],
    charged: dict[UUID, str],
    waiting: set[UUID],
    *,
    now: datetime,
) -> int:
    """The place of ``row``'s child among the family's children charged for ``row``'s term
    (1 = first), by the invoicing rule (``rocket_core.services.invoicing.sibling_rank``):
    ``family`` holds the family's counted enrolments, ``charged`` those this run invoiced
    before (enrolment id -> invoice number: charged now), ``waiting`` those it invoices after
    (or skipped): not charged yet, they do not count. Ties (never in practice) go by the
    child's id."""
    keys: dict[UUID, tuple[datetime, int, str, datetime]] = {}
    for other in family:
        if other.id == row.id:
            key = (now, 1, "", other.enrolment_date)
        elif other.id in waiting or not _overlap(other, row):
            continue
        elif other.first_charge is not None:
            at, number = other.first_charge
            key = (at, 0, number, other.enrolment_date)
        elif other.id in charged:
            key = (now, 0, charged[other.id], other.enrolment_date)
        else:
            key = (other.enrolment_date, 0, "", other.enrolment_date)
        child = other.student_id
        if child not in keys or key < keys[child]:
            keys[child] = key
    mine = (keys[row.student_id], row.student_id)
    return 1 + sum(1 for child, key in keys.items() if (key, child) < mine)


def _overlap(other: _Row, row: _Row) -> bool:
    return other.cohort_start <= row.cohort_end and row.cohort_start <= other.cohort_end


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "TermInvoicingReport",
    "TermInvoicingService",
    "family_ranks",
    "term_sibling_rank",
]
