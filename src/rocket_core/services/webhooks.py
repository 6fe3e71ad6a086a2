"""Payment provider webhooks: each event processed exactly once.

The Stripe adapter verifies a delivery's signature (``rocket_adapters.stripe.verify_webhook``)
and gives the event to ``WebhookService.handle`` as plain data: its id, its type and its
object (a JSON dict). Nothing here knows Stripe's library.

Exactly once, in ONE transaction: the event id is looked up in ``uow.webhook_events``; a known
id is a duplicate and changes nothing; otherwise the ``WebhookEvent`` is recorded together
with what the event means:

- ``payment_intent.succeeded``: a card payment, recorded by ``payments.record_payment``, which
  is idempotent on the PaymentIntent id, so the same payment re-sent under another event id,
  or arriving after a retry, still makes one payment;
- ``payment_intent.payment_failed``: an audit entry on the invoice and a ``CardPaymentFailed``
  event (the family can be told);
- ``refund.created`` / ``refund.updated`` / ``charge.refund.updated`` (a Refund object) and
  ``charge.refunded`` (a Charge, with the refunds it lists): each succeeded refund goes to
  ``payments.record_provider_refund`` (idempotent on the Stripe refund id).

Two deliveries of one event at the same moment both pass the lookup; the second one's commit
then hits the unique (provider, event id) constraint (or the invoice's version) and raises
Conflict: the service re-checks in a fresh transaction and answers ``already_processed``.

An event that names no organisation, an invoice or family Rocket does not know, another
currency than AUD, or an organisation other than the one given, is refused with a clear
domain error and nothing is recorded (Stripe retries it later; the mistake is logged).

Decisions where the rules are silent:

- **The payment's date** is the charge's time when the event carries it (Stripe's
  ``latest_charge.created`` when expanded), else the PaymentIntent's ``created``, else now.
- **Event types Rocket does not act on** are not recorded (``ignored``): recording them
  would only fill the table.
- **A refund that failed or was cancelled at Stripe**: a refund Rocket recorded as pending
  (``PaymentService.refund`` through the gateway) fails through ``record_provider_refund``
  with that status: it no longer counts, the family's balance and the invoices it re-opened
  go back. One Rocket never recorded records nothing and is logged and audited on its
  payment: a refund is only entered in the ledger when the money went back.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

import attrs

from rocket_core.errors import Conflict, NotFound, ValidationError
from rocket_core.events import CardPaymentFailed, EventBus
from rocket_core.model import Family, Invoice, Payment, PaymentMethod, Refund, WebhookEvent
from rocket_core.permissions import Actor
from rocket_core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from rocket_core.services.base import Service

_log = logging.getLogger(__name__)

PROVIDER = "stripe"
#: The first pause before trying a delivery again after a Conflict (it doubles each time).
BACKOFF = timedelta(milliseconds=20)
#: The only currency Rocket charges in.
CURRENCY = "aud"

PAYMENT_SUCCEEDED = "payment_intent.succeeded"
PAYMENT_FAILED = "payment_intent.payment_failed"
CHARGE_REFUNDED = "charge.refunded"
REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "charge.refund.updated"})
#: The event types WebhookService acts on; an entrypoint may answer others at once.
HANDLED_EVENT_TYPES = frozenset({PAYMENT_SUCCEEDED, PAYMENT_FAILED, CHARGE_REFUNDED}) | (
    REFUND_EVENTS
)


def _sleep(duration: timedelta) -> None:
    time.sleep(duration.total_seconds())


def is_handled(event_type: str) -> bool:
    """True for the event types ``WebhookService.handle`` acts on."""
    return event_type in HANDLED_EVENT_TYPES


@attrs.frozen(kw_only=True)
class ProviderEvent:
    """A verified event from the payment provider, as plain data: ``object`` is the event's
    ``data.object`` (a PaymentIntent, Charge or Refund) as a JSON dict."""

    id: str
    type: str
    object: Mapping[str, Any]
    created: datetime
    provider: str = PROVIDER


class WebhookStatus(StrEnum):
    """What ``WebhookService.handle`` did with an event."""

    PROCESSED = "processed"
    ALREADY_PROCESSED = "already_processed"
    IGNORED = "ignored"


@attrs.frozen(kw_only=True)
class WebhookResult:
    """The outcome of one delivery: its status, the payment it concerned (new or found by
    its PaymentIntent id) and the refunds it recorded or completed."""

    status: WebhookStatus
    event_id: str
    payment: Payment | None = None
    refunds: tuple[Refund, ...] = ()


class RecordPayment(Protocol):
    """``payments.record_payment``: records (or finds, by PaymentIntent id) a payment inside
    the caller's transaction."""

    def __call__(
        self,
        uow: UnitOfWork,
        actor: Actor | None,
        /,
        *,
        family_id: UUID,
        amount: Decimal,
        method: PaymentMethod,
        invoice_id: UUID | None = ...,
        stripe_payment_intent_id: str | None = ...,
        reference_number: str | None = ...,
        notes: str | None = ...,
        paid_at: datetime,
        clock: Clock | None = ...,
    ) -> Payment: ...


