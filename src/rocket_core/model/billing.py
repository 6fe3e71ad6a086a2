"""Billing context: invoices with their line items, and payments."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

import attrs

from rocket_core.errors import Conflict, InvalidTransition, ValidationError
from rocket_core.model import checks as c
from rocket_core.model.base import Entity, new_id, utc_now

ZERO = Decimal("0.00")
_INVOICE_NUMBER = re.compile(r"INV-[0-9]{4}-[0-9]{6}")


class InvoiceStatus(StrEnum):
    """Invoice.status."""

    DRAFT = "draft"
    SENT = "sent"
    PAID = "paid"
    PARTIAL = "partial"
    OVERDUE = "overdue"
    VOID = "void"


class PaymentMethod(StrEnum):
    """Payment.payment_method."""

    CREDIT_CARD = "credit_card"
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"
    CHEQUE = "cheque"


def invoice_number(year: int, sequence: int) -> str:
    """The invoice number for the ``sequence``-th invoice of ``year``: INV-2026-001234."""
    if not 1 <= sequence <= 999_999 or not 1000 <= year <= 9999:
        raise ValueError(f"no invoice number for year {year}, sequence {sequence}")
    return f"INV-{year:04d}-{sequence:06d}"


def _invoice_number(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not _INVOICE_NUMBER.fullmatch(value):
        raise c.fail(instance, attribute, "must look like INV-2026-001234")


@attrs.frozen(kw_only=True)
class LineItem:
    """One line of an invoice: a description, a quantity and a unit price (negative for a
    discount or credit line)."""

    description: str = attrs.field(validator=c.text(200))
    quantity: int = attrs.field(default=1, validator=c.whole_number(1, 10_000))
    unit_price: Decimal = attrs.field(validator=c.money(signed=True))

    @property
    def amount(self) -> Decimal:
        """quantity x unit price."""
        return self.quantity * self.unit_price


def _lines(value: Iterable[LineItem]) -> tuple[LineItem, ...]:
    return tuple(value)


_INVOICE_MOVES: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    InvoiceStatus.DRAFT: frozenset({InvoiceStatus.SENT, InvoiceStatus.VOID}),
    InvoiceStatus.SENT: frozenset(
        {InvoiceStatus.PARTIAL, InvoiceStatus.PAID, InvoiceStatus.OVERDUE, InvoiceStatus.VOID}
    ),
    InvoiceStatus.PARTIAL: frozenset(
        {InvoiceStatus.PAID, InvoiceStatus.OVERDUE, InvoiceStatus.VOID}
    ),
    InvoiceStatus.OVERDUE: frozenset(
        {InvoiceStatus.PARTIAL, InvoiceStatus.PAID, InvoiceStatus.VOID}
    ),
    InvoiceStatus.PAID: frozenset(),
    InvoiceStatus.VOID: frozenset(),
}


@attrs.define(slots=False, eq=False, kw_only=True)
class Invoice(Entity):
    """A bill to a family. Its lines are fixed once it is sent; payments reduce what is
    outstanding, and ``amount_outstanding`` always equals ``total_amount - amount_paid``.

    The figures (GST, discounts, proration) are computed by the billing service; the
    invoice keeps them consistent.
    """

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    invoice_number: str = attrs.field(validator=_invoice_number)
    family_id: UUID = attrs.field(validator=c.of_type(UUID))
    enrolment_id: UUID | None = attrs.field(default=None, validator=c.optional(c.of_type(UUID)))
    issue_date: date = attrs.field(validator=c.a_date)
    due_date: date = attrs.field(validator=c.a_date)
    total_amount: Decimal = attrs.field(validator=c.money())
    gst_amount: Decimal = attrs.field(default=ZERO, validator=c.money())
    discount_amount: Decimal = attrs.field(default=ZERO, validator=c.money())
    amount_paid: Decimal = attrs.field(default=ZERO, validator=c.money())
    #: What credit notes took off this invoice (corrections after it was sent).
    amount_credited: Decimal = attrs.field(default=ZERO, validator=c.money())
    amount_outstanding: Decimal = attrs.field(validator=c.money())
    status: InvoiceStatus = attrs.field(
        default=InvoiceStatus.DRAFT, validator=c.member_of(InvoiceStatus)
    )
    line_items: tuple[LineItem, ...] = attrs.field(default=(), converter=_lines)
    notes: str | None = attrs.field(default=None, validator=c.optional(c.long_text))
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    def __attrs_post_init__(self) -> None:
        c.require(
            all(isinstance(line, LineItem) for line in self.line_items),
            "Invoice.line_items",
            "must hold LineItem values",
        )
        c.require(self.due_date >= self.issue_date, "Invoice.due_date", "must not be before issue")
        c.require(
            self.gst_amount <= self.total_amount,
            "Invoice.gst_amount",
            "cannot exceed total_amount",
        )
        c.require(
            self.amount_paid + self.amount_credited <= self.total_amount,
            "Invoice.amount_paid",
            "with amount_credited cannot exceed total_amount (overpayment is family credit)",
        )
        if self.status is not InvoiceStatus.VOID:
            c.require(
                self.amount_outstanding
                == self.total_amount - self.amount_paid - self.amount_credited,
                "Invoice.amount_outstanding",
                "must equal total_amount - amount_paid - amount_credited",
            )

    @property
    def lines_total(self) -> Decimal:
        """The sum of the line amounts."""
        return sum((line.amount for line in self.line_items), ZERO)

    @property
    def is_open(self) -> bool:
        """Sent, partial or overdue: money is still expected."""
        return self.status in (InvoiceStatus.SENT, InvoiceStatus.PARTIAL, InvoiceStatus.OVERDUE)

    def _move(self, target: InvoiceStatus, action: str) -> None:
        if target not in _INVOICE_MOVES[self.status]:
            raise InvalidTransition("Invoice", self.id, self.status.value, action)
        self.status = target

    def revise(
        self, *, line_items: tuple[LineItem, ...], total: Decimal, gst: Decimal, discount: Decimal
    ) -> None:
        """Replace the lines and figures of a draft; a sent invoice never changes its lines."""
        if self.status is not InvoiceStatus.DRAFT:
            raise InvalidTransition("Invoice", self.id, self.status.value, "change lines")
        self.update(
            line_items=tuple(line_items),
            total_amount=total,
            gst_amount=gst,
            discount_amount=discount,
            amount_outstanding=total - self.amount_paid,
        )

    def send(self) -> None:
        """draft -> sent: the invoice is issued to the family; its lines are now fixed."""
        self._move(InvoiceStatus.SENT, "send")
        if self.amount_outstanding == ZERO:
            self.status = InvoiceStatus.PAID

    def apply_payment(self, amount: Decimal) -> None:
        """Allocate ``amount`` (at most what is outstanding) to the invoice."""
        c.money()(self, attrs.fields(Invoice).amount_paid, amount)
        if not self.is_open:
            raise InvalidTransition("Invoice", self.id, self.status.value, "take a payment")
        if amount <= ZERO or amount > self.amount_outstanding:
            raise Conflict(
                f"Invoice {self.invoice_number}: a payment of {amount} must be more than 0.00"
                f" and at most the {self.amount_outstanding} outstanding"
            )
        self.amount_paid += amount
        self.amount_outstanding -= amount
        if self.amount_outstanding == ZERO:
            self._move(InvoiceStatus.PAID, "be paid")
        elif self.status is InvoiceStatus.SENT:
            self._move(InvoiceStatus.PARTIAL, "be part paid")

    def apply_credit_note(self, amount: Decimal) -> None:
        """Take a credit note's ``amount`` (GST included) off what is outstanding on a sent,
        part-paid or overdue invoice; the invoice is settled (paid) once nothing is left. A
        credit note never takes more than is outstanding: money already paid goes back by a
        refund."""
        c.money()(self, attrs.fields(Invoice).amount_credited, amount)
        if not self.is_open:
            raise InvalidTransition("Invoice", self.id, self.status.value, "take a credit note")
        if amount <= ZERO or amount > self.amount_outstanding:
            raise ValidationError(
                "CreditNote.total_amount",
                f"must be more than 0.00 and at most the {self.amount_outstanding} outstanding"
                f" on {self.invoice_number}",
            )
        self.amount_credited += amount
        self.amount_outstanding -= amount
        if self.amount_outstanding == ZERO:
            self._move(InvoiceStatus.PAID, "be settled")

    def unapply_payment(self, amount: Decimal) -> None:
        """Take back ``amount`` (at most what is paid) that a refund released from the
        invoice: it is owed again. A paid or part-paid invoice goes back to partial while
        something is still paid, else to sent; an overdue one stays overdue."""
        c.money()(self, attrs.fields(Invoice).amount_paid, amount)
        if amount <= ZERO or amount > self.amount_paid:
            raise Conflict(
                f"Invoice {self.invoice_number}: {amount} cannot be taken back: it must be more"
                f" than 0.00 and at most the {self.amount_paid} paid"
            )
        self.amount_paid -= amount
        self.amount_outstanding += amount
        if self.status is not InvoiceStatus.OVERDUE:
            self.status = InvoiceStatus.PARTIAL if self.amount_paid > ZERO else InvoiceStatus.SENT

    def mark_overdue(self) -> None:
        """sent or partial -> overdue (the nightly job, after the grace period)."""
        self._move(InvoiceStatus.OVERDUE, "become overdue")

    def void(self) -> None:
        """Cancel the invoice instead of deleting it; only while nothing has been paid."""
        if self.amount_paid > ZERO:
            raise Conflict(
                f"Invoice {self.invoice_number} has {self.amount_paid} paid: refund it first"
            )
        self._move(InvoiceStatus.VOID, "void")
        self.amount_outstanding = ZERO


@attrs.define(slots=False, eq=False, kw_only=True)
class Payment(Entity):
    """Money received from a family: allocated to an invoice, or held as family credit."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    family_id: UUID = attrs.field(validator=c.of_type(UUID))
    invoice_id: UUID | None = attrs.field(default=None, validator=c.optional(c.of_type(UUID)))
    payment_date: datetime = attrs.field(factory=utc_now, validator=c.aware)
    amount: Decimal = attrs.field(validator=c.money())
    payment_method: PaymentMethod = attrs.field(validator=c.member_of(PaymentMethod))
    stripe_payment_intent_id: str | None = attrs.field(
        default=None, validator=c.optional(c.text(100))
    )
    reference_number: str | None = attrs.field(default=None, validator=c.optional(c.text(100)))
    notes: str | None = attrs.field(default=None, validator=c.optional(c.long_text))
    recorded_by_staff_id: UUID | None = attrs.field(
        default=None, validator=c.optional(c.of_type(UUID))
    )
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)

    def __attrs_post_init__(self) -> None:
        c.require(self.amount > ZERO, "Payment.amount", "must be more than 0.00")


