"""Stripe's webhook deliveries: signature verification, then the domain's WebhookService.

``verify_webhook`` checks the ``Stripe-Signature`` header with ``stripe.Webhook.construct_event``
(HMAC-SHA256 of the raw body with the endpoint's secret, and a timestamp no older than
``tolerance`` seconds, against replays) and returns the event as a plain ``ProviderEvent``.
A missing, wrong or stale signature, or a body that is not a Stripe event, raises
``WebhookRejected`` (logged; nothing is recorded): an HTTP endpoint answers 400.

``receive_webhook`` is what an HTTP endpoint calls with the raw body and the header: verify,
skip the types Rocket does not act on, find the organisation from the object's metadata
(through the gateway for objects without it), and ``WebhookService.handle``. Endpoint
mapping: WebhookRejected -> 400; ValidationError / NotFound (an event Rocket cannot take)
-> 400 too, so Stripe retries and the log explains; Conflict that survived the retries -> 409
(Stripe retries); a result -> 200.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import stripe

from rocket_adapters.stripe.gateway import StripeGateway
from rocket_core.errors import RocketError
from rocket_core.services.webhooks import (
    PROVIDER,
    ProviderEvent,
    WebhookResult,
    WebhookService,
    WebhookStatus,
    is_handled,
    organisation_of,
)

_log = logging.getLogger(__name__)

#: Stripe's default: a delivery signed more than five minutes ago is refused (replays).
DEFAULT_TOLERANCE = 300


class WebhookRejected(RocketError):
    """A webhook delivery that is not provably from Stripe: missing, wrong or stale
    signature, or not a Stripe event. Nothing was recorded."""


def verify_webhook(
    payload: bytes, signature: str, secret: str, tolerance: int = DEFAULT_TOLERANCE
) -> ProviderEvent:
    """The verified event of one delivery (``payload`` is the raw request body, exactly as
    received; ``signature`` the Stripe-Signature header). WebhookRejected otherwise."""
    if tolerance < 1:
        raise ValueError("a webhook tolerance of less than a second disables the replay check")
    if not secret:
        _log.error("Stripe webhook refused: no webhook secret configured")
        raise WebhookRejected(
            "no Stripe webhook secret is configured (ROCKET_STRIPE_WEBHOOK_SECRET)"
        )
    if not signature:
        _log.warning("Stripe webhook refused: no Stripe-Signature header")
        raise WebhookRejected("the delivery has no Stripe-Signature header")
    try:
        stripe.Webhook.construct_event(payload, signature, secret, tolerance)
    except stripe.SignatureVerificationError as error:
        _log.warning("Stripe webhook refused: %s", error.user_message or error)
        raise WebhookRejected(
            f"bad or stale Stripe signature: {error.user_message or error}"
        ) from None
    except (ValueError, KeyError, IndexError) as error:  # not JSON / not an event
        _log.warning("Stripe webhook refused: not a Stripe event (%s)", error)
        raise WebhookRejected(f"the delivery is not a Stripe event: {error}") from None
    return _provider_event(payload)


def _provider_event(payload: bytes) -> ProviderEvent:
    try:
        raw = json.loads(payload)
        data = raw["data"]["object"]
        event_id, event_type, created = raw["id"], raw["type"], raw["created"]
    except (ValueError, KeyError, TypeError) as error:
        _log.warning("Stripe webhook refused: not a Stripe event (%s)", error)
        raise WebhookRejected(f"the delivery is not a Stripe event: {error!r}") from None
    if not (
        isinstance(data, Mapping)
        and isinstance(event_id, str)
        and isinstance(event_type, str)
        and isinstance(created, int)
    ):
        raise WebhookRejected("the delivery is not a Stripe event: unexpected shape")
    return ProviderEvent(
        id=event_id,
        type=event_type,
        object=data,
        created=datetime.fromtimestamp(created, UTC),
        provider=PROVIDER,
    )


def receive_webhook(
    service: WebhookService,
    payload: bytes,
    signature: str,
    secret: str,
    *,
    gateway: StripeGateway | None = None,
    tolerance: int = DEFAULT_TOLERANCE,
) -> WebhookResult:
    """One delivery, end to end: verify it, find its organisation, process it once."""
    event = verify_webhook(payload, signature, secret, tolerance)
    if not is_handled(event.type):
        return WebhookResult(status=WebhookStatus.IGNORED, event_id=event.id)
    obj: Mapping[str, Any] = event.object
    organisation_id = organisation_of(obj) if gateway is None else gateway.organisation_of(obj)
    return service.handle_event(organisation_id, event)
