"""The domain's exceptions. Entrypoints translate them (HTTP 4xx, CLI exit codes)."""

from __future__ import annotations

from typing import Any
from uuid import UUID


class RocketError(Exception):
    """Base of every error the domain raises on purpose."""


class ValidationError(RocketError, ValueError):
    """A value breaks a rule of the data model. Names the field and the rule."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class NotFound(RocketError, LookupError):
    """No entity of this kind with this id in the caller's organisation."""

    def __init__(self, entity: str, key: Any) -> None:
        super().__init__(f"{entity} {key} not found")
        self.entity = entity
        self.key = key


class Forbidden(RocketError):
    """The actor may not do this (permission matrix, scope or tenant)."""


class AuthenticationFailed(RocketError):
    """Not logged in: a wrong e-mail or password, or a missing, expired or revoked session
    token. The message never says which of e-mail or password was wrong."""


class TooManyAttempts(RocketError):
    """Too many failed logins for an account or from an address: wait and try again."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class Conflict(RocketError):
    """The change collides with existing data: a duplicate, or a stale version."""


class InvalidTransition(Conflict):
    """A status change that the entity's rules do not allow from its current state."""

    def __init__(self, entity: str, entity_id: UUID | None, state: str, trigger: str) -> None:
        super().__init__(f"{entity} {entity_id}: cannot {trigger} from status {state!r}")
        self.entity = entity
        self.entity_id = entity_id
        self.state = state
        self.trigger = trigger


class DeliveryError(RocketError):
    """A Notifier could not deliver a message."""


class TemporaryDeliveryFailure(DeliveryError):
    """Delivery may succeed later (timeout, 4xx SMTP reply): retry with backoff."""


class PermanentDeliveryFailure(DeliveryError):
    """Delivery will never succeed (hard bounce, invalid address)."""


class PaymentGatewayError(RocketError):
    """The payment provider refused or failed an operation."""
