"""Payments, family credit and refunds: recording and allocating payments, overpayment as
credit, applying credit, confirming enrolments, refunds with their limits and the gateway,
provider refunds, the ledger and the recount; permissions role by role; bad input.

The school is ``world`` (tests/unit/services/conftest.py): the Nguyen family's child has an
enrolment pending payment in the Werribee cohort (``enrolled_family``), so campus roles of
Werribee cover the family. Invoices are arranged directly as sent invoices (the invoicing
service's part); card refunds go through ``FakeGateway``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import attrs
import pytest
from tests.unit.services.conftest import TODAY, World
from tests.unit.services.helpers import ROLES
from tests.unit.services.test_enrolment import audit_actions, audit_entries, published, refused

from rocket_core import model as m
from rocket_core.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    NotFound,
    PaymentGatewayError,
    ValidationError,
)
from rocket_core.events import (
    EnrolmentConfirmed,
    InvoiceIssued,
    PaymentRecorded,
    RefundRecorded,
)
from rocket_core.model import EnrolmentStatus as S
from rocket_core.model import InvoiceStatus as I
from rocket_core.model import PaymentMethod as PM
from rocket_core.ports import PaymentGateway, PaymentIntentResult, RefundResult
from rocket_core.services import payments
from rocket_core.services.enrolment import EnrolmentService
from rocket_core.services.ledger import EntryKind
from rocket_core.services.payments import PaymentService

#: Who may record payments (and apply credit) for a family of the Werribee campus.
RECORDS = {"super_admin", "campus_manager", "front_desk"}
#: Who may see a Werribee family's ledger.
VIEWS = {"super_admin", "campus_manager", "front_desk"}
#: Who may refund on their own for a Werribee family.
REFUNDS = {"super_admin", "campus_manager"}


def D(amount: str) -> Decimal:
    return Decimal(amount)


class FakeGateway(PaymentGateway):
    """A payment provider in memory: refunds answer ``status`` (or raise ``error``)."""

    def __init__(self, status: str = "succeeded", error: str | None = None) -> None:
        self.status = status
        self.error = error
        self.refunds: list[tuple[str, Decimal]] = []

    def create_customer(self, family: m.Family) -> str:
        raise PaymentGatewayError("not used by these tests")

    def create_payment_intent(self, **kwargs: Any) -> PaymentIntentResult:
        raise PaymentGatewayError("not used by these tests")

    def refund(self, *, payment_intent_id: str, amount: Decimal) -> RefundResult:
        if self.error is not None:
            raise PaymentGatewayError(self.error)
        self.refunds.append((payment_intent_id, amount))
        return RefundResult(id=f"re_{len(self.refunds)}", status=self.status, amount=amount)


# -- helpers shared with the stateful test ---------------------------------------------------


def make_service(world: World, gateway: PaymentGateway | None = None) -> PaymentService:
    return PaymentService(world.make_uow, world.clock, world.bus, gateway or FakeGateway())


def add_invoice(
    world: World,
    total: str = "320.00",
    *,
    family: m.Family | None = None,
    enrolment_id: UUID | None = None,
    issued: date = TODAY,
    status: I = I.SENT,
) -> m.Invoice:
    """An invoice as the invoicing service issues it: sent (or draft), the family charged."""
    family = family or world.family
    amount = D(total)
    with world.uow() as uow:
        invoice = m.Invoice(
            organisation_id=world.org_id,
            invoice_number=uow.invoices.next_number(issued.year),
            family_id=family.id,
            enrolment_id=enrolment_id,
            issue_date=issued,
            due_date=issued + timedelta(days=14),
            total_amount=amount,
            amount_outstanding=amount,
            status=status,
            line_items=(m.LineItem(description="Scratch Basics - Term 1", unit_price=amount),),
            created_at=world.clock.now(),
        )
        uow.invoices.add(invoice)
        if status is not I.DRAFT:
            charged = uow.families.get(family.id)
            charged.account_balance += amount
        uow.commit()
    return invoice


def void_invoice(world: World, invoice_id: UUID) -> None:
    """Void as the invoicing service does: what was outstanding comes off the balance."""
    with world.uow() as uow:
        invoice = uow.invoices.get(invoice_id)
        family = uow.families.get(invoice.family_id)
        family.account_balance -= invoice.amount_outstanding
        invoice.void()
        uow.commit()


def credit_note(world: World, invoice_id: UUID, amount: str) -> m.CreditNote:
    """A credit note as the invoicing service issues it."""
    with world.uow() as uow:
        invoice = uow.invoices.get(invoice_id)
        note = m.CreditNote(
            organisation_id=world.org_id,
            credit_note_number=uow.credit_notes.next_number(2026),
            family_id=invoice.family_id,
            invoice_id=invoice.id,
            issue_date=TODAY,
            total_amount=D(amount),
            reason="one session cancelled",
            created_at=world.clock.now(),
        )
        uow.credit_notes.add(note)
        invoice.apply_credit_note(D(amount))
        uow.families.get(invoice.family_id).account_balance -= D(amount)
        uow.commit()
    return note


def pending_enrolment(world: World, student: m.Student | None = None) -> m.Enrolment:
    """The child (by default) asked for a seat in the Werribee cohort: pending payment."""
    enrolments = EnrolmentService(world.make_uow, world.clock, world.bus)
    admin = world.actor("super_admin")
    enquiry = enrolments.enquire(admin, (student or world.child).id, world.cohort.id)
    return enrolments.request_payment(admin, enquiry.id)


def invoice(world: World, invoice_id: UUID) -> m.Invoice:
    with world.uow() as uow:
        return uow.invoices.get(invoice_id)


def family(world: World, family_id: UUID | None = None) -> m.Family:
    with world.uow() as uow:
        return uow.families.get(family_id or world.family.id)


def balance(world: World, family_id: UUID | None = None) -> Decimal:
    return family(world, family_id).account_balance


def allocations(world: World, payment_id: UUID) -> dict[UUID, Decimal]:
    """Invoice id -> the amount of the payment allocated to it."""
    with world.uow() as uow:
        return {a.invoice_id: a.amount for a in uow.allocations.list_for_payment(payment_id)}


def refunds_of(world: World, payment_id: UUID) -> list[m.Refund]:
    with world.uow() as uow:
        return uow.refunds.list_for_payment(payment_id)


def enrolment_status(world: World, enrolment_id: UUID) -> S:
    with world.uow() as uow:
        return uow.enrolments.get(enrolment_id).status


def books_agree(world: World, family_id: UUID | None = None) -> None:
    service = make_service(world)
    count = service.recount(world.org_id, family_id or world.family.id)
    assert count.ok, count.problems
    ledger = service.ledger(world.actor("super_admin"), family_id or world.family.id)
    assert ledger.balance == ledger.account_balance == count.counted_balance


@pytest.fixture
def enrolled_family(world: World) -> m.Enrolment:
    """The Nguyen child's enrolment pending payment at Werribee (the family's campus)."""
    return pending_enrolment(world)


def pay(
    world: World,
    amount: str,
    invoice_id: UUID | None = None,
    *,
    who: str = "front_desk",
    method: PM | str = PM.CASH,
    family_id: UUID | None = None,
    **kwargs: Any,
) -> m.Payment:
    return make_service(world).record_payment(
        world.actor(who),
        family_id=family_id or world.family.id,
        amount=D(amount),
        method=method,
        invoice_id=invoice_id,
        **kwargs,
    )


def card_payment(world: World, amount: str, invoice_id: UUID | None = None) -> m.Payment:
    return pay(
        world,
        amount,
        invoice_id,
        who="super_admin",
        method=PM.CREDIT_CARD,
        stripe_payment_intent_id=f"pi_{uuid4().hex[:12]}",
    )


# -- recording payments ----------------------------------------------------------------------


def test_a_payment_in_full_pays_the_invoice(world: World, enrolled_family: m.Enrolment) -> None:
    bill = add_invoice(world)
    payment = pay(world, "320.00", bill.id, reference_number="R-1", notes="at the desk")

    paid = invoice(world, bill.id)
    assert (paid.status, paid.amount_paid, paid.amount_outstanding) == (I.PAID, D("320.00"), 0)
    assert allocations(world, payment.id) == {bill.id: D("320.00")}
    assert balance(world) == D("0.00")
    assert payment.invoice_id == bill.id
    assert payment.recorded_by_staff_id == world.staff["front_desk"].id
    assert payment.payment_date == world.clock.now()
    assert (payment.reference_number, payment.notes) == ("R-1", "at the desk")
    assert audit_actions(world, payment.id) == ["payment.record"]
    assert audit_actions(world, bill.id) == ["invoice.payment_applied"]
    [event] = published(world, PaymentRecorded)
    assert (event.payment_id, event.amount, event.applied, event.credit) == (
        payment.id,
        D("320.00"),
        D("320.00"),
        D("0.00"),
    )
    assert event.invoice_ids == (bill.id,)
    books_agree(world)


def test_a_part_payment_leaves_the_rest_outstanding(
    world: World, enrolled_family: m.Enrolment
) -> None:
    bill = add_invoice(world)
    pay(world, "120.50", bill.id, method=PM.BANK_TRANSFER)

    part = invoice(world, bill.id)
    assert (part.status, part.amount_paid, part.amount_outstanding) == (
        I.PARTIAL,
        D("120.50"),
        D("199.50"),
    )
    assert balance(world) == D("199.50")
    books_agree(world)


def test_an_overpayment_becomes_credit_never_lost(
    world: World, enrolled_family: m.Enrolment
) -> None:
    bill = add_invoice(world, "100.00")
    payment = pay(world, "150.00", bill.id, method=PM.CHEQUE)

    assert invoice(world, bill.id).status is I.PAID
    assert allocations(world, payment.id) == {bill.id: D("100.00")}
    assert balance(world) == D("-50.00")
    [event] = published(world, PaymentRecorded)
    assert event.credit == D("50.00")
    ledger = make_service(world).ledger(world.actor("front_desk"), world.family.id)
    assert (ledger.credit, ledger.outstanding, ledger.balance) == (D("50.00"), 0, D("-50.00"))
    [entry] = [e for e in audit_entries(world, payment.id) if e.action == "payment.record"]
    assert "50.00 held as credit" in entry.summary
    books_agree(world)


def test_a_payment_without_an_invoice_pays_the_oldest_due_first(
    world: World, enrolled_family: m.Enrolment
) -> None:
    newer = add_invoice(world, "100.00", issued=TODAY)
    older = add_invoice(world, "80.00", issued=TODAY - timedelta(days=20))
    payment = pay(world, "130.00")

    assert allocations(world, payment.id) == {older.id: D("80.00"), newer.id: D("50.00")}
    assert invoice(world, older.id).status is I.PAID
    assert invoice(world, newer.id).amount_outstanding == D("50.00")
    assert payment.invoice_id == older.id
    books_agree(world)


def test_a_payment_for_an_invoice_pays_it_first_then_the_others(
    world: World, enrolled_family: m.Enrolment
) -> None:
    older = add_invoice(world, "80.00", issued=TODAY - timedelta(days=20))
    named = add_invoice(world, "100.00")
    payment = pay(world, "150.00", named.id)

    assert allocations(world, payment.id) == {named.id: D("100.00"), older.id: D("50.00")}
    assert payment.invoice_id == named.id
    books_agree(world)


def test_a_family_that_owes_nothing_gets_all_of_it_as_credit(
    world: World, enrolled_family: m.Enrolment
) -> None:
    payment = pay(world, "75.00")

    assert payment.invoice_id is None
    assert allocations(world, payment.id) == {}
    assert balance(world) == D("-75.00")
    books_agree(world)


def test_paying_the_invoice_of_a_pending_enrolment_in_full_enrols_the_student(
    world: World, enrolled_family: m.Enrolment
) -> None:
    bill = add_invoice(world, enrolment_id=enrolled_family.id)
    pay(world, "300.00", bill.id)
    assert enrolment_status(world, enrolled_family.id) is S.PENDING_PAYMENT
    assert published(world, EnrolmentConfirmed) == []

    pay(world, "20.00", bill.id)

    assert enrolment_status(world, enrolled_family.id) is S.ENROLLED
    [confirmed] = published(world, EnrolmentConfirmed)
    assert confirmed.enrolment_id == enrolled_family.id
    assert "enrolment.payment_received" in audit_actions(world, enrolled_family.id)
    [entry] = [
        e
        for e in audit_entries(world, enrolled_family.id)
        if e.action == "enrolment.payment_received"
    ]
    assert entry.actor_staff_id == world.staff["front_desk"].id


def test_a_paid_invoice_of_an_enrolment_no_longer_pending_changes_nothing_else(
    world: World, enrolled_family: m.Enrolment
) -> None:
    EnrolmentService(world.make_uow, world.clock, world.bus).payment_received(
        world.actor("super_admin"), enrolled_family.id
    )
    bill = add_invoice(world, enrolment_id=enrolled_family.id)
    pay(world, "320.00", bill.id)
    assert enrolment_status(world, enrolled_family.id) is S.ENROLLED
    assert len(published(world, EnrolmentConfirmed)) == 1


def test_a_payment_method_may_be_given_by_name(world: World, enrolled_family: m.Enrolment) -> None:
    assert pay(world, "10.00", method="bank_transfer").payment_method is PM.BANK_TRANSFER


def test_a_payment_may_be_dated_in_the_past(world: World, enrolled_family: m.Enrolment) -> None:
    when = world.clock.now() - timedelta(days=3)
    assert pay(world, "10.00", paid_at=when).payment_date == when


@pytest.mark.parametrize(
    "amount",
    [
        D("-1.00"),
        D("0"),
        D("0.00"),
        D("0.001"),
        D("10.005"),
        D("NaN"),
        D("Infinity"),
        D("1E+400"),
        D("100000000.00"),
        10.5,
        10,
    ],
)
def test_a_payment_amount_must_be_positive_whole_cents(
    world: World, enrolled_family: m.Enrolment, amount: Any
) -> None:
    bill = add_invoice(world)
    error = refused(
        world,
        ValidationError,
        lambda: make_service(world).record_payment(
            world.actor("front_desk"),
            family_id=world.family.id,
            amount=amount,
            method=PM.CASH,
            invoice_id=bill.id,
        ),
    )
    assert isinstance(error, ValidationError)
    assert error.field == "Payment.amount"


@pytest.mark.parametrize(
    ("arrange", "error", "words"),
    [
        ("void", InvalidTransition, "from status 'void'"),
        ("draft", InvalidTransition, "from status 'draft'"),
        ("paid", Conflict, "already paid"),
    ],
)
def test_an_invoice_that_takes_no_payment_is_refused(
    world: World,
    enrolled_family: m.Enrolment,
    arrange: str,
    error: type[Exception],
    words: str,
) -> None:
    bill = add_invoice(world, "50.00", status=I.DRAFT if arrange == "draft" else I.SENT)
    if arrange == "void":
        void_invoice(world, bill.id)
    if arrange == "paid":
        pay(world, "50.00", bill.id)
    refused(world, error, lambda: pay(world, "50.00", bill.id), words)


def test_an_invoice_of_another_family_is_refused(
    world: World, enrolled_family: m.Enrolment
) -> None:
    theirs = add_invoice(world, family=world.other_family)
    error = refused(
        world, ValidationError, lambda: pay(world, "10.00", theirs.id, who="super_admin")
    )
    assert isinstance(error, ValidationError)
    assert error.field == "Payment.invoice_id"


def test_unknown_families_and_invoices_are_not_found(
    world: World, enrolled_family: m.Enrolment
) -> None:
    refused(world, NotFound, lambda: pay(world, "10.00", family_id=uuid4(), who="super_admin"))
    refused(world, NotFound, lambda: pay(world, "10.00", uuid4()))


@pytest.mark.parametrize(
    ("paid_at", "rule"),
    [
        (datetime(2026, 1, 19, 9, 1, tzinfo=UTC), "cannot be in the future"),
        (datetime(2026, 1, 18, 9, 0), "timezone-aware"),
    ],
)
def test_a_payment_date_must_be_aware_and_not_in_the_future(
    world: World, enrolled_family: m.Enrolment, paid_at: datetime, rule: str
) -> None:
    error = refused(world, ValidationError, lambda: pay(world, "10.00", paid_at=paid_at), rule)
    assert isinstance(error, ValidationError)
    assert error.field == "Payment.payment_date"


def test_an_unknown_payment_method_is_refused(world: World, enrolled_family: m.Enrolment) -> None:
    error = refused(world, ValidationError, lambda: pay(world, "10.00", method="bitcoin"))
    assert isinstance(error, ValidationError)
    assert error.field == "Payment.payment_method"


def test_only_card_payments_have_a_payment_intent(
    world: World, enrolled_family: m.Enrolment
) -> None:
    refused(
        world,
        ValidationError,
        lambda: pay(world, "10.00", stripe_payment_intent_id="pi_cash"),
        "only for credit card",
    )


def test_the_same_payment_intent_is_recorded_once(
    world: World, enrolled_family: m.Enrolment
) -> None:
    bill = add_invoice(world)
    first = pay(world, "320.00", bill.id, method=PM.CREDIT_CARD, stripe_payment_intent_id="pi_1")
    again = pay(world, "320.00", bill.id, method=PM.CREDIT_CARD, stripe_payment_intent_id="pi_1")

    assert again.id == first.id
    with world.uow() as uow:
        assert [p.id for p in uow.payments.list_for_family(world.family.id)] == [first.id]
    assert balance(world) == D("0.00")
    assert len(published(world, PaymentRecorded)) == 1
    books_agree(world)


def test_the_module_function_records_inside_the_callers_transaction(
    world: World, enrolled_family: m.Enrolment
) -> None:
    bill = add_invoice(world, enrolment_id=enrolled_family.id)
    paid_at = world.clock.now() - timedelta(minutes=5)
    with world.uow() as uow:
        payment = payments.record_payment(
            uow,
            None,
            family_id=world.family.id,
            amount=D("320.00"),
            method=PM.CREDIT_CARD,
            invoice_id=bill.id,
            stripe_payment_intent_id="pi_webhook",
            paid_at=paid_at,
        )
        assert payment.recorded_by_staff_id is None
        uow.commit()
    assert enrolment_status(world, enrolled_family.id) is S.ENROLLED
    [entry] = audit_entries(world, payment.id)
    assert (entry.actor_staff_id, entry.occurred_at) == (None, paid_at)

    with world.uow() as uow:  # a retried delivery: the same payment, nothing new
        again = payments.record_payment(
            uow,
            None,
            family_id=world.family.id,
            amount=D("320.00"),
            method=PM.CREDIT_CARD,
            invoice_id=bill.id,
            stripe_payment_intent_id="pi_webhook",
            paid_at=paid_at,
        )
        assert again.id == payment.id
        uow.commit()
    assert balance(world) == D("0.00")
    books_agree(world)


def test_a_provider_payment_for_an_invoice_already_paid_becomes_credit(
    world: World, enrolled_family: m.Enrolment
) -> None:
    bill = add_invoice(world, "100.00")
    pay(world, "100.00", bill.id)
    with world.uow() as uow:
        payment = payments.record_payment(
            uow,
            None,
            family_id=world.family.id,
            amount=D("100.00"),
            method=PM.CREDIT_CARD,
            invoice_id=bill.id,
            stripe_payment_intent_id="pi_late",
            paid_at=world.clock.now(),
        )
        uow.commit()
    assert allocations(world, payment.id) == {}
    assert balance(world) == D("-100.00")
    books_agree(world)


def test_without_the_callers_commit_nothing_is_recorded(
    world: World, enrolled_family: m.Enrolment
) -> None:
    bill = add_invoice(world)
    with world.uow() as uow:
        payments.record_payment(
            uow,
            None,
            family_id=world.family.id,
            amount=D("320.00"),
            method=PM.CASH,
            invoice_id=bill.id,
            paid_at=world.clock.now(),
        )
    assert invoice(world, bill.id).status is I.SENT
    assert balance(world) == D("320.00")


@pytest.mark.parametrize("who", ROLES)
def test_who_may_record_a_payment(world: World, enrolled_family: m.Enrolment, who: str) -> None:
    bill = add_invoice(world)
    if who in RECORDS:
        assert pay(world, "20.00", bill.id, who=who).amount == D("20.00")
    else:
        refused(world, Forbidden, lambda: pay(world, "20.00", bill.id, who=who))


@pytest.mark.parametrize("who", ["campus_manager", "front_desk"])
def test_campus_roles_do_not_cover_a_family_without_an_enrolment_at_their_campus(
    world: World, who: str
) -> None:
    refused(world, Forbidden, lambda: pay(world, "20.00", who=who), "campuses they are assigned")
    assert pay(world, "20.00", who="super_admin").amount == D("20.00")


def test_a_family_of_another_campus_is_the_other_managers(world: World) -> None:
    elsewhere = attrs.evolve(
        world.cohort, id=uuid4(), campus_id=world.other_campus.id, name="Geelong Mon", version=1
    )
    world.add(elsewhere)
    enrolments = EnrolmentService(world.make_uow, world.clock, world.bus)
    enrolments.enquire(world.actor("super_admin"), world.other_child.id, elsewhere.id)

    family_id = world.other_family.id
    assert pay(world, "5.00", who="other_manager", family_id=family_id).amount == D("5.00")
    refused(world, Forbidden, lambda: pay(world, "5.00", who="campus_manager", family_id=family_id))


# -- credit -----------------------------------------------------------------------------------


def test_credit_is_applied_to_a_later_invoice(world: World, enrolled_family: m.Enrolment) -> None:
    first = pay(world, "30.00")
    world.clock.advance(timedelta(minutes=1))
    second = pay(world, "50.00")
    bill = add_invoice(world, "60.00")

    applied = make_service(world).apply_credit(world.actor("front_desk"), world.family.id, bill.id)

    assert (applied.status, applied.amount_paid) == (I.PAID, D("60.00"))
    assert allocations(world, first.id) == {bill.id: D("30.00")}
    assert allocations(world, second.id) == {bill.id: D("30.00")}
    assert balance(world) == D("-20.00")
    ledger = make_service(world).ledger(world.actor("front_desk"), world.family.id)
    assert ledger.credit == D("20.00")
    books_agree(world)


def test_credit_short_of_the_invoice_leaves_it_part_paid(
    world: World, enrolled_family: m.Enrolment
) -> None:
    pay(world, "30.00")
    bill = add_invoice(world, "100.00")
    applied = make_service(world).apply_credit(world.actor("super_admin"), world.family.id, bill.id)
    assert (applied.status, applied.amount_outstanding) == (I.PARTIAL, D("70.00"))
    assert balance(world) == D("70.00")
    books_agree(world)


def test_applying_credit_confirms_a_pending_enrolment(
    world: World, enrolled_family: m.Enrolment
) -> None:
    pay(world, "400.00")
    bill = add_invoice(world, enrolment_id=enrolled_family.id)
    make_service(world).apply_credit(world.actor("campus_manager"), world.family.id, bill.id)
    assert enrolment_status(world, enrolled_family.id) is S.ENROLLED


def test_applying_credit_without_credit_is_a_conflict(
    world: World, enrolled_family: m.Enrolment
) -> None:
    bill = add_invoice(world)
    refused(
        world,
        Conflict,
        lambda: make_service(world).apply_credit(
            world.actor("super_admin"), world.family.id, bill.id
        ),
        "no credit",
    )


def test_credit_is_applied_only_to_an_open_invoice_of_the_family(
    world: World, enrolled_family: m.Enrolment
) -> None:
    pay(world, "500.00")
    draft = add_invoice(world, status=I.DRAFT)
    theirs = add_invoice(world, family=world.other_family)
    service, admin = make_service(world), world.actor("super_admin")
    refused(
        world, InvalidTransition, lambda: service.apply_credit(admin, world.family.id, draft.id)
    )
    refused(world, ValidationError, lambda: service.apply_credit(admin, world.family.id, theirs.id))
    refused(world, NotFound, lambda: service.apply_credit(admin, world.family.id, uuid4()))


@pytest.mark.parametrize("who", ROLES)
def test_who_may_apply_credit(world: World, enrolled_family: m.Enrolment, who: str) -> None:
    pay(world, "50.00")
    bill = add_invoice(world, "50.00")
    call = lambda: make_service(world).apply_credit(world.actor(who), world.family.id, bill.id)  # noqa: E731
    if who in RECORDS:
        assert call().status is I.PAID
    else:
        refused(world, Forbidden, call)


def test_credit_pays_a_newly_issued_invoice_automatically(
    world: World, enrolled_family: m.Enrolment
) -> None:
    service = make_service(world)
    service.subscribe()
    pay(world, "400.00")
    bill = add_invoice(world, enrolment_id=enrolled_family.id)
    world.bus.publish(
        [
            InvoiceIssued(
                organisation_id=world.org_id,
                invoice_id=bill.id,
                invoice_number=bill.invoice_number,
                family_id=world.family.id,
                enrolment_id=enrolled_family.id,
                total_amount=bill.total_amount,
                due_date=bill.due_date,
            )
        ]
    )

    assert invoice(world, bill.id).status is I.PAID
    assert enrolment_status(world, enrolled_family.id) is S.ENROLLED
    assert balance(world) == D("-80.00")
    assert service.apply_available_credit(world.org_id, bill.id) == ()  # again: nothing
    assert service.apply_available_credit(world.org_id, uuid4()) == ()
    books_agree(world)


def test_the_module_function_applies_credit_inside_the_callers_transaction(
    world: World, enrolled_family: m.Enrolment
) -> None:
    pay(world, "50.00")
    bill, draft = add_invoice(world, "80.00"), add_invoice(world, "10.00", status=I.DRAFT)
    with world.uow() as uow:
        at = world.clock.now()
        assert payments.apply_credit(uow, None, uow.invoices.get(draft.id), at=at) == ()
        [made] = payments.apply_credit(uow, None, uow.invoices.get(bill.id), at=at)
        assert (made.invoice_id, made.amount, made.allocated_at) == (bill.id, D("50.00"), at)
        uow.commit()
    assert invoice(world, bill.id).amount_outstanding == D("30.00")
    books_agree(world)


# -- refunds ------------------------------------------------------------------------------


def refund(
    world: World,
    payment_id: UUID,
    amount: str,
    *,
    who: str = "super_admin",
    approver: str | None = None,
    reason: str = "withdrew before the term",
    gateway: PaymentGateway | None = None,
) -> m.Refund:
    return make_service(world, gateway).refund(
        world.actor(who),
        payment_id,
        D(amount),
        reason,
        approver=None if approver is None else world.actor(approver),
    )


def test_a_refund_takes_the_payments_credit_first(
    world: World, enrolled_family: m.Enrolment
) -> None:
    bill = add_invoice(world, "100.00")
    payment = pay(world, "150.00", bill.id)

    done = refund(world, payment.id, "50.00")

    assert (done.status, done.amount, done.payment_id, done.family_id) == (
        m.RefundStatus.SUCCEEDED,
        D("50.00"),
        payment.id,
        world.family.id,
    )
    assert done.stripe_refund_id is None
    assert done.recorded_by_staff_id == world.staff["super_admin"].id
    assert invoice(world, bill.id).status is I.PAID
    assert balance(world) == D("0.00")
    assert audit_actions(world, done.id) == ["refund.record"]
    assert audit_actions(world, bill.id) == ["invoice.payment_applied"]
    [event] = published(world, RefundRecorded)
    assert (event.refund_id, event.amount, event.status) == (done.id, D("50.00"), "succeeded")
    books_agree(world)


def test_a_refund_beyond_the_credit_opens_the_invoice_again(
    world: World, enrolled_family: m.Enrolment
) -> None:
    bill = add_invoice(world, "100.00")
    payment = pay(world, "150.00", bill.id)

    refund(world, payment.id, "80.00")
    part = invoice(world, bill.id)
    assert (part.status, part.amount_paid, part.amount_outstanding) == (
        I.PARTIAL,
        D("70.00"),
        D("30.00"),
    )
    assert balance(world) == D("30.00")
    assert audit_actions(world, bill.id) == ["invoice.payment_applied", "invoice.payment_released"]

    refund(world, payment.id, "70.00")
    sent = invoice(world, bill.id)
    assert (sent.status, sent.amount_paid, sent.amount_outstanding) == (I.SENT, 0, D("100.00"))
    assert balance(world) == D("100.00")
    books_agree(world)


def test_a_refund_releases_the_latest_allocation_first(
    world: World, enrolled_family: m.Enrolment
) -> None:
    payment = pay(world, "100.00")
    first = add_invoice(world, "40.00")
    make_service(world).apply_credit(world.actor("super_admin"), world.family.id, first.id)
    world.clock.advance(timedelta(minutes=1))
    second = add_invoice(world, "40.00")
    make_service(world).apply_credit(world.actor("super_admin"), world.family.id, second.id)

    refund(world, payment.id, "50.00")  # 20.00 credit, then 30.00 of the second invoice

    assert invoice(world, first.id).amount_paid == D("40.00")
    assert invoice(world, second.id).amount_outstanding == D("30.00")
    books_agree(world)


def test_an_overdue_invoice_stays_overdue_when_a_refund_opens_it(
    world: World, enrolled_family: m.Enrolment
) -> None:
    bill = add_invoice(world, "100.00")
    payment = pay(world, "40.00", bill.id)
    with world.uow() as uow:
        uow.invoices.get(bill.id).mark_overdue()
        uow.commit()
    refund(world, payment.id, "40.00")
    assert invoice(world, bill.id).status is I.OVERDUE
    assert invoice(world, bill.id).amount_outstanding == D("100.00")
    books_agree(world)


def test_a_card_payment_is_refunded_through_the_gateway(
    world: World, enrolled_family: m.Enrolment
) -> None:
    gateway = FakeGateway()
    bill = add_invoice(world)
    payment = card_payment(world, "320.00", bill.id)

    done = refund(world, payment.id, "120.00", gateway=gateway)

    assert gateway.refunds == [(payment.stripe_payment_intent_id, D("120.00"))]
    assert (done.stripe_refund_id, done.status) == ("re_1", m.RefundStatus.SUCCEEDED)
    assert invoice(world, bill.id).amount_outstanding == D("120.00")
    books_agree(world)


def test_a_refund_the_provider_reports_pending_counts_as_given_back(
    world: World, enrolled_family: m.Enrolment
) -> None:
    payment = card_payment(world, "100.00")
    done = refund(world, payment.id, "100.00", gateway=FakeGateway(status="pending"))
    assert done.status is m.RefundStatus.PENDING
    assert balance(world) == D("0.00")
    refused(world, Conflict, lambda: refund(world, payment.id, "0.01"), "0.00 left to refund")
    books_agree(world)


@pytest.mark.parametrize(
    "gateway", [FakeGateway(status="failed"), FakeGateway(error="card_declined")]
)
def test_a_refund_the_provider_refuses_records_nothing(
    world: World, enrolled_family: m.Enrolment, gateway: FakeGateway
) -> None:
    payment = card_payment(world, "100.00")
    refused(world, PaymentGatewayError, lambda: refund(world, payment.id, "50.00", gateway=gateway))


def test_a_card_payment_without_a_payment_intent_is_refunded_by_hand(
    world: World, enrolled_family: m.Enrolment
) -> None:
    gateway = FakeGateway()
    payment = pay(world, "100.00", method=PM.CREDIT_CARD)
    done = refund(world, payment.id, "100.00", gateway=gateway)
    assert gateway.refunds == []
    assert done.status is m.RefundStatus.SUCCEEDED


def test_cash_is_refunded_by_hand(world: World, enrolled_family: m.Enrolment) -> None:
    gateway = FakeGateway()
    payment = pay(world, "100.00")
    refund(world, payment.id, "100.00", gateway=gateway)
    assert gateway.refunds == []


@pytest.mark.parametrize(
    ("earlier", "amount"), [(None, "100.01"), ("60.00", "40.01"), ("100.00", "0.01")]
)
def test_a_refund_never_exceeds_what_was_paid_minus_refunds(
    world: World, enrolled_family: m.Enrolment, earlier: str | None, amount: str
) -> None:
    gateway = FakeGateway()
    bill = add_invoice(world, "100.00")
    payment = card_payment(world, "100.00", bill.id)
    if earlier is not None:
        refund(world, payment.id, earlier, gateway=gateway)
    calls = len(gateway.refunds)
    refused(
        world,
        Conflict,
        lambda: refund(world, payment.id, amount, gateway=gateway),
        "left to refund",
    )
    assert len(gateway.refunds) == calls  # the provider was never asked


@pytest.mark.parametrize(
    "amount", [D("-5.00"), D("0.00"), D("1.001"), D("1E+400"), D("-1E+400"), 5.0]
)
def test_a_refund_amount_must_be_positive_whole_cents(
    world: World, enrolled_family: m.Enrolment, amount: Any
) -> None:
    payment = pay(world, "100.00")
    error = refused(
        world,
        ValidationError,
        lambda: make_service(world).refund(world.actor("super_admin"), payment.id, amount, "x"),
    )
    assert isinstance(error, ValidationError)
    assert error.field == "Refund.amount"


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_refund_needs_a_reason(world: World, enrolled_family: m.Enrolment, reason: str) -> None:
    payment = pay(world, "100.00")
    error = refused(
        world, ValidationError, lambda: refund(world, payment.id, "10.00", reason=reason)
    )
    assert isinstance(error, ValidationError)
    assert error.field == "Refund.reason"


def test_an_unknown_payment_is_not_found(world: World, enrolled_family: m.Enrolment) -> None:
    refused(world, NotFound, lambda: refund(world, uuid4(), "10.00"))


@pytest.mark.parametrize(
    ("who", "approver", "amount", "allowed"),
    [
        ("campus_manager", None, "500.00", True),
        ("campus_manager", None, "500.01", False),
        ("super_admin", None, "500.01", True),
        ("super_admin", None, "1000.00", True),
        ("front_desk", "campus_manager", "500.00", True),
        ("front_desk", "campus_manager", "500.01", False),
        ("front_desk", "super_admin", "500.01", True),
    ],
)
def test_the_refund_limit(
    world: World,
    enrolled_family: m.Enrolment,
    who: str,
    approver: str | None,
    amount: str,
    allowed: bool,
) -> None:
    payment = pay(world, "1000.00", who="super_admin")
    call = lambda: refund(world, payment.id, amount, who=who, approver=approver)  # noqa: E731
    if allowed:
        done = call()
        assert done.amount == D(amount)
        expected = None if approver is None else world.staff[approver].id
        assert done.approved_by_staff_id == expected
        books_agree(world)
    else:
        refused(world, Forbidden, call, "needs a super admin")


def test_the_refund_limit_is_the_organisations_setting(
    world: World, enrolled_family: m.Enrolment
) -> None:
    with world.uow() as uow:
        organisation = uow.organisations.current()
        organisation.update(
            settings=attrs.evolve(organisation.settings, campus_manager_refund_limit=D("100.00"))
        )
        uow.commit()
    payment = pay(world, "1000.00", who="super_admin")
    refused(
        world, Forbidden, lambda: refund(world, payment.id, "100.01", who="campus_manager"), "100"
    )
    assert refund(world, payment.id, "100.00", who="campus_manager").amount == D("100.00")


@pytest.mark.parametrize(
    "approver", [None, "front_desk", "other_manager", "lead_instructor", "teaching_assistant"]
)
def test_front_desk_refunds_only_with_a_managers_approval(
    world: World, enrolled_family: m.Enrolment, approver: str | None
) -> None:
    payment = pay(world, "100.00")
    refused(
        world,
        Forbidden,
        lambda: refund(world, payment.id, "10.00", who="front_desk", approver=approver),
    )


@pytest.mark.parametrize("who", ROLES)
def test_who_may_refund(world: World, enrolled_family: m.Enrolment, who: str) -> None:
    payment = pay(world, "100.00")
    call = lambda: refund(world, payment.id, "10.00", who=who)  # noqa: E731
    if who in REFUNDS:
        assert call().amount == D("10.00")
    else:
        refused(world, Forbidden, call)


# -- provider refunds ---------------------------------------------------------------------


def provider_refund(
    world: World, refund_id: str, intent: str, amount: str, status: str = "succeeded"
) -> m.Refund | None:
    with world.uow() as uow:
        done = payments.record_provider_refund(
            uow,
            stripe_refund_id=refund_id,
            payment_intent_id=intent,
            amount=D(amount),
            at=world.clock.now(),
            status=status,
        )
        uow.commit()
    return done


def test_a_provider_refund_is_recorded_once(world: World, enrolled_family: m.Enrolment) -> None:
    bill = add_invoice(world, "100.00")
    payment = card_payment(world, "100.00", bill.id)
    intent = payment.stripe_payment_intent_id
    assert intent is not None

    done = provider_refund(world, "re_dash", intent, "30.00")
    assert done is not None
    assert (done.status, done.stripe_refund_id, done.recorded_by_staff_id) == (
        m.RefundStatus.SUCCEEDED,
        "re_dash",
        None,
    )
    assert done.reason == payments.PROVIDER_REFUND_REASON
    assert provider_refund(world, "re_dash", intent, "30.00") is None
    assert [r.id for r in refunds_of(world, payment.id)] == [done.id]
    assert invoice(world, bill.id).amount_outstanding == D("30.00")
    assert balance(world) == D("30.00")
    books_agree(world)


def test_a_provider_refund_settles_our_pending_refund(
    world: World, enrolled_family: m.Enrolment
) -> None:
    payment = card_payment(world, "100.00")
    ours = refund(world, payment.id, "40.00", gateway=FakeGateway(status="pending"))
    assert payment.stripe_payment_intent_id is not None

    settled = provider_refund(world, "re_1", payment.stripe_payment_intent_id, "40.00")

    assert settled is not None
    assert settled.id == ours.id
    assert [r.status for r in refunds_of(world, payment.id)] == [m.RefundStatus.SUCCEEDED]
    assert provider_refund(world, "re_1", payment.stripe_payment_intent_id, "40.00") is None
    assert audit_actions(world, ours.id) == ["refund.record", "refund.succeeded"]
    assert balance(world) == D("-60.00")
    books_agree(world)


@pytest.mark.parametrize("status", ["failed", "canceled"])
def test_a_pending_refund_that_fails_no_longer_counts(
    world: World, enrolled_family: m.Enrolment, status: str
) -> None:
    bill = add_invoice(world, "100.00")
    payment = card_payment(world, "150.00", bill.id)
    intent = payment.stripe_payment_intent_id
    assert intent is not None
    ours = refund(world, payment.id, "80.00", gateway=FakeGateway(status="pending"))
    assert ours.status is m.RefundStatus.PENDING
    reopened = invoice(world, bill.id)
    assert (reopened.status, reopened.amount_outstanding) == (I.PARTIAL, D("30.00"))
    assert balance(world) == D("30.00")

    failed = provider_refund(world, "re_1", intent, "80.00", status)

    assert failed is not None
    assert failed.id == ours.id
    assert [r.status for r in refunds_of(world, payment.id)] == [m.RefundStatus.FAILED]
    restored = invoice(world, bill.id)
    assert (restored.status, restored.amount_paid, restored.amount_outstanding) == (
        I.PAID,
        D("100.00"),
        D("0.00"),
    )
    assert balance(world) == D("-50.00")
    assert audit_actions(world, ours.id) == ["refund.record", "refund.failed"]
    assert audit_actions(world, bill.id)[-1] == "invoice.payment_restored"
    books_agree(world)

    # a second delivery (failed again, or a late "succeeded") changes nothing
    assert provider_refund(world, "re_1", intent, "80.00", status) is None
    assert provider_refund(world, "re_1", intent, "80.00") is None
    assert [r.status for r in refunds_of(world, payment.id)] == [m.RefundStatus.FAILED]
    assert balance(world) == D("-50.00")
    assert invoice(world, bill.id).amount_outstanding == D("0.00")
    assert audit_actions(world, ours.id) == ["refund.record", "refund.failed"]
    books_agree(world)


def test_a_failed_refund_frees_the_money_to_refund_again(
    world: World, enrolled_family: m.Enrolment
) -> None:
    payment = card_payment(world, "100.00")
    intent = payment.stripe_payment_intent_id
    assert intent is not None
    gateway = FakeGateway(status="pending")
    refund(world, payment.id, "100.00", gateway=gateway)
    provider_refund(world, "re_1", intent, "100.00", "failed")

    gateway.status = "succeeded"
    again = refund(world, payment.id, "100.00", gateway=gateway)

    assert again.amount == D("100.00")
    assert balance(world) == D("0.00")
    books_agree(world)


def test_failing_a_succeeded_refund_is_refused(world: World, enrolled_family: m.Enrolment) -> None:
    payment = card_payment(world, "100.00")
    intent = payment.stripe_payment_intent_id
    assert intent is not None
    refund(world, payment.id, "40.00", gateway=FakeGateway(status="pending"))
    provider_refund(world, "re_1", intent, "40.00")

    refused(world, Conflict, lambda: provider_refund(world, "re_1", intent, "40.00", "failed"))
    assert [r.status for r in refunds_of(world, payment.id)] == [m.RefundStatus.SUCCEEDED]
    books_agree(world)


def test_a_failed_refund_whose_invoice_was_voided_meanwhile_is_a_conflict(
    world: World, enrolled_family: m.Enrolment
) -> None:
    bill = add_invoice(world, "100.00")
    payment = card_payment(world, "100.00", bill.id)
    intent = payment.stripe_payment_intent_id
    assert intent is not None
    refund(world, payment.id, "100.00", gateway=FakeGateway(status="pending"))
    void_invoice(world, bill.id)

    refused(
        world,
        Conflict,
        lambda: provider_refund(world, "re_1", intent, "100.00", "failed"),
        "sort the invoice out",
    )
    assert [r.status for r in refunds_of(world, payment.id)] == [m.RefundStatus.PENDING]


def test_a_failure_of_a_refund_never_recorded_records_nothing(
    world: World, enrolled_family: m.Enrolment
) -> None:
    payment = card_payment(world, "100.00")
    intent = payment.stripe_payment_intent_id
    assert intent is not None

    assert provider_refund(world, "re_unknown", intent, "40.00", "failed") is None
    assert refunds_of(world, payment.id) == []
    assert balance(world) == D("-100.00")


def test_an_unknown_provider_refund_status_is_refused(
    world: World, enrolled_family: m.Enrolment
) -> None:
    payment = card_payment(world, "100.00")
    intent = payment.stripe_payment_intent_id
    assert intent is not None
    refused(
        world, ValidationError, lambda: provider_refund(world, "re_1", intent, "1.00", "pending")
    )


def test_refund_status_moves_only_from_pending() -> None:
    def made(status: m.RefundStatus) -> m.Refund:
        return m.Refund(
            organisation_id=uuid4(),
            payment_id=uuid4(),
            family_id=uuid4(),
            amount=D("10.00"),
            reason="test",
            status=status,
            refunded_at=datetime(2026, 3, 2, tzinfo=UTC),
        )

    pending = made(m.RefundStatus.PENDING)
    pending.fail()
    assert pending.status is m.RefundStatus.FAILED
    settled = made(m.RefundStatus.PENDING)
    settled.succeed()
    assert settled.status is m.RefundStatus.SUCCEEDED
    for status in (m.RefundStatus.SUCCEEDED, m.RefundStatus.FAILED):
        with pytest.raises(Conflict):
            made(status).fail()
        with pytest.raises(Conflict):
            made(status).succeed()


def test_a_provider_refund_of_an_unknown_payment_intent_is_not_found(
    world: World, enrolled_family: m.Enrolment
) -> None:
    refused(world, NotFound, lambda: provider_refund(world, "re_x", "pi_unknown", "10.00"))


def test_a_provider_refund_beyond_the_payment_is_refused(
    world: World, enrolled_family: m.Enrolment
) -> None:
    payment = card_payment(world, "100.00")
    intent = payment.stripe_payment_intent_id
    assert intent is not None
    provider_refund(world, "re_a", intent, "70.00")
    refused(world, Conflict, lambda: provider_refund(world, "re_b", intent, "30.01"))


def test_a_provider_refund_id_of_another_payment_is_a_conflict(
    world: World, enrolled_family: m.Enrolment
) -> None:
    first, second = card_payment(world, "100.00"), card_payment(world, "100.00")
    assert first.stripe_payment_intent_id is not None
    assert second.stripe_payment_intent_id is not None
    provider_refund(world, "re_a", first.stripe_payment_intent_id, "10.00")
    refused(
        world,
        Conflict,
        lambda: provider_refund(world, "re_a", second.stripe_payment_intent_id, "10.00"),
    )


# -- the ledger ---------------------------------------------------------------------------


def test_the_ledger_lists_everything_in_order_with_a_running_balance(
    world: World, enrolled_family: m.Enrolment
) -> None:
    first = add_invoice(world, "320.00", issued=date(2026, 1, 5))
    world.clock.set(datetime(2026, 1, 10, 1, 0, tzinfo=UTC))
    payment = pay(world, "350.00", first.id, reference_number="DEP-7", who="super_admin")
    world.clock.set(datetime(2026, 1, 19, 9, 0, tzinfo=UTC))
    second = add_invoice(world, "100.00", issued=date(2026, 1, 12))
    credit_note(world, second.id, "10.00")
    voided = add_invoice(world, "55.00", issued=date(2026, 1, 13))
    void_invoice(world, voided.id)
    refund(world, payment.id, "20.00", reason="sibling discount missed")

    ledger = make_service(world).ledger(world.actor("campus_manager"), world.family.id)

    assert [(e.on, e.kind, e.amount, e.balance) for e in ledger.entries] == [
        (date(2026, 1, 5), EntryKind.CHARGE, D("320.00"), D("320.00")),
        (date(2026, 1, 10), EntryKind.PAYMENT, D("-350.00"), D("-30.00")),
        (date(2026, 1, 12), EntryKind.CHARGE, D("100.00"), D("70.00")),
        (date(2026, 1, 19), EntryKind.CREDIT_NOTE, D("-10.00"), D("60.00")),
        (date(2026, 1, 19), EntryKind.REFUND, D("20.00"), D("80.00")),
    ]
    assert ledger.entries[0].reference == first.invoice_number
    assert ledger.entries[1].description == "Payment by cash (DEP-7)"
    assert "sibling discount missed" in ledger.entries[4].description
    assert voided.id not in {e.entity_id for e in ledger.entries}
    assert (ledger.balance, ledger.account_balance) == (D("80.00"), D("80.00"))
    # 90.00 still owed on the second invoice (10.00 credited), 10.00 of the payment unused
    assert (ledger.outstanding, ledger.credit) == (D("90.00"), D("10.00"))
    books_agree(world)


def test_the_ledger_dates_payments_in_the_campus_time_zone(
    world: World, enrolled_family: m.Enrolment
) -> None:
    pay(world, "10.00", paid_at=datetime(2026, 1, 18, 14, 0, tzinfo=UTC))  # 01:00 on the 19th
    [entry] = make_service(world).ledger(world.actor("super_admin"), world.family.id).entries
    assert entry.on == date(2026, 1, 19)


def test_an_empty_ledger(world: World) -> None:
    ledger = make_service(world).ledger(world.actor("super_admin"), world.other_family.id)
    assert (ledger.entries, ledger.balance, ledger.credit, ledger.outstanding) == ((), 0, 0, 0)


@pytest.mark.parametrize("who", ROLES)
def test_who_may_see_the_ledger(world: World, enrolled_family: m.Enrolment, who: str) -> None:
    add_invoice(world)
    call = lambda: make_service(world).ledger(world.actor(who), world.family.id)  # noqa: E731
    if who in VIEWS:
        assert call().balance == D("320.00")
    else:
        refused(world, Forbidden, call)


def test_front_desk_sees_the_ledger_of_any_one_family(world: World) -> None:
    ledger = make_service(world).ledger(world.actor("front_desk"), world.other_family.id)
    assert ledger.family_id == world.other_family.id
    refused(
        world,
        Forbidden,
        lambda: make_service(world).ledger(world.actor("campus_manager"), world.other_family.id),
    )


def test_the_ledger_of_an_unknown_family_is_not_found(world: World) -> None:
    refused(
        world, NotFound, lambda: make_service(world).ledger(world.actor("super_admin"), uuid4())
    )


# -- the recount ----------------------------------------------------------------------------


def tamper(world: World, change: Callable[[Any], None]) -> None:
    with world.uow() as uow:
        change(uow)
        uow.commit()


def test_the_recount_finds_a_wrong_balance_and_wrong_invoice_figures(
    world: World, enrolled_family: m.Enrolment
) -> None:
    bill = add_invoice(world, "100.00")
    pay(world, "60.00", bill.id)
    books_agree(world)

    def wrong(uow: Any) -> None:
        uow.families.get(world.family.id).account_balance = D("1.00")
        tampered = uow.invoices.get(bill.id)
        tampered.amount_paid = D("50.00")
        tampered.amount_outstanding = D("50.00")

    tamper(world, wrong)
    count = make_service(world).recount(world.org_id, world.family.id)

    assert not count.ok
    assert (count.account_balance, count.counted_balance) == (D("1.00"), D("40.00"))
    assert any("account_balance is 1.00" in problem for problem in count.problems)
    assert any(bill.invoice_number in problem for problem in count.problems)
    [checked] = count.invoices
    assert (checked.counted_paid, checked.counted_outstanding, checked.agrees) == (
        D("60.00"),
        D("40.00"),
        False,
    )


def test_the_recount_of_an_unknown_family_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        make_service(world).recount(world.org_id, uuid4())


# -- reading payments and refunds ---------------------------------------------------------------


def test_a_payments_details_say_where_its_money_is(
    world: World, enrolled_family: m.Enrolment
) -> None:
    first = add_invoice(world, "100.00")
    second = add_invoice(world, "30.00")
    payment = pay(world, "150.00", first.id)
    refund(world, payment.id, "30.00")  # 20.00 of credit, then 10.00 released from the second

    details = make_service(world).get_payment(world.actor("front_desk"), payment.id)

    assert details.payment.id == payment.id
    assert {a.invoice_id: a.amount for a in details.allocations} == {
        first.id: D("100.00"),
        second.id: D("30.00"),
    }
    assert details.invoice_numbers == {
        first.id: first.invoice_number,
        second.id: second.invoice_number,
    }
    # both allocations were made at once: the refund released 10.00 from the later (by id)
    last = details.allocations[-1]
    assert details.applied[last.id] == last.amount - D("10.00")
    assert sum(details.applied.values()) == D("120.00")
    assert [r.amount for r in details.refunds] == [D("30.00")]
    assert (details.refunded, details.credit) == (D("30.00"), D("0.00"))


def test_a_payment_without_invoices_is_all_credit(world: World) -> None:
    payment = pay(world, "25.00", who="super_admin")
    details = make_service(world).get_payment(world.actor("super_admin"), payment.id)
    assert (details.allocations, details.refunds, details.credit) == ((), (), D("25.00"))
    assert details.invoice_numbers == {}


def test_a_familys_payments_in_date_order_within_a_date_range(
    world: World, enrolled_family: m.Enrolment
) -> None:
    # 9 January 14:30 UTC is already 10 January in Melbourne
    late = pay(world, "5.00", paid_at=datetime(2026, 1, 9, 14, 30, tzinfo=UTC))
    early = pay(world, "7.00", paid_at=datetime(2026, 1, 5, 1, 0, tzinfo=UTC))
    today = pay(world, "9.00")
    payments_of = make_service(world).list_payments
    actor = world.actor("campus_manager")

    assert [p.id for p in payments_of(actor, world.family.id)] == [early.id, late.id, today.id]
    assert [
        p.id
        for p in payments_of(
            actor, world.family.id, date_from=date(2026, 1, 10), date_to=date(2026, 1, 10)
        )
    ] == [late.id]
    assert [p.id for p in payments_of(actor, world.family.id, date_to=date(2026, 1, 9))] == [
        early.id
    ]
    assert [p.id for p in payments_of(actor, world.family.id, date_from=TODAY)] == [today.id]


def test_a_payment_date_range_must_not_run_backwards(
    world: World, enrolled_family: m.Enrolment
) -> None:
    error = refused(
        world,
        ValidationError,
        lambda: make_service(world).list_payments(
            world.actor("super_admin"),
            world.family.id,
            date_from=date(2026, 1, 10),
            date_to=date(2026, 1, 9),
        ),
    )
    assert isinstance(error, ValidationError)
    assert error.field == "date_to"


def test_a_familys_refunds_oldest_first_with_failed_ones(
    world: World, enrolled_family: m.Enrolment
) -> None:
    payment = pay(world, "100.00")
    first = refund(world, payment.id, "10.00")
    world.clock.advance(timedelta(hours=1))
    second = refund(world, payment.id, "20.00")
    refunds = make_service(world).list_refunds(world.actor("front_desk"), world.family.id)
    assert [(r.id, r.amount) for r in refunds] == [(first.id, D("10.00")), (second.id, D("20.00"))]
    assert make_service(world).list_refunds(world.actor("super_admin"), world.other_family.id) == []


@pytest.mark.parametrize("who", ROLES)
def test_who_may_view_a_familys_payments_and_refunds(
    world: World, enrolled_family: m.Enrolment, who: str
) -> None:
    payment = pay(world, "10.00")
    service = make_service(world)
    calls: list[Callable[[], object]] = [
        lambda: service.get_payment(world.actor(who), payment.id),
        lambda: service.list_payments(world.actor(who), world.family.id),
        lambda: service.list_refunds(world.actor(who), world.family.id),
    ]
    for call in calls:
        if who in VIEWS:
            call()
        else:
            refused(world, Forbidden, call)


def test_unknown_payments_and_families_are_not_found(world: World) -> None:
    service = make_service(world)
    admin = world.actor("super_admin")
    for call in (
        lambda: service.get_payment(admin, uuid4()),
        lambda: service.list_payments(admin, uuid4()),
        lambda: service.list_refunds(admin, uuid4()),
    ):
        refused(world, NotFound, call)
