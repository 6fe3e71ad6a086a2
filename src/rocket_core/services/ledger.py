"""A family's books: where each payment's money is, the ledger, and the recount.

The records are the truth; ``Family.account_balance`` and each invoice's ``amount_paid``,
``amount_credited`` and ``amount_outstanding`` are kept up to date from them by the billing
use cases, and ``recount`` says whether they still agree.

**Where a payment's money is** (``place``). Allocation and refund records are never changed
or deleted. A payment's money is applied to invoices by its ``PaymentAllocation`` records,
given back by its ``Refund`` records (pending or succeeded; a failed refund gave nothing
back) and the rest is the family's credit. A refund takes the payment's credit first; what it
takes beyond that is released from the payment's allocations, the latest allocation first, and
the invoices it was applied to are owed again. A payment with released money has no credit
left, so it is never allocated again, and "latest first" always names the allocations that the
refund use case released when it was recorded: the placement is a function of the records.

**The balance**: charges (invoices sent, part-paid, paid or overdue, at their total) minus
credit notes minus payments plus refunds. Drafts are not owed yet. **Void invoices are left
out of the ledger**, with their credit notes: a void invoice was never owed (voiding is only
possible while nothing is paid), so showing it with a reversal would add two lines that cancel.
Equivalently the balance is what the open invoices still owe minus the family's credit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from rocket_core.model import (
    CreditNote,
    Family,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    Refund,
    RefundStatus,
)
from rocket_core.ports import UnitOfWork

ZERO = Decimal("0.00")
#: Refunds that gave (or are giving) money back: they count in the balance and the placement.
COUNTED_REFUNDS = frozenset({RefundStatus.PENDING, RefundStatus.SUCCEEDED})
#: Invoices that are charged to the family (in the ledger and the balance).
CHARGED = frozenset(
    {InvoiceStatus.SENT, InvoiceStatus.PARTIAL, InvoiceStatus.PAID, InvoiceStatus.OVERDUE}
)


def _total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, ZERO)


def allocation_order(allocation: PaymentAllocation) -> tuple[datetime, UUID]:
    """The order allocations are made in (releases take the last first)."""
    return allocation.allocated_at, allocation.id


@attrs.frozen(kw_only=True)
class Placement:
    """Where one payment's money is now: still applied to invoices, given back, or credit."""

    payment: Payment
    #: The payment's allocations in the order they were made.
    allocations: tuple[PaymentAllocation, ...]
    #: Allocation id -> the part of it still applied (what refunds did not release).
    applied: Mapping[UUID, Decimal]
    #: Pending and succeeded refunds of the payment.
    refunded: Decimal
    #: What is neither applied nor refunded: the family's credit from this payment.
    credit: Decimal
    #: Refunds beyond what the payment holds (only broken records have any).
    over_refunded: Decimal = ZERO

    @property
    def released(self) -> Decimal:
        """What refunds took back from the payment's allocations."""
        return _total(a.amount for a in self.allocations) - _total(self.applied.values())

    def applied_to(self) -> dict[UUID, Decimal]:
        """Invoice id -> what this payment still pays of it (invoices with nothing left out)."""
        found: dict[UUID, Decimal] = {}
        for allocation in self.allocations:
            amount = self.applied[allocation.id]
            if amount > ZERO:
                found[allocation.invoice_id] = found.get(allocation.invoice_id, ZERO) + amount
        return found


def place(
    payment: Payment, allocations: Iterable[PaymentAllocation], refunds: Iterable[Refund]
) -> Placement:
    """Where ``payment``'s money is, from its allocations and refunds (module docstring)."""
    ordered = tuple(sorted(allocations, key=allocation_order))
    refunded = _total(r.amount for r in refunds if r.status in COUNTED_REFUNDS)
    left = payment.amount - _total(a.amount for a in ordered) - refunded
    to_release = max(-left, ZERO)
    applied: dict[UUID, Decimal] = {}
    for allocation in reversed(ordered):
        taken = min(allocation.amount, to_release)
        to_release -= taken
        applied[allocation.id] = allocation.amount - taken
    return Placement(
        payment=payment,
        allocations=ordered,
        applied=applied,
        refunded=refunded,
        credit=max(left, ZERO),
        over_refunded=to_release,
    )


def released_by(before: Placement, after: Placement) -> dict[UUID, Decimal]:
    """Invoice id -> what ``after`` (the same payment with one more refund) released from it."""
    was, now = before.applied_to(), after.applied_to()
    return {
        invoice_id: amount - now.get(invoice_id, ZERO)
        for invoice_id, amount in was.items()
        if amount > now.get(invoice_id, ZERO)
    }


