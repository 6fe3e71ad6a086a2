"""Ports: what the domain needs from the outside world, as abstract base classes.

Repositories are scoped to one organisation: the unit of work's. An id that belongs to
another organisation is simply not found. Adapters (memory, SQL, Stripe, SMTP) subclass these.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import ClassVar, Generic, NamedTuple, Self, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from rocket_core.enrolment_machine import EnrolmentStatus
from rocket_core.errors import NotFound
from rocket_core.events import DomainEvent
from rocket_core.model import (
    Attendance,
    AttendanceStatus,
    AuditEntry,
    Campus,
    CampusStaff,
    Cohort,
    CohortStaff,
    CohortStatus,
    CreditNote,
    Enrolment,
    Entity,
    Family,
    Invoice,
    InvoiceStatus,
    LineItem,
    MakeupToken,
    MakeupTokenStatus,
    Message,
    Notification,
    NotificationChannel,
    NotificationKind,
    Organisation,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Program,
    ProjectSubmission,
    Refund,
    RefundStatus,
    Session,
    SessionStaff,
    SessionStatus,
    SignedIn,
    SkillNode,
    SkillProgress,
    SkillTree,
    Staff,
    StaffRole,
    StaffSession,
    Student,
    WebhookEvent,
)
from rocket_core.rolls import MarkWrite, RollContext, RollSheet

E = TypeVar("E", bound=Entity)


class Repository(ABC, Generic[E]):
    """The collection of one aggregate's entities in the unit of work's organisation."""

    entity_name: ClassVar[str]

    @abstractmethod
    def add(self, entity: E) -> None:
        """Add a new entity; it is saved when the unit of work commits."""

    @abstractmethod
    def find(self, entity_id: UUID) -> E | None:
        """The entity with this id, or None (also when it belongs to another organisation)."""

    @abstractmethod
    def find_many(self, entity_ids: Collection[UUID]) -> list[E]:
        """The entities with these ids in this organisation (unknown ids are left out), in
        no particular order: one query for a whole list."""

    def get(self, entity_id: UUID) -> E:
        """The entity with this id; NotFound if there is none in this organisation."""
        entity = self.find(entity_id)
        if entity is None:
            raise NotFound(self.entity_name, entity_id)
        return entity


class AssociationRepository(Repository[E]):
    """Join records (campus, cohort and session staff): they may also be removed."""

    @abstractmethod
    def remove(self, entity: E) -> None:
        """Remove an assignment (the audit log keeps that it existed)."""


class OrganisationRepository(Repository[Organisation]):
    """The tenant itself: a unit of work sees only its own organisation."""

    entity_name = "Organisation"

    @abstractmethod
    def current(self) -> Organisation:
        """The unit of work's organisation; NotFound before it has been added."""


class CampusRepository(Repository[Campus]):
    """Campuses, by name."""

    entity_name = "Campus"

    @abstractmethod
    def list(self, *, active_only: bool = False) -> list[Campus]:
        """Campuses ordered by name."""


@attrs.frozen(kw_only=True)
class StaffAccess:
    """A staff member with the campuses, cohorts and sessions they are assigned to: what
    an Actor is built from (``rocket_core.services.base.load_actor``)."""

    staff: Staff
    campus_ids: frozenset[UUID] = frozenset()
    cohort_ids: frozenset[UUID] = frozenset()
    session_ids: frozenset[UUID] = frozenset()


class StaffRepository(Repository[Staff]):
    """Staff accounts."""

    entity_name = "Staff"

    @abstractmethod
    def find_by_email(self, email: str) -> Staff | None:
        """The staff member with this e-mail (case-insensitive), or None."""

    @abstractmethod
    def list(self, *, role: StaffRole | None = None, active_only: bool = False) -> list[Staff]:
        """Staff ordered by last then first name."""

    @abstractmethod
    def find_access(self, staff_id: UUID) -> StaffAccess | None:
        """The staff member with their assignments, or None (SQL: one query)."""


class CampusStaffRepository(AssociationRepository[CampusStaff]):
    """Which staff work at which campus."""

    entity_name = "CampusStaff"

    @abstractmethod
    def find_assignment(self, campus_id: UUID, staff_id: UUID) -> CampusStaff | None:
        """The assignment of this staff member to this campus, or None."""

    @abstractmethod
    def list_for_campus(self, campus_id: UUID) -> list[CampusStaff]:
        """Assignments at a campus, oldest first."""

    @abstractmethod
    def list_for_staff(self, staff_id: UUID) -> list[CampusStaff]:
        """A staff member's campus assignments, oldest first."""


class ProgramRepository(Repository[Program]):
    """Programs, by name."""

    entity_name = "Program"

    @abstractmethod
    def list(self, *, active_only: bool = False) -> list[Program]:
        """Programs ordered by name."""


class CohortRepository(Repository[Cohort]):
    """Cohorts, filterable by campus, program and status."""

    entity_name = "Cohort"

    @abstractmethod
    def list(
        self,
        *,
        campus_id: UUID | None = None,
        program_id: UUID | None = None,
        statuses: Collection[CohortStatus] | None = None,
    ) -> list[Cohort]:
        """Matching cohorts ordered by start date, then name."""

    @abstractmethod
    def get_for_update(self, cohort_id: UUID) -> Cohort:
        """The cohort as committed now, locked until this transaction ends: another
        transaction asking for the same lock waits. Use it before counting or changing
        seats; call it before reading anything else in the transaction. NotFound if absent."""


class CohortStaffRepository(AssociationRepository[CohortStaff]):
    """Instructors and teaching assistants of cohorts."""

    entity_name = "CohortStaff"

    @abstractmethod
    def list_for_cohort(self, cohort_id: UUID) -> list[CohortStaff]:
        """A cohort's staff, oldest assignment first."""

    @abstractmethod
    def list_for_staff(self, staff_id: UUID) -> list[CohortStaff]:
        """The cohorts a staff member is assigned to, oldest assignment first."""

    @abstractmethod
    def find_assignment(self, cohort_id: UUID, staff_id: UUID) -> CohortStaff | None:
        """The assignment of this staff member to this cohort, or None."""


