"""The Stripe webhook route end to end: a signed delivery is processed once; a replay of it
answers 200 and records nothing more; a bad or stale signature is 400 and records nothing.
Signatures are made here as Stripe makes them (HMAC-SHA256 of ``<timestamp>.<body>`` with
the endpoint's secret) and checked by the stripe library in the route."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from tests.http.conftest import Api, build_api, problem
from tests.http.examples_billing import sent_invoice
from tests.unit.services.conftest import build_world

from rocket_core import model as m
from rocket_entrypoints.settings import Settings

SECRET = "whsec_route_test"
URL = "/api/v1/webhooks/stripe"


@pytest.fixture
def api() -> Iterator[Api]:
    built = build_api(build_world())
    built.container.settings.override(
        Settings(database_url="memory://", stripe_webhook_secret=SECRET)
    )
    yield built
    built.close()


def delivery(api: Api, invoice: m.Invoice, cents: int) -> bytes:
    """A ``payment_intent.succeeded`` event paying ``invoice`` (Stripe's JSON)."""
    event = {
        "id": f"evt_{uuid4().hex[:14]}",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "livemode": False,
        "data": {
            "object": {
                "id": f"pi_{uuid4().hex[:14]}",
                "object": "payment_intent",
                "amount": cents,
                "amount_received": cents,
                "currency": "aud",
                "status": "succeeded",
                "created": int(time.time()),
                "metadata": {
                    "organisation_id": str(api.world.org_id),
                    "invoice_id": str(invoice.id),
                    "family_id": str(invoice.family_id),
                },
            }
        },
    }
    return json.dumps(event).encode()


def signed(body: bytes, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"}


def post(api: Api, body: bytes, headers: dict[str, str]) -> Any:
    return api.client().post(URL, content=body, headers=headers)


def payments(api: Api) -> int:
    return int(api.world.store.count(m.Payment))


def test_a_signed_payment_is_recorded_once_and_its_replay_changes_nothing(api: Api) -> None:
    invoice = sent_invoice(api.world)
    cents = int(invoice.total_amount * 100)
    body = delivery(api, invoice, cents)
    event_id = json.loads(body)["id"]

    first = post(api, body, signed(body))
    assert first.status_code == 200, first.text
    assert first.json() == {"status": "processed", "event_id": event_id}
    assert payments(api) == 1

    replay = post(api, body, signed(body))  # Stripe delivers the same event again
    assert replay.status_code == 200, replay.text
    assert replay.json() == {"status": "already_processed", "event_id": event_id}
    assert payments(api) == 1
    with api.world.uow() as uow:
        paid = uow.invoices.get(invoice.id)
        assert paid.status is m.InvoiceStatus.PAID
        assert paid.amount_paid == invoice.total_amount
        assert paid.amount_outstanding == Decimal("0.00")


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda body: signed(body, secret="whsec_someone_else"), id="wrong secret"),
        pytest.param(lambda body: signed(body, at=int(time.time()) - 600), id="stale"),
        pytest.param(lambda body: signed(b"{}"), id="another body"),
        pytest.param(lambda body: {"Content-Type": "application/json"}, id="no signature"),
    ],
)
def test_a_delivery_not_signed_by_stripe_is_refused_and_records_nothing(
    api: Api, headers: Any
) -> None:
    invoice = sent_invoice(api.world)
    body = delivery(api, invoice, int(invoice.total_amount * 100))
    answer = post(api, body, headers(body))
    assert answer.status_code == 400, answer.text
    assert "signature" in problem(answer)["detail"].lower()
    assert payments(api) == 0
    assert api.world.store.count(m.WebhookEvent) == 0
