"""Examples of the payment routes: recording payments, reading them, refunds, applying credit
and the family ledger.

As in examples_billing.py, the Nguyens are first made a Werribee family. By the matrix:
recording payments and applying credit (RECORD_PAYMENTS): super admin, campus manager,
front desk; refunds (REFUND, $500 limit for a campus manager): super admin and campus
manager (front desk only with a manager's approval, none here); reading payments, refunds
and the ledger (VIEW_INVOICES): super admin, campus manager, front desk (one family).
"""

from __future__ import annotations

from decimal import Decimal

from tests.http.examples_billing import CHARGES, FORGIVES, VIEWS, sent_invoice, werribee_family
from tests.http.routing import Example, example
from tests.unit.services.conftest import World

from rocket_adapters.payments_offline import OfflineGateway
from rocket_core import model as m
from rocket_core.events import EventBus
from rocket_core.services.payments import PaymentService


def payments(world: World) -> PaymentService:
    """The payment use cases over the world's store, on a bus of their own."""
    return PaymentService(world.make_uow, world.clock, EventBus(), OfflineGateway())


def cash(world: World, amount: str = "50.00") -> m.Payment:
    """Cash from the Nguyens at the desk (their credit when they owe nothing)."""
    family = werribee_family(world)
    return payments(world).record_payment(
        world.actor("super_admin"),
        family_id=family.id,
        amount=Decimal(amount),
        method=m.PaymentMethod.CASH,
    )


@example("POST /api/v1/payments")
def record_payment(world: World) -> Example:
    invoice = sent_invoice(world)
    return Example(
        method="POST",
        path="/api/v1/payments",
        body={
            "family_id": str(world.family.id),
            "amount": "44.00",
            "method": "bank_transfer",
            "invoice_id": str(invoice.id),
            "reference_number": "NGUYEN-0119",
        },
        allowed=CHARGES,
        ok=201,
        writes=True,
    )


@example("GET /api/v1/payments/{payment_id:uuid}")
def get_payment(world: World) -> Example:
    payment = cash(world)
    return Example(method="GET", path=f"/api/v1/payments/{payment.id}", allowed=VIEWS)


@example("GET /api/v1/families/{family_id:uuid}/payments")
def list_payments(world: World) -> Example:
    cash(world)
    return Example(method="GET", path=f"/api/v1/families/{world.family.id}/payments", allowed=VIEWS)


@example("POST /api/v1/payments/{payment_id:uuid}/refunds")
def refund_payment(world: World) -> Example:
    payment = cash(world)
    return Example(
        method="POST",
        path=f"/api/v1/payments/{payment.id}/refunds",
        body={"amount": "20.00", "reason": "paid twice"},
        allowed=FORGIVES,
        ok=201,
        writes=True,
    )


@example("GET /api/v1/families/{family_id:uuid}/refunds")
def list_refunds(world: World) -> Example:
    payment = cash(world)
    payments(world).refund(world.actor("super_admin"), payment.id, Decimal("5.00"), "paid twice")
    return Example(method="GET", path=f"/api/v1/families/{world.family.id}/refunds", allowed=VIEWS)


@example("POST /api/v1/families/{family_id:uuid}/apply-credit")
def apply_credit(world: World) -> Example:
    cash(world, "30.00")  # credit first: the invoice sent afterwards is left open
    invoice = sent_invoice(world)
    return Example(
        method="POST",
        path=f"/api/v1/families/{world.family.id}/apply-credit",
        body={"invoice_id": str(invoice.id)},
        allowed=CHARGES,
        writes=True,
    )


@example("GET /api/v1/families/{family_id:uuid}/ledger")
def ledger(world: World) -> Example:
    sent_invoice(world)
    cash(world, "20.00")
    return Example(method="GET", path=f"/api/v1/families/{world.family.id}/ledger", allowed=VIEWS)
