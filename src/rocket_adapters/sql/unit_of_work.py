"""The SQL unit of work: one SQLAlchemy session, one database transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy import orm

from rocket_adapters.sql import repositories as r
from rocket_adapters.sql.errors import domain_errors
from rocket_adapters.sql.lifecycle import SqlLifecycleRepository
from rocket_adapters.sql.mapping import is_versioned
from rocket_adapters.sql.reports import SqlReportingRepository
from rocket_adapters.sql.term_invoicing import SqlTermInvoicingRepository
from rocket_core import model as m
from rocket_core.errors import Conflict, Forbidden
from rocket_core.ports import UnitOfWork

if TYPE_CHECKING:
    from rocket_adapters.sql.database import Database

E = TypeVar("E", bound=m.Entity)
#: The key of a session's ``info`` naming its unit of work.
UNIT_OF_WORK = "rocket_unit_of_work"


def _owner(entity: m.Entity) -> UUID:
    return entity.id if isinstance(entity, m.Organisation) else entity.organisation_id  # type: ignore[attr-defined]


class SqlUnitOfWork(UnitOfWork):
    """A transaction in one organisation over a Database.

    SQLAlchemy's session is the identity map and the change tracker. ``commit`` flushes and
    commits; leaving the ``with`` block otherwise closes the session, which rolls the
    transaction back. Objects keep their values after the transaction (no expiry), and
    changing them then writes nothing. Versioned entities get ``version + 1`` once per
    transaction that changes them, and every UPDATE checks the version it loaded.
    """

    def __init__(self, database: Database, organisation_id: UUID) -> None:
        self.database = database
        self.organisation_id = organisation_id
        self._session: orm.Session | None = None
        self._bumped: set[int] = set()
        # SQLAlchemy's identity map holds clean objects weakly: keep every entity handed out
        # or added alive for the transaction, so that their recorded events are collected.
        self._entities: dict[int, m.Entity] = {}
        self._seen: list[m.Entity] = []
        self.organisations = r.SqlOrganisationRepository(self, m.Organisation)
        self.campuses = r.SqlCampusRepository(self, m.Campus)
        self.staff = r.SqlStaffRepository(self, m.Staff)
        self.campus_staff = r.SqlCampusStaffRepository(self, m.CampusStaff)
        self.programs = r.SqlProgramRepository(self, m.Program)
        self.cohorts = r.SqlCohortRepository(self, m.Cohort)
        self.cohort_staff = r.SqlCohortStaffRepository(self, m.CohortStaff)
        self.sessions = r.SqlSessionRepository(self, m.Session)
        self.session_staff = r.SqlSessionStaffRepository(self, m.SessionStaff)
        self.families = r.SqlFamilyRepository(self, m.Family)
        self.students = r.SqlStudentRepository(self, m.Student)
        self.enrolments = r.SqlEnrolmentRepository(self, m.Enrolment)
        self.makeup_tokens = r.SqlMakeupTokenRepository(self, m.MakeupToken)
        self.attendance = r.SqlAttendanceRepository(self, m.Attendance)
        self.skill_trees = r.SqlSkillTreeRepository(self, m.SkillTree)
        self.skill_nodes = r.SqlSkillNodeRepository(self, m.SkillNode)
        self.skill_progress = r.SqlSkillProgressRepository(self, m.SkillProgress)
        self.projects = r.SqlProjectSubmissionRepository(self, m.ProjectSubmission)
        self.invoices = r.SqlInvoiceRepository(self, m.Invoice)
        self.payments = r.SqlPaymentRepository(self, m.Payment)
        self.allocations = r.SqlPaymentAllocationRepository(self, m.PaymentAllocation)
        self.refunds = r.SqlRefundRepository(self, m.Refund)
        self.credit_notes = r.SqlCreditNoteRepository(self, m.CreditNote)
        self.webhook_events = r.SqlWebhookEventRepository(self, m.WebhookEvent)
        self.messages = r.SqlMessageRepository(self, m.Message)
        self.notifications = r.SqlNotificationRepository(self, m.Notification)
        self.staff_sessions = r.SqlStaffSessionRepository(self, m.StaffSession)
        self.audit = r.SqlAuditLog(self, m.AuditEntry)
        self.lifecycle = SqlLifecycleRepository(self)
        self.term_invoicing = SqlTermInvoicingRepository(self)
        self.reports = SqlReportingRepository(self)

    # -- transaction ----------------------------------------------------------------------

    def begin(self) -> None:
        if self._session is not None:
            raise Conflict("this unit of work is already in a transaction")
        session = self.database.sessions(info={UNIT_OF_WORK: self})
        self._session, self._bumped, self._entities, self._seen = session, set(), {}, []
        if self.database.dialect == "postgresql":
            with domain_errors():
                session.execute(
                    sa.text("SELECT set_config('rocket.organisation_id', :org, true)"),
                    {"org": str(self.organisation_id)},
                )

    def commit(self) -> None:
        session = self.session
        try:
            with domain_errors():
                session.commit()
        except BaseException:
            self.rollback()
            raise
        self._seen = list(self._entities.values())
        self._entities = {}
        session.close()
        self._session = None

    def rollback(self) -> None:
        # close() rolls the transaction back and detaches the objects without expiring them.
        if self._session is not None:
            self._session.close()
            self._session = None
            self._entities, self._seen = {}, []

    def seen(self) -> Iterable[m.Entity]:
        if self._session is not None:
            return list(self._entities.values())
        return list(self._seen)

    @property
    def session(self) -> orm.Session:
        """The transaction's session; Conflict outside a ``with`` block."""
        if self._session is None:
            raise Conflict("no transaction: use the unit of work in a `with` block")
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

    def execute(self, statement: Any, parameters: Any = None) -> sa.Result[Any]:
        """Run a Core statement in this transaction (``parameters``: a list of rows for an
        executemany)."""
        session = self.session
        with domain_errors():
            return session.execute(statement, parameters)