class SessionRepository(Repository[Session]):
    """Sessions of cohorts."""

    entity_name = "Session"

    @abstractmethod
    def list_for_cohort(self, cohort_id: UUID) -> list[Session]:
        """A cohort's sessions ordered by session number."""

    @abstractmethod
    def list_between(self, first_day: date, last_day: date) -> list[Session]:
        """Sessions scheduled from ``first_day`` to ``last_day`` inclusive, by date and time."""

    @abstractmethod
    def list_for_staff(self, staff_id: UUID, first_day: date, last_day: date) -> list[Session]:
        """Sessions from ``first_day`` to ``last_day`` that the staff member teaches: as the
        session's lead instructor, as its assistant, or through an assignment to its cohort;
        by date and time. Cancelled sessions included (callers filter)."""


class SessionStaffRepository(AssociationRepository[SessionStaff]):
    """Teaching assistants of sessions."""

    entity_name = "SessionStaff"

    @abstractmethod
    def list_for_session(self, session_id: UUID) -> list[SessionStaff]:
        """A session's assistants, oldest assignment first."""

    @abstractmethod
    def list_for_staff(self, staff_id: UUID) -> list[SessionStaff]:
        """The sessions a staff member assists in, oldest assignment first."""


class FamilyRepository(Repository[Family]):
    """Family accounts."""

    entity_name = "Family"

    @abstractmethod
    def find_by_email(self, email: str) -> Family | None:
        """The family whose primary e-mail this is (case-insensitive), or None."""

    @abstractmethod
    def list(self, *, active_only: bool = False) -> list[Family]:
        """Families ordered by display name."""


class StudentRepository(Repository[Student]):
    """Students."""

    entity_name = "Student"

    @abstractmethod
    def list_for_family(self, family_id: UUID) -> list[Student]:
        """A family's children, oldest first."""


class EnrolmentRepository(Repository[Enrolment]):
    """Enrolments, by cohort and by student."""

    entity_name = "Enrolment"

    @abstractmethod
    def list_for_cohort(
        self, cohort_id: UUID, *, statuses: Collection[EnrolmentStatus] | None = None
    ) -> list[Enrolment]:
        """A cohort's enrolments (optionally of some statuses), in arrival order."""

    @abstractmethod
    def list_for_student(self, student_id: UUID) -> list[Enrolment]:
        """A student's enrolments in arrival order."""

    @abstractmethod
    def find_live(self, student_id: UUID, cohort_id: UUID) -> Enrolment | None:
        """The student's enrolment in the cohort that is not terminal, or None."""

    @abstractmethod
    def waitlist(self, cohort_id: UUID) -> list[Enrolment]:
        """The cohort's waitlisted enrolments, next to be offered first."""

    @abstractmethod
    def list_trials_for_session(self, session_id: UUID) -> list[Enrolment]:
        """Trial enrolments booked into a session, in arrival order."""

    @abstractmethod
    def list_lapsed_offers(self, now: datetime) -> list[Enrolment]:
        """Unpaid waitlist offers (pending payment) whose time ran out by ``now``, oldest
        deadline first."""

    @abstractmethod
    def search(
        self,
        *,
        cohort_ids: Collection[UUID] | None = None,
        campus_ids: Collection[UUID] | None = None,
        statuses: Collection[EnrolmentStatus] | None = None,
        limit: int,
        offset: int = 0,
    ) -> tuple[list[Enrolment], int]:
        """One page of the enrolments in the cohorts ``cohort_ids`` (None: any cohort) of the
        campuses ``campus_ids`` (None: any campus), of ``statuses`` (None: any), ordered by
        their cohort (start date, name, id), then in arrival order (enrolment date, id): at
        most ``limit`` from ``offset``, and how many match in all. SQL: two queries (the page
        joined to its cohorts, and the count), whatever the number of cohorts."""


class MakeupTokenRepository(Repository[MakeupToken]):
    """Makeup tokens owed to students."""

    entity_name = "MakeupToken"

    @abstractmethod
    def list_for_student(
        self, student_id: UUID, *, status: MakeupTokenStatus | None = None
    ) -> list[MakeupToken]:
        """A student's tokens (optionally of one status), soonest expiry first."""

    @abstractmethod
    def list_for_enrolment(self, enrolment_id: UUID) -> list[MakeupToken]:
        """Tokens issued on an enrolment, soonest expiry first."""

    @abstractmethod
    def list_redeemed_for_session(self, session_id: UUID) -> list[MakeupToken]:
        """Tokens spent on a session (its makeup visitors)."""

    @abstractmethod
    def list_expired(self, day: date) -> list[MakeupToken]:
        """Available tokens whose expiry date is before ``day``."""


class AttendanceRepository(Repository[Attendance]):
    """Attendance marks."""

    entity_name = "Attendance"

    @abstractmethod
    def find_for(self, session_id: UUID, student_id: UUID) -> Attendance | None:
        """The mark of this student at this session, or None."""

    @abstractmethod
    def list_for_session(self, session_id: UUID) -> list[Attendance]:
        """Every mark of a session."""

    @abstractmethod
    def list_for_student(self, student_id: UUID) -> list[Attendance]:
        """Every mark of a student, oldest recorded first."""


class SkillTreeRepository(Repository[SkillTree]):
    """Skill trees."""

    entity_name = "SkillTree"

    @abstractmethod
    def list(self) -> list[SkillTree]:
        """Skill trees ordered by name."""


class SkillNodeRepository(Repository[SkillNode]):
    """Skill nodes."""

    entity_name = "SkillNode"

    @abstractmethod
    def list_for_tree(self, skill_tree_id: UUID) -> list[SkillNode]:
        """A tree's nodes ordered by level, then order among siblings."""


class SkillProgressRepository(Repository[SkillProgress]):
    """Students' progress on skills, each with its history."""

    entity_name = "SkillProgress"

    @abstractmethod
    def find_for(self, student_id: UUID, skill_node_id: UUID) -> SkillProgress | None:
        """The student's progress on this node, or None when never touched."""

    @abstractmethod
    def list_for_student(self, student_id: UUID) -> list[SkillProgress]:
        """All of a student's progress records."""

    @abstractmethod
    def list_for_node(
        self, skill_node_id: UUID, student_ids: Collection[UUID] | None = None
    ) -> list[SkillProgress]:
        """Progress records on one node (only those of ``student_ids`` when given), in one
        query."""


