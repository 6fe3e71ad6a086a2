"""The demo school: realistic, complete, built by staff through the use cases, reproducible."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from rocket_adapters.clock import FixedClock
from rocket_adapters.memory import MemoryStore
from rocket_adapters.payments_offline import OfflineGateway
from rocket_core import model as m
from rocket_core.enrolment_machine import SEAT_HOLDING_STATES
from rocket_core.errors import Conflict
from rocket_core.events import EventBus
from rocket_core.services.base import actor_for
from rocket_core.services.payments import PaymentService
from rocket_entrypoints.cli.app import app
from rocket_entrypoints.demo import (
    build_demo_school,
    demo_organisation_id,
    demo_school_loaded,
    summarise,
)
from rocket_entrypoints.demo import school as demo_school_module

TODAY = date(2026, 11, 25)
MELBOURNE = ZoneInfo("Australia/Melbourne")


@pytest.fixture(scope="module")
def school() -> tuple[MemoryStore, m.Organisation]:
    store = MemoryStore()
    built = build_demo_school(store.unit_of_work, seed=1, today=TODAY)
    with store.unit_of_work(built.organisation_id) as uow:
        return store, uow.organisations.current()


def rows(store: MemoryStore, cls: type) -> list:
    return list(store.tables[cls].values())


def audit_of(store: MemoryStore) -> dict:
    """entity id -> its audit entries, oldest first."""
    entries: dict = {}
    for entry in sorted(rows(store, m.AuditEntry), key=lambda e: e.occurred_at):
        entries.setdefault(entry.entity_id, []).append(entry)
    return entries


def test_it_has_the_size_the_issue_asks_for(school):
    store, org = school
    assert org.name == "Rocket Academy"
    assert len(rows(store, m.Campus)) == 2
    assert len(rows(store, m.Staff)) == 12
    assert len(rows(store, m.Program)) == 4
    assert len(rows(store, m.Cohort)) == 8
    assert len(rows(store, m.Family)) == 40
    assert 55 <= len(rows(store, m.Student)) <= 65
    assert len(rows(store, m.Enrolment)) >= len(rows(store, m.Student))
    assert all(rows(store, cls) for cls in (m.Session, m.Attendance, m.MakeupToken))
    assert all(c.closure_dates for c in rows(store, m.Campus))


def test_every_enrolment_status_appears(school):
    store, _ = school
    statuses = Counter(e.status for e in rows(store, m.Enrolment))
    assert set(statuses) == set(m.EnrolmentStatus)


def test_seats_match_a_recount_and_never_exceed_capacity(school):
    store, _ = school
    enrolments = rows(store, m.Enrolment)
    for cohort in rows(store, m.Cohort):
        holders = [
            e for e in enrolments if e.cohort_id == cohort.id and e.status in SEAT_HOLDING_STATES
        ]
        assert cohort.current_enrolments == len(holders), cohort.name
        assert cohort.current_enrolments <= cohort.max_capacity
        if cohort.status is m.CohortStatus.FULL:
            assert cohort.seats_free == 0


def test_a_full_cohort_has_a_waitlist_in_arrival_order(school):
    store, org = school
    full = [c for c in rows(store, m.Cohort) if c.status is m.CohortStatus.FULL]
    assert full
    with store.unit_of_work(org.id) as uow:
        waiting = uow.enrolments.waitlist(full[0].id)
    assert [e.waitlist_position for e in waiting] == list(range(1, len(waiting) + 1))
    assert len(waiting) >= 2
    assert [e.enrolment_date for e in waiting] == sorted(e.enrolment_date for e in waiting)


def test_the_first_waitlist_offer_lapsed_and_the_next_was_paid(school):
    store, _ = school
    full = next(c for c in rows(store, m.Cohort) if c.status is m.CohortStatus.FULL)
    mine = [e for e in rows(store, m.Enrolment) if e.cohort_id == full.id]
    lapsed = [e for e in mine if e.withdrawal_reason == "waitlist offer lapsed"]
    assert len(lapsed) == 1
    assert lapsed[0].status is m.EnrolmentStatus.DROPPED
    audit = audit_of(store)
    offered = sorted(
        (e for e in mine if "enrolment.offer_seat" in {a.action for a in audit[e.id]}),
        key=lambda e: e.enrolment_date,
    )
    assert [e.status for e in offered] == [m.EnrolmentStatus.DROPPED, m.EnrolmentStatus.ENROLLED]
    assert offered[0] is lapsed[0]
    # the nightly job lapsed it and offered the seat on: no staff member acted
    nightly = [a for a in audit[offered[1].id] if a.action == "enrolment.offer_seat"]
    assert [a.actor_staff_id for a in nightly] == [None]
    entries = audit[lapsed[0].id]
    assert [e.actor_staff_id for e in entries if e.action == "enrolment.offer_lapsed"] == [None]


def test_cohort_phases_follow_the_calendar(school):
    store, _ = school
    for cohort in rows(store, m.Cohort):
        if cohort.end_date < TODAY:
            assert cohort.status is m.CohortStatus.COMPLETED
        elif cohort.start_date <= TODAY:
            assert cohort.status is m.CohortStatus.IN_PROGRESS
        else:
            assert cohort.status in (m.CohortStatus.OPEN, m.CohortStatus.FULL)


def test_sessions_skip_closure_dates_and_only_held_sessions_have_marks(school):
    store, _ = school
    campuses = {c.id: c for c in rows(store, m.Campus)}
    cohorts = {c.id: c for c in rows(store, m.Cohort)}
    sessions = {s.id: s for s in rows(store, m.Session)}
    for session in sessions.values():
        cohort = cohorts[session.cohort_id]
        assert not campuses[cohort.campus_id].is_closed_on(session.scheduled_date)
        assert cohort.start_date <= session.scheduled_date <= cohort.end_date
    assert [s.cancellation_reason for s in sessions.values() if s.is_cancelled] == [
        "Instructor unwell"
    ]
    for mark in rows(store, m.Attendance):
        session = sessions[mark.session_id]
        assert not session.is_cancelled
        assert session.scheduled_date < TODAY


def test_marks_were_given_by_the_lead_within_the_edit_window(school):
    store, _ = school
    sessions = {s.id: s for s in rows(store, m.Session)}
    staff = {s.id: s for s in rows(store, m.Staff)}
    for mark in rows(store, m.Attendance):
        session = sessions[mark.session_id]
        ends = session.ends_at("Australia/Melbourne")
        assert mark.recorded_at <= ends + timedelta(hours=24)
        who = staff[mark.recorded_by_staff_id].role
        if mark.status is m.AttendanceStatus.MAKEUP:
            assert who is m.StaffRole.CAMPUS_MANAGER
        else:
            assert mark.recorded_by_staff_id == session.lead_instructor_id
            assert who is m.StaffRole.LEAD_INSTRUCTOR


def test_excused_absences_gave_makeup_tokens(school):
    store, _ = school
    excused = [a for a in rows(store, m.Attendance) if a.status is m.AttendanceStatus.EXCUSED]
    announced = [a for a in excused if a.notes and "told us the day before" in a.notes]
    assert len(announced) == 1
    tokens = rows(store, m.MakeupToken)
    for mark in excused:
        assert any(
            t.source_session_id == mark.session_id and t.student_id == mark.student_id
            for t in tokens
        )
    # the term-old tokens of the past term have expired by now (90 days)
    assert any(t.status is m.MakeupTokenStatus.EXPIRED for t in tokens)


def test_makeup_and_transfer_are_consistent(school):
    store, _ = school
    enrolments = {e.id: e for e in rows(store, m.Enrolment)}
    transferred = [e for e in enrolments.values() if e.status is m.EnrolmentStatus.TRANSFERRED]
    assert len(transferred) == 1
    target = enrolments[transferred[0].transferred_to_id]
    assert target.student_id == transferred[0].student_id
    assert target.cohort_id != transferred[0].cohort_id
    assert target.status is m.EnrolmentStatus.ACTIVE
    makeups = [a for a in rows(store, m.Attendance) if a.status is m.AttendanceStatus.MAKEUP]
    assert len(makeups) == 1
    redeemed = [t for t in rows(store, m.MakeupToken) if t.status is m.MakeupTokenStatus.REDEEMED]
    assert [t.redeemed_session_id for t in redeemed] == [makeups[0].session_id]
    for mark in makeups:
        session = store.tables[m.Session][mark.session_id]
        assert session.cohort_id != enrolments[mark.enrolment_id].cohort_id


def test_everything_was_done_by_staff_through_the_use_cases(school):
    store, org = school
    audit = audit_of(store)
    staff = {s.id: s for s in rows(store, m.Staff)}
    admin = next(s for s in staff.values() if s.role is m.StaffRole.SUPER_ADMIN)

    def first_actor(entity: m.Entity) -> m.StaffRole | None:
        entry = audit[entity.id][0]
        return None if entry.actor_staff_id is None else staff[entry.actor_staff_id].role

    # the organisation and its first super admin are the only rows written directly
    assert admin.id not in audit
    assert [e.action for e in audit[org.id]] == ["organisation.update"]
    role = m.StaffRole
    expected = {
        m.Campus: {role.SUPER_ADMIN},
        m.Staff: {role.SUPER_ADMIN},
        m.Program: {role.SUPER_ADMIN},
        m.Cohort: {role.CAMPUS_MANAGER},
        m.Family: {role.FRONT_DESK},
        m.Student: {role.FRONT_DESK},
        m.Enrolment: {role.FRONT_DESK, role.SUPER_ADMIN},  # the transfer creates one
        m.Attendance: {role.LEAD_INSTRUCTOR, role.CAMPUS_MANAGER},  # makeup visit booked
        m.Invoice: {None, role.FRONT_DESK},  # automatic (the system), or materials by hand
        m.Payment: {role.FRONT_DESK},
        m.Refund: {role.CAMPUS_MANAGER},
        m.CreditNote: {role.CAMPUS_MANAGER},
    }
    for cls, roles in expected.items():
        for entity in rows(store, cls):
            if entity is admin:
                continue
            assert entity.id in audit, (cls.__name__, entity.id)
            assert first_actor(entity) in roles, cls.__name__
    nightly = Counter(e.action for e in rows(store, m.AuditEntry) if e.actor_staff_id is None)
    for action in (
        "cohort.begin",
        "enrolment.start",
        "enrolment.complete",
        "cohort.complete",
        "invoice.create",
        "invoice.overdue",
    ):
        assert nightly[action] > 0, action
    # nobody confirmed a payment by hand: each confirmation came with the payment that
    # settled the enrolment's invoice, recorded by the front desk at the same moment
    settled = {
        (invoice.enrolment_id, a.occurred_at, a.actor_staff_id)
        for invoice in rows(store, m.Invoice)
        for a in audit[invoice.id]
        if a.action == "invoice.payment_applied" and a.changes["status"][1] == "paid"
    }
    confirmed = [e for e in rows(store, m.AuditEntry) if e.action == "enrolment.payment_received"]
    assert confirmed
    for entry in confirmed:
        assert (entry.entity_id, entry.occurred_at, entry.actor_staff_id) in settled
        assert staff[entry.actor_staff_id].role is role.FRONT_DESK


def fingerprint(store: MemoryStore) -> list:
    """What a school holds, without the ids (the domain picks them at random)."""
    students = {s.id: (s.first_name, s.last_name, s.date_of_birth) for s in rows(store, m.Student)}
    cohorts = {c.id: c.name for c in rows(store, m.Cohort)}
    sessions = {s.id: (cohorts[s.cohort_id], s.session_number) for s in rows(store, m.Session)}
    families = {f.id: f.primary_contact_email for f in rows(store, m.Family)}
    return sorted(
        [
            *(
                (
                    "enrolment",
                    students[e.student_id],
                    cohorts[e.cohort_id],
                    e.status.value,
                    e.enrolment_date,
                    e.start_date,
                    e.end_date,
                    e.waitlist_position,
                )
                for e in rows(store, m.Enrolment)
            ),
            *(
                ("mark", students[a.student_id], sessions[a.session_id], a.status.value)
                for a in rows(store, m.Attendance)
            ),
            *(("family", f.primary_contact_email, f.created_at) for f in rows(store, m.Family)),
            *(
                (
                    "invoice",
                    i.invoice_number,
                    families[i.family_id],
                    i.status.value,
                    i.total_amount,
                    i.amount_outstanding,
                    i.issue_date,
                )
                for i in rows(store, m.Invoice)
            ),
            *(
                (
                    "payment",
                    families[p.family_id],
                    p.amount,
                    p.payment_method.value,
                    p.payment_date,
                    p.reference_number,
                )
                for p in rows(store, m.Payment)
            ),
        ],
        key=repr,
    )


def test_the_same_seed_and_day_build_the_same_school():
    first, second = MemoryStore(), MemoryStore()
    a = build_demo_school(first.unit_of_work, seed=7, today=TODAY)
    b = build_demo_school(second.unit_of_work, seed=7, today=TODAY)
    assert a.organisation_id == b.organisation_id
    assert fingerprint(first) == fingerprint(second)
    other = MemoryStore()
    c = build_demo_school(other.unit_of_work, seed=8, today=TODAY)
    assert c.organisation_id != a.organisation_id
    assert fingerprint(other) != fingerprint(first)


@pytest.mark.parametrize("today", [date(2026, 11, 23), date(2027, 1, 3), date(2028, 2, 29)])
def test_any_day_gives_a_complete_school(today):
    store = MemoryStore()
    built = build_demo_school(store.unit_of_work, seed=3, today=today)
    summary = summarise(store.unit_of_work, built.organisation_id)
    assert all(summary.enrolments_by_status.values()), summary.enrolments_by_status
    assert max(c.waitlisted for c in summary.cohorts) >= 2
    assert summary.counts["cancelled sessions"] == 1
    assert summary.counts["makeup tokens redeemed"] == 1


def test_the_memory_build_is_fast():
    started = time.perf_counter()
    build_demo_school(MemoryStore().unit_of_work, seed=4, today=TODAY)
    assert time.perf_counter() - started < 5


def test_today_defaults_to_today_in_melbourne():
    before = datetime.now(MELBOURNE).date()
    built = build_demo_school(MemoryStore().unit_of_work, seed=9)
    assert built.today in {before, datetime.now(MELBOURNE).date()}


def test_the_organisation_id_depends_on_the_seed_alone():
    store = MemoryStore()
    assert not demo_school_loaded(store.unit_of_work, 5)
    built = build_demo_school(store.unit_of_work, seed=5, today=TODAY)
    assert built.organisation_id == demo_organisation_id(5)
    assert demo_organisation_id(5) != demo_organisation_id(6)
    assert demo_school_loaded(store.unit_of_work, 5)
    assert not demo_school_loaded(store.unit_of_work, 6)


def test_a_second_demo_school_is_refused_whole_because_staff_logins_are_unique():
    store = MemoryStore()
    build_demo_school(store.unit_of_work, seed=1, today=TODAY)
    before = {cls: store.count(cls) for cls in (m.Organisation, m.Staff, m.AuditEntry)}
    with pytest.raises(Conflict, match="e-mail"):
        build_demo_school(store.unit_of_work, seed=2, today=TODAY)
    assert {cls: store.count(cls) for cls in before} == before


def test_an_interrupted_build_is_not_taken_for_a_loaded_school(monkeypatch):
    store = MemoryStore()

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(demo_school_module, "plan_journeys", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_demo_school(store.unit_of_work, seed=1, today=TODAY)
    assert store.count(m.Organisation) == 1
    assert not demo_school_loaded(store.unit_of_work, 1)
    monkeypatch.undo()
    with pytest.raises(Conflict):  # the half-built school is in the way
        build_demo_school(store.unit_of_work, seed=1, today=TODAY)


def test_summary_reads_back_what_was_stored(school):
    store, org = school
    summary = summarise(store.unit_of_work, org.id)
    assert summary.organisation == "Rocket Academy"
    assert summary.counts["students"] == len(rows(store, m.Student))
    assert summary.counts["attendance marks"] == len(rows(store, m.Attendance))
    assert summary.counts["makeup tokens"] == len(rows(store, m.MakeupToken))
    assert sum(summary.enrolments_by_status.values()) == len(rows(store, m.Enrolment))
    assert sum(c.seats_held for c in summary.cohorts) == sum(
        c.current_enrolments for c in rows(store, m.Cohort)
    )


def test_rocket_demo_prints_the_summary():
    result = CliRunner().invoke(app, ["demo", "--memory", "--seed", "3", "--today", "2026-11-25"])
    assert result.exit_code == 0, result.output
    assert "Enrolments by status" in result.output
    for status in m.EnrolmentStatus:
        assert status.value in result.output
    assert "Seats per cohort" in result.output
    assert "Billing" in result.output
    for line in ("invoices overdue", "total invoiced", "outstanding", "family credit"):
        assert line in result.output


@pytest.mark.parametrize("args", [["--today", "2026-13-01"], ["--seed", "-1"], ["--bogus"]])
def test_rocket_demo_refuses_bad_arguments_without_a_traceback(args):
    result = CliRunner().invoke(app, ["demo", *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# -- billing ------------------------------------------------------------------------------------

CENT = Decimal("0.01")


def invoices_by_enrolment(store: MemoryStore) -> dict:
    found: dict = {}
    for invoice in rows(store, m.Invoice):
        found.setdefault(invoice.enrolment_id, []).append(invoice)
    return found


def test_every_invoice_and_credit_note_adds_up(school):
    store, org = school
    rate = org.settings.gst_rate
    assert not org.settings.prices_include_gst
    for invoice in rows(store, m.Invoice):
        subtotal = sum(line.amount for line in invoice.line_items)
        assert invoice.gst_amount == (subtotal * rate).quantize(CENT, ROUND_HALF_UP)
        assert invoice.total_amount == subtotal + invoice.gst_amount, invoice.invoice_number
        discounts = [i for i in invoice.line_items if i.description.startswith("Sibling discount")]
        assert invoice.discount_amount == -sum(line.amount for line in discounts)
        if invoice.status is m.InvoiceStatus.VOID:
            assert invoice.amount_outstanding == 0
            assert invoice.amount_paid == 0
        else:
            assert (
                invoice.amount_paid + invoice.amount_credited + invoice.amount_outstanding
                == invoice.total_amount
            )
    for note in rows(store, m.CreditNote):
        assert sum(line.amount for line in note.line_items) == note.total_amount


def test_every_family_balance_agrees_with_its_records_and_ledger(school):
    store, org = school
    admin = next(s for s in rows(store, m.Staff) if s.role is m.StaffRole.SUPER_ADMIN)
    clock = FixedClock(datetime.combine(TODAY, datetime.min.time(), MELBOURNE))
    payments = PaymentService(store.unit_of_work, clock, EventBus(), OfflineGateway())
    actor = actor_for(store.unit_of_work, org.id, admin.id)
    owing = 0
    for family in rows(store, m.Family):
        count = payments.recount(org.id, family.id)
        assert count.ok, count.problems
        assert family.account_balance == count.counted_balance
        ledger = payments.ledger(actor, family.id)
        assert ledger.balance == family.account_balance == ledger.outstanding - ledger.credit
        owing += family.account_balance > 0
    assert owing >= 4


def test_invoices_show_every_stage_of_being_paid(school):
    store, org = school
    statuses = Counter(i.status for i in rows(store, m.Invoice))
    s = m.InvoiceStatus
    assert {s.SENT, s.PARTIAL, s.PAID, s.OVERDUE, s.VOID} <= set(statuses)
    assert statuses[s.PAID] > len(rows(store, m.Invoice)) // 2
    grace = timedelta(days=org.settings.overdue_after_days)
    for invoice in rows(store, m.Invoice):
        if invoice.status is s.OVERDUE:
            assert invoice.due_date + grace < TODAY
            assert invoice.amount_outstanding > 0
        elif invoice.is_open:  # the nightly job leaves it until its grace period is over
            assert invoice.due_date + grace >= TODAY
    audit = audit_of(store)
    marked = [
        a
        for i in rows(store, m.Invoice)
        if i.status is s.OVERDUE
        for a in audit[i.id]
        if a.action == "invoice.overdue"
    ]
    assert marked
    assert all(a.actor_staff_id is None for a in marked)
    # one of the overdue invoices was part-paid before it fell overdue
    assert any(i.status is s.OVERDUE and i.amount_paid > 0 for i in rows(store, m.Invoice))


def test_every_seat_is_invoiced_and_only_paid_seats_are_confirmed(school):
    store, _ = school
    invoices = invoices_by_enrolment(store)
    enrolments = {e.id: e for e in rows(store, m.Enrolment)}
    transferred_from = {e.transferred_to_id: e for e in enrolments.values() if e.transferred_to_id}
    S = m.EnrolmentStatus
    for enrolment in enrolments.values():
        mine = [i for i in invoices.get(enrolment.id, []) if i.status is not m.InvoiceStatus.VOID]
        if enrolment.status in (S.ENROLLED, S.ACTIVE, S.COMPLETED):
            if enrolment.id in transferred_from:  # paid by the enrolment it replaced
                assert not mine
                source = transferred_from[enrolment.id]
                assert [i.status for i in invoices[source.id]] == [m.InvoiceStatus.PAID]
            else:
                assert [i.status for i in mine] == [m.InvoiceStatus.PAID], enrolment.status
        elif enrolment.status is S.PENDING_PAYMENT:
            assert len(mine) == 1
            assert mine[0].is_open
        elif enrolment.status in (S.ENQUIRY, S.TRIAL):
            assert not invoices.get(enrolment.id)
        elif enrolment.status is S.DROPPED:
            # a seat withdrawn unpaid (or a lapsed offer) has its invoice voided; a paid one
            # after the term began keeps it (no refund)
            assert all(not i.is_open for i in invoices.get(enrolment.id, []))


def test_the_late_joiner_and_second_children_are_charged_less(school):
    store, _ = school
    lines = [line.description for i in rows(store, m.Invoice) for line in i.line_items]
    assert any(d.startswith("Late start") for d in lines)
    assert any(d.startswith("Sibling discount") for d in lines)
    discounted = [i for i in rows(store, m.Invoice) if i.discount_amount > 0]
    enrolments = {e.id: e for e in rows(store, m.Enrolment)}
    assert all(enrolments[i.enrolment_id].discount_applied > 0 for i in discounted)


def test_families_pay_at_the_front_desk_in_every_way(school):
    store, _ = school
    staff = {s.id: s for s in rows(store, m.Staff)}
    payments = rows(store, m.Payment)
    assert {p.payment_method for p in payments} == set(m.PaymentMethod)
    for payment in payments:
        assert staff[payment.recorded_by_staff_id].role is m.StaffRole.FRONT_DESK
        assert payment.stripe_payment_intent_id is None  # card payments on the desk terminal
        assert payment.payment_date.astimezone(MELBOURNE).date() < TODAY
    cards = [p for p in payments if p.payment_method is m.PaymentMethod.CREDIT_CARD]
    assert all(p.notes and "terminal" in p.notes for p in cards)
    transfers = [p for p in payments if p.payment_method is m.PaymentMethod.BANK_TRANSFER]
    numbers = {i.invoice_number for i in rows(store, m.Invoice)}
    assert all(p.reference_number in numbers for p in transfers)
    # some invoices were paid in two parts
    parts = Counter(a.invoice_id for a in rows(store, m.PaymentAllocation))
    paid = {i.id for i in rows(store, m.Invoice) if i.status is m.InvoiceStatus.PAID}
    assert any(parts[i] >= 2 for i in paid)


def test_an_overpayment_became_credit_that_paid_part_of_a_siblings_invoice(school):
    store, _ = school
    invoices = {i.id: i for i in rows(store, m.Invoice)}
    enrolments = {e.id: e for e in rows(store, m.Enrolment)}
    allocations = rows(store, m.PaymentAllocation)
    found = []
    for payment in rows(store, m.Payment):
        mine = sorted(
            (a for a in allocations if a.payment_id == payment.id), key=lambda a: a.allocated_at
        )
        if len(mine) < 2 or mine[0].allocated_at == mine[-1].allocated_at:
            continue
        first, later = invoices[mine[0].invoice_id], invoices[mine[-1].invoice_id]
        assert mine[0].amount == first.total_amount < payment.amount
        child = enrolments[first.enrolment_id].student_id
        sibling = enrolments[later.enrolment_id].student_id
        assert child != sibling
        assert later.created_at > payment.created_at
        found.append(payment)
    assert len(found) == 1
    assert sum(a.amount for a in allocations if a.payment_id == found[0].id) == found[0].amount


def test_a_refund_a_credit_note_and_a_materials_invoice(school):
    store, org = school
    staff = {s.id: s for s in rows(store, m.Staff)}
    audit = audit_of(store)
    (refund,) = rows(store, m.Refund)
    assert staff[refund.recorded_by_staff_id].role is m.StaffRole.CAMPUS_MANAGER
    assert refund.amount <= org.settings.campus_manager_refund_limit
    assert refund.status is m.RefundStatus.SUCCEEDED
    payment = store.tables[m.Payment][refund.payment_id]
    assert refund.amount == payment.amount
    refunded = store.tables[m.Invoice][payment.invoice_id]
    assert refunded.status is m.InvoiceStatus.VOID
    assert store.tables[m.Enrolment][refunded.enrolment_id].status is m.EnrolmentStatus.DROPPED

    (manual,) = [i for i in rows(store, m.Invoice) if i.enrolment_id is None]
    actions = [(a.action, staff[a.actor_staff_id].role) for a in audit[manual.id][:2]]
    assert actions == [
        ("invoice.create", m.StaffRole.FRONT_DESK),
        ("invoice.send", m.StaffRole.FRONT_DESK),
    ]
    assert manual.status is m.InvoiceStatus.PAID
    (note,) = rows(store, m.CreditNote)
    assert note.invoice_id == manual.id
    assert manual.amount_credited == note.total_amount
    assert manual.amount_paid == manual.total_amount - note.total_amount
    assert staff[note.created_by_staff_id].role is m.StaffRole.CAMPUS_MANAGER


def test_voided_invoices_were_never_owed(school):
    store, org = school
    staff = {s.id: s for s in rows(store, m.Staff)}
    audit = audit_of(store)
    voided = [i for i in rows(store, m.Invoice) if i.status is m.InvoiceStatus.VOID]
    assert len(voided) >= 3
    limit = org.settings.campus_manager_refund_limit
    for invoice in voided:
        enrolment = store.tables[m.Enrolment][invoice.enrolment_id]
        assert enrolment.status is m.EnrolmentStatus.DROPPED
        (void,) = [a for a in audit[invoice.id] if a.action == "invoice.void"]
        role = staff[void.actor_staff_id].role
        if invoice.total_amount > limit:
            assert role is m.StaffRole.SUPER_ADMIN
        else:
            assert role is m.StaffRole.CAMPUS_MANAGER
    assert "waitlist offer lapsed" in {
        store.tables[m.Enrolment][i.enrolment_id].withdrawal_reason for i in voided
    }


def test_the_billing_summary_reads_back_the_invoices(school):
    store, org = school
    figures = summarise(store.unit_of_work, org.id).billing
    invoices = rows(store, m.Invoice)
    assert sum(figures.invoices_by_status.values()) == len(invoices)
    assert list(figures.invoices_by_status) == [s.value for s in m.InvoiceStatus]
    issued = [i for i in invoices if i.status not in (m.InvoiceStatus.DRAFT, m.InvoiceStatus.VOID)]
    assert figures.invoiced == sum(i.total_amount for i in issued)
    assert figures.invoiced == figures.paid + figures.credited + figures.outstanding
    assert figures.outstanding == sum(f.account_balance for f in rows(store, m.Family))
    assert figures.family_credit == 0  # the one overpayment was used up by a sibling
    for amount in figures.amounts().values():
        assert isinstance(amount, Decimal)
        assert amount == amount.quantize(CENT)
    paid = sum(p.amount for p in rows(store, m.Payment)) - sum(
        r.amount for r in rows(store, m.Refund)
    )
    assert figures.paid + figures.family_credit == paid
