"""The Stripe webhook (no login: the signature proves the sender)."""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio.to_thread
import attrs
from litestar import Request, post

from rocket_adapters.stripe.webhooks import receive_webhook

PUBLIC = {"access": "public"}


@attrs.frozen
class WebhookOut:
    """What became of the event: processed, already_processed or ignored."""

    status: str
    event_id: str


@post("/webhooks/stripe", opt=PUBLIC, tags=["payments"], status_code=200)
async def stripe_webhook(request: Request[Any, Any, Any], container: Any) -> WebhookOut:
    """A Stripe event: signature verified (400 otherwise), processed exactly once (a replay
    of a processed event answers 200 and changes nothing)."""
    payload = await request.body()
    signature = request.headers.get("stripe-signature", "")
    settings = container.settings()
    gateway = container.gateway() if settings.card_payments else None
    result = await anyio.to_thread.run_sync(
        partial(
            receive_webhook,
            container.webhooks(),
            payload,
            signature,
            settings.stripe_webhook_secret or "",
            gateway=gateway,
        )
    )
    return WebhookOut(status=str(result.status.value), event_id=result.event_id)


ROUTES = [stripe_webhook]
