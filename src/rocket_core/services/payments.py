"""Payments, family credit and refunds.

Money received from a family is a ``Payment`` (credit card, bank transfer, cash or cheque).
Its ``PaymentAllocation`` records say which invoices it paid; what it did not pay is the
family's credit, which a later allocation applies to another invoice. A ``Refund`` gives
money of one payment back. ``Family.account_balance`` follows every change (charges +,
credit notes and payments -, refunds +); ``services/ledger.py`` explains where a payment's
money is and how the ledger and the recount read the records.

Use cases (``PaymentService``): ``record_payment``, ``apply_credit``, ``refund``,
``ledger``, ``recount``, the reads ``get_payment``, ``list_payments``, ``list_refunds``, and
``apply_available_credit`` / ``on_invoice_issued`` for the system.
The module functions ``record_payment``, ``record_provider_refund`` and ``apply_credit`` do
the same inside a caller's transaction (the webhook service, invoicing) and check no
permission: the caller does.

Decisions where the rules are silent:

- **Where a payment goes**: first to the invoice it is recorded for (up to what that invoice
  still owes), then to the family's other open invoices, the oldest due first; what is left is
  the family's credit. Money is never turned away: overpayment becomes credit.
- **Paying an invoice that takes no payment** (draft, void or already paid) is refused when
  staff record it. A card payment that the provider already took (it has a PaymentIntent) for
  such an invoice is recorded all the same: the money goes to the family's other open
  invoices or becomes credit.
- **The same payment is never recorded twice**: a PaymentIntent id already recorded returns
  the existing payment and records nothing (and the database has it UNIQUE).
- **Existing credit pays new invoices automatically**: ``on_invoice_issued`` (``subscribe``
  puts it on ``InvoiceIssued``) applies the family's credit, oldest payment first, to a newly issued
  invoice; staff can also apply it by hand (``apply_credit``), e.g. to an invoice that a
  refund opened again.
- **A paid invoice confirms its enrolment**: when an allocation pays an invoice in full and
  its enrolment is pending payment, the enrolment moves to enrolled in the same transaction
  (``EnrolmentService.confirm_payment``). A refund later does not undo an enrolment: that is
  a withdrawal, for staff to decide.
- **A refund** gives back at most what the payment brought minus what was already refunded
  (pending or succeeded), whatever the provider would allow. It takes the payment's unused
  credit first; the rest is released from the invoices the payment paid, the latest
  allocation first, and those invoices are owed again (back to part-paid or sent; overdue
  stays overdue). Card payments with a PaymentIntent are refunded through the PaymentGateway
  (a refund the provider reports pending is recorded pending, and counts as given back);
  card payments without one (a terminal at the desk) and cash, cheque and bank transfer
  payments are refunded by hand and recorded as succeeded. If the provider refunded but our
  commit then failed, the provider's refund webhook records it (``record_provider_refund``,
  idempotent on the Stripe refund id).
- **Refund limits** (permission matrix): a super admin without limit; a campus manager of
  the family's campus up to ``campus_manager_refund_limit`` per refund; front desk only with
  an approver who may refund it themselves (so a manager's approval carries the manager's
  limit; above it the approver must be a super admin).
- **Campus scope**: a family belongs to the campuses where its children have (or had) an
  enrolment; "record payments" (and "view invoices", "refund") at campus scope cover a family
  with an enrolment at one of the actor's campuses. A family with no enrolment at all is
  handled by a super admin (or, for viewing, by front desk: one family at a time).
- **Dates**: a payment's date defaults to now and cannot be in the future; the ledger dates
  payments and refunds in the time zone of the family's campus (and so does the date range of
  ``list_payments``).
- **Viewing** a family's payments, refunds and ledger is ``Action.VIEW_INVOICES`` (the matrix
  has no row of its own for them): super admin all, campus manager for a family of their
  campuses, front desk one family at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from rocket_core.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    PaymentGatewayError,
    ValidationError,
)
from rocket_core.events import (
    DomainEvent,
    EventBus,
    InvoiceIssued,
    PaymentRecorded,
    RefundRecorded,
)
from rocket_core.model import (
    EnrolmentStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Refund,
    RefundStatus,
)
from rocket_core.permissions import Action, Actor, Scope, authorise, refund_limit_for
from rocket_core.ports import Clock, PaymentGateway, UnitOfWork, UnitOfWorkFactory
from rocket_core.services.base import Service
from rocket_core.services.enrolment import EnrolmentService
from rocket_core.services.ledger import (
    ZERO,
    Ledger,
    Recount,
    build_ledger,
    load_books,
    place,
    recount,
    released_by,
)

CENT = Decimal("0.01")
#: Amounts must stay below this (NUMERIC(10,2)).
MONEY_LIMIT = Decimal("100000000")
#: The reason recorded on a refund that was made at the payment provider's side.
PROVIDER_REFUND_REASON = "refunded at the payment provider"
#: Gateway refund statuses: money on its way (recorded pending) or already back.
_GATEWAY_STATUS = {
    "succeeded": RefundStatus.SUCCEEDED,
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
}


# -- module functions: inside the caller's transaction ---------------------------------------


def record_payment(
    uow: UnitOfWork,
    actor: Actor | None,
    *,
    family_id: UUID,
    amount: Decimal,
    method: PaymentMethod,
    invoice_id: UUID | None = None,
    stripe_payment_intent_id: str | None = None,
    reference_number: str | None = None,
    notes: str | None = None,
    paid_at: datetime,
    clock: Clock | None = None,
) -> Payment:
    """Record money received from a family inside the caller's transaction (no permission
    check: the caller's). Idempotent on ``stripe_payment_intent_id``: a PaymentIntent already
    recorded returns its payment and records nothing. The payment goes to ``invoice_id`` up to
    what it owes, then to the family's other open invoices, oldest due first; the rest is
    credit. Audit entries are stamped by ``clock`` (default: ``paid_at``)."""
    return _Books.inside(clock or _Stopped(paid_at)).record(
        uow,
        actor,
        family_id=family_id,
        amount=amount,
        method=method,
        invoice_id=invoice_id,
        stripe_payment_intent_id=stripe_payment_intent_id,
        reference_number=reference_number,
        notes=notes,
        paid_at=paid_at,
    )


def record_provider_refund(
    uow: UnitOfWork,
    *,
    stripe_refund_id: str,
    payment_intent_id: str,
    amount: Decimal,
    at: datetime,
    clock: Clock | None = None,
    status: RefundStatus | str = RefundStatus.SUCCEEDED,
) -> Refund | None:
    """Record what the payment provider reports of a refund (a webhook), inside the caller's
    transaction; idempotent on ``stripe_refund_id``.

    ``status`` succeeded (the default): a refund already recorded returns None, unless it
    was pending, in which case it is now succeeded and returned; an unknown one is recorded
    as succeeded. ``status`` failed (Stripe's failed or canceled): a known pending refund
    fails and no longer counts (the family's balance goes back down by its amount and what
    it released from invoices is applied to them again) and is returned; a refund already
    failed, or one Rocket never recorded, returns None (nothing to undo); a succeeded one is
    a Conflict. NotFound for a PaymentIntent with no payment; Conflict for more than the
    payment has left to refund (whatever the provider allowed)."""
    return _Books.inside(clock or _Stopped(at)).provider_refund(
        uow,
        stripe_refund_id=stripe_refund_id,
        payment_intent_id=payment_intent_id,
        amount=amount,
        at=at,
        status=_provider_status(status),
    )


def apply_credit(
    uow: UnitOfWork,
    actor: Actor | None,
    invoice: Invoice,
    *,
    at: datetime,
    clock: Clock | None = None,
) -> tuple[PaymentAllocation, ...]:
    """Apply the family's credit (oldest payment first) to an open invoice, up to what it
    owes, inside the caller's transaction; returns the allocations made (none without credit
    or for an invoice that is not open)."""
    if not invoice.is_open:
        return ()
    return _Books.inside(clock or _Stopped(at)).apply_credit_to(uow, actor, invoice, at)


# -- the service ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class PaymentDetails:
    """One payment and where its money is: its allocations (oldest first) with the numbers of
    the invoices they paid, its refunds, and the part of each allocation still applied (what
    refunds did not release), what was given back and what is held as the family's credit."""

    payment: Payment
    allocations: tuple[PaymentAllocation, ...]
    invoice_numbers: Mapping[UUID, str]
    applied: Mapping[UUID, Decimal]
    refunds: tuple[Refund, ...]
    refunded: Decimal
    credit: Decimal


