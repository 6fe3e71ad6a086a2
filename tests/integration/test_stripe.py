"""The Stripe adapter against localstripe, a stateful fake Stripe server (PyPI), started by the
module's fixture on 127.0.0.1 and a free port with its store in a temporary folder.

What runs here: customers with Rocket's metadata, PaymentIntents with the invoice and
organisation ids, a saved card charged off-session, a declined card, refunds, and webhooks
delivered by localstripe to a receiver on 127.0.0.1, verified and processed into one payment
(SQLite through the SQL adapter) however often they arrive.

Where localstripe is not Stripe, the test shows that our side holds on its own: it ignores
idempotency keys (our payments are unique by PaymentIntent and events by id) and it lets
refunds exceed the charge (the gateway refuses before asking). What localstripe cannot show:
refund and charge webhooks (it sends none: the refund events are fed to the service by hand,
signed like Stripe's), Stripe's own over-refund and idempotency refusals, off-session
authentication_required declines (it answers requires_action instead), and real network
failures.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
import stripe
from tests.integration.localstripe_server import (
    API_KEY,
    LocalStripe,
    WebhookReceiver,
    running_localstripe,
)

from rocket_adapters.clock import FixedClock
from rocket_adapters.sql import Database
from rocket_adapters.stripe import (
    StripeGateway,
    WebhookRejected,
    gateway_error,
    receive_webhook,
    to_cents,
    verify_webhook,
)
from rocket_core import model as m
from rocket_core.errors import Conflict, NotFound, PaymentGatewayError, ValidationError
from rocket_core.events import CardPaymentFailed, DomainEvent, EventBus
from rocket_core.services.base import actor_for
from rocket_core.services.payments import PaymentService
from rocket_core.services.webhooks import WebhookService, WebhookStatus

SECRET = "whsec_rocket_test_secret"


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    folder = tmp_path_factory.mktemp("localstripe")
    default_store = Path("/tmp/localstripe.pickle")

    def stamp() -> float | None:
        return default_store.stat().st_mtime if default_store.exists() else None

    before = stamp()
    with running_localstripe(folder) as server:
        yield server
        assert server.store_file.exists()  # it pickled into our folder...
    assert stamp() == before  # ...and never into /tmp


@pytest.fixture
def client(localstripe: LocalStripe) -> stripe.StripeClient:
    """The stripe library pointed at localstripe (for arranging and checking)."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": localstripe.base_url})


@pytest.fixture
def gateway(localstripe: LocalStripe) -> StripeGateway:
    return StripeGateway(API_KEY, api_base=localstripe.base_url)


class School:
    """An organisation with a family and a sent invoice, in a SQLite database."""

    def __init__(self, database: Database, total: str = "123.45") -> None:
        self.database = database
        self.organisation = m.Organisation(name=f"Stripe Academy {uuid4().hex[:8]}")
        self.family = m.Family(
            organisation_id=self.organisation.id,
            family_name="Nguyen",
            primary_contact_name="Mai Nguyen",
            primary_contact_email=f"mai-{uuid4().hex[:8]}@family.example",
        )
        self.published: list[DomainEvent] = []
        self.bus = EventBus()
        self.bus.subscribe(DomainEvent, self.published.append)
        self.clock = FixedClock(datetime(2026, 1, 19, 9, 0, tzinfo=UTC))
        self.admin = m.Staff(
            organisation_id=self.organisation.id,
            email=f"ada-{uuid4().hex[:8]}@rocket.example",
            password_hash="!no-password-set",
            first_name="Ada",
            last_name="Admin",
            role=m.StaffRole.SUPER_ADMIN,
        )
        with database.unit_of_work(self.organisation.id) as uow:
            uow.organisations.add(self.organisation)
            uow.families.add(self.family)
            uow.staff.add(self.admin)
            uow.commit()
        self.invoice = self.new_invoice(total)
        self.service = WebhookService(database.unit_of_work, self.clock, self.bus)

    @property
    def org_id(self) -> UUID:
        return self.organisation.id

    def new_invoice(self, total: str) -> m.Invoice:
        with self.database.unit_of_work(self.org_id) as uow:
            invoice = m.Invoice(
                organisation_id=self.org_id,
                invoice_number=uow.invoices.next_number(2026),
                family_id=self.family.id,
                issue_date=date(2026, 1, 19),
                due_date=date(2026, 2, 2),
                total_amount=Decimal(total),
                amount_outstanding=Decimal(total),
                line_items=(m.LineItem(description="Scratch Basics", unit_price=Decimal(total)),),
            )
            invoice.send()
            uow.invoices.add(invoice)
            uow.families.get(self.family.id).account_balance += Decimal(total)
            uow.commit()
        return invoice

    def payments(self) -> list[m.Payment]:
        with self.database.unit_of_work(self.org_id) as uow:
            return uow.payments.list_for_family(self.family.id)

    def invoice_now(self, invoice: m.Invoice | None = None) -> m.Invoice:
        with self.database.unit_of_work(self.org_id) as uow:
            return uow.invoices.get((invoice or self.invoice).id)

    def processed(self, event_id: str) -> bool:
        with self.database.unit_of_work(self.org_id) as uow:
            return uow.webhook_events.find_by_provider_event("stripe", event_id) is not None


