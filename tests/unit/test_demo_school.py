"""The demo school: realistic, complete, built by staff through the use cases, reproducible."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlsplit
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
from rocket_core.services.notifications import dedupe_key
from rocket_core.services.payments import PaymentService
from rocket_core.services.progress import ProgressService
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
    return sorted([*school_fingerprint(store), *learning_fingerprint(store)], key=repr)


def school_fingerprint(store: MemoryStore) -> list:
    """``fingerprint`` without the learning story: enrolments, marks, families, invoices,
    payments and the notifications they queued."""
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
            *(
                ("notification", n.template_name, families[n.recipient_family_id], n.due_at)
                for n in rows(store, m.Notification)
                if n.template_name != m.NotificationKind.NEW_MESSAGE
            ),
        ],
        key=repr,
    )


def learning_fingerprint(store: MemoryStore) -> list:
    """The learning story's rows, without the ids: trees, progress with its history,
    projects, messages and their notifications."""
    students = {s.id: (s.first_name, s.last_name, s.date_of_birth) for s in rows(store, m.Student)}
    trees = {t.id: t.name for t in rows(store, m.SkillTree)}
    nodes = {
        n.id: (trees[n.skill_tree_id], n.name, n.level, n.order) for n in rows(store, m.SkillNode)
    }
    cohorts = {c.id: c.name for c in rows(store, m.Cohort)}
    people = {f.id: f.primary_contact_email for f in rows(store, m.Family)}
    people.update({s.id: s.email for s in rows(store, m.Staff)})
    about = {
        dedupe_key(m.NotificationKind.NEW_MESSAGE, x.id): (x.sent_at, x.subject)
        for x in rows(store, m.Message)
    }
    return [
        *(("node", node) for node in nodes.values()),
        *(
            (
                "progress",
                students[p.student_id],
                nodes[p.skill_node_id],
                p.status.value,
                p.notes,
                [(c.from_status, c.to_status, c.changed_at) for c in p.history],
            )
            for p in rows(store, m.SkillProgress)
        ),
        *(
            (
                "project",
                students[p.student_id],
                cohorts[p.cohort_id],
                p.title,
                p.project_url,
                p.score,
                p.rubric_scores,
                p.graded_at,
            )
            for p in rows(store, m.ProjectSubmission)
        ),
        *(
            (
                "message",
                x.sent_at,
                people[x.sender_staff_id or x.sender_family_id],
                people[x.recipient_staff_id or x.recipient_family_id],
                x.subject,
                x.body,
                x.is_read,
            )
            for x in rows(store, m.Message)
        ),
        *(
            (
                "new message notification",
                about[n.dedupe_key],
                people[n.recipient_family_id or n.recipient_staff_id],
                n.subject,
                n.body,
            )
            for n in rows(store, m.Notification)
            if n.template_name == m.NotificationKind.NEW_MESSAGE
        ),
    ]


def test_the_same_seed_and_day_build_the_same_school():
    first, second = MemoryStore(), MemoryStore()
    a = build_demo_school(first.unit_of_work, seed=7, today=TODAY)
    b = build_demo_school(second.unit_of_work, seed=7, today=TODAY)
    assert a.organisation_id == b.organisation_id
    assert fingerprint(first) == fingerprint(second)
    assert summarise(first.unit_of_work, a.organisation_id) == summarise(
        second.unit_of_work, b.organisation_id
    )
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
    for line in ("skills mastered", "projects graded", "messages unread", "notifications queued"):
        assert line in result.output
    assert "Notifications by kind" in result.output
    for kind in m.NotificationKind:
        assert kind.value in result.output


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


# -- learning, messages and notifications --------------------------------------------------------

S = m.SkillStatus
RUBRIC_CRITERIA = [
    ("functionality", Decimal(10)),
    ("code quality", Decimal(10)),
    ("creativity", Decimal(10)),
    ("presentation", Decimal(10)),
]


def leads(store: MemoryStore) -> dict:
    """cohort id -> its lead instructor's staff id."""
    return {
        a.cohort_id: a.staff_id
        for a in rows(store, m.CohortStaff)
        if a.role is m.CohortStaffRole.LEAD_INSTRUCTOR
    }