class ProjectSubmissionRepository(Repository[ProjectSubmission]):
    """Project submissions."""

    entity_name = "ProjectSubmission"

    @abstractmethod
    def list_for_cohort(self, cohort_id: UUID) -> list[ProjectSubmission]:
        """A cohort's submissions, oldest first."""

    @abstractmethod
    def list_for_student(self, student_id: UUID) -> list[ProjectSubmission]:
        """A student's submissions, oldest first."""


class InvoiceRepository(Repository[Invoice]):
    """Invoices."""

    entity_name = "Invoice"

    @abstractmethod
    def find_by_number(self, invoice_number: str) -> Invoice | None:
        """The invoice with this number, or None."""

    @abstractmethod
    def list_for_family(self, family_id: UUID) -> list[Invoice]:
        """A family's invoices by issue date, then number."""

    @abstractmethod
    def list_for_enrolment(self, enrolment_id: UUID) -> list[Invoice]:
        """Invoices raised for an enrolment, by issue date, then number."""

    @abstractmethod
    def search(
        self,
        *,
        family_id: UUID | None = None,
        campus_ids: Collection[UUID] | None = None,
        status: InvoiceStatus | None = None,
        issued_from: date | None = None,
        issued_to: date | None = None,
        limit: int,
        offset: int = 0,
    ) -> tuple[list[Invoice], int]:
        """One page of the invoices matching every filter given, by issue date, then number
        (ties by id): ``family_id``'s; of the families with an enrolment (any status, now or
        before) in a cohort of one of ``campus_ids`` (None: no campus filter; empty: none);
        of ``status``; issued from ``issued_from`` to ``issued_to`` (both inclusive). At most
        ``limit`` invoices from ``offset``, and how many match in all. SQL: two queries
        (the page and the count), whatever the number of families."""

    @abstractmethod
    def list_open_due_before(self, day: date) -> list[Invoice]:
        """Sent or part-paid invoices whose due date is before ``day`` (overdue candidates),
        by due date."""

    @abstractmethod
    def next_number(self, year: int) -> str:
        """Allocate the organisation's next invoice number for ``year`` (INV-2026-000001,
        then 000002...). Numbers are unique per organisation and never reused: concurrent
        transactions wait for each other, and a rolled-back transaction gives its number
        back, so committed numbers have no gaps."""


class PaymentRepository(Repository[Payment]):
    """Payments received."""

    entity_name = "Payment"

    @abstractmethod
    def list_for_family(self, family_id: UUID) -> list[Payment]:
        """A family's payments by payment date."""

    @abstractmethod
    def list_for_invoice(self, invoice_id: UUID) -> list[Payment]:
        """Payments allocated to an invoice, by payment date."""

    @abstractmethod
    def find_by_payment_intent(self, payment_intent_id: str) -> Payment | None:
        """The payment recorded for a Stripe PaymentIntent, or None."""


class PaymentAllocationRepository(Repository[PaymentAllocation]):
    """How payments were applied to invoices."""

    entity_name = "PaymentAllocation"

    @abstractmethod
    def list_for_payment(self, payment_id: UUID) -> list[PaymentAllocation]:
        """A payment's allocations, oldest first."""

    @abstractmethod
    def list_for_invoice(self, invoice_id: UUID) -> list[PaymentAllocation]:
        """What was applied to an invoice, oldest first."""


class RefundRepository(Repository[Refund]):
    """Refunds of payments."""

    entity_name = "Refund"

    @abstractmethod
    def list_for_payment(self, payment_id: UUID) -> list[Refund]:
        """A payment's refunds, oldest first."""

    @abstractmethod
    def list_for_family(self, family_id: UUID) -> list[Refund]:
        """A family's refunds, oldest first."""

    @abstractmethod
    def find_by_stripe_refund(self, stripe_refund_id: str) -> Refund | None:
        """The refund recorded for a Stripe refund id, or None."""


class CreditNoteRepository(Repository[CreditNote]):
    """Credit notes (corrections of sent invoices)."""

    entity_name = "CreditNote"

    @abstractmethod
    def list_for_invoice(self, invoice_id: UUID) -> list[CreditNote]:
        """An invoice's credit notes by issue date, then number."""

    @abstractmethod
    def list_for_family(self, family_id: UUID) -> list[CreditNote]:
        """A family's credit notes by issue date, then number."""

    @abstractmethod
    def next_number(self, year: int) -> str:
        """Allocate the next credit note number (CN-2026-000001...), with the same guarantees
        as ``InvoiceRepository.next_number``."""


class WebhookEventRepository(Repository[WebhookEvent]):
    """Payment-provider events already processed (so each is processed once)."""

    entity_name = "WebhookEvent"

    @abstractmethod
    def find_by_provider_event(self, provider: str, provider_event_id: str) -> WebhookEvent | None:
        """The record of this provider event, or None if it was never processed."""


class MessageRepository(Repository[Message]):
    """Messages between staff and families."""

    entity_name = "Message"

    @abstractmethod
    def list_thread(self, thread_id: UUID) -> list[Message]:
        """A thread's messages, oldest first."""

    @abstractmethod
    def list_for_family(self, family_id: UUID) -> list[Message]:
        """Every message a family sent or received, oldest first."""

    @abstractmethod
    def list_for_staff(self, staff_id: UUID) -> list[Message]:
        """Every message a staff member sent or received, oldest first."""

    @abstractmethod
    def count_unread_for_family(self, family_id: UUID) -> int:
        """Messages to the family that it has not read."""

    @abstractmethod
    def count_unread_for_staff(self, staff_id: UUID) -> int:
        """Messages to the staff member that they have not read."""


