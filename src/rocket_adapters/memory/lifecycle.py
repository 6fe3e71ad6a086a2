"""The nightly lifecycle in memory: the same semantics as the SQL statements, through the
unit of work's own copies and the entities' methods (the rulebook moves each enrolment)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from rocket_core import model as m
from rocket_core.enrolment_machine import (
    SEAT_HOLDING_STATES,
    EnrolmentStatus,
    Trigger,
    source_states,
)
from rocket_core.ports import LifecycleRepository

if TYPE_CHECKING:
    from rocket_adapters.memory.unit_of_work import MemoryUnitOfWork


def _in_range(cohort_id: UUID, after: UUID | None, upto: UUID | None) -> bool:
    return (after is None or cohort_id > after) and (upto is None or cohort_id <= upto)


@contextmanager
def _quietly(entity: m.Entity) -> Iterator[None]:
    """Discard the events the block records on ``entity`` (the SQL path records none),
    keeping any recorded before."""
    earlier = entity.pull_events()
    try:
        yield
    finally:
        entity.pull_events()
        for event in earlier:
            entity.record(event)


class MemoryLifecycleRepository(LifecycleRepository):
    """LifecycleRepository over a MemoryUnitOfWork (changes are saved when it commits)."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def next_cohort_batch(self, after: UUID | None, size: int) -> UUID | None:
        if size < 1:
            raise ValueError("a batch holds at least one cohort")
        ids = sorted(c.id for c in self._cohorts(after, None, lambda c: True))
        if not ids:
            return None
        return ids[min(size, len(ids)) - 1]

    def begin_cohorts(
        self, day: date, at: datetime, *, after: UUID | None = None, upto: UUID | None = None
    ) -> int:
        cohorts = self._cohorts(
            after, upto, lambda c: c.status in self.COHORT_BEGINS_FROM and c.start_date <= day
        )
        for cohort in cohorts:
            before = cohort.status
            cohort.begin()
            if cohort.current_enrolments == 0:
                cohort.attention = self.EMPTY_COHORT_ATTENTION
            changes = {"status": [before, cohort.status], "attention": cohort.attention}
            self._audit(self.BEGIN_COHORT, cohort, day, at, changes)
        return len(cohorts)

    def start_enrolments(
        self, day: date, at: datetime, *, after: UUID | None = None, upto: UUID | None = None
    ) -> int:
        cohorts = self._by_id(
            after, upto, lambda c: c.status in self.COHORT_UNDER_WAY and c.start_date <= day
        )
        sources = source_states(Trigger.START)

        def due(e: m.Enrolment) -> bool:
            cohort = cohorts.get(e.cohort_id)
            return (
                cohort is not None
                and e.status in sources
                and (e.start_date or cohort.start_date) <= day
            )

        enrolments = self._uow.select(m.Enrolment, due, lambda e: e.id)
        for enrolment in enrolments:
            cohort = cohorts[enrolment.cohort_id]
            before = enrolment.status
            with _quietly(enrolment):
                enrolment.start(cohort.start_date)
            self._follow_seat(cohort, before, enrolment.status)
            changes = {"status": [before, enrolment.status], "start_date": enrolment.start_date}
            self._audit(self.START_ENROLMENT, enrolment, day, at, changes)
        return len(enrolments)

    def complete_enrolments(
        self, day: date, at: datetime, *, after: UUID | None = None, upto: UUID | None = None
    ) -> int:
        cohorts = self._by_id(
            after, upto, lambda c: c.status in self.COHORT_UNDER_WAY and c.end_date < day
        )
        sources = source_states(Trigger.COMPLETE)
        enrolments = self._uow.select(
            m.Enrolment,
            lambda e: e.cohort_id in cohorts and e.status in sources,
            lambda e: e.id,
        )
        for enrolment in enrolments:
            cohort = cohorts[enrolment.cohort_id]
            before = enrolment.status
            on = max(cohort.end_date, enrolment.start_date or cohort.end_date)
            with _quietly(enrolment):
                enrolment.complete(on)
            self._follow_seat(cohort, before, enrolment.status)
            changes = {"status": [before, enrolment.status], "end_date": enrolment.end_date}
            self._audit(self.COMPLETE_ENROLMENT, enrolment, day, at, changes)
        return len(enrolments)

    def complete_cohorts(
        self, day: date, at: datetime, *, after: UUID | None = None, upto: UUID | None = None
    ) -> int:
        cohorts = self._cohorts(
            after, upto, lambda c: c.status in self.COHORT_COMPLETES_FROM and c.end_date < day
        )
        for cohort in cohorts:
            before = cohort.status
            cohort.complete()
            self._audit(self.COMPLETE_COHORT, cohort, day, at, {"status": [before, cohort.status]})
        return len(cohorts)

    def complete_sessions(
        self, day: date, at: datetime, *, after: UUID | None = None, upto: UUID | None = None
    ) -> int:
        cohorts = self._by_id(after, upto, lambda c: c.status in self.COHORT_HOLDS_SESSIONS)
        sessions = self._uow.select(
            m.Session,
            lambda s: (
                s.cohort_id in cohorts
                and s.status in self.SESSION_COMPLETES_FROM
                and s.scheduled_date < day
            ),
            lambda s: s.id,
        )
        for session in sessions:
            before = session.status
            with _quietly(session):
                # Its own end time again: complete() sets actual_end_time, which stays as is.
                session.complete(session.actual_end_time)
            self._audit(
                self.COMPLETE_SESSION, session, day, at, {"status": [before, session.status]}
            )
        return len(sessions)

    # -- helpers --------------------------------------------------------------------------

    def _cohorts(
        self, after: UUID | None, upto: UUID | None, where: Callable[[m.Cohort], bool]
    ) -> list[m.Cohort]:
        return self._uow.select(
            m.Cohort, lambda c: _in_range(c.id, after, upto) and where(c), lambda c: c.id
        )

    def _by_id(
        self, after: UUID | None, upto: UUID | None, where: Callable[[m.Cohort], bool]
    ) -> dict[UUID, m.Cohort]:
        return {c.id: c for c in self._cohorts(after, upto, where)}

    @staticmethod
    def _follow_seat(cohort: m.Cohort, before: EnrolmentStatus, after: EnrolmentStatus) -> None:
        held, holds = before in SEAT_HOLDING_STATES, after in SEAT_HOLDING_STATES
        if held and not holds:
            cohort.release_seat()
        elif holds and not held:
            cohort.take_seat()

    def _audit(
        self, action: str, entity: m.Entity, day: date, at: datetime, changes: dict[str, Any]
    ) -> None:
        self._uow.audit.add(
            m.AuditEntry(
                organisation_id=self._uow.organisation_id,
                actor_staff_id=None,
                action=action,
                entity_type=type(entity).__name__,
                entity_id=entity.id,
                summary=self.SUMMARIES[action].format(day=day.isoformat()),
                changes={key: _json(value) for key, value in changes.items()},
                occurred_at=at,
            )
        )


def _json(value: Any) -> Any:
    # Statuses and dates as the SQL path writes them (JSON strings).
    if isinstance(value, list):
        return [_json(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value