def test_every_program_points_at_its_own_two_level_skill_tree(school):
    store, _ = school
    trees = {t.id for t in rows(store, m.SkillTree)}
    programs = rows(store, m.Program)
    assert len(trees) == len(programs) == 4
    assert {p.skill_tree_id for p in programs} == trees
    nodes = {n.id: n for n in rows(store, m.SkillNode)}
    siblings: dict = defaultdict(list)
    for node in nodes.values():
        assert not node.is_retired
        siblings[(node.skill_tree_id, node.parent_node_id)].append(node.order)
        if node.parent_node_id is None:
            assert node.level == 0
        else:
            parent = nodes[node.parent_node_id]
            assert (parent.level, node.level) == (0, 1)
            assert parent.skill_tree_id == node.skill_tree_id
    for orders in siblings.values():
        assert sorted(orders) == list(range(len(orders)))
    for tree in trees:
        topics = [n for n in nodes.values() if n.skill_tree_id == tree and n.level == 0]
        assert len(topics) >= 4
        for topic in topics:
            assert len(siblings[(tree, topic.id)]) >= 2


def test_programs_share_the_rubric_and_one_class_has_its_own_set_by_its_lead(school):
    store, _ = school
    for program in rows(store, m.Program):
        assert [(c.name, c.max_points) for c in program.rubric.criteria] == RUBRIC_CRITERIA
    (own,) = [c for c in rows(store, m.Cohort) if c.rubric is not None]
    assert [c.name for c in own.rubric.criteria] != [name for name, _ in RUBRIC_CRITERIA]
    (entry,) = [a for a in audit_of(store)[own.id] if a.action == "cohort.rubric"]
    assert entry.actor_staff_id == leads(store)[own.id]


def test_progress_history_ends_at_the_status_and_was_kept_by_the_classes_leads(school):
    store, _ = school
    nodes = {n.id: n for n in rows(store, m.SkillNode)}
    cohorts = {c.id: c for c in rows(store, m.Cohort)}
    trees = {p.id: p.skill_tree_id for p in rows(store, m.Program)}
    lead_of = leads(store)
    records = rows(store, m.SkillProgress)
    assert len(records) > 100
    transitions: Counter = Counter()
    for record in records:
        history = sorted(record.history, key=lambda change: change.changed_at)
        assert history[0].from_status is S.NOT_STARTED
        for before, after in itertools.pairwise(history):
            assert after.from_status is before.to_status
        assert history[-1].to_status is record.status
        assert (record.mastered_at is not None) == (record.status is S.MASTERED)
        # by the lead of a class of the student's whose program uses the skill's tree
        tree = nodes[record.skill_node_id].skill_tree_id
        teachers = {
            lead_of[e.cohort_id]
            for e in rows(store, m.Enrolment)
            if e.student_id == record.student_id and trees[cohorts[e.cohort_id].program_id] == tree
        }
        for change in history:
            assert change.changed_by_staff_id in teachers
            assert change.changed_at.astimezone(MELBOURNE).date() < TODAY
            transitions[(change.from_status, change.to_status)] += 1
    assert transitions[(S.IN_PROGRESS, S.MASTERED)] > 0
    assert 1 <= transitions[(S.MASTERED, S.IN_PROGRESS)] <= 2  # a regression or two
    notes = [r for r in records if r.notes]
    assert {r.notes_visible_to_family for r in notes} == {True, False}
    # a whole roll at once: one update_roll per skill, many students at the same instant
    updates = Counter(
        (a.occurred_at, a.changes["skill_node_id"])
        for a in rows(store, m.AuditEntry)
        if a.action == "skill_progress.update"
    )
    assert max(updates.values()) >= 5


