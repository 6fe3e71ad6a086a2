"""SQL repositories: each port's lookups as SELECTs scoped to the unit of work's organisation."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from rocket_adapters.sql import tables as t
from rocket_adapters.sql.mapping import TABLE_OF
from rocket_core import model as m
from rocket_core import ports
from rocket_core.enrolment_machine import TERMINAL_STATES, EnrolmentStatus
from rocket_core.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from rocket_adapters.sql.unit_of_work import SqlUnitOfWork

E = TypeVar("E", bound=m.Entity)


class SqlRepository(ports.Repository[E], Generic[E]):
    """add / find for one entity type; ``_select`` starts every query in the organisation."""

    def __init__(self, uow: SqlUnitOfWork, cls: type[E]) -> None:
        self._uow = uow
        self._cls = cls
        self._table = TABLE_OF[cls]
        self.c = self._table.c

    def add(self, entity: E) -> None:
        if not isinstance(entity, self._cls):
            raise TypeError(f"{type(self).__name__} stores {self._cls.__name__} only")
        self._uow.track_new(entity)

    def find(self, entity_id: UUID) -> E | None:
        found: E | None = self._uow.one(self._select(self.c.id == entity_id))
        return found

    def find_many(self, entity_ids: Collection[UUID]) -> list[E]:
        wanted = list(set(entity_ids))
        found: list[E] = []
        for start in range(0, len(wanted), 500):  # bounded IN lists
            found.extend(self._uow.rows(self._select(self.c.id.in_(wanted[start : start + 500]))))
        return found

    def _select(self, *where: Any) -> sa.Select[Any]:
        return sa.select(self._cls).where(
            self.c.organisation_id == self._uow.organisation_id, *where
        )

    def _list(self, *where: Any, order: Collection[Any] = ()) -> list[E]:
        statement = self._select(*where).order_by(*order, self.c.id)
        return list(self._uow.rows(statement))

    def _first(self, *where: Any) -> E | None:
        found: E | None = self._uow.one(self._select(*where).order_by(self.c.id))
        return found

    def _page(
        self,
        where: Collection[Any],
        order: Collection[Any],
        limit: int,
        offset: int,
        *,
        source: sa.FromClause | None = None,
    ) -> tuple[list[E], int]:
        """One page of the organisation's entities matching ``where`` in ``order``, and how
        many match in all: two queries. ``source``: the table joined to those the conditions
        also name."""
        source = self._table if source is None else source
        where = [self.c.organisation_id == self._uow.organisation_id, *where]
        page = (
            sa.select(self._cls)
            .select_from(source)
            .where(*where)
            .order_by(*order)
            .offset(max(offset, 0))
            .limit(max(limit, 0))
        )
        count = sa.select(sa.func.count()).select_from(source).where(*where)
        return list(self._uow.rows(page)), int(self._uow.execute(count).scalar_one())


class SqlAssociationRepository(SqlRepository[E], ports.AssociationRepository[E]):
    """Join records, which may be removed."""

    def remove(self, entity: E) -> None:
        self._uow.remove(entity)


class SqlOrganisationRepository(SqlRepository[m.Organisation], ports.OrganisationRepository):
    def _select(self, *where: Any) -> sa.Select[Any]:
        return sa.select(m.Organisation).where(self.c.id == self._uow.organisation_id, *where)

    def current(self) -> m.Organisation:
        found = self.find(self._uow.organisation_id)
        if found is None:
            raise NotFound("Organisation", self._uow.organisation_id)
        return found


class SqlCampusRepository(SqlRepository[m.Campus], ports.CampusRepository):
    def list(self, *, active_only: bool = False) -> list[m.Campus]:
        return self._list(*_active(self.c, active_only), order=[self.c.name])


class SqlStaffRepository(SqlRepository[m.Staff], ports.StaffRepository):
    def find_by_email(self, email: str) -> m.Staff | None:
        return self._first(self.c.email == email.strip().lower())

    def list(self, *, role: m.StaffRole | None = None, active_only: bool = False) -> list[m.Staff]:
        where = [*_active(self.c, active_only)]
        if role is not None:
            where.append(self.c.role == role)
        return self._list(*where, order=[self.c.last_name, self.c.first_name])

    def find_access(self, staff_id: UUID) -> ports.StaffAccess | None:
        org = self._uow.organisation_id
        assigned = _assignments(org, sa.literal(staff_id, sa.Uuid()))
        statement = (
            sa.select(m.Staff, assigned.c.kind, assigned.c.ref)
            .outerjoin(assigned, sa.true())
            .where(self.c.organisation_id == org, self.c.id == staff_id)
        )
        rows = self._uow.tuples(statement)
        return _access(rows[0][0], [(kind, ref) for _, kind, ref in rows]) if rows else None


def _assignments(organisation_id: Any, staff_id: Any) -> sa.Subquery:
    """A staff member's campus, cohort and session assignments as (kind, ref) rows; each
    table read by its staff index (``staff_id``: a value or a scalar subquery)."""
    parts = [
        sa.select(sa.literal(kind).label("kind"), table.c[f"{kind}_id"].label("ref")).where(
            table.c.organisation_id == organisation_id, table.c.staff_id == staff_id
        )
        for kind, table in (
            ("campus", t.campus_staff),
            ("cohort", t.cohort_staff),
            ("session", t.session_staff),
        )
    ]
    return sa.union_all(*parts).subquery("assigned")


def _assigned(
    assignments: Sequence[tuple[str | None, UUID | None]],
) -> dict[str, frozenset[UUID]]:
    """The (kind, ref) rows of ``_assignments`` (None, None: none) as the campus, cohort
    and session ids, by keyword."""
    ids: dict[str, set[UUID]] = {"campus": set(), "cohort": set(), "session": set()}
    for kind, ref in assignments:
        if kind is not None and ref is not None:
            ids[kind].add(ref)
    return {f"{kind}_ids": frozenset(refs) for kind, refs in ids.items()}


def _access(
    staff: m.Staff, assignments: Sequence[tuple[str | None, UUID | None]]
) -> ports.StaffAccess:
    return ports.StaffAccess(staff=staff, **_assigned(assignments))


class SqlCampusStaffRepository(
    SqlAssociationRepository[m.CampusStaff], ports.CampusStaffRepository
):
    def find_assignment(self, campus_id: UUID, staff_id: UUID) -> m.CampusStaff | None:
        return self._first(self.c.campus_id == campus_id, self.c.staff_id == staff_id)

    def list_for_campus(self, campus_id: UUID) -> list[m.CampusStaff]:
        return self._list(self.c.campus_id == campus_id, order=[self.c.assigned_at])

    def list_for_staff(self, staff_id: UUID) -> list[m.CampusStaff]:
        return self._list(self.c.staff_id == staff_id, order=[self.c.assigned_at])


class SqlProgramRepository(SqlRepository[m.Program], ports.ProgramRepository):
    def list(self, *, active_only: bool = False) -> list[m.Program]:
        return self._list(*_active(self.c, active_only), order=[self.c.name])


class SqlCohortRepository(SqlRepository[m.Cohort], ports.CohortRepository):
    def list(
        self,
        *,
        campus_id: UUID | None = None,
        program_id: UUID | None = None,
        statuses: Collection[m.CohortStatus] | None = None,
    ) -> list[m.Cohort]:
        where = []
        if campus_id is not None:
            where.append(self.c.campus_id == campus_id)
        if program_id is not None:
            where.append(self.c.program_id == program_id)
        if statuses is not None:
            where.append(self.c.status.in_(list(statuses)))
        return self._list(*where, order=[self.c.start_date, self.c.name])

    def get_for_update(self, cohort_id: UUID) -> m.Cohort:
        where = self.c.id == cohort_id
        if self._uow.database.dialect == "sqlite":
            # SQLite locks the whole database for writing: a write that changes nothing takes
            # that lock now, and the read below sees everything committed before it.
            self._uow.execute(
                sa.update(self._table)
                .where(where, self.c.organisation_id == self._uow.organisation_id)
                .values(version=self.c.version)
            )
            statement = self._select(where)
        else:
            statement = self._select(where).with_for_update()
        found = self._uow.one(statement.execution_options(populate_existing=True))
        if found is None:
            raise NotFound(self.entity_name, cohort_id)
        return found  # type: ignore[no-any-return]


class SqlCohortStaffRepository(
    SqlAssociationRepository[m.CohortStaff], ports.CohortStaffRepository
):
    def list_for_cohort(self, cohort_id: UUID) -> list[m.CohortStaff]:
        return self._list(self.c.cohort_id == cohort_id, order=[self.c.assigned_at])

    def list_for_staff(self, staff_id: UUID) -> list[m.CohortStaff]:
        return self._list(self.c.staff_id == staff_id, order=[self.c.assigned_at])

    def find_assignment(self, cohort_id: UUID, staff_id: UUID) -> m.CohortStaff | None:
        return self._first(self.c.cohort_id == cohort_id, self.c.staff_id == staff_id)


class SqlSessionRepository(SqlRepository[m.Session], ports.SessionRepository):
    def list_for_cohort(self, cohort_id: UUID) -> list[m.Session]:
        return self._list(self.c.cohort_id == cohort_id, order=[self.c.session_number])

    def list_between(self, first_day: date, last_day: date) -> list[m.Session]:
        return self._list(
            self.c.scheduled_date.between(first_day, last_day),
            order=[self.c.scheduled_date, self.c.scheduled_start_time],
        )

    def list_for_staff(self, staff_id: UUID, first_day: date, last_day: date) -> list[m.Session]:
        org = self._uow.organisation_id
        assisted = sa.select(t.session_staff.c.session_id).where(
            t.session_staff.c.organisation_id == org, t.session_staff.c.staff_id == staff_id
        )
        cohorts = sa.select(t.cohort_staff.c.cohort_id).where(
            t.cohort_staff.c.organisation_id == org, t.cohort_staff.c.staff_id == staff_id
        )
        return self._list(
            self.c.scheduled_date.between(first_day, last_day),
            sa.or_(
                self.c.lead_instructor_id == staff_id,
                self.c.id.in_(assisted),
                self.c.cohort_id.in_(cohorts),
            ),
            order=[self.c.scheduled_date, self.c.scheduled_start_time],
        )


class SqlSessionStaffRepository(
    SqlAssociationRepository[m.SessionStaff], ports.SessionStaffRepository
):
    def list_for_session(self, session_id: UUID) -> list[m.SessionStaff]:
        return self._list(self.c.session_id == session_id, order=[self.c.assigned_at])

    def list_for_staff(self, staff_id: UUID) -> list[m.SessionStaff]:
        return self._list(self.c.staff_id == staff_id, order=[self.c.assigned_at])


class SqlFamilyRepository(SqlRepository[m.Family], ports.FamilyRepository):
    def find_by_email(self, email: str) -> m.Family | None:
        return self._first(self.c.primary_contact_email == email.strip().lower())

    def list(self, *, active_only: bool = False) -> list[m.Family]:
        display_name = sa.func.lower(
            sa.func.coalesce(self.c.family_name, self.c.primary_contact_name)
        )
        return self._list(*_active(self.c, active_only), order=[display_name])


class SqlStudentRepository(SqlRepository[m.Student], ports.StudentRepository):
    def list_for_family(self, family_id: UUID) -> list[m.Student]:
        return self._list(self.c.family_id == family_id, order=[self.c.date_of_birth])


class SqlEnrolmentRepository(SqlRepository[m.Enrolment], ports.EnrolmentRepository):
    def list_for_cohort(
        self, cohort_id: UUID, *, statuses: Collection[EnrolmentStatus] | None = None
    ) -> list[m.Enrolment]:
        where = [self.c.cohort_id == cohort_id]
        if statuses is not None:
            where.append(self.c.status.in_(list(statuses)))
        return self._list(*where, order=[self.c.enrolment_date])

    def list_for_student(self, student_id: UUID) -> list[m.Enrolment]:
        return self._list(self.c.student_id == student_id, order=[self.c.enrolment_date])

    def find_live(self, student_id: UUID, cohort_id: UUID) -> m.Enrolment | None:
        return self._first(
            self.c.student_id == student_id,
            self.c.cohort_id == cohort_id,
            self.c.status.not_in(list(TERMINAL_STATES)),
        )

    def waitlist(self, cohort_id: UUID) -> list[m.Enrolment]:
        return self._list(
            self.c.cohort_id == cohort_id,
            self.c.is_waitlist.is_(True),
            order=[self.c.waitlist_position, self.c.enrolment_date],
        )

    def list_trials_for_session(self, session_id: UUID) -> list[m.Enrolment]:
        return self._list(self.c.trial_session_id == session_id, order=[self.c.enrolment_date])

    def list_lapsed_offers(self, now: datetime) -> list[m.Enrolment]:
        return self._list(
            self.c.status == EnrolmentStatus.PENDING_PAYMENT,
            self.c.offer_expires_at <= now,
            order=[self.c.offer_expires_at],
        )

    def search(
        self,
        *,
        cohort_ids: Collection[UUID] | None = None,
        campus_ids: Collection[UUID] | None = None,
        statuses: Collection[EnrolmentStatus] | None = None,
        limit: int,
        offset: int = 0,
    ) -> tuple[list[m.Enrolment], int]:
        cohort = TABLE_OF[m.Cohort].c
        where: list[Any] = [cohort.organisation_id == self._uow.organisation_id]
        if cohort_ids is not None:
            where.append(cohort.id.in_(list(set(cohort_ids))))
        if campus_ids is not None:
            where.append(cohort.campus_id.in_(list(set(campus_ids))))
        if statuses is not None:
            where.append(self.c.status.in_(list(statuses)))
        order = [cohort.start_date, cohort.name, cohort.id, self.c.enrolment_date, self.c.id]
        joined = self._table.join(TABLE_OF[m.Cohort], cohort.id == self.c.cohort_id)
        return self._page(where, order, limit, offset, source=joined)


class SqlMakeupTokenRepository(SqlRepository[m.MakeupToken], ports.MakeupTokenRepository):
    def list_for_student(
        self, student_id: UUID, *, status: m.MakeupTokenStatus | None = None
    ) -> list[m.MakeupToken]:
        where = [self.c.student_id == student_id]
        if status is not None:
            where.append(self.c.status == status)
        return self._list(*where, order=[self.c.expires_on])

    def list_for_enrolment(self, enrolment_id: UUID) -> list[m.MakeupToken]:
        return self._list(self.c.enrolment_id == enrolment_id, order=[self.c.expires_on])

    def list_redeemed_for_session(self, session_id: UUID) -> list[m.MakeupToken]:
        return self._list(self.c.redeemed_session_id == session_id, order=[self.c.redeemed_at])

    def list_expired(self, day: date) -> list[m.MakeupToken]:
        return self._list(
            self.c.status == m.MakeupTokenStatus.AVAILABLE,
            self.c.expires_on < day,
            order=[self.c.expires_on],
        )


class SqlAttendanceRepository(SqlRepository[m.Attendance], ports.AttendanceRepository):
    def find_for(self, session_id: UUID, student_id: UUID) -> m.Attendance | None:
        return self._first(self.c.session_id == session_id, self.c.student_id == student_id)

    def list_for_session(self, session_id: UUID) -> list[m.Attendance]:
        return self._list(self.c.session_id == session_id, order=[self.c.recorded_at])

    def list_for_student(self, student_id: UUID) -> list[m.Attendance]:
        return self._list(self.c.student_id == student_id, order=[self.c.recorded_at])


class SqlSkillTreeRepository(SqlRepository[m.SkillTree], ports.SkillTreeRepository):
    def list(self) -> list[m.SkillTree]:
        return self._list(order=[self.c.name])


class SqlSkillNodeRepository(SqlRepository[m.SkillNode], ports.SkillNodeRepository):
    def list_for_tree(self, skill_tree_id: UUID) -> list[m.SkillNode]:
        return self._list(
            self.c.skill_tree_id == skill_tree_id, order=[self.c.level, self.c.order_num]
        )


class SqlSkillProgressRepository(SqlRepository[m.SkillProgress], ports.SkillProgressRepository):
    def find_for(self, student_id: UUID, skill_node_id: UUID) -> m.SkillProgress | None:
        return self._first(self.c.student_id == student_id, self.c.skill_node_id == skill_node_id)

    def list_for_student(self, student_id: UUID) -> list[m.SkillProgress]:
        return self._list(self.c.student_id == student_id, order=[self.c.created_at])

    def list_for_node(
        self, skill_node_id: UUID, student_ids: Collection[UUID] | None = None
    ) -> list[m.SkillProgress]:
        if student_ids is None:
            return self._list(self.c.skill_node_id == skill_node_id, order=[self.c.student_id])
        wanted = list(set(student_ids))
        found: list[m.SkillProgress] = []
        for start in range(0, len(wanted), 500):  # bounded IN lists
            found.extend(
                self._list(
                    self.c.skill_node_id == skill_node_id,
                    self.c.student_id.in_(wanted[start : start + 500]),
                    order=[self.c.student_id],
                )
            )
        return found


class SqlProjectSubmissionRepository(
    SqlRepository[m.ProjectSubmission], ports.ProjectSubmissionRepository
):
    def list_for_cohort(self, cohort_id: UUID) -> list[m.ProjectSubmission]:
        return self._list(self.c.cohort_id == cohort_id, order=[self.c.submitted_at])

    def list_for_student(self, student_id: UUID) -> list[m.ProjectSubmission]:
        return self._list(self.c.student_id == student_id, order=[self.c.submitted_at])


class SqlInvoiceRepository(SqlRepository[m.Invoice], ports.InvoiceRepository):
    def find_by_number(self, invoice_number: str) -> m.Invoice | None:
        return self._first(self.c.invoice_number == invoice_number)

    def list_for_family(self, family_id: UUID) -> list[m.Invoice]:
        return self._list(
            self.c.family_id == family_id, order=[self.c.issue_date, self.c.invoice_number]
        )

    def list_for_enrolment(self, enrolment_id: UUID) -> list[m.Invoice]:
        return self._list(
            self.c.enrolment_id == enrolment_id, order=[self.c.issue_date, self.c.invoice_number]
        )

    def search(
        self,
        *,
        family_id: UUID | None = None,
        campus_ids: Collection[UUID] | None = None,
        status: m.InvoiceStatus | None = None,
        issued_from: date | None = None,
        issued_to: date | None = None,
        limit: int,
        offset: int = 0,
    ) -> tuple[list[m.Invoice], int]:
        where: list[Any] = []
        if family_id is not None:
            where.append(self.c.family_id == family_id)
        if campus_ids is not None:
            where.append(self.c.family_id.in_(self._campus_families(campus_ids)))
        if status is not None:
            where.append(self.c.status == status)
        if issued_from is not None:
            where.append(self.c.issue_date >= issued_from)
        if issued_to is not None:
            where.append(self.c.issue_date <= issued_to)
        order = [self.c.issue_date, self.c.invoice_number, self.c.id]
        return self._page(where, order, limit, offset)

    def _campus_families(self, campus_ids: Collection[UUID]) -> sa.Select[Any]:
        """The families with an enrolment (any status) in a cohort of ``campus_ids``, as a
        subquery (never a list of family ids)."""
        org = self._uow.organisation_id
        student, enrolment, cohort = (TABLE_OF[c].c for c in (m.Student, m.Enrolment, m.Cohort))
        return (
            sa.select(student.family_id)
            .select_from(
                TABLE_OF[m.Student]
                .join(TABLE_OF[m.Enrolment], enrolment.student_id == student.id)
                .join(TABLE_OF[m.Cohort], cohort.id == enrolment.cohort_id)
            )
            .where(
                student.organisation_id == org,
                enrolment.organisation_id == org,
                cohort.organisation_id == org,
                cohort.campus_id.in_(list(set(campus_ids))),
            )
        )

    def list_open_due_before(self, day: date) -> list[m.Invoice]:
        return self._list(
            self.c.status.in_([m.InvoiceStatus.SENT, m.InvoiceStatus.PARTIAL]),
            self.c.due_date < day,
            order=[self.c.due_date, self.c.invoice_number],
        )

    def next_number(self, year: int) -> str:
        return m.invoice_number(year, _next_number(self._uow, t.invoice_number_counters, year))


def _next_number(uow: SqlUnitOfWork, counters: sa.Table, year: int) -> int:
    """The next number of a document sequence (one counter row per organisation and year)."""
    insert = postgresql.insert if uow.database.dialect == "postgresql" else sqlite.insert
    # One statement: the first number of the year, or the row locked and incremented.
    # Concurrent transactions wait on the row; a rollback gives the number back.
    statement = (
        insert(counters)
        .values(organisation_id=uow.organisation_id, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[counters.c.organisation_id, counters.c.year],
            set_={"last_number": counters.c.last_number + 1},
        )
        .returning(counters.c.last_number)
    )
    number: int = uow.execute(statement).scalar_one()
    return number


class SqlPaymentRepository(SqlRepository[m.Payment], ports.PaymentRepository):
    def list_for_family(self, family_id: UUID) -> list[m.Payment]:
        return self._list(self.c.family_id == family_id, order=[self.c.payment_date])

    def list_for_invoice(self, invoice_id: UUID) -> list[m.Payment]:
        return self._list(self.c.invoice_id == invoice_id, order=[self.c.payment_date])

    def find_by_payment_intent(self, payment_intent_id: str) -> m.Payment | None:
        return self._first(self.c.stripe_payment_intent_id == payment_intent_id)


class SqlPaymentAllocationRepository(
    SqlRepository[m.PaymentAllocation], ports.PaymentAllocationRepository
):
    def list_for_payment(self, payment_id: UUID) -> list[m.PaymentAllocation]:
        return self._list(self.c.payment_id == payment_id, order=[self.c.allocated_at])

    def list_for_invoice(self, invoice_id: UUID) -> list[m.PaymentAllocation]:
        return self._list(self.c.invoice_id == invoice_id, order=[self.c.allocated_at])


class SqlRefundRepository(SqlRepository[m.Refund], ports.RefundRepository):
    def list_for_payment(self, payment_id: UUID) -> list[m.Refund]:
        return self._list(self.c.payment_id == payment_id, order=[self.c.refunded_at])

    def list_for_family(self, family_id: UUID) -> list[m.Refund]:
        return self._list(self.c.family_id == family_id, order=[self.c.refunded_at])

    def find_by_stripe_refund(self, stripe_refund_id: str) -> m.Refund | None:
        return self._first(self.c.stripe_refund_id == stripe_refund_id)


class SqlCreditNoteRepository(SqlRepository[m.CreditNote], ports.CreditNoteRepository):
    def list_for_invoice(self, invoice_id: UUID) -> list[m.CreditNote]:
        return self._list(
            self.c.invoice_id == invoice_id, order=[self.c.issue_date, self.c.credit_note_number]
        )

    def list_for_family(self, family_id: UUID) -> list[m.CreditNote]:
        return self._list(
            self.c.family_id == family_id, order=[self.c.issue_date, self.c.credit_note_number]
        )

    def next_number(self, year: int) -> str:
        return m.credit_note_number(
            year, _next_number(self._uow, t.credit_note_number_counters, year)
        )


class SqlWebhookEventRepository(SqlRepository[m.WebhookEvent], ports.WebhookEventRepository):
    def find_by_provider_event(
        self, provider: str, provider_event_id: str
    ) -> m.WebhookEvent | None:
        return self._first(
            self.c.provider == provider, self.c.provider_event_id == provider_event_id
        )


class SqlMessageRepository(SqlRepository[m.Message], ports.MessageRepository):
    def list_thread(self, thread_id: UUID) -> list[m.Message]:
        return self._list(self.c.thread_id == thread_id, order=[self.c.sent_at])

    def list_for_family(self, family_id: UUID) -> list[m.Message]:
        return self._list(
            sa.or_(self.c.sender_family_id == family_id, self.c.recipient_family_id == family_id),
            order=[self.c.sent_at],
        )

    def list_for_staff(self, staff_id: UUID) -> list[m.Message]:
        return self._list(
            sa.or_(self.c.sender_staff_id == staff_id, self.c.recipient_staff_id == staff_id),
            order=[self.c.sent_at],
        )

    def count_unread_for_family(self, family_id: UUID) -> int:
        return self._count_unread(self.c.recipient_family_id == family_id)

    def count_unread_for_staff(self, staff_id: UUID) -> int:
        return self._count_unread(self.c.recipient_staff_id == staff_id)

    def _count_unread(self, recipient: Any) -> int:
        statement = (
            sa.select(sa.func.count())
            .select_from(self._table)
            .where(
                self.c.organisation_id == self._uow.organisation_id,
                recipient,
                self.c.is_read.is_(False),
            )
        )
        return int(self._uow.execute(statement).scalar_one())


class SqlNotificationRepository(SqlRepository[m.Notification], ports.NotificationRepository):
    def claim_due(self, now: datetime, limit: int) -> list[m.Notification]:
        if limit <= 0:
            return []
        statement = (
            self._select(
                self.c.status == m.NotificationStatus.QUEUED,
                self.c.due_at <= now,
                sa.or_(self.c.claimed_until.is_(None), self.c.claimed_until <= now),
            )
            .order_by(self.c.due_at, self.c.id)
            .limit(limit)
            # Postgres: lock what we take, skip what another dispatcher holds (SQLite has
            # one writer at a time; its version check refuses a second claim)
            .with_for_update(skip_locked=True)
        )
        return list(self._uow.rows(statement))

    def find_by_dedupe_key(self, dedupe_key: str) -> m.Notification | None:
        return self._first(self.c.dedupe_key == dedupe_key)

    def existing_keys(self, dedupe_keys: Collection[str]) -> set[str]:
        wanted, found = list(set(dedupe_keys)), set[str]()
        org = self._uow.organisation_id
        if wanted and self._uow.database.dialect == "postgresql":
            # The keys as a set-returning function joined to the table: Postgres probes the
            # (organisation_id, dedupe_key) index once per key. With an IN list of thousands
            # of keys it read every notification of the organisation instead, on every batch
            # of a term run (quadratic: 266 s for 100,000 invoices instead of ~60).
            keys = (
                sa.func.unnest(sa.bindparam("keys", wanted, type_=postgresql.ARRAY(sa.Text)))
                .table_valued("key")
                .render_derived()
            )
            statement = (
                sa.select(self.c.dedupe_key)
                .select_from(keys)
                .join(self._table, self.c.dedupe_key == keys.c.key)
                .where(self.c.organisation_id == org)
            )
            return set(self._uow.execute(statement).scalars())
        for start in range(0, len(wanted), 1000):  # bounded IN lists (SQLite)
            statement = sa.select(self.c.dedupe_key).where(
                self.c.organisation_id == org,
                self.c.dedupe_key.in_(wanted[start : start + 1000]),
            )
            found.update(self._uow.execute(statement).scalars())
        return found

    def add_many(self, notifications: Sequence[m.Notification]) -> None:
        # One multi-row INSERT per thousand rows instead of an ORM object each: term
        # invoicing queues one notification per invoice. The rows are new: nothing else in
        # the transaction refers to them.
        rows = []
        for notification in notifications:
            if notification.organisation_id != self._uow.organisation_id:
                raise Forbidden("Notification belongs to another organisation")
            rows.append(
                {column.name: getattr(notification, column.name) for column in self._table.c}
            )
        for start in range(0, len(rows), 1000):
            self._uow.execute(sa.insert(self._table), rows[start : start + 1000])

    def list_for_family(self, family_id: UUID) -> list[m.Notification]:
        return self._list(self.c.recipient_family_id == family_id, order=[self.c.created_at])


class SqlStaffSessionRepository(SqlRepository[m.StaffSession], ports.StaffSessionRepository):
    def find_by_token_hash(self, token_hash: str) -> m.StaffSession | None:
        return self._first(self.c.token_hash == token_hash)

    def list_live_for_staff(self, staff_id: UUID, now: datetime) -> list[m.StaffSession]:
        return self._list(
            self.c.staff_id == staff_id,
            self.c.revoked_at.is_(None),
            self.c.expires_at > now,
            order=[self.c.created_at],
        )

    def find_signed_in(self, token_hash: str) -> m.SignedIn | None:
        rows = self._uow.values(
            _signed_in(), {"org": self._uow.organisation_id, "hash": token_hash}
        )
        if not rows:
            return None
        first = rows[0]
        return m.SignedIn(
            session_id=first[0],
            organisation_id=self._uow.organisation_id,
            expires_at=first[1],
            revoked_at=first[2],
            csrf_hash=first[3],
            staff_id=first[4],
            role=first[5],
            first_name=first[6],
            last_name=first[7],
            is_active=first[8],
            **_assigned([(kind, ref) for *_, kind, ref in rows]),
        )


@cache
def _signed_in() -> sa.Select[Any]:
    """The session of a token digest, its staff member and their assignments: one Core
    statement built once (``org``, ``hash``), read by the token's unique index and the
    assignment tables' staff indexes."""
    sessions, staff = t.staff_sessions.c, t.staff.c
    org: sa.BindParameter[UUID] = sa.bindparam("org")
    by_token = sa.and_(sessions.organisation_id == org, sessions.token_hash == sa.bindparam("hash"))
    assigned = _assignments(org, sa.select(sessions.staff_id).where(by_token).scalar_subquery())
    return (
        sa.select(
            sessions.id,
            sessions.expires_at,
            sessions.revoked_at,
            sessions.csrf_hash,
            staff.id,
            staff.role,
            staff.first_name,
            staff.last_name,
            staff.is_active,
            assigned.c.kind,
            assigned.c.ref,
        )
        .select_from(t.staff_sessions)
        .join(t.staff, staff.id == sessions.staff_id)
        .outerjoin(assigned, sa.true())
        .where(by_token, staff.organisation_id == org)
    )


