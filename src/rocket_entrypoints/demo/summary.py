"""What a school holds, read back through a unit of work: counts, seats per cohort and the
money (invoices by status, what was invoiced, paid, credited and is still owed, and the credit
families hold).

Skill progress is not counted: the demo leaves it out until the learning issue brings its
use case (the demo writes nothing except through use cases).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

import attrs

from rocket_core import model as m
from rocket_core.ports import UnitOfWork
from rocket_core.services.ledger import CHARGED, load_books

ZERO = Decimal("0.00")


@attrs.frozen
class CohortSeats:
    """One cohort's line of the summary."""

    name: str
    campus: str
    status: str
    seats_held: int
    max_capacity: int
    waitlisted: int
    sessions: int


@attrs.frozen
class BillingFigures:
    """The money: invoices by status and the amounts of the invoices issued (sent, part-paid,
    paid or overdue; drafts and void invoices are not owed), so that ``invoiced = paid +
    credited + outstanding``; ``family_credit`` is money received and held for families
    (neither applied to an invoice nor refunded)."""

    invoices_by_status: dict[str, int]
    invoiced: Decimal
    paid: Decimal
    credited: Decimal
    outstanding: Decimal
    family_credit: Decimal

    def amounts(self) -> dict[str, Decimal]:
        """The amounts by name, in the order they are shown."""
        return {
            "total invoiced": self.invoiced,
            "paid": self.paid,
            "credit notes": self.credited,
            "outstanding": self.outstanding,
            "family credit": self.family_credit,
        }


@attrs.frozen
class DemoSummary:
    """Counts of what the organisation holds, its enrolments by status, seats per cohort and
    its billing figures."""

    organisation: str
    counts: dict[str, int]
    enrolments_by_status: dict[str, int]
    cohorts: list[CohortSeats]
    billing: BillingFigures


def summarise(make_uow: Callable[[UUID], UnitOfWork], organisation_id: UUID) -> DemoSummary:
    """Read the organisation's figures in one (read-only) transaction."""
    with make_uow(organisation_id) as uow:
        campuses = {c.id: c.name for c in uow.campuses.list()}
        cohorts = uow.cohorts.list()
        families = uow.families.list()
        students = [s for f in families for s in uow.students.list_for_family(f.id)]
        enrolments = [e for c in cohorts for e in uow.enrolments.list_for_cohort(c.id)]
        sessions = {c.id: uow.sessions.list_for_cohort(c.id) for c in cohorts}
        marks = sum(
            len(uow.attendance.list_for_session(s.id)) for v in sessions.values() for s in v
        )
        tokens = [t for s in students for t in uow.makeup_tokens.list_for_student(s.id)]
        by_status = Counter(e.status.value for e in enrolments)
        books = [load_books(uow, family.id) for family in families]
        invoices = [i for b in books for i in b.invoices]
        issued = [i for i in invoices if i.status in CHARGED]
        invoice_statuses = Counter(i.status for i in invoices)
        billing = BillingFigures(
            invoices_by_status={s.value: invoice_statuses.get(s, 0) for s in m.InvoiceStatus},
            invoiced=sum((i.total_amount for i in issued), ZERO),
            paid=sum((i.amount_paid for i in issued), ZERO),
            credited=sum((i.amount_credited for i in issued), ZERO),
            outstanding=sum((i.amount_outstanding for i in issued), ZERO),
            family_credit=sum((b.credit for b in books), ZERO),
        )
        return DemoSummary(
            organisation=uow.organisations.current().name,
            counts={
                "campuses": len(campuses),
                "staff": len(uow.staff.list()),
                "programs": len(uow.programs.list()),
                "cohorts": len(cohorts),
                "sessions": sum(len(v) for v in sessions.values()),
                "cancelled sessions": sum(s.is_cancelled for v in sessions.values() for s in v),
                "families": len(families),
                "students": len(students),
                "enrolments": len(enrolments),
                "attendance marks": marks,
                "makeup tokens": len(tokens),
                "makeup tokens redeemed": sum(
                    t.status is m.MakeupTokenStatus.REDEEMED for t in tokens
                ),
            },
            enrolments_by_status={s.value: by_status.get(s.value, 0) for s in m.EnrolmentStatus},
            cohorts=[
                CohortSeats(
                    name=c.name,
                    campus=campuses[c.campus_id],
                    status=c.status.value,
                    seats_held=c.current_enrolments,
                    max_capacity=c.max_capacity,
                    waitlisted=len(uow.enrolments.waitlist(c.id)),
                    sessions=len(sessions[c.id]),
                )
                for c in cohorts
            ],
            billing=billing,
        )