def test_reports_of_current_students_add_up_and_hide_private_notes_from_families(school):
    store, org = school
    admin = next(s for s in rows(store, m.Staff) if s.role is m.StaffRole.SUPER_ADMIN)
    clock = FixedClock(datetime.combine(TODAY, datetime.min.time(), MELBOURNE))
    progress = ProgressService(store.unit_of_work, clock, EventBus())
    actor = actor_for(store.unit_of_work, org.id, admin.id)
    current = {c.id for c in rows(store, m.Cohort) if c.status is m.CohortStatus.IN_PROGRESS}
    students = {
        e.student_id
        for e in rows(store, m.Enrolment)
        if e.cohort_id in current and e.status is m.EnrolmentStatus.ACTIVE
    }
    private = {
        r.student_id
        for r in rows(store, m.SkillProgress)
        if r.notes and not r.notes_visible_to_family
    }
    assert private & students
    for student in students:
        report = progress.report(actor, student)
        assert report.trees
        for tree in report.trees:
            assert sum(t.total for t in tree.topics) == len(tree.nodes)
            mastered = sum(line.status is S.MASTERED for line in tree.nodes)
            assert sum(t.mastered for t in tree.topics) == mastered
            assert all(line.status is not S.MASTERED for line in tree.next_skills)
        family = progress.report(actor, student, for_family=True)
        lines = [line for tree in family.trees for line in tree.nodes]
        assert all(line.notes is None for line in lines if not line.notes_visible_to_family)
        staff_notes = [line.notes for tree in report.trees for line in tree.nodes if line.notes]
        assert len(staff_notes) >= sum(line.notes is not None for line in lines)


def test_graded_projects_score_their_rubric_and_one_was_regraded(school):
    store, _ = school
    cohorts = {c.id: c for c in rows(store, m.Cohort)}
    programs = {p.id: p for p in rows(store, m.Program)}
    lead_of = leads(store)
    submissions = rows(store, m.ProjectSubmission)
    assert len({(s.student_id, s.cohort_id) for s in submissions}) == len(submissions) > 20
    enrolled = {(e.student_id, e.cohort_id) for e in rows(store, m.Enrolment)}
    for sub in submissions:
        assert (sub.student_id, sub.cohort_id) in enrolled
        cohort = cohorts[sub.cohort_id]
        program = programs[cohort.program_id]
        url = urlsplit(sub.project_url)
        assert url.scheme == "https"
        scratch = program.name.startswith("Scratch")
        assert url.hostname == ("scratch.mit.edu" if scratch else "replit.com")
        if not sub.is_graded:
            continue
        rubric = cohort.rubric or program.rubric
        assert set(sub.rubric_scores) == {c.name for c in rubric.criteria}
        assert sub.score == sum(sub.rubric_scores.values()) == rubric.score(sub.rubric_scores)
        assert sub.graded_by_staff_id == lead_of[cohort.id]
        assert sub.submitted_at < sub.graded_at
        assert sub.graded_at.astimezone(MELBOURNE).date() < TODAY
    assert sum(s.is_graded for s in submissions) > len(submissions) // 2
    assert any(cohorts[s.cohort_id].rubric is not None and s.is_graded for s in submissions)
    (regrade,) = [a for a in rows(store, m.AuditEntry) if a.action == "project.regrade"]
    regraded = store.tables[m.ProjectSubmission][regrade.entity_id]
    before, after = regrade.changes["score"]
    assert Decimal(before) < Decimal(after) == regraded.score


def test_staff_and_families_write_to_each_other_and_a_manager_announces(school):
    store, _ = school
    staff = {s.id: s for s in rows(store, m.Staff)}
    messages = rows(store, m.Message)
    threads: dict = defaultdict(list)
    for message in sorted(messages, key=lambda x: x.sent_at):
        threads[message.thread_id].append(message)
        assert message.sent_at.astimezone(MELBOURNE).date() < TODAY
    staff_side, parent = m.ParticipantType.STAFF, m.ParticipantType.PARENT
    for thread in threads.values():
        assert thread[0].sender_type is staff_side  # staff open threads
        assert len({x.recipient_family_id or x.sender_family_id for x in thread}) == 1
        for earlier, reply in itertools.pairwise(thread):
            if reply.sender_type is parent:  # to the staff member who wrote last
                assert reply.recipient_staff_id == earlier.sender_staff_id
    senders = [[x.sender_type for x in thread] for thread in threads.values()]
    assert [staff_side, parent, staff_side] in senders
    replies = [x for x in messages if x.sender_type is parent]
    assert replies
    assert all(x.is_read for x in replies)  # staff read them the next morning
    audit = audit_of(store)
    announced = [x for x in messages if audit[x.id][0].action == "message.announce"]
    assert len(announced) >= 3
    assert len({x.recipient_family_id for x in announced}) == len(announced)
    assert len({x.thread_id for x in announced}) == len(announced)
    assert {staff[x.sender_staff_id].role for x in announced} == {m.StaffRole.CAMPUS_MANAGER}
    assert {x.is_read for x in announced} == {True, False}