class RecordProviderRefund(Protocol):
    """``payments.record_provider_refund``: records a refund made at the provider inside the
    caller's transaction; idempotent on the Stripe refund id (None when it was recorded
    already, the refund when a pending one is now succeeded, or with ``status`` failed or
    canceled, now failed)."""

    def __call__(
        self,
        uow: UnitOfWork,
        /,
        *,
        stripe_refund_id: str,
        payment_intent_id: str,
        amount: Decimal,
        at: datetime,
        clock: Clock | None = ...,
        status: str = ...,
    ) -> Refund | None: ...


def money_from_cents(cents: object, field: str) -> Decimal:
    """A provider amount in cents (a positive whole number) as Decimal dollars: 12345 ->
    Decimal("123.45"), exactly."""
    if isinstance(cents, bool) or not isinstance(cents, int) or cents <= 0:
        raise ValidationError(field, f"must be a positive whole number of cents, not {cents!r}")
    return Decimal(cents).scaleb(-2)


def _uuid(value: object, field: str) -> UUID | None:
    if value is None or value == "":
        return None
    try:
        return UUID(str(value))
    except ValueError:
        raise ValidationError(field, f"must be a UUID, not {value!r}") from None


def _text(obj: Mapping[str, Any], key: str, entity: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{entity}.{key}", "is missing from the event")
    return value


def _metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = obj.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def _instant(value: object) -> datetime | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value, UTC)
    return None


def organisation_of(event_object: Mapping[str, Any]) -> UUID:
    """The organisation a provider object belongs to, from its ``metadata.organisation_id``
    (the Stripe adapter puts it on every customer, PaymentIntent and refund it creates).
    An entrypoint reads it before opening the organisation's unit of work. ValidationError
    when it is missing or not a UUID (not a Rocket object)."""
    kind = str(event_object.get("object") or "object")
    organisation_id = _uuid(
        _metadata(event_object).get("organisation_id"), f"{kind}.metadata.organisation_id"
    )
    if organisation_id is None:
        raise ValidationError(
            f"{kind}.metadata.organisation_id", "is missing: the object was not made by Rocket"
        )
    return organisation_id


