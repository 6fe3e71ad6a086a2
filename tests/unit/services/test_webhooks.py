"""WebhookService: provider events processed exactly once, in one transaction with the
payment or refund they mean; refused events record nothing."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from tests.unit.services.conftest import World

from rocket_core import model as m
from rocket_core.errors import Conflict, NotFound, ValidationError
from rocket_core.events import CardPaymentFailed
from rocket_core.permissions import Actor
from rocket_core.ports import UnitOfWork
from rocket_core.services.webhooks import (
    HANDLED_EVENT_TYPES,
    ProviderEvent,
    WebhookService,
    WebhookStatus,
    is_handled,
    money_from_cents,
    organisation_of,
)

try:  # engineer B's functions; a stand-in with the agreed behaviour until they land
    from rocket_core.services.payments import (  # type: ignore[attr-defined,unused-ignore]
        record_payment as real_record_payment,
    )
    from rocket_core.services.payments import (  # type: ignore[attr-defined,unused-ignore]
        record_provider_refund as real_record_provider_refund,
    )
except ImportError:  # pragma: no cover - only before the payments module exists
    real_record_payment = None
    real_record_provider_refund = None


def stand_in_record_payment(
    uow: UnitOfWork,
    actor: Actor | None,
    *,
    family_id: UUID,
    amount: Decimal,
    method: m.PaymentMethod,
    invoice_id: UUID | None = None,
    stripe_payment_intent_id: str | None = None,
    reference_number: str | None = None,
    notes: str | None = None,
    paid_at: datetime,
    clock: Any = None,
) -> m.Payment:
    """payments.record_payment as agreed: idempotent on the PaymentIntent id, allocates to
    the invoice up to what it owes, the rest is family credit; audited."""
    if stripe_payment_intent_id is not None:
        existing = uow.payments.find_by_payment_intent(stripe_payment_intent_id)
        if existing is not None:
            return existing
    payment = m.Payment(
        organisation_id=uow.organisation_id,
        family_id=family_id,
        invoice_id=invoice_id,
        payment_date=paid_at,
        amount=amount,
        payment_method=method,
        stripe_payment_intent_id=stripe_payment_intent_id,
        reference_number=reference_number,
        notes=notes,
    )
    uow.payments.add(payment)
    uow.audit.add(
        m.AuditEntry(
            organisation_id=uow.organisation_id,
            action="payment.record",
            entity_type="Payment",
            entity_id=payment.id,
            summary=f"payment of {amount}",
        )
    )
    family = uow.families.get(family_id)
    family.account_balance -= amount
    if invoice_id is not None:
        invoice = uow.invoices.get(invoice_id)
        part = min(amount, invoice.amount_outstanding)
        if part > 0 and invoice.is_open:
            invoice.apply_payment(part)
            uow.allocations.add(
                m.PaymentAllocation(
                    organisation_id=uow.organisation_id,
                    payment_id=payment.id,
                    invoice_id=invoice.id,
                    amount=part,
                    allocated_at=paid_at,
                )
            )
    return payment


def stand_in_record_provider_refund(
    uow: UnitOfWork,
    *,
    stripe_refund_id: str,
    payment_intent_id: str,
    amount: Decimal,
    at: datetime,
    clock: Any = None,
) -> m.Refund | None:
    """payments.record_provider_refund as agreed: idempotent on the Stripe refund id (None
    for one recorded already)."""
    if uow.refunds.find_by_stripe_refund(stripe_refund_id) is not None:
        return None
    payment = uow.payments.find_by_payment_intent(payment_intent_id)
    if payment is None:
        raise NotFound("Payment for PaymentIntent", payment_intent_id)
    refund = m.Refund(
        organisation_id=uow.organisation_id,
        payment_id=payment.id,
        family_id=payment.family_id,
        amount=amount,
        reason="refunded at Stripe",
        stripe_refund_id=stripe_refund_id,
        refunded_at=at,
    )
    uow.refunds.add(refund)
    return refund


RECORD_PAYMENT: Any = real_record_payment or stand_in_record_payment
RECORD_PROVIDER_REFUND: Any = real_record_provider_refund or stand_in_record_provider_refund


def make_service(world: World, **overrides: Any) -> WebhookService:
    options: dict[str, Any] = {
        "record_payment": RECORD_PAYMENT,
        "record_provider_refund": RECORD_PROVIDER_REFUND,
        "pause": lambda seconds: None,
    }
    options.update(overrides)
    return WebhookService(world.make_uow, world.clock, world.bus, **options)


@pytest.fixture
def service(world: World) -> WebhookService:
    return make_service(world)


def sent_invoice(world: World, total: str = "320.00", family: m.Family | None = None) -> m.Invoice:
    family = family or world.family
    with world.uow() as uow:
        invoice = m.Invoice(
            organisation_id=world.org_id,
            invoice_number=uow.invoices.next_number(2026),
            family_id=family.id,
            issue_date=date(2026, 1, 19),
            due_date=date(2026, 2, 2),
            total_amount=Decimal(total),
            amount_outstanding=Decimal(total),
            line_items=(m.LineItem(description="Scratch Basics", unit_price=Decimal(total)),),
        )
        invoice.send()
        uow.invoices.add(invoice)
        stored = uow.families.get(family.id)
        stored.account_balance += Decimal(total)
        uow.commit()
    return invoice


def intent(
    world: World,
    invoice: m.Invoice | None,
    cents: int = 32000,
    *,
    intent_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"organisation_id": str(world.org_id)}
    if invoice is not None:
        metadata |= {"invoice_id": str(invoice.id), "family_id": str(invoice.family_id)}
    obj: dict[str, Any] = {
        "id": intent_id or f"pi_{uuid4().hex[:14]}",
        "object": "payment_intent",
        "amount": cents,
        "amount_received": cents,
        "currency": "aud",
        "status": "succeeded",
        "created": 1_768_800_000,
        "metadata": metadata,
    }
    obj.update(extra)
    return obj


def refund_object(intent_id: str, cents: int, status: str = "succeeded") -> dict[str, Any]:
    return {
        "id": f"re_{uuid4().hex[:14]}",
        "object": "refund",
        "amount": cents,
        "payment_intent": intent_id,
        "status": status,
        "created": 1_768_900_000,
        "metadata": {},
    }


def event_id() -> str:
    return f"evt_{uuid4().hex[:14]}"


def counts(world: World) -> tuple[int, int, int]:
    """(payments, webhook events, refunds) committed in the store."""
    return (
        world.store.count(m.Payment),
        world.store.count(m.WebhookEvent),
        world.store.count(m.Refund),
    )


def pay(world: World, service: WebhookService, invoice: m.Invoice, cents: int = 32000) -> str:
    obj = intent(world, invoice, cents)
    service.handle(world.org_id, event_id(), "payment_intent.succeeded", obj)
    return str(obj["id"])


# -- payment_intent.succeeded --------------------------------------------------------------


def test_a_succeeded_payment_intent_records_one_card_payment_for_its_invoice(
    world: World, service: WebhookService
) -> None:
    invoice = sent_invoice(world)
    obj = intent(world, invoice, 32000)
    evt = event_id()

    result = service.handle(world.org_id, evt, "payment_intent.succeeded", obj)

    assert result.status is WebhookStatus.PROCESSED
    assert result.payment is not None
    with world.uow() as uow:
        payment = uow.payments.get(result.payment.id)
        assert payment.amount == Decimal("320.00")
        assert payment.payment_method is m.PaymentMethod.CREDIT_CARD
        assert payment.stripe_payment_intent_id == obj["id"]
        assert payment.family_id == world.family.id
        assert payment.recorded_by_staff_id is None
        assert payment.payment_date == datetime.fromtimestamp(1_768_800_000, UTC)
        paid = uow.invoices.get(invoice.id)
        assert (paid.status, paid.amount_paid, paid.amount_outstanding) == (
            m.InvoiceStatus.PAID,
            Decimal("320.00"),
            Decimal("0.00"),
        )
        recorded = uow.webhook_events.find_by_provider_event("stripe", evt)
        assert recorded is not None
        assert (recorded.event_type, recorded.received_at) == (
            "payment_intent.succeeded",
            world.clock.now(),
        )
        assert uow.families.get(world.family.id).account_balance == Decimal("0.00")
        actions = [a.action for a in uow.audit.list_for_entity(payment.id)]
        assert "payment.record" in actions


def test_the_same_event_delivered_twice_records_one_payment(
    world: World, service: WebhookService
) -> None:
    invoice = sent_invoice(world)
    obj = intent(world, invoice)
    evt = event_id()

    first = service.handle(world.org_id, evt, "payment_intent.succeeded", obj)
    second = service.handle(world.org_id, evt, "payment_intent.succeeded", obj)

    assert first.status is WebhookStatus.PROCESSED
    assert second.status is WebhookStatus.ALREADY_PROCESSED
    assert second.payment is None
    assert counts(world) == (1, 1, 0)
    with world.uow() as uow:
        assert uow.invoices.get(invoice.id).amount_paid == Decimal("320.00")


def test_the_same_payment_resent_under_another_event_id_is_still_one_payment(
    world: World, service: WebhookService
) -> None:
    invoice = sent_invoice(world)
    obj = intent(world, invoice)

    first = service.handle(world.org_id, event_id(), "payment_intent.succeeded", obj)
    again = service.handle(world.org_id, event_id(), "payment_intent.succeeded", obj)

    assert again.status is WebhookStatus.PROCESSED
    assert first.payment is not None
    assert again.payment is not None
    assert again.payment.id == first.payment.id
    assert counts(world) == (1, 2, 0)
    with world.uow() as uow:
        assert uow.invoices.get(invoice.id).amount_paid == Decimal("320.00")
        payment_audit = uow.audit.list_for_entity(first.payment.id)
        assert [a.action for a in payment_audit].count("payment.record") == 1


def test_a_failure_arriving_after_the_success_leaves_the_payment_alone(
    world: World, service: WebhookService
) -> None:
    invoice = sent_invoice(world)
    obj = intent(world, invoice)
    service.handle(world.org_id, event_id(), "payment_intent.succeeded", obj)

    late = dict(obj, status="requires_payment_method", last_payment_error={"code": "x"})
    result = service.handle(world.org_id, event_id(), "payment_intent.payment_failed", late)

    assert result.status is WebhookStatus.PROCESSED
    assert counts(world) == (1, 2, 0)
    with world.uow() as uow:
        assert uow.invoices.get(invoice.id).status is m.InvoiceStatus.PAID


def test_amount_received_counts_and_cents_convert_exactly(
    world: World, service: WebhookService
) -> None:
    invoice = sent_invoice(world, "123.45")
    obj = intent(world, invoice, 12345)
    obj.pop("amount_received")  # localstripe leaves it out: the amount is used

    result = service.handle(world.org_id, event_id(), "payment_intent.succeeded", obj)

    assert result.payment is not None
    assert result.payment.amount == Decimal("123.45")
    with world.uow() as uow:
        assert uow.invoices.get(invoice.id).status is m.InvoiceStatus.PAID


def test_the_charge_time_is_the_payment_date_when_the_event_carries_it(
    world: World, service: WebhookService
) -> None:
    invoice = sent_invoice(world)
    obj = intent(world, invoice, latest_charge={"id": "ch_1", "created": 1_768_850_000})

    result = service.handle(world.org_id, event_id(), "payment_intent.succeeded", obj)

    assert result.payment is not None
    assert result.payment.payment_date == datetime.fromtimestamp(1_768_850_000, UTC)


def test_without_any_time_in_the_event_the_payment_is_dated_now(
    world: World, service: WebhookService
) -> None:
    invoice = sent_invoice(world)
    obj = intent(world, invoice)
    obj.pop("created")

    result = service.handle(world.org_id, event_id(), "payment_intent.succeeded", obj)

    assert result.payment is not None
    assert result.payment.payment_date == world.clock.now()


def test_a_payment_naming_only_a_family_is_recorded_for_that_family(
    world: World, service: WebhookService
) -> None:
    obj = intent(world, None, 5000)
    obj["metadata"]["family_id"] = str(world.other_family.id)

    result = service.handle(world.org_id, event_id(), "payment_intent.succeeded", obj)

    assert result.payment is not None
    assert (result.payment.family_id, result.payment.invoice_id) == (world.other_family.id, None)
    assert result.payment.amount == Decimal("50.00")


# -- refused events record nothing ---------------------------------------------------------


def _refused(world: World, service: WebhookService, obj: Mapping[str, Any], error: type) -> None:
    before = counts(world)
    evt = event_id()
    with pytest.raises(error):
        service.handle(world.org_id, evt, "payment_intent.succeeded", obj)
    assert counts(world) == before
    with world.uow() as uow:
        assert uow.webhook_events.find_by_provider_event("stripe", evt) is None


def test_an_unknown_invoice_is_not_found_and_nothing_is_recorded(
    world: World, service: WebhookService
) -> None:
    invoice = sent_invoice(world)
    obj = intent(world, invoice)
    obj["metadata"]["invoice_id"] = str(uuid4())
    _refused(world, service, obj, NotFound)


def test_an_unknown_family_is_not_found(world: World, service: WebhookService) -> None:
    obj = intent(world, None)
    obj["metadata"]["family_id"] = str(uuid4())
    _refused(world, service, obj, NotFound)


def test_an_invoice_of_another_organisation_is_not_found(world: World) -> None:
    other_org = m.Organisation(name="Other School")
    with world.store.unit_of_work(other_org.id) as uow:
        uow.organisations.add(other_org)
        uow.commit()
    service = make_service(world)
    invoice = sent_invoice(world)
    obj = intent(world, invoice)
    obj["metadata"]["organisation_id"] = str(other_org.id)
    with pytest.raises(NotFound):
        service.handle(other_org.id, event_id(), "payment_intent.succeeded", obj)
    assert counts(world) == (0, 0, 0)


def test_metadata_naming_another_organisation_than_the_given_one_is_refused(
    world: World, service: WebhookService
) -> None:
    invoice = sent_invoice(world)
    obj = intent(world, invoice)
    obj["metadata"]["organisation_id"] = str(uuid4())
    _refused(world, service, obj, ValidationError)


@pytest.mark.parametrize(
    "change",
    [
        {"metadata": {}},
        {"currency": "usd"},
        {"amount": 0, "amount_received": 0},
        {"amount": -500, "amount_received": -500},
        {"amount": "320.00", "amount_received": None},
        {"amount": 320.0, "amount_received": None},
        {"id": None},
    ],
    ids=["no-metadata", "usd", "zero", "negative", "string", "float", "no-id"],
)
def test_events_rocket_cannot_take_are_refused(
    world: World, service: WebhookService, change: dict[str, Any]
) -> None:
    invoice = sent_invoice(world)
    obj = intent(world, invoice) | change
    _refused(world, service, obj, ValidationError)


def test_a_family_that_is_not_the_invoices_family_is_refused(
    world: World, service: WebhookService
) -> None:
    invoice = sent_invoice(world)
    obj = intent(world, invoice)
    obj["metadata"]["family_id"] = str(world.other_family.id)
    _refused(world, service, obj, ValidationError)


def test_a_malformed_invoice_id_is_refused(world: World, service: WebhookService) -> None:
    invoice = sent_invoice(world)
    obj = intent(world, invoice)
    obj["metadata"]["invoice_id"] = "INV-2026-000001"
    _refused(world, service, obj, ValidationError)


def test_an_event_without_an_id_is_refused(world: World, service: WebhookService) -> None:
    with pytest.raises(ValidationError, match="provider_event_id"):
        service.handle(world.org_id, "", "payment_intent.succeeded", intent(world, None))


def test_event_types_rocket_does_not_act_on_are_ignored_and_not_recorded(
    world: World, service: WebhookService
) -> None:
    result = service.handle(world.org_id, event_id(), "customer.created", {"id": "cus_1"})
    assert result.status is WebhookStatus.IGNORED
    assert counts(world) == (0, 0, 0)
    assert not is_handled("customer.created")
    assert is_handled("payment_intent.succeeded")
    assert "charge.refunded" in HANDLED_EVENT_TYPES


# -- payment_intent.payment_failed ---------------------------------------------------------


def test_a_failed_payment_is_audited_on_the_invoice_and_announced(
    world: World, service: WebhookService
) -> None:
    invoice = sent_invoice(world)
    obj = intent(
        world,
        invoice,
        status="requires_payment_method",
        last_payment_error={"code": "card_declined", "message": "Your card was declined."},
    )
    evt = event_id()

    result = service.handle(world.org_id, evt, "payment_intent.payment_failed", obj)

    assert result.status is WebhookStatus.PROCESSED
    assert counts(world) == (0, 1, 0)
    with world.uow() as uow:
        unpaid = uow.invoices.get(invoice.id)
        assert unpaid.status is m.InvoiceStatus.SENT
        audit = uow.audit.list_for_entity(invoice.id)
    assert [a.action for a in audit] == ["payment.card_failed"]
    assert "Your card was declined." in audit[0].summary
    assert "Card payment of 320.00 from Nguyen" in audit[0].summary
    assert audit[0].changes["code"] == "card_declined"
    failed = [e for e in world.published if isinstance(e, CardPaymentFailed)]
    assert failed == [
        CardPaymentFailed(
            organisation_id=world.org_id,
            invoice_id=invoice.id,
            family_id=world.family.id,
            payment_intent_id=obj["id"],
            reason="Your card was declined.",
        )
    ]
    # delivered again: no second audit entry or event
    again = service.handle(world.org_id, evt, "payment_intent.payment_failed", obj)
    assert again.status is WebhookStatus.ALREADY_PROCESSED
    assert len([e for e in world.published if isinstance(e, CardPaymentFailed)]) == 1


def test_a_failed_payment_for_an_unknown_invoice_is_refused(
    world: World, service: WebhookService
) -> None:
    obj = intent(world, sent_invoice(world), status="requires_payment_method")
    obj["metadata"]["invoice_id"] = str(uuid4())
    with pytest.raises(NotFound):
        service.handle(world.org_id, event_id(), "payment_intent.payment_failed", obj)
    assert counts(world) == (0, 0, 0)


# -- refunds -------------------------------------------------------------------------------


def test_a_succeeded_refund_event_records_one_refund(world: World, service: WebhookService) -> None:
    invoice = sent_invoice(world)
    intent_id = pay(world, service, invoice)
    refund = refund_object(intent_id, 5000)
    evt = event_id()

    result = service.handle(world.org_id, evt, "refund.created", refund)
    updated = service.handle(world.org_id, event_id(), "refund.updated", refund)
    again = service.handle(world.org_id, evt, "refund.created", refund)

    assert result.status is WebhookStatus.PROCESSED
    assert len(result.refunds) == 1
    assert result.refunds[0].stripe_refund_id == refund["id"]
    assert result.refunds[0].amount == Decimal("50.00")
    assert updated.status is WebhookStatus.PROCESSED
    assert updated.refunds == ()  # recorded already
    assert again.status is WebhookStatus.ALREADY_PROCESSED
    assert counts(world) == (1, 3, 1)


def test_a_pending_or_failed_refund_records_no_refund(
    world: World, service: WebhookService
) -> None:
    invoice = sent_invoice(world)
    intent_id = pay(world, service, invoice)

    pending = service.handle(
        world.org_id, event_id(), "refund.created", refund_object(intent_id, 5000, "pending")
    )
    failed = service.handle(
        world.org_id, event_id(), "refund.updated", refund_object(intent_id, 5000, "failed")
    )

    assert pending.refunds == failed.refunds == ()
    assert counts(world) == (1, 3, 0)
    with world.uow() as uow:
        payment = uow.payments.find_by_payment_intent(intent_id)
        assert payment is not None
        actions = [a.action for a in uow.audit.list_for_entity(payment.id)]
    assert actions.count("refund.provider_failed") == 1


@pytest.mark.parametrize(
    ("event_type", "status"),
    [("refund.updated", "failed"), ("charge.refund.updated", "canceled")],
)
def test_a_pending_refund_that_fails_at_stripe_no_longer_counts(
    world: World, service: WebhookService, event_type: str, status: str
) -> None:
    from rocket_core.services.ledger import load_books, recount

    invoice = sent_invoice(world)
    intent_id = pay(world, service, invoice)
    with world.uow() as uow:
        payment = uow.payments.find_by_payment_intent(intent_id)
        assert payment is not None
        refund = m.Refund(
            organisation_id=world.org_id,
            payment_id=payment.id,
            family_id=payment.family_id,
            amount=Decimal("100.00"),
            reason="withdrew",
            status=m.RefundStatus.PENDING,
            stripe_refund_id="re_pending1",
            refunded_at=world.clock.now(),
        )
        uow.refunds.add(refund)
        uow.invoices.get(invoice.id).unapply_payment(Decimal("100.00"))
        uow.families.get(world.family.id).account_balance += Decimal("100.00")
        uow.commit()
    obj = refund_object(intent_id, 10000, status) | {"id": "re_pending1"}
    evt = event_id()

    result = service.handle(world.org_id, evt, event_type, obj)
    again = service.handle(world.org_id, evt, event_type, obj)
    other = service.handle(world.org_id, event_id(), "refund.updated", obj)

    assert result.status is WebhookStatus.PROCESSED
    assert [(r.id, r.status) for r in result.refunds] == [(refund.id, m.RefundStatus.FAILED)]
    assert again.status is WebhookStatus.ALREADY_PROCESSED
    assert other.refunds == ()
    with world.uow() as uow:
        stored = uow.invoices.get(invoice.id)
        assert (stored.status, stored.amount_outstanding) == (m.InvoiceStatus.PAID, 0)
        assert uow.families.get(world.family.id).account_balance == 0
        assert uow.refunds.get(refund.id).status is m.RefundStatus.FAILED
        assert [a.action for a in uow.audit.list_for_entity(refund.id)] == ["refund.failed"]
        count = recount(load_books(uow, world.family.id))
    assert count.ok, count.problems
    assert counts(world) == (1, 3, 1)


def test_a_failed_event_for_a_succeeded_refund_is_refused(
    world: World, service: WebhookService
) -> None:
    invoice = sent_invoice(world)
    intent_id = pay(world, service, invoice)
    obj = refund_object(intent_id, 5000)
    service.handle(world.org_id, event_id(), "refund.created", obj)

    with pytest.raises(Conflict):
        service.handle(world.org_id, event_id(), "refund.updated", obj | {"status": "failed"})
    assert counts(world) == (1, 2, 1)


def test_a_refund_of_an_unknown_payment_is_not_found(world: World, service: WebhookService) -> None:
    with pytest.raises(NotFound):
        service.handle(world.org_id, event_id(), "refund.created", refund_object("pi_nope", 100))
    assert counts(world) == (0, 0, 0)


def test_charge_refunded_records_each_listed_refund_once(
    world: World, service: WebhookService
) -> None:
    invoice = sent_invoice(world)
    intent_id = pay(world, service, invoice)
    first, second = refund_object(intent_id, 1000), refund_object(intent_id, 2000)
    charge: dict[str, Any] = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": intent_id,
        "amount_refunded": 3000,
        "refunds": {"object": "list", "data": [first, second]},
    }

    result = service.handle(world.org_id, event_id(), "charge.refunded", charge)
    separately = service.handle(world.org_id, event_id(), "refund.created", first)

    assert sorted(r.amount for r in result.refunds) == [Decimal("10.00"), Decimal("20.00")]
    assert separately.refunds == ()  # recorded already from the charge
    assert counts(world) == (1, 3, 2)


def test_charge_refunded_without_its_refunds_relies_on_the_refund_events(
    world: World, service: WebhookService
) -> None:
    invoice = sent_invoice(world)
    intent_id = pay(world, service, invoice)
    charge = {"id": "ch_1", "object": "charge", "payment_intent": intent_id}

    result = service.handle(world.org_id, event_id(), "charge.refunded", charge)

    assert (result.status, result.refunds) == (WebhookStatus.PROCESSED, ())
    assert counts(world) == (1, 2, 0)


# -- concurrency and retries ---------------------------------------------------------------


def test_a_concurrent_delivery_that_commits_first_makes_this_one_a_duplicate(
    world: World,
) -> None:
    """The other delivery commits between this one's lookup and its commit: the unique
    (provider, event id) rule refuses this commit and the service answers 'already'."""
    invoice = sent_invoice(world)
    obj = intent(world, invoice)
    evt = event_id()
    competitor = make_service(world)
    raced: list[bool] = []

    def record_after_the_competitor(uow: UnitOfWork, actor: Actor | None, **kw: Any) -> m.Payment:
        if not raced:
            raced.append(True)
            competitor.handle(world.org_id, evt, "payment_intent.succeeded", obj)
        payment: m.Payment = RECORD_PAYMENT(uow, actor, **kw)
        return payment

    service = make_service(world, record_payment=record_after_the_competitor)

    result = service.handle(world.org_id, evt, "payment_intent.succeeded", obj)

    assert result.status is WebhookStatus.ALREADY_PROCESSED
    assert counts(world) == (1, 1, 0)
    with world.uow() as uow:
        assert uow.invoices.get(invoice.id).amount_paid == Decimal("320.00")


def test_eight_threads_delivering_one_event_record_one_payment(world: World) -> None:
    invoice = sent_invoice(world)
    obj = intent(world, invoice)
    evt = event_id()
    service = make_service(world)
    barrier = threading.Barrier(8)
    results: list[WebhookStatus] = []
    failures: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(
                service.handle(world.org_id, evt, "payment_intent.succeeded", obj).status
            )
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert sorted(results).count(WebhookStatus.PROCESSED) == 1
    assert results.count(WebhookStatus.ALREADY_PROCESSED) == 7
    assert counts(world) == (1, 1, 0)


def test_a_conflict_that_is_not_a_duplicate_is_tried_again(world: World) -> None:
    invoice = sent_invoice(world)
    calls: list[int] = []

    def busy_once(uow: UnitOfWork, actor: Actor | None, **kw: Any) -> m.Payment:
        calls.append(1)
        if len(calls) == 1:
            raise Conflict("the record was changed by someone else: reload and retry")
        payment: m.Payment = RECORD_PAYMENT(uow, actor, **kw)
        return payment

    pauses: list[timedelta] = []
    service = make_service(world, record_payment=busy_once, pause=pauses.append)

    result = service.handle(
        world.org_id, event_id(), "payment_intent.succeeded", intent(world, invoice)
    )

    assert result.status is WebhookStatus.PROCESSED
    assert len(calls) == 2
    assert len(pauses) == 1
    assert timedelta(milliseconds=10) <= pauses[0] <= timedelta(milliseconds=30)
    assert counts(world) == (1, 1, 0)


def test_a_conflict_that_persists_is_raised_and_nothing_is_recorded(world: World) -> None:
    invoice = sent_invoice(world)

    def always_busy(uow: UnitOfWork, actor: Actor | None, **kw: Any) -> m.Payment:
        raise Conflict("busy")

    pauses: list[timedelta] = []
    service = make_service(world, record_payment=always_busy, attempts=3, pause=pauses.append)

    with pytest.raises(Conflict, match="busy"):
        service.handle(world.org_id, event_id(), "payment_intent.succeeded", intent(world, invoice))
    assert counts(world) == (0, 0, 0)
    assert len(pauses) == 2
    assert pauses[1] >= timedelta(milliseconds=20)  # growing: 40 ms x 0.5..1.5


def test_handle_event_takes_a_provider_event(world: World, service: WebhookService) -> None:
    invoice = sent_invoice(world)
    event = ProviderEvent(
        id=event_id(),
        type="payment_intent.succeeded",
        object=intent(world, invoice),
        created=world.clock.now(),
    )
    assert service.handle_event(world.org_id, event).status is WebhookStatus.PROCESSED
    assert event.provider == "stripe"


# -- helpers -------------------------------------------------------------------------------


def test_organisation_of_reads_the_metadata(world: World) -> None:
    assert organisation_of(intent(world, None)) == world.org_id
    with pytest.raises(ValidationError, match=r"payment_intent\.metadata\.organisation_id"):
        organisation_of({"object": "payment_intent", "metadata": {}})
    with pytest.raises(ValidationError, match="must be a UUID"):
        organisation_of({"object": "refund", "metadata": {"organisation_id": "school-1"}})
    with pytest.raises(ValidationError):
        organisation_of({})


@pytest.mark.parametrize(
    ("cents", "amount"),
    [(1, "0.01"), (100, "1.00"), (12345, "123.45"), (99_999_999, "999999.99")],
)
def test_money_from_cents_is_exact(cents: int, amount: str) -> None:
    value = money_from_cents(cents, "amount")
    assert value == Decimal(amount)
    assert str(value) == amount


@pytest.mark.parametrize("bad", [0, -1, 1.5, "100", None, True])
def test_money_from_cents_refuses_what_is_not_positive_whole_cents(bad: object) -> None:
    with pytest.raises(ValidationError):
        money_from_cents(bad, "amount")
