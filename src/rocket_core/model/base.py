"""What every entity shares: identity, domain events and all-or-nothing updates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID, uuid4

import attrs

from rocket_core.errors import ValidationError
from rocket_core.events import DomainEvent


def new_id() -> UUID:
    """A fresh random UUID for a new entity."""
    return uuid4()


def utc_now() -> datetime:
    """The current instant, timezone-aware (UTC); services pass the Clock's time instead."""
    return datetime.now(UTC)


class Entity:
    """Base of entities: identity equality (attrs ``eq=False``) and a queue of domain events.

    The event queue lives in ``__dict__`` and is created on first use, so entities that a
    persistence layer loads without calling ``__init__`` still work.
    """

    id: UUID

    def record(self, event: DomainEvent) -> None:
        """Queue a domain event for the unit of work to collect."""
        self.__dict__.setdefault("_pending_events", []).append(event)

    def pull_events(self) -> list[DomainEvent]:
        """Take the queued events (oldest first), leaving the queue empty."""
        events: list[DomainEvent] = self.__dict__.pop("_pending_events", [])
        return events

    def update(self, **changes: Any) -> None:
        """Change several fields at once, all or nothing.

        The candidate state is built and validated first (every field rule and the cross-field
        rules of ``__attrs_post_init__``); only if it is valid are the fields assigned.
        """
        cls = cast(Any, type(self))  # an attrs subclass; Entity itself has no fields
        names = {a.name for a in attrs.fields(cls) if a.init}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValidationError(f"{type(self).__name__}.{unknown[0]}", "is not a field")
        for identity in ("id", "organisation_id"):
            if identity in changes:
                raise ValidationError(f"{type(self).__name__}.{identity}", "cannot change")
        current = {name: getattr(self, name) for name in names}
        cls(**{**current, **changes})  # raises ValidationError; builds nothing lasting
        for name, value in changes.items():
            setattr(self, name, value)
