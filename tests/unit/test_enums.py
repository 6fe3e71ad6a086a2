"""Every ENUM of the data model, value for value, and the entity fields that hold them.

The expected values are written out literally from /work/shared/spec/data-model.md so that a
change to the code's enums cannot silently change the data model.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

import pytest

from rocket_core.errors import ValidationError
from rocket_core.model import (
    Attendance,
    AttendanceStatus,
    Cohort,
    CohortStaff,
    CohortStaffRole,
    CohortStatus,
    Enrolment,
    EnrolmentStatus,
    Invoice,
    InvoiceStatus,
    Message,
    Notification,
    NotificationChannel,
    NotificationStatus,
    ParticipantType,
    Payment,
    PaymentMethod,
    Program,
    Session,
    SessionStatus,
    SkillLevel,
    SkillProgress,
    SkillStatus,
    Staff,
    StaffRole,
)

ORG_ID = UUID("00000000-0000-4000-8000-000000000001")
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


# -- factories: a valid entity, with keyword overrides ----------------------------------------


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
        "max_capacity": 12,
    }
    return Cohort(**{**fields, **overrides})


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


def make_enrolment(**overrides: Any) -> Enrolment:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "student_id": uuid4(),
        "cohort_id": uuid4(),
    }
    return Enrolment(**{**fields, **overrides})


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


def make_attendance(**overrides: Any) -> Attendance:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "session_id": uuid4(),
        "student_id": uuid4(),
        "enrolment_id": uuid4(),
        "status": AttendanceStatus.PRESENT,
    }
    return Attendance(**{**fields, **overrides})


def make_skill_progress(**overrides: Any) -> SkillProgress:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "student_id": uuid4(),
        "skill_node_id": uuid4(),
    }
    return SkillProgress(**{**fields, **overrides})


def make_invoice(**overrides: Any) -> Invoice:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "invoice_number": "INV-2026-001234",
        "family_id": uuid4(),
        "issue_date": date(2026, 2, 2),
        "due_date": date(2026, 2, 16),
        "total_amount": Decimal("495.00"),
        "amount_outstanding": Decimal("495.00"),
    }
    return Invoice(**{**fields, **overrides})


def make_payment(**overrides: Any) -> Payment:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "family_id": uuid4(),
        "amount": Decimal("495.00"),
        "payment_method": PaymentMethod.BANK_TRANSFER,
    }
    return Payment(**{**fields, **overrides})


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
        "template_name": "attendance_alert",
        "subject": "Absent today",
        "body": "Your child was marked absent.",
    }
    return Notification(**{**fields, **overrides})


def make_cohort_staff(**overrides: Any) -> CohortStaff:
    fields: dict[str, Any] = {
        "organisation_id": ORG_ID,
        "cohort_id": uuid4(),
        "staff_id": uuid4(),
        "role": CohortStaffRole.LEAD_INSTRUCTOR,
    }
    return CohortStaff(**{**fields, **overrides})


# -- the enums' values --------------------------------------------------------------------------

DATA_MODEL_ENUMS: list[tuple[type[Enum], list[str]]] = [
    (SkillLevel, ["beginner", "intermediate", "advanced"]),
    (CohortStatus, ["draft", "open", "full", "in_progress", "completed", "cancelled"]),
    (SessionStatus, ["scheduled", "in_progress", "completed", "cancelled"]),
    (
        EnrolmentStatus,
        [
            "enquiry",
            "trial",
            "pending_payment",
            "enrolled",
            "active",
            "completed",
            "dropped",
            "transferred",
        ],
    ),
    (
        StaffRole,
        ["super_admin", "campus_manager", "lead_instructor", "teaching_assistant", "front_desk"],
    ),
    (AttendanceStatus, ["present", "absent", "late", "excused", "makeup"]),
    (SkillStatus, ["not_started", "in_progress", "mastered"]),
    (InvoiceStatus, ["draft", "sent", "paid", "partial", "overdue", "void"]),
    (PaymentMethod, ["credit_card", "bank_transfer", "cash", "cheque"]),
    (ParticipantType, ["staff", "parent"]),
    (NotificationChannel, ["email", "sms", "push"]),
    (NotificationStatus, ["queued", "sent", "failed"]),
    (CohortStaffRole, ["lead_instructor", "teaching_assistant"]),
]


@pytest.mark.parametrize(
    ("enum", "expected"), DATA_MODEL_ENUMS, ids=[e.__name__ for e, _ in DATA_MODEL_ENUMS]
)
def test_enum_values_are_the_data_models_in_order(enum: type[Enum], expected: list[str]) -> None:
    assert [member.value for member in enum] == expected


@pytest.mark.parametrize(
    ("enum", "expected"), DATA_MODEL_ENUMS, ids=[e.__name__ for e, _ in DATA_MODEL_ENUMS]
)
def test_enum_members_are_strings_equal_to_their_values(
    enum: type[Enum], expected: list[str]
) -> None:
    # Stored and compared as the data model's text: each member is the string itself.
    assert [str(member) for member in enum] == expected
    assert all(isinstance(member, str) for member in enum)


# -- each field holding an enum refuses a plain string -----------------------------------------

Factory = Callable[..., Any]

ENUM_FIELDS: list[tuple[Factory, str, Enum]] = [
    (make_program, "skill_level", SkillLevel.BEGINNER),
    (make_cohort, "status", CohortStatus.OPEN),
    (make_session, "status", SessionStatus.IN_PROGRESS),
    (make_enrolment, "status", EnrolmentStatus.TRIAL),
    (make_staff, "role", StaffRole.FRONT_DESK),
    (make_attendance, "status", AttendanceStatus.LATE),
    (make_skill_progress, "status", SkillStatus.IN_PROGRESS),
    (make_invoice, "status", InvoiceStatus.SENT),
    (make_payment, "payment_method", PaymentMethod.CASH),
    (make_message, "sender_type", ParticipantType.STAFF),
    (make_message, "recipient_type", ParticipantType.PARENT),
    (make_notification, "type", NotificationChannel.SMS),
    (make_notification, "status", NotificationStatus.FAILED),
    (make_cohort_staff, "role", CohortStaffRole.TEACHING_ASSISTANT),
]
ENUM_FIELD_IDS = [f"{factory.__name__[5:]}.{name}" for factory, name, _ in ENUM_FIELDS]


@pytest.mark.parametrize(("factory", "name", "member"), ENUM_FIELDS, ids=ENUM_FIELD_IDS)
def test_enum_field_accepts_the_enum_member(factory: Factory, name: str, member: Enum) -> None:
    entity = factory(**{name: member})
    assert getattr(entity, name) is member


@pytest.mark.parametrize(("factory", "name", "member"), ENUM_FIELDS, ids=ENUM_FIELD_IDS)
def test_enum_field_refuses_a_plain_string_at_construction(
    factory: Factory, name: str, member: Enum
) -> None:
    entity_name = type(factory()).__name__
    with pytest.raises(ValidationError) as info:
        factory(**{name: str(member.value)})  # the right text, but not the enum
    assert info.value.field == f"{entity_name}.{name}"
    assert "must be one of" in info.value.rule
    assert str(member.value) in info.value.rule


@pytest.mark.parametrize(("factory", "name", "member"), ENUM_FIELDS, ids=ENUM_FIELD_IDS)
def test_enum_field_refuses_a_plain_string_on_update(
    factory: Factory, name: str, member: Enum
) -> None:
    entity = factory()
    before = getattr(entity, name)
    with pytest.raises(ValidationError) as info:
        entity.update(**{name: str(member.value)})
    assert info.value.field == f"{type(entity).__name__}.{name}"
    assert getattr(entity, name) is before


@pytest.mark.parametrize(("factory", "name", "member"), ENUM_FIELDS, ids=ENUM_FIELD_IDS)
def test_enum_field_refuses_a_plain_string_on_assignment(
    factory: Factory, name: str, member: Enum
) -> None:
    entity = factory()
    before = getattr(entity, name)
    with pytest.raises(ValidationError) as info:
        setattr(entity, name, str(member.value))
    assert info.value.field == f"{type(entity).__name__}.{name}"
    assert getattr(entity, name) is before
