"""The audit log as staff read it: who changed what, when, filtered and one page at a time.

Who may read it (product-rules.md, "Staff permissions"): ``audit log``
(``Action.AUDIT_LOG``): super admins only, the whole organisation.

Decisions where the rules are silent:

- **Order.** Newest first (ties by id), so the first page is what happened last.
- **Time range.** ``occurred_from`` is inclusive and ``occurred_to`` exclusive (consecutive
  ranges never count an entry twice); both must be timezone-aware instants, and the range
  must not end before it starts.
- **Paging.** ``limit`` 1 to ``MAX_LIMIT`` entries from ``offset``; the page and the total
  come from the repository (two queries, whatever the page: the log is the largest table).
- **Names.** Each entry names its actor (the staff member's full name, looked up for the
  whole page at once); entries of the system's own jobs have no actor.
- Reading the log is not itself audited: it changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from rocket_core.errors import ValidationError
from rocket_core.model import AuditEntry
from rocket_core.permissions import Action, Actor, authorise
from rocket_core.services.base import Service
from rocket_core.services.paging import MAX_LIMIT, Page, check_paging


@attrs.frozen(kw_only=True)
class AuditLine:
    """One audited change as staff see it."""

    id: UUID
    occurred_at: datetime
    actor_staff_id: UUID | None
    #: The actor's full name (None for the system's jobs, or a staff record since removed).
    actor_name: str | None
    action: str
    entity_type: str
    entity_id: UUID | None
    summary: str
    changes: dict[str, Any]


def _instant(field: str, value: datetime | None) -> None:
    if value is not None and (
        not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None
    ):
        raise ValidationError(field, "must be an instant with a time zone (e.g. 2026-01-19T09:00Z)")


class AuditService(Service):
    """Reading the audit log (every use case writes it through ``Service.audit``)."""

    def entries(
        self,
        actor: Actor,
        *,
        entity_id: UUID | None = None,
        entity_type: str | None = None,
        actor_staff_id: UUID | None = None,
        occurred_from: datetime | None = None,
        occurred_to: datetime | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[AuditLine]:
        """The organisation's audit entries matching every filter given (an entity, an
        entity type such as ``"Enrolment"``, the staff member who acted, a time range), newest
        first, one page of them (``Action.AUDIT_LOG``: super admins; see the module
        docstring)."""
        _instant("occurred_from", occurred_from)
        _instant("occurred_to", occurred_to)
        if occurred_from is not None and occurred_to is not None and occurred_to < occurred_from:
            raise ValidationError("occurred_to", "must not be before occurred_from")
        check_paging(limit, offset)
        with self.transaction(actor) as uow:
            authorise(actor, Action.AUDIT_LOG)
            found, total = uow.audit.search(
                entity_id=entity_id,
                entity_type=entity_type,
                actor_staff_id=actor_staff_id,
                occurred_from=occurred_from,
                occurred_to=occurred_to,
                limit=limit,
                offset=offset,
            )
            actors = {e.actor_staff_id for e in found if e.actor_staff_id is not None}
            names = {s.id: s.full_name for s in uow.staff.find_many(actors)} if actors else {}
            return Page(
                items=tuple(_line(entry, names) for entry in found),
                total=total,
                limit=limit,
                offset=offset,
            )


def _line(entry: AuditEntry, names: dict[UUID, str]) -> AuditLine:
    return AuditLine(
        id=entry.id,
        occurred_at=entry.occurred_at,
        actor_staff_id=entry.actor_staff_id,
        actor_name=None if entry.actor_staff_id is None else names.get(entry.actor_staff_id),
        action=entry.action,
        entity_type=entry.entity_type,
        entity_id=entry.entity_id,
        summary=entry.summary,
        changes=dict(entry.changes),
    )


__all__ = ["MAX_LIMIT", "AuditLine", "AuditService"]