class _Stopped(Clock):
    """The time a module function was given, as a clock for its audit entries."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at


def _no_unit_of_work(organisation_id: UUID) -> UnitOfWork:
    raise RuntimeError("the payments module functions run inside their caller's unit of work")


class _Books(Service):
    """The steps shared by the use cases and the module functions, inside a given unit of
    work."""

    def __init__(self, make_uow: UnitOfWorkFactory, clock: Clock, bus: EventBus) -> None:
        super().__init__(make_uow, clock, bus)
        self._enrolments = EnrolmentService(make_uow, clock, bus)

    @classmethod
    def inside(cls, clock: Clock) -> _Books:
        """Steps for a caller's transaction (its unit of work publishes the events)."""
        return cls(_no_unit_of_work, clock, EventBus())

    # -- payments -------------------------------------------------------------------------

    def record(
        self,
        uow: UnitOfWork,
        actor: Actor | None,
        *,
        family_id: UUID,
        amount: Decimal,
        method: PaymentMethod | str,
        invoice_id: UUID | None,
        stripe_payment_intent_id: str | None,
        reference_number: str | None,
        notes: str | None,
        paid_at: datetime,
    ) -> Payment:
        """``record_payment`` (module docstring)."""
        if stripe_payment_intent_id is not None:
            known = uow.payments.find_by_payment_intent(stripe_payment_intent_id)
            if known is not None:
                return known
        payment_method = _method(method)
        _money(amount, "Payment.amount")
        if stripe_payment_intent_id is not None and payment_method is not PaymentMethod.CREDIT_CARD:
            raise ValidationError(
                "Payment.stripe_payment_intent_id", "is only for credit card payments"
            )
        family = uow.families.get(family_id)
        named = None if invoice_id is None else uow.invoices.get(invoice_id)
        if named is not None and named.family_id != family.id:
            raise ValidationError(
                "Payment.invoice_id", f"{named.invoice_number} is not an invoice of this family"
            )
        if named is not None and not named.is_open:
            if stripe_payment_intent_id is None:
                raise _takes_no_payment(named)
            named = None  # the provider took the money: it pays other invoices or is credit
        targets = [] if named is None else [named]
        targets += [
            i
            for i in _open_invoices(uow.invoices.list_for_family(family.id))
            if named is None or i.id != named.id
        ]
        plan: list[tuple[Invoice, Decimal]] = []
        left = amount
        for invoice in targets:
            take = min(left, invoice.amount_outstanding)
            if take > ZERO:
                plan.append((invoice, take))
                left -= take
        now = self.clock.now()
        payment = Payment(
            organisation_id=uow.organisation_id,
            family_id=family.id,
            invoice_id=named.id if named is not None else (plan[0][0].id if plan else None),
            payment_date=paid_at,
            amount=amount,
            payment_method=payment_method,
            stripe_payment_intent_id=stripe_payment_intent_id,
            reference_number=reference_number,
            notes=notes,
            recorded_by_staff_id=None if actor is None else actor.staff_id,
            created_at=now,
        )
        uow.payments.add(payment)
        before = family.account_balance
        family.account_balance = before - amount
        numbers = ", ".join(invoice.invoice_number for invoice, _ in plan)
        self.audit(
            uow,
            actor,
            "payment.record",
            payment,
            f"{payment_method.value.replace('_', ' ')} payment of {amount} from"
            f" {family.display_name}"
            + (f" paying {numbers}" if plan else "")
            + (f"; {left} held as credit" if left > ZERO else ""),
            {
                "amount": amount,
                "method": payment_method,
                "family_id": family.id,
                "invoice_id": invoice_id,
                "stripe_payment_intent_id": stripe_payment_intent_id,
                "allocations": [[invoice.invoice_number, take] for invoice, take in plan],
                "credit": left,
                "account_balance": [before, family.account_balance],
            },
        )
        for invoice, take in plan:
            self.allocate(uow, actor, payment, invoice, take, now)
        payment.record(
            PaymentRecorded(
                organisation_id=uow.organisation_id,
                payment_id=payment.id,
                family_id=family.id,
                amount=amount,
                method=payment_method.value,
                invoice_ids=tuple(invoice.id for invoice, _ in plan),
                applied=amount - left,
                credit=left,
            )
        )
        return payment

    def allocate(
        self,
        uow: UnitOfWork,
        actor: Actor | None,
        payment: Payment,
        invoice: Invoice,
        amount: Decimal,
        at: datetime,
    ) -> PaymentAllocation:
        """Apply ``amount`` of ``payment`` to ``invoice``; a paid invoice confirms its
        enrolment when that is pending payment."""
        paid, status = invoice.amount_paid, invoice.status
        invoice.apply_payment(amount)
        allocation = PaymentAllocation(
            organisation_id=uow.organisation_id,
            payment_id=payment.id,
            invoice_id=invoice.id,
            amount=amount,
            allocated_at=at,
        )
        uow.allocations.add(allocation)
        self.audit(
            uow,
            actor,
            "invoice.payment_applied",
            invoice,
            f"{amount} of a {payment.payment_method.value.replace('_', ' ')} payment applied to"
            f" {invoice.invoice_number}: {invoice.amount_outstanding} outstanding",
            {
                "payment_id": payment.id,
                "allocation_id": allocation.id,
                "amount": amount,
                "amount_paid": [paid, invoice.amount_paid],
                "status": [status, invoice.status],
            },
        )
        if invoice.amount_outstanding == ZERO and invoice.enrolment_id is not None:
            enrolment = uow.enrolments.find(invoice.enrolment_id)
            if enrolment is not None and enrolment.status is EnrolmentStatus.PENDING_PAYMENT:
                self._enrolments.confirm_payment(uow, actor, enrolment)
        return allocation

    def apply_credit_to(
        self, uow: UnitOfWork, actor: Actor | None, invoice: Invoice, at: datetime
    ) -> tuple[PaymentAllocation, ...]:
        """The family's credit, oldest payment first, applied to an open invoice."""
        books = load_books(uow, invoice.family_id)
        made = []
        for placement in sorted(
            books.placements,
            key=lambda p: (p.payment.payment_date, p.payment.created_at, p.payment.id),
        ):
            take = min(placement.credit, invoice.amount_outstanding)
            if take > ZERO:
                made.append(self.allocate(uow, actor, placement.payment, invoice, take, at))
        return tuple(made)

    # -- refunds --------------------------------------------------------------------------

    def provider_refund(
        self,
        uow: UnitOfWork,
        *,
        stripe_refund_id: str,
        payment_intent_id: str,
        amount: Decimal,
        at: datetime,
        status: RefundStatus = RefundStatus.SUCCEEDED,
    ) -> Refund | None:
        """``record_provider_refund`` (module docstring)."""
        payment = uow.payments.find_by_payment_intent(payment_intent_id)
        if payment is None:
            raise NotFound("Payment for PaymentIntent", payment_intent_id)
        known = uow.refunds.find_by_stripe_refund(stripe_refund_id)
        if known is not None and known.payment_id != payment.id:
            raise Conflict(f"Stripe refund {stripe_refund_id} is recorded for another payment")
        if status is RefundStatus.FAILED:
            if known is None or known.status is RefundStatus.FAILED:
                return None
            self.fail_refund(uow, payment, known)
            return known
        if known is not None:
            if known.status is not RefundStatus.PENDING:
                return None
            known.succeed()
            self.audit(
                uow,
                None,
                "refund.succeeded",
                known,
                f"the payment provider paid out refund {stripe_refund_id} of {known.amount}",
                {"status": [RefundStatus.PENDING, RefundStatus.SUCCEEDED]},
            )
            return known
        _money(amount, "Refund.amount")
        refund = Refund(
            organisation_id=uow.organisation_id,
            payment_id=payment.id,
            family_id=payment.family_id,
            amount=amount,
            reason=PROVIDER_REFUND_REASON,
            status=RefundStatus.SUCCEEDED,
            stripe_refund_id=stripe_refund_id,
            refunded_at=at,
        )
        self._check_refundable(uow, payment, amount)
        self.enter_refund(uow, None, payment, refund)
        return refund

    def fail_refund(self, uow: UnitOfWork, payment: Payment, refund: Refund) -> None:
        """A pending refund failed at the provider: it no longer counts. What it released from
        the payment's invoices is applied to them again (the placement without it says how
        much) and the family's balance goes back down by its amount. An invoice that can no
        longer take that money back (voided, credited or paid by other money meanwhile) is a
        Conflict: staff must sort it out first."""
        allocations = uow.allocations.list_for_payment(payment.id)
        refunds = uow.refunds.list_for_payment(payment.id)
        before = place(payment, allocations, refunds)
        refund.fail()
        after = place(payment, allocations, [r if r.id != refund.id else refund for r in refunds])
        restored = released_by(after, before)
        for invoice in sorted(uow.invoices.find_many(restored), key=lambda i: i.invoice_number):
            amount = restored[invoice.id]
            if not invoice.is_open or amount > invoice.amount_outstanding:
                raise Conflict(
                    f"refund {refund.stripe_refund_id} failed, but {invoice.invoice_number}"
                    f" ({invoice.status.value}, {invoice.amount_outstanding} outstanding) cannot"
                    f" take the {amount} it released back: sort the invoice out first"
                )
            paid, status = invoice.amount_paid, invoice.status
            invoice.apply_payment(amount)
            self.audit(
                uow,
                None,
                "invoice.payment_restored",
                invoice,
                f"{amount} applied to {invoice.invoice_number} again: the refund failed,"
                f" {invoice.amount_outstanding} outstanding",
                {
                    "refund_id": refund.id,
                    "payment_id": payment.id,
                    "amount": amount,
                    "amount_paid": [paid, invoice.amount_paid],
                    "status": [status, invoice.status],
                },
            )
        family = uow.families.get(payment.family_id)
        balance = family.account_balance
        family.account_balance = balance - refund.amount
        self.audit(
            uow,
            None,
            "refund.failed",
            refund,
            f"the payment provider did not pay out refund {refund.stripe_refund_id} of"
            f" {refund.amount} to {family.display_name}: it no longer counts",
            {
                "status": [RefundStatus.PENDING, RefundStatus.FAILED],
                "payment_id": payment.id,
                "to_credit": after.credit - before.credit,
                "restored": {str(k): v for k, v in restored.items()},
                "account_balance": [balance, family.account_balance],
            },
        )

    def _check_refundable(self, uow: UnitOfWork, payment: Payment, amount: Decimal) -> None:
        done = place(payment, (), uow.refunds.list_for_payment(payment.id)).refunded
        if amount > payment.amount - done:
            raise Conflict(
                f"a refund of {amount} is more than the {payment.amount - done} left to refund"
                f" of this {payment.amount} payment ({done} already refunded)"
            )

    def enter_refund(
        self, uow: UnitOfWork, actor: Actor | None, payment: Payment, refund: Refund
    ) -> None:
        """Add a checked refund: release what it takes from the payment's invoices, raise the
        family's balance, audit and record the event."""
        allocations = uow.allocations.list_for_payment(payment.id)
        refunds = uow.refunds.list_for_payment(payment.id)
        before = place(payment, allocations, refunds)
        after = place(payment, allocations, [*refunds, refund])
        uow.refunds.add(refund)
        released = released_by(before, after)
        for invoice in sorted(uow.invoices.find_many(released), key=lambda i: i.invoice_number):
            amount = released[invoice.id]
            paid, status = invoice.amount_paid, invoice.status
            invoice.unapply_payment(amount)
            self.audit(
                uow,
                actor,
                "invoice.payment_released",
                invoice,
                f"{amount} refunded from {invoice.invoice_number}:"
                f" {invoice.amount_outstanding} outstanding again",
                {
                    "refund_id": refund.id,
                    "payment_id": payment.id,
                    "amount": amount,
                    "amount_paid": [paid, invoice.amount_paid],
                    "status": [status, invoice.status],
                },
            )
        family = uow.families.get(payment.family_id)
        balance = family.account_balance
        family.account_balance = balance + refund.amount
        self.audit(
            uow,
            actor,
            "refund.record",
            refund,
            f"refund of {refund.amount} to {family.display_name}"
            f" ({refund.status.value}): {refund.reason}",
            {
                "payment_id": payment.id,
                "amount": refund.amount,
                "status": refund.status,
                "stripe_refund_id": refund.stripe_refund_id,
                "approved_by_staff_id": refund.approved_by_staff_id,
                "from_credit": before.credit - after.credit,
                "released": {str(k): v for k, v in released.items()},
                "account_balance": [balance, family.account_balance],
            },
        )
        refund.record(
            RefundRecorded(
                organisation_id=uow.organisation_id,
                refund_id=refund.id,
                payment_id=payment.id,
                family_id=payment.family_id,
                amount=refund.amount,
                status=refund.status.value,
            )
        )


