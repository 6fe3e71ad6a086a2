"""Entity factories: valid entities of a small, related school, each with keyword overrides.

Every factory fills every field it sensibly can (money with cents, timezone-aware instants in
a non-UTC zone with microseconds, tuples of value objects) so that a persistence round trip
has something to lose. Values that must be unique (staff e-mails, family e-mails, invoice
numbers, PaymentIntent ids...) come from a process-wide counter, so two schools never collide.
``school()`` builds a whole organisation's graph, parents before children.
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs

from rocket_core import model as m
from rocket_core.enrolment_machine import EnrolmentStatus

MELBOURNE = ZoneInfo("Australia/Melbourne")
PERTH = ZoneInfo("Australia/Perth")

_serial = itertools.count(1)


def serial() -> int:
    """A number never handed out before in this process."""
    return next(_serial)


def at(
    year: int,
    month: int,
    day: int,
    hour: int = 9,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
    tz: ZoneInfo = MELBOURNE,
) -> datetime:
    """A timezone-aware instant (Melbourne time unless told)."""
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=tz)


def _org_of(parent: m.Entity) -> UUID:
    return parent.organisation_id  # type: ignore[attr-defined, no-any-return]


# -- organisation -----------------------------------------------------------------------------


def settings(**overrides: Any) -> m.OrganisationSettings:
    """Organisation settings that differ from every default."""
    values: dict[str, Any] = {
        "gst_rate": Decimal("0.15"),
        "prices_include_gst": True,
        "invoice_due_days": 21,
        "overdue_after_days": 10,
        "sibling_discount_second": Decimal("0.05"),
        "sibling_discount_third_plus": Decimal("0.20"),
        "waitlist_offer_hours": 36,
        "makeup_token_expiry_days": 120,
        "attendance_edit_window_hours": 48,
        "absence_alert_delay_minutes": 30,
        "campus_manager_refund_limit": Decimal("750.25"),
        "withdrawal_admin_fee": Decimal("35.50"),
        "record_retention_years": 8,
    }
    return m.OrganisationSettings(**{**values, **overrides})


def organisation(**overrides: Any) -> m.Organisation:
    n = serial()
    values: dict[str, Any] = {
        "name": f"Rocket Academy {n}",
        "logo_url": f"https://rocket{n}.example/logo.png",
        "primary_color": "#1A2B3C",
        "billing_email": f"billing{n}@rocket.example",
        "abn": "51 824 753 556",
        "settings": settings(),
        "created_at": at(2025, 11, 3, 8, 15, 30, 123456),
    }
    return m.Organisation(**{**values, **overrides})


def campus(organisation_id: UUID, **overrides: Any) -> m.Campus:
    n = serial()
    values: dict[str, Any] = {
        "organisation_id": organisation_id,
        "name": f"Carlton {n}",
        "address": "12 Lygon Street",
        "suburb": "Carlton",
        "state": "VIC",
        "postcode": "3053",
        "timezone": "Australia/Melbourne",
        "contact_email": f"carlton{n}@rocket.example",
        "contact_phone": "+61 3 9000 1234",
        "closure_dates": (
            m.ClosureDate(day=date(2026, 1, 26), reason="Australia Day"),
            m.ClosureDate(day=date(2026, 4, 3), reason="Good Friday"),
        ),
        "created_at": at(2025, 11, 4, 10, 0, 0, 500001),
    }
    return m.Campus(**{**values, **overrides})


def staff(organisation_id: UUID, **overrides: Any) -> m.Staff:
    n = serial()
    values: dict[str, Any] = {
        "organisation_id": organisation_id,
        "email": f"staff{n}@rocket.example",
        "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        "first_name": "Grace",
        "last_name": f"Hopper{n}",
        "phone": "0400 123 456",
        "role": m.StaffRole.LEAD_INSTRUCTOR,
        "hired_date": date(2024, 7, 1),
        "qualifications": (
            m.Qualification(
                name="Working With Children Check",
                reference=f"WWC{n:07d}E",
                expires_on=date(2028, 6, 30),
            ),
            m.Qualification(name="First Aid"),
        ),
        "created_at": at(2025, 11, 5, 14, 45, 1, 999999),
    }
    return m.Staff(**{**values, **overrides})


def campus_staff(campus: m.Campus, staff: m.Staff, **overrides: Any) -> m.CampusStaff:
    values: dict[str, Any] = {
        "organisation_id": campus.organisation_id,
        "campus_id": campus.id,
        "staff_id": staff.id,
        "assigned_at": at(2025, 11, 6, 9, 0, 0, 1),
    }
    return m.CampusStaff(**{**values, **overrides})


# -- catalogue --------------------------------------------------------------------------------


def program(organisation_id: UUID, **overrides: Any) -> m.Program:
    n = serial()
    values: dict[str, Any] = {
        "organisation_id": organisation_id,
        "name": f"Scratch Basics {n}",
        "description": "Sprites, loops and events.",
        "age_min": 7,
        "age_max": 10,
        "skill_level": m.SkillLevel.BEGINNER,
        "duration_weeks": 10,
        "session_duration_minutes": 90,
        "default_price": Decimal("450.10"),
        "created_at": at(2025, 11, 7, 11, 30),
    }
    return m.Program(**{**values, **overrides})


def cohort(program: m.Program, campus: m.Campus, **overrides: Any) -> m.Cohort:
    n = serial()
    values: dict[str, Any] = {
        "organisation_id": program.organisation_id,
        "program_id": program.id,
        "campus_id": campus.id,
        "name": f"Scratch Saturday {n}",
        "start_date": date(2026, 2, 7),
        "end_date": date(2026, 4, 11),
        "max_capacity": 12,
        "current_enrolments": 0,
        "status": m.CohortStatus.OPEN,
        "tuition_price": Decimal("480.55"),
        "room": "Lab 1",
        "created_at": at(2025, 11, 8, 16, 0, 0, 250000),
    }
    return m.Cohort(**{**values, **overrides})


def cohort_staff(cohort: m.Cohort, staff: m.Staff, **overrides: Any) -> m.CohortStaff:
    values: dict[str, Any] = {
        "organisation_id": cohort.organisation_id,
        "cohort_id": cohort.id,
        "staff_id": staff.id,
        "role": m.CohortStaffRole.LEAD_INSTRUCTOR,
        "assigned_at": at(2025, 11, 9, 9, 30),
    }
    return m.CohortStaff(**{**values, **overrides})


def session(cohort: m.Cohort, **overrides: Any) -> m.Session:
    values: dict[str, Any] = {
        "organisation_id": cohort.organisation_id,
        "cohort_id": cohort.id,
        "session_number": serial(),
        "scheduled_date": date(2026, 2, 7),
        "scheduled_start_time": time(9, 30),
        "scheduled_end_time": time(11, 0),
        "location_notes": "Upstairs",
        "notes": "Bring headphones.",
        "created_at": at(2025, 11, 10, 12, 0),
    }
    return m.Session(**{**values, **overrides})


def session_staff(session: m.Session, staff: m.Staff, **overrides: Any) -> m.SessionStaff:
    values: dict[str, Any] = {
        "organisation_id": session.organisation_id,
        "session_id": session.id,
        "staff_id": staff.id,
        "assigned_at": at(2025, 11, 11, 7, 0),
    }
    return m.SessionStaff(**{**values, **overrides})


# -- families ---------------------------------------------------------------------------------


def family(organisation_id: UUID, **overrides: Any) -> m.Family:
    n = serial()
    values: dict[str, Any] = {
        "organisation_id": organisation_id,
        "family_name": f"Lovelace {n}",
        "primary_contact_name": "Anne Lovelace",
        "primary_contact_email": f"family{n}@example.com",
        "primary_contact_phone": "+61 400 000 001",
        "secondary_contact_name": "William Lovelace",
        "secondary_contact_email": f"second{n}@example.com",
        "street_address": "1 Main Road",
        "suburb": "Brunswick",
        "state": "VIC",
        "postcode": "3056",
        "emergency_contact_name": "Mary Somerville",
        "emergency_contact_phone": "03 9123 4567",
        "account_balance": Decimal("-12.34"),
        "stripe_customer_id": f"cus_{n:010d}",
        "created_at": at(2025, 11, 12, 18, 5, 6, 7),
    }
    return m.Family(**{**values, **overrides})


def student(family: m.Family, **overrides: Any) -> m.Student:
    values: dict[str, Any] = {
        "organisation_id": family.organisation_id,
        "family_id": family.id,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_of_birth": date(2016, 2, 29),
        "gender": m.Gender.FEMALE,
        "medical_info": "Asthma: puffer in bag.",
        "dietary_restrictions": "No nuts.",
        "allow_photo": True,
        "photo_url": "https://photos.example/ada.jpg",
        "preferred_name": "Addie",
        "pronouns": "she/her",
        "created_at": at(2025, 11, 13, 9, 0),
    }
    return m.Student(**{**values, **overrides})


def enrolment(student: m.Student, cohort: m.Cohort, **overrides: Any) -> m.Enrolment:
    values: dict[str, Any] = {
        "organisation_id": student.organisation_id,
        "student_id": student.id,
        "cohort_id": cohort.id,
        "status": EnrolmentStatus.ENQUIRY,
        "enrolment_date": at(2025, 12, 1, 10, 20, 30, 405060),
        "created_at": at(2025, 12, 1, 10, 20, 30, 405060),
    }
    return m.Enrolment(**{**values, **overrides})


def makeup_token(enrolment: m.Enrolment, program: m.Program, **overrides: Any) -> m.MakeupToken:
    """An available token owed on ``enrolment``; pass ``source_session_id`` (and, for a spent
    token, ``status``, ``redeemed_session_id`` and ``redeemed_at``) for the sessions."""
    values: dict[str, Any] = {
        "organisation_id": enrolment.organisation_id,
        "student_id": enrolment.student_id,
        "enrolment_id": enrolment.id,
        "program_id": program.id,
        "reason": "Excused absence: school camp",
        "source_session_id": None,
        "issued_on": date(2026, 2, 7),
        "expires_on": date(2026, 6, 7),
        "status": m.MakeupTokenStatus.AVAILABLE,
        "redeemed_session_id": None,
        "redeemed_at": None,
        "created_at": at(2026, 2, 7, 18, 30, 0, 314159, tz=PERTH),
    }
    return m.MakeupToken(**{**values, **overrides})


# -- attendance and learning ------------------------------------------------------------------


def attendance(session: m.Session, enrolment: m.Enrolment, **overrides: Any) -> m.Attendance:
    values: dict[str, Any] = {
        "organisation_id": session.organisation_id,
        "session_id": session.id,
        "student_id": enrolment.student_id,
        "enrolment_id": enrolment.id,
        "status": m.AttendanceStatus.PRESENT,
        "check_in_time": at(2026, 2, 7, 9, 28, 0, 1),
        "check_out_time": at(2026, 2, 7, 11, 2),
        "notes": "Helped a friend.",
        "recorded_at": at(2026, 2, 7, 9, 31, 15, 654321),
    }
    return m.Attendance(**{**values, **overrides})


def skill_tree(organisation_id: UUID, **overrides: Any) -> m.SkillTree:
    n = serial()
    values: dict[str, Any] = {
        "organisation_id": organisation_id,
        "name": f"Python Fundamentals {n}",
        "description": "From print to classes.",
        "created_at": at(2025, 10, 1, 9, 0),
    }
    return m.SkillTree(**{**values, **overrides})


def skill_node(
    tree: m.SkillTree, parent: m.SkillNode | None = None, **overrides: Any
) -> m.SkillNode:
    values: dict[str, Any] = {
        "organisation_id": tree.organisation_id,
        "skill_tree_id": tree.id,
        "parent_node_id": None if parent is None else parent.id,
        "name": "Variables" if parent is None else "Loops",
        "description": "Naming things.",
        "level": 0 if parent is None else parent.level + 1,
        "order": 0,
        "badge_icon_url": "https://badges.example/variables.svg",
        "created_at": at(2025, 10, 2, 9, 0),
    }
    return m.SkillNode(**{**values, **overrides})


def skill_progress(student: m.Student, node: m.SkillNode, **overrides: Any) -> m.SkillProgress:
    values: dict[str, Any] = {
        "organisation_id": student.organisation_id,
        "student_id": student.id,
        "skill_node_id": node.id,
        "notes": "Getting there.",
        "notes_visible_to_family": True,
        "created_at": at(2026, 2, 7, 10, 0),
    }
    return m.SkillProgress(**{**values, **overrides})


def project(student: m.Student, cohort: m.Cohort, **overrides: Any) -> m.ProjectSubmission:
    values: dict[str, Any] = {
        "organisation_id": student.organisation_id,
        "student_id": student.id,
        "cohort_id": cohort.id,
        "title": "Maze game",
        "description": "Arrow keys move the cat.",
        "project_url": "https://scratch.mit.edu/projects/123456",
        "submitted_at": at(2026, 3, 14, 15, 9, 26, 535897),
        "score": Decimal("87.50"),
        "rubric_scores": {"logic": Decimal("9.50"), "creativity": Decimal("8.25")},
        "feedback": "Lovely use of broadcasts.",
        "graded_at": at(2026, 3, 15, 9, 0, tz=PERTH),
    }
    return m.ProjectSubmission(**{**values, **overrides})


# -- billing ----------------------------------------------------------------------------------


def line_items() -> tuple[m.LineItem, ...]:
    """Three lines totalling 1134.56: tuition, a negative discount line and materials."""
    return (
        m.LineItem(description="Term 1 tuition", quantity=1, unit_price=Decimal("1200.00")),
        m.LineItem(description="Sibling discount", quantity=1, unit_price=Decimal("-120.00")),
        m.LineItem(description="Materials", quantity=2, unit_price=Decimal("27.28")),
    )


def invoice(family: m.Family, enrolment: m.Enrolment | None = None, **overrides: Any) -> m.Invoice:
    """A part-paid invoice; ``amount_outstanding`` follows overridden total, paid and credited
    amounts."""
    total = overrides.pop("total_amount", Decimal("1134.56"))
    paid = overrides.pop("amount_paid", Decimal("100.00"))
    credited = overrides.pop("amount_credited", Decimal("0.00"))
    values: dict[str, Any] = {
        "organisation_id": family.organisation_id,
        "invoice_number": m.invoice_number(2026, serial()),
        "family_id": family.id,
        "enrolment_id": None if enrolment is None else enrolment.id,
        "issue_date": date(2026, 1, 15),
        "due_date": date(2026, 2, 5),
        "total_amount": total,
        "gst_amount": Decimal("103.14"),
        "discount_amount": Decimal("120.00"),
        "amount_paid": paid,
        "amount_credited": credited,
        "amount_outstanding": total - paid - credited,
        "status": m.InvoiceStatus.PARTIAL if paid else m.InvoiceStatus.SENT,
        "line_items": line_items(),
        "notes": "Thank you!",
        "created_at": at(2026, 1, 15, 8, 0, 0, 42),
    }
    return m.Invoice(**{**values, **overrides})


def payment(family: m.Family, invoice: m.Invoice | None = None, **overrides: Any) -> m.Payment:
    n = serial()
    values: dict[str, Any] = {
        "organisation_id": family.organisation_id,
        "family_id": family.id,
        "invoice_id": None if invoice is None else invoice.id,
        "payment_date": at(2026, 1, 20, 19, 45, 12, 345678),
        "amount": Decimal("100.00"),
        "payment_method": m.PaymentMethod.CREDIT_CARD,
        "stripe_payment_intent_id": f"pi_contract_{n:08d}",
        "reference_number": f"REF-{n}",
        "notes": "Paid online.",
        "created_at": at(2026, 1, 20, 19, 45, 13),
    }
    return m.Payment(**{**values, **overrides})


def allocation(payment: m.Payment, invoice: m.Invoice, **overrides: Any) -> m.PaymentAllocation:
    """``payment`` (or part of it) applied to ``invoice``."""
    values: dict[str, Any] = {
        "organisation_id": payment.organisation_id,
        "payment_id": payment.id,
        "invoice_id": invoice.id,
        "amount": Decimal("100.00"),
        "allocated_at": at(2026, 1, 20, 19, 45, 14, 123),
    }
    return m.PaymentAllocation(**{**values, **overrides})


def refund(payment: m.Payment, **overrides: Any) -> m.Refund:
    """A pending card refund of part of ``payment``."""
    n = serial()
    values: dict[str, Any] = {
        "organisation_id": payment.organisation_id,
        "payment_id": payment.id,
        "family_id": payment.family_id,
        "amount": Decimal("25.55"),
        "reason": "Withdrew after the first session",
        "status": m.RefundStatus.PENDING,
        "stripe_refund_id": f"re_contract_{n:08d}",
        "refunded_at": at(2026, 2, 1, 10, 11, 12, 131415, tz=PERTH),
    }
    return m.Refund(**{**values, **overrides})


def credit_note(invoice: m.Invoice, **overrides: Any) -> m.CreditNote:
    """A credit note of 34.56 (GST 3.14) on ``invoice``."""
    values: dict[str, Any] = {
        "organisation_id": invoice.organisation_id,
        "credit_note_number": m.credit_note_number(2026, serial()),
        "family_id": invoice.family_id,
        "invoice_id": invoice.id,
        "issue_date": date(2026, 1, 25),
        "total_amount": Decimal("34.56"),
        "gst_amount": Decimal("3.14"),
        "line_items": (
            m.LineItem(description="Credit: missed session", unit_price=Decimal("34.56")),
        ),
        "reason": "Missed session",
        "created_at": at(2026, 1, 25, 11, 0, 0, 271828),
    }
    return m.CreditNote(**{**values, **overrides})


def webhook_event(organisation_id: UUID, **overrides: Any) -> m.WebhookEvent:
    """A processed Stripe event."""
    n = serial()
    values: dict[str, Any] = {
        "organisation_id": organisation_id,
        "provider": "stripe",
        "provider_event_id": f"evt_contract_{n:08d}",
        "event_type": "payment_intent.succeeded",
        "received_at": at(2026, 1, 20, 19, 45, 15, 161718, tz=PERTH),
    }
    return m.WebhookEvent(**{**values, **overrides})


# -- messaging and audit ----------------------------------------------------------------------


def message(sender: m.Staff, recipient: m.Family, **overrides: Any) -> m.Message:
    values: dict[str, Any] = {
        "organisation_id": sender.organisation_id,
        "sender_type": m.ParticipantType.STAFF,
        "sender_staff_id": sender.id,
        "recipient_type": m.ParticipantType.PARENT,
        "recipient_family_id": recipient.id,
        "subject": "Saturday class",
        "body": "Ada did brilliantly today.",
        "sent_at": at(2026, 2, 7, 12, 0, 0, 777),
    }
    return m.Message(**{**values, **overrides})


def notification(recipient: m.Family, **overrides: Any) -> m.Notification:
    values: dict[str, Any] = {
        "organisation_id": recipient.organisation_id,
        "recipient_family_id": recipient.id,
        "type": m.NotificationChannel.EMAIL,
        "template_name": "session_cancelled",
        "subject": "Class cancelled",
        "body": "Saturday's class is cancelled; a makeup token has been added.",
        "created_at": at(2026, 2, 6, 17, 0, 0, 3),
        "dedupe_key": f"session_cancelled:{m.new_id()}",
    }
    return m.Notification(**{**values, **overrides})


def staff_session(staff: m.Staff, **overrides: Any) -> m.StaffSession:
    token = m.new_id().hex
    values: dict[str, Any] = {
        "organisation_id": staff.organisation_id,
        "staff_id": staff.id,
        "token_hash": hashlib.sha256(token.encode()).hexdigest(),
        "csrf_hash": hashlib.sha256(token[::-1].encode()).hexdigest(),
        "created_at": at(2026, 2, 6, 9, 0, 0, 5),
        "expires_at": at(2026, 2, 7, 9, 0, 0, 5),
        "address": "127.0.0.1",
        "user_agent": "pytest",
    }
    return m.StaffSession(**{**values, **overrides})


def audit_entry(organisation_id: UUID, **overrides: Any) -> m.AuditEntry:
    values: dict[str, Any] = {
        "organisation_id": organisation_id,
        "action": "enrolment.request_payment",
        "entity_type": "Enrolment",
        "entity_id": m.new_id(),
        "summary": "Seat offered",
        "changes": {
            "status": ["enquiry", "pending_payment"],
            "seats": {"before": 3, "after": 4},
            "amount": "480.55",
        },
        "occurred_at": at(2026, 1, 10, 9, 15, 0, 1234),
    }
    return m.AuditEntry(**{**values, **overrides})


# -- a whole school ---------------------------------------------------------------------------


@attrs.define
class School:
    """One organisation's related entities, every repository represented."""

    organisation: m.Organisation
    skill_tree: m.SkillTree
    root_node: m.SkillNode
    child_node: m.SkillNode
    campus: m.Campus
    staff: m.Staff
    campus_staff: m.CampusStaff
    program: m.Program
    cohort: m.Cohort
    cohort_staff: m.CohortStaff
    session: m.Session
    session_staff: m.SessionStaff
    family: m.Family
    student: m.Student
    sibling: m.Student
    enrolment: m.Enrolment
    waitlisted: m.Enrolment
    lapsed_offer: m.Enrolment
    makeup_token: m.MakeupToken
    spent_token: m.MakeupToken
    attendance: m.Attendance
    skill_progress: m.SkillProgress
    project: m.ProjectSubmission
    invoice: m.Invoice
    payment: m.Payment
    allocation: m.PaymentAllocation
    refund: m.Refund
    credit_note: m.CreditNote
    webhook_event: m.WebhookEvent
    message: m.Message
    notification: m.Notification
    staff_session: m.StaffSession
    audit_entry: m.AuditEntry

    def entities(self) -> list[m.Entity]:
        """Every entity, parents before children (the order to add them in)."""
        return [getattr(self, a.name) for a in attrs.fields(type(self))]


