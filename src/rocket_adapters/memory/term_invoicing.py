"""Term invoicing in memory: the same rows and writes as the SQL statements, through the unit
of work's own copies and the entities (invoices are validated as ``Invoice`` entities)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from rocket_core import model as m
from rocket_core.enrolment_machine import EnrolmentStatus as S
from rocket_core.ports import TermInvoicingRepository

if TYPE_CHECKING:
    from rocket_adapters.memory.unit_of_work import MemoryUnitOfWork

_Row = TermInvoicingRepository.TermEnrolment


class MemoryTermInvoicingRepository(TermInvoicingRepository):
    """TermInvoicingRepository over a MemoryUnitOfWork (changes are saved when it commits)."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def lock_run(self) -> None:
        self._uow.lock_row(("term_invoicing", self._uow.organisation_id))

    def page(
        self, after: UUID | None, size: int, *, first_day: date, last_day: date, today: date
    ) -> TermInvoicingRepository.TermPage:
        if size < 1:
            raise ValueError("a page holds at least one family")
        uow = self._uow
        families = uow.select(m.Family, lambda f: after is None or f.id > after, lambda f: f.id)
        families = families[:size]
        if not families:
            return self.TermPage(upto=None, enrolments=())
        by_id = {family.id: family for family in families}
        students = {s.id: s for s in uow.select(m.Student, lambda s: s.family_id in by_id)}

        def in_term(cohort: m.Cohort) -> bool:
            return first_day <= cohort.start_date <= last_day

        # The cohorts of the enrolments pending payment (sorted), before the rows are read
        # (in memory the lock is not shared: the run's next page waits for this one).
        pending = {
            e.cohort_id
            for e in uow.select(
                m.Enrolment,
                lambda e: e.student_id in students and e.status is S.PENDING_PAYMENT,
            )
        }
        locked = sorted(c.id for c in uow.cohorts.find_many(pending) if in_term(c))
        for cohort_id in locked:
            uow.lock_row((m.Cohort, cohort_id))
        enrolments = uow.select(
            m.Enrolment, lambda e: e.student_id in students and e.status in self.COUNTED
        )
        cohorts = {c.id: c for c in uow.cohorts.find_many({e.cohort_id for e in enrolments})}
        enrolments = [
            e
            for e in enrolments
            if cohorts[e.cohort_id].end_date >= first_day
            and not (
                e.status is S.PENDING_PAYMENT
                and in_term(cohorts[e.cohort_id])
                and e.cohort_id not in locked
            )
        ]
        programs = {
            p.id: p for p in uow.programs.find_many({c.program_id for c in cohorts.values()})
        }
        charges: dict[UUID, tuple[datetime, str]] = {}
        for invoice in uow.select(
            m.Invoice,
            lambda i: (
                i.family_id in by_id
                and i.status is not m.InvoiceStatus.VOID
                and i.enrolment_id is not None
            ),
        ):
            assert invoice.enrolment_id is not None
            charge = (invoice.created_at, invoice.invoice_number)
            if invoice.enrolment_id not in charges or charge < charges[invoice.enrolment_id]:
                charges[invoice.enrolment_id] = charge
        held: dict[UUID, list[date]] = {}
        rows = []
        for e in enrolments:
            cohort = cohorts[e.cohort_id]
            student = students[e.student_id]
            total = remaining = 0
            if e.status in self.INVOICED and in_term(cohort):
                if cohort.id not in held:
                    held[cohort.id] = [
                        s.scheduled_date
                        for s in uow.sessions.list_for_cohort(cohort.id)
                        if not s.is_cancelled
                    ]
                first = max(today, e.start_date or today)
                total = len(held[cohort.id])
                remaining = sum(1 for day in held[cohort.id] if day >= first)
            program = programs[cohort.program_id]
            rows.append(
                _Row(
                    id=e.id,
                    family_id=student.family_id,
                    student_id=student.id,
                    status=e.status,
                    enrolment_date=e.enrolment_date,
                    start_date=e.start_date,
                    tuition_override=e.tuition_override,
                    discount_applied=e.discount_applied,
                    cohort_id=cohort.id,
                    cohort_name=cohort.name,
                    cohort_start=cohort.start_date,
                    cohort_end=cohort.end_date,
                    cohort_price=cohort.tuition_price,
                    program_name=program.name,
                    program_price=program.default_price,
                    sessions_total=total,
                    sessions_remaining=remaining,
                    first_charge=charges.get(e.id),
                    student_name=student.display_name,
                )
            )
        rows.sort(key=lambda r: (r.family_id, r.enrolment_date, r.id))
        return self.TermPage(upto=families[-1].id, enrolments=tuple(rows))

    def allocate_invoice_numbers(self, year: int, count: int) -> int:
        if count < 1:
            raise ValueError("allocate at least one number")
        first = self._uow.next_number("invoice", year)
        for _ in range(count - 1):
            self._uow.next_number("invoice", year)
        return first

    def issue(
        self,
        invoices: Sequence[TermInvoicingRepository.TermInvoice],
        *,
        first_day: date,
        last_day: date,
        at: datetime,
    ) -> None:
        uow = self._uow
        balances: dict[UUID, m.Family] = {}
        for row in sorted(invoices, key=lambda i: i.invoice_number):
            uow.invoices.add(
                m.Invoice(
                    id=row.id,
                    organisation_id=uow.organisation_id,
                    invoice_number=row.invoice_number,
                    family_id=row.family_id,
                    enrolment_id=row.enrolment_id,
                    issue_date=row.issue_date,
                    due_date=row.due_date,
                    total_amount=row.total_amount,
                    gst_amount=row.gst_amount,
                    discount_amount=row.discount_amount,
                    amount_outstanding=row.total_amount,
                    status=row.status,
                    line_items=row.line_items,
                    created_at=row.created_at,
                )
            )
            enrolment = uow.enrolments.get(row.enrolment_id)
            if enrolment.discount_applied != row.discount_amount:
                enrolment.update(discount_applied=row.discount_amount)
            family = balances.get(row.family_id) or uow.families.get(row.family_id)
            balances[row.family_id] = family
            before = family.account_balance
            if row.status is m.InvoiceStatus.SENT:
                family.update(account_balance=before + row.total_amount)
            changes = self.issue_changes(
                row,
                first_day=first_day,
                last_day=last_day,
                balance=(before, family.account_balance),
            )
            uow.audit.add(
                m.AuditEntry(
                    organisation_id=uow.organisation_id,
                    actor_staff_id=None,
                    action=self.ISSUE,
                    entity_type="Invoice",
                    entity_id=row.id,
                    summary=self.issue_summary(row),
                    changes=changes,
                    occurred_at=at,
                )
            )
