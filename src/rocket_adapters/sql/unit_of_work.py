"""The SQL unit of work: one SQLAlchemy session, one database transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy import orm

from rocket_adapters.sql import repositories as r
from rocket_adapters.sql.errors import domain_errors
from rocket_adapters.sql.lifecycle import SqlLifecycleRepository
from rocket_adapters.sql.mapping import is_versioned
from rocket_adapters.sql.reports import SqlReportingRepository
from rocket_adapters.sql.rolls import SqlRollRepository
from rocket_adapters.sql.term_invoicing import SqlTermInvoicingRepository
from rocket_core import model as m
from rocket_core.errors import Conflict, Forbidden
from rocket_core.ports import UnitOfWork

if TYPE_CHECKING:
    from rocket_adapters.sql.database import Database

E = TypeVar("E", bound=m.Entity)
#: The key of a session's ``info`` naming its unit of work.
UNIT_OF_WORK = "rocket_unit_of_work"


R = TypeVar("R")


class _Lazy(Generic[R]):
    """A unit of work's repository, made on first use and kept on the instance."""

    def __init__(self, make: Callable[[SqlUnitOfWork], R]) -> None:
        self._make = make
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, uow: None, owner: type) -> _Lazy[R]: ...

    @overload
    def __get__(self, uow: SqlUnitOfWork, owner: type) -> R: ...

    def __get__(self, uow: SqlUnitOfWork | None, owner: type) -> _Lazy[R] | R:
        if uow is None:
            return self
        made = uow.__dict__[self._name] = self._make(uow)
        return made


def _owner(entity: m.Entity) -> UUID:
    return entity.id if isinstance(entity, m.Organisation) else entity.organisation_id  # type: ignore[attr-defined]


#: Row-level security's organisation for the transaction (Postgres).
_SET_ORGANISATION = sa.select(
    sa.func.set_config("rocket.organisation_id", sa.bindparam("org", type_=sa.String), sa.true())
)