def school(**organisation_overrides: Any) -> School:
    """A valid organisation graph: a campus, a cohort (flagged for attention) with a session,
    a family with two children (one active enrolment owed one makeup token and having spent
    another; one waitlisted, whose earlier seat offer lapsed unpaid and was dropped), marks,
    skills, billing (a part-paid and part-credited invoice, its payment allocated and partly
    refunded, its credit note, a processed webhook event) and messages."""
    org = organisation(**organisation_overrides)
    tree = skill_tree(org.id)
    root = skill_node(tree)
    child = skill_node(tree, root, order=1)
    place = campus(org.id)
    teacher = staff(org.id)
    course = program(org.id, skill_tree_id=tree.id)
    group = cohort(
        course, place, current_enrolments=1, attention="Starts Saturday with one enrolment"
    )
    meeting = session(group, lead_instructor_id=teacher.id)
    home = family(org.id)
    ada = student(home, student_login_email=f"ada{serial()}@kids.rocket.example")
    charles = student(
        home, first_name="Charles", preferred_name=None, date_of_birth=date(2018, 12, 26)
    )
    seat = enrolment(
        ada,
        group,
        status=EnrolmentStatus.ACTIVE,
        start_date=date(2026, 2, 7),
        tuition_override=Decimal("432.45"),
        discount_applied=Decimal("48.05"),
        makeup_tokens=1,  # the available token below
    )
    waiting = enrolment(
        charles,
        group,
        is_waitlist=True,
        waitlist_position=1,
        enrolment_date=at(2025, 12, 2, 20, 0, tz=PERTH),
    )
    lapsed = enrolment(
        charles,
        group,
        status=EnrolmentStatus.DROPPED,
        enrolment_date=at(2025, 11, 20, 8, 45),
        offer_expires_at=at(2025, 11, 27, 21, 15, 0, 123457, tz=PERTH),
        withdrawal_date=date(2025, 11, 28),
        withdrawal_reason="Seat offer lapsed unpaid",
    )
    owed = makeup_token(seat, course, source_session_id=meeting.id)
    spent = makeup_token(
        seat,
        course,
        reason="Session cancelled: campus closed",
        issued_on=date(2026, 1, 31),
        expires_on=date(2026, 5, 31),
        status=m.MakeupTokenStatus.REDEEMED,
        redeemed_session_id=meeting.id,
        redeemed_at=at(2026, 2, 7, 9, 25, 0, 271828),
        created_at=at(2026, 1, 31, 7, 0, 0, 1, tz=PERTH),
    )
    progress = skill_progress(ada, child)
    progress.set_status(m.SkillStatus.IN_PROGRESS, by=teacher.id, at=at(2026, 2, 7, 10, 5))
    progress.set_status(m.SkillStatus.MASTERED, by=teacher.id, at=at(2026, 2, 14, 10, 7, 0, 9))
    bill = invoice(home, seat, amount_credited=Decimal("34.56"))
    paid = payment(home, bill, recorded_by_staff_id=teacher.id)
    return School(
        organisation=org,
        skill_tree=tree,
        root_node=root,
        child_node=child,
        campus=place,
        staff=teacher,
        campus_staff=campus_staff(place, teacher),
        program=course,
        cohort=group,
        cohort_staff=cohort_staff(group, teacher),
        session=meeting,
        session_staff=session_staff(meeting, teacher),
        family=home,
        student=ada,
        sibling=charles,
        enrolment=seat,
        waitlisted=waiting,
        lapsed_offer=lapsed,
        makeup_token=owed,
        spent_token=spent,
        attendance=attendance(meeting, seat, recorded_by_staff_id=teacher.id),
        skill_progress=progress,
        project=project(ada, group, graded_by_staff_id=teacher.id),
        invoice=bill,
        payment=paid,
        allocation=allocation(paid, bill),
        refund=refund(paid, recorded_by_staff_id=teacher.id, approved_by_staff_id=teacher.id),
        credit_note=credit_note(bill, created_by_staff_id=teacher.id),
        webhook_event=webhook_event(org.id),
        message=message(teacher, home),
        notification=notification(home),
        staff_session=staff_session(teacher),
        audit_entry=audit_entry(org.id, actor_staff_id=teacher.id, entity_id=seat.id),
    )