class WebhookService(Service):
    """Processes the payment provider's events exactly once (see the module docstring).

    ``record_payment`` and ``record_provider_refund`` default to the payments module's
    functions; tests may pass others with the same signatures. A delivery that meets a
    Conflict which is not a duplicate (a concurrent change of the same invoice, SQLite's
    single writer) is tried ``attempts`` times in all, after short jittered ``pause``s."""

    def __init__(
        self,
        make_uow: UnitOfWorkFactory,
        clock: Clock,
        bus: EventBus,
        *,
        record_payment: RecordPayment | None = None,
        record_provider_refund: RecordProviderRefund | None = None,
        attempts: int = 5,
        pause: Callable[[timedelta], None] = _sleep,
    ) -> None:
        super().__init__(make_uow, clock, bus)
        if record_payment is None or record_provider_refund is None:
            from rocket_core.services import payments

            record_payment = record_payment or payments.record_payment
            record_provider_refund = record_provider_refund or payments.record_provider_refund
        self._record_payment: RecordPayment = record_payment
        self._record_provider_refund: RecordProviderRefund = record_provider_refund
        self._attempts = max(1, attempts)
        self._pause = pause

    def handle_event(self, organisation_id: UUID, event: ProviderEvent) -> WebhookResult:
        """``handle`` for a verified ProviderEvent."""
        return self.handle(organisation_id, event.id, event.type, event.object)

    def handle(
        self,
        organisation_id: UUID,
        event_id: str,
        event_type: str,
        payload_object: Mapping[str, Any],
    ) -> WebhookResult:
        """Process one delivered event for ``organisation_id``, at most once per event id.

        Returns ``processed``, ``already_processed`` (a duplicate delivery, also when a
        concurrent delivery of the same event won the race) or ``ignored`` (a type Rocket
        does not act on). Raises the domain's errors for events it cannot take (nothing is
        recorded then)."""
        if not event_id:
            raise ValidationError("WebhookEvent.provider_event_id", "is missing")
        if not is_handled(event_type):
            _log.info("webhook %s (%s) ignored: not a type Rocket acts on", event_id, event_type)
            return WebhookResult(status=WebhookStatus.IGNORED, event_id=event_id)
        for attempt in range(1, self._attempts + 1):
            try:
                return self._handle_once(organisation_id, event_id, event_type, payload_object)
            except Conflict as error:
                if self._processed_already(organisation_id, event_id):
                    _log.info("webhook %s was processed by a concurrent delivery", event_id)
                    return WebhookResult(status=WebhookStatus.ALREADY_PROCESSED, event_id=event_id)
                if attempt == self._attempts:
                    _log.warning("webhook %s (%s) failed: %s", event_id, event_type, error)
                    raise
                _log.info("webhook %s: %s; trying again", event_id, error)
                # a jittered, growing pause, so that colliding deliveries fall out of step
                self._pause(BACKOFF * 2 ** (attempt - 1) * random.randint(50, 150) / 100)
            except (ValidationError, NotFound) as error:
                _log.warning("webhook %s (%s) refused: %s", event_id, event_type, error)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _processed_already(self, organisation_id: UUID, event_id: str) -> bool:
        with self.make_uow(organisation_id) as uow:
            return uow.webhook_events.find_by_provider_event(PROVIDER, event_id) is not None

    def _handle_once(
        self,
        organisation_id: UUID,
        event_id: str,
        event_type: str,
        obj: Mapping[str, Any],
    ) -> WebhookResult:
        with self.system_transaction(organisation_id) as uow:
            if uow.webhook_events.find_by_provider_event(PROVIDER, event_id) is not None:
                _log.info("webhook %s (%s) delivered again: nothing to do", event_id, event_type)
                return WebhookResult(status=WebhookStatus.ALREADY_PROCESSED, event_id=event_id)
            named = _metadata(obj).get("organisation_id")
            if named is not None and _uuid(named, "metadata.organisation_id") != organisation_id:
                raise ValidationError(
                    "metadata.organisation_id", f"names another organisation than {organisation_id}"
                )
            record = WebhookEvent(
                organisation_id=organisation_id,
                provider=PROVIDER,
                provider_event_id=event_id,
                event_type=event_type,
                received_at=self.clock.now(),
            )
            uow.webhook_events.add(record)
            if event_type == PAYMENT_SUCCEEDED:
                payment = self._payment_succeeded(uow, obj)
                result = WebhookResult(
                    status=WebhookStatus.PROCESSED, event_id=event_id, payment=payment
                )
            elif event_type == PAYMENT_FAILED:
                self._payment_failed(uow, record, obj)
                result = WebhookResult(status=WebhookStatus.PROCESSED, event_id=event_id)
            elif event_type == CHARGE_REFUNDED:
                refunds = self._charge_refunded(uow, obj)
                result = WebhookResult(
                    status=WebhookStatus.PROCESSED, event_id=event_id, refunds=refunds
                )
            else:  # a Refund object
                refund = self._refund(uow, obj, _text(obj, "payment_intent", "refund"))
                result = WebhookResult(
                    status=WebhookStatus.PROCESSED,
                    event_id=event_id,
                    refunds=() if refund is None else (refund,),
                )
        _log.info("webhook %s (%s) processed", event_id, event_type)
        return result

    def _invoice_and_family(
        self, uow: UnitOfWork, obj: Mapping[str, Any]
    ) -> tuple[Invoice | None, Family]:
        metadata = _metadata(obj)
        invoice_id = _uuid(metadata.get("invoice_id"), "payment_intent.metadata.invoice_id")
        family_id = _uuid(metadata.get("family_id"), "payment_intent.metadata.family_id")
        invoice = None if invoice_id is None else uow.invoices.get(invoice_id)
        if invoice is not None:
            if family_id is not None and family_id != invoice.family_id:
                raise ValidationError(
                    "payment_intent.metadata.family_id",
                    f"is not the family of invoice {invoice.invoice_number}",
                )
            family_id = invoice.family_id
        if family_id is None:
            raise ValidationError(
                "payment_intent.metadata",
                "names neither an invoice_id nor a family_id: not a Rocket payment",
            )
        return invoice, uow.families.get(family_id)

    def _payment_succeeded(self, uow: UnitOfWork, obj: Mapping[str, Any]) -> Payment:
        intent_id = _text(obj, "id", "payment_intent")
        currency = str(obj.get("currency") or "").lower()
        if currency != CURRENCY:
            raise ValidationError("payment_intent.currency", f"must be aud, not {currency!r}")
        received = obj.get("amount_received")
        amount = money_from_cents(
            received if received else obj.get("amount"), "payment_intent.amount"
        )
        invoice, family = self._invoice_and_family(uow, obj)
        charge = obj.get("latest_charge")
        paid_at = (
            (_instant(charge.get("created")) if isinstance(charge, Mapping) else None)
            or _instant(obj.get("created"))
            or self.clock.now()
        )
        known = uow.payments.find_by_payment_intent(intent_id)
        payment = self._record_payment(
            uow,
            None,
            family_id=family.id,
            amount=amount,
            method=PaymentMethod.CREDIT_CARD,
            invoice_id=None if invoice is None else invoice.id,
            stripe_payment_intent_id=intent_id,
            reference_number=intent_id,
            paid_at=paid_at,
            clock=self.clock,
        )
        if known is not None:
            _log.info("PaymentIntent %s already has payment %s", intent_id, payment.id)
        return payment

    def _payment_failed(
        self, uow: UnitOfWork, record: WebhookEvent, obj: Mapping[str, Any]
    ) -> None:
        intent_id = _text(obj, "id", "payment_intent")
        invoice, family = self._invoice_and_family(uow, obj)
        error = obj.get("last_payment_error")
        error = error if isinstance(error, Mapping) else {}
        reason = str(error.get("message") or error.get("code") or "the card payment failed")
        cents = obj.get("amount")
        amount = (
            money_from_cents(cents, "payment_intent.amount")
            if isinstance(cents, int) and not isinstance(cents, bool) and cents > 0
            else "an unknown amount"
        )
        subject: Invoice | Family = family if invoice is None else invoice
        self.audit(
            uow,
            None,
            "payment.card_failed",
            subject,
            f"Card payment of {amount} from {family.display_name}"
            + ("" if invoice is None else f" for {invoice.invoice_number}")
            + f" failed: {reason} (Stripe {intent_id})",
            {"payment_intent_id": intent_id, "code": error.get("code"), "reason": reason},
        )
        if invoice is not None:
            record.record(
                CardPaymentFailed(
                    organisation_id=uow.organisation_id,
                    invoice_id=invoice.id,
                    family_id=family.id,
                    payment_intent_id=intent_id,
                    reason=reason,
                )
            )

    def _charge_refunded(self, uow: UnitOfWork, obj: Mapping[str, Any]) -> tuple[Refund, ...]:
        intent_id = _text(obj, "payment_intent", "charge")
        listed = obj.get("refunds")
        data = listed.get("data") if isinstance(listed, Mapping) else None
        if not isinstance(data, list):
            _log.info(
                "charge.refunded for %s lists no refunds: the refund.* events record them",
                intent_id,
            )
            return ()
        refunds = [self._refund(uow, item, intent_id) for item in data if isinstance(item, Mapping)]
        return tuple(refund for refund in refunds if refund is not None)

    def _refund(self, uow: UnitOfWork, obj: Mapping[str, Any], intent_id: str) -> Refund | None:
        refund_id = _text(obj, "id", "refund")
        status = obj.get("status")
        if status in ("failed", "canceled") and uow.refunds.find_by_stripe_refund(refund_id):
            if uow.payments.find_by_payment_intent(intent_id) is None:
                raise NotFound("Payment for PaymentIntent", intent_id)
            _log.warning(
                "Stripe refund %s of %s is %s: it no longer counts", refund_id, intent_id, status
            )
            return self._record_provider_refund(
                uow,
                stripe_refund_id=refund_id,
                payment_intent_id=intent_id,
                amount=money_from_cents(obj.get("amount"), "refund.amount"),
                at=_instant(obj.get("created")) or self.clock.now(),
                clock=self.clock,
                status=status,
            )
        if status != "succeeded":
            payment = uow.payments.find_by_payment_intent(intent_id)
            _log.warning("Stripe refund %s of %s is %s: not recorded", refund_id, intent_id, status)
            if status in ("failed", "canceled") and payment is not None:
                self.audit(
                    uow,
                    None,
                    "refund.provider_failed",
                    payment,
                    f"Stripe refund {refund_id} of {intent_id} {status}",
                    {"stripe_refund_id": refund_id, "status": status},
                )
            return None
        if uow.payments.find_by_payment_intent(intent_id) is None:
            raise NotFound("Payment for PaymentIntent", intent_id)
        return self._record_provider_refund(
            uow,
            stripe_refund_id=refund_id,
            payment_intent_id=intent_id,
            amount=money_from_cents(obj.get("amount"), "refund.amount"),
            at=_instant(obj.get("created")) or self.clock.now(),
            clock=self.clock,
        )