@attrs.frozen(kw_only=True)
class FamilyBooks:
    """Everything billing knows about one family, loaded at once."""

    family: Family
    invoices: tuple[Invoice, ...]
    credit_notes: tuple[CreditNote, ...]
    payments: tuple[Payment, ...]
    refunds: tuple[Refund, ...]
    placements: tuple[Placement, ...]

    @property
    def credit(self) -> Decimal:
        """The family's credit: money received that is neither applied nor refunded."""
        return _total(p.credit for p in self.placements)

    @property
    def open_invoices(self) -> tuple[Invoice, ...]:
        """Invoices still owed (sent, part-paid, overdue), oldest due first."""
        return tuple(
            sorted(
                (i for i in self.invoices if i.is_open),
                key=lambda i: (i.due_date, i.issue_date, i.invoice_number),
            )
        )

    def paid_on(self, invoice_id: UUID) -> Decimal:
        """What the records say is paid on an invoice (allocations minus releases)."""
        return _total(p.applied_to().get(invoice_id, ZERO) for p in self.placements)

    def credited_on(self, invoice_id: UUID) -> Decimal:
        """What credit notes took off an invoice."""
        return _total(n.total_amount for n in self.credit_notes if n.invoice_id == invoice_id)

    def expected_balance(self) -> Decimal:
        """The balance the records give: charges - credit notes - payments + refunds."""
        charged = {i.id for i in self.invoices if i.status in CHARGED}
        return (
            _total(i.total_amount for i in self.invoices if i.id in charged)
            - _total(n.total_amount for n in self.credit_notes if n.invoice_id in charged)
            - _total(p.amount for p in self.payments)
            + _total(r.amount for r in self.refunds if r.status in COUNTED_REFUNDS)
        )


def load_books(uow: UnitOfWork, family_id: UUID) -> FamilyBooks:
    """The family's books in this unit of work (NotFound for an unknown family)."""
    family = uow.families.get(family_id)
    payments = tuple(uow.payments.list_for_family(family_id))
    refunds = tuple(uow.refunds.list_for_family(family_id))
    placements = tuple(
        place(
            payment,
            uow.allocations.list_for_payment(payment.id),
            (r for r in refunds if r.payment_id == payment.id),
        )
        for payment in payments
    )
    return FamilyBooks(
        family=family,
        invoices=tuple(uow.invoices.list_for_family(family_id)),
        credit_notes=tuple(uow.credit_notes.list_for_family(family_id)),
        payments=payments,
        refunds=refunds,
        placements=placements,
    )


# -- the ledger ----------------------------------------------------------------------------


class EntryKind(StrEnum):
    """What a ledger line is; on the same day, lines come in this order."""

    CHARGE = "charge"
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"
    REFUND = "refund"


_RANK = {kind: rank for rank, kind in enumerate(EntryKind)}


@attrs.frozen(kw_only=True)
class LedgerEntry:
    """One line of a family's ledger. ``amount`` is signed like the balance: a charge adds
    to what the family owes, a payment or credit note takes from it, a refund adds back."""

    on: date
    kind: EntryKind
    entity_id: UUID
    reference: str
    description: str
    amount: Decimal
    balance: Decimal


@attrs.frozen(kw_only=True)
class Ledger:
    """A family's ledger: its lines in date order with the running balance.

    ``balance`` is the last line's running balance (0.00 with no lines); ``account_balance``
    the family's stored balance (they agree unless the books are broken: see ``recount``);
    ``outstanding`` what open invoices still owe and ``credit`` the money held for the family
    (balance = outstanding - credit)."""

    family_id: UUID
    entries: tuple[LedgerEntry, ...]
    balance: Decimal
    account_balance: Decimal
    outstanding: Decimal
    credit: Decimal