@pytest.fixture
def school(sqlite_database: Database) -> School:
    return School(sqlite_database)


def saved_card(client: stripe.StripeClient, customer_id: str, card: str = "pm_card_visa") -> str:
    """A card saved on the customer (what a SetupIntent in the browser would leave)."""
    return str(client.v1.payment_methods.attach(card, params={"customer": customer_id}).id)


def endpoint(school: School, gateway: StripeGateway, secret: str = SECRET) -> Any:
    """The application's webhook endpoint, as an entrypoint would write it."""

    def handle(body: bytes, signature: str) -> int:
        try:
            receive_webhook(school.service, body, signature, secret, gateway=gateway)
        except WebhookRejected:
            return 400
        except (ValidationError, NotFound):
            return 400
        except Conflict:
            return 409
        return 200

    return handle


def post(url: str, body: bytes, signature: str) -> int:
    """Deliver a webhook by hand (a retry, a forgery) to the receiver."""
    from urllib.error import HTTPError
    from urllib.request import Request, urlopen

    request = Request(url, data=body, headers={"Stripe-Signature": signature}, method="POST")
    try:
        with urlopen(request, timeout=10) as response:
            return int(response.status)
    except HTTPError as error:
        return int(error.code)


def signed(
    payload: dict[str, Any], secret: str = SECRET, at: int | None = None
) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, at)
    return body, header


def event(event_type: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{uuid4().hex[:14]}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": obj},
    }


# -- amounts and errors (no server) -------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "cents"),
    [("0.01", 1), ("1", 100), ("123.45", 12345), ("320.10", 32010), ("999999.99", 99_999_999)],
)
def test_amounts_convert_to_cents_exactly(amount: str, cents: int) -> None:
    assert to_cents(Decimal(amount)) == cents


@pytest.mark.parametrize("bad", ["0", "-1.00", "0.001", "10.005", "1000000.00", "NaN", "Infinity"])
def test_amounts_that_are_not_whole_positive_cents_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        to_cents(Decimal(bad))


@pytest.mark.parametrize("bad", [1.5, 100, "1.00"])
def test_amounts_must_be_decimal(bad: Any) -> None:
    with pytest.raises(ValidationError, match="Decimal"):
        to_cents(bad)


def test_stripe_errors_become_clear_gateway_errors() -> None:
    declined = stripe.CardError("Your card was declined.", "payment_method", "card_declined")
    assert str(gateway_error(declined, "take the card payment")).startswith(
        "card declined: Your card was declined."
    )
    auth = stripe.CardError("Authentication required.", None, "authentication_required")
    assert "authenticate" in str(gateway_error(auth, "take the card payment"))
    key = gateway_error(stripe.AuthenticationError("Invalid API Key"), "refund")
    assert "API key" in str(key)
    network = gateway_error(stripe.APIConnectionError("timed out"), "refund the card payment")
    assert str(network) == "could not reach Stripe to refund the card payment: timed out"
    refused = gateway_error(stripe.InvalidRequestError("No such payment_intent", "id"), "refund")
    assert str(refused) == "Stripe refused to refund: No such payment_intent"
    assert "rate limit" in str(gateway_error(stripe.RateLimitError("slow down"), "refund"))
    assert "failed" in str(gateway_error(stripe.APIError("boom"), "refund"))


def test_a_gateway_needs_a_key() -> None:
    with pytest.raises(PaymentGatewayError, match="ROCKET_STRIPE_SECRET_KEY"):
        StripeGateway("")