@attrs.define(slots=False, eq=False, kw_only=True)
class PaymentAllocation(Entity):
    """Part (or all) of a payment applied to an invoice; what a payment has not allocated is
    the family's credit, applied to a later invoice by another allocation."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    payment_id: UUID = attrs.field(validator=c.of_type(UUID))
    invoice_id: UUID = attrs.field(validator=c.of_type(UUID))
    amount: Decimal = attrs.field(validator=c.money())
    allocated_at: datetime = attrs.field(validator=c.aware)

    def __attrs_post_init__(self) -> None:
        c.require(self.amount > ZERO, "PaymentAllocation.amount", "must be more than 0.00")


class RefundStatus(StrEnum):
    """Refund.status: card refunds wait for the provider; others succeed at once."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@attrs.define(slots=False, eq=False, kw_only=True)
class Refund(Entity):
    """Money given back from a payment (through Stripe for card payments)."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    payment_id: UUID = attrs.field(validator=c.of_type(UUID))
    family_id: UUID = attrs.field(validator=c.of_type(UUID))
    amount: Decimal = attrs.field(validator=c.money())
    reason: str = attrs.field(validator=c.text(500))
    status: RefundStatus = attrs.field(
        default=RefundStatus.SUCCEEDED, validator=c.member_of(RefundStatus)
    )
    stripe_refund_id: str | None = attrs.field(default=None, validator=c.optional(c.text(100)))
    refunded_at: datetime = attrs.field(validator=c.aware)
    recorded_by_staff_id: UUID | None = attrs.field(
        default=None, validator=c.optional(c.of_type(UUID))
    )
    approved_by_staff_id: UUID | None = attrs.field(
        default=None, validator=c.optional(c.of_type(UUID))
    )
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    def __attrs_post_init__(self) -> None:
        c.require(self.amount > ZERO, "Refund.amount", "must be more than 0.00")

    def succeed(self) -> None:
        """pending -> succeeded: the provider paid the money out. Conflict otherwise."""
        self._settle(RefundStatus.SUCCEEDED)

    def fail(self) -> None:
        """pending -> failed: the provider did not give the money back (failed or cancelled),
        so the refund no longer counts. Conflict otherwise (a succeeded refund cannot fail)."""
        self._settle(RefundStatus.FAILED)

    def _settle(self, status: RefundStatus) -> None:
        if self.status is not RefundStatus.PENDING:
            raise Conflict(
                f"Refund {self.id} is {self.status.value}: only a pending refund can become"
                f" {status.value}"
            )
        self.status = status


_CREDIT_NOTE_NUMBER = re.compile(r"CN-[0-9]{4}-[0-9]{6}")


def credit_note_number(year: int, sequence: int) -> str:
    """The number of the ``sequence``-th credit note of ``year``: CN-2026-000012."""
    if not 1 <= sequence <= 999_999 or not 1000 <= year <= 9999:
        raise ValueError(f"no credit note number for year {year}, sequence {sequence}")
    return f"CN-{year:04d}-{sequence:06d}"


def _credit_note_number(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not _CREDIT_NOTE_NUMBER.fullmatch(value):
        raise c.fail(instance, attribute, "must look like CN-2026-000012")


@attrs.define(slots=False, eq=False, kw_only=True)
class CreditNote(Entity):
    """A correction of a sent invoice: takes ``total_amount`` (GST included) off it."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    credit_note_number: str = attrs.field(validator=_credit_note_number)
    family_id: UUID = attrs.field(validator=c.of_type(UUID))
    invoice_id: UUID = attrs.field(validator=c.of_type(UUID))
    issue_date: date = attrs.field(validator=c.a_date)
    total_amount: Decimal = attrs.field(validator=c.money())
    gst_amount: Decimal = attrs.field(default=ZERO, validator=c.money())
    line_items: tuple[LineItem, ...] = attrs.field(default=(), converter=_lines)
    reason: str = attrs.field(validator=c.text(500))
    created_by_staff_id: UUID | None = attrs.field(
        default=None, validator=c.optional(c.of_type(UUID))
    )
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)

    def __attrs_post_init__(self) -> None:
        c.require(self.total_amount > ZERO, "CreditNote.total_amount", "must be more than 0.00")
        c.require(
            self.gst_amount <= self.total_amount,
            "CreditNote.gst_amount",
            "cannot exceed total_amount",
        )


@attrs.define(slots=False, eq=False, kw_only=True)
class WebhookEvent(Entity):
    """A payment provider's event that has been processed (each at most once)."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    provider: str = attrs.field(default="stripe", validator=c.text(20))
    provider_event_id: str = attrs.field(validator=c.text(100))
    event_type: str = attrs.field(validator=c.text(100))
    received_at: datetime = attrs.field(validator=c.aware)