class PaymentService(_Books):
    """Payments, credit, refunds and the family ledger (module docstring: the rules)."""

    def __init__(
        self,
        make_uow: UnitOfWorkFactory,
        clock: Clock,
        bus: EventBus,
        gateway: PaymentGateway,
    ) -> None:
        super().__init__(make_uow, clock, bus)
        self.gateway = gateway

    def record_payment(
        self,
        actor: Actor,
        *,
        family_id: UUID,
        amount: Decimal,
        method: PaymentMethod | str,
        invoice_id: UUID | None = None,
        paid_at: datetime | None = None,
        reference_number: str | None = None,
        notes: str | None = None,
        stripe_payment_intent_id: str | None = None,
    ) -> Payment:
        """Record money received from a family (default date: now): it pays ``invoice_id``
        (if given), then the family's other open invoices, and the rest is credit."""
        with self.transaction(actor) as uow:
            family = uow.families.get(family_id)
            authorise(
                actor,
                Action.RECORD_PAYMENTS,
                campus_id=_campus_for(uow, family.id, actor),
                family_id=family.id,
            )
            now = self.clock.now()
            if paid_at is None:
                paid_at = now
            elif not isinstance(paid_at, datetime) or paid_at.utcoffset() is None:
                raise ValidationError("Payment.payment_date", "must be a timezone-aware datetime")
            elif paid_at > now:
                raise ValidationError("Payment.payment_date", "cannot be in the future")
            return self.record(
                uow,
                actor,
                family_id=family.id,
                amount=amount,
                method=method,
                invoice_id=invoice_id,
                stripe_payment_intent_id=stripe_payment_intent_id,
                reference_number=reference_number,
                notes=notes,
                paid_at=paid_at,
            )

    def apply_credit(self, actor: Actor, family_id: UUID, invoice_id: UUID) -> Invoice:
        """Apply the family's credit (oldest payment first) to one of its open invoices, up to
        what it owes; Conflict when the family has no credit."""
        with self.transaction(actor) as uow:
            family = uow.families.get(family_id)
            invoice = uow.invoices.get(invoice_id)
            authorise(
                actor,
                Action.RECORD_PAYMENTS,
                campus_id=_campus_for(uow, family.id, actor),
                family_id=family.id,
            )
            if invoice.family_id != family.id:
                raise ValidationError(
                    "PaymentAllocation.invoice_id",
                    f"{invoice.invoice_number} is not an invoice of this family",
                )
            if not invoice.is_open:
                raise _takes_no_payment(invoice)
            if not self.apply_credit_to(uow, actor, invoice, self.clock.now()):
                raise Conflict(f"{family.display_name} has no credit to apply")
        return invoice

    def apply_available_credit(
        self, organisation_id: UUID, invoice_id: UUID
    ) -> tuple[PaymentAllocation, ...]:
        """The system applies the family's credit to an invoice just issued (none when it
        has no credit, or the invoice is not open any more: running it again does nothing)."""
        with self.system_transaction(organisation_id) as uow:
            invoice = uow.invoices.find(invoice_id)
            if invoice is None or not invoice.is_open:
                return ()
            return self.apply_credit_to(uow, None, invoice, self.clock.now())

    def subscribe(self) -> None:
        """Apply existing credit to every invoice issued (call once, when wiring the
        application)."""
        self.bus.subscribe(InvoiceIssued, self.on_invoice_issued)

    def on_invoice_issued(self, event: DomainEvent) -> None:
        """The handler of InvoiceIssued: the family's credit pays the new invoice."""
        if isinstance(event, InvoiceIssued):
            self.apply_available_credit(event.organisation_id, event.invoice_id)

    def refund(
        self,
        actor: Actor,
        payment_id: UUID,
        amount: Decimal,
        reason: str,
        *,
        approver: Actor | None = None,
    ) -> Refund:
        """Give back ``amount`` of a payment (through the gateway for card payments with a
        PaymentIntent), within the actor's (or approver's) refund limit and what the payment
        has left to refund."""
        with self.transaction(actor) as uow:
            payment = uow.payments.get(payment_id)
            family_id = payment.family_id
            authorise(
                actor,
                Action.REFUND,
                campus_id=_campus_for(uow, family_id, actor, approver),
                family_id=family_id,
                approver=approver,
            )
            _money(amount, "Refund.amount")
            authority = (
                approver
                if approver is not None and actor.grant(Action.REFUND).scope is Scope.APPROVAL
                else actor
            )
            limit = refund_limit_for(
                authority, uow.organisations.current().settings.campus_manager_refund_limit
            )
            if limit is not None and amount > limit:
                raise Forbidden(
                    f"{authority.role.value} may refund at most {limit} at once:"
                    f" a refund of {amount} needs a super admin"
                )
            refund = Refund(
                organisation_id=uow.organisation_id,
                payment_id=payment.id,
                family_id=family_id,
                amount=amount,
                reason=reason,
                refunded_at=self.clock.now(),
                recorded_by_staff_id=actor.staff_id,
                approved_by_staff_id=None if approver is None else approver.staff_id,
            )
            self._check_refundable(uow, payment, amount)
            intent = payment.stripe_payment_intent_id
            if payment.payment_method is PaymentMethod.CREDIT_CARD and intent is not None:
                result = self.gateway.refund(payment_intent_id=intent, amount=amount)
                status = _GATEWAY_STATUS.get(result.status)
                if status is None:
                    raise PaymentGatewayError(
                        f"the payment provider did not refund {amount} of {intent}:"
                        f" refund {result.id} is {result.status}"
                    )
                refund.update(stripe_refund_id=result.id, status=status)
            self.enter_refund(uow, actor, payment, refund)
        return refund

    def ledger(self, actor: Actor, family_id: UUID) -> Ledger:
        """The family's charges, credit notes, payments and refunds in date order with the
        running balance."""
        with self.transaction(actor) as uow:
            family = uow.families.get(family_id)
            _authorise_view(uow, actor, family.id)
            return build_ledger(load_books(uow, family.id), _timezone(uow, family.id))

    def get_payment(self, actor: Actor, payment_id: UUID) -> PaymentDetails:
        """One payment with its allocations, refunds and credit, for staff who may view the
        family's invoices."""
        with self.transaction(actor) as uow:
            payment = uow.payments.get(payment_id)
            _authorise_view(uow, actor, payment.family_id)
            allocations = uow.allocations.list_for_payment(payment.id)
            refunds = uow.refunds.list_for_payment(payment.id)
            wanted = {allocation.invoice_id for allocation in allocations}
            invoices = uow.invoices.find_many(wanted) if wanted else []
        placement = place(payment, allocations, refunds)
        return PaymentDetails(
            payment=payment,
            allocations=placement.allocations,
            invoice_numbers={invoice.id: invoice.invoice_number for invoice in invoices},
            applied=placement.applied,
            refunds=tuple(refunds),
            refunded=placement.refunded,
            credit=placement.credit,
        )

    def list_payments(
        self,
        actor: Actor,
        family_id: UUID,
        *,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> list[Payment]:
        """A family's payments by payment date, optionally those dated (in the family's
        campus's time zone) from ``date_from`` to ``date_to`` inclusive."""
        if date_from is not None and date_to is not None and date_from > date_to:
            raise ValidationError("date_to", "must not be before date_from")
        with self.transaction(actor) as uow:
            family = uow.families.get(family_id)
            _authorise_view(uow, actor, family.id)
            zone = ZoneInfo(_timezone(uow, family.id))
            payments = uow.payments.list_for_family(family.id)

        def wanted(payment: Payment) -> bool:
            day = payment.payment_date.astimezone(zone).date()
            return (date_from is None or day >= date_from) and (date_to is None or day <= date_to)

        return sorted(
            (p for p in payments if wanted(p)),
            key=lambda p: (p.payment_date, p.created_at, str(p.id)),
        )

    def list_refunds(self, actor: Actor, family_id: UUID) -> list[Refund]:
        """A family's refunds (pending, succeeded and failed), oldest first."""
        with self.transaction(actor) as uow:
            family = uow.families.get(family_id)
            _authorise_view(uow, actor, family.id)
            refunds = uow.refunds.list_for_family(family.id)
        return sorted(refunds, key=lambda r: (r.refunded_at, str(r.id)))

    def recount(self, organisation_id: UUID, family_id: UUID) -> Recount:
        """Check the family's stored balance and invoice figures against its records (the
        system's check; nothing is changed)."""
        with self.system_transaction(organisation_id) as uow:
            return recount(load_books(uow, family_id))


# -- helpers --------------------------------------------------------------------------------


def _money(amount: Any, field: str) -> None:
    """``amount`` is a positive Decimal of whole cents (ValidationError naming ``field``)."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValidationError(field, "must be a finite Decimal amount")
    if amount <= ZERO:
        raise ValidationError(field, "must be more than 0.00")
    if amount >= MONEY_LIMIT:  # before quantize, which cannot hold a huge exponent
        raise ValidationError(field, "must be less than 100,000,000.00")
    if amount != amount.quantize(CENT):
        raise ValidationError(field, "must be a whole number of cents")


def _method(method: PaymentMethod | str) -> PaymentMethod:
    if isinstance(method, PaymentMethod):
        return method
    try:
        return PaymentMethod(method)
    except ValueError:
        allowed = ", ".join(m.value for m in PaymentMethod)
        raise ValidationError("Payment.payment_method", f"must be one of {allowed}") from None


def _provider_status(status: RefundStatus | str) -> RefundStatus:
    """A provider's final refund status: succeeded, or failed (Stripe's failed/canceled)."""
    if status in ("failed", "canceled"):
        return RefundStatus.FAILED
    if status == "succeeded":
        return RefundStatus.SUCCEEDED
    raise ValidationError("Refund.status", f"must be succeeded, failed or canceled, not {status!r}")


def _open_invoices(invoices: Iterable[Invoice]) -> list[Invoice]:
    """Open invoices, the oldest due first."""
    return sorted(
        (i for i in invoices if i.is_open),
        key=lambda i: (i.due_date, i.issue_date, i.invoice_number),
    )


def _takes_no_payment(invoice: Invoice) -> Conflict:
    if invoice.status is InvoiceStatus.PAID:
        return Conflict(
            f"{invoice.invoice_number} is already paid: record the payment without an invoice"
            " to hold it as the family's credit"
        )
    return InvalidTransition("Invoice", invoice.id, invoice.status.value, "take a payment")


def _family_campuses(uow: UnitOfWork, family_id: UUID) -> list[UUID]:
    """The campuses where the family's children have or had an enrolment, by campus name."""
    cohort_ids = {
        enrolment.cohort_id
        for student in uow.students.list_for_family(family_id)
        for enrolment in uow.enrolments.list_for_student(student.id)
    }
    campus_ids = {cohort.campus_id for cohort in uow.cohorts.find_many(cohort_ids)}
    campuses = sorted(uow.campuses.find_many(campus_ids), key=lambda c: (c.name, c.id))
    return [campus.id for campus in campuses]


def _campus_for(uow: UnitOfWork, family_id: UUID, *actors: Actor | None) -> UUID | None:
    """A campus of the family that one of ``actors`` is assigned to (for ``authorise``), else
    None: a campus-scoped grant then does not cover the family."""
    assigned = {c for actor in actors if actor is not None for c in actor.campus_ids}
    return next((c for c in _family_campuses(uow, family_id) if c in assigned), None)


def _authorise_view(uow: UnitOfWork, actor: Actor, family_id: UUID) -> None:
    """``Action.VIEW_INVOICES`` over the family's financial records."""
    authorise(
        actor,
        Action.VIEW_INVOICES,
        campus_id=_campus_for(uow, family_id, actor),
        family_id=family_id,
    )


def _timezone(uow: UnitOfWork, family_id: UUID) -> str:
    """The time zone the family's ledger is dated in: its first campus's, else the
    organisation's first campus's, else UTC."""
    family_campuses = _family_campuses(uow, family_id)
    if family_campuses:
        return uow.campuses.get(family_campuses[0]).timezone
    campuses = uow.campuses.list()
    return campuses[0].timezone if campuses else "UTC"
