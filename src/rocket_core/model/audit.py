"""Audit context: who changed what, and when. Written by every state-changing use case."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from rocket_core.model import checks as c
from rocket_core.model.base import Entity, new_id, utc_now


def _json_object(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise c.fail(instance, attribute, "must be a mapping with text keys")


@attrs.define(slots=False, eq=False, kw_only=True)
class AuditEntry(Entity):
    """One audited change. ``actor_staff_id`` is None for the system's own jobs."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    actor_staff_id: UUID | None = attrs.field(default=None, validator=c.optional(c.of_type(UUID)))
    action: str = attrs.field(validator=c.text(100))
    entity_type: str = attrs.field(validator=c.text(50))
    entity_id: UUID | None = attrs.field(default=None, validator=c.optional(c.of_type(UUID)))
    summary: str = attrs.field(validator=c.text(500))
    changes: dict[str, Any] = attrs.field(factory=dict, validator=_json_object)
    occurred_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
