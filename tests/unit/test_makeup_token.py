"""Makeup tokens and waitlist seat offers: the single-entity rules of MakeupToken and of
``Enrolment.offer_seat`` / ``offer_lapsed`` / ``payment_received``.

Each test starts from a valid entity of tests/unit/examples.py (a token issued on 2 March and
expiring on 30 June 2026; an enquiry) and changes one thing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import attrs
import pytest
from tests.unit.examples import NOW, make_enrolment, make_makeup_token

from rocket_core.errors import Conflict, InvalidTransition, ValidationError
from rocket_core.events import EnrolmentStatusChanged
from rocket_core.model import EnrolmentStatus, MakeupToken, MakeupTokenStatus

ISSUED = date(2026, 3, 2)
EXPIRES = date(2026, 6, 30)
DAY_AFTER = EXPIRES + timedelta(days=1)
NAIVE = datetime(2026, 3, 2, 9, 30)
PERTH = ZoneInfo("Australia/Perth")
UNTIL = datetime(2026, 3, 4, 9, 30, 0, 250000, tzinfo=ZoneInfo("Australia/Melbourne"))


def refused(field: str, *words: str, **overrides: Any) -> ValidationError:
    """Building a token with ``overrides`` raises a ValidationError naming ``field``."""
    with pytest.raises(ValidationError) as info:
        make_makeup_token(**overrides)
    assert info.value.field == field
    for word in words:
        assert word in info.value.rule, f"{word!r} not in rule {info.value.rule!r}"
    return info.value


def state(token: MakeupToken) -> tuple[Any, ...]:
    return (token.status, token.redeemed_session_id, token.redeemed_at)


AVAILABLE = (MakeupTokenStatus.AVAILABLE, None, None)


def redeemed_token() -> MakeupToken:
    return make_makeup_token(
        status=MakeupTokenStatus.REDEEMED, redeemed_session_id=uuid4(), redeemed_at=NOW
    )


# -- construction ----------------------------------------------------------------------------


def test_example_token_is_available_and_unredeemed() -> None:
    token = make_makeup_token()
    assert state(token) == AVAILABLE
    assert (token.issued_on, token.expires_on) == (ISSUED, EXPIRES)
    assert token.source_session_id is None
    assert token.version == 1


def test_token_expiring_before_it_was_issued_is_refused() -> None:
    refused(
        "MakeupToken.expires_on",
        "issued_on",
        issued_on=date(2026, 3, 2),
        expires_on=date(2026, 3, 1),
    )


def test_token_expiring_on_the_day_it_was_issued_is_accepted() -> None:
    token = make_makeup_token(issued_on=ISSUED, expires_on=ISSUED)
    assert token.usable_on(ISSUED)
    assert not token.usable_on(ISSUED + timedelta(days=1))


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"status": MakeupTokenStatus.REDEEMED}, id="redeemed-without-both"),
        pytest.param(
            {"status": MakeupTokenStatus.REDEEMED, "redeemed_session_id": uuid4()},
            id="redeemed-without-time",
        ),
        pytest.param(
            {"status": MakeupTokenStatus.REDEEMED, "redeemed_at": NOW},
            id="redeemed-without-session",
        ),
        pytest.param(
            {"redeemed_session_id": uuid4(), "redeemed_at": NOW}, id="available-with-both"
        ),
        pytest.param(
            {
                "status": MakeupTokenStatus.EXPIRED,
                "redeemed_session_id": uuid4(),
                "redeemed_at": NOW,
            },
            id="expired-with-both",
        ),
        pytest.param(
            {"redeemed_session_id": uuid4()},
            id="available-with-session-only",
        ),
        pytest.param(
            {"status": MakeupTokenStatus.EXPIRED, "redeemed_at": NOW},
            id="expired-with-time-only",
        ),
    ],
)
def test_redeemed_fields_are_set_exactly_when_the_token_is_redeemed(
    overrides: dict[str, Any],
) -> None:
    redeemed = overrides.get("status") is MakeupTokenStatus.REDEEMED
    session_wrong = redeemed != (overrides.get("redeemed_session_id") is not None)
    field = "redeemed_session_id" if session_wrong else "redeemed_at"
    refused(f"MakeupToken.{field}", "redeemed", **overrides)


def test_redeemed_token_with_its_session_and_time_is_accepted() -> None:
    session_id = uuid4()
    token = make_makeup_token(
        status=MakeupTokenStatus.REDEEMED, redeemed_session_id=session_id, redeemed_at=NOW
    )
    assert state(token) == (MakeupTokenStatus.REDEEMED, session_id, NOW)


def test_expired_token_without_redemption_is_accepted() -> None:
    token = make_makeup_token(status=MakeupTokenStatus.EXPIRED)
    assert token.status is MakeupTokenStatus.EXPIRED
    assert not token.usable_on(ISSUED)


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "spaces"])
def test_token_reason_is_required(reason: str) -> None:
    refused("MakeupToken.reason", "required", reason=reason)


def test_token_reason_is_at_most_200_characters() -> None:
    assert make_makeup_token(reason="x" * 200).reason == "x" * 200
    refused("MakeupToken.reason", "at most 200", reason="x" * 201)


@pytest.mark.parametrize(
    ("name", "value", "word"),
    [
        ("status", "available", "must be one of"),
        ("issued_on", datetime(2026, 3, 2, tzinfo=UTC), "date"),
        ("expires_on", "2026-06-30", "date"),
        ("created_at", NAIVE, "timezone-aware"),
        ("student_id", "not-a-uuid", "UUID"),
        ("source_session_id", str(uuid4()), "UUID"),
    ],
    ids=[
        "status-string",
        "issued-on-datetime",
        "expires-on-string",
        "naive-created-at",
        "student-id-string",
        "source-session-id-string",
    ],
)
def test_token_fields_refuse_values_of_the_wrong_kind(name: str, value: Any, word: str) -> None:
    refused(f"MakeupToken.{name}", word, **{name: value})


def test_redeemed_at_must_be_timezone_aware() -> None:
    refused(
        "MakeupToken.redeemed_at",
        "timezone-aware",
        status=MakeupTokenStatus.REDEEMED,
        redeemed_session_id=uuid4(),
        redeemed_at=NAIVE,
    )


def test_update_cannot_break_the_redemption_rule() -> None:
    token = make_makeup_token()
    with pytest.raises(ValidationError) as info:
        token.update(status=MakeupTokenStatus.REDEEMED)
    assert info.value.field == "MakeupToken.redeemed_session_id"
    assert state(token) == AVAILABLE


# -- usable_on --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "usable"),
    [(ISSUED, True), (EXPIRES - timedelta(days=1), True), (EXPIRES, True), (DAY_AFTER, False)],
    ids=["issue-day", "day-before-expiry", "expiry-day", "day-after-expiry"],
)
def test_available_token_is_usable_up_to_its_expiry_day_inclusive(day: date, usable: bool) -> None:
    assert make_makeup_token().usable_on(day) is usable


@pytest.mark.parametrize(
    "token",
    [redeemed_token(), make_makeup_token(status=MakeupTokenStatus.EXPIRED)],
    ids=["redeemed", "expired"],
)
def test_a_spent_or_expired_token_is_never_usable(token: MakeupToken) -> None:
    assert not token.usable_on(ISSUED)
    assert not token.usable_on(EXPIRES)


# -- redeem -----------------------------------------------------------------------------------


def test_redeem_spends_the_token_on_a_session() -> None:
    token = make_makeup_token()
    session_id = uuid4()
    token.redeem(session_id=session_id, at=NOW, on=date(2026, 3, 9))
    assert state(token) == (MakeupTokenStatus.REDEEMED, session_id, NOW)
    assert not token.usable_on(date(2026, 3, 9))
    token.update(reason="Redeemed token still satisfies every rule")


def test_redeem_on_the_expiry_day_is_accepted() -> None:
    token = make_makeup_token()
    token.redeem(session_id=uuid4(), at=NOW, on=EXPIRES)
    assert token.status is MakeupTokenStatus.REDEEMED


def test_redeem_after_the_expiry_day_is_a_conflict_and_changes_nothing() -> None:
    token = make_makeup_token()
    with pytest.raises(Conflict, match="expired since 2026-06-30"):
        token.redeem(session_id=uuid4(), at=NOW, on=DAY_AFTER)
    assert state(token) == AVAILABLE


def test_redeem_twice_is_a_conflict_and_keeps_the_first_redemption() -> None:
    token = make_makeup_token()
    first = uuid4()
    token.redeem(session_id=first, at=NOW, on=ISSUED)
    with pytest.raises(Conflict, match="redeemed"):
        token.redeem(session_id=uuid4(), at=NOW + timedelta(days=1), on=ISSUED)
    assert state(token) == (MakeupTokenStatus.REDEEMED, first, NOW)


def test_redeem_an_expired_token_is_a_conflict() -> None:
    token = make_makeup_token(status=MakeupTokenStatus.EXPIRED)
    with pytest.raises(Conflict, match="expired"):
        token.redeem(session_id=uuid4(), at=NOW, on=ISSUED)
    assert state(token) == (MakeupTokenStatus.EXPIRED, None, None)


@pytest.mark.parametrize(
    ("session_id", "at", "field"),
    [
        (uuid4(), NAIVE, "MakeupToken.redeemed_at"),
        (str(uuid4()), NOW, "MakeupToken.redeemed_session_id"),
    ],
    ids=["naive-time", "session-id-string"],
)
def test_invalid_redeem_changes_nothing(session_id: Any, at: datetime, field: str) -> None:
    token = make_makeup_token()
    with pytest.raises(ValidationError) as info:
        token.redeem(session_id=session_id, at=at, on=ISSUED)
    assert info.value.field == field
    assert state(token) == AVAILABLE


# -- expire -----------------------------------------------------------------------------------


def test_expire_the_day_after_expiry_marks_the_token_expired() -> None:
    token = make_makeup_token()
    token.expire(DAY_AFTER)
    assert state(token) == (MakeupTokenStatus.EXPIRED, None, None)
    assert not token.usable_on(ISSUED)


@pytest.mark.parametrize("day", [ISSUED, EXPIRES], ids=["issue-day", "expiry-day"])
def test_expire_on_or_before_the_expiry_day_is_a_conflict(day: date) -> None:
    token = make_makeup_token()
    with pytest.raises(Conflict, match="not due to expire"):
        token.expire(day)
    assert state(token) == AVAILABLE


def test_a_redeemed_token_cannot_expire() -> None:
    token = redeemed_token()
    before = state(token)
    with pytest.raises(Conflict):
        token.expire(DAY_AFTER)
    assert state(token) == before


def test_an_expired_token_cannot_expire_again() -> None:
    token = make_makeup_token()
    token.expire(DAY_AFTER)
    with pytest.raises(Conflict):
        token.expire(DAY_AFTER + timedelta(days=1))
    assert token.status is MakeupTokenStatus.EXPIRED


# -- Enrolment.offer_seat ---------------------------------------------------------------------


def waitlisted(**overrides: Any) -> Any:
    return make_enrolment(is_waitlist=True, waitlist_position=2, **overrides)


def waitlisted_trial() -> Any:
    return waitlisted(status=EnrolmentStatus.TRIAL, is_trial=True, trial_session_id=uuid4())


def offer_state(enrolment: Any) -> tuple[Any, ...]:
    return (
        enrolment.status,
        enrolment.is_waitlist,
        enrolment.waitlist_position,
        enrolment.offer_expires_at,
    )


def test_offer_seat_to_a_waitlisted_enquiry_asks_for_payment_until_the_deadline() -> None:
    enrolment = waitlisted()
    enrolment.offer_seat(until=UNTIL)
    assert offer_state(enrolment) == (EnrolmentStatus.PENDING_PAYMENT, False, None, UNTIL)
    assert enrolment.holds_seat
    [event] = enrolment.pull_events()
    assert isinstance(event, EnrolmentStatusChanged)
    assert (event.trigger, event.from_status, event.to_status) == (
        "request_payment",
        "enquiry",
        "pending_payment",
    )


def test_offer_seat_to_a_waitlisted_trial_converts_it() -> None:
    enrolment = waitlisted_trial()
    enrolment.offer_seat(until=UNTIL)
    assert offer_state(enrolment) == (EnrolmentStatus.PENDING_PAYMENT, False, None, UNTIL)
    assert enrolment.is_trial
    [event] = enrolment.pull_events()
    assert isinstance(event, EnrolmentStatusChanged)
    assert (event.trigger, event.from_status, event.to_status) == (
        "convert_trial",
        "trial",
        "pending_payment",
    )


def test_an_offered_enrolment_still_satisfies_every_rule() -> None:
    enrolment = waitlisted_trial()
    enrolment.offer_seat(until=UNTIL)
    copy = attrs.evolve(enrolment)  # built again: every validator and cross-field rule runs
    assert copy.offer_expires_at == UNTIL


@pytest.mark.parametrize(
    "status",
    [EnrolmentStatus.ENQUIRY, EnrolmentStatus.TRIAL, EnrolmentStatus.PENDING_PAYMENT],
)
def test_offer_seat_off_the_waitlist_is_a_conflict_and_changes_nothing(
    status: EnrolmentStatus,
) -> None:
    enrolment = make_enrolment(status=status)
    with pytest.raises(Conflict, match="not on the waitlist") as info:
        enrolment.offer_seat(until=UNTIL)
    assert not isinstance(info.value, InvalidTransition)
    assert offer_state(enrolment) == (status, False, None, None)
    assert enrolment.pull_events() == []


@pytest.mark.parametrize("until", [NAIVE, date(2026, 3, 4)], ids=["naive", "date"])
def test_offer_seat_with_a_deadline_that_is_not_an_instant_changes_nothing(until: Any) -> None:
    enrolment = waitlisted()
    with pytest.raises(ValidationError) as info:
        enrolment.offer_seat(until=until)
    assert info.value.field == "Enrolment.offer_expires_at"
    assert "timezone-aware" in info.value.rule
    assert offer_state(enrolment) == (EnrolmentStatus.ENQUIRY, True, 2, None)
    assert enrolment.pull_events() == []


def test_enrolment_offer_deadline_must_be_timezone_aware() -> None:
    with pytest.raises(ValidationError) as info:
        make_enrolment(status=EnrolmentStatus.PENDING_PAYMENT, offer_expires_at=NAIVE)
    assert info.value.field == "Enrolment.offer_expires_at"


# -- payment_received and offer_lapsed --------------------------------------------------------


def test_payment_received_clears_the_offer_deadline() -> None:
    enrolment = waitlisted()
    enrolment.offer_seat(until=UNTIL)
    enrolment.payment_received()
    assert offer_state(enrolment) == (EnrolmentStatus.ENROLLED, False, None, None)
    assert not enrolment.offer_lapsed(UNTIL + timedelta(days=30))


def test_an_offer_lapses_exactly_at_its_deadline() -> None:
    enrolment = waitlisted()
    enrolment.offer_seat(until=UNTIL)
    assert enrolment.offer_lapsed(UNTIL - timedelta(microseconds=1)) is False
    assert enrolment.offer_lapsed(UNTIL) is True
    assert enrolment.offer_lapsed(UNTIL + timedelta(microseconds=1)) is True


def test_offer_lapse_compares_instants_not_clock_readings() -> None:
    # The same instant written in Perth (two or three hours behind Melbourne) and in UTC.
    enrolment = waitlisted()
    enrolment.offer_seat(until=UNTIL)
    assert enrolment.offer_lapsed(UNTIL.astimezone(PERTH)) is True
    assert enrolment.offer_lapsed(UNTIL.astimezone(UTC) - timedelta(seconds=1)) is False
    # 09:00 Perth is later than 09:30 Melbourne on 4 March (Melbourne is on summer time).
    assert enrolment.offer_lapsed(datetime(2026, 3, 4, 9, 0, tzinfo=PERTH)) is True


def test_pending_payment_without_an_offer_deadline_never_lapses() -> None:
    enrolment = make_enrolment()
    enrolment.request_payment()
    assert enrolment.status is EnrolmentStatus.PENDING_PAYMENT
    assert enrolment.offer_expires_at is None
    assert enrolment.offer_lapsed(datetime(2100, 1, 1, tzinfo=UTC)) is False


def test_a_dropped_offer_has_not_lapsed() -> None:
    enrolment = waitlisted()
    enrolment.offer_seat(until=UNTIL)
    enrolment.drop(on=date(2026, 3, 3), reason="Found another class")
    assert enrolment.status is EnrolmentStatus.DROPPED
    assert enrolment.offer_lapsed(UNTIL + timedelta(days=1)) is False


def test_withdraw_takes_back_an_available_token_only() -> None:
    token = make_makeup_token()
    token.withdraw()
    assert token.status is MakeupTokenStatus.WITHDRAWN
    with pytest.raises(Conflict, match="withdrawn: it cannot be withdrawn"):
        token.withdraw()
    assert not token.usable_on(token.issued_on)
