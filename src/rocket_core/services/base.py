"""What every service shares: its dependencies, one transaction per use case, the audit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from rocket_core.errors import Forbidden, NotFound
from rocket_core.events import DomainEvent, EventBus
from rocket_core.model import AuditEntry, Entity
from rocket_core.permissions import Actor
from rocket_core.ports import Clock, StaffAccess, UnitOfWork, UnitOfWorkFactory


class Service:
    """Base of the services: a unit-of-work factory, a clock and the event bus."""

    def __init__(self, make_uow: UnitOfWorkFactory, clock: Clock, bus: EventBus) -> None:
        self.make_uow = make_uow
        self.clock = clock
        self.bus = bus

    @contextmanager
    def transaction(self, actor: Actor) -> Iterator[UnitOfWork]:
        """One unit of work in the actor's organisation: the block's changes are committed
        when it ends normally (with what the in-transaction handlers add; then its events are
        published), rolled back otherwise."""
        with self.system_transaction(actor.organisation_id) as uow:
            yield uow

    @contextmanager
    def system_transaction(self, organisation_id: UUID) -> Iterator[UnitOfWork]:
        """``transaction`` for jobs that run without a staff member (the nightly job);
        their audit entries have no actor."""
        uow = self.make_uow(organisation_id)
        with uow:
            yield uow
            events = self.before_commit(uow)
            uow.commit()
        self.bus.publish(events)

    def before_commit(self, uow: UnitOfWork) -> list[DomainEvent]:
        """Collect the transaction's events and run the in-transaction handlers on them (the
        notification outbox), so their writes commit with the change; returns every event,
        for publishing once the transaction has committed."""
        events = uow.collect_events()
        self.bus.handle_in_transaction(uow, events)
        return events + uow.collect_events()

    def audit(
        self,
        uow: UnitOfWork,
        actor: Actor | None,
        action: str,
        entity: Entity,
        summary: str,
        changes: dict[str, Any] | None = None,
    ) -> None:
        """Record who did what to which entity, and when (every state change does this)."""
        uow.audit.add(
            AuditEntry(
                organisation_id=uow.organisation_id,
                actor_staff_id=None if actor is None else actor.staff_id,
                action=action,
                entity_type=type(entity).__name__,
                entity_id=entity.id,
                summary=summary[:500],
                changes=jsonable(changes or {}),
                occurred_at=self.clock.now(),
            )
        )


def load_actor(uow: UnitOfWork, staff_id: UUID) -> Actor:
    """The Actor for an active staff member of the unit of work's organisation, with the
    campuses, cohorts and sessions they are assigned to."""
    access = uow.staff.find_access(staff_id)
    if access is None:
        raise NotFound("Staff", staff_id)
    if not access.staff.is_active:
        raise Forbidden(f"staff member {access.staff.full_name} is deactivated")
    return actor_of(access)


def actor_of(access: StaffAccess) -> Actor:
    """The Actor of a staff member and their assignments."""
    staff = access.staff
    return Actor(
        staff_id=staff.id,
        organisation_id=staff.organisation_id,
        role=staff.role,
        name=staff.full_name,
        campus_ids=access.campus_ids,
        cohort_ids=access.cohort_ids,
        session_ids=access.session_ids,
    )


def actor_for(make_uow: UnitOfWorkFactory, organisation_id: UUID, staff_id: UUID) -> Actor:
    """``load_actor`` in a read-only unit of work (what entrypoints call per request)."""
    with make_uow(organisation_id) as uow:
        return load_actor(uow, staff_id)


def jsonable(value: Any) -> Any:
    """Audit changes as JSON values: ids, dates, money and enums as strings."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)
