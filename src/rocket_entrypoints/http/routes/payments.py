"""Payments received (recorded by staff: bank transfer, cash, cheque, a card at the desk),
where their money went, family credit, refunds and the family ledger.

Card payments online come from Stripe through the webhook (routes/webhooks.py). Money is a
string in JSON ("352.00"); a request may send a string or a number.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs
from litestar import get, post

from rocket_core.model import Payment, PaymentMethod, Refund, RefundStatus
from rocket_core.permissions import Actor
from rocket_core.services.base import actor_for
from rocket_core.services.ledger import EntryKind
from rocket_core.services.payments import PaymentDetails, PaymentService
from rocket_entrypoints.http.routes._paging import Limit, Offset, Page, page
from rocket_entrypoints.http.routes.billing import InvoiceOut, invoice_out, money_in

STAFF = {"access": "staff"}
TAGS = ["payments"]


@attrs.frozen
class PaymentIn:
    """Money received from a family. It pays ``invoice_id`` first (if given), then the
    family's other open invoices, oldest due first; the rest is the family's credit.
    ``paid_at`` (with a time zone) defaults to now and cannot be in the future."""

    family_id: UUID
    amount: Decimal
    method: PaymentMethod
    invoice_id: UUID | None = None
    paid_at: datetime | None = None
    reference_number: str | None = None
    notes: str | None = None


@attrs.frozen
class PaymentOut:
    """A payment as recorded."""

    id: UUID
    family_id: UUID
    invoice_id: UUID | None
    payment_date: datetime
    amount: Decimal
    payment_method: PaymentMethod
    reference_number: str | None
    stripe_payment_intent_id: str | None
    notes: str | None
    recorded_by_staff_id: UUID | None
    created_at: datetime


@attrs.frozen
class AllocationOut:
    """Part of a payment applied to an invoice; ``still_applied`` is what refunds left of it."""

    id: UUID
    invoice_id: UUID
    invoice_number: str
    amount: Decimal
    still_applied: Decimal
    allocated_at: datetime


@attrs.frozen
class RefundOut:
    """Money of a payment given back (pending while the card provider pays it out)."""

    id: UUID
    payment_id: UUID
    family_id: UUID
    amount: Decimal
    reason: str
    status: RefundStatus
    stripe_refund_id: str | None
    refunded_at: datetime
    recorded_by_staff_id: UUID | None
    approved_by_staff_id: UUID | None


@attrs.frozen
class PaymentDetailOut:
    """A payment and where its money is: applied to invoices, refunded, or the family's
    credit."""

    payment: PaymentOut
    allocations: list[AllocationOut]
    refunds: list[RefundOut]
    refunded: Decimal
    credit: Decimal


@attrs.frozen
class RefundIn:
    """How much of the payment to give back and why; front desk names the manager who
    approved it."""

    amount: Decimal
    reason: str
    approved_by_staff_id: UUID | None = None


@attrs.frozen
class ApplyCreditIn:
    """The open invoice of the family that its credit should pay."""

    invoice_id: UUID


@attrs.frozen
class LedgerEntryOut:
    """One line of the ledger: ``amount`` adds to what the family owes (a charge, a refund) or
    takes from it (a payment, a credit note, negative); ``balance`` is the running balance."""

    on: date
    kind: EntryKind
    entity_id: UUID
    reference: str
    description: str
    amount: Decimal
    balance: Decimal


@attrs.frozen
class LedgerOut:
    """A family's ledger in date order. ``balance`` = ``outstanding`` - ``credit``."""

    family_id: UUID
    entries: list[LedgerEntryOut]
    balance: Decimal
    account_balance: Decimal
    outstanding: Decimal
    credit: Decimal


def _fields(cls: type, source: object) -> dict[str, Any]:
    return {f.name: getattr(source, f.name) for f in attrs.fields(cls)}


def _payment(payment: Payment) -> PaymentOut:
    return PaymentOut(**_fields(PaymentOut, payment))


def _refund(refund: Refund) -> RefundOut:
    return RefundOut(**_fields(RefundOut, refund))


def _details(details: PaymentDetails) -> PaymentDetailOut:
    return PaymentDetailOut(
        payment=_payment(details.payment),
        allocations=[
            AllocationOut(
                id=a.id,
                invoice_id=a.invoice_id,
                invoice_number=details.invoice_numbers.get(a.invoice_id, ""),
                amount=a.amount,
                still_applied=details.applied[a.id],
                allocated_at=a.allocated_at,
            )
            for a in details.allocations
        ],
        refunds=[_refund(r) for r in details.refunds],
        refunded=details.refunded,
        credit=details.credit,
    )