# -- webhook signatures (no server) --------------------------------------------------------


def test_a_correctly_signed_event_is_verified() -> None:
    obj = {"id": "pi_1", "object": "payment_intent", "metadata": {}}
    body, header = signed(event("payment_intent.succeeded", obj, "evt_ok"))
    verified = verify_webhook(body, header, SECRET)
    assert (verified.id, verified.type, verified.provider) == (
        "evt_ok",
        "payment_intent.succeeded",
        "stripe",
    )
    assert verified.object == obj


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda b, h: (b.replace(b"pi_1", b"pi_2"), h), id="tampered-payload"),
        pytest.param(lambda b, h: (b, h.replace("v1=", "v1=0")), id="tampered-signature"),
        pytest.param(lambda b, h: (b, ""), id="no-header"),
        pytest.param(lambda b, h: (b, "t=abc"), id="garbled-header"),
        pytest.param(
            lambda b, h: signed(json.loads(b), secret="whsec_someone_else"), id="wrong-secret"
        ),
        pytest.param(
            lambda b, h: signed(json.loads(b), at=int(time.time()) - 301), id="stale-timestamp"
        ),
        pytest.param(lambda b, h: (b"\xff\xfe", h), id="not-utf8"),
    ],
)
def test_bad_or_stale_signatures_are_rejected(forge: Any, caplog: pytest.LogCaptureFixture) -> None:
    body, header = signed(event("payment_intent.succeeded", {"id": "pi_1", "metadata": {}}))
    bad_body, bad_header = forge(body, header)
    with pytest.raises(WebhookRejected):
        verify_webhook(bad_body, bad_header, SECRET)
    assert any("webhook refused" in r.getMessage() for r in caplog.records)


def test_a_signed_body_that_is_not_an_event_is_rejected() -> None:
    for body in (
        b"not json",
        b'{"id": "evt_1"}',
        b'{"id": 1, "type": "x", "data": {"object": []}}',
    ):
        header = stripe.WebhookSignature.generate_signature_header(body.decode(), SECRET)
        with pytest.raises(WebhookRejected, match="not a Stripe event"):
            verify_webhook(body, header, SECRET)


def test_the_tolerance_is_configurable_and_never_off() -> None:
    body, header = signed(event("x", {}), at=int(time.time()) - 120)
    verify_webhook(body, header, SECRET, tolerance=300)
    with pytest.raises(WebhookRejected, match="stale"):
        verify_webhook(body, header, SECRET, tolerance=60)
    with pytest.raises(ValueError, match="replay"):
        verify_webhook(body, header, SECRET, tolerance=0)
    with pytest.raises(WebhookRejected, match="ROCKET_STRIPE_WEBHOOK_SECRET"):
        verify_webhook(body, header, "")


# -- customers and payments against localstripe -------------------------------------------


def test_a_family_becomes_a_customer_with_rockets_ids(
    gateway: StripeGateway, client: stripe.StripeClient, school: School
) -> None:
    customer_id = gateway.create_customer(school.family)

    customer = client.v1.customers.retrieve(customer_id)
    assert customer_id.startswith("cus_")
    assert customer.email == school.family.primary_contact_email
    assert customer.metadata.to_dict() == {
        "organisation_id": str(school.org_id),
        "family_id": str(school.family.id),
    }


def test_a_payment_intent_carries_the_invoice_and_organisation(
    gateway: StripeGateway, client: stripe.StripeClient, school: School
) -> None:
    customer_id = gateway.create_customer(school.family)

    result = gateway.create_payment_intent(
        amount=Decimal("123.45"), invoice_id=school.invoice.id, customer_id=customer_id
    )

    assert result.status == "requires_payment_method"
    assert result.amount == Decimal("123.45")
    assert result.client_secret is not None
    intent = client.v1.payment_intents.retrieve(result.id)
    assert (intent.amount, intent.currency, intent.customer) == (12345, "aud", customer_id)
    assert intent.metadata.to_dict() == {
        "invoice_id": str(school.invoice.id),
        "organisation_id": str(school.org_id),  # from the customer Rocket created
        "family_id": str(school.family.id),
    }