class NotificationRepository(Repository[Notification]):
    """The notification outbox."""

    entity_name = "Notification"

    @abstractmethod
    def claim_due(self, now: datetime, limit: int) -> list[Notification]:
        """Up to ``limit`` queued notifications due by ``now`` and not claimed by a dispatcher
        (or whose claim ran out), earliest due first. On Postgres the rows are locked and rows
        another transaction holds are skipped, so concurrent dispatchers get disjoint sets."""

    @abstractmethod
    def find_by_dedupe_key(self, dedupe_key: str) -> Notification | None:
        """The notification queued under this idempotency key, or None."""

    @abstractmethod
    def existing_keys(self, dedupe_keys: Collection[str]) -> set[str]:
        """Which of ``dedupe_keys`` a notification is already queued under (one query)."""

    def add_many(self, notifications: Sequence[Notification]) -> None:
        """Queue many new notifications at once (adapters may write them in bulk)."""
        for notification in notifications:
            self.add(notification)

    @abstractmethod
    def list_for_family(self, family_id: UUID) -> list[Notification]:
        """Every notification to a family, oldest first."""


class StaffSessionRepository(Repository[StaffSession]):
    """Staff login sessions."""

    entity_name = "StaffSession"

    @abstractmethod
    def find_by_token_hash(self, token_hash: str) -> StaffSession | None:
        """The session whose token has this SHA-256 digest, or None."""

    @abstractmethod
    def list_live_for_staff(self, staff_id: UUID, now: datetime) -> list[StaffSession]:
        """A staff member's sessions that are neither revoked nor expired at ``now``."""

    @abstractmethod
    def find_signed_in(self, token_hash: str) -> SignedIn | None:
        """The session whose token has this digest with its staff member and their
        assignments, as a value, or None: what every authenticated request reads (SQL: one
        Core query)."""


class RollRepository(ABC):
    """A session's roll as values (``rocket_core.rolls``), the hottest path of the staff
    API: what it is made of (reads see this transaction's own changes) and its marks,
    written set-based."""

    @abstractmethod
    def record_marks(self, writes: Sequence[MarkWrite]) -> None:
        """Write a roll's new and changed marks at once, each with its audit entry (SQL: one
        UPDATE for the changed marks, executed for many rows and checking each version, one
        INSERT for the new marks, one for the audit entries; nothing loaded as an entity).
        Conflict, nothing written, when a mark changed since it was read (its version)."""

    @abstractmethod
    def find_context(self, session_id: UUID) -> RollContext | None:
        """The session's cohort, campus, day and time zone, or None (SQL: one Core query)."""

    @abstractmethod
    def sheet(
        self, cohort_id: UUID, session_id: UUID, statuses: Collection[EnrolmentStatus]
    ) -> RollSheet:
        """The cohort's enrolments of ``statuses`` and the session's trials (any status), the
        session's marks and makeup visits, and every student they name (``RollSheet``; SQL:
        three Core queries, each with the names of its rows' students)."""


class LoginDirectory(ABC):
    """Finds which organisation a login e-mail belongs to, before any organisation is
    known (staff e-mails are unique across Rocket). On Postgres it reads only the staff row
    whose e-mail it is given: row-level security lets it see nothing else."""

    @abstractmethod
    def find(self, email: str) -> tuple[UUID, UUID] | None:
        """(organisation id, staff id) of the staff member with this e-mail, or None."""


class AuditLog(Repository[AuditEntry]):
    """The audit trail (append only)."""

    entity_name = "AuditEntry"

    @abstractmethod
    def list_for_entity(self, entity_id: UUID) -> list[AuditEntry]:
        """What happened to one entity, oldest first."""

    @abstractmethod
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
    ) -> tuple[list[AuditEntry], int]:
        """One page of the entries matching every filter given (``occurred_from`` inclusive,
        ``occurred_to`` exclusive), newest first (ties by id, descending): at most ``limit``
        entries from ``offset``, and how many match in all. Two queries, whatever the page."""


class LifecycleRepository(ABC):
    """The nightly lifecycle as set-based operations in the unit of work's organisation.

    Each operation changes every matching row at once (on SQL a few UPDATE and INSERT ...
    SELECT statements, however many rows match; nothing is loaded row by row), raises each
    changed row's version (a staff edit made meanwhile then fails as stale), writes one audit
    entry per changed row (no actor: the system's job; ``at`` is its time) and returns how
    many rows it changed. Running it again for the same day changes nothing. Enrolment
    source statuses come from the rulebook (``source_states``). No domain events are
    recorded: the audit log is the record.

    Cohorts can be taken in batches by id: ``next_cohort_batch`` pages through them, and
    ``after`` (exclusive) / ``upto`` (inclusive) limit an operation to that range (None:
    unbounded). Use a unit of work of its own: on SQL, entities loaded earlier in the same
    transaction do not see these changes.
    """

    START_ENROLMENT: ClassVar[str] = "enrolment.start"
    COMPLETE_ENROLMENT: ClassVar[str] = "enrolment.complete"
    BEGIN_COHORT: ClassVar[str] = "cohort.begin"
    COMPLETE_COHORT: ClassVar[str] = "cohort.complete"
    COMPLETE_SESSION: ClassVar[str] = "session.complete"
    #: Cohort statuses that move to in_progress on the start date (Cohort.begin's sources).
    COHORT_BEGINS_FROM: ClassVar[frozenset[CohortStatus]] = frozenset(
        {CohortStatus.OPEN, CohortStatus.FULL}
    )
    #: Cohort statuses that move to completed after the end date (Cohort.complete's sources).
    COHORT_COMPLETES_FROM: ClassVar[frozenset[CohortStatus]] = frozenset({CohortStatus.IN_PROGRESS})
    #: Cohorts whose enrolments follow them: begun (and possibly already completed).
    COHORT_UNDER_WAY: ClassVar[frozenset[CohortStatus]] = frozenset(
        {CohortStatus.IN_PROGRESS, CohortStatus.COMPLETED}
    )
    #: Session statuses that move to completed once the date is over (Session.complete's).
    SESSION_COMPLETES_FROM: ClassVar[frozenset[SessionStatus]] = frozenset(
        {SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS}
    )
    #: Cohorts whose past sessions were held: any but a draft (never published, never held).
    #: A cancelled cohort's sessions that were past when it was cancelled were held.
    COHORT_HOLDS_SESSIONS: ClassVar[frozenset[CohortStatus]] = frozenset(
        set(CohortStatus) - {CohortStatus.DRAFT}
    )
    #: Cohort.attention of a cohort that reached its start date with no seat-holder.
    EMPTY_COHORT_ATTENTION: ClassVar[str] = "started with no enrolments"
    #: Audit summaries, formatted with ``day`` (the date the nightly run is for).
    SUMMARIES: ClassVar[dict[str, str]] = {
        "enrolment.start": "Nightly {day}: started with its cohort",
        "enrolment.complete": "Nightly {day}: completed after its cohort ended",
        "cohort.begin": "Nightly {day}: the cohort reached its start date",
        "cohort.complete": "Nightly {day}: the cohort is past its end date",
        "session.complete": "Nightly {day}: the session's date is over",
    }

    @abstractmethod
    def next_cohort_batch(self, after: UUID | None, size: int) -> UUID | None:
        """The id ending the next batch of at most ``size`` cohorts with an id above
        ``after`` (in id order), or None when there is none."""

    @abstractmethod
    def begin_cohorts(
        self, day: date, at: datetime, *, after: UUID | None = None, upto: UUID | None = None
    ) -> int:
        """Open or full cohorts whose start date is on or before ``day`` -> in_progress; one
        with no seat-holder gets ``attention`` = EMPTY_COHORT_ATTENTION (flagged, not
        cancelled)."""

    @abstractmethod
    def start_enrolments(
        self, day: date, at: datetime, *, after: UUID | None = None, upto: UUID | None = None
    ) -> int:
        """Enrolments in ``source_states(START)`` of cohorts under way whose start date is on
        or before ``day`` -> active, ``start_date`` set to the cohort's when empty. One with
        a later start date of its own (a late joiner) waits for that date."""

    @abstractmethod
    def complete_enrolments(
        self, day: date, at: datetime, *, after: UUID | None = None, upto: UUID | None = None
    ) -> int:
        """Enrolments in ``source_states(COMPLETE)`` of cohorts under way whose end date is
        before ``day`` -> completed, ``end_date`` = the cohort's (never before the
        enrolment's start); the seat each held is released from the cohort's count."""

    @abstractmethod
    def complete_cohorts(
        self, day: date, at: datetime, *, after: UUID | None = None, upto: UUID | None = None
    ) -> int:
        """In-progress cohorts whose end date is before ``day`` -> completed."""

    @abstractmethod
    def complete_sessions(
        self, day: date, at: datetime, *, after: UUID | None = None, upto: UUID | None = None
    ) -> int:
        """Sessions in SESSION_COMPLETES_FROM of cohorts in COHORT_HOLDS_SESSIONS whose
        scheduled date is before ``day`` -> completed (a session nobody cancelled was held);
        ``actual_end_time`` is left as it is. Cancelled sessions are never touched."""


