"""In-memory repositories: each port's lookups as filters over the unit of work's view."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from uuid import UUID

from rocket_core import model as m
from rocket_core import ports
from rocket_core.enrolment_machine import EnrolmentStatus
from rocket_core.errors import NotFound

if TYPE_CHECKING:
    from rocket_adapters.memory.unit_of_work import MemoryUnitOfWork

E = TypeVar("E", bound=m.Entity)


class MemoryRepository(ports.Repository[E], Generic[E]):
    """add / find for one entity type, through the unit of work's identity map."""

    def __init__(self, uow: MemoryUnitOfWork, cls: type[E]) -> None:
        self._uow = uow
        self._cls = cls

    def add(self, entity: E) -> None:
        if not isinstance(entity, self._cls):
            raise TypeError(f"{type(self).__name__} stores {self._cls.__name__} only")
        self._uow.track_new(entity)

    def find(self, entity_id: UUID) -> E | None:
        return self._uow.load(self._cls, entity_id)

    def find_many(self, entity_ids: Collection[UUID]) -> list[E]:
        wanted = set(entity_ids)
        return self._uow.select(self._cls, lambda e: e.id in wanted)


class MemoryAssociationRepository(MemoryRepository[E], ports.AssociationRepository[E]):
    """Join records, which may be removed."""

    def remove(self, entity: E) -> None:
        self._uow.remove(entity)


class MemoryOrganisationRepository(MemoryRepository[m.Organisation], ports.OrganisationRepository):
    def current(self) -> m.Organisation:
        found = self.find(self._uow.organisation_id)
        if found is None:
            raise NotFound("Organisation", self._uow.organisation_id)
        return found


class MemoryCampusRepository(MemoryRepository[m.Campus], ports.CampusRepository):
    def list(self, *, active_only: bool = False) -> list[m.Campus]:
        return self._uow.select(
            m.Campus, lambda c: c.is_active or not active_only, lambda c: (c.name, c.id)
        )


class MemoryStaffRepository(MemoryRepository[m.Staff], ports.StaffRepository):
    def find_by_email(self, email: str) -> m.Staff | None:
        wanted = email.strip().lower()
        found = self._uow.select(m.Staff, lambda s: s.email == wanted)
        return found[0] if found else None

    def list(self, *, role: m.StaffRole | None = None, active_only: bool = False) -> list[m.Staff]:
        return self._uow.select(
            m.Staff,
            lambda s: (role is None or s.role is role) and (s.is_active or not active_only),
            lambda s: (s.last_name, s.first_name, s.id),
        )

    def find_access(self, staff_id: UUID) -> ports.StaffAccess | None:
        staff = self.find(staff_id)
        return None if staff is None else _access(self._uow, staff)


def _access(uow: MemoryUnitOfWork, staff: m.Staff) -> ports.StaffAccess:
    def assigned(cls: type[Any], column: str) -> frozenset[UUID]:
        rows = uow.select(cls, lambda a: a.staff_id == staff.id)
        return frozenset(getattr(a, column) for a in rows)

    return ports.StaffAccess(
        staff=staff,
        campus_ids=assigned(m.CampusStaff, "campus_id"),
        cohort_ids=assigned(m.CohortStaff, "cohort_id"),
        session_ids=assigned(m.SessionStaff, "session_id"),
    )


class MemoryCampusStaffRepository(
    MemoryAssociationRepository[m.CampusStaff], ports.CampusStaffRepository
):
    def find_assignment(self, campus_id: UUID, staff_id: UUID) -> m.CampusStaff | None:
        found = self._uow.select(
            m.CampusStaff, lambda a: a.campus_id == campus_id and a.staff_id == staff_id
        )
        return found[0] if found else None

    def list_for_campus(self, campus_id: UUID) -> list[m.CampusStaff]:
        return self._uow.select(
            m.CampusStaff, lambda a: a.campus_id == campus_id, lambda a: (a.assigned_at, a.id)
        )

    def list_for_staff(self, staff_id: UUID) -> list[m.CampusStaff]:
        return self._uow.select(
            m.CampusStaff, lambda a: a.staff_id == staff_id, lambda a: (a.assigned_at, a.id)
        )


class MemoryProgramRepository(MemoryRepository[m.Program], ports.ProgramRepository):
    def list(self, *, active_only: bool = False) -> list[m.Program]:
        return self._uow.select(
            m.Program, lambda p: p.is_active or not active_only, lambda p: (p.name, p.id)
        )


