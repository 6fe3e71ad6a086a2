"""What a school holds, read back through a unit of work: counts (learning and messages
included), seats per cohort, the money (invoices by status, what was invoiced, paid, credited
and is still owed, and the credit families hold) and the notifications queued by kind.

Notifications are read per family, plus those to staff: a family's message notifies the staff
member it went to, found by the message's idempotency key (the outbox has no list of all
notifications).
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
from rocket_core.services.notifications import dedupe_key

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
    """Counts of what the organisation holds, its enrolments by status, seats per cohort,
    its billing figures and its notifications by kind (every status)."""

    organisation: str
    counts: dict[str, int]
    enrolments_by_status: dict[str, int]
    cohorts: list[CohortSeats]
    billing: BillingFigures
    notifications_by_kind: dict[str, int] = attrs.field(factory=dict)


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
        trees = uow.skill_trees.list()
        nodes = [n for t in trees for n in uow.skill_nodes.list_for_tree(t.id)]
        progress = [p for st in students for p in uow.skill_progress.list_for_student(st.id)]
        projects = [p for c in cohorts for p in uow.projects.list_for_cohort(c.id)]
        messages = [x for f in families for x in uow.messages.list_for_family(f.id)]
        notifications = _notifications(uow, families, messages)
        kinds = Counter(n.template_name for n in notifications)
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
                "skill trees": len(trees),
                "skill nodes": len(nodes),
                "skill progress records": len(progress),
                "skills mastered": sum(p.status is m.SkillStatus.MASTERED for p in progress),
                "projects submitted": len(projects),
                "projects graded": sum(p.is_graded for p in projects),
                "messages": len(messages),
                "messages unread": sum(not x.is_read for x in messages),
                "notifications": len(notifications),
                "notifications queued": sum(
                    n.status is m.NotificationStatus.QUEUED for n in notifications
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
            notifications_by_kind={k.value: kinds.get(k.value, 0) for k in m.NotificationKind},
        )


def _notifications(
    uow: UnitOfWork, families: list[m.Family], messages: list[m.Message]
) -> list[m.Notification]:
    """Every notification: to families, and to staff (one per message a family wrote)."""
    found = [n for f in families for n in uow.notifications.list_for_family(f.id)]
    for message in messages:
        if message.recipient_staff_id is not None:
            key = dedupe_key(m.NotificationKind.NEW_MESSAGE, message.id)
            to_staff = uow.notifications.find_by_dedupe_key(key)
            if to_staff is not None:
                found.append(to_staff)
    return found
