"""The dashboard's figures and the CSV reports' rows on SQL: one Core statement per call.

Figures are aggregates (``count``, ``sum``, GROUP BY cohort); the attendance rate counts the
expected (session, student) pairs as one UNION of the marks, the rolls, the trial visitors and
the makeup visitors of the held sessions, so an unmarked student counts as absent without
anything being read row by row. Report rows come from one joined SELECT each. Every table is
filtered on the unit of work's organisation (Postgres's row-level security says the same).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

import sqlalchemy as sa

from rocket_adapters.sql import tables as t
from rocket_core import model as m
from rocket_core.enrolment_machine import EnrolmentStatus
from rocket_core.ports import ReportingRepository

if TYPE_CHECKING:
    from rocket_adapters.sql.unit_of_work import SqlUnitOfWork

_ZERO = Decimal("0.00")
Scope = ReportingRepository.Scope
Period = ReportingRepository.Period
_ATTENDED = sorted(m.ATTENDED)


class SqlReportingRepository(ReportingRepository):
    """ReportingRepository over a SqlUnitOfWork's transaction (read only)."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    @property
    def _org(self) -> UUID:
        return self._uow.organisation_id

    def _rows(self, statement: Any) -> Sequence[Any]:
        found: Sequence[Any] = self._uow.execute(statement).all()
        return found

    # -- shared conditions ------------------------------------------------------------------

    def _scope(self, scope: Scope, cohorts: Any = t.cohorts.c) -> list[sa.ColumnElement[bool]]:
        where = [cohorts.organisation_id == self._org]
        if scope.campus_id is not None:
            where.append(cohorts.campus_id == scope.campus_id)
        if scope.cohort_ids is not None:
            where.append(cohorts.id.in_(sorted(scope.cohort_ids)))
        return where

    @staticmethod
    def _runs(period: Period, cohorts: Any = t.cohorts.c) -> list[sa.ColumnElement[bool]]:
        return [cohorts.start_date <= period.last_day, cohorts.end_date >= period.first_day]

    def _member(self, e: Any) -> sa.ColumnElement[bool]:
        """A seat-holder, or one that gave its seat up after it had started."""
        return sa.or_(
            e.status.in_(sorted(self.SEAT_HOLDING)),
            sa.and_(
                e.status.in_(sorted(self.ENDED)),
                e.start_date.is_not(None),
                e.end_date.is_not(None),
            ),
        )

    def _held_seat(self, e: Any, period: Period) -> list[sa.ColumnElement[bool]]:
        return [
            e.enrolment_date < period.ends_at,
            sa.or_(e.start_date.is_(None), e.start_date <= period.last_day),
            sa.or_(e.end_date.is_(None), e.end_date >= period.first_day),
            self._member(e),
        ]

    def _reached_payment(self, e: Any) -> sa.ColumnElement[bool]:
        i = t.invoices.c
        invoiced = (
            sa.select(i.id).where(i.organisation_id == self._org, i.enrolment_id == e.id).exists()
        )
        return sa.or_(
            e.status.in_(sorted(self.REACHED_PAYMENT)),
            sa.and_(e.status == EnrolmentStatus.DROPPED, invoiced),
        )

    def _utc_day(self, instant: Any) -> Any:
        if self._uow.database.dialect == "postgresql":
            return sa.cast(sa.func.timezone("UTC", instant), sa.Date)
        return sa.func.date(instant)  # SQLite keeps instants as UTC text

    def _with_campus(self, joined: Any) -> tuple[Any, Any]:
        """``joined`` (which has ``invoices``) LEFT JOIN each invoice's enrolment and its
        cohort: the join, and the cohort's columns (``campus_id`` None without one)."""
        i = t.invoices.c
        e, c = t.enrolments.alias("invoice_enrolment"), t.cohorts.alias("invoice_cohort")
        joined = joined.outerjoin(
            e, sa.and_(e.c.id == i.enrolment_id, e.c.organisation_id == self._org)
        ).outerjoin(c, sa.and_(c.c.id == e.c.cohort_id, c.c.organisation_id == self._org))
        return joined, c.c

    def _payments(self, base: Any) -> tuple[Any, Any]:
        """``base`` (which has ``payments``) LEFT JOIN the payment's invoice and its campus."""
        i, p = t.invoices.c, t.payments.c
        return self._with_campus(
            base.outerjoin(
                t.invoices, sa.and_(i.id == p.invoice_id, i.organisation_id == self._org)
            )
        )

    # -- figures ------------------------------------------------------------------------------

    def cohort_seats(self, scope: Scope, period: Period) -> list[ReportingRepository.CohortSeats]:
        c, e = t.cohorts.c, t.enrolments.c
        joined = t.cohorts.outerjoin(
            t.enrolments,
            sa.and_(
                e.cohort_id == c.id, e.organisation_id == self._org, *self._held_seat(e, period)
            ),
        )
        statement = (
            sa.select(c.id, c.name, c.campus_id, c.start_date, c.max_capacity, sa.func.count(e.id))
            .select_from(joined)
            .where(*self._scope(scope), *self._runs(period), c.status != m.CohortStatus.DRAFT)
            .group_by(c.id, c.name, c.campus_id, c.start_date, c.max_capacity)
        )
        return [
            self.CohortSeats(
                cohort_id=row[0],
                cohort_name=row[1],
                campus_id=row[2],
                start_date=row[3],
                max_capacity=int(row[4]),
                seats_held=int(row[5]),
            )
            for row in self._rows(statement)
        ]

    def new_enrolments(self, scope: Scope, period: Period) -> int:
        c, e = t.cohorts.c, t.enrolments.c
        statement = (
            sa.select(sa.func.count())
            .select_from(t.enrolments.join(t.cohorts, c.id == e.cohort_id))
            .where(
                e.organisation_id == self._org,
                *self._scope(scope),
                e.enrolment_date >= period.starts_at,
                e.enrolment_date < period.ends_at,
                self._reached_payment(e),
            )
        )
        return int(self._uow.execute(statement).scalar_one())

    def trial_conversion(self, scope: Scope, period: Period) -> tuple[int, int]:
        c, e, s = t.cohorts.c, t.enrolments.c, t.sessions.c
        converted = sa.func.coalesce(
            sa.func.sum(sa.case((self._reached_payment(e), 1), else_=0)), 0
        )
        statement = (
            sa.select(converted, sa.func.count())
            .select_from(
                t.enrolments.join(t.cohorts, c.id == e.cohort_id).join(
                    t.sessions, sa.and_(s.id == e.trial_session_id, s.organisation_id == self._org)
                )
            )
            .where(
                e.organisation_id == self._org,
                *self._scope(scope),
                e.is_trial.is_(True),
                s.scheduled_date >= period.first_day,
                s.scheduled_date <= period.last_day,
            )
        )
        row: Any = self._uow.execute(statement).one()
        return int(row[0]), int(row[1])

    def attendance(self, scope: Scope, period: Period, today: date) -> tuple[int, int]:
        c, s = t.cohorts.c, t.sessions.c
        a, e, k = t.attendances.c, t.enrolments.c, t.makeup_tokens.c
        marked = (
            sa.select(a.id).where(a.organisation_id == self._org, a.session_id == s.id).exists()
        )
        held = (
            sa.select(s.id, s.cohort_id, s.scheduled_date)
            .select_from(t.sessions.join(t.cohorts, c.id == s.cohort_id))
            .where(
                s.organisation_id == self._org,
                *self._scope(scope),
                c.status != m.CohortStatus.DRAFT,
                s.status != m.SessionStatus.CANCELLED,
                s.scheduled_date >= period.first_day,
                s.scheduled_date <= period.last_day,
                sa.or_(s.scheduled_date < today, marked),
            )
            .cte("held")
        )
        h = held.c
        marks = (
            sa.select(a.session_id.label("session_id"), a.student_id.label("student_id"))
            .join(held, h.id == a.session_id)
            .where(a.organisation_id == self._org)
        )
        roll = (
            sa.select(h.id, e.student_id)
            .select_from(held.join(t.enrolments, e.cohort_id == h.cohort_id))
            .where(
                e.organisation_id == self._org,
                self._member(e),
                sa.or_(
                    e.start_date <= h.scheduled_date,
                    sa.and_(
                        e.start_date.is_(None),
                        self._utc_day(e.enrolment_date) <= h.scheduled_date,
                    ),
                ),
                sa.or_(e.end_date.is_(None), h.scheduled_date <= e.end_date),
            )
        )
        trials = (
            sa.select(h.id, e.student_id)
            .select_from(held.join(t.enrolments, e.trial_session_id == h.id))
            .where(e.organisation_id == self._org, e.status != EnrolmentStatus.DROPPED)
        )
        makeups = (
            sa.select(h.id, k.student_id)
            .select_from(held.join(t.makeup_tokens, k.redeemed_session_id == h.id))
            .where(k.organisation_id == self._org)
        )
        expected = sa.union(marks, roll, trials, makeups).subquery("expected")
        attended = (
            sa.select(sa.func.count())
            .select_from(t.attendances.join(held, h.id == a.session_id))
            .where(a.organisation_id == self._org, a.status.in_(_ATTENDED))
            .scalar_subquery()
        )
        statement = sa.select(
            attended, sa.select(sa.func.count()).select_from(expected).scalar_subquery()
        )
        row: Any = self._uow.execute(statement).one()
        return int(row[0]), int(row[1])

    def revenue(self, campus_id: UUID | None, period: Period) -> tuple[Decimal, Decimal]:
        p, r = t.payments.c, t.refunds.c
        paid, cohort = self._payments(t.payments)
        given, given_cohort = self._payments(
            t.refunds.join(
                t.payments, sa.and_(p.id == r.payment_id, p.organisation_id == self._org)
            )
        )
        received = (
            sa.select(sa.func.sum(p.amount))
            .select_from(paid)
            .where(
                p.organisation_id == self._org,
                p.payment_date >= period.starts_at,
                p.payment_date < period.ends_at,
                *([] if campus_id is None else [cohort.campus_id == campus_id]),
            )
            .scalar_subquery()
        )
        refunded = (
            sa.select(sa.func.sum(r.amount))
            .select_from(given)
            .where(
                r.organisation_id == self._org,
                r.status != m.RefundStatus.FAILED,
                r.refunded_at >= period.starts_at,
                r.refunded_at < period.ends_at,
                *([] if campus_id is None else [given_cohort.campus_id == campus_id]),
            )
            .scalar_subquery()
        )
        row: Any = self._uow.execute(sa.select(received, refunded)).one()
        return row[0] or _ZERO, row[1] or _ZERO

    def outstanding(self, campus_id: UUID | None, last_day: date) -> tuple[int, Decimal]:
        i = t.invoices.c
        invoices, cohort = self._with_campus(t.invoices)
        statement = (
            sa.select(sa.func.count(i.id), sa.func.sum(i.amount_outstanding))
            .select_from(invoices)
            .where(
                i.organisation_id == self._org,
                i.status.in_(sorted(self.OPEN_INVOICES)),
                i.issue_date <= last_day,
                *([] if campus_id is None else [cohort.campus_id == campus_id]),
            )
        )
        row: Any = self._uow.execute(statement).one()
        return int(row[0]), row[1] or _ZERO

    # -- report rows ----------------------------------------------------------------------------

    def enrolment_rows(
        self, scope: Scope, period: Period
    ) -> list[ReportingRepository.EnrolmentRow]:
        c, e, st, pr = t.cohorts.c, t.enrolments.c, t.students.c, t.programs.c
        statement = (
            sa.select(
                e.id,
                e.status,
                e.enrolment_date,
                e.is_trial,
                e.is_waitlist,
                e.start_date,
                e.end_date,
                e.withdrawal_date,
                st.id,
                st.first_name,
                st.preferred_name,
                st.last_name,
                st.family_id,
                c.id,
                c.name,
                c.start_date,
                pr.name,
                c.campus_id,
            )
            .select_from(
                t.enrolments.join(t.cohorts, c.id == e.cohort_id)
                .join(t.students, sa.and_(st.id == e.student_id, st.organisation_id == self._org))
                .join(t.programs, sa.and_(pr.id == c.program_id, pr.organisation_id == self._org))
            )
            .where(e.organisation_id == self._org, *self._scope(scope), *self._runs(period))
        )
        return [self.EnrolmentRow(*row) for row in self._rows(statement)]

    def money_rows(
        self, campus_id: UUID | None, period: Period
    ) -> list[ReportingRepository.MoneyRow]:
        p, r, f, i = t.payments.c, t.refunds.c, t.families.c, t.invoices.c
        family_name = sa.func.coalesce(sa.func.nullif(f.family_name, ""), f.primary_contact_name)

        def entries(base: Any, *columns: Any, where: list[Any]) -> sa.Select[Any]:
            joined, cohort = self._payments(base)
            joined = joined.join(
                t.families, sa.and_(f.id == p.family_id, f.organisation_id == self._org)
            )
            return (
                sa.select(
                    *columns,
                    p.id,
                    p.payment_method,
                    p.reference_number,
                    p.family_id,
                    family_name,
                    i.invoice_number,
                    cohort.campus_id,
                )
                .select_from(joined)
                .where(*where, *([] if campus_id is None else [cohort.campus_id == campus_id]))
            )

        refunds = entries(
            t.refunds.join(
                t.payments, sa.and_(p.id == r.payment_id, p.organisation_id == self._org)
            ),
            r.id,
            r.refunded_at,
            r.amount,
            r.status,
            where=[
                r.organisation_id == self._org,
                r.status != m.RefundStatus.FAILED,
                r.refunded_at >= period.starts_at,
                r.refunded_at < period.ends_at,
            ],
        )
        payments = entries(
            t.payments,
            p.id,
            p.payment_date,
            p.amount,
            sa.null(),
            where=[
                p.organisation_id == self._org,
                p.payment_date >= period.starts_at,
                p.payment_date < period.ends_at,
            ],
        )
        return [self.MoneyRow(*row) for row in self._rows(sa.union_all(refunds, payments))]

    def mark_rows(self, scope: Scope, period: Period) -> list[ReportingRepository.MarkRow]:
        a, s, c, st = t.attendances.c, t.sessions.c, t.cohorts.c, t.students.c
        statement = (
            sa.select(
                a.id,
                a.status,
                a.recorded_at,
                a.recorded_by_staff_id,
                s.id,
                s.scheduled_date,
                s.session_number,
                c.id,
                c.name,
                c.campus_id,
                st.id,
                st.first_name,
                st.preferred_name,
                st.last_name,
            )
            .select_from(
                t.attendances.join(
                    t.sessions, sa.and_(s.id == a.session_id, s.organisation_id == self._org)
                )
                .join(t.cohorts, c.id == s.cohort_id)
                .join(t.students, sa.and_(st.id == a.student_id, st.organisation_id == self._org))
            )
            .where(
                a.organisation_id == self._org,
                *self._scope(scope),
                s.scheduled_date >= period.first_day,
                s.scheduled_date <= period.last_day,
            )
        )
        return [self.MarkRow(*row) for row in self._rows(statement)]