class SqlUnitOfWork(UnitOfWork):
    """A transaction in one organisation over a Database.

    SQLAlchemy's session is the identity map and the change tracker. ``commit`` flushes and
    commits; leaving the ``with`` block otherwise closes the session, which rolls the
    transaction back. Objects keep their values after the transaction (no expiry), and
    changing them then writes nothing. Versioned entities get ``version + 1`` once per
    transaction that changes them, and every UPDATE checks the version it loaded.
    """

    # Repositories are made on first use: a request uses two or three of them, and making
    # all of them for every unit of work cost more than a query.
    organisations = _Lazy(lambda uow: r.SqlOrganisationRepository(uow, m.Organisation))
    campuses = _Lazy(lambda uow: r.SqlCampusRepository(uow, m.Campus))
    staff = _Lazy(lambda uow: r.SqlStaffRepository(uow, m.Staff))
    campus_staff = _Lazy(lambda uow: r.SqlCampusStaffRepository(uow, m.CampusStaff))
    programs = _Lazy(lambda uow: r.SqlProgramRepository(uow, m.Program))
    cohorts = _Lazy(lambda uow: r.SqlCohortRepository(uow, m.Cohort))
    cohort_staff = _Lazy(lambda uow: r.SqlCohortStaffRepository(uow, m.CohortStaff))
    sessions = _Lazy(lambda uow: r.SqlSessionRepository(uow, m.Session))
    session_staff = _Lazy(lambda uow: r.SqlSessionStaffRepository(uow, m.SessionStaff))
    families = _Lazy(lambda uow: r.SqlFamilyRepository(uow, m.Family))
    students = _Lazy(lambda uow: r.SqlStudentRepository(uow, m.Student))
    enrolments = _Lazy(lambda uow: r.SqlEnrolmentRepository(uow, m.Enrolment))
    makeup_tokens = _Lazy(lambda uow: r.SqlMakeupTokenRepository(uow, m.MakeupToken))
    attendance = _Lazy(lambda uow: r.SqlAttendanceRepository(uow, m.Attendance))
    skill_trees = _Lazy(lambda uow: r.SqlSkillTreeRepository(uow, m.SkillTree))
    skill_nodes = _Lazy(lambda uow: r.SqlSkillNodeRepository(uow, m.SkillNode))
    skill_progress = _Lazy(lambda uow: r.SqlSkillProgressRepository(uow, m.SkillProgress))
    projects = _Lazy(lambda uow: r.SqlProjectSubmissionRepository(uow, m.ProjectSubmission))
    invoices = _Lazy(lambda uow: r.SqlInvoiceRepository(uow, m.Invoice))
    payments = _Lazy(lambda uow: r.SqlPaymentRepository(uow, m.Payment))
    allocations = _Lazy(lambda uow: r.SqlPaymentAllocationRepository(uow, m.PaymentAllocation))
    refunds = _Lazy(lambda uow: r.SqlRefundRepository(uow, m.Refund))
    credit_notes = _Lazy(lambda uow: r.SqlCreditNoteRepository(uow, m.CreditNote))
    webhook_events = _Lazy(lambda uow: r.SqlWebhookEventRepository(uow, m.WebhookEvent))
    messages = _Lazy(lambda uow: r.SqlMessageRepository(uow, m.Message))
    notifications = _Lazy(lambda uow: r.SqlNotificationRepository(uow, m.Notification))
    staff_sessions = _Lazy(lambda uow: r.SqlStaffSessionRepository(uow, m.StaffSession))
    audit = _Lazy(lambda uow: r.SqlAuditLog(uow, m.AuditEntry))
    lifecycle = _Lazy(lambda uow: SqlLifecycleRepository(uow))
    term_invoicing = _Lazy(lambda uow: SqlTermInvoicingRepository(uow))
    reports = _Lazy(lambda uow: SqlReportingRepository(uow))
    rolls = _Lazy(lambda uow: SqlRollRepository(uow))

    def __init__(self, database: Database, organisation_id: UUID) -> None:
        self.database = database
        self.organisation_id = organisation_id
        self._connection: sa.Connection | None = None
        self._transaction: sa.RootTransaction | None = None
        self._session: orm.Session | None = None
        self._bumped: set[int] = set()
        # SQLAlchemy's identity map holds clean objects weakly: keep every entity handed out
        # or added alive for the transaction, so that their recorded events are collected.
        self._entities: dict[int, m.Entity] = {}
        self._seen: list[m.Entity] = []

    # -- transaction ----------------------------------------------------------------------

    def begin(self) -> None:
        if self._connection is not None:
            raise Conflict("this unit of work is already in a transaction")
        with domain_errors():
            connection = self.database.engine.connect()
            try:
                self._transaction = connection.begin()
            except BaseException:
                connection.close()
                raise
        self._connection = connection
        self._session, self._bumped, self._entities, self._seen = None, set(), {}, []
        self.drop_recorded()
        if self.database.dialect == "postgresql":
            with domain_errors():
                self.database.direct[_SET_ORGANISATION].rows(
                    connection, {"org": str(self.organisation_id)}
                )

    def commit(self) -> None:
        connection, transaction = self.connection, self._transaction
        try:
            with domain_errors():
                if self._session is not None:
                    self._session.commit()  # flushes; the connection's transaction stays open
                if transaction is not None:
                    transaction.commit()
        except BaseException:
            self.rollback()
            raise
        self._seen = list(self._entities.values())
        self._entities = {}
        self._end(connection)

    def rollback(self) -> None:
        # Closing the session detaches the objects without expiring them; closing the
        # connection rolls its transaction back.
        if self._connection is not None:
            self._end(self._connection)
            self._entities, self._seen = {}, []
            self.drop_recorded()

    def _end(self, connection: sa.Connection) -> None:
        if self._session is not None:
            self._session.close()
        connection.close()
        self._session, self._connection, self._transaction = None, None, None

    def seen(self) -> Iterable[m.Entity]:
        if self._connection is not None:
            return list(self._entities.values())
        return list(self._seen)

    @property
    def connection(self) -> sa.Connection:
        """The transaction's connection; Conflict outside a ``with`` block."""
        if self._connection is None:
            raise Conflict("no transaction: use the unit of work in a `with` block")
        return self._connection

    @property
    def session(self) -> orm.Session:
        """The transaction's ORM session, made on first use and bound to the transaction's
        connection (a use case that reads and writes only through Core, as the roll and
        authentication do, never makes one); Conflict outside a ``with`` block."""
        if self._session is None:
            self._session = self.database.sessions(bind=self.connection, info={UNIT_OF_WORK: self})
        return self._session

    def bump_versions(self, session: orm.Session) -> None:
        """Before a flush: ``version + 1`` on each versioned entity it changes (once per
        transaction); called by the Database's ``before_flush`` listener."""
        for entity in session.dirty:
            if (
                id(entity) not in self._bumped
                and is_versioned(entity)
                and session.is_modified(entity)
            ):
                entity.version += 1
                self._bumped.add(id(entity))

    # -- what repositories use ------------------------------------------------------------

    def track_new(self, entity: m.Entity) -> None:
        """Add a new entity of this organisation to the transaction."""
        session = self.session
        if _owner(entity) != self.organisation_id:
            raise Forbidden(f"{type(entity).__name__} belongs to another organisation")
        if entity in session:
            raise Conflict(f"{type(entity).__name__} {entity.id} is already in this transaction")
        session.add(entity)
        self._entities[id(entity)] = entity

    def remove(self, entity: m.Entity) -> None:
        """Delete a join record of this transaction."""
        session = self.session
        if entity not in session:
            raise Conflict(f"{type(entity).__name__} {entity.id} is not in this transaction")
        session.delete(entity)

    def rows(self, statement: sa.Select[Any]) -> Sequence[Any]:
        """The entities a select finds, this transaction's own changes included."""
        session = self.session
        with domain_errors():
            found = session.scalars(statement).all()
        self._entities.update((id(entity), entity) for entity in found)
        return found

    def tuples(self, statement: sa.Executable) -> Sequence[Any]:
        """The rows of a select of several entities (and columns), each entity kept in the
        transaction as ``rows`` keeps them."""
        session = self.session
        with domain_errors():
            found = session.execute(statement).all()
        for row in found:
            self._entities.update(
                (id(value), value) for value in row if isinstance(value, m.Entity)
            )
        return found

    def one(self, statement: sa.Select[Any]) -> Any:
        """The first entity a select finds, or None."""
        found = self.rows(statement.limit(1))
        return found[0] if found else None

    def values(self, statement: sa.ClauseElement, parameters: dict[str, Any]) -> Sequence[Any]:
        """The rows of a hot Core select built once (``direct.Direct``: compiled once, run on
        the driver's cursor in this transaction, without the ORM: ``rolls.py``); this
        transaction's changes are flushed first, so that they are seen."""
        with domain_errors():
            return self.database.direct[statement].rows(self._flushed(), parameters)

    def write(self, statement: sa.ClauseElement, rows: list[dict[str, Any]]) -> int:
        """Run a hot Core INSERT or UPDATE built once for many rows, as ``values`` runs a
        select (set-based writes: ``rolls.py``); the number of rows it changed."""
        with domain_errors():
            return self.database.direct[statement].run_many(self._flushed(), rows)

    def _flushed(self) -> sa.Connection:
        """The transaction's connection, once the session's pending changes (if it has one)
        are flushed."""
        connection = self.connection
        if self._session is not None:
            self._session.flush()
        return connection

    def execute(self, statement: Any, parameters: Any = None) -> sa.Result[Any]:
        """Run a Core statement in this transaction (``parameters``: a list of rows for an
        executemany)."""
        session = self.session
        with domain_errors():
            return session.execute(statement, parameters)