def test_every_message_queued_its_new_message_notification(school):
    store, _ = school
    queued = {n.dedupe_key: n for n in rows(store, m.Notification)}
    for message in rows(store, m.Message):
        notification = queued[dedupe_key(m.NotificationKind.NEW_MESSAGE, message.id)]
        assert notification.kind is m.NotificationKind.NEW_MESSAGE
        assert notification.status is m.NotificationStatus.QUEUED
        assert notification.recipient_family_id == message.recipient_family_id
        assert notification.recipient_staff_id == message.recipient_staff_id


def test_learning_and_messages_were_done_by_the_right_staff(school):
    store, _ = school
    audit = audit_of(store)
    roles = {s.id: s.role for s in rows(store, m.Staff)}
    role = m.StaffRole
    expected = {
        m.SkillTree: {role.SUPER_ADMIN},
        m.SkillNode: {role.SUPER_ADMIN},
        m.SkillProgress: {role.LEAD_INSTRUCTOR},
        m.ProjectSubmission: {role.LEAD_INSTRUCTOR},
        # a family's reply comes through the portal: no staff member
        m.Message: {role.LEAD_INSTRUCTOR, role.FRONT_DESK, role.CAMPUS_MANAGER, None},
    }
    for cls, allowed in expected.items():
        assert rows(store, cls), cls.__name__
        for entity in rows(store, cls):
            actor = audit[entity.id][0].actor_staff_id
            assert (None if actor is None else roles[actor]) in allowed, cls.__name__


def test_the_summary_counts_learning_messages_and_notifications(school):
    store, org = school
    summary = summarise(store.unit_of_work, org.id)
    counts = summary.counts
    progress = rows(store, m.SkillProgress)
    projects = rows(store, m.ProjectSubmission)
    messages = rows(store, m.Message)
    notifications = rows(store, m.Notification)
    assert counts["skill trees"] == len(rows(store, m.SkillTree)) == 4
    assert counts["skill nodes"] == len(rows(store, m.SkillNode))
    assert counts["skill progress records"] == len(progress)
    assert counts["skills mastered"] == sum(p.status is S.MASTERED for p in progress) > 0
    assert counts["projects submitted"] == len(projects)
    assert counts["projects graded"] == sum(p.is_graded for p in projects) > 0
    assert counts["messages"] == len(messages)
    assert 0 < counts["messages unread"] == sum(not x.is_read for x in messages) < len(messages)
    kinds = summary.notifications_by_kind
    assert list(kinds) == [kind.value for kind in m.NotificationKind]
    assert sum(kinds.values()) == counts["notifications"] == len(notifications)
    assert counts["notifications queued"] == sum(
        n.status is m.NotificationStatus.QUEUED for n in notifications
    )
    assert kinds["child_absent"] > 0
    assert kinds["new_message"] == len(messages)  # nobody switched them off


def test_the_learning_story_leaves_the_rest_of_the_school_as_it_was(school, monkeypatch):
    store, _ = school
    monkeypatch.setattr(demo_school_module, "plan_learning", lambda story, plans: None)
    monkeypatch.setattr(demo_school_module, "plan_messages", lambda *args: None)
    without = MemoryStore()
    build_demo_school(without.unit_of_work, seed=1, today=TODAY)
    assert not rows(without, m.SkillTree)
    assert not rows(without, m.Message)

    def theirs(entry: m.AuditEntry) -> bool:
        learning = ("skill", "program.skill_tree", "program.rubric", "cohort.rubric")
        return not entry.action.startswith((*learning, "project.", "message."))

    def rest(s: MemoryStore) -> tuple:
        audit = sorted((a.action, a.occurred_at) for a in rows(s, m.AuditEntry) if theirs(a))
        return school_fingerprint(s), audit

    assert rest(without) == rest(store)
