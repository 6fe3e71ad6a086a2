"""The family's books as pure functions: where a payment's money is (``place``), what a refund
releases, the ledger's order and running balance, and what the recount reports.

Entities are built directly (no store): these are the rules the payment use cases and the
recount share.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import hypothesis.strategies as st
import pytest
from hypothesis import given

from rocket_core import model as m
from rocket_core.model import InvoiceStatus as I
from rocket_core.model import RefundStatus as R
from rocket_core.services.ledger import (
    EntryKind,
    FamilyBooks,
    build_ledger,
    place,
    recount,
    released_by,
)

ORG = uuid4()
FAMILY = m.Family(
    organisation_id=ORG, primary_contact_name="Mai Nguyen", primary_contact_email="mai@x.example"
)
T0 = datetime(2026, 1, 19, 9, 0, tzinfo=UTC)


def D(amount: str) -> Decimal:
    return Decimal(amount)


def payment(amount: str, at: datetime = T0) -> m.Payment:
    return m.Payment(
        organisation_id=ORG,
        family_id=FAMILY.id,
        amount=D(amount),
        payment_method=m.PaymentMethod.CASH,
        payment_date=at,
        created_at=at,
    )


def allocation(
    paid: m.Payment, invoice_id: UUID, amount: str, at: datetime = T0
) -> m.PaymentAllocation:
    return m.PaymentAllocation(
        organisation_id=ORG,
        payment_id=paid.id,
        invoice_id=invoice_id,
        amount=D(amount),
        allocated_at=at,
    )


def refund(paid: m.Payment, amount: str, status: R = R.SUCCEEDED, at: datetime = T0) -> m.Refund:
    return m.Refund(
        organisation_id=ORG,
        payment_id=paid.id,
        family_id=FAMILY.id,
        amount=D(amount),
        reason="withdrew",
        status=status,
        refunded_at=at,
    )


def invoice(
    total: str,
    *,
    paid: str = "0.00",
    credited: str = "0.00",
    status: I = I.SENT,
    issued: date = date(2026, 1, 5),
    number: int = 1,
) -> m.Invoice:
    outstanding = D("0.00") if status is I.VOID else D(total) - D(paid) - D(credited)
    return m.Invoice(
        organisation_id=ORG,
        invoice_number=m.invoice_number(2026, number),
        family_id=FAMILY.id,
        issue_date=issued,
        due_date=issued + timedelta(days=14),
        total_amount=D(total),
        amount_paid=D(paid),
        amount_credited=D(credited),
        amount_outstanding=outstanding,
        status=status,
        line_items=(m.LineItem(description="Tuition", unit_price=D(total)),),
        created_at=T0,
    )


def books(
    *,
    balance: str,
    invoices: tuple[m.Invoice, ...] = (),
    payments: tuple[tuple[m.Payment, tuple[m.PaymentAllocation, ...]], ...] = (),
    refunds: tuple[m.Refund, ...] = (),
    credit_notes: tuple[m.CreditNote, ...] = (),
) -> FamilyBooks:
    family = m.Family(
        id=FAMILY.id,
        organisation_id=ORG,
        primary_contact_name="Mai Nguyen",
        primary_contact_email="mai@x.example",
        account_balance=D(balance),
    )
    return FamilyBooks(
        family=family,
        invoices=invoices,
        credit_notes=credit_notes,
        payments=tuple(p for p, _ in payments),
        refunds=refunds,
        placements=tuple(
            place(p, made, [r for r in refunds if r.payment_id == p.id]) for p, made in payments
        ),
    )


# -- place -----------------------------------------------------------------------------------


def test_an_unallocated_payment_is_all_credit() -> None:
    paid = payment("100.00")
    placed = place(paid, (), ())
    assert (placed.credit, placed.refunded, placed.released, placed.applied_to()) == (
        D("100.00"),
        0,
        0,
        {},
    )


def test_a_refund_takes_the_credit_first() -> None:
    paid, bill = payment("100.00"), uuid4()
    placed = place(paid, [allocation(paid, bill, "60.00")], [refund(paid, "30.00")])
    assert placed.credit == D("10.00")
    assert placed.applied_to() == {bill: D("60.00")}


def test_a_refund_beyond_the_credit_releases_the_latest_allocation_first() -> None:
    paid, first, second = payment("100.00"), uuid4(), uuid4()
    made = [
        allocation(paid, second, "40.00", T0 + timedelta(minutes=1)),
        allocation(paid, first, "50.00", T0),
    ]
    placed = place(paid, made, [refund(paid, "30.00"), refund(paid, "25.00")])
    assert placed.credit == 0
    assert placed.released == D("45.00")
    assert placed.applied_to() == {first: D("45.00")}


def test_failed_refunds_give_nothing_back_and_pending_ones_do() -> None:
    paid = payment("100.00")
    placed = place(paid, (), [refund(paid, "30.00", R.FAILED), refund(paid, "20.00", R.PENDING)])
    assert (placed.refunded, placed.credit) == (D("20.00"), D("80.00"))


def test_refunds_beyond_the_payment_are_reported() -> None:
    paid = payment("50.00")
    placed = place(paid, [allocation(paid, uuid4(), "50.00")], [refund(paid, "60.00")])
    assert placed.over_refunded == D("10.00")


def test_released_by_names_what_one_more_refund_took_from_each_invoice() -> None:
    paid, first, second = payment("100.00"), uuid4(), uuid4()
    made = [
        allocation(paid, first, "50.00", T0),
        allocation(paid, second, "40.00", T0 + timedelta(minutes=1)),
    ]
    before = place(paid, made, [refund(paid, "20.00")])
    after = place(paid, made, [refund(paid, "20.00"), refund(paid, "50.00")])
    # before: 10.00 of credit and 10.00 of the second invoice went back; now 60.00 more
    assert released_by(before, after) == {second: D("30.00"), first: D("20.00")}


cents = st.integers(min_value=1, max_value=50_000).map(lambda c: Decimal(c).scaleb(-2))


@given(
    amount=cents,
    allocated=st.lists(cents, max_size=5),
    refunded=st.lists(cents, max_size=5),
)
def test_a_placement_accounts_for_every_cent(
    amount: Decimal, allocated: list[Decimal], refunded: list[Decimal]
) -> None:
    """Whatever allocations and refunds (within the payment), each cent is applied, refunded
    or credit; nothing is negative; each further refund only releases, never re-applies."""
    paid = m.Payment(
        organisation_id=ORG,
        family_id=FAMILY.id,
        amount=amount + sum(allocated, Decimal("0.00")),
        payment_method=m.PaymentMethod.CASH,
        payment_date=T0,
    )
    made = [
        allocation(paid, uuid4(), str(a), T0 + timedelta(seconds=n))
        for n, a in enumerate(allocated)
    ]
    given_back: list[m.Refund] = []
    previous = place(paid, made, given_back)
    for value in refunded:
        if previous.refunded + value > paid.amount:
            break
        given_back.append(refund(paid, str(value)))
        placed = place(paid, made, given_back)
        applied = sum(placed.applied.values(), Decimal("0.00"))
        assert applied + placed.refunded + placed.credit == paid.amount
        assert placed.credit >= 0
        assert placed.over_refunded == 0
        for made_one in made:
            assert 0 <= placed.applied[made_one.id] <= previous.applied[made_one.id]
        released = released_by(previous, placed)
        assert sum(released.values(), Decimal("0.00")) == placed.released - previous.released
        assert placed.released == max(
            Decimal("0.00"), placed.refunded - (paid.amount - sum(allocated, Decimal("0.00")))
        )
        previous = placed


# -- the ledger ------------------------------------------------------------------------------


def test_on_the_same_day_charges_come_before_credit_notes_payments_and_refunds() -> None:
    bill = invoice("100.00", paid="100.00", status=I.PAID, issued=date(2026, 1, 19))
    paid = payment("120.00")
    back = refund(paid, "20.00", R.PENDING)
    note_of_void = invoice("30.00", status=I.VOID, number=2)
    draft = invoice("45.00", status=I.DRAFT, number=3)
    ledger = build_ledger(
        books(
            balance="0.00",
            invoices=(bill, note_of_void, draft),
            payments=((paid, (allocation(paid, bill.id, "100.00"),)),),
            refunds=(back,),
        ),
        "Australia/Melbourne",
    )
    assert [(e.kind, e.amount, e.balance) for e in ledger.entries] == [
        (EntryKind.CHARGE, D("100.00"), D("100.00")),
        (EntryKind.PAYMENT, D("-120.00"), D("-20.00")),
        (EntryKind.REFUND, D("20.00"), D("0.00")),
    ]
    assert ledger.entries[2].description == "Refund (pending): withdrew"
    assert ledger.balance == ledger.account_balance == 0


def test_failed_refunds_are_not_in_the_ledger() -> None:
    paid = payment("50.00")
    ledger = build_ledger(
        books(balance="-50.00", payments=((paid, ()),), refunds=(refund(paid, "50.00", R.FAILED),)),
        "UTC",
    )
    assert [e.kind for e in ledger.entries] == [EntryKind.PAYMENT]
    assert ledger.credit == D("50.00")


# -- the recount -----------------------------------------------------------------------------


def test_books_that_agree_have_no_problems() -> None:
    bill = invoice("100.00", paid="60.00", status=I.PARTIAL)
    paid = payment("60.00")
    count = recount(
        books(
            balance="40.00",
            invoices=(bill,),
            payments=((paid, (allocation(paid, bill.id, "60.00"),)),),
        )
    )
    assert count.ok
    assert count.counted_balance == D("40.00")


@pytest.mark.parametrize(
    ("bill", "words"),
    [
        (
            invoice("100.00", paid="100.00", status=I.PAID),
            "are 100.00/0.00/0.00, the records give 0.00/0.00/100.00",
        ),
        (invoice("100.00", status=I.PAID), "is paid with 100.00 outstanding"),
        (invoice("100.00", paid="100.00", status=I.PARTIAL), "is partial with 0.00 outstanding"),
        (invoice("100.00", paid="10.00", status=I.DRAFT), "is a draft with"),
    ],
)
def test_the_recount_names_what_disagrees(bill: m.Invoice, words: str) -> None:
    paid = payment("10.00")
    made = (allocation(paid, bill.id, "10.00"),) if bill.status is I.DRAFT else ()
    count = recount(books(balance="0.00", invoices=(bill,), payments=((paid, made),)))
    assert not count.ok
    assert any(words in problem for problem in count.problems), count.problems


def test_the_recount_reports_refunds_beyond_a_payment_and_strangers_invoices() -> None:
    paid, other, theirs = payment("50.00"), payment("20.00"), uuid4()
    count = recount(
        books(
            balance="-10.00",
            payments=((paid, ()), (other, (allocation(other, theirs, "20.00"),))),
            refunds=(refund(paid, "60.00"),),
        )
    )
    assert count.ok is False
    assert any("refunds exceed it by 10.00" in p for p in count.problems)
    assert any("another family" in p for p in count.problems)


def test_void_invoices_and_their_credit_notes_are_not_charged() -> None:
    voided = invoice("100.00", credited="30.00", status=I.VOID)
    note = m.CreditNote(
        organisation_id=ORG,
        credit_note_number=m.credit_note_number(2026, 1),
        family_id=FAMILY.id,
        invoice_id=voided.id,
        issue_date=date(2026, 1, 10),
        total_amount=D("30.00"),
        reason="wrong price",
    )
    count = recount(books(balance="0.00", invoices=(voided,), credit_notes=(note,)))
    assert count.ok, count.problems
    [checked] = count.invoices
    assert (checked.counted_credited, checked.counted_outstanding) == (D("30.00"), 0)
