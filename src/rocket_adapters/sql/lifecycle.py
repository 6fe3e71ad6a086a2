"""The nightly lifecycle on SQL: set-based Core statements, nothing loaded row by row.

Every step is, per source status taken from the rulebook, one statement on Postgres:

    WITH changed AS (UPDATE enrolments SET ... FROM cohorts WHERE ... RETURNING ...),
         audited AS (INSERT INTO audit_log (...) SELECT gen_random_uuid(), ... FROM changed),
         seats AS (UPDATE cohorts SET current_enrolments = ... FROM (counts of changed) ...)
    SELECT count(*) FROM changed

so the audit rows are exactly the rows changed, in one snapshot. An enrolment or session
statement names its batch's cohort ids first (``cohort_id = ANY(<array of ids>)``, an
InitPlan), so Postgres reads the batch's rows through ``idx_enrolment_cohort`` (or
``idx_session_cohort``) instead of every row in the status (see docs/benchmarks.md). SQLite
has no data-modifying WITH: the same predicates run as INSERT INTO audit_log ... SELECT,
then the seat count, then the UPDATE, in the same transaction (SQLite has one writer, so
nothing moves in between). Memory use does not depend on how many rows match; batches of
cohorts (``after``/``upto``) keep each transaction small.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

import sqlalchemy as sa

from rocket_adapters.sql import tables as t
from rocket_adapters.sql.types import Instant
from rocket_core.enrolment_machine import (
    SEAT_HOLDING_STATES,
    EnrolmentStatus,
    Trigger,
    destination,
    source_states,
)
from rocket_core.model import CohortStatus, SessionStatus
from rocket_core.ports import LifecycleRepository

if TYPE_CHECKING:
    from rocket_adapters.sql.unit_of_work import SqlUnitOfWork

_enrolments = t.enrolments
_cohorts = t.cohorts
_sessions = t.sessions
_audit = t.audit_log
_AUDIT_COLUMNS = [
    "id",
    "organisation_id",
    "actor_staff_id",
    "action",
    "entity_type",
    "entity_id",
    "summary",
    "changes",
    "occurred_at",
]


def _cohort_range(
    after: UUID | None, upto: UUID | None, cohorts: Any = _cohorts.c
) -> list[sa.ColumnElement[bool]]:
    where = []
    if after is not None:
        where.append(cohorts.id > after)
    if upto is not None:
        where.append(cohorts.id <= upto)
    return where


#: The cohort conditions of an enrolment step, for the cohorts' columns (or an alias's).
CohortWhere = Callable[[Any], list[sa.ColumnElement[bool]]]


class SqlLifecycleRepository(LifecycleRepository):
    """LifecycleRepository over a SqlUnitOfWork's transaction."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    @property
    def _org(self) -> UUID:
        return self._uow.organisation_id

    @property
    def _postgres(self) -> bool:
        return self._uow.database.dialect == "postgresql"

    # -- the port -------------------------------------------------------------------------

    def next_cohort_batch(self, after: UUID | None, size: int) -> UUID | None:
        if size < 1:
            raise ValueError("a batch holds at least one cohort")
        page = (
            sa.select(_cohorts.c.id)
            .where(_cohorts.c.organisation_id == self._org, *_cohort_range(after, None))
            .order_by(_cohorts.c.id)
            .limit(size)
            .subquery()
        )
        last = sa.select(page.c.id).order_by(page.c.id.desc()).limit(1)
        found: UUID | None = self._uow.execute(last).scalar_one_or_none()
        return found

    def begin_cohorts(
        self, day: date, at: datetime, *, after: UUID | None = None, upto: UUID | None = None
    ) -> int:
        c = _cohorts.c
        attention = sa.case(
            (c.current_enrolments == 0, sa.literal(self.EMPTY_COHORT_ATTENTION, sa.String)),
            else_=c.attention,
        )
        changed = 0
        for source in sorted(self.COHORT_BEGINS_FROM):
            changed += self._move_cohorts(
                self.BEGIN_COHORT,
                source,
                CohortStatus.IN_PROGRESS,
                [c.start_date <= day, *_cohort_range(after, upto)],
                {"attention": attention},
                day,
                at,
            )
        return changed

    def complete_cohorts(
        self, day: date, at: datetime, *, after: UUID | None = None, upto: UUID | None = None
    ) -> int:
        c = _cohorts.c
        changed = 0
        for source in sorted(self.COHORT_COMPLETES_FROM):
            changed += self._move_cohorts(
                self.COMPLETE_COHORT,
                source,
                CohortStatus.COMPLETED,
                [c.end_date < day, *_cohort_range(after, upto)],
                {},
                day,
                at,
            )
        return changed

    def start_enrolments(
        self, day: date, at: datetime, *, after: UUID | None = None, upto: UUID | None = None
    ) -> int:
        e, c = _enrolments.c, _cohorts.c
        start = sa.func.coalesce(e.start_date, c.start_date)
        return self._move_enrolments(
            Trigger.START,
            self.START_ENROLMENT,
            cohort_where=lambda c: [c.start_date <= day, *_cohort_range(after, upto, c)],
            where=[start <= day],
            column="start_date",
            value=start,
            day=day,
            at=at,
        )

    def complete_enrolments(
        self, day: date, at: datetime, *, after: UUID | None = None, upto: UUID | None = None
    ) -> int:
        e, c = _enrolments.c, _cohorts.c
        # The cohort's end date, never before the enrolment's own start (a late joiner).
        end = sa.case((e.start_date > c.end_date, e.start_date), else_=c.end_date)
        return self._move_enrolments(
            Trigger.COMPLETE,
            self.COMPLETE_ENROLMENT,
            cohort_where=lambda c: [c.end_date < day, *_cohort_range(after, upto, c)],
            where=[],
            column="end_date",
            value=end,
            day=day,
            at=at,
        )

    def complete_sessions(
        self, day: date, at: datetime, *, after: UUID | None = None, upto: UUID | None = None
    ) -> int:
        changed = 0
        for source in sorted(self.SESSION_COMPLETES_FROM):
            changed += self._move_sessions(
                source, SessionStatus.COMPLETED, day, at, after=after, upto=upto
            )
        return changed

    # -- cohorts --------------------------------------------------------------------------

    def _move_cohorts(
        self,
        action: str,
        source: CohortStatus,
        target: CohortStatus,
        where: Sequence[sa.ColumnElement[bool]],
        values: dict[str, Any],
        day: date,
        at: datetime,
    ) -> int:
        c = _cohorts.c
        scope = [c.organisation_id == self._org, c.status == source, *where]
        new_values = {"status": target, "version": c.version + 1, **values}
        if self._postgres:
            update = (
                sa.update(_cohorts)
                .where(*scope)
                .values(new_values)
                .returning(c.id, c.attention)
                .cte("changed")
            )
            changes = self._changes(
                source, target, {"attention": update.c.attention} if values else {}
            )
            audit = self._audit_rows(action, "Cohort", update.c.id, changes, day, at)
            audited = self._insert_audit(audit.select_from(update)).cte("audited")
            return self._changed(update, audited)
        rows = sa.select(c.id).where(*scope)
        after_values = {"attention": values["attention"]} if values else {}
        changes = self._changes(source, target, after_values)
        audit = self._audit_rows(action, "Cohort", c.id, changes, day, at).where(*scope)
        inserted = self._count(self._insert_audit(audit))
        self._uow.execute(sa.update(_cohorts).where(c.id.in_(rows)).values(new_values))
        return inserted

    # -- enrolments -----------------------------------------------------------------------

    def _move_enrolments(
        self,
        trigger: Trigger,
        action: str,
        *,
        cohort_where: CohortWhere,
        where: Sequence[sa.ColumnElement[bool]],
        column: str,
        value: sa.ColumnElement[Any],
        day: date,
        at: datetime,
    ) -> int:
        changed = 0
        for source in sorted(source_states(trigger)):
            changed += self._move_enrolments_from(
                source,
                destination(source, trigger),
                action,
                cohort_where=cohort_where,
                where=where,
                column=column,
                value=value,
                day=day,
                at=at,
            )
        return changed

    def _move_enrolments_from(
        self,
        source: EnrolmentStatus,
        target: EnrolmentStatus,
        action: str,
        *,
        cohort_where: CohortWhere,
        where: Sequence[sa.ColumnElement[bool]],
        column: str,
        value: sa.ColumnElement[Any],
        day: date,
        at: datetime,
    ) -> int:
        e, c = _enrolments.c, _cohorts.c
        alias = _cohorts.alias("due").c

        def cohorts_due(cohort: Any) -> list[sa.ColumnElement[bool]]:
            return [
                cohort.organisation_id == self._org,
                cohort.status.in_(sorted(self.COHORT_UNDER_WAY)),
                *cohort_where(cohort),
            ]

        # The batch's cohort ids first (an InitPlan on Postgres, whose enrolments are then
        # found through idx_enrolment_cohort): each statement reads its batch's enrolments,
        # not every enrolment in the status.
        due_ids = sa.select(alias.id).where(*cohorts_due(alias))
        if self._postgres:
            ids = sa.select(sa.func.array_agg(alias.id)).where(*cohorts_due(alias))
            in_batch = e.cohort_id == sa.any_(sa.cast(ids.scalar_subquery(), sa.ARRAY(sa.Uuid)))
        else:
            in_batch = e.cohort_id.in_(due_ids)
        scope = [
            e.organisation_id == self._org,
            e.status == source,
            in_batch,
            c.id == e.cohort_id,
            *cohorts_due(c),
            *where,
        ]
        seats = int(target in SEAT_HOLDING_STATES) - int(source in SEAT_HOLDING_STATES)
        new_values = {"status": target, column: value, "version": e.version + 1}
        if self._postgres:
            update = (
                sa.update(_enrolments)
                .where(*scope)
                .values(new_values)
                .returning(e.id, e.cohort_id, _enrolments.c[column].label("value"))
                .cte("changed")
            )
            changes = self._changes(source, target, {column: update.c.value})
            audit = self._audit_rows(action, "Enrolment", update.c.id, changes, day, at)
            ctes = [self._insert_audit(audit.select_from(update)).cte("audited")]
            if seats:
                counts = (
                    sa.select(update.c.cohort_id, sa.func.count().label("n"))
                    .group_by(update.c.cohort_id)
                    .subquery("counts")
                )
                recount = (
                    sa.update(_cohorts)
                    .where(c.organisation_id == self._org, c.id == counts.c.cohort_id)
                    .values(
                        current_enrolments=c.current_enrolments + seats * counts.c.n,
                        version=c.version + 1,
                    )
                    .cte("seats")
                )
                ctes.append(recount)
            return self._changed(update, *ctes)
        audit = self._audit_rows(
            action, "Enrolment", e.id, self._changes(source, target, {column: value}), day, at
        )
        inserted = self._count(self._insert_audit(audit.where(*scope)))
        if inserted and seats:
            moving = (
                sa.select(sa.func.count()).select_from(_enrolments).where(*scope).scalar_subquery()
            )
            self._uow.execute(
                sa.update(_cohorts)
                .where(
                    c.id.in_(sa.select(e.cohort_id).select_from(_enrolments).where(*scope)),
                    c.organisation_id == self._org,
                )
                .values(
                    current_enrolments=c.current_enrolments + seats * moving,
                    version=c.version + 1,
                )
            )
        if inserted:
            # UPDATE ... FROM cohorts: the values read the cohort's dates.
            self._uow.execute(sa.update(_enrolments).where(*scope).values(new_values))
        return inserted

    # -- sessions -------------------------------------------------------------------------

    def _move_sessions(
        self,
        source: SessionStatus,
        target: SessionStatus,
        day: date,
        at: datetime,
        *,
        after: UUID | None,
        upto: UUID | None,
    ) -> int:
        s = _sessions.c
        alias = _cohorts.alias("held").c
        held = [
            alias.organisation_id == self._org,
            alias.status.in_(sorted(self.COHORT_HOLDS_SESSIONS)),
            *_cohort_range(after, upto, alias),
        ]
        # The batch's cohort ids first, as for enrolments: sessions through idx_session_cohort.
        if self._postgres:
            ids = sa.select(sa.func.array_agg(alias.id)).where(*held)
            in_batch = s.cohort_id == sa.any_(sa.cast(ids.scalar_subquery(), sa.ARRAY(sa.Uuid)))
        else:
            in_batch = s.cohort_id.in_(sa.select(alias.id).where(*held))
        scope = [
            s.organisation_id == self._org,
            s.status == source,
            s.scheduled_date < day,
            in_batch,
        ]
        new_values = {"status": target, "version": s.version + 1}
        changes = self._changes(source, target, {})
        action = self.COMPLETE_SESSION
        if self._postgres:
            update = (
                sa.update(_sessions).where(*scope).values(new_values).returning(s.id).cte("changed")
            )
            audit = self._audit_rows(action, "Session", update.c.id, changes, day, at)
            audited = self._insert_audit(audit.select_from(update)).cte("audited")
            return self._changed(update, audited)
        audit = self._audit_rows(action, "Session", s.id, changes, day, at).where(*scope)
        inserted = self._count(self._insert_audit(audit))
        if inserted:
            self._uow.execute(sa.update(_sessions).where(*scope).values(new_values))
        return inserted

    # -- the audit rows -------------------------------------------------------------------

    def _changes(
        self,
        source: CohortStatus | EnrolmentStatus | SessionStatus,
        target: CohortStatus | EnrolmentStatus | SessionStatus,
        values: dict[str, sa.ColumnElement[Any]],
    ) -> sa.ColumnElement[Any]:
        """``{"status": [source, target], <field>: <value after>}`` as a JSON object."""
        build_object, build_array = (
            (sa.func.jsonb_build_object, sa.func.jsonb_build_array)
            if self._postgres
            else (sa.func.json_object, sa.func.json_array)
        )
        pairs: list[Any] = [
            sa.literal("status", sa.String),
            build_array(sa.literal(source.value, sa.String), sa.literal(target.value, sa.String)),
        ]
        for name, value in values.items():
            pairs += [sa.literal(name, sa.String), value]
        return build_object(*pairs)

    def _audit_rows(
        self,
        action: str,
        entity_type: str,
        entity_id: sa.ColumnElement[Any],
        changes: sa.ColumnElement[Any],
        day: date,
        at: datetime,
    ) -> sa.Select[Any]:
        new_id: sa.ColumnElement[Any] = (
            sa.func.gen_random_uuid()
            if self._postgres
            else sa.func.lower(sa.func.hex(sa.func.randomblob(16)))
        )
        return sa.select(
            new_id,
            sa.literal(self._org, sa.Uuid),
            sa.cast(sa.null(), sa.Uuid),
            sa.literal(action, sa.String),
            sa.literal(entity_type, sa.String),
            entity_id,
            sa.literal(self.SUMMARIES[action].format(day=day.isoformat()), sa.String),
            changes,
            sa.literal(at, Instant()),
        )

    @staticmethod
    def _insert_audit(rows: sa.Select[Any]) -> sa.Insert:
        return sa.insert(_audit).from_select(_AUDIT_COLUMNS, rows)

    def _changed(self, changed: sa.CTE, *also: sa.CTE) -> int:
        """Run ``WITH changed AS (UPDATE ...), <also> SELECT count(*) FROM changed`` (Postgres
        runs every data-modifying WITH to completion, read or not)."""
        count = sa.select(sa.func.count()).select_from(changed).add_cte(*also)
        return int(self._uow.execute(count).scalar_one())

    def _count(self, statement: sa.Insert) -> int:
        result = self._uow.execute(statement)
        return int(cast(sa.CursorResult[Any], result).rowcount)