def test_the_organisation_may_be_given_and_is_required(
    gateway: StripeGateway, client: stripe.StripeClient, localstripe: LocalStripe
) -> None:
    org, invoice = uuid4(), uuid4()
    given = gateway.create_payment_intent(
        amount=Decimal("5.00"), invoice_id=invoice, customer_id=None, organisation_id=org
    )
    assert client.v1.payment_intents.retrieve(given.id).metadata.to_dict() == {
        "invoice_id": str(invoice),
        "organisation_id": str(org),
    }
    single_school = StripeGateway(API_KEY, api_base=localstripe.base_url, organisation_id=org)
    default = single_school.create_payment_intent(
        amount=Decimal("5.00"), invoice_id=invoice, customer_id=None
    )
    assert client.v1.payment_intents.retrieve(default.id).metadata["organisation_id"] == str(org)
    with pytest.raises(PaymentGatewayError, match="no organisation"):
        gateway.create_payment_intent(amount=Decimal("5.00"), invoice_id=invoice, customer_id=None)
    with pytest.raises(ValidationError, match="saved payment method"):
        gateway.create_payment_intent(
            amount=Decimal("5.00"), invoice_id=invoice, customer_id=None, off_session=True
        )
    with pytest.raises(ValidationError, match="whole cents"):
        gateway.create_payment_intent(
            amount=Decimal("5.001"), invoice_id=invoice, customer_id=None, organisation_id=org
        )


def test_a_saved_card_is_charged_off_session(
    gateway: StripeGateway, client: stripe.StripeClient, school: School
) -> None:
    customer_id = gateway.create_customer(school.family)
    card = saved_card(client, customer_id)

    result = gateway.create_payment_intent(
        amount=Decimal("123.45"),
        invoice_id=school.invoice.id,
        customer_id=customer_id,
        payment_method_id=card,
        off_session=True,
    )

    assert (result.status, result.amount) == ("succeeded", Decimal("123.45"))
    intent = client.v1.payment_intents.retrieve(result.id)
    assert (intent.payment_method, intent.status) == (card, "succeeded")


def test_a_declined_card_is_a_gateway_error_saying_so(
    gateway: StripeGateway, client: stripe.StripeClient, school: School
) -> None:
    customer_id = gateway.create_customer(school.family)
    card = saved_card(client, customer_id, "pm_card_chargeCustomerFail")

    with pytest.raises(PaymentGatewayError, match=r"^card declined: .*declined.*card_declined"):
        gateway.create_payment_intent(
            amount=Decimal("50.00"),
            invoice_id=school.invoice.id,
            customer_id=customer_id,
            payment_method_id=card,
            off_session=True,
        )


