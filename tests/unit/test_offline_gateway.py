"""The default PaymentGateway: no provider and no network; card operations refuse clearly."""

from __future__ import annotations

import socket
from collections.abc import Callable
from decimal import Decimal
from uuid import uuid4

import pytest

from rocket_adapters.payments_offline import NOT_CONFIGURED, OfflineGateway
from rocket_core import model as m
from rocket_core.errors import PaymentGatewayError, RocketError
from rocket_core.ports import PaymentGateway

FAMILY = m.Family(
    organisation_id=uuid4(),
    primary_contact_name="Mai Nguyen",
    primary_contact_email="mai@family.example",
)


def test_it_is_a_payment_gateway() -> None:
    assert isinstance(OfflineGateway(), PaymentGateway)


@pytest.mark.parametrize(
    "operation",
    [
        lambda g: g.create_customer(FAMILY),
        lambda g: g.create_payment_intent(
            amount=Decimal("320.00"), invoice_id=uuid4(), customer_id=None
        ),
        lambda g: g.create_payment_intent(
            amount=Decimal("320.00"),
            invoice_id=uuid4(),
            customer_id="cus_1",
            payment_method_id="pm_1",
            off_session=True,
        ),
        lambda g: g.refund(payment_intent_id="pi_1", amount=Decimal("10.00")),
    ],
    ids=["customer", "payment-intent", "off-session-charge", "refund"],
)
def test_card_operations_say_that_stripe_is_not_configured(
    operation: Callable[[OfflineGateway], object], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the offline gateway opened a connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)

    with pytest.raises(PaymentGatewayError, match="card payments need Stripe configured") as error:
        operation(OfflineGateway())

    assert isinstance(error.value, RocketError)
    assert str(error.value) == NOT_CONFIGURED
    assert "ROCKET_STRIPE_SECRET_KEY" in NOT_CONFIGURED