class MemoryCohortRepository(MemoryRepository[m.Cohort], ports.CohortRepository):
    def list(
        self,
        *,
        campus_id: UUID | None = None,
        program_id: UUID | None = None,
        statuses: Collection[m.CohortStatus] | None = None,
    ) -> list[m.Cohort]:
        return self._uow.select(
            m.Cohort,
            lambda c: (
                (campus_id is None or c.campus_id == campus_id)
                and (program_id is None or c.program_id == program_id)
                and (statuses is None or c.status in statuses)
            ),
            lambda c: (c.start_date, c.name, c.id),
        )

    def get_for_update(self, cohort_id: UUID) -> m.Cohort:
        self._uow.lock_row((m.Cohort, cohort_id))
        found = self._uow.reload(m.Cohort, cohort_id)
        if found is None:
            raise NotFound(self.entity_name, cohort_id)
        return found


class MemoryCohortStaffRepository(
    MemoryAssociationRepository[m.CohortStaff], ports.CohortStaffRepository
):
    def list_for_cohort(self, cohort_id: UUID) -> list[m.CohortStaff]:
        return self._uow.select(
            m.CohortStaff, lambda a: a.cohort_id == cohort_id, lambda a: (a.assigned_at, a.id)
        )

    def list_for_staff(self, staff_id: UUID) -> list[m.CohortStaff]:
        return self._uow.select(
            m.CohortStaff, lambda a: a.staff_id == staff_id, lambda a: (a.assigned_at, a.id)
        )

    def find_assignment(self, cohort_id: UUID, staff_id: UUID) -> m.CohortStaff | None:
        found = self._uow.select(
            m.CohortStaff, lambda a: a.cohort_id == cohort_id and a.staff_id == staff_id
        )
        return found[0] if found else None


class MemorySessionRepository(MemoryRepository[m.Session], ports.SessionRepository):
    def list_for_cohort(self, cohort_id: UUID) -> list[m.Session]:
        return self._uow.select(
            m.Session, lambda s: s.cohort_id == cohort_id, lambda s: s.session_number
        )

    def list_between(self, first_day: date, last_day: date) -> list[m.Session]:
        return self._uow.select(
            m.Session,
            lambda s: first_day <= s.scheduled_date <= last_day,
            lambda s: (s.scheduled_date, s.scheduled_start_time, s.id),
        )

    def list_for_staff(self, staff_id: UUID, first_day: date, last_day: date) -> list[m.Session]:
        cohorts = {
            a.cohort_id for a in self._uow.select(m.CohortStaff, lambda a: a.staff_id == staff_id)
        }
        assisted = {
            a.session_id for a in self._uow.select(m.SessionStaff, lambda a: a.staff_id == staff_id)
        }
        return self._uow.select(
            m.Session,
            lambda s: (
                first_day <= s.scheduled_date <= last_day
                and (s.lead_instructor_id == staff_id or s.id in assisted or s.cohort_id in cohorts)
            ),
            lambda s: (s.scheduled_date, s.scheduled_start_time, s.id),
        )


class MemorySessionStaffRepository(
    MemoryAssociationRepository[m.SessionStaff], ports.SessionStaffRepository
):
    def list_for_session(self, session_id: UUID) -> list[m.SessionStaff]:
        return self._uow.select(
            m.SessionStaff, lambda a: a.session_id == session_id, lambda a: (a.assigned_at, a.id)
        )

    def list_for_staff(self, staff_id: UUID) -> list[m.SessionStaff]:
        return self._uow.select(
            m.SessionStaff, lambda a: a.staff_id == staff_id, lambda a: (a.assigned_at, a.id)
        )


class MemoryFamilyRepository(MemoryRepository[m.Family], ports.FamilyRepository):
    def find_by_email(self, email: str) -> m.Family | None:
        wanted = email.strip().lower()
        found = self._uow.select(m.Family, lambda f: f.primary_contact_email == wanted)
        return found[0] if found else None

    def list(self, *, active_only: bool = False) -> list[m.Family]:
        return self._uow.select(
            m.Family,
            lambda f: f.is_active or not active_only,
            lambda f: (f.display_name.casefold(), f.id),
        )


class MemoryStudentRepository(MemoryRepository[m.Student], ports.StudentRepository):
    def list_for_family(self, family_id: UUID) -> list[m.Student]:
        return self._uow.select(
            m.Student, lambda s: s.family_id == family_id, lambda s: (s.date_of_birth, s.id)
        )