def test_a_card_that_needs_authentication_is_not_paid(
    gateway: StripeGateway, client: stripe.StripeClient, school: School
) -> None:
    """localstripe answers requires_action (real Stripe declines an off-session charge with
    authentication_required, which gateway_error explains)."""
    customer_id = gateway.create_customer(school.family)
    method = client.v1.payment_methods.create(
        params={  # type: ignore[typeddict-unknown-key]
            "type": "card",
            "card": {"number": "4000002500003155", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    card = saved_card(client, customer_id, str(method.id))

    result = gateway.create_payment_intent(
        amount=Decimal("50.00"),
        invoice_id=school.invoice.id,
        customer_id=customer_id,
        payment_method_id=card,
    )

    assert result.status == "requires_action"


def test_an_unknown_customer_is_a_gateway_error(gateway: StripeGateway) -> None:
    with pytest.raises(PaymentGatewayError, match="Stripe refused"):
        gateway.create_payment_intent(
            amount=Decimal("5.00"),
            invoice_id=uuid4(),
            customer_id="cus_doesnotexist",
            organisation_id=uuid4(),
            family_id=uuid4(),
        )


# -- refunds -------------------------------------------------------------------------------


def _paid_intent(gateway: StripeGateway, client: stripe.StripeClient, school: School) -> str:
    customer_id = gateway.create_customer(school.family)
    return gateway.create_payment_intent(
        amount=Decimal("123.45"),
        invoice_id=school.invoice.id,
        customer_id=customer_id,
        payment_method_id=saved_card(client, customer_id),
        off_session=True,
    ).id


def test_a_card_payment_is_refunded_in_part_with_rockets_metadata(
    gateway: StripeGateway, client: stripe.StripeClient, school: School
) -> None:
    intent_id = _paid_intent(gateway, client, school)

    first = gateway.refund(payment_intent_id=intent_id, amount=Decimal("23.45"))
    second = gateway.refund(payment_intent_id=intent_id, amount=Decimal("100.00"))

    assert (first.status, first.amount) == ("succeeded", Decimal("23.45"))
    assert second.amount == Decimal("100.00")
    refund = client.v1.refunds.retrieve(first.id)
    assert refund.amount == 2345
    assert refund.metadata["organisation_id"] == str(school.org_id)
    assert refund.metadata["invoice_id"] == str(school.invoice.id)
    assert gateway.organisation_of(refund.to_dict()) == school.org_id


def test_refunding_more_than_was_paid_is_refused_although_localstripe_would_allow_it(
    gateway: StripeGateway, client: stripe.StripeClient, school: School
) -> None:
    intent_id = _paid_intent(gateway, client, school)
    gateway.refund(payment_intent_id=intent_id, amount=Decimal("100.00"))

    with pytest.raises(PaymentGatewayError, match=r"exceed .*123\.45 received, 100\.00 refunded"):
        gateway.refund(payment_intent_id=intent_id, amount=Decimal("23.46"))
    with pytest.raises(PaymentGatewayError, match="exceed"):
        gateway.refund(
            payment_intent_id=_paid_intent(gateway, client, school), amount=Decimal("200")
        )

    refunds = client.v1.refunds.list(params={"payment_intent": intent_id}).data
    assert [r.amount for r in refunds] == [10000]
    # localstripe itself takes an over-refund: our check is what holds
    other = _paid_intent(gateway, client, school)
    over = client.v1.refunds.create(params={"payment_intent": other, "amount": 99_999})
    assert over.status == "succeeded"


def test_a_payment_that_did_not_succeed_cannot_be_refunded(
    gateway: StripeGateway, school: School
) -> None:
    pending = gateway.create_payment_intent(
        amount=Decimal("5.00"), invoice_id=uuid4(), customer_id=None, organisation_id=uuid4()
    )
    with pytest.raises(PaymentGatewayError, match="only a succeeded payment"):
        gateway.refund(payment_intent_id=pending.id, amount=Decimal("5.00"))
    with pytest.raises(PaymentGatewayError, match="Stripe refused"):
        gateway.refund(payment_intent_id="pi_doesnotexist", amount=Decimal("5.00"))


# -- idempotency ---------------------------------------------------------------------------


def test_localstripe_ignores_idempotency_keys_so_our_side_must_not_rely_on_them(
    gateway: StripeGateway, client: stripe.StripeClient, school: School
) -> None:
    customer_id = gateway.create_customer(school.family)
    card = saved_card(client, customer_id)
    twice = [
        gateway.create_payment_intent(
            amount=Decimal("123.45"),
            invoice_id=school.invoice.id,
            customer_id=customer_id,
            payment_method_id=card,
            off_session=True,
            idempotency_key=f"rocket-{school.invoice.id}",
        )
        for _ in range(2)
    ]
    assert twice[0].id != twice[1].id  # real Stripe would answer the first again

    # Our side: one PaymentIntent's success, however often and under whatever event ids it
    # arrives, is one payment.
    intent = client.v1.payment_intents.retrieve(twice[0].id).to_dict()
    for event_id in ("evt_a", "evt_a", "evt_b"):
        school.service.handle(school.org_id, event_id, "payment_intent.succeeded", intent)
    assert len(school.payments()) == 1
    assert school.invoice_now().status is m.InvoiceStatus.PAID


# -- webhooks delivered by localstripe -----------------------------------------------------


@pytest.fixture
def receiver(
    localstripe: LocalStripe, school: School, gateway: StripeGateway
) -> Iterator[WebhookReceiver]:
    hook = f"rocket-{uuid4().hex[:8]}"
    with WebhookReceiver(endpoint(school, gateway)) as receiver:
        localstripe.register_webhook(hook, receiver.url, SECRET)
        yield receiver
        localstripe.unregister_webhook(hook)


def test_a_delivered_payment_is_recorded_once_even_when_delivered_twice(
    gateway: StripeGateway,
    client: stripe.StripeClient,
    school: School,
    receiver: WebhookReceiver,
) -> None:
    intent_id = _paid_intent(gateway, client, school)
    delivery = receiver.event_delivered("payment_intent.succeeded", lambda o: o["id"] == intent_id)
    assert delivery.status == 200
    delivered = json.loads(delivery.body)
    assert delivered["data"]["object"]["id"] == intent_id
    assert school.processed(delivered["id"])
    payments = school.payments()
    assert len(payments) == 1
    assert payments[0].stripe_payment_intent_id == intent_id
    assert payments[0].amount == Decimal("123.45")
    assert payments[0].payment_method is m.PaymentMethod.CREDIT_CARD
    assert school.invoice_now().status is m.InvoiceStatus.PAID
    # customer.created and the like are answered 200 and left alone
    customer = receiver.event_delivered(
        "customer.created", lambda o: o["metadata"].get("family_id") == str(school.family.id)
    )
    assert customer.status == 200

    # Stripe delivers again (a retry after a lost 200): the same body and signature.
    assert post(receiver.url, delivery.body, delivery.signature) == 200
    assert len(school.payments()) == 1
    assert school.invoice_now().amount_paid == Decimal("123.45")


def test_tampered_and_stale_deliveries_are_rejected_and_record_nothing(
    gateway: StripeGateway,
    client: stripe.StripeClient,
    school: School,
    receiver: WebhookReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A genuine payment, delivered by localstripe and recorded once
    customer_id = gateway.create_customer(school.family)
    intent = client.v1.payment_intents.create(
        params={
            "amount": 12345,
            "currency": "aud",
            "customer": customer_id,
            "payment_method": saved_card(client, customer_id),
            "confirm": True,
            "off_session": True,
            "metadata": {
                "invoice_id": str(school.invoice.id),
                "organisation_id": str(school.org_id),
            },
        }
    ).to_dict()
    genuine = receiver.event_delivered(
        "payment_intent.succeeded", lambda o: o["id"] == intent["id"]
    )
    assert genuine.status == 200
    before = len(receiver.deliveries)
    forged_event = event("payment_intent.succeeded", intent | {"amount": 1})

    # 1. the genuine body with its amount changed, under the genuine signature
    tampered = genuine.body.replace(b'"amount": 12345', b'"amount": 99')
    assert tampered != genuine.body
    assert post(receiver.url, tampered, genuine.signature) == 400
    # 2. a new event signed with the right secret five minutes and a second ago
    stale_body, stale_header = signed(forged_event, at=int(time.time()) - 301)
    assert post(receiver.url, stale_body, stale_header) == 400
    # 3. signed with another secret
    body, header = signed(forged_event, secret="whsec_attacker")
    assert post(receiver.url, body, header) == 400

    receiver.wait_for(lambda ds: len(ds) >= before + 3)
    assert not school.processed(forged_event["id"])
    # the genuine delivery was recorded once, the forgeries changed nothing
    assert len(school.payments()) == 1
    assert school.payments()[0].amount == Decimal("123.45")
    assert [r for r in caplog.records if "webhook refused" in r.getMessage()]


def test_a_declined_card_arrives_as_payment_failed_and_records_no_payment(
    gateway: StripeGateway,
    client: stripe.StripeClient,
    school: School,
    receiver: WebhookReceiver,
) -> None:
    customer_id = gateway.create_customer(school.family)
    card = saved_card(client, customer_id, "pm_card_chargeCustomerFail")
    with pytest.raises(PaymentGatewayError, match="card declined"):
        gateway.create_payment_intent(
            amount=Decimal("123.45"),
            invoice_id=school.invoice.id,
            customer_id=customer_id,
            payment_method_id=card,
            off_session=True,
        )

    failed = receiver.event_delivered(
        "payment_intent.payment_failed",
        lambda o: o["metadata"].get("invoice_id") == str(school.invoice.id),
    )
    assert failed.status == 200
    assert school.payments() == []
    assert school.invoice_now().status is m.InvoiceStatus.SENT
    assert [type(e) for e in school.published if isinstance(e, CardPaymentFailed)] == [
        CardPaymentFailed
    ]
    with school.database.unit_of_work(school.org_id) as uow:
        actions = [a.action for a in uow.audit.list_for_entity(school.invoice.id)]
    assert "payment.card_failed" in actions


def test_a_payment_for_an_invoice_rocket_does_not_know_is_refused_and_retried_by_stripe(
    gateway: StripeGateway,
    client: stripe.StripeClient,
    school: School,
    receiver: WebhookReceiver,
) -> None:
    customer_id = gateway.create_customer(school.family)
    unknown = uuid4()
    paid = gateway.create_payment_intent(
        amount=Decimal("10.00"),
        invoice_id=unknown,
        customer_id=customer_id,
        payment_method_id=saved_card(client, customer_id),
        off_session=True,
    )

    delivery = receiver.event_delivered("payment_intent.succeeded", lambda o: o["id"] == paid.id)
    assert delivery.status == 400
    assert not school.processed(json.loads(delivery.body)["id"])
    assert school.payments() == []


def test_refund_events_are_recorded_once(
    gateway: StripeGateway,
    client: stripe.StripeClient,
    school: School,
    receiver: WebhookReceiver,
) -> None:
    """localstripe sends no refund webhooks: the refund it made is signed and delivered by
    hand, as Stripe would send refund.created, twice."""
    intent_id = _paid_intent(gateway, client, school)
    receiver.event_delivered("payment_intent.succeeded", lambda o: o["id"] == intent_id)
    refund = gateway.refund(payment_intent_id=intent_id, amount=Decimal("23.45"))
    refund_object = client.v1.refunds.retrieve(refund.id).to_dict()
    body, header = signed(event("refund.created", refund_object))

    assert post(receiver.url, body, header) == 200
    assert post(receiver.url, body, header) == 200

    with school.database.unit_of_work(school.org_id) as uow:
        recorded = uow.refunds.find_by_stripe_refund(refund.id)
        assert recorded is not None
        assert recorded.amount == Decimal("23.45")
        assert len(uow.refunds.list_for_family(school.family.id)) == 1


def test_a_charge_event_without_rocket_metadata_is_routed_through_its_payment_intent(
    gateway: StripeGateway, client: stripe.StripeClient, school: School
) -> None:
    intent_id = _paid_intent(gateway, client, school)
    charge = {"id": "ch_x", "object": "charge", "payment_intent": intent_id, "metadata": {}}

    assert gateway.organisation_of(charge) == school.org_id
    with pytest.raises(ValidationError):
        gateway.organisation_of({"id": "ch_y", "object": "charge", "metadata": {}})


def test_receive_webhook_ignores_types_rocket_does_not_act_on(school: School) -> None:
    body, header = signed(event("customer.created", {"id": "cus_1", "metadata": {}}))
    result = receive_webhook(school.service, body, header, SECRET)
    assert result.status is WebhookStatus.IGNORED


def test_staff_refunds_go_through_stripe_once_and_never_past_what_was_paid(
    gateway: StripeGateway,
    client: stripe.StripeClient,
    school: School,
    receiver: WebhookReceiver,
) -> None:
    """PaymentService.refund with the StripeGateway: the payment's own check refuses an
    over-refund before Stripe is asked (localstripe would take it), a refund made is
    recorded with its Stripe id, and its webhook (signed by hand: localstripe sends none)
    does not record it again."""
    intent_id = _paid_intent(gateway, client, school)
    receiver.event_delivered("payment_intent.succeeded", lambda o: o["id"] == intent_id)
    (payment,) = school.payments()
    payments = PaymentService(school.database.unit_of_work, school.clock, school.bus, gateway)
    admin = actor_for(school.database.unit_of_work, school.org_id, school.admin.id)

    with pytest.raises(Conflict, match=r"more than the 123\.45 left to refund"):
        payments.refund(admin, payment.id, Decimal("200.00"), "overcharged")
    assert client.v1.refunds.list(params={"payment_intent": intent_id}).data == []

    refund = payments.refund(admin, payment.id, Decimal("23.45"), "missed a session")
    assert refund.stripe_refund_id is not None
    assert refund.status is m.RefundStatus.SUCCEEDED
    at_stripe = client.v1.refunds.retrieve(refund.stripe_refund_id)
    assert at_stripe.amount == 2345

    body, header = signed(event("refund.created", at_stripe.to_dict()))
    assert post(receiver.url, body, header) == 200
    with pytest.raises(Conflict, match=r"more than the 100\.00 left"):
        payments.refund(admin, payment.id, Decimal("100.01"), "too much")

    with school.database.unit_of_work(school.org_id) as uow:
        refunds = uow.refunds.list_for_payment(payment.id)
        invoice = uow.invoices.get(school.invoice.id)
    assert [(r.amount, r.stripe_refund_id) for r in refunds] == [
        (Decimal("23.45"), refund.stripe_refund_id)
    ]
    assert (invoice.amount_paid, invoice.status) == (Decimal("100.00"), m.InvoiceStatus.PARTIAL)
    assert [
        r.amount for r in client.v1.refunds.list(params={"payment_intent": intent_id}).data
    ] == [2345]
