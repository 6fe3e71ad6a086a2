"""A Hypothesis state machine over the family's books on the memory adapter.

Two families, three children. The invoicing service is wired as in the application: each
enrolment reaching pending payment gets its invoice automatically (with the sibling discount),
and every invoice issued takes the family's existing credit (``PaymentService.subscribe``).
Rules: manual invoices (sent, or left as drafts), voiding, credit notes, payments with and
without an invoice (cash, cheque, transfer, card; provider payments, sometimes with a
PaymentIntent already recorded, sometimes for an invoice already paid or void), applying
credit, refunds (within and beyond what is left, by a super admin or a campus manager with
the $500 limit), provider refunds delivered twice, and time passing. After every step, for
each family:

- the ledger's running balance == ``Family.account_balance`` == the recount's balance;
- every invoice's amount_paid / amount_credited / amount_outstanding == the recount, and the
  recount has nothing else to report (statuses, refunds within payments);
- no amount is negative, and each payment's money is applied, refunded or credit;
- an enrolment whose invoice is paid is not left pending payment.

Each rule also checks what the use case should have done, and that a refused call wrote
nothing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from tests.unit.services.conftest import World, build_world
from tests.unit.services.helpers import snapshot
from tests.unit.services.test_payments import FakeGateway, make_service, pending_enrolment

from rocket_core import model as m
from rocket_core.errors import Conflict, RocketError
from rocket_core.model import EnrolmentStatus as S
from rocket_core.model import InvoiceStatus as I
from rocket_core.model import PaymentMethod as PM
from rocket_core.services import payments
from rocket_core.services.invoicing import InvoicingService
from rocket_core.services.ledger import load_books

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
pick = st.integers(min_value=0, max_value=10_000)
money = st.one_of(
    st.integers(min_value=1, max_value=60_000), st.sampled_from([1, 50_000, 50_001])
).map(lambda cents: Decimal(cents).scaleb(-2))


class FamilyBooks(RuleBasedStateMachine):
    """Invoices, payments, credit and refunds of two families."""

    def __init__(self) -> None:
        super().__init__()
        self.world: World = build_world()
        self.gateway = FakeGateway()
        self.service = make_service(self.world, self.gateway)
        self.service.subscribe()
        self.invoicing = InvoicingService(self.world.make_uow, self.world.clock, self.world.bus)
        self.invoicing.subscribe()
        self.admin = self.world.actor("super_admin")
        self.families = [self.world.family.id, self.world.other_family.id]
        self.enrolments: list[UUID] = []
        self.payments: list[UUID] = []
        self.intents: list[str] = []
        self.provider_refunds = 0

    # -- reading the store --------------------------------------------------------------------

    def invoice(self, which: int, *, open_only: bool = False) -> m.Invoice | None:
        """One of the invoices (or of the open ones), by a drawn number."""
        with self.world.uow() as uow:
            found = [i for f in self.families for i in uow.invoices.list_for_family(f)]
        if open_only:
            found = [i for i in found if i.is_open]
        return found[which % len(found)] if found else None

    def payment(self, which: int) -> m.Payment | None:
        if not self.payments:
            return None
        with self.world.uow() as uow:
            return uow.payments.get(self.payments[which % len(self.payments)])

    def balance(self, family_id: UUID) -> Decimal:
        with self.world.uow() as uow:
            return uow.families.get(family_id).account_balance

    def credit(self, family_id: UUID) -> Decimal:
        with self.world.uow() as uow:
            return load_books(uow, family_id).credit

    def refunded(self, payment_id: UUID) -> Decimal:
        with self.world.uow() as uow:
            return sum(
                (r.amount for r in uow.refunds.list_for_payment(payment_id)), Decimal("0.00")
            )

    def refused(self, call: object) -> None:
        before = snapshot(self.world)
        events = len(self.world.published)
        try:
            call()  # type: ignore[operator]
        except RocketError:
            pass
        else:
            raise AssertionError("the call should have been refused")
        assert snapshot(self.world) == before, "a refused call wrote something"
        assert len(self.world.published) == events

    # -- rules ----------------------------------------------------------------------------

    @rule(child=st.sampled_from(["child", "sibling", "other_child"]))
    def enrol(self, child: str) -> None:
        """A child asks for a seat: the enrolment's invoice is issued automatically (and paid
        at once by the family's credit, if it has enough)."""
        student: m.Student = getattr(self.world, child)
        with self.world.uow() as uow:
            live = [
                e
                for e in uow.enrolments.list_for_student(student.id)
                if e.status not in (S.DROPPED, S.COMPLETED, S.TRANSFERRED)
            ]
        if live:
            return
        before = self.balance(student.family_id)
        enrolment = pending_enrolment(self.world, student)
        self.enrolments.append(enrolment.id)
        with self.world.uow() as uow:
            [issued] = uow.invoices.list_for_enrolment(enrolment.id)
        assert issued.total_amount > ZERO
        assert self.balance(student.family_id) == before + issued.total_amount

    @rule(family=pick, price=money, send=st.sampled_from([True, True, True, False]))
    def manual_invoice(self, family: int, price: Decimal, send: bool) -> None:
        family_id = self.families[family % 2]
        before = self.balance(family_id)
        draft = self.invoicing.create_manual_invoice(
            self.admin, family_id, [m.LineItem(description="Robotics kit", unit_price=price)]
        )
        if send:
            sent = self.invoicing.send_invoice(self.admin, draft.id)
            assert self.balance(family_id) == before + sent.total_amount
        else:
            assert self.balance(family_id) == before

    @rule(which=pick)
    def void(self, which: int) -> None:
        bill = self.invoice(which)
        if bill is None:
            return
        call = lambda: self.invoicing.void_invoice(self.admin, bill.id, "issued twice")  # noqa: E731
        if bill.status is I.DRAFT or (bill.is_open and bill.amount_paid == ZERO):
            before = self.balance(bill.family_id)
            call()
            owed = ZERO if bill.status is I.DRAFT else bill.amount_outstanding
            assert self.balance(bill.family_id) == before - owed
        else:
            self.refused(call)

    @rule(which=pick, share=st.integers(min_value=1, max_value=100))
    def credit_note(self, which: int, share: int) -> None:
        bill = self.invoice(which)
        if bill is None:
            return
        amount = max((bill.amount_outstanding * share / 100).quantize(Decimal("0.01")), CENT)
        call = lambda: self.invoicing.issue_credit_note(  # noqa: E731
            self.admin, bill.id, amount, "a session was cancelled"
        )
        if bill.is_open:
            before = self.balance(bill.family_id)
            call()
            assert self.balance(bill.family_id) == before - amount
        else:
            self.refused(call)

    @rule(
        family=pick,
        amount=money,
        which=st.one_of(st.none(), pick),
        method=st.sampled_from([PM.CASH, PM.CHEQUE, PM.BANK_TRANSFER, PM.CREDIT_CARD]),
        open_only=st.booleans(),
    )
    def pay(
        self, family: int, amount: Decimal, which: int | None, method: PM, open_only: bool
    ) -> None:
        family_id = self.families[family % 2]
        bill = None if which is None else self.invoice(which, open_only=open_only)
        if bill is not None and open_only:
            family_id = bill.family_id
        call = lambda: self.service.record_payment(  # noqa: E731
            self.admin,
            family_id=family_id,
            amount=amount,
            method=method,
            invoice_id=None if bill is None else bill.id,
        )
        if bill is not None and (bill.family_id != family_id or not bill.is_open):
            self.refused(call)
            return
        before = self.balance(family_id)
        payment = call()
        self.payments.append(payment.id)
        assert self.balance(family_id) == before - amount
        if bill is not None:
            with self.world.uow() as uow:
                after = uow.invoices.get(bill.id)
            assert after.amount_paid == bill.amount_paid + min(amount, bill.amount_outstanding)

    @rule(family=pick, amount=money, which=st.one_of(st.none(), pick), again=pick)
    def card_payment(self, family: int, amount: Decimal, which: int | None, again: int) -> None:
        """A provider's payment (the webhook's path): sometimes a PaymentIntent already
        recorded, sometimes for an invoice that takes no payment any more."""
        family_id = self.families[family % 2]
        bill = None if which is None else self.invoice(which)
        if bill is not None and bill.family_id != family_id:
            bill = None
        repeat = bool(self.intents) and again % 3 == 0
        intent = self.intents[again % len(self.intents)] if repeat else f"pi_{len(self.intents)}"
        before = self.balance(family_id)
        with self.world.uow() as uow:
            payment = payments.record_payment(
                uow,
                None,
                family_id=family_id,
                amount=amount,
                method=PM.CREDIT_CARD,
                invoice_id=None if bill is None else bill.id,
                stripe_payment_intent_id=intent,
                paid_at=self.world.clock.now(),
            )
            uow.commit()
        if repeat:
            assert payment.id in self.payments
            assert self.balance(family_id) == before
        else:
            self.intents.append(intent)
            self.payments.append(payment.id)
            assert self.balance(family_id) == before - amount

    @rule(which=pick, stranger=st.sampled_from([False] * 4 + [True]), open_only=st.booleans())
    def apply_credit(self, which: int, stranger: bool, open_only: bool) -> None:
        bill = self.invoice(which, open_only=open_only)
        if bill is None:
            return
        family_id = next(f for f in self.families if (f == bill.family_id) != stranger)
        call = lambda: self.service.apply_credit(self.admin, family_id, bill.id)  # noqa: E731
        credit = self.credit(family_id)
        if bill.family_id != family_id or not bill.is_open or credit == ZERO:
            self.refused(call)
            return
        before = self.balance(family_id)
        applied = call()
        assert applied.amount_paid == bill.amount_paid + min(credit, bill.amount_outstanding)
        assert self.credit(family_id) == credit - min(credit, bill.amount_outstanding)
        assert self.balance(family_id) == before

    @rule(which=pick, share=st.integers(min_value=1, max_value=120), who=st.booleans())
    def refund(self, which: int, share: int, who: bool) -> None:
        """A refund of a share of what is left (above 100 %: more than is left)."""
        payment = self.payment(which)
        if payment is None:
            return
        left = payment.amount - self.refunded(payment.id)
        amount = max((left * share / 100).quantize(Decimal("0.01")), Decimal("0.01"))
        actor = self.world.actor("campus_manager") if who else self.admin
        call = lambda: self.service.refund(actor, payment.id, amount, "withdrawal")  # noqa: E731
        with self.world.uow() as uow:
            students = uow.students.list_for_family(payment.family_id)
            at_campus = any(uow.enrolments.list_for_student(c.id) for c in students)
        if amount > left or (who and (amount > Decimal("500.00") or not at_campus)):
            self.refused(call)
            return
        before = self.balance(payment.family_id)
        done = call()
        assert done.amount == amount
        assert self.balance(payment.family_id) == before + amount
        if payment.stripe_payment_intent_id is not None:
            assert self.gateway.refunds[-1] == (payment.stripe_payment_intent_id, amount)

    @rule(which=pick, share=st.integers(min_value=1, max_value=120))
    def provider_refund(self, which: int, share: int) -> None:
        payment = self.payment(which)
        if payment is None or payment.stripe_payment_intent_id is None:
            return
        left = payment.amount - self.refunded(payment.id)
        amount = max((left * share / 100).quantize(Decimal("0.01")), Decimal("0.01"))
        self.provider_refunds += 1
        refund_id = f"re_provider_{self.provider_refunds}"

        def call() -> None:
            with self.world.uow() as uow:
                payments.record_provider_refund(
                    uow,
                    stripe_refund_id=refund_id,
                    payment_intent_id=str(payment.stripe_payment_intent_id),
                    amount=amount,
                    at=self.world.clock.now(),
                )
                uow.commit()

        if amount > left:
            self.refused(call)
        else:
            call()
            call()  # delivered twice: recorded once
            assert self.refunded(payment.id) == payment.amount - left + amount

    @rule(minutes=st.sampled_from([0, 1, 60 * 24]))
    def tick(self, minutes: int) -> None:
        self.world.clock.advance(timedelta(minutes=minutes))

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def the_books_agree(self) -> None:
        for family_id in self.families:
            count = self.service.recount(self.world.org_id, family_id)
            assert count.ok, count.problems
            ledger = self.service.ledger(self.admin, family_id)
            assert ledger.balance == ledger.account_balance == count.counted_balance
            assert ledger.balance == ledger.outstanding - ledger.credit
            if ledger.entries:
                assert ledger.entries[-1].balance == ledger.balance

    @invariant()
    def nothing_is_negative_and_every_cent_is_placed(self) -> None:
        for family_id in self.families:
            with self.world.uow() as uow:
                books = load_books(uow, family_id)
            for bill in books.invoices:
                assert min(bill.amount_paid, bill.amount_credited, bill.amount_outstanding) >= 0
            for placement in books.placements:
                applied = sum(placement.applied.values(), ZERO)
                assert min([placement.credit, placement.refunded, *placement.applied.values()]) >= 0
                assert applied + placement.refunded + placement.credit == placement.payment.amount

    @invariant()
    def a_paid_enrolment_is_enrolled(self) -> None:
        with self.world.uow() as uow:
            for enrolment_id in self.enrolments:
                if any(i.status is I.PAID for i in uow.invoices.list_for_enrolment(enrolment_id)):
                    assert uow.enrolments.get(enrolment_id).status is S.ENROLLED

    @invariant()
    def refunds_never_exceed_payments(self) -> None:
        for payment_id in self.payments:
            with self.world.uow() as uow:
                payment = uow.payments.get(payment_id)
            assert self.refunded(payment_id) <= payment.amount


def test_a_refund_of_what_is_left_then_one_cent_more_is_refused() -> None:
    """A fixed walk through the machine: the boundary it must find every time."""
    machine = FamilyBooks()
    machine.enrol(child="child")
    machine.pay(family=0, amount=Decimal("400.00"), which=0, method=PM.CREDIT_CARD, open_only=True)
    machine.the_books_agree()
    machine.a_paid_enrolment_is_enrolled()
    machine.refund(which=0, share=100, who=False)
    machine.the_books_agree()
    payment = machine.payment(0)
    assert payment is not None
    try:
        machine.service.refund(machine.admin, payment.id, Decimal("0.01"), "one cent more")
    except Conflict:
        pass
    else:
        raise AssertionError("refunded more than was paid")
    machine.the_books_agree()
    machine.teardown()


FamilyBooks.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
test_family_books = FamilyBooks.TestCase
