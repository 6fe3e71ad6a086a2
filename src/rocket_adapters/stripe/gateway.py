"""StripeGateway: the PaymentGateway port over the official ``stripe`` library.

Settings (read by the entrypoints' container, given to the constructor):

- ``ROCKET_STRIPE_SECRET_KEY``: the secret API key (``sk_live_...`` / ``sk_test_...``);
  without it the container keeps the OfflineGateway;
- ``ROCKET_STRIPE_API_BASE``: the API's base address (default Stripe's; the tests point it
  at localstripe on 127.0.0.1);
- ``ROCKET_STRIPE_WEBHOOK_SECRET``: the endpoint's signing secret (``whsec_...``), for
  ``verify_webhook``.

Amounts are Decimal dollars in Rocket and whole cents at Stripe, converted exactly (a sub-cent,
zero or negative amount is refused before any request). Every object Rocket creates carries
``organisation_id`` in its metadata, so a webhook can be routed to its organisation, and the
ids it belongs to (family, invoice). Stripe's errors become PaymentGatewayError with a message
staff can act on ("card declined: ...").

Idempotency: the library retries network failures with an idempotency key of its own
(``max_network_retries``); a caller may pass ``idempotency_key`` for a retried request of its
own. Rocket does not rely on it: the same payment is never recorded twice because payments
are unique by PaymentIntent id and webhook events by event id (localstripe ignores the keys).
Over-refunding is checked here before asking Stripe (Stripe refuses it too; localstripe does
not), and again by the payments service against its own records.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

import stripe

from rocket_core.errors import PaymentGatewayError, ValidationError
from rocket_core.model import Family
from rocket_core.ports import PaymentGateway, PaymentIntentResult, RefundResult
from rocket_core.services.webhooks import CURRENCY, money_from_cents, organisation_of

_log = logging.getLogger(__name__)

#: Stripe's largest amount for AUD: $999,999.99.
MAX_CENTS = 99_999_999
#: Refunds that count against what was paid (a failed or cancelled one gave nothing back).
_LIVE_REFUND_STATUSES = frozenset({"succeeded", "pending", "requires_action"})


def to_cents(amount: Decimal, field: str = "amount") -> int:
    """Decimal dollars as Stripe's whole cents, exactly: Decimal("123.45") -> 12345.
    ValidationError for a non-Decimal, sub-cent, zero, negative or too large amount."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValidationError(field, f"must be a Decimal amount of dollars, not {amount!r}")
    try:
        cents = amount.scaleb(2)
        whole = cents == cents.to_integral_value()
    except InvalidOperation:
        whole = False
    if not whole:
        raise ValidationError(field, f"must be whole cents, not {amount}")
    if not 0 < cents <= MAX_CENTS:
        raise ValidationError(field, f"must be more than 0.00 and at most 999999.99, not {amount}")
    return int(cents)


def _describe(error: stripe.StripeError) -> str:
    message = getattr(error, "user_message", None) or str(error) or type(error).__name__
    return message.strip()


def gateway_error(error: stripe.StripeError, doing: str) -> PaymentGatewayError:
    """Stripe's exception as the domain's PaymentGatewayError, with a clear message."""
    request_id = getattr(error, "request_id", None)
    _log.warning("Stripe refused to %s: %r (request %s)", doing, error, request_id)
    message = _describe(error)
    if isinstance(error, stripe.CardError):
        code = getattr(error, "code", None)
        decline = getattr(error, "decline_code", None)
        detail = ", ".join(str(part) for part in (code, decline) if part)
        if code == "authentication_required":
            return PaymentGatewayError(
                f"the card needs the cardholder to authenticate: {message} ({detail}); "
                "ask the family to pay online"
            )
        return PaymentGatewayError(f"card declined: {message}" + (f" ({detail})" if detail else ""))
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        return PaymentGatewayError(f"Stripe rejected Rocket's API key: {message}")
    if isinstance(error, stripe.APIConnectionError):
        return PaymentGatewayError(f"could not reach Stripe to {doing}: {message}")
    if isinstance(error, stripe.RateLimitError):
        return PaymentGatewayError(f"Stripe is busy (rate limit) and could not {doing}: retry")
    if isinstance(error, stripe.InvalidRequestError):
        return PaymentGatewayError(f"Stripe refused to {doing}: {message}")
    return PaymentGatewayError(f"Stripe failed to {doing}: {message}")


