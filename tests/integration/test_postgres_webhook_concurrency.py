"""One webhook delivered by eight threads at the same moment, on a real database.

Stripe retries, and a load balancer may hand two copies of one delivery to two workers: all
eight threads pass the "already processed?" lookup together, then race to commit. The unique
(provider, event id) constraint on webhook_events, the unique PaymentIntent id on payments
and the invoice's version let exactly one commit; the others get Conflict, re-check, and
answer "already processed". Exactly one payment and one WebhookEvent remain, and the invoice
is paid once.

The same PaymentIntent re-sent under eight different event ids (an out-of-order or repeated
event) still makes one payment, with eight processed events.

Postgres runs with ROCKET_TEST_DATABASE_URL (see conftest.py); SQLite always runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
import sqlalchemy as sa

from rocket_adapters.clock import FixedClock
from rocket_adapters.sql import Database
from rocket_adapters.sql import tables as t
from rocket_core import model as m
from rocket_core.events import EventBus
from rocket_core.services.webhooks import WebhookResult, WebhookService, WebhookStatus

THREADS = 8


def seed(database: Database) -> tuple[UUID, UUID, UUID]:
    """An organisation with a family and a sent invoice of $320.00: (org, family, invoice)."""
    tag = uuid4().hex[:10]
    org = m.Organisation(name=f"Webhook Academy {tag}")
    family = m.Family(
        organisation_id=org.id,
        primary_contact_name="Mai Nguyen",
        primary_contact_email=f"mai-{tag}@family.example",
        account_balance=Decimal("320.00"),
    )
    with database.unit_of_work(org.id) as uow:
        uow.organisations.add(org)
        uow.families.add(family)
        invoice = m.Invoice(
            organisation_id=org.id,
            invoice_number=uow.invoices.next_number(2026),
            family_id=family.id,
            issue_date=date(2026, 1, 19),
            due_date=date(2026, 2, 2),
            total_amount=Decimal("320.00"),
            amount_outstanding=Decimal("320.00"),
            line_items=(m.LineItem(description="Scratch Basics", unit_price=Decimal("320.00")),),
        )
        invoice.send()
        uow.invoices.add(invoice)
        uow.commit()
    return org.id, family.id, invoice.id


def succeeded(org_id: UUID, family_id: UUID, invoice_id: UUID) -> dict[str, Any]:
    return {
        "id": f"pi_{uuid4().hex[:14]}",
        "object": "payment_intent",
        "amount": 32000,
        "amount_received": 32000,
        "currency": "aud",
        "status": "succeeded",
        "created": 1_768_800_000,
        "metadata": {
            "organisation_id": str(org_id),
            "family_id": str(family_id),
            "invoice_id": str(invoice_id),
        },
    }


def together(deliver: Callable[[int], WebhookResult]) -> list[WebhookResult]:
    """Run ``deliver(n)`` for n in 0..THREADS-1 in threads released at the same moment."""
    barrier = threading.Barrier(THREADS)
    results: list[WebhookResult] = []
    failures: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=60)
            results.append(deliver(n))
        except BaseException as error:  # reported below with every other thread's
            failures.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    return results


def rows(database: Database, org_id: UUID, intent_id: str) -> tuple[int, int]:
    """(payments for the PaymentIntent, webhook events) of the organisation, counted in SQL."""
    with database.unit_of_work(org_id) as uow:
        payment = uow.payments.find_by_payment_intent(intent_id)
        assert payment is not None
        payments = len(uow.payments.list_for_family(payment.family_id))
    engine = sa.create_engine(database.engine.url)  # the owner's view: no row-level security
    try:
        with engine.connect() as connection:
            events = connection.execute(
                sa.select(sa.func.count())
                .select_from(t.webhook_events)
                .where(t.webhook_events.c.organisation_id == org_id)
            ).scalar_one()
    finally:
        engine.dispose()
    return payments, int(events)


@pytest.mark.parametrize("backend", ["postgres_database", "sqlite_database"])
def test_one_event_delivered_by_eight_threads_at_once_makes_one_payment(
    backend: str, request: pytest.FixtureRequest
) -> None:
    database: Database = request.getfixturevalue(backend)
    org_id, family_id, invoice_id = seed(database)
    service = WebhookService(
        database.unit_of_work, FixedClock(datetime(2026, 1, 20, 9, 0, tzinfo=UTC)), EventBus()
    )
    obj = succeeded(org_id, family_id, invoice_id)
    event_id = f"evt_{uuid4().hex[:14]}"

    results = together(lambda n: service.handle(org_id, event_id, "payment_intent.succeeded", obj))

    statuses = sorted(r.status for r in results)
    assert statuses.count(WebhookStatus.PROCESSED) == 1
    assert statuses.count(WebhookStatus.ALREADY_PROCESSED) == THREADS - 1
    assert rows(database, org_id, obj["id"]) == (1, 1)
    with database.unit_of_work(org_id) as uow:
        invoice = uow.invoices.get(invoice_id)
        assert (invoice.status, invoice.amount_paid) == (m.InvoiceStatus.PAID, Decimal("320.00"))
        assert uow.webhook_events.find_by_provider_event("stripe", event_id) is not None
        assert uow.families.get(family_id).account_balance == Decimal("0.00")


@pytest.mark.parametrize("backend", ["postgres_database", "sqlite_database"])
def test_one_payment_resent_under_eight_event_ids_at_once_makes_one_payment(
    backend: str, request: pytest.FixtureRequest
) -> None:
    database: Database = request.getfixturevalue(backend)
    org_id, family_id, invoice_id = seed(database)
    service = WebhookService(
        database.unit_of_work,
        FixedClock(datetime(2026, 1, 20, 9, 0, tzinfo=UTC)),
        EventBus(),
        attempts=THREADS + 1,  # each loser tries again once the winner has committed
    )
    obj = succeeded(org_id, family_id, invoice_id)
    event_ids = [f"evt_{uuid4().hex[:14]}" for _ in range(THREADS)]

    results = together(
        lambda n: service.handle(org_id, event_ids[n], "payment_intent.succeeded", obj)
    )

    assert all(r.status is WebhookStatus.PROCESSED for r in results)
    assert len({r.payment.id for r in results if r.payment is not None}) == 1
    assert rows(database, org_id, obj["id"]) == (1, THREADS)
    with database.unit_of_work(org_id) as uow:
        invoice = uow.invoices.get(invoice_id)
        assert (invoice.status, invoice.amount_paid) == (m.InvoiceStatus.PAID, Decimal("320.00"))
