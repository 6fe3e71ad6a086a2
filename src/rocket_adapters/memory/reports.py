"""The dashboard's figures and the CSV reports' rows in memory: the rules of
``ReportingRepository`` computed from the store's entities, as the SQL statements compute them."""

from __future__ import annotations

from collections.abc import Container, Iterable
from datetime import UTC, date
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from rocket_core import model as m
from rocket_core.enrolment_machine import EnrolmentStatus
from rocket_core.ports import ReportingRepository

if TYPE_CHECKING:
    from rocket_adapters.memory.unit_of_work import MemoryUnitOfWork

_ZERO = Decimal("0.00")
Scope = ReportingRepository.Scope
Period = ReportingRepository.Period


class MemoryReportingRepository(ReportingRepository):
    """ReportingRepository over a MemoryUnitOfWork (read only)."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    # -- what the figures share -------------------------------------------------------------

    def _cohorts(self, scope: Scope) -> dict[UUID, m.Cohort]:
        return {
            c.id: c
            for c in self._uow.select(
                m.Cohort,
                lambda c: (
                    (scope.campus_id is None or c.campus_id == scope.campus_id)
                    and (scope.cohort_ids is None or c.id in scope.cohort_ids)
                ),
            )
        }

    def _enrolments(self, cohorts: Iterable[UUID]) -> list[m.Enrolment]:
        wanted = set(cohorts)
        return self._uow.select(m.Enrolment, lambda e: e.cohort_id in wanted)

    def _reached_payment(self, enrolments: list[m.Enrolment]) -> set[UUID]:
        dropped = {e.id for e in enrolments if e.status is EnrolmentStatus.DROPPED}
        invoiced = {
            i.enrolment_id for i in self._uow.select(m.Invoice, lambda i: i.enrolment_id in dropped)
        }
        return {e.id for e in enrolments if e.status in self.REACHED_PAYMENT or e.id in invoiced}

    def _held_seat(self, e: m.Enrolment, period: Period) -> bool:
        if e.enrolment_date >= period.ends_at:
            return False
        if e.start_date is not None and e.start_date > period.last_day:
            return False
        if e.end_date is not None and e.end_date < period.first_day:
            return False
        return e.status in self.SEAT_HOLDING or (
            e.status in self.ENDED and e.start_date is not None and e.end_date is not None
        )

    def _on_roll(self, e: m.Enrolment, day: date) -> bool:
        if e.status not in self.SEAT_HOLDING and not (
            e.status in self.ENDED and e.start_date is not None and e.end_date is not None
        ):
            return False
        first = e.start_date or e.enrolment_date.astimezone(UTC).date()
        return first <= day and (e.end_date is None or day <= e.end_date)

    @staticmethod
    def _runs(cohort: m.Cohort, period: Period) -> bool:
        return cohort.start_date <= period.last_day and cohort.end_date >= period.first_day

    # -- figures ----------------------------------------------------------------------------

    def cohort_seats(self, scope: Scope, period: Period) -> list[ReportingRepository.CohortSeats]:
        cohorts = {
            c.id: c
            for c in self._cohorts(scope).values()
            if c.status is not m.CohortStatus.DRAFT and self._runs(c, period)
        }
        held = dict.fromkeys(cohorts, 0)
        for e in self._enrolments(cohorts):
            if self._held_seat(e, period):
                held[e.cohort_id] += 1
        return [
            self.CohortSeats(
                cohort_id=c.id,
                cohort_name=c.name,
                campus_id=c.campus_id,
                start_date=c.start_date,
                max_capacity=c.max_capacity,
                seats_held=held[c.id],
            )
            for c in cohorts.values()
        ]

    def new_enrolments(self, scope: Scope, period: Period) -> int:
        made = [
            e
            for e in self._enrolments(self._cohorts(scope))
            if period.starts_at <= e.enrolment_date < period.ends_at
        ]
        return len(self._reached_payment(made))

    def trial_conversion(self, scope: Scope, period: Period) -> tuple[int, int]:
        trials = [e for e in self._enrolments(self._cohorts(scope)) if e.is_trial]
        wanted = {e.trial_session_id for e in trials}
        days = {
            s.id: s.scheduled_date for s in self._uow.select(m.Session, lambda s: s.id in wanted)
        }
        trials = [
            e
            for e in trials
            if e.trial_session_id in days
            and period.first_day <= days[e.trial_session_id] <= period.last_day
        ]
        return len(self._reached_payment(trials)), len(trials)

    def attendance(self, scope: Scope, period: Period, today: date) -> tuple[int, int]:
        cohorts = {
            c.id: c for c in self._cohorts(scope).values() if c.status is not m.CohortStatus.DRAFT
        }
        sessions = {
            s.id: s
            for s in self._uow.select(
                m.Session,
                lambda s: (
                    s.cohort_id in cohorts
                    and s.status is not m.SessionStatus.CANCELLED
                    and period.first_day <= s.scheduled_date <= period.last_day
                ),
            )
        }
        marks = self._uow.select(m.Attendance, lambda a: a.session_id in sessions)
        marked = {a.session_id for a in marks}
        held = {s.id: s for s in sessions.values() if s.scheduled_date < today or s.id in marked}
        expected = {(a.session_id, a.student_id) for a in marks if a.session_id in held}
        by_cohort: dict[UUID, list[m.Session]] = {}
        for s in held.values():
            by_cohort.setdefault(s.cohort_id, []).append(s)
        for e in self._enrolments(by_cohort):
            expected.update(
                (s.id, e.student_id)
                for s in by_cohort[e.cohort_id]
                if self._on_roll(e, s.scheduled_date)
            )
        expected.update(
            (e.trial_session_id, e.student_id)
            for e in self._uow.select(
                m.Enrolment,
                lambda e: e.trial_session_id in held and e.status is not EnrolmentStatus.DROPPED,
            )
            if e.trial_session_id is not None
        )
        expected.update(
            (t.redeemed_session_id, t.student_id)
            for t in self._uow.select(m.MakeupToken, lambda t: t.redeemed_session_id in held)
            if t.redeemed_session_id is not None
        )
        attended = sum(1 for a in marks if a.session_id in held and a.attended)
        return attended, len(expected)

    def _campus_of_invoices(self) -> dict[UUID, UUID | None]:
        """Each invoice's campus (through its enrolment's cohort), or None."""
        invoices = self._uow.select(m.Invoice, lambda i: True)
        enrolments = {
            e.id: e.cohort_id
            for e in self._uow.enrolments.find_many(
                {i.enrolment_id for i in invoices if i.enrolment_id is not None}
            )
        }
        campuses = {
            c.id: c.campus_id for c in self._uow.cohorts.find_many(set(enrolments.values()))
        }
        found: dict[UUID, UUID | None] = {}
        for i in invoices:
            cohort = enrolments.get(i.enrolment_id) if i.enrolment_id is not None else None
            found[i.id] = campuses.get(cohort) if cohort is not None else None
        return found

    def _payments(self, campus_id: UUID | None) -> dict[UUID, tuple[m.Payment, UUID | None]]:
        """Every payment with its campus, those at ``campus_id`` when one is given."""
        campuses = self._campus_of_invoices()
        found = {}
        for p in self._uow.select(m.Payment, lambda p: True):
            campus = campuses.get(p.invoice_id) if p.invoice_id is not None else None
            if campus_id is None or campus == campus_id:
                found[p.id] = (p, campus)
        return found

    def _refunds(self, payments: Container[UUID], period: Period) -> list[m.Refund]:
        return self._uow.select(
            m.Refund,
            lambda r: (
                r.payment_id in payments
                and r.status is not m.RefundStatus.FAILED
                and period.starts_at <= r.refunded_at < period.ends_at
            ),
        )

    def revenue(self, campus_id: UUID | None, period: Period) -> tuple[Decimal, Decimal]:
        payments = self._payments(campus_id)
        received = sum(
            (
                p.amount
                for p, _ in payments.values()
                if period.starts_at <= p.payment_date < period.ends_at
            ),
            _ZERO,
        )
        refunded = sum((r.amount for r in self._refunds(payments, period)), _ZERO)
        return received, refunded

    def outstanding(self, campus_id: UUID | None, last_day: date) -> tuple[int, Decimal]:
        campuses = self._campus_of_invoices()
        owed = self._uow.select(
            m.Invoice,
            lambda i: (
                i.status in self.OPEN_INVOICES
                and i.issue_date <= last_day
                and (campus_id is None or campuses.get(i.id) == campus_id)
            ),
        )
        return len(owed), sum((i.amount_outstanding for i in owed), _ZERO)

    # -- report rows --------------------------------------------------------------------------

    def enrolment_rows(
        self, scope: Scope, period: Period
    ) -> list[ReportingRepository.EnrolmentRow]:
        cohorts = {c.id: c for c in self._cohorts(scope).values() if self._runs(c, period)}
        enrolments = self._enrolments(cohorts)
        students = {
            s.id: s for s in self._uow.students.find_many({e.student_id for e in enrolments})
        }
        programs = {
            p.id: p for p in self._uow.programs.find_many({c.program_id for c in cohorts.values()})
        }
        rows = []
        for e in enrolments:
            cohort, student = cohorts[e.cohort_id], students[e.student_id]
            rows.append(
                self.EnrolmentRow(
                    enrolment_id=e.id,
                    status=e.status,
                    enrolment_date=e.enrolment_date,
                    is_trial=e.is_trial,
                    is_waitlist=e.is_waitlist,
                    start_date=e.start_date,
                    end_date=e.end_date,
                    withdrawal_date=e.withdrawal_date,
                    student_id=student.id,
                    student_first_name=student.first_name,
                    student_preferred_name=student.preferred_name,
                    student_last_name=student.last_name,
                    family_id=student.family_id,
                    cohort_id=cohort.id,
                    cohort_name=cohort.name,
                    cohort_start=cohort.start_date,
                    program_name=programs[cohort.program_id].name,
                    campus_id=cohort.campus_id,
                )
            )
        return rows

    def money_rows(
        self, campus_id: UUID | None, period: Period
    ) -> list[ReportingRepository.MoneyRow]:
        payments = self._payments(campus_id)
        refunds = self._refunds(payments, period)
        received = [
            p for p, _ in payments.values() if period.starts_at <= p.payment_date < period.ends_at
        ]
        wanted = {payments[r.payment_id][0] for r in refunds} | set(received)
        families = {
            f.id: f.display_name
            for f in self._uow.families.find_many({p.family_id for p in wanted})
        }
        numbers = {
            i.id: i.invoice_number
            for i in self._uow.invoices.find_many(
                {p.invoice_id for p in wanted if p.invoice_id is not None}
            )
        }

        def row(
            entry: m.Payment | m.Refund, payment: m.Payment, campus: UUID | None
        ) -> ReportingRepository.MoneyRow:
            refund = entry if isinstance(entry, m.Refund) else None
            return self.MoneyRow(
                id=entry.id,
                at=payment.payment_date if refund is None else refund.refunded_at,
                amount=entry.amount,
                refund_status=None if refund is None else refund.status,
                payment_id=payment.id,
                payment_method=payment.payment_method,
                reference_number=payment.reference_number,
                family_id=payment.family_id,
                family_name=families[payment.family_id],
                invoice_number=None if payment.invoice_id is None else numbers[payment.invoice_id],
                campus_id=campus,
            )

        return [row(p, p, payments[p.id][1]) for p in received] + [
            row(r, *payments[r.payment_id]) for r in refunds
        ]

    def mark_rows(self, scope: Scope, period: Period) -> list[ReportingRepository.MarkRow]:
        cohorts = self._cohorts(scope)
        sessions = {
            s.id: s
            for s in self._uow.select(
                m.Session,
                lambda s: (
                    s.cohort_id in cohorts
                    and period.first_day <= s.scheduled_date <= period.last_day
                ),
            )
        }
        marks = self._uow.select(m.Attendance, lambda a: a.session_id in sessions)
        students = {s.id: s for s in self._uow.students.find_many({a.student_id for a in marks})}
        rows = []
        for a in marks:
            session, student = sessions[a.session_id], students[a.student_id]
            cohort = cohorts[session.cohort_id]
            rows.append(
                self.MarkRow(
                    attendance_id=a.id,
                    status=a.status,
                    recorded_at=a.recorded_at,
                    recorded_by_staff_id=a.recorded_by_staff_id,
                    session_id=session.id,
                    session_date=session.scheduled_date,
                    session_number=session.session_number,
                    cohort_id=cohort.id,
                    cohort_name=cohort.name,
                    campus_id=cohort.campus_id,
                    student_id=student.id,
                    student_first_name=student.first_name,
                    student_preferred_name=student.preferred_name,
                    student_last_name=student.last_name,
                )
            )
        return rows