class MemoryEnrolmentRepository(MemoryRepository[m.Enrolment], ports.EnrolmentRepository):
    def list_for_cohort(
        self, cohort_id: UUID, *, statuses: Collection[EnrolmentStatus] | None = None
    ) -> list[m.Enrolment]:
        return self._uow.select(
            m.Enrolment,
            lambda e: e.cohort_id == cohort_id and (statuses is None or e.status in statuses),
            lambda e: (e.enrolment_date, e.id),
        )

    def list_for_student(self, student_id: UUID) -> list[m.Enrolment]:
        return self._uow.select(
            m.Enrolment, lambda e: e.student_id == student_id, lambda e: (e.enrolment_date, e.id)
        )

    def find_live(self, student_id: UUID, cohort_id: UUID) -> m.Enrolment | None:
        found = self._uow.select(
            m.Enrolment,
            lambda e: e.student_id == student_id and e.cohort_id == cohort_id and e.is_live,
        )
        return found[0] if found else None

    def waitlist(self, cohort_id: UUID) -> list[m.Enrolment]:
        return self._uow.select(
            m.Enrolment,
            lambda e: e.cohort_id == cohort_id and e.is_waitlist,
            lambda e: (e.waitlist_position, e.enrolment_date, e.id),
        )

    def list_trials_for_session(self, session_id: UUID) -> list[m.Enrolment]:
        return self._uow.select(
            m.Enrolment,
            lambda e: e.trial_session_id == session_id,
            lambda e: (e.enrolment_date, e.id),
        )

    def list_lapsed_offers(self, now: datetime) -> list[m.Enrolment]:
        return self._uow.select(
            m.Enrolment, lambda e: e.offer_lapsed(now), lambda e: (e.offer_expires_at, e.id)
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
        in_cohorts = None if cohort_ids is None else frozenset(cohort_ids)
        at_campuses = None if campus_ids is None else frozenset(campus_ids)
        wanted = None if statuses is None else frozenset(statuses)
        cohorts = {
            c.id: c
            for c in self._uow.select(
                m.Cohort,
                lambda c: (
                    (in_cohorts is None or c.id in in_cohorts)
                    and (at_campuses is None or c.campus_id in at_campuses)
                ),
            )
        }
        found = self._uow.select(
            m.Enrolment,
            lambda e: e.cohort_id in cohorts and (wanted is None or e.status in wanted),
        )
        found.sort(
            key=lambda e: (
                cohorts[e.cohort_id].start_date,
                cohorts[e.cohort_id].name,
                e.cohort_id,
                e.enrolment_date,
                e.id,
            )
        )
        return _page(found, limit, offset)


class MemoryMakeupTokenRepository(MemoryRepository[m.MakeupToken], ports.MakeupTokenRepository):
    def list_for_student(
        self, student_id: UUID, *, status: m.MakeupTokenStatus | None = None
    ) -> list[m.MakeupToken]:
        return self._uow.select(
            m.MakeupToken,
            lambda t: t.student_id == student_id and (status is None or t.status is status),
            lambda t: (t.expires_on, t.id),
        )

    def list_for_enrolment(self, enrolment_id: UUID) -> list[m.MakeupToken]:
        return self._uow.select(
            m.MakeupToken, lambda t: t.enrolment_id == enrolment_id, lambda t: (t.expires_on, t.id)
        )

    def list_redeemed_for_session(self, session_id: UUID) -> list[m.MakeupToken]:
        return self._uow.select(
            m.MakeupToken,
            lambda t: t.redeemed_session_id == session_id,
            lambda t: (t.redeemed_at, t.id),
        )

    def list_expired(self, day: date) -> list[m.MakeupToken]:
        return self._uow.select(
            m.MakeupToken,
            lambda t: t.status is m.MakeupTokenStatus.AVAILABLE and t.expires_on < day,
            lambda t: (t.expires_on, t.id),
        )


class MemoryAttendanceRepository(MemoryRepository[m.Attendance], ports.AttendanceRepository):
    def find_for(self, session_id: UUID, student_id: UUID) -> m.Attendance | None:
        found = self._uow.select(
            m.Attendance, lambda a: a.session_id == session_id and a.student_id == student_id
        )
        return found[0] if found else None

    def list_for_session(self, session_id: UUID) -> list[m.Attendance]:
        return self._uow.select(
            m.Attendance, lambda a: a.session_id == session_id, lambda a: (a.recorded_at, a.id)
        )

    def list_for_student(self, student_id: UUID) -> list[m.Attendance]:
        return self._uow.select(
            m.Attendance, lambda a: a.student_id == student_id, lambda a: (a.recorded_at, a.id)
        )


class MemorySkillTreeRepository(MemoryRepository[m.SkillTree], ports.SkillTreeRepository):
    def list(self) -> list[m.SkillTree]:
        return self._uow.select(m.SkillTree, lambda t: True, lambda t: (t.name, t.id))


class MemorySkillNodeRepository(MemoryRepository[m.SkillNode], ports.SkillNodeRepository):
    def list_for_tree(self, skill_tree_id: UUID) -> list[m.SkillNode]:
        return self._uow.select(
            m.SkillNode,
            lambda n: n.skill_tree_id == skill_tree_id,
            lambda n: (n.level, n.order, n.id),
        )


class MemorySkillProgressRepository(
    MemoryRepository[m.SkillProgress], ports.SkillProgressRepository
):
    def find_for(self, student_id: UUID, skill_node_id: UUID) -> m.SkillProgress | None:
        found = self._uow.select(
            m.SkillProgress,
            lambda p: p.student_id == student_id and p.skill_node_id == skill_node_id,
        )
        return found[0] if found else None

    def list_for_student(self, student_id: UUID) -> list[m.SkillProgress]:
        return self._uow.select(
            m.SkillProgress, lambda p: p.student_id == student_id, lambda p: (p.created_at, p.id)
        )

    def list_for_node(
        self, skill_node_id: UUID, student_ids: Collection[UUID] | None = None
    ) -> list[m.SkillProgress]:
        wanted = None if student_ids is None else set(student_ids)
        return self._uow.select(
            m.SkillProgress,
            lambda p: (
                p.skill_node_id == skill_node_id and (wanted is None or p.student_id in wanted)
            ),
            lambda p: (p.student_id, p.id),
        )


class MemoryProjectSubmissionRepository(
    MemoryRepository[m.ProjectSubmission], ports.ProjectSubmissionRepository
):
    def list_for_cohort(self, cohort_id: UUID) -> list[m.ProjectSubmission]:
        return self._uow.select(
            m.ProjectSubmission,
            lambda p: p.cohort_id == cohort_id,
            lambda p: (p.submitted_at, p.id),
        )

    def list_for_student(self, student_id: UUID) -> list[m.ProjectSubmission]:
        return self._uow.select(
            m.ProjectSubmission,
            lambda p: p.student_id == student_id,
            lambda p: (p.submitted_at, p.id),
        )


class MemoryInvoiceRepository(MemoryRepository[m.Invoice], ports.InvoiceRepository):
    def find_by_number(self, invoice_number: str) -> m.Invoice | None:
        found = self._uow.select(m.Invoice, lambda i: i.invoice_number == invoice_number)
        return found[0] if found else None

    def list_for_family(self, family_id: UUID) -> list[m.Invoice]:
        return self._uow.select(
            m.Invoice,
            lambda i: i.family_id == family_id,
            lambda i: (i.issue_date, i.invoice_number),
        )

    def list_for_enrolment(self, enrolment_id: UUID) -> list[m.Invoice]:
        return self._uow.select(
            m.Invoice,
            lambda i: i.enrolment_id == enrolment_id,
            lambda i: (i.issue_date, i.invoice_number),
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
        families: frozenset[UUID] | None = None
        if campus_ids is not None:
            at_campuses = frozenset(campus_ids)
            cohorts = {
                c.id for c in self._uow.select(m.Cohort, lambda c: c.campus_id in at_campuses)
            }
            students = {
                e.student_id
                for e in self._uow.select(m.Enrolment, lambda e: e.cohort_id in cohorts)
            }
            families = frozenset(
                s.family_id for s in self._uow.select(m.Student, lambda s: s.id in students)
            )
        found = self._uow.select(
            m.Invoice,
            lambda i: (
                (family_id is None or i.family_id == family_id)
                and (families is None or i.family_id in families)
                and (status is None or i.status is status)
                and (issued_from is None or i.issue_date >= issued_from)
                and (issued_to is None or i.issue_date <= issued_to)
            ),
            lambda i: (i.issue_date, i.invoice_number, i.id),
        )
        return _page(found, limit, offset)

    def list_open_due_before(self, day: date) -> list[m.Invoice]:
        return self._uow.select(
            m.Invoice,
            lambda i: (
                i.status in (m.InvoiceStatus.SENT, m.InvoiceStatus.PARTIAL) and i.due_date < day
            ),
            lambda i: (i.due_date, i.invoice_number),
        )

    def next_number(self, year: int) -> str:
        return m.invoice_number(year, self._uow.next_number("invoice", year))


class MemoryPaymentRepository(MemoryRepository[m.Payment], ports.PaymentRepository):
    def list_for_family(self, family_id: UUID) -> list[m.Payment]:
        return self._uow.select(
            m.Payment, lambda p: p.family_id == family_id, lambda p: (p.payment_date, p.id)
        )

    def list_for_invoice(self, invoice_id: UUID) -> list[m.Payment]:
        return self._uow.select(
            m.Payment, lambda p: p.invoice_id == invoice_id, lambda p: (p.payment_date, p.id)
        )

    def find_by_payment_intent(self, payment_intent_id: str) -> m.Payment | None:
        found = self._uow.select(
            m.Payment, lambda p: p.stripe_payment_intent_id == payment_intent_id
        )
        return found[0] if found else None


class MemoryPaymentAllocationRepository(
    MemoryRepository[m.PaymentAllocation], ports.PaymentAllocationRepository
):
    def list_for_payment(self, payment_id: UUID) -> list[m.PaymentAllocation]:
        return self._uow.select(
            m.PaymentAllocation,
            lambda a: a.payment_id == payment_id,
            lambda a: (a.allocated_at, a.id),
        )

    def list_for_invoice(self, invoice_id: UUID) -> list[m.PaymentAllocation]:
        return self._uow.select(
            m.PaymentAllocation,
            lambda a: a.invoice_id == invoice_id,
            lambda a: (a.allocated_at, a.id),
        )


class MemoryRefundRepository(MemoryRepository[m.Refund], ports.RefundRepository):
    def list_for_payment(self, payment_id: UUID) -> list[m.Refund]:
        return self._uow.select(
            m.Refund, lambda r: r.payment_id == payment_id, lambda r: (r.refunded_at, r.id)
        )

    def list_for_family(self, family_id: UUID) -> list[m.Refund]:
        return self._uow.select(
            m.Refund, lambda r: r.family_id == family_id, lambda r: (r.refunded_at, r.id)
        )

    def find_by_stripe_refund(self, stripe_refund_id: str) -> m.Refund | None:
        found = self._uow.select(m.Refund, lambda r: r.stripe_refund_id == stripe_refund_id)
        return found[0] if found else None


class MemoryCreditNoteRepository(MemoryRepository[m.CreditNote], ports.CreditNoteRepository):
    def list_for_invoice(self, invoice_id: UUID) -> list[m.CreditNote]:
        return self._uow.select(
            m.CreditNote,
            lambda n: n.invoice_id == invoice_id,
            lambda n: (n.issue_date, n.credit_note_number),
        )

    def list_for_family(self, family_id: UUID) -> list[m.CreditNote]:
        return self._uow.select(
            m.CreditNote,
            lambda n: n.family_id == family_id,
            lambda n: (n.issue_date, n.credit_note_number),
        )

    def next_number(self, year: int) -> str:
        return m.credit_note_number(year, self._uow.next_number("credit_note", year))


class MemoryWebhookEventRepository(MemoryRepository[m.WebhookEvent], ports.WebhookEventRepository):
    def find_by_provider_event(
        self, provider: str, provider_event_id: str
    ) -> m.WebhookEvent | None:
        found = self._uow.select(
            m.WebhookEvent,
            lambda e: e.provider == provider and e.provider_event_id == provider_event_id,
        )
        return found[0] if found else None


class MemoryMessageRepository(MemoryRepository[m.Message], ports.MessageRepository):
    def list_thread(self, thread_id: UUID) -> list[m.Message]:
        return self._uow.select(
            m.Message, lambda x: x.thread_id == thread_id, lambda x: (x.sent_at, x.id)
        )

    def list_for_family(self, family_id: UUID) -> list[m.Message]:
        return self._uow.select(
            m.Message,
            lambda x: family_id in (x.sender_family_id, x.recipient_family_id),
            lambda x: (x.sent_at, x.id),
        )

    def list_for_staff(self, staff_id: UUID) -> list[m.Message]:
        return self._uow.select(
            m.Message,
            lambda x: staff_id in (x.sender_staff_id, x.recipient_staff_id),
            lambda x: (x.sent_at, x.id),
        )

    def count_unread_for_family(self, family_id: UUID) -> int:
        return len(
            self._uow.select(
                m.Message, lambda x: x.recipient_family_id == family_id and not x.is_read
            )
        )

    def count_unread_for_staff(self, staff_id: UUID) -> int:
        return len(
            self._uow.select(
                m.Message, lambda x: x.recipient_staff_id == staff_id and not x.is_read
            )
        )


class MemoryNotificationRepository(MemoryRepository[m.Notification], ports.NotificationRepository):
    def claim_due(self, now: datetime, limit: int) -> list[m.Notification]:
        # Concurrent claims of the same row: the second commit fails its version check.
        due = self._uow.select(
            m.Notification,
            lambda n: (
                n.status is m.NotificationStatus.QUEUED
                and n.due_at <= now
                and (n.claimed_until is None or n.claimed_until <= now)
            ),
            lambda n: (n.due_at, n.id),
        )
        return due[: max(limit, 0)]

    def find_by_dedupe_key(self, dedupe_key: str) -> m.Notification | None:
        found = self._uow.select(m.Notification, lambda n: n.dedupe_key == dedupe_key)
        return found[0] if found else None

    def existing_keys(self, dedupe_keys: Collection[str]) -> set[str]:
        wanted = set(dedupe_keys)
        found = self._uow.select(m.Notification, lambda n: n.dedupe_key in wanted)
        return {str(n.dedupe_key) for n in found}

    def list_for_family(self, family_id: UUID) -> list[m.Notification]:
        return self._uow.select(
            m.Notification,
            lambda n: n.recipient_family_id == family_id,
            lambda n: (n.created_at, n.id),
        )


class MemoryStaffSessionRepository(MemoryRepository[m.StaffSession], ports.StaffSessionRepository):
    def find_by_token_hash(self, token_hash: str) -> m.StaffSession | None:
        found = self._uow.select(m.StaffSession, lambda s: s.token_hash == token_hash)
        return found[0] if found else None

    def list_live_for_staff(self, staff_id: UUID, now: datetime) -> list[m.StaffSession]:
        return self._uow.select(
            m.StaffSession,
            lambda s: s.staff_id == staff_id and s.is_live(now),
            lambda s: (s.created_at, s.id),
        )

    def find_signed_in(self, token_hash: str) -> m.SignedIn | None:
        session = self.find_by_token_hash(token_hash)
        staff = None if session is None else self._uow.load(m.Staff, session.staff_id)
        if session is None or staff is None:
            return None
        access = _access(self._uow, staff)
        return m.SignedIn(
            session_id=session.id,
            organisation_id=session.organisation_id,
            expires_at=session.expires_at,
            revoked_at=session.revoked_at,
            csrf_hash=session.csrf_hash,
            staff_id=staff.id,
            role=staff.role,
            first_name=staff.first_name,
            last_name=staff.last_name,
            is_active=staff.is_active,
            campus_ids=access.campus_ids,
            cohort_ids=access.cohort_ids,
            session_ids=access.session_ids,
        )


class MemoryAuditLog(MemoryRepository[m.AuditEntry], ports.AuditLog):
    def list_for_entity(self, entity_id: UUID) -> list[m.AuditEntry]:
        return self._uow.select(
            m.AuditEntry, lambda a: a.entity_id == entity_id, lambda a: (a.occurred_at, a.id)
        )

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
        found = self._uow.select(
            m.AuditEntry,
            lambda a: (
                (entity_id is None or a.entity_id == entity_id)
                and (entity_type is None or a.entity_type == entity_type)
                and (actor_staff_id is None or a.actor_staff_id == actor_staff_id)
                and (occurred_from is None or a.occurred_at >= occurred_from)
                and (occurred_to is None or a.occurred_at < occurred_to)
            ),
            lambda a: (a.occurred_at, a.id),
        )
        found.reverse()
        return _page(found, limit, offset)


def _page(found: list[E], limit: int, offset: int) -> tuple[list[E], int]:
    """At most ``limit`` of ``found`` from ``offset``, and how many there are in all."""
    start = max(offset, 0)
    return found[start : start + max(limit, 0)], len(found)