def _approver(service: PaymentService, actor: Actor, staff_id: UUID | None) -> Actor | None:
    if staff_id is None:
        return None
    return actor_for(service.make_uow, actor.organisation_id, staff_id)


@post("/payments", opt=STAFF, sync_to_thread=True, tags=TAGS)
def record_payment(data: PaymentIn, actor: Actor, payments: PaymentService) -> PaymentDetailOut:
    """Record money received at the desk or by transfer, and show where it went."""
    payment = payments.record_payment(
        actor,
        family_id=data.family_id,
        amount=money_in(data.amount),
        method=data.method,
        invoice_id=data.invoice_id,
        paid_at=data.paid_at,
        reference_number=data.reference_number,
        notes=data.notes,
    )
    return _details(payments.get_payment(actor, payment.id))


@get("/payments/{payment_id:uuid}", opt=STAFF, sync_to_thread=True, tags=TAGS)
def get_payment(payment_id: UUID, actor: Actor, payments: PaymentService) -> PaymentDetailOut:
    """A payment with its allocations, refunds and remaining credit."""
    return _details(payments.get_payment(actor, payment_id))


@get("/families/{family_id:uuid}/payments", opt=STAFF, sync_to_thread=True, tags=TAGS)
def list_payments(
    family_id: UUID,
    actor: Actor,
    payments: PaymentService,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[PaymentOut]:
    """A family's payments by payment date, optionally from ``date_from`` to ``date_to``
    (the family's campus's days, inclusive)."""
    found = page(
        payments.list_payments(actor, family_id, date_from=date_from, date_to=date_to),
        limit,
        offset,
    )
    return Page(
        items=[_payment(p) for p in found.items], total=found.total, limit=limit, offset=offset
    )


@post("/payments/{payment_id:uuid}/refunds", opt=STAFF, sync_to_thread=True, tags=TAGS)
def refund_payment(
    payment_id: UUID, data: RefundIn, actor: Actor, payments: PaymentService
) -> RefundOut:
    """Give back part or all of a payment, within the caller's refund limit (a campus manager
    up to the organisation's limit, $500 by default; above it a super admin) and what the
    payment has left to refund. Card payments go back through the payment provider."""
    approver = _approver(payments, actor, data.approved_by_staff_id)
    return _refund(
        payments.refund(actor, payment_id, money_in(data.amount), data.reason, approver=approver)
    )


@get("/families/{family_id:uuid}/refunds", opt=STAFF, sync_to_thread=True, tags=TAGS)
def list_refunds(
    family_id: UUID,
    actor: Actor,
    payments: PaymentService,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[RefundOut]:
    """A family's refunds, oldest first."""
    found = page(payments.list_refunds(actor, family_id), limit, offset)
    return Page(
        items=[_refund(r) for r in found.items], total=found.total, limit=limit, offset=offset
    )


@post(
    "/families/{family_id:uuid}/apply-credit",
    opt=STAFF,
    sync_to_thread=True,
    tags=TAGS,
    status_code=200,
)
def apply_credit(
    family_id: UUID, data: ApplyCreditIn, actor: Actor, payments: PaymentService
) -> InvoiceOut:
    """Apply the family's credit (oldest payment first) to one of its open invoices, up to
    what it owes (409 when the family has no credit)."""
    return invoice_out(payments.apply_credit(actor, family_id, data.invoice_id))


@get("/families/{family_id:uuid}/ledger", opt=STAFF, sync_to_thread=True, tags=TAGS)
def ledger(family_id: UUID, actor: Actor, payments: PaymentService) -> LedgerOut:
    """The family's charges, credit notes, payments and refunds in date order with the running
    balance (void invoices left out: they were never owed)."""
    books = payments.ledger(actor, family_id)
    return LedgerOut(
        family_id=books.family_id,
        entries=[LedgerEntryOut(**_fields(LedgerEntryOut, e)) for e in books.entries],
        balance=books.balance,
        account_balance=books.account_balance,
        outstanding=books.outstanding,
        credit=books.credit,
    )


ROUTES = [
    record_payment,
    get_payment,
    list_payments,
    refund_payment,
    list_refunds,
    apply_credit,
    ledger,
]