class TermInvoicingRepository(ABC):
    """Term invoicing in bulk (``TermInvoicingService.run_term``), in the unit of work's
    organisation: a page of families' enrolments read as plain rows, then a batch of invoices
    issued at once with their discounts, balances and audit entries (on SQL a handful of
    statements a page whatever its size, COPY on Postgres; no entity is loaded).

    Families are taken in pages by id (``after`` exclusive), so a family's enrolments are
    always read and invoiced in one transaction and its sibling ranks decided in one place.
    Use a unit of work of its own for each page: on SQL, entities loaded earlier in the same
    transaction do not see these changes. A run may read its next page while the previous
    one's unit of work is still writing (the pages' families are different): nothing a page
    reads is written by another page of the same run.
    """

    #: Enrolment statuses a term run invoices.
    INVOICED: ClassVar[frozenset[EnrolmentStatus]] = frozenset(
        {EnrolmentStatus.PENDING_PAYMENT, EnrolmentStatus.ENROLLED}
    )
    #: Enrolment statuses that make a child count for the sibling discount (those of
    #: ``rocket_core.services.invoicing.SIBLING_STATUSES``).
    COUNTED: ClassVar[frozenset[EnrolmentStatus]] = frozenset(
        {
            EnrolmentStatus.PENDING_PAYMENT,
            EnrolmentStatus.ENROLLED,
            EnrolmentStatus.ACTIVE,
            EnrolmentStatus.COMPLETED,
            EnrolmentStatus.TRANSFERRED,
        }
    )
    #: The audit action of an invoice issued by a term run.
    ISSUE: ClassVar[str] = "invoice.issue"

    class TermEnrolment(NamedTuple):
        """An enrolment of a family's child in a cohort that ends on or after the term's first
        day, in a COUNTED status: one to invoice, or one that counts for a sibling's rank."""

        id: UUID
        family_id: UUID
        student_id: UUID
        status: EnrolmentStatus
        enrolment_date: datetime
        start_date: date | None
        tuition_override: Decimal | None
        discount_applied: Decimal
        cohort_id: UUID
        cohort_name: str
        cohort_start: date
        cohort_end: date
        cohort_price: Decimal | None
        program_name: str
        program_price: Decimal | None
        #: The cohort's sessions that are not cancelled (0 unless the enrolment is INVOICED in
        #: a cohort starting in the term).
        sessions_total: int
        #: Those of them dated on or after ``today``, or the enrolment's own later start date.
        sessions_remaining: int
        #: The earliest invoice of the enrolment that is not void: (created_at, number).
        first_charge: tuple[datetime, str] | None
        #: The student's display name (preferred or first name, last name).
        student_name: str

    class TermPage(NamedTuple):
        """One page of families: the last family id of the page (the next page's ``after``;
        None when there was no family left) and their TermEnrolment rows."""

        upto: UUID | None
        enrolments: tuple[TermInvoicingRepository.TermEnrolment, ...]

    class TermInvoice(NamedTuple):
        """An invoice a term run issues (nothing paid or credited yet: all of ``total_amount``
        is outstanding; version 1), with what its audit entry records."""

        id: UUID
        invoice_number: str
        family_id: UUID
        enrolment_id: UUID
        issue_date: date
        due_date: date
        #: Sent, or paid when the total is 0.00.
        status: InvoiceStatus
        line_items: tuple[LineItem, ...]
        total_amount: Decimal
        gst_amount: Decimal
        #: The sibling discount (also the enrolment's ``discount_applied`` from now on).
        discount_amount: Decimal
        subtotal: Decimal
        proration: Decimal
        tuition: Decimal
        sibling_rank: int
        sessions_total: int
        sessions_remaining: int
        #: The enrolment's ``discount_applied`` before.
        discount_before: Decimal
        student_name: str
        cohort_name: str
        created_at: datetime

    @abstractmethod
    def lock_run(self) -> None:
        """Take the organisation's term-run lock until this unit of work ends (a run holds
        it, in a unit of work of its own, from its first page to its last): two runs never
        invoice the same enrolment."""

    @abstractmethod
    def page(
        self, after: UUID | None, size: int, *, first_day: date, last_day: date, today: date
    ) -> TermInvoicingRepository.TermPage:
        """The next ``size`` families by id after ``after`` and their TermEnrolment rows
        (ordered by family, enrolment date, id).

        First it locks every cohort starting between ``first_day`` and ``last_day`` in which
        one of the families has an enrolment pending payment, against
        ``CohortRepository.get_for_update``: the automatic invoice of such an enrolment takes
        that lock, so the two never invoice it at the same time (the lock may be shared by
        the pages of one run). The rows are read after that; an enrolment that became pending
        payment in a cohort not locked meanwhile is left out (its automatic invoice follows).
        """

    @abstractmethod
    def allocate_invoice_numbers(self, year: int, count: int) -> int:
        """Take ``count`` invoice numbers of ``year`` at once (one statement: the counter goes
        up by ``count``); the first of them. Same guarantees as
        ``InvoiceRepository.next_number``: unique, never reused, given back on rollback."""

    @abstractmethod
    def issue(
        self,
        invoices: Sequence[TermInvoicingRepository.TermInvoice],
        *,
        first_day: date,
        last_day: date,
        at: datetime,
    ) -> None:
        """Issue the invoices (numbers from ``allocate_invoice_numbers``; at most one per
        enrolment) all at once: insert them; set each enrolment's ``discount_applied`` to
        its invoice's discount (its version goes up when that changes it); add each family's
        sent invoices to its ``account_balance`` (its version goes up); and append one audit
        entry per invoice, without an actor, at ``at``: ``ISSUE``, ``issue_summary`` and
        ``issue_changes``, where the family's balance moves by each sent invoice in turn, in
        number order."""

    @staticmethod
    def issue_summary(invoice: TermInvoicingRepository.TermInvoice) -> str:
        """The audit summary of an issued invoice."""
        return (
            f"term invoice {invoice.invoice_number} for the enrolment of {invoice.student_name}"
            f" in {invoice.cohort_name}: {invoice.total_amount} due {invoice.due_date.isoformat()}"
        )[:500]

    @staticmethod
    def issue_changes(
        invoice: TermInvoicingRepository.TermInvoice,
        *,
        first_day: date,
        last_day: date,
        balance: tuple[Decimal, Decimal],
    ) -> dict[str, object]:
        """The audit changes of an issued invoice (JSON values): its figures, the sibling
        rank and sessions counted, the enrolment's discount and the family's ``balance``
        (before, after) this invoice."""
        return {
            "enrolment_id": str(invoice.enrolment_id),
            "family_id": str(invoice.family_id),
            "term": [first_day.isoformat(), last_day.isoformat()],
            "tuition": str(invoice.tuition),
            "sibling_rank": invoice.sibling_rank,
            "sessions": [invoice.sessions_remaining, invoice.sessions_total],
            "subtotal": str(invoice.subtotal),
            "discount_amount": str(invoice.discount_amount),
            "proration": str(invoice.proration),
            "gst_amount": str(invoice.gst_amount),
            "total_amount": str(invoice.total_amount),
            "status": invoice.status.value,
            "issue_date": invoice.issue_date.isoformat(),
            "due_date": invoice.due_date.isoformat(),
            "discount_applied": [str(invoice.discount_before), str(invoice.discount_amount)],
            "account_balance": [str(balance[0]), str(balance[1])],
        }