class SqlAuditLog(SqlRepository[m.AuditEntry], ports.AuditLog):
    def list_for_entity(self, entity_id: UUID) -> list[m.AuditEntry]:
        return self._list(self.c.entity_id == entity_id, order=[self.c.occurred_at])

    def search(
        self,
        *,
        entity_id: UUID | None = None,
        entity_type: str | None = None,
        actor_staff_id: UUID | None = None,
        occurred_from: datetime | None = None,
        occurred_to: datetime | None = None,
        limit: int,
        offset: int = 0,
    ) -> tuple[list[m.AuditEntry], int]:
        where: list[Any] = []
        if entity_id is not None:
            where.append(self.c.entity_id == entity_id)
        if entity_type is not None:
            where.append(self.c.entity_type == entity_type)
        if actor_staff_id is not None:
            where.append(self.c.actor_staff_id == actor_staff_id)
        if occurred_from is not None:
            where.append(self.c.occurred_at >= occurred_from)
        if occurred_to is not None:
            where.append(self.c.occurred_at < occurred_to)
        order = [self.c.occurred_at.desc(), self.c.id.desc()]
        return self._page(where, order, limit, offset)


def _active(columns: Any, active_only: bool) -> list[Any]:
    return [columns.is_active.is_(True)] if active_only else []
