"""The audit log: who changed what, and when (super admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import attrs
from litestar import get
from litestar.params import Parameter

from rocket_core.permissions import Actor
from rocket_core.services.audit import AuditLine, AuditService
from rocket_entrypoints.http.routes._paging import Limit, Offset, Page

STAFF = {"access": "staff"}


@attrs.frozen
class AuditEntryOut:
    """One audited change. ``actor_staff_id`` and ``actor_name`` are null for the system's
    own jobs; ``changes`` holds the change as JSON values (before and after)."""

    id: UUID
    occurred_at: datetime
    actor_staff_id: UUID | None
    actor_name: str | None
    action: str
    entity_type: str
    entity_id: UUID | None
    summary: str
    changes: dict[str, Any]


def _entry(line: AuditLine) -> AuditEntryOut:
    return AuditEntryOut(**{f.name: getattr(line, f.name) for f in attrs.fields(AuditEntryOut)})


@get("/audit-log", opt=STAFF, sync_to_thread=True, tags=["audit"])
def audit_entries(
    actor: Actor,
    audit_log: AuditService,
    entity_id: UUID | None = None,
    entity_type: Annotated[
        str | None, Parameter(max_length=50, description="e.g. Enrolment, Invoice")
    ] = None,
    actor_staff_id: UUID | None = None,
    occurred_from: Annotated[
        datetime | None, Parameter(description="from this instant (inclusive, with a zone)")
    ] = None,
    occurred_to: Annotated[
        datetime | None, Parameter(description="until this instant (exclusive, with a zone)")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AuditEntryOut]:
    """The organisation's audit log, newest first, filtered by entity, entity type, the
    staff member who acted and a time range."""
    found = audit_log.entries(
        actor,
        entity_id=entity_id,
        entity_type=entity_type,
        actor_staff_id=actor_staff_id,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        limit=limit,
        offset=offset,
    )
    return Page(
        items=[_entry(line) for line in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


ROUTES = [audit_entries]