class UnitOfWork(ABC):
    """One business transaction in one organisation: all of it is saved, or none of it.

    Use it as a context manager and call ``commit()``; leaving the block without committing,
    or with an exception, rolls back. The same object may be entered again for a new
    transaction.
    """

    organisation_id: UUID
    organisations: OrganisationRepository
    campuses: CampusRepository
    staff: StaffRepository
    campus_staff: CampusStaffRepository
    programs: ProgramRepository
    cohorts: CohortRepository
    cohort_staff: CohortStaffRepository
    sessions: SessionRepository
    session_staff: SessionStaffRepository
    families: FamilyRepository
    students: StudentRepository
    enrolments: EnrolmentRepository
    makeup_tokens: MakeupTokenRepository
    attendance: AttendanceRepository
    skill_trees: SkillTreeRepository
    skill_nodes: SkillNodeRepository
    skill_progress: SkillProgressRepository
    projects: ProjectSubmissionRepository
    invoices: InvoiceRepository
    payments: PaymentRepository
    allocations: PaymentAllocationRepository
    refunds: RefundRepository
    credit_notes: CreditNoteRepository
    webhook_events: WebhookEventRepository
    messages: MessageRepository
    notifications: NotificationRepository
    staff_sessions: StaffSessionRepository
    audit: AuditLog
    lifecycle: LifecycleRepository
    term_invoicing: TermInvoicingRepository
    reports: ReportingRepository
    rolls: RollRepository

    def __enter__(self) -> Self:
        self.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.rollback()

    @abstractmethod
    def begin(self) -> None:
        """Start a transaction (``with uow:`` does this)."""

    @abstractmethod
    def commit(self) -> None:
        """Save every change of the transaction at once, or raise and save nothing."""

    @abstractmethod
    def rollback(self) -> None:
        """Discard every uncommitted change (a no-op after commit)."""

    @abstractmethod
    def seen(self) -> Iterable[Entity]:
        """The entities this transaction has loaded or added."""

    def record(self, event: DomainEvent) -> None:
        """Record an event of a set-based write, which has no entity to carry it (marking a
        roll: ``RollRepository.record_marks``); collected with the entities' events."""
        self.__dict__.setdefault("_recorded_events", []).append(event)

    def drop_recorded(self) -> None:
        """Forget the events ``record`` kept (adapters call it as a transaction begins and
        when it is rolled back)."""
        self.__dict__.pop("_recorded_events", None)

    def collect_events(self) -> list[DomainEvent]:
        """Take the domain events recorded by the entities of this transaction (and by
        ``record``)."""
        events = [event for entity in list(self.seen()) for event in entity.pull_events()]
        recorded: list[DomainEvent] = self.__dict__.pop("_recorded_events", [])
        return events + recorded


