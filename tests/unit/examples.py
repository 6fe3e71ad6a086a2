"""Valid example entities with keyword overrides: one ``make_*`` per entity of rocket_core.model.

Each builder returns a valid entity of the organisation ``ORG_ID``; a keyword replaces the
field of that name, so a test starts from something valid and changes one thing. Foreign keys
are fresh random UUIDs: the examples stand alone, they do not form a school (for related
entities, see tests/contracts/factories.py).

Tests rely on some of these values (a cohort of 3 seats, an invoice of $100.00 not yet paid,
an absence recorded at ``NOW``, a makeup token issued on 2 March and expiring on 30 June
2026...): change them only together with the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from rocket_core.model import (
    Attendance,
    AttendanceStatus,
    AuditEntry,
    Campus,
    CampusStaff,
    Cohort,
    CohortStaff,
    CohortStaffRole,
    CreditNote,
    Enrolment,
    Entity,
    Family,
    Invoice,
    MakeupToken,
    Message,
    Notification,
    Organisation,
    ParticipantType,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    Program,
    ProjectSubmission,
    Refund,
    Session,
    SessionStaff,
    SkillNode,
    SkillProgress,
    SkillProgressChange,
    SkillStatus,
    SkillTree,
    Staff,
    StaffRole,
    StaffSession,
    Student,
    WebhookEvent,
)

ORG_ID = UUID("00000000-0000-4000-8000-000000000001")
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def make_organisation(**overrides: Any) -> Organisation:
    fields: dict[str, Any] = {"name": "Rocket Academy"}
    return Organisation(**{**fields, **overrides})


def make_campus(**overrides: Any) -> Campus:
    fields: dict[str, Any] = {"organisation_id": ORG_ID, "name": "Werribee Campus"}
    return Campus(**{**fields, **overrides})


def make_staff(**overrides: Any) -> Staff:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "email": "ada@rocket.example",
        "password_hash": "argon2id$hash",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "role": StaffRole.LEAD_INSTRUCTOR,
    }
    return Staff(**{**fields, **overrides})


def make_campus_staff(**overrides: Any) -> CampusStaff:
    fields: dict[str, Any] = {"organisation_id": ORG_ID, "campus_id": uuid4(), "staff_id": uuid4()}
    return CampusStaff(**{**fields, **overrides})


def make_program(**overrides: Any) -> Program:
    fields: dict[str, Any] = {"organisation_id": ORG_ID, "name": "Scratch Basics Level 1"}
    return Program(**{**fields, **overrides})


def make_cohort(**overrides: Any) -> Cohort:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "program_id": uuid4(),
        "campus_id": uuid4(),
        "name": "Scratch Basics - Spring 2026",
        "start_date": date(2026, 2, 2),
        "end_date": date(2026, 4, 3),
        "max_capacity": 3,
    }
    return Cohort(**{**fields, **overrides})


def make_cohort_staff(**overrides: Any) -> CohortStaff:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "cohort_id": uuid4(),
        "staff_id": uuid4(),
        "role": CohortStaffRole.LEAD_INSTRUCTOR,
    }
    return CohortStaff(**{**fields, **overrides})


def make_session(**overrides: Any) -> Session:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "cohort_id": uuid4(),
        "session_number": 1,
        "scheduled_date": date(2026, 2, 2),
        "scheduled_start_time": time(16, 0),
        "scheduled_end_time": time(17, 30),
    }
    return Session(**{**fields, **overrides})


def make_session_staff(**overrides: Any) -> SessionStaff:
    fields: dict[str, Any] = {"organisation_id": ORG_ID, "session_id": uuid4(), "staff_id": uuid4()}
    return SessionStaff(**{**fields, **overrides})


def make_family(**overrides: Any) -> Family:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "primary_contact_name": "Grace Hopper",
        "primary_contact_email": "grace@family.example",
    }
    return Family(**{**fields, **overrides})


def make_student(**overrides: Any) -> Student:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "family_id": uuid4(),
        "first_name": "Alan",
        "last_name": "Turing",
        "date_of_birth": date(2016, 6, 15),
    }
    return Student(**{**fields, **overrides})


def make_enrolment(**overrides: Any) -> Enrolment:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "student_id": uuid4(),
        "cohort_id": uuid4(),
    }
    return Enrolment(**{**fields, **overrides})


def make_makeup_token(**overrides: Any) -> MakeupToken:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "student_id": uuid4(),
        "enrolment_id": uuid4(),
        "program_id": uuid4(),
        "reason": "Session cancelled",
        "issued_on": date(2026, 3, 2),
        "expires_on": date(2026, 6, 30),
    }
    return MakeupToken(**{**fields, **overrides})


def make_attendance(**overrides: Any) -> Attendance:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "session_id": uuid4(),
        "student_id": uuid4(),
        "enrolment_id": uuid4(),
        "status": AttendanceStatus.ABSENT,
        "recorded_at": NOW,
    }
    return Attendance(**{**fields, **overrides})


def make_skill_tree(**overrides: Any) -> SkillTree:
    fields: dict[str, Any] = {"organisation_id": ORG_ID, "name": "Python Fundamentals"}
    return SkillTree(**{**fields, **overrides})


def make_skill_node(**overrides: Any) -> SkillNode:
    fields: dict[str, Any] = {"organisation_id": ORG_ID, "skill_tree_id": uuid4(), "name": "Loops"}
    return SkillNode(**{**fields, **overrides})


def make_skill_progress(**overrides: Any) -> SkillProgress:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "student_id": uuid4(),
        "skill_node_id": uuid4(),
    }
    return SkillProgress(**{**fields, **overrides})


def make_skill_progress_change(**overrides: Any) -> SkillProgressChange:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "skill_progress_id": uuid4(),
        "from_status": SkillStatus.NOT_STARTED,
        "to_status": SkillStatus.IN_PROGRESS,
        "changed_at": NOW,
    }
    return SkillProgressChange(**{**fields, **overrides})


def make_project_submission(**overrides: Any) -> ProjectSubmission:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "student_id": uuid4(),
        "cohort_id": uuid4(),
        "title": "Maze game",
    }
    return ProjectSubmission(**{**fields, **overrides})


def make_invoice(**overrides: Any) -> Invoice:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "invoice_number": "INV-2026-001234",
        "family_id": uuid4(),
        "issue_date": date(2026, 2, 2),
        "due_date": date(2026, 2, 16),
        "total_amount": Decimal("100.00"),
        "amount_outstanding": Decimal("100.00"),
    }
    return Invoice(**{**fields, **overrides})


def make_payment(**overrides: Any) -> Payment:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "family_id": uuid4(),
        "amount": Decimal("100.00"),
        "payment_method": PaymentMethod.CREDIT_CARD,
    }
    return Payment(**{**fields, **overrides})


def make_payment_allocation(**overrides: Any) -> PaymentAllocation:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "payment_id": uuid4(),
        "invoice_id": uuid4(),
        "amount": Decimal("40.00"),
        "allocated_at": NOW,
    }
    return PaymentAllocation(**{**fields, **overrides})


def make_refund(**overrides: Any) -> Refund:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "payment_id": uuid4(),
        "family_id": uuid4(),
        "amount": Decimal("25.00"),
        "reason": "Withdrew after week 2",
        "refunded_at": NOW,
    }
    return Refund(**{**fields, **overrides})


def make_credit_note(**overrides: Any) -> CreditNote:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "credit_note_number": "CN-2026-000001",
        "family_id": uuid4(),
        "invoice_id": uuid4(),
        "issue_date": date(2026, 2, 10),
        "total_amount": Decimal("33.00"),
        "gst_amount": Decimal("3.00"),
        "reason": "Session cancelled by the school",
    }
    return CreditNote(**{**fields, **overrides})


def make_webhook_event(**overrides: Any) -> WebhookEvent:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "provider_event_id": "evt_1",
        "event_type": "payment_intent.succeeded",
        "received_at": NOW,
    }
    return WebhookEvent(**{**fields, **overrides})


def make_message(**overrides: Any) -> Message:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "sender_type": ParticipantType.STAFF,
        "sender_staff_id": uuid4(),
        "recipient_type": ParticipantType.PARENT,
        "recipient_family_id": uuid4(),
        "subject": "Welcome",
        "body": "Welcome to Rocket Academy.",
    }
    return Message(**{**fields, **overrides})


def make_notification(**overrides: Any) -> Notification:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "recipient_family_id": uuid4(),
        "template_name": "child_absent",
        "subject": "Absent today",
        "body": "Your child was marked absent.",
    }
    return Notification(**{**fields, **overrides})


def make_staff_session(**overrides: Any) -> StaffSession:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "staff_id": uuid4(),
        "token_hash": "a" * 64,
        "csrf_hash": "b" * 64,
        "created_at": datetime(2026, 2, 1, 9, tzinfo=UTC),
        "expires_at": datetime(2026, 2, 2, 9, tzinfo=UTC),
    }
    return StaffSession(**{**fields, **overrides})


def make_audit_entry(**overrides: Any) -> AuditEntry:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "action": "enrolment.create",
        "entity_type": "Enrolment",
        "summary": "Enrolled Alan Turing",
    }
    return AuditEntry(**{**fields, **overrides})


#: Each entity class, with the builder of its valid example.
EXAMPLES: dict[type[Entity], Callable[..., Entity]] = {
    PaymentAllocation: make_payment_allocation,
    Refund: make_refund,
    CreditNote: make_credit_note,
    WebhookEvent: make_webhook_event,
    Organisation: make_organisation,
    Campus: make_campus,
    Staff: make_staff,
    CampusStaff: make_campus_staff,
    Program: make_program,
    Cohort: make_cohort,
    CohortStaff: make_cohort_staff,
    Session: make_session,
    SessionStaff: make_session_staff,
    Family: make_family,
    Student: make_student,
    Enrolment: make_enrolment,
    MakeupToken: make_makeup_token,
    Attendance: make_attendance,
    SkillTree: make_skill_tree,
    SkillNode: make_skill_node,
    SkillProgress: make_skill_progress,
    SkillProgressChange: make_skill_progress_change,
    ProjectSubmission: make_project_submission,
    Invoice: make_invoice,
    Payment: make_payment,
    Message: make_message,
    Notification: make_notification,
    AuditEntry: make_audit_entry,
    StaffSession: make_staff_session,
}
