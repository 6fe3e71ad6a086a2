"""The demo's money, handled the way the school's front office handles it.

Billing runs on the story's bus as it does for staff (see ``builder.Story``): every enrolment
that reaches pending payment gets its invoice at once (sibling discounts, late-start
proration, GST), and a family's credit pays the next invoice it is sent. On top of that, people
act through the billing use cases:

- **Families pay at the front desk** of the cohort's campus, which records each payment
  (``PaymentService.record_payment``) against the enrolment's invoice: bank transfers (with the
  invoice number as reference), cash, cheques and cards on the desk's own terminal (recorded as
  credit_card without a PaymentIntent: the school takes no card payments online). The payment
  that settles the invoice confirms the enrolment.
- **How a family pays a seat** (``Payer``): most in full, a few in two parts (half now, the rest
  ten days later, before the term starts: the second part of a seat for next term may not be
  due yet, so that invoice is part-paid today); one family rounds its first payment up to the
  next hundred dollars and the rest is credit, which pays part of a brother's or sister's next
  invoice; a few never pay or stop after half, and the nightly job marks their invoices overdue.
- **Withdrawals**: the invoice of a seat left unpaid (withdrawn, or a waitlist offer that
  lapsed) is voided by the campus manager, or by the super admin when it is above the
  manager's limit (``campus_manager_refund_limit``); a family that paid and leaves before the
  term is refunded by the campus manager, and the invoice the refund opened again is voided.
  Once the term has started nothing is refunded (the school's policy: the seat was held).
- **Materials**: the front desk invoices one family for a class's kit by hand (a draft, then
  sent); one item never arrives, so the campus manager takes it off with a credit note, and the
  family pays the rest in cash.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import partial
from uuid import UUID

import attrs

from rocket_core import model as m
from rocket_core.services.paging import MAX_LIMIT
from rocket_entrypoints.demo.builder import FRONT_DESKS, MANAGERS, Story
from rocket_entrypoints.demo.households import Child, Household
from rocket_entrypoints.demo.timetable import CohortPlan

CENT = Decimal("0.01")
#: How payments reach the desk: (method, share); each payment's method is drawn at random.
METHODS = (
    (m.PaymentMethod.BANK_TRANSFER, 0.45),
    (m.PaymentMethod.CREDIT_CARD, 0.25),
    (m.PaymentMethod.CASH, 0.15),
    (m.PaymentMethod.CHEQUE, 0.15),
)
#: The share of regular seats paid in two parts.
TWO_PARTS_SHARE = 0.15
#: Days between the two parts of a seat paid in two parts.
SECOND_PART_AFTER = timedelta(days=10)
#: A class's kit, invoiced by hand: (description, unit price before GST).
KIT = (
    ("Raspberry Pi Pico starter kit", "45.00"),
    ("Python Fundamentals workbook", "25.00"),
)


class Payer(StrEnum):
    """How a family pays one seat's invoice."""

    IN_FULL = "in_full"
    #: Half (whole dollars) first, the rest ten days later (before the term starts).
    TWO_PARTS = "two_parts"
    #: Half, then nothing (a deposit; the rest falls overdue once past its due date).
    HALF_ONLY = "half_only"
    NEVER = "never"
    #: Rounds the amount up to the next hundred dollars: the rest is the family's credit.
    OVERPAYS = "overpays"


@attrs.frozen(eq=False)
class SeatRequest:
    """A family took (or asked to wait for) a seat on ``day``: an invoice follows."""

    child: Child
    plan: CohortPlan
    day: date


