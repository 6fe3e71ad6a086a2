"""The data model's rules, one at a time: field validation at construction, the cross-field
rules, and each entity method's single-entity rules.

Each test starts from a valid entity made by a factory of tests/unit/examples.py and changes
one thing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from tests.unit.examples import (
    EXAMPLES,
    NOW,
    ORG_ID,
    make_attendance,
    make_campus,
    make_cohort,
    make_enrolment,
    make_family,
    make_invoice,
    make_message,
    make_notification,
    make_organisation,
    make_payment,
    make_program,
    make_project_submission,
    make_session,
    make_skill_node,
    make_skill_progress,
    make_skill_tree,
    make_staff,
    make_student,
)

from rocket_core.errors import Conflict, InvalidTransition, ValidationError
from rocket_core.events import SessionCancelled
from rocket_core.model import (
    AttendanceStatus,
    CohortStatus,
    EnrolmentStatus,
    Invoice,
    InvoiceStatus,
    LineItem,
    NotificationStatus,
    ParticipantType,
    SessionStatus,
    SkillStatus,
    invoice_number,
)

LATER = NOW + timedelta(hours=2)
MELBOURNE = "Australia/Melbourne"

Factory = Callable[..., Any]


def refused(factory: Factory, field: str, *words: str, **overrides: Any) -> ValidationError:
    """Building with ``overrides`` raises a ValidationError naming ``field``, whose rule
    contains each of ``words``."""
    with pytest.raises(ValidationError) as info:
        factory(**overrides)
    assert info.value.field == field
    for word in words:
        assert word in info.value.rule, f"{word!r} not in rule {info.value.rule!r}"
    return info.value


# -- the factories themselves build valid entities ------------------------------------------

ALL_FACTORIES = list(EXAMPLES.values())


@pytest.mark.parametrize("factory", ALL_FACTORIES, ids=lambda f: f.__name__)
def test_factory_builds_a_valid_entity(factory: Factory) -> None:
    entity = factory()
    assert isinstance(entity.id, UUID)


# -- required text ----------------------------------------------------------------------------

REQUIRED_TEXT = [
    (make_organisation, "Organisation.name", "name"),
    (make_campus, "Campus.name", "name"),
    (make_staff, "Staff.first_name", "first_name"),
    (make_staff, "Staff.last_name", "last_name"),
    (make_program, "Program.name", "name"),
    (make_cohort, "Cohort.name", "name"),
    (make_family, "Family.primary_contact_name", "primary_contact_name"),
    (make_student, "Student.first_name", "first_name"),
    (make_skill_tree, "SkillTree.name", "name"),
    (make_skill_node, "SkillNode.name", "name"),
    (make_project_submission, "ProjectSubmission.title", "title"),
    (make_message, "Message.subject", "subject"),
    (make_notification, "Notification.template_name", "template_name"),
]


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"], ids=["empty", "spaces", "whitespace"])
@pytest.mark.parametrize(
    ("factory", "field", "name"), REQUIRED_TEXT, ids=[f for _, f, _ in REQUIRED_TEXT]
)
def test_required_text_cannot_be_blank(factory: Factory, field: str, name: str, blank: str) -> None:
    refused(factory, field, "required", **{name: blank})


@pytest.mark.parametrize(
    ("factory", "field", "name"), REQUIRED_TEXT[:4], ids=[f for _, f, _ in REQUIRED_TEXT[:4]]
)
def test_required_text_cannot_be_none(factory: Factory, field: str, name: str) -> None:
    refused(factory, field, "text", **{name: None})


# -- maximum lengths (VARCHAR n) ----------------------------------------------------------------

MAX_LENGTHS = [
    (make_organisation, "name", 200),
    (make_campus, "suburb", 100),
    (make_campus, "name", 200),
    (make_student, "pronouns", 50),
    (make_student, "first_name", 100),
    (make_student, "preferred_name", 100),
    (make_staff, "last_name", 100),
    (make_cohort, "room", 100),
    (make_session, "location_notes", 200),
    (make_family, "stripe_customer_id", 100),
    (make_family, "emergency_contact_name", 200),
    (make_payment, "reference_number", 100),
    (make_message, "subject", 200),
]
MAX_LENGTH_IDS = [f"{f.__name__[5:]}.{name}-{n}" for f, name, n in MAX_LENGTHS]


@pytest.mark.parametrize(("factory", "name", "limit"), MAX_LENGTHS, ids=MAX_LENGTH_IDS)
def test_text_at_its_maximum_length_is_accepted(factory: Factory, name: str, limit: int) -> None:
    entity = factory(**{name: "x" * limit})
    assert getattr(entity, name) == "x" * limit


@pytest.mark.parametrize(("factory", "name", "limit"), MAX_LENGTHS, ids=MAX_LENGTH_IDS)
def test_text_one_over_its_maximum_length_is_refused(
    factory: Factory, name: str, limit: int
) -> None:
    entity_name = type(factory()).__name__
    refused(factory, f"{entity_name}.{name}", f"at most {limit}", **{name: "x" * (limit + 1)})


def test_abn_longer_than_its_varchar_20_column_is_refused() -> None:
    # Spaces are ignored by the checksum, but the column holds at most 20 characters.
    padded = "51" + " " * 20 + "824753556"
    assert len(padded) > 20
    refused(make_organisation, "Organisation.abn", abn=padded)


# -- e-mail addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address", ["ann@example.com", "ann.lee+rocket@mail.example.com.au", "a@b.co"]
)
def test_email_accepted(address: str) -> None:
    assert make_family(primary_contact_email=address).primary_contact_email == address


@pytest.mark.parametrize(
    "address",
    [
        "ann",
        "ann@",
        "@example.com",
        "ann@example",
        "ann@@example.com",
        "ann lee@example.com",
        "ann@example..com",
        "ann@.example.com",
    ],
)
@pytest.mark.parametrize(
    ("factory", "name"),
    [
        (make_family, "primary_contact_email"),
        (make_staff, "email"),
        (make_organisation, "billing_email"),
        (make_student, "student_login_email"),
    ],
    ids=["Family", "Staff", "Organisation", "Student"],
)
def test_email_without_the_shape_of_an_address_is_refused(
    factory: Factory, name: str, address: str
) -> None:
    entity_name = type(factory()).__name__
    refused(factory, f"{entity_name}.{name}", "e-mail", **{name: address})


def test_email_is_stored_trimmed_and_lower_case() -> None:
    staff = make_staff(email="  Ada.Lovelace@Rocket.EXAMPLE ")
    assert staff.email == "ada.lovelace@rocket.example"


def test_email_longer_than_255_characters_is_refused() -> None:
    address = "a" * 244 + "@example.com"  # 256 characters
    refused(
        make_family, "Family.primary_contact_email", "at most 255", primary_contact_email=address
    )


# -- phone numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["0412 345 678", "+61 3 9123 4567", "(03) 9123-4567"])
def test_phone_number_accepted(number: str) -> None:
    assert make_campus(contact_phone=number).contact_phone == number


@pytest.mark.parametrize(
    "number",
    ["call me", "12345", "0412 345 678 ext 9", "0412 345 678\n"],
    ids=["words", "too-short", "letters", "trailing-newline"],
)
def test_phone_number_that_is_not_a_phone_number_is_refused(number: str) -> None:
    refused(make_campus, "Campus.contact_phone", "phone", contact_phone=number)


# -- Australian states and postcodes -----------------------------------------------------------


@pytest.mark.parametrize("state", ["ACT", "NSW", "NT", "QLD", "SA", "TAS", "VIC", "WA"])
def test_australian_state_codes_accepted(state: str) -> None:
    assert make_campus(state=state).state == state
    assert make_family(state=state).state == state


@pytest.mark.parametrize("state", ["XYZ", "vic", "Victoria", "", "NZ"])
def test_unknown_state_code_is_refused(state: str) -> None:
    error = refused(make_campus, "Campus.state", "VIC", state=state)
    assert "NSW" in error.rule
    refused(make_family, "Family.state", "VIC", state=state)


@pytest.mark.parametrize("code", ["3030", "0800", "2000"])
def test_four_digit_postcode_accepted(code: str) -> None:
    assert make_family(postcode=code).postcode == code


@pytest.mark.parametrize(
    "code",
    ["303", "30300", "abcd", "30 3", "", 3030],
    ids=["3-digits", "5-digits", "letters", "space", "empty", "int"],
)
def test_postcode_that_is_not_four_digits_is_refused(code: object) -> None:
    refused(make_family, "Family.postcode", "4 digits", postcode=code)
    refused(make_campus, "Campus.postcode", "4 digits", postcode=code)


@pytest.mark.parametrize(
    "code", ["3030\n", "٣٠٣٠", "３０３０"], ids=["trailing-newline", "arabic-indic", "fullwidth"]
)
def test_postcode_must_be_exactly_four_ascii_digits(code: str) -> None:
    refused(make_family, "Family.postcode", "4 digits", postcode=code)


# -- hex colours ----------------------------------------------------------------------------------


@pytest.mark.parametrize("colour", ["#1A2B3C", "#abcdef", "#000000"])
def test_hex_colour_accepted(colour: str) -> None:
    assert make_organisation(primary_color=colour).primary_color == colour


@pytest.mark.parametrize(
    "colour",
    ["1A2B3C", "#12345G", "#1A2B3", "#1A2B3C4", "#FFF", "red", "#1A2B3C\n"],
    ids=["no-hash", "not-hex", "5-digits", "7-digits", "short-form", "name", "trailing-newline"],
)
def test_colour_that_is_not_hash_rrggbb_is_refused(colour: str) -> None:
    refused(make_organisation, "Organisation.primary_color", "hex colour", primary_color=colour)


# -- ABN ------------------------------------------------------------------------------------------

VALID_ABN = "51824753556"


@pytest.mark.parametrize("value", ["51 824 753 556", "51824753556"])
def test_abn_with_a_valid_checksum_is_accepted(value: str) -> None:
    assert make_organisation(abn=value).abn == value


@pytest.mark.parametrize("position", range(11))
def test_abn_with_one_digit_changed_is_refused(position: int) -> None:
    digits = list(VALID_ABN)
    digits[position] = str((int(digits[position]) + 1) % 10)
    refused(make_organisation, "Organisation.abn", "ABN", "checksum", abn="".join(digits))


@pytest.mark.parametrize(
    "value",
    ["5182475355", "518247535561", "51 824 753 55A", "", "51-824-753-556", "5182475355²"],
    ids=["10-digits", "12-digits", "letter", "empty", "dashes", "superscript-digit"],
)
def test_abn_that_is_not_eleven_digits_is_refused(value: str) -> None:
    refused(make_organisation, "Organisation.abn", "11 digits", abn=value)


# -- money -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("price", [Decimal("0.00"), Decimal("450.00"), Decimal("99999999.99")])
def test_money_in_whole_cents_below_the_limit_is_accepted(price: Decimal) -> None:
    assert make_program(default_price=price).default_price == price


@pytest.mark.parametrize(
    ("price", "word"),
    [
        (450.0, "Decimal"),
        (450, "Decimal"),
        ("450.00", "Decimal"),
        (Decimal("NaN"), "Decimal"),
        (Decimal("Infinity"), "Decimal"),
        (Decimal("1.005"), "cents"),
        (Decimal("450.001"), "cents"),
        (Decimal("-0.01"), "negative"),
        (Decimal("100000000.00"), "100,000,000"),
        (Decimal("1E+30"), "100,000,000"),
    ],
    ids=[
        "float",
        "int",
        "str",
        "nan",
        "infinity",
        "sub-cent",
        "tenth-of-a-cent",
        "negative",
        "at-limit",
        "far-over-limit",
    ],
)
def test_program_default_price_refuses(price: object, word: str) -> None:
    refused(make_program, "Program.default_price", word, default_price=price)


@pytest.mark.parametrize(
    ("factory", "name"),
    [
        (make_cohort, "tuition_price"),
        (make_enrolment, "discount_applied"),
        (make_invoice, "gst_amount"),
        (make_payment, "amount"),
        (make_family, "account_balance"),
    ],
    ids=["Cohort", "Enrolment", "Invoice", "Payment", "Family"],
)
def test_money_fields_refuse_floats(factory: Factory, name: str) -> None:
    entity_name = type(factory()).__name__
    refused(factory, f"{entity_name}.{name}", "Decimal", **{name: 10.0})


def test_line_item_unit_price_refuses_a_float() -> None:
    refused(LineItem, "LineItem.unit_price", "Decimal", description="Tuition", unit_price=450.0)


@pytest.mark.parametrize("balance", [Decimal("-250.50"), Decimal("-99999999.99"), Decimal("0.00")])
def test_family_account_balance_may_be_negative(balance: Decimal) -> None:
    assert make_family(account_balance=balance).account_balance == balance


@pytest.mark.parametrize(
    ("balance", "word"),
    [
        (Decimal("-100000000.00"), "100,000,000"),
        (Decimal("100000000.00"), "100,000,000"),
        (Decimal("-1.005"), "cents"),
    ],
    ids=["negative-limit", "positive-limit", "sub-cent"],
)
def test_family_account_balance_still_has_limits(balance: Decimal, word: str) -> None:
    refused(make_family, "Family.account_balance", word, account_balance=balance)


# -- Program -----------------------------------------------------------------------------------


def test_program_age_min_above_age_max_is_refused() -> None:
    refused(make_program, "Program.age_min", "age_max", age_min=11, age_max=10)


@pytest.mark.parametrize(("age_min", "age_max"), [(8, 8), (7, 12), (None, 12), (7, None)])
def test_program_age_range_accepted(age_min: int | None, age_max: int | None) -> None:
    program = make_program(age_min=age_min, age_max=age_max)
    assert (program.age_min, program.age_max) == (age_min, age_max)


def test_program_negative_age_is_refused() -> None:
    refused(make_program, "Program.age_min", "at least 0", age_min=-1)


# -- Cohort ------------------------------------------------------------------------------------


def test_cohort_start_after_end_is_refused() -> None:
    refused(
        make_cohort,
        "Cohort.start_date",
        "end_date",
        start_date=date(2026, 4, 4),
        end_date=date(2026, 4, 3),
    )


def test_cohort_of_one_day_is_accepted() -> None:
    cohort = make_cohort(start_date=date(2026, 4, 3), end_date=date(2026, 4, 3))
    assert cohort.start_date == cohort.end_date


def test_cohort_enrolments_above_capacity_are_refused() -> None:
    refused(
        make_cohort,
        "Cohort.current_enrolments",
        "max_capacity",
        max_capacity=3,
        current_enrolments=4,
    )


def test_cohort_enrolments_at_capacity_are_accepted() -> None:
    assert make_cohort(max_capacity=3, current_enrolments=3).seats_free == 0


@pytest.mark.parametrize("capacity", [0, -1])
def test_cohort_capacity_must_be_at_least_one(capacity: int) -> None:
    refused(make_cohort, "Cohort.max_capacity", "at least 1", max_capacity=capacity)


# -- Session -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [(time(16, 0), time(16, 0)), (time(17, 30), time(16, 0))],
    ids=["equal", "before"],
)
def test_session_end_not_after_start_is_refused(start: time, end: time) -> None:
    refused(
        make_session,
        "Session.scheduled_end_time",
        "after scheduled_start_time",
        scheduled_start_time=start,
        scheduled_end_time=end,
    )


def test_session_ending_one_minute_after_start_is_accepted() -> None:
    session = make_session(scheduled_start_time=time(16, 0), scheduled_end_time=time(16, 1))
    assert session.duration == timedelta(minutes=1)


@pytest.mark.parametrize(
    "name",
    ["scheduled_start_time", "scheduled_end_time", "actual_start_time", "actual_end_time"],
)
def test_session_times_must_be_naive_local_times(name: str) -> None:
    aware_time = time(16, 45, tzinfo=ZoneInfo(MELBOURNE))
    refused(make_session, f"Session.{name}", "without a time zone", **{name: aware_time})


def test_session_time_must_be_a_time_not_a_datetime() -> None:
    refused(
        make_session,
        "Session.scheduled_start_time",
        "time",
        scheduled_start_time=datetime(2026, 2, 2, 16, 0),
    )


def test_cancelled_session_needs_a_reason() -> None:
    refused(
        make_session,
        "Session.cancellation_reason",
        "required",
        status=SessionStatus.CANCELLED,
    )


# -- Enrolment ---------------------------------------------------------------------------------


def test_enrolment_start_after_end_is_refused() -> None:
    refused(
        make_enrolment,
        "Enrolment.start_date",
        "end_date",
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 1),
    )


@pytest.mark.parametrize(
    ("is_waitlist", "position"), [(True, None), (False, 1)], ids=["waitlist", "position"]
)
def test_enrolment_waitlist_position_is_set_exactly_when_on_the_waitlist(
    is_waitlist: bool, position: int | None
) -> None:
    refused(
        make_enrolment,
        "Enrolment.waitlist_position",
        "waitlist",
        is_waitlist=is_waitlist,
        waitlist_position=position,
    )


def test_enrolment_on_the_waitlist_with_a_position_is_accepted() -> None:
    enrolment = make_enrolment(is_waitlist=True, waitlist_position=2)
    assert enrolment.waitlist_position == 2


def test_enrolment_waitlist_position_starts_at_one() -> None:
    refused(
        make_enrolment,
        "Enrolment.waitlist_position",
        "at least 1",
        is_waitlist=True,
        waitlist_position=0,
    )


@pytest.mark.parametrize(
    ("withdrawal_date", "reason"),
    [(None, "Moved interstate"), (date(2026, 3, 2), None), (date(2026, 3, 2), "")],
    ids=["no-date", "no-reason", "empty-reason"],
)
def test_dropped_enrolment_needs_withdrawal_date_and_reason(
    withdrawal_date: date | None, reason: str | None
) -> None:
    refused(
        make_enrolment,
        "Enrolment.withdrawal_reason",
        "withdrawal",
        status=EnrolmentStatus.DROPPED,
        withdrawal_date=withdrawal_date,
        withdrawal_reason=reason,
    )


def test_dropped_enrolment_reason_cannot_be_blank() -> None:
    # Enrolment.drop() refuses a blank reason; building or updating one must refuse it too.
    refused(
        make_enrolment,
        "Enrolment.withdrawal_reason",
        status=EnrolmentStatus.DROPPED,
        withdrawal_date=date(2026, 3, 2),
        withdrawal_reason="   ",
    )


def test_dropped_enrolment_with_date_and_reason_is_accepted() -> None:
    enrolment = make_enrolment(
        status=EnrolmentStatus.DROPPED,
        withdrawal_date=date(2026, 3, 2),
        withdrawal_reason="Moved interstate",
    )
    assert enrolment.is_live is False


# -- Invoice -----------------------------------------------------------------------------------


def test_invoice_number_helper_formats_year_and_sequence() -> None:
    assert invoice_number(2026, 1234) == "INV-2026-001234"
    assert make_invoice(invoice_number=invoice_number(2026, 1)).invoice_number == "INV-2026-000001"


@pytest.mark.parametrize(
    "number",
    [
        "INV-2026-1234",
        "INV-26-001234",
        "inv-2026-001234",
        "INV2026001234",
        "INV-2026-0012345",
        "INV-2026-00123A",
        "INV-2026-001234\n",
    ],
    ids=[
        "short-sequence",
        "short-year",
        "lower-case",
        "no-dashes",
        "long-sequence",
        "letter",
        "trailing-newline",
    ],
)
def test_invoice_number_not_in_the_format_is_refused(number: str) -> None:
    refused(make_invoice, "Invoice.invoice_number", "INV-", invoice_number=number)


def test_invoice_due_before_issue_is_refused() -> None:
    refused(
        make_invoice,
        "Invoice.due_date",
        "before issue",
        issue_date=date(2026, 2, 2),
        due_date=date(2026, 2, 1),
    )


def test_invoice_due_on_issue_day_is_accepted() -> None:
    invoice = make_invoice(issue_date=date(2026, 2, 2), due_date=date(2026, 2, 2))
    assert invoice.due_date == invoice.issue_date


def test_invoice_outstanding_must_equal_total_minus_paid() -> None:
    refused(
        make_invoice,
        "Invoice.amount_outstanding",
        "total_amount - amount_paid",
        total_amount=Decimal("100.00"),
        amount_paid=Decimal("40.00"),
        amount_outstanding=Decimal("70.00"),
    )


def test_invoice_paid_more_than_total_is_refused() -> None:
    refused(
        make_invoice,
        "Invoice.amount_paid",
        "total_amount",
        total_amount=Decimal("100.00"),
        amount_paid=Decimal("150.00"),
        amount_outstanding=Decimal("0.00"),
    )


def test_invoice_part_paid_with_consistent_outstanding_is_accepted() -> None:
    invoice = make_invoice(
        status=InvoiceStatus.PARTIAL,
        total_amount=Decimal("100.00"),
        amount_paid=Decimal("40.00"),
        amount_outstanding=Decimal("60.00"),
    )
    assert invoice.amount_outstanding == Decimal("60.00")


# -- Payment ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "word"),
    [(Decimal("0.00"), "more than 0.00"), (Decimal("-5.00"), "negative")],
    ids=["zero", "negative"],
)
def test_payment_amount_must_be_positive(amount: Decimal, word: str) -> None:
    refused(make_payment, "Payment.amount", word, amount=amount)


def test_payment_of_one_cent_is_accepted() -> None:
    assert make_payment(amount=Decimal("0.01")).amount == Decimal("0.01")


# -- Message ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "kind", "staff_id", "family_id"),
    [
        ("sender", ParticipantType.STAFF, None, uuid4()),
        ("sender", ParticipantType.STAFF, uuid4(), uuid4()),
        ("sender", ParticipantType.STAFF, None, None),
        ("sender", ParticipantType.PARENT, uuid4(), None),
        ("recipient", ParticipantType.PARENT, uuid4(), None),
        ("recipient", ParticipantType.PARENT, uuid4(), uuid4()),
        ("recipient", ParticipantType.PARENT, None, None),
        ("recipient", ParticipantType.STAFF, None, uuid4()),
    ],
    ids=[
        "staff-sender-as-family",
        "staff-sender-both",
        "staff-sender-none",
        "parent-sender-as-staff",
        "parent-recipient-as-staff",
        "parent-recipient-both",
        "parent-recipient-none",
        "staff-recipient-as-family",
    ],
)
def test_message_names_exactly_one_party_of_the_declared_type(
    side: str, kind: ParticipantType, staff_id: UUID | None, family_id: UUID | None
) -> None:
    refused(
        make_message,
        f"Message.{side}_type",
        f"exactly one {side}",
        **{
            f"{side}_type": kind,
            f"{side}_staff_id": staff_id,
            f"{side}_family_id": family_id,
        },
    )


def test_message_between_two_parents_or_two_staff_is_accepted() -> None:
    message = make_message(
        sender_type=ParticipantType.PARENT,
        sender_staff_id=None,
        sender_family_id=uuid4(),
        recipient_type=ParticipantType.STAFF,
        recipient_staff_id=uuid4(),
        recipient_family_id=None,
    )
    assert message.sender_type is ParticipantType.PARENT


def test_message_read_flag_and_time_go_together() -> None:
    refused(make_message, "Message.read_at", "read", is_read=True)
    refused(make_message, "Message.read_at", "read", read_at=NOW)


# -- Notification -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family_id", "staff_id"), [(None, None), (uuid4(), uuid4())], ids=["none", "both"]
)
def test_notification_has_exactly_one_recipient(
    family_id: UUID | None, staff_id: UUID | None
) -> None:
    refused(
        make_notification,
        "Notification.recipient_family_id",
        "exactly one recipient",
        recipient_family_id=family_id,
        recipient_staff_id=staff_id,
    )


def test_notification_to_a_staff_member_is_accepted() -> None:
    notification = make_notification(recipient_family_id=None, recipient_staff_id=uuid4())
    assert notification.recipient_family_id is None


@pytest.mark.parametrize(
    ("status", "sent_at"),
    [
        (NotificationStatus.SENT, None),
        (NotificationStatus.QUEUED, NOW),
        (NotificationStatus.FAILED, NOW),
    ],
    ids=["sent-without-time", "queued-with-time", "failed-with-time"],
)
def test_notification_sent_at_is_set_exactly_when_sent(
    status: NotificationStatus, sent_at: datetime | None
) -> None:
    refused(make_notification, "Notification.sent_at", "sent", status=status, sent_at=sent_at)


def test_sent_notification_with_its_time_is_accepted() -> None:
    assert make_notification(status=NotificationStatus.SENT, sent_at=NOW).sent_at == NOW


# -- SkillNode and SkillProgress ---------------------------------------------------------------


def test_root_skill_node_must_be_level_zero() -> None:
    refused(make_skill_node, "SkillNode.level", "root", parent_node_id=None, level=1)


def test_child_skill_node_cannot_be_level_zero() -> None:
    refused(make_skill_node, "SkillNode.level", "root", parent_node_id=uuid4(), level=0)


def test_skill_node_cannot_be_its_own_parent() -> None:
    node_id = uuid4()
    refused(
        make_skill_node,
        "SkillNode.parent_node_id",
        "itself",
        id=node_id,
        parent_node_id=node_id,
        level=1,
    )


def test_skill_node_child_is_one_level_deeper() -> None:
    root = make_skill_node()
    child = root.child(name="Nested loops", order=2)
    assert (child.parent_node_id, child.level, child.order) == (root.id, 1, 2)
    assert child.skill_tree_id == root.skill_tree_id


@pytest.mark.parametrize(
    ("status", "mastered_at"),
    [(SkillStatus.MASTERED, None), (SkillStatus.IN_PROGRESS, NOW), (SkillStatus.NOT_STARTED, NOW)],
    ids=["mastered-without-time", "in-progress-with-time", "not-started-with-time"],
)
def test_skill_progress_mastered_at_is_set_exactly_when_mastered(
    status: SkillStatus, mastered_at: datetime | None
) -> None:
    refused(
        make_skill_progress,
        "SkillProgress.mastered_at",
        "mastered",
        status=status,
        mastered_at=mastered_at,
    )


# -- ProjectSubmission --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["https://scratch.mit.edu/projects/123", "http://replit.com/@kid/maze"]
)
def test_project_url_http_or_https_is_accepted(url: str) -> None:
    assert make_project_submission(project_url=url).project_url == url


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/maze.sb3", "not a url", "https://", "javascript:alert(1)", "/maze.sb3"],
)
def test_project_url_other_than_http_or_https_is_refused(url: str) -> None:
    refused(make_project_submission, "ProjectSubmission.project_url", "http", project_url=url)


def test_project_url_longer_than_500_characters_is_refused() -> None:
    url = "https://example.com/" + "a" * 481  # 501 characters
    refused(
        make_project_submission, "ProjectSubmission.project_url", "at most 500", project_url=url
    )


@pytest.mark.parametrize("score", [Decimal("0.00"), Decimal("87.50"), Decimal("999.99")])
def test_project_score_below_1000_is_accepted(score: Decimal) -> None:
    assert make_project_submission(score=score, graded_at=NOW).score == score


@pytest.mark.parametrize(
    ("score", "word"),
    [
        (Decimal("1000.00"), "less than 1000"),
        (Decimal("-1.00"), "negative"),
        (87.5, "Decimal"),
        (Decimal("87.555"), "cents"),
    ],
    ids=["1000", "negative", "float", "sub-hundredth"],
)
def test_project_score_out_of_range_is_refused(score: object, word: str) -> None:
    refused(make_project_submission, "ProjectSubmission.score", word, score=score, graded_at=NOW)


@pytest.mark.parametrize(
    ("score", "graded_at"), [(Decimal("87.50"), None), (None, NOW)], ids=["score", "graded_at"]
)
def test_project_score_and_graded_at_go_together(
    score: Decimal | None, graded_at: datetime | None
) -> None:
    refused(
        make_project_submission,
        "ProjectSubmission.graded_at",
        "score",
        score=score,
        graded_at=graded_at,
    )


# -- instants are timezone-aware; ids are UUIDs --------------------------------------------------

NAIVE = datetime(2026, 3, 2, 9, 30)

INSTANT_FIELDS = [
    (make_organisation, "created_at"),
    (make_cohort, "created_at"),
    (make_family, "created_at"),
    (make_enrolment, "enrolment_date"),
    (make_attendance, "recorded_at"),
    (make_payment, "payment_date"),
    (make_message, "sent_at"),
    (make_project_submission, "submitted_at"),
]


@pytest.mark.parametrize(
    ("factory", "name"), INSTANT_FIELDS, ids=[f"{f.__name__[5:]}.{n}" for f, n in INSTANT_FIELDS]
)
def test_naive_datetime_is_refused(factory: Factory, name: str) -> None:
    entity_name = type(factory()).__name__
    refused(factory, f"{entity_name}.{name}", "timezone-aware", **{name: NAIVE})


@pytest.mark.parametrize(
    ("factory", "name"), INSTANT_FIELDS, ids=[f"{f.__name__[5:]}.{n}" for f, n in INSTANT_FIELDS]
)
def test_aware_datetime_in_any_zone_is_accepted(factory: Factory, name: str) -> None:
    instant = datetime(2026, 3, 2, 20, 30, tzinfo=ZoneInfo(MELBOURNE))
    assert getattr(factory(**{name: instant}), name) == instant


def test_a_date_is_not_an_instant() -> None:
    refused(
        make_organisation, "Organisation.created_at", "timezone-aware", created_at=date(2026, 3, 2)
    )


UUID_FIELDS = [
    (make_campus, "organisation_id"),
    (make_cohort, "program_id"),
    (make_cohort, "campus_id"),
    (make_session, "lead_instructor_id"),
    (make_enrolment, "student_id"),
    (make_payment, "family_id"),
    (make_payment, "invoice_id"),
    (make_message, "thread_id"),
    (make_organisation, "id"),
    (make_cohort, "id"),
    (make_invoice, "id"),
]


@pytest.mark.parametrize(
    ("factory", "name"), UUID_FIELDS, ids=[f"{f.__name__[5:]}.{n}" for f, n in UUID_FIELDS]
)
def test_uuid_field_refuses_a_string(factory: Factory, name: str) -> None:
    entity_name = type(factory()).__name__
    refused(factory, f"{entity_name}.{name}", "UUID", **{name: str(uuid4())})


# -- Entity.update: all or nothing -----------------------------------------------------------


def test_update_changes_several_fields_at_once() -> None:
    cohort = make_cohort()
    cohort.update(name="Scratch Basics - Winter 2026", room="Lab 2")
    assert (cohort.name, cohort.room) == ("Scratch Basics - Winter 2026", "Lab 2")


def test_update_with_one_invalid_change_changes_nothing() -> None:
    cohort = make_cohort(name="Original", max_capacity=3)
    with pytest.raises(ValidationError) as info:
        cohort.update(name="Renamed", max_capacity=0)
    assert info.value.field == "Cohort.max_capacity"
    assert (cohort.name, cohort.max_capacity) == ("Original", 3)


def test_update_breaking_a_cross_field_rule_changes_nothing() -> None:
    cohort = make_cohort(start_date=date(2026, 2, 2), end_date=date(2026, 4, 3))
    with pytest.raises(ValidationError) as info:
        cohort.update(start_date=date(2026, 5, 1), end_date=date(2026, 4, 30))
    assert info.value.field == "Cohort.start_date"
    assert (cohort.start_date, cohort.end_date) == (date(2026, 2, 2), date(2026, 4, 3))


def test_update_of_an_unknown_field_is_refused() -> None:
    cohort = make_cohort()
    with pytest.raises(ValidationError) as info:
        cohort.update(name="Renamed", colour="red")
    assert info.value.field == "Cohort.colour"
    assert "not a field" in info.value.rule
    assert cohort.name == "Scratch Basics - Spring 2026"


def test_update_cannot_change_the_id() -> None:
    cohort = make_cohort()
    original = cohort.id
    with pytest.raises(ValidationError) as info:
        cohort.update(id=uuid4())
    assert info.value.field == "Cohort.id"
    assert "cannot change" in info.value.rule
    assert cohort.id == original


def test_update_cannot_change_the_organisation() -> None:
    cohort = make_cohort()
    with pytest.raises(ValidationError) as info:
        cohort.update(organisation_id=uuid4())
    assert cohort.organisation_id == ORG_ID
    assert info.value.field == "Cohort.organisation_id"  # the field that was asked to change
    assert "cannot change" in info.value.rule


def test_update_applies_converters() -> None:
    staff = make_staff()
    staff.update(email="Ada.L@Rocket.Example")
    assert staff.email == "ada.l@rocket.example"


# -- Cohort seats ------------------------------------------------------------------------------


def test_take_seat_counts_and_fills_an_open_cohort() -> None:
    cohort = make_cohort(status=CohortStatus.OPEN, max_capacity=2)
    cohort.take_seat()
    assert (cohort.current_enrolments, cohort.status) == (1, CohortStatus.OPEN)
    cohort.take_seat()
    assert (cohort.current_enrolments, cohort.status) == (2, CohortStatus.FULL)


def test_take_seat_on_a_full_cohort_raises_conflict_and_changes_nothing() -> None:
    cohort = make_cohort(status=CohortStatus.FULL, max_capacity=2, current_enrolments=2)
    with pytest.raises(Conflict) as info:
        cohort.take_seat()
    assert not isinstance(info.value, InvalidTransition)
    assert (cohort.current_enrolments, cohort.status) == (2, CohortStatus.FULL)


def test_take_seat_on_a_finished_cohort_is_an_invalid_transition() -> None:
    cohort = make_cohort(status=CohortStatus.COMPLETED, max_capacity=2, current_enrolments=1)
    with pytest.raises(InvalidTransition):
        cohort.take_seat()
    assert cohort.current_enrolments == 1


def test_release_seat_reopens_a_full_cohort() -> None:
    cohort = make_cohort(status=CohortStatus.FULL, max_capacity=2, current_enrolments=2)
    cohort.release_seat()
    assert (cohort.current_enrolments, cohort.status) == (1, CohortStatus.OPEN)


def test_release_seat_with_no_seat_holder_is_a_conflict() -> None:
    cohort = make_cohort(status=CohortStatus.OPEN, current_enrolments=0)
    with pytest.raises(Conflict):
        cohort.release_seat()
    assert (cohort.current_enrolments, cohort.status) == (0, CohortStatus.OPEN)


def test_raising_capacity_reopens_a_full_cohort() -> None:
    cohort = make_cohort(status=CohortStatus.FULL, max_capacity=2, current_enrolments=2)
    cohort.change_capacity(4)
    assert (cohort.max_capacity, cohort.status, cohort.seats_free) == (4, CohortStatus.OPEN, 2)


def test_lowering_capacity_to_the_seat_holders_fills_the_cohort() -> None:
    cohort = make_cohort(status=CohortStatus.OPEN, max_capacity=5, current_enrolments=3)
    cohort.change_capacity(3)
    assert (cohort.max_capacity, cohort.status) == (3, CohortStatus.FULL)


def test_lowering_capacity_below_the_seat_holders_is_a_conflict() -> None:
    cohort = make_cohort(status=CohortStatus.OPEN, max_capacity=5, current_enrolments=3)
    with pytest.raises(Conflict):
        cohort.change_capacity(2)
    assert (cohort.max_capacity, cohort.status) == (5, CohortStatus.OPEN)


def test_capacity_of_zero_is_refused_by_change_capacity() -> None:
    cohort = make_cohort(status=CohortStatus.OPEN, max_capacity=5)
    with pytest.raises(ValidationError) as info:
        cohort.change_capacity(0)
    assert info.value.field == "Cohort.max_capacity"
    assert cohort.max_capacity == 5


def test_opening_a_cohort_with_no_free_seat_makes_it_full() -> None:
    cohort = make_cohort(max_capacity=1, current_enrolments=1)
    cohort.open()
    assert cohort.status is CohortStatus.FULL


# -- Cohort status ------------------------------------------------------------------------------


def test_cohort_moves_draft_open_in_progress_completed() -> None:
    cohort = make_cohort()
    assert cohort.status is CohortStatus.DRAFT
    cohort.open()
    assert cohort.status is CohortStatus.OPEN
    cohort.begin()
    assert cohort.status is CohortStatus.IN_PROGRESS
    cohort.complete()
    assert cohort.status is CohortStatus.COMPLETED
    assert cohort.is_finished


def test_full_cohort_can_begin() -> None:
    cohort = make_cohort(status=CohortStatus.FULL, max_capacity=1, current_enrolments=1)
    cohort.begin()
    assert cohort.status is CohortStatus.IN_PROGRESS


@pytest.mark.parametrize(
    "status",
    [CohortStatus.DRAFT, CohortStatus.OPEN, CohortStatus.FULL, CohortStatus.IN_PROGRESS],
)
def test_cohort_can_be_cancelled_from_a_non_final_status(status: CohortStatus) -> None:
    cohort = make_cohort(status=status, max_capacity=1, current_enrolments=1)
    cohort.cancel()
    assert cohort.status is CohortStatus.CANCELLED


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (CohortStatus.DRAFT, "begin"),
        (CohortStatus.DRAFT, "complete"),
        (CohortStatus.OPEN, "complete"),
        (CohortStatus.OPEN, "open"),
        (CohortStatus.IN_PROGRESS, "open"),
        (CohortStatus.IN_PROGRESS, "begin"),
        (CohortStatus.COMPLETED, "cancel"),
        (CohortStatus.COMPLETED, "open"),
        (CohortStatus.CANCELLED, "open"),
        (CohortStatus.CANCELLED, "cancel"),
    ],
    ids=str,
)
def test_cohort_invalid_status_move_is_refused(status: CohortStatus, action: str) -> None:
    cohort = make_cohort(status=status)
    with pytest.raises(InvalidTransition) as info:
        getattr(cohort, action)()
    assert info.value.state == status.value
    assert info.value.trigger == action
    assert cohort.status is status


# -- Session methods ----------------------------------------------------------------------------


def test_session_cancel_records_the_reason_and_a_session_cancelled_event() -> None:
    session = make_session()
    session.cancel("Instructor unwell")
    assert session.status is SessionStatus.CANCELLED
    assert session.cancellation_reason == "Instructor unwell"
    assert session.pull_events() == [
        SessionCancelled(
            organisation_id=ORG_ID,
            session_id=session.id,
            cohort_id=session.cohort_id,
            reason="Instructor unwell",
        )
    ]
    assert session.pull_events() == []


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_session_cancel_requires_a_reason(reason: str) -> None:
    session = make_session()
    with pytest.raises(ValidationError) as info:
        session.cancel(reason)
    assert info.value.field == "Session.cancellation_reason"
    assert "required" in info.value.rule
    assert session.status is SessionStatus.SCHEDULED
    assert session.pull_events() == []


@pytest.mark.parametrize(
    "status", [SessionStatus.COMPLETED, SessionStatus.IN_PROGRESS], ids=["completed", "started"]
)
def test_session_that_has_started_cannot_be_cancelled(status: SessionStatus) -> None:
    session = make_session(status=status)
    with pytest.raises(InvalidTransition) as info:
        session.cancel("Too late")
    assert info.value.state == status.value
    assert session.status is status
    assert session.cancellation_reason is None
    assert session.pull_events() == []


def test_cancelled_session_cannot_be_cancelled_again() -> None:
    session = make_session()
    session.cancel("Storm")
    session.pull_events()
    with pytest.raises(InvalidTransition):
        session.cancel("Another storm")
    assert session.cancellation_reason == "Storm"
    assert session.pull_events() == []


@pytest.mark.parametrize(
    ("day", "offset", "utc_start"),
    [
        (date(2026, 4, 4), timedelta(hours=11), datetime(2026, 4, 4, 5, 0, tzinfo=UTC)),
        (date(2026, 4, 5), timedelta(hours=10), datetime(2026, 4, 5, 6, 0, tzinfo=UTC)),
        (date(2026, 10, 3), timedelta(hours=10), datetime(2026, 10, 3, 6, 0, tzinfo=UTC)),
        (date(2026, 10, 4), timedelta(hours=11), datetime(2026, 10, 4, 5, 0, tzinfo=UTC)),
    ],
    ids=["before-dst-ends", "after-dst-ends", "before-dst-starts", "after-dst-starts"],
)
def test_session_starts_at_has_the_campus_offset_either_side_of_dst(
    day: date, offset: timedelta, utc_start: datetime
) -> None:
    session = make_session(
        scheduled_date=day, scheduled_start_time=time(16, 0), scheduled_end_time=time(17, 30)
    )
    starts = session.starts_at(MELBOURNE)
    assert starts.tzinfo is not None
    assert starts.utcoffset() == offset
    assert (starts.date(), starts.time()) == (day, time(16, 0))
    assert starts.astimezone(UTC) == utc_start
    assert session.ends_at(MELBOURNE).astimezone(UTC) == utc_start + timedelta(minutes=90)


def test_session_on_the_dst_change_day_itself_uses_the_offset_in_force_at_that_hour() -> None:
    early = make_session(
        scheduled_date=date(2026, 4, 5),
        scheduled_start_time=time(1, 0),
        scheduled_end_time=time(1, 30),
    )
    late = make_session(
        scheduled_date=date(2026, 4, 5),
        scheduled_start_time=time(9, 0),
        scheduled_end_time=time(10, 0),
    )
    assert early.starts_at(MELBOURNE).utcoffset() == timedelta(hours=11)
    assert late.starts_at(MELBOURNE).utcoffset() == timedelta(hours=10)


# -- Student and Program ages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "age"),
    [
        (date(2026, 6, 15), 10),
        (date(2026, 6, 14), 9),
        (date(2026, 6, 16), 10),
        (date(2026, 12, 31), 10),
        (date(2027, 1, 1), 10),
        (date(2016, 6, 15), 0),
    ],
    ids=["birthday", "day-before", "day-after", "year-end", "new-year", "day-of-birth"],
)
def test_student_age_on(day: date, age: int) -> None:
    assert make_student(date_of_birth=date(2016, 6, 15)).age_on(day) == age


@pytest.mark.parametrize(
    ("day", "age"),
    [
        (date(2026, 2, 28), 9),
        (date(2026, 3, 1), 10),
        (date(2024, 2, 28), 7),
        (date(2024, 2, 29), 8),
        (date(2024, 3, 1), 8),
    ],
    ids=[
        "28-feb-common-year",
        "1-mar-common-year",
        "28-feb-leap-year",
        "29-feb-leap-year",
        "1-mar-leap-year",
    ],
)
def test_student_born_on_29_february_ages_on_1_march_in_common_years(day: date, age: int) -> None:
    assert make_student(date_of_birth=date(2016, 2, 29)).age_on(day) == age


@pytest.mark.parametrize(
    ("age", "accepted"), [(6, False), (7, True), (9, True), (10, True), (11, False)]
)
def test_program_accepts_ages_within_its_range_inclusive(age: int, accepted: bool) -> None:
    assert make_program(age_min=7, age_max=10).accepts_age(age) is accepted


@pytest.mark.parametrize(
    ("age_min", "age_max", "age", "accepted"),
    [
        (None, None, 3, True),
        (None, None, 99, True),
        (7, None, 6, False),
        (7, None, 80, True),
        (None, 10, 0, True),
        (None, 10, 11, False),
    ],
)
def test_program_open_age_bound_accepts_all_on_that_side(
    age_min: int | None, age_max: int | None, age: int, accepted: bool
) -> None:
    assert make_program(age_min=age_min, age_max=age_max).accepts_age(age) is accepted


# -- Invoice methods ----------------------------------------------------------------------------


def sent_invoice(total: str = "100.00") -> Invoice:
    return make_invoice(
        status=InvoiceStatus.SENT,
        total_amount=Decimal(total),
        amount_outstanding=Decimal(total),
    )


def test_invoice_partial_payment_then_the_rest() -> None:
    invoice = sent_invoice("100.00")
    invoice.apply_payment(Decimal("40.00"))
    assert invoice.status is InvoiceStatus.PARTIAL
    assert (invoice.amount_paid, invoice.amount_outstanding) == (Decimal("40.00"), Decimal("60.00"))
    invoice.apply_payment(Decimal("60.00"))
    assert invoice.status is InvoiceStatus.PAID
    assert (invoice.amount_paid, invoice.amount_outstanding) == (Decimal("100.00"), Decimal("0.00"))


def test_invoice_paid_in_full_at_once() -> None:
    invoice = sent_invoice("100.00")
    invoice.apply_payment(Decimal("100.00"))
    assert invoice.status is InvoiceStatus.PAID


def test_invoice_overdue_stays_overdue_after_a_part_payment_and_is_paid_by_the_rest() -> None:
    invoice = sent_invoice("100.00")
    invoice.mark_overdue()
    invoice.apply_payment(Decimal("30.00"))
    assert invoice.amount_outstanding == Decimal("70.00")
    invoice.apply_payment(Decimal("70.00"))
    assert invoice.status is InvoiceStatus.PAID


@pytest.mark.parametrize("amount", ["100.01", "0.00"], ids=["more-than-outstanding", "zero"])
def test_invoice_payment_outside_0_and_outstanding_is_a_conflict(amount: str) -> None:
    invoice = sent_invoice("100.00")
    with pytest.raises(Conflict):
        invoice.apply_payment(Decimal(amount))
    assert invoice.status is InvoiceStatus.SENT
    assert (invoice.amount_paid, invoice.amount_outstanding) == (Decimal("0.00"), Decimal("100.00"))


def test_invoice_payment_as_a_float_is_refused() -> None:
    invoice = sent_invoice("100.00")
    with pytest.raises(ValidationError) as info:
        invoice.apply_payment(40.0)  # type: ignore[arg-type]
    assert info.value.field == "Invoice.amount_paid"
    assert invoice.amount_paid == Decimal("0.00")


@pytest.mark.parametrize("status", [InvoiceStatus.DRAFT, InvoiceStatus.VOID])
def test_invoice_payment_on_an_invoice_that_is_not_open_is_an_invalid_transition(
    status: InvoiceStatus,
) -> None:
    invoice = make_invoice(status=status)
    with pytest.raises(InvalidTransition) as info:
        invoice.apply_payment(Decimal("10.00"))
    assert info.value.state == status.value
    assert invoice.status is status
    assert invoice.amount_paid == Decimal("0.00")


def test_invoice_with_something_paid_cannot_be_voided() -> None:
    invoice = sent_invoice("100.00")
    invoice.apply_payment(Decimal("40.00"))
    with pytest.raises(Conflict):
        invoice.void()
    assert invoice.status is InvoiceStatus.PARTIAL
    assert invoice.amount_outstanding == Decimal("60.00")


@pytest.mark.parametrize("status", [InvoiceStatus.DRAFT, InvoiceStatus.SENT])
def test_invoice_with_nothing_paid_can_be_voided(status: InvoiceStatus) -> None:
    invoice = make_invoice(status=status)
    invoice.void()
    assert invoice.status is InvoiceStatus.VOID
    assert invoice.amount_outstanding == Decimal("0.00")


def test_void_invoice_cannot_be_voided_again() -> None:
    invoice = make_invoice()
    invoice.void()
    with pytest.raises(InvalidTransition):
        invoice.void()


def test_draft_invoice_can_be_revised() -> None:
    invoice = make_invoice()
    line = LineItem(description="Scratch Term 1", unit_price=Decimal("450.00"))
    invoice.revise(
        line_items=(line,), total=Decimal("495.00"), gst=Decimal("45.00"), discount=Decimal("0.00")
    )
    assert invoice.line_items == (line,)
    assert (invoice.total_amount, invoice.gst_amount) == (Decimal("495.00"), Decimal("45.00"))
    assert invoice.amount_outstanding == Decimal("495.00")


@pytest.mark.parametrize(
    "status", [InvoiceStatus.SENT, InvoiceStatus.PARTIAL, InvoiceStatus.PAID, InvoiceStatus.VOID]
)
def test_invoice_cannot_be_revised_after_it_is_sent(status: InvoiceStatus) -> None:
    invoice = make_invoice(
        status=status,
        amount_paid=Decimal("100.00") if status is InvoiceStatus.PAID else Decimal("0.00"),
        amount_outstanding=Decimal("0.00") if status is InvoiceStatus.PAID else Decimal("100.00"),
    )
    with pytest.raises(InvalidTransition):
        invoice.revise(
            line_items=(), total=Decimal("1.00"), gst=Decimal("0.00"), discount=Decimal("0.00")
        )
    assert invoice.total_amount == Decimal("100.00")


def test_invoice_revise_with_invalid_figures_changes_nothing() -> None:
    invoice = make_invoice()
    with pytest.raises(ValidationError) as info:
        invoice.revise(
            line_items=(), total=Decimal("10.00"), gst=Decimal("20.00"), discount=Decimal("0")
        )
    assert info.value.field == "Invoice.gst_amount"
    assert (invoice.total_amount, invoice.gst_amount) == (Decimal("100.00"), Decimal("0.00"))


# -- SkillProgress.set_status -----------------------------------------------------------------


def test_set_status_appends_history_and_stamps_and_clears_mastered_at() -> None:
    progress = make_skill_progress()
    coach, other = uuid4(), uuid4()

    assert progress.set_status(SkillStatus.IN_PROGRESS, by=coach, at=NOW) is True
    assert progress.mastered_at is None
    assert progress.set_status(SkillStatus.MASTERED, by=other, at=LATER) is True
    assert progress.mastered_at == LATER
    regressed_at = LATER + timedelta(days=7)
    assert progress.set_status(SkillStatus.IN_PROGRESS, by=coach, at=regressed_at) is True
    assert progress.mastered_at is None
    assert progress.updated_by_staff_id == coach

    assert [
        (c.from_status, c.to_status, c.changed_by_staff_id, c.changed_at) for c in progress.history
    ] == [
        (SkillStatus.NOT_STARTED, SkillStatus.IN_PROGRESS, coach, NOW),
        (SkillStatus.IN_PROGRESS, SkillStatus.MASTERED, other, LATER),
        (SkillStatus.MASTERED, SkillStatus.IN_PROGRESS, coach, regressed_at),
    ]
    assert all(c.skill_progress_id == progress.id for c in progress.history)
    assert all(c.organisation_id == ORG_ID for c in progress.history)


def test_set_status_to_the_same_status_returns_false_and_records_nothing() -> None:
    progress = make_skill_progress()
    coach = uuid4()
    progress.set_status(SkillStatus.MASTERED, by=coach, at=NOW)
    assert progress.set_status(SkillStatus.MASTERED, by=uuid4(), at=LATER) is False
    assert len(progress.history) == 1
    assert (progress.mastered_at, progress.updated_by_staff_id) == (NOW, coach)


def test_set_status_refuses_a_naive_time() -> None:
    progress = make_skill_progress()
    with pytest.raises(ValidationError) as info:
        progress.set_status(SkillStatus.MASTERED, by=None, at=NAIVE)
    assert "timezone-aware" in info.value.rule
    assert (progress.status, progress.history) == (SkillStatus.NOT_STARTED, [])


def test_set_status_refuses_a_plain_string() -> None:
    progress = make_skill_progress()
    with pytest.raises(ValidationError) as info:
        progress.set_status("mastered", by=None, at=NOW)  # type: ignore[arg-type]
    assert info.value.field == "SkillProgress.status"
    assert progress.history == []


# -- Message.mark_read -----------------------------------------------------------------------


def test_mark_read_sets_the_flag_and_the_first_reading_time() -> None:
    message = make_message()
    message.mark_read(NOW)
    assert (message.is_read, message.read_at) == (True, NOW)
    message.mark_read(LATER)
    assert message.read_at == NOW


def test_mark_read_refuses_a_naive_time() -> None:
    message = make_message()
    with pytest.raises(ValidationError) as info:
        message.mark_read(NAIVE)
    assert info.value.field == "Message.read_at"
    assert (message.is_read, message.read_at) == (False, None)


# -- Attendance.mark ---------------------------------------------------------------------------


def test_mark_changes_the_status_and_stamps_who_and_when() -> None:
    attendance = make_attendance(status=AttendanceStatus.ABSENT, notes="No show")
    teacher = uuid4()
    attendance.mark(AttendanceStatus.LATE, by=teacher, at=LATER)
    assert attendance.status is AttendanceStatus.LATE
    assert (attendance.recorded_by_staff_id, attendance.recorded_at) == (teacher, LATER)
    assert attendance.notes == "No show"  # kept when no new notes are given
    assert attendance.attended


def test_mark_with_notes_replaces_them() -> None:
    attendance = make_attendance(notes="No show")
    attendance.mark(AttendanceStatus.EXCUSED, by=uuid4(), at=LATER, notes="Doctor's note")
    assert attendance.notes == "Doctor's note"
    assert not attendance.attended


@pytest.mark.parametrize(
    ("status", "at", "field"),
    [
        ("present", LATER, "Attendance.status"),
        (AttendanceStatus.PRESENT, NAIVE, "Attendance.recorded_at"),
    ],
    ids=["plain-string-status", "naive-time"],
)
def test_invalid_mark_changes_nothing(status: Any, at: datetime, field: str) -> None:
    attendance = make_attendance(status=AttendanceStatus.ABSENT)
    teacher = uuid4()
    with pytest.raises(ValidationError) as info:
        attendance.mark(status, by=teacher, at=at)
    assert info.value.field == field
    assert attendance.status is AttendanceStatus.ABSENT
    assert (attendance.recorded_by_staff_id, attendance.recorded_at) == (None, NOW)


def test_attendance_check_out_before_check_in_is_refused() -> None:
    refused(
        make_attendance,
        "Attendance.check_out_time",
        "check_in_time",
        check_in_time=LATER,
        check_out_time=NOW,
    )


def test_non_utc_offsets_are_instants_too() -> None:
    # An aware datetime with a fixed offset is accepted and compares as the same instant.
    plus_ten = timezone(timedelta(hours=10))
    attendance = make_attendance(recorded_at=NOW.astimezone(plus_ten))
    assert attendance.recorded_at == NOW