def _plain(obj: Any) -> dict[str, Any]:
    """A Stripe object as plain dicts and lists."""
    data: dict[str, Any] = obj.to_dict()
    return data


class StripeGateway(PaymentGateway):
    """Card payments and refunds through Stripe (see the module docstring).

    ``organisation_id``, when given, is the organisation whose payments this gateway takes
    (a deployment with one school); otherwise a PaymentIntent's organisation comes from the
    call (``organisation_id=``) or from its customer's metadata."""

    def __init__(
        self,
        secret_key: str,
        *,
        api_base: str | None = None,
        organisation_id: UUID | None = None,
        max_network_retries: int = 2,
        client: stripe.StripeClient | None = None,
    ) -> None:
        if not secret_key and client is None:
            raise PaymentGatewayError("StripeGateway needs a secret key (ROCKET_STRIPE_SECRET_KEY)")
        self.organisation_id = organisation_id
        self.client = client or stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            max_network_retries=max_network_retries,
        )

    # -- customers ---------------------------------------------------------------------

    def create_customer(self, family: Family) -> str:
        """Register the family as a Stripe customer (metadata: family and organisation ids);
        returns the ``cus_...`` id."""
        params: dict[str, Any] = {
            "name": family.display_name[:200],
            "email": family.primary_contact_email,
            "metadata": {
                "organisation_id": str(family.organisation_id),
                "family_id": str(family.id),
            },
        }
        if family.primary_contact_phone:
            params["phone"] = family.primary_contact_phone
        try:
            customer = self.client.v1.customers.create(params=params)  # type: ignore[arg-type]
        except stripe.StripeError as error:
            raise gateway_error(error, "create the customer") from None
        return str(customer.id)

    # -- payments ----------------------------------------------------------------------

    def create_payment_intent(
        self,
        *,
        amount: Decimal,
        invoice_id: UUID,
        customer_id: str | None,
        payment_method_id: str | None = None,
        off_session: bool = False,
        organisation_id: UUID | None = None,
        family_id: UUID | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentIntentResult:
        """A PaymentIntent for ``amount`` AUD towards an invoice (metadata: invoice,
        organisation and family ids). With a saved ``payment_method_id`` it is confirmed at
        once (``off_session`` when the family is not present); otherwise it waits for the
        family to pay with its ``client_secret``.

        ``organisation_id`` / ``family_id`` name whose payment this is; without them the
        gateway's organisation or the customer's metadata is used, and a
        PaymentIntent that could not be routed back to its organisation is refused."""
        cents = to_cents(amount, "PaymentIntent.amount")
        if off_session and (payment_method_id is None or customer_id is None):
            raise ValidationError(
                "PaymentIntent.payment_method",
                "an off-session charge needs the customer and a saved payment method",
            )
        organisation_id = organisation_id or self.organisation_id
        if (organisation_id is None or family_id is None) and customer_id is not None:
            metadata = self._customer_metadata(customer_id)
            organisation_id = organisation_id or _uuid_or_none(metadata.get("organisation_id"))
            family_id = family_id or _uuid_or_none(metadata.get("family_id"))
        if organisation_id is None:
            raise PaymentGatewayError(
                f"no organisation for the payment of invoice {invoice_id}: pass organisation_id "
                "or a customer created by Rocket"
            )
        metadata = {"invoice_id": str(invoice_id), "organisation_id": str(organisation_id)}
        if family_id is not None:
            metadata["family_id"] = str(family_id)
        params: dict[str, Any] = {
            "amount": cents,
            "currency": CURRENCY,
            "metadata": metadata,
            "payment_method_types": ["card"],
        }
        if customer_id is not None:
            params["customer"] = customer_id
        if payment_method_id is not None:
            params["payment_method"] = payment_method_id
            params["confirm"] = True
            if off_session:
                params["off_session"] = True
        options: dict[str, Any] = {}
        if idempotency_key:
            options["idempotency_key"] = idempotency_key
        try:
            intent = self.client.v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options=options,  # type: ignore[arg-type]
            )
        except stripe.StripeError as error:
            raise gateway_error(error, "take the card payment") from None
        _log.info("PaymentIntent %s for invoice %s: %s", intent.id, invoice_id, intent.status)
        return PaymentIntentResult(
            id=str(intent.id),
            status=str(intent.status),
            amount=money_from_cents(intent.amount, "PaymentIntent.amount"),
            client_secret=getattr(intent, "client_secret", None),
        )

    def _customer_metadata(self, customer_id: str) -> Mapping[str, Any]:
        try:
            customer = self.client.v1.customers.retrieve(customer_id)
        except stripe.StripeError as error:
            raise gateway_error(error, f"find customer {customer_id}") from None
        metadata = _plain(customer).get("metadata")
        return metadata if isinstance(metadata, Mapping) else {}

    # -- refunds -----------------------------------------------------------------------

    def refund(
        self,
        *,
        payment_intent_id: str,
        amount: Decimal,
        idempotency_key: str | None = None,
    ) -> RefundResult:
        """Give back ``amount`` of a succeeded PaymentIntent. Refused before asking Stripe
        when it would take the refunds past what was received; the refund carries the
        PaymentIntent's metadata (organisation, invoice, family) for its webhooks."""
        cents = to_cents(amount, "Refund.amount")
        intent = self._intent(payment_intent_id)
        if intent.get("status") != "succeeded":
            raise PaymentGatewayError(
                f"PaymentIntent {payment_intent_id} is {intent.get('status')}: "
                "only a succeeded payment can be refunded"
            )
        received = int(intent.get("amount_received") or intent.get("amount") or 0)
        refunded = self._refunded_cents(payment_intent_id)
        if refunded + cents > received:
            raise PaymentGatewayError(
                f"a refund of {amount} would exceed what was paid by {payment_intent_id}: "
                f"{money_from_cents(received, 'amount')} received, "
                f"{Decimal(refunded).scaleb(-2)} refunded already"
            )
        metadata = {
            key: value
            for key, value in (intent.get("metadata") or {}).items()
            if key in ("organisation_id", "invoice_id", "family_id")
        }
        options: dict[str, Any] = {}
        if idempotency_key:
            options["idempotency_key"] = idempotency_key
        try:
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": payment_intent_id,
                    "amount": cents,
                    "metadata": metadata,
                },
                options=options,  # type: ignore[arg-type]
            )
        except stripe.StripeError as error:
            raise gateway_error(error, "refund the card payment") from None
        _log.info("Refund %s of %s: %s", refund.id, payment_intent_id, refund.status)
        return RefundResult(
            id=str(refund.id),
            status=str(refund.status),
            amount=money_from_cents(refund.amount, "Refund.amount"),
        )

    def _intent(self, payment_intent_id: str) -> dict[str, Any]:
        try:
            return _plain(self.client.v1.payment_intents.retrieve(payment_intent_id))
        except stripe.StripeError as error:
            raise gateway_error(error, f"find PaymentIntent {payment_intent_id}") from None

    def _refunded_cents(self, payment_intent_id: str) -> int:
        try:
            page = self.client.v1.refunds.list(
                params={"payment_intent": payment_intent_id, "limit": 100}
            )
            refunds = [_plain(refund) for refund in page.auto_paging_iter()]
        except stripe.StripeError as error:
            raise gateway_error(error, f"list the refunds of {payment_intent_id}") from None
        return sum(
            int(refund.get("amount") or 0)
            for refund in refunds
            if refund.get("status") in _LIVE_REFUND_STATUSES
        )

    # -- webhooks ----------------------------------------------------------------------

    def organisation_of(self, event_object: Mapping[str, Any]) -> UUID:
        """The organisation of a webhook's object: its own metadata, or else (a charge, or a
        refund made in Stripe's dashboard) its PaymentIntent's."""
        try:
            return organisation_of(event_object)
        except ValidationError:
            intent_id = event_object.get("payment_intent")
            if not isinstance(intent_id, str) or not intent_id:
                raise
        return organisation_of(self._intent(intent_id))


def _uuid_or_none(value: object) -> UUID | None:
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None