class Billing:
    """The front office's side of the story: how each seat is paid, withdrawals settled, the
    materials invoice and its credit note (see the module docstring)."""

    def __init__(self, story: Story) -> None:
        self.story = story
        self.rng = story.money
        #: (child, cohort) -> how that seat is paid (default: in full)
        self.payers: dict[tuple[Child, CohortPlan], Payer] = {}
        self.requests: list[SeatRequest] = []
        #: The seats whose family has a payment queued.
        self.paying: set[tuple[Child, CohortPlan]] = set()
        #: Families with a scripted part in the money story (not picked for another one).
        self.scripted: set[Household] = set()
        #: invoice id -> the payments recorded at the desk for it: (payment id, amount)
        self.paid: dict[UUID, list[tuple[UUID, Decimal]]] = {}
        self._settings: m.OrganisationSettings | None = None

    # -- planning -------------------------------------------------------------------------

    def seat_requested(self, child: Child, plan: CohortPlan, day: date) -> None:
        """Note a seat request (its invoice comes when the seat is taken)."""
        self.requests.append(SeatRequest(child, plan, day))

    def regular(self, child: Child, plan: CohortPlan) -> None:
        """A regular seat: paid in full, or (now and then) in two parts."""
        if self.rng.random() < TWO_PARTS_SHARE:
            self.payers.setdefault((child, plan), Payer.TWO_PARTS)

    def pays(self, child: Child, plan: CohortPlan, payer: Payer) -> None:
        """A scripted way of paying for the child's seat in ``plan``."""
        self.payers[(child, plan)] = payer
        self.scripted.add(child.household)

    def choose_overpayer(self) -> None:
        """The family that overpays: its first seat request is a seat paid in full and its
        next one, after that payment, a brother's or sister's seat, so the credit goes to that
        sibling's invoice. The first such family (in the order seats were planned) that has no
        other part in the money story; none when no family of the seed fits."""
        by_family: dict[Household, list[SeatRequest]] = {}
        for request in self.requests:
            by_family.setdefault(request.child.household, []).append(request)
        for household, requests in by_family.items():
            if household in self.scripted or len(requests) < 2:
                continue
            first, then = sorted(requests, key=lambda r: r.day)[:2]
            if (
                (first.child, first.plan) in self.paying
                and then.child is not first.child
                and then.day > first.day + timedelta(days=3)  # after the first payment
                and self._payer(first) is Payer.IN_FULL
                and self._payer(then) in (Payer.IN_FULL, Payer.TWO_PARTS)
            ):
                self.pays(first.child, first.plan, Payer.OVERPAYS)
                return

    def _payer(self, request: SeatRequest) -> Payer:
        return self.payers.get((request.child, request.plan), Payer.IN_FULL)

    # -- payments -------------------------------------------------------------------------

    def pay(self, child: Child, plan: CohortPlan, day: date, at: time) -> None:
        """The family pays for the child's seat in ``plan`` on ``day`` (as its Payer says);
        the front desk of the cohort's campus records it."""
        self.paying.add((child, plan))
        self.story.at(day, at, partial(self._first_payment, child, plan, day))

    def _first_payment(self, child: Child, plan: CohortPlan, day: date) -> None:
        payer = self.payers.get((child, plan), Payer.IN_FULL)
        if payer is Payer.NEVER:
            return
        desk = FRONT_DESKS[plan.spec.campus]
        invoice = self.invoice_of(desk, child, plan)
        if invoice is None or not invoice.is_open:  # the family's credit paid it all
            return
        owed = invoice.amount_outstanding
        note = None
        if payer in (Payer.TWO_PARTS, Payer.HALF_ONLY):
            half = (owed / 2).quantize(Decimal(1), ROUND_DOWN)  # whole dollars
            amount = half.quantize(CENT) if half > 0 else owed
            note = (
                "First of two parts"
                if payer is Payer.TWO_PARTS
                else "Part payment: the rest is still owed"
            )
        elif payer is Payer.OVERPAYS:
            amount = ((owed // 100 + 1) * 100).quantize(CENT)  # the next hundred dollars up
            note = "Paid a round sum: the rest is kept as the family's credit"
        else:
            amount = owed
        self.record(desk, child.household, invoice, amount, notes=note)
        if payer is Payer.TWO_PARTS:
            rest = min(day + SECOND_PART_AFTER, plan.first_day - timedelta(days=1))
            if day < rest < self.story.today:
                self.story.at(rest, self._hour(), partial(self._second_part, child, plan))

    def _second_part(self, child: Child, plan: CohortPlan) -> None:
        desk = FRONT_DESKS[plan.spec.campus]
        invoice = self.invoice_of(desk, child, plan)
        if invoice is not None and invoice.is_open:
            note = "Second part: the invoice is paid in full"
            self.record(desk, child.household, invoice, invoice.amount_outstanding, notes=note)

    def record(
        self,
        desk: str,
        household: Household,
        invoice: m.Invoice,
        amount: Decimal,
        *,
        method: m.PaymentMethod | None = None,
        notes: str | None = None,
    ) -> m.Payment:
        """The front desk records a payment for ``invoice`` (method drawn when not given)."""
        method = method or self._method()
        reference = None
        extra = None
        if method is m.PaymentMethod.BANK_TRANSFER:
            reference = invoice.invoice_number
        elif method is m.PaymentMethod.CHEQUE:
            reference = f"Cheque {self.rng.randrange(10**6):06d}"
        elif method is m.PaymentMethod.CREDIT_CARD:
            reference = f"Terminal receipt {self.rng.randrange(10**5):05d}"
            extra = "Card paid on the front desk's terminal"
        note = "; ".join(n for n in (notes, extra) if n) or None
        payment = self.story.payments.record_payment(
            self.story.actor(desk),
            family_id=_family_id(household),
            amount=amount,
            method=method,
            invoice_id=invoice.id,
            reference_number=reference,
            notes=note,
        )
        self.paid.setdefault(invoice.id, []).append((payment.id, payment.amount))
        return payment

    def invoice_of(self, staff: str, child: Child, plan: CohortPlan) -> m.Invoice | None:
        """The child's invoice for its seat in ``plan`` (not void), as staff see it on the
        family's account; None when there is none."""
        enrolment_id = self.story.enrolments[(child.id, plan.id)]
        invoices = self.story.invoicing.list_invoices(
            self.story.actor(staff), family_id=_family_id(child.household), limit=MAX_LIMIT
        )
        mine = [
            i
            for i in invoices.items
            if i.enrolment_id == enrolment_id and i.status is not m.InvoiceStatus.VOID
        ]
        return mine[-1] if mine else None

    # -- withdrawals ----------------------------------------------------------------------

    def void_unpaid(self, child: Child, plan: CohortPlan, day: date, at: time, reason: str) -> None:
        """On ``day``, once the child's seat in ``plan`` is withdrawn (or its offer lapsed),
        the campus manager voids its unpaid invoice (the super admin above the manager's
        limit)."""
        self.scripted.add(child.household)
        self.story.at(day, at, partial(self._void_unpaid, child, plan, reason))

    def _void_unpaid(self, child: Child, plan: CohortPlan, reason: str) -> None:
        manager = MANAGERS[plan.spec.campus]
        if not self._withdrawn(child, plan):
            return
        invoice = self.invoice_of(manager, child, plan)
        if invoice is None or not invoice.is_open or invoice.amount_paid > 0:
            return
        who = self._deciding(manager, invoice.amount_outstanding)
        self.story.invoicing.void_invoice(self.story.actor(who), invoice.id, reason)

    def refund_and_void(
        self, child: Child, plan: CohortPlan, day: date, at: time, reason: str
    ) -> None:
        """On ``day``, the campus manager gives back what the family paid for the child's
        withdrawn seat in ``plan`` and voids the invoice the refund opened again."""
        self.scripted.add(child.household)
        self.story.at(day, at, partial(self._refund_and_void, child, plan, reason))

    def _refund_and_void(self, child: Child, plan: CohortPlan, reason: str) -> None:
        manager = MANAGERS[plan.spec.campus]
        invoice = self.invoice_of(manager, child, plan)
        if invoice is None or not self._withdrawn(child, plan):
            return
        for payment_id, amount in self.paid.get(invoice.id, []):
            who = self._deciding(manager, amount)
            self.story.payments.refund(self.story.actor(who), payment_id, amount, reason)
        invoice = self.invoice_of(manager, child, plan)
        if invoice is not None and invoice.is_open and invoice.amount_paid == 0:
            who = self._deciding(manager, invoice.amount_outstanding)
            self.story.invoicing.void_invoice(self.story.actor(who), invoice.id, reason)

    def _withdrawn(self, child: Child, plan: CohortPlan) -> bool:
        enrolment_id = self.story.enrolments[(child.id, plan.id)]
        with self.story.make_uow(self.story.organisation_id) as uow:
            return uow.enrolments.get(enrolment_id).status is m.EnrolmentStatus.DROPPED

    def _deciding(self, manager: str, amount: Decimal) -> str:
        """Who may forgive or give back ``amount``: the manager within their limit, else the
        super admin."""
        limit = self.settings().campus_manager_refund_limit
        return manager if amount <= limit else "admin"

    def settings(self) -> m.OrganisationSettings:
        """The organisation's settings (read once)."""
        if self._settings is None:
            with self.story.make_uow(self.story.organisation_id) as uow:
                self._settings = uow.organisations.current().settings
        return self._settings

    # -- the materials invoice ------------------------------------------------------------

    def materials(self, child: Child, plan: CohortPlan) -> None:
        """In the term's second week the front desk invoices the child's family for the
        class's kit (a draft, checked and sent); the workbook is out of print, so three days
        later the campus manager credits it; four days after that the family pays the rest in
        cash."""
        self.scripted.add(child.household)
        campus = plan.spec.campus
        desk, manager = FRONT_DESKS[campus], MANAGERS[campus]
        day = plan.first_day + timedelta(days=8)
        made: list[m.Invoice] = []

        def create() -> None:
            lines = [
                m.LineItem(description=name, quantity=1, unit_price=Decimal(price))
                for name, price in KIT
            ]
            made.append(
                self.story.invoicing.create_manual_invoice(
                    self.story.actor(desk),
                    _family_id(child.household),
                    lines,
                    notes=f"Materials for {child.first_name}: {plan.name}",
                )
            )

        def send() -> None:
            made[0] = self.story.invoicing.send_invoice(self.story.actor(desk), made[0].id)

        def credit() -> None:
            name, price = KIT[1]
            settings = self.settings()
            gst = Decimal(0) if settings.prices_include_gst else settings.gst_rate
            amount = (Decimal(price) * (1 + gst)).quantize(CENT, ROUND_HALF_UP)  # with its GST
            self.story.invoicing.issue_credit_note(
                self.story.actor(manager),
                made[0].id,
                amount,
                f"{name} out of print: not supplied",
            )

        def settle() -> None:
            invoice = self.story.invoicing.get_invoice(self.story.actor(desk), made[0].id)
            if invoice.is_open:
                self.record(
                    desk,
                    child.household,
                    invoice,
                    invoice.amount_outstanding,
                    method=m.PaymentMethod.CASH,
                )

        steps: tuple[tuple[int, time, Callable[[], None]], ...] = (
            (0, time(10, 0), create),
            (0, time(10, 20), send),
            (3, time(11, 0), credit),
            (7, time(15, 30), settle),
        )
        for days, at, step in steps:
            self.story.at(day + timedelta(days=days), at, step)

    # -- helpers --------------------------------------------------------------------------

    def _method(self) -> m.PaymentMethod:
        roll = self.rng.random()
        for method, share in METHODS:
            if roll < share:
                return method
            roll -= share
        return m.PaymentMethod.BANK_TRANSFER

    def _hour(self) -> time:
        return time(self.rng.randrange(10, 17), self.rng.randrange(60))


def _family_id(household: Household) -> UUID:
    if household.family_id is None:
        raise LookupError(f"{household.details['family_name']} is not opened yet")
    return household.family_id