#: Makes a unit of work for an organisation (what services are given).
UnitOfWorkFactory = Callable[[UUID], UnitOfWork]


class Clock(ABC):
    """The current time. Services ask the clock, never the system, so tests can fix it."""

    @abstractmethod
    def now(self) -> datetime:
        """The current instant, timezone-aware."""

    def today(self, timezone: str) -> date:
        """Today's date in a time zone (e.g. a campus's)."""
        return self.now().astimezone(ZoneInfo(timezone)).date()


@attrs.frozen(kw_only=True)
class PaymentIntentResult:
    """What the payment provider says about a payment attempt."""

    id: str
    status: str
    amount: Decimal
    client_secret: str | None = None


@attrs.frozen(kw_only=True)
class RefundResult:
    """What the payment provider says about a refund."""

    id: str
    status: str
    amount: Decimal


class PaymentGateway(ABC):
    """Takes card payments and refunds through a provider (Stripe in production)."""

    @abstractmethod
    def create_customer(self, family: Family) -> str:
        """Register the family with the provider; returns the provider's customer id."""

    @abstractmethod
    def create_payment_intent(
        self,
        *,
        amount: Decimal,
        invoice_id: UUID,
        customer_id: str | None,
        payment_method_id: str | None = None,
        off_session: bool = False,
        organisation_id: UUID | None = None,
        family_id: UUID | None = None,
    ) -> PaymentIntentResult:
        """Ask for ``amount`` AUD for an invoice (charged at once with a saved method).

        ``organisation_id`` and ``family_id`` go into the provider's metadata so that its
        webhooks can be routed back to the right organisation; an adapter that cannot find
        the organisation (given, or from the customer it created) refuses."""

    @abstractmethod
    def refund(self, *, payment_intent_id: str, amount: Decimal) -> RefundResult:
        """Give back ``amount`` of a card payment."""


@attrs.frozen(kw_only=True)
class OutgoingMessage:
    """A rendered notification, ready for a channel."""

    channel: NotificationChannel
    to_address: str
    subject: str
    text_body: str
    html_body: str | None = None
    #: The notification's id: a stable Message-ID, so that a copy sent again after a crash
    #: is recognisable as the same message.
    reference: UUID | None = None
    #: Shown as the sender's name (the school's name).
    sender_name: str | None = None


class Notifier(ABC):
    """Delivers rendered notifications (e-mail now; SMS and push later)."""

    @abstractmethod
    def send(self, message: OutgoingMessage) -> None:
        """Deliver, or raise TemporaryDeliveryFailure / PermanentDeliveryFailure."""


@attrs.frozen(kw_only=True)
class RenderedMessage:
    """A notification template rendered for one recipient."""

    subject: str
    text_body: str
    html_body: str


class TemplateRenderer(ABC):
    """Renders the notification templates (one per NotificationKind: subject, plain text and
    HTML), which staff can edit. A template that uses a variable the kind does not provide,
    or a missing template, raises ValidationError naming the template: never a half-filled
    message."""

    @abstractmethod
    def render(self, kind: NotificationKind, variables: Mapping[str, object]) -> RenderedMessage:
        """The message for ``kind`` with ``variables`` (the school's name, the child's name,
        the details)."""


class PasswordHasher(ABC):
    """Hashes and checks staff passwords (argon2id in production)."""

    @abstractmethod
    def hash(self, password: str) -> str:
        """A salted hash of ``password``."""

    @abstractmethod
    def verify(self, password_hash: str, password: str) -> bool:
        """True when ``password`` matches ``password_hash``."""

    @abstractmethod
    def needs_rehash(self, password_hash: str) -> bool:
        """True when the hash was made with weaker parameters than today's."""


class OrganisationDirectory(ABC):
    """Every organisation's id, for the system jobs that run across organisations (the
    nightly job, term invoicing, the dispatcher). A unit of work sees one organisation only
    (on Postgres row-level security hides the others); the SQL adapter opens the ids of
    ``organisations`` for its one read-only transaction (``rocket.list_organisations``,
    migration 0007) and reads nothing else."""

    @abstractmethod
    def organisation_ids(self) -> list[UUID]:
        """Every organisation's id, in id order."""