def build_ledger(books: FamilyBooks, timezone: str) -> Ledger:
    """The family's ledger; payment and refund times are dated in ``timezone``."""
    zone = ZoneInfo(timezone)
    numbers = {i.id: i.invoice_number for i in books.invoices}
    charged = {i.id for i in books.invoices if i.status in CHARGED}
    lines: list[tuple[tuple[date, int, datetime, str], LedgerEntry]] = []

    def add(
        at: datetime,
        day: date,
        kind: EntryKind,
        entity_id: UUID,
        reference: str,
        description: str,
        amount: Decimal,
    ) -> None:
        entry = LedgerEntry(
            on=day,
            kind=kind,
            entity_id=entity_id,
            reference=reference,
            description=description,
            amount=amount,
            balance=ZERO,
        )
        lines.append(((day, _RANK[kind], at, reference), entry))

    for invoice in books.invoices:
        if invoice.id in charged:
            first = invoice.line_items[0].description if invoice.line_items else "Invoice"
            more = len(invoice.line_items) - 1
            add(
                invoice.created_at,
                invoice.issue_date,
                EntryKind.CHARGE,
                invoice.id,
                invoice.invoice_number,
                first + (f" (+{more} more lines)" if more > 0 else ""),
                invoice.total_amount,
            )
    for note in books.credit_notes:
        if note.invoice_id in charged:
            add(
                note.created_at,
                note.issue_date,
                EntryKind.CREDIT_NOTE,
                note.id,
                note.credit_note_number,
                f"Credit on {numbers[note.invoice_id]}: {note.reason}",
                -note.total_amount,
            )
    for payment in books.payments:
        method = payment.payment_method.value.replace("_", " ")
        reference = payment.reference_number or payment.stripe_payment_intent_id or ""
        add(
            payment.payment_date,
            payment.payment_date.astimezone(zone).date(),
            EntryKind.PAYMENT,
            payment.id,
            reference,
            f"Payment by {method}" + (f" ({reference})" if reference else ""),
            -payment.amount,
        )
    for refund in books.refunds:
        if refund.status in COUNTED_REFUNDS:
            pending = " (pending)" if refund.status is RefundStatus.PENDING else ""
            add(
                refund.refunded_at,
                refund.refunded_at.astimezone(zone).date(),
                EntryKind.REFUND,
                refund.id,
                refund.stripe_refund_id or "",
                f"Refund{pending}: {refund.reason}",
                refund.amount,
            )
    running = ZERO
    entries = []
    for _, entry in sorted(lines, key=lambda line: line[0]):
        running += entry.amount
        entries.append(attrs.evolve(entry, balance=running))
    return Ledger(
        family_id=books.family.id,
        entries=tuple(entries),
        balance=running,
        account_balance=books.family.account_balance,
        outstanding=_total(i.amount_outstanding for i in books.open_invoices),
        credit=books.credit,
    )


# -- the recount ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class InvoiceCount:
    """An invoice's stored figures next to what its records give."""

    invoice_id: UUID
    invoice_number: str
    status: InvoiceStatus
    amount_paid: Decimal
    amount_credited: Decimal
    amount_outstanding: Decimal
    counted_paid: Decimal
    counted_credited: Decimal
    counted_outstanding: Decimal

    @property
    def agrees(self) -> bool:
        """The stored figures equal the recount."""
        return (self.amount_paid, self.amount_credited, self.amount_outstanding) == (
            self.counted_paid,
            self.counted_credited,
            self.counted_outstanding,
        )


@attrs.frozen(kw_only=True)
class Recount:
    """The family's stored balance and invoice figures against a recount from the records;
    ``problems`` says, in words, everything that does not agree (empty: the books are right)."""

    family_id: UUID
    account_balance: Decimal
    counted_balance: Decimal
    credit: Decimal
    invoices: tuple[InvoiceCount, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Nothing disagrees."""
        return not self.problems


def recount(books: FamilyBooks) -> Recount:
    """Compare the stored figures of ``books`` with what its records give."""
    problems: list[str] = []
    counted_balance = books.expected_balance()
    if books.family.account_balance != counted_balance:
        problems.append(
            f"account_balance is {books.family.account_balance}, the records give {counted_balance}"
        )
    family_invoices = {i.id for i in books.invoices}
    counts = []
    for invoice in books.invoices:
        paid, credited = books.paid_on(invoice.id), books.credited_on(invoice.id)
        outstanding = (
            ZERO if invoice.status is InvoiceStatus.VOID else invoice.total_amount - paid - credited
        )
        count = InvoiceCount(
            invoice_id=invoice.id,
            invoice_number=invoice.invoice_number,
            status=invoice.status,
            amount_paid=invoice.amount_paid,
            amount_credited=invoice.amount_credited,
            amount_outstanding=invoice.amount_outstanding,
            counted_paid=paid,
            counted_credited=credited,
            counted_outstanding=outstanding,
        )
        counts.append(count)
        name = invoice.invoice_number
        if not count.agrees:
            problems.append(
                f"{name}: paid/credited/outstanding are {invoice.amount_paid}/"
                f"{invoice.amount_credited}/{invoice.amount_outstanding}, the records give"
                f" {paid}/{credited}/{outstanding}"
            )
        if min(paid, credited, outstanding) < ZERO:
            problems.append(f"{name}: the records give a negative amount")
        if invoice.status in CHARGED and (invoice.status is InvoiceStatus.PAID) != (
            invoice.amount_outstanding == ZERO
        ):
            problems.append(
                f"{name} is {invoice.status.value} with {invoice.amount_outstanding} outstanding"
            )
        if invoice.status is InvoiceStatus.DRAFT and paid > ZERO:
            problems.append(f"{name} is a draft with {paid} paid")
    for placement in books.placements:
        payment = placement.payment
        if placement.over_refunded > ZERO:
            problems.append(f"payment {payment.id}: refunds exceed it by {placement.over_refunded}")
        strangers = set(placement.applied_to()) - family_invoices
        if strangers:
            problems.append(f"payment {payment.id} pays invoices of another family")
    return Recount(
        family_id=books.family.id,
        account_balance=books.family.account_balance,
        counted_balance=counted_balance,
        credit=books.credit,
        invoices=tuple(counts),
        problems=tuple(problems),
    )
