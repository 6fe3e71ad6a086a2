"""Every ENUM of the data model, value for value, and the entity fields that hold them.

The expected values are written out literally from /work/shared/spec/data-model.md so that a
change to the code's enums cannot silently change the data model.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

import pytest
from tests.unit.examples import (
    make_attendance,
    make_cohort,
    make_cohort_staff,
    make_enrolment,
    make_invoice,
    make_message,
    make_notification,
    make_payment,
    make_program,
    make_session,
    make_skill_progress,
    make_staff,
)

from rocket_core.errors import ValidationError
from rocket_core.model import (
    AttendanceStatus,
    CohortStaffRole,
    CohortStatus,
    EnrolmentStatus,
    InvoiceStatus,
    NotificationChannel,
    NotificationStatus,
    ParticipantType,
    PaymentMethod,
    SessionStatus,
    SkillLevel,
    SkillStatus,
    StaffRole,
)

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
    # the data model's three, then "cancelled": an absence alert withdrawn before it was due
    # (docs/architecture.md)
    (NotificationStatus, ["queued", "sent", "failed", "cancelled"]),
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