class ReportingRepository(ABC):
    """The figures of the dashboard and the rows of the CSV reports, in the unit of work's
    organisation, read set-based (on SQL one aggregate or joined query per call, GROUP BY
    where figures are per cohort; nothing is loaded row by row). Read only.

    Every call is given a ``Scope`` (a campus, and for staff who only see their own cohorts
    the cohorts they teach) and a ``Period`` (the local days, and the instants they span in
    the report's time zone). The rules, shared by every adapter (``ReportingService``'s
    docstring explains them):

    - An enrolment **held a seat during a period** when its cohort runs during it (starts on
      or before the last day, ends on or after the first), it was made before the period
      ended, and it is a seat-holder (pending payment, enrolled, active), or completed,
      dropped or transferred after it had started (start and end dates recorded; the end
      date on or after the first day); an enrolment with a start date after the last day
      does not count yet.
    - A session is **held** when it is not cancelled, its cohort is not a draft, and it is
      dated before ``today`` or already has a mark. Its **expected** students: those marked
      there, the cohort's students on its roll that day (seat-holders, or completed, dropped
      or transferred ones that had started; from their start date, or without one from the
      UTC day of their enrolment; up to their end date), the trial visitors booked into it
      (unless dropped) and the makeup visitors who spent a token on it. Unmarked expected
      students count as absent.
    - An enrolment **reached payment** when it is pending payment, enrolled, active,
      completed or transferred, or dropped with an invoice (issued when it reached pending
      payment).
    - Money is attributed to a campus through its invoice's enrolment's cohort: a payment
      without an invoice (credit) or on an invoice without an enrolment counts only when no
      campus is asked for.
    """

    #: Enrolment statuses that hold a seat (pending payment, enrolled, active).
    SEAT_HOLDING: ClassVar[frozenset[EnrolmentStatus]] = frozenset(
        {EnrolmentStatus.PENDING_PAYMENT, EnrolmentStatus.ENROLLED, EnrolmentStatus.ACTIVE}
    )
    #: Statuses of enrolments that held a seat and gave it up after they had started.
    ENDED: ClassVar[frozenset[EnrolmentStatus]] = frozenset(
        {EnrolmentStatus.COMPLETED, EnrolmentStatus.DROPPED, EnrolmentStatus.TRANSFERRED}
    )
    #: Statuses past pending payment, or at it (a dropped one needs an invoice as well).
    REACHED_PAYMENT: ClassVar[frozenset[EnrolmentStatus]] = frozenset(
        {
            EnrolmentStatus.PENDING_PAYMENT,
            EnrolmentStatus.ENROLLED,
            EnrolmentStatus.ACTIVE,
            EnrolmentStatus.COMPLETED,
            EnrolmentStatus.TRANSFERRED,
        }
    )
    #: Invoice statuses with money still expected.
    OPEN_INVOICES: ClassVar[frozenset[InvoiceStatus]] = frozenset(
        {InvoiceStatus.SENT, InvoiceStatus.PARTIAL, InvoiceStatus.OVERDUE}
    )

    @attrs.frozen(kw_only=True)
    class Scope:
        """What a report covers: one campus (None: every campus) and, for staff who see only
        the cohorts they teach, those cohorts (None: every cohort)."""

        campus_id: UUID | None = None
        cohort_ids: frozenset[UUID] | None = None

    @attrs.frozen(kw_only=True)
    class Period:
        """Local days ``first_day`` to ``last_day`` (inclusive), and the instants they span
        in the report's time zone (``starts_at`` inclusive, ``ends_at`` exclusive)."""

        first_day: date
        last_day: date
        starts_at: datetime
        ends_at: datetime

    class CohortSeats(NamedTuple):
        """A cohort running during a period (not a draft), and its enrolments that held a
        seat during it."""

        cohort_id: UUID
        cohort_name: str
        campus_id: UUID
        start_date: date
        max_capacity: int
        seats_held: int

    class EnrolmentRow(NamedTuple):
        """One enrolment of the enrolment report."""

        enrolment_id: UUID
        status: EnrolmentStatus
        enrolment_date: datetime
        is_trial: bool
        is_waitlist: bool
        start_date: date | None
        end_date: date | None
        withdrawal_date: date | None
        student_id: UUID
        student_first_name: str
        student_preferred_name: str | None
        student_last_name: str
        family_id: UUID
        cohort_id: UUID
        cohort_name: str
        cohort_start: date
        program_name: str
        campus_id: UUID

    class MoneyRow(NamedTuple):
        """One payment (``refund_status`` None) or refund of the revenue report."""

        id: UUID
        at: datetime
        amount: Decimal
        refund_status: RefundStatus | None
        payment_id: UUID
        payment_method: PaymentMethod
        reference_number: str | None
        family_id: UUID
        family_name: str
        invoice_number: str | None
        campus_id: UUID | None

    class MarkRow(NamedTuple):
        """One attendance mark of the attendance report."""

        attendance_id: UUID
        status: AttendanceStatus
        recorded_at: datetime
        recorded_by_staff_id: UUID | None
        session_id: UUID
        session_date: date
        session_number: int
        cohort_id: UUID
        cohort_name: str
        campus_id: UUID
        student_id: UUID
        student_first_name: str
        student_preferred_name: str | None
        student_last_name: str

    @abstractmethod
    def cohort_seats(
        self, scope: ReportingRepository.Scope, period: ReportingRepository.Period
    ) -> list[ReportingRepository.CohortSeats]:
        """The cohorts in scope running during ``period`` (draft ones left out), each with
        how many of its enrolments held a seat during it; in no particular order."""

    @abstractmethod
    def new_enrolments(
        self, scope: ReportingRepository.Scope, period: ReportingRepository.Period
    ) -> int:
        """Enrolments in scope made during ``period`` (``enrolment_date``) that reached
        payment."""

    @abstractmethod
    def trial_conversion(
        self, scope: ReportingRepository.Scope, period: ReportingRepository.Period
    ) -> tuple[int, int]:
        """(converted, trials): trial enrolments in scope whose trial session is dated in
        ``period``, and how many of them reached payment."""

    @abstractmethod
    def attendance(
        self, scope: ReportingRepository.Scope, period: ReportingRepository.Period, today: date
    ) -> tuple[int, int]:
        """(attended, expected) over the held sessions in scope dated in ``period``:
        present, late and makeup marks over every expected student of those sessions."""

    @abstractmethod
    def revenue(
        self, campus_id: UUID | None, period: ReportingRepository.Period
    ) -> tuple[Decimal, Decimal]:
        """(received, refunded): the payments made during ``period`` and the refunds given
        during it that did not fail (pending ones count), at ``campus_id`` (None: all)."""

    @abstractmethod
    def outstanding(self, campus_id: UUID | None, last_day: date) -> tuple[int, Decimal]:
        """(invoices, amount): the open invoices (sent, part paid, overdue) issued on or before
        ``last_day`` at ``campus_id`` (None: all), and what is outstanding on them now."""

    @abstractmethod
    def enrolment_rows(
        self, scope: ReportingRepository.Scope, period: ReportingRepository.Period
    ) -> list[ReportingRepository.EnrolmentRow]:
        """Every enrolment (any status) in the cohorts in scope running during ``period``; one
        query, in no particular order."""

    @abstractmethod
    def money_rows(
        self, campus_id: UUID | None, period: ReportingRepository.Period
    ) -> list[ReportingRepository.MoneyRow]:
        """The payments made and the refunds given during ``period`` at ``campus_id`` (None:
        all), failed refunds left out (as in ``revenue``); one query, in no particular
        order."""

    @abstractmethod
    def mark_rows(
        self, scope: ReportingRepository.Scope, period: ReportingRepository.Period
    ) -> list[ReportingRepository.MarkRow]:
        """Every attendance mark at the sessions in scope dated in ``period``; one query, in no
        particular order."""
