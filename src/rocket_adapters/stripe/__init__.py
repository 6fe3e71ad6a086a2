"""Stripe: the PaymentGateway over the official library, and webhook verification.

See ``gateway`` for the settings (ROCKET_STRIPE_SECRET_KEY, ROCKET_STRIPE_API_BASE,
ROCKET_STRIPE_WEBHOOK_SECRET) and ``webhooks`` for what an HTTP endpoint calls.
"""

from rocket_adapters.stripe.gateway import StripeGateway, gateway_error, to_cents
from rocket_adapters.stripe.webhooks import (
    WebhookRejected,
    receive_webhook,
    verify_webhook,
)

__all__ = [
    "StripeGateway",
    "WebhookRejected",
    "gateway_error",
    "receive_webhook",
    "to_cents",
    "verify_webhook",
]
