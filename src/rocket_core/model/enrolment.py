"""Enrolment context: a student's place (or request for one) in a cohort."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

import attrs

from rocket_core import enrolment_machine as machine
from rocket_core.enrolment_machine import EnrolmentStatus, Trigger
from rocket_core.errors import Conflict, InvalidTransition, ValidationError
from rocket_core.events import EnrolmentStatusChanged
from rocket_core.model import checks as c
from rocket_core.model.base import Entity, new_id, utc_now

__all__ = ["Enrolment", "EnrolmentStatus", "MakeupToken", "MakeupTokenStatus", "Trigger"]

_WAITLIST_STATES = frozenset({EnrolmentStatus.ENQUIRY, EnrolmentStatus.TRIAL})


@attrs.define(slots=False, eq=False, kw_only=True)
class Enrolment(Entity):
    """A student's enrolment in a cohort, moved through its journey by the rulebook.

    Change the status only through the methods below (each fires a trigger of
    ``rocket_core.enrolment_machine``); an invalid move raises InvalidTransition and
    changes nothing.
    """

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    student_id: UUID = attrs.field(validator=c.of_type(UUID))
    cohort_id: UUID = attrs.field(validator=c.of_type(UUID))
    status: EnrolmentStatus = attrs.field(
        default=EnrolmentStatus.ENQUIRY, validator=c.member_of(EnrolmentStatus)
    )
    enrolment_date: datetime = attrs.field(factory=utc_now, validator=c.aware)
    start_date: date | None = attrs.field(default=None, validator=c.optional(c.a_date))
    end_date: date | None = attrs.field(default=None, validator=c.optional(c.a_date))
    tuition_override: Decimal | None = attrs.field(default=None, validator=c.optional(c.money()))
    discount_applied: Decimal = attrs.field(default=Decimal("0.00"), validator=c.money())
    is_trial: bool = attrs.field(default=False, validator=c.of_type(bool))
    trial_session_id: UUID | None = attrs.field(default=None, validator=c.optional(c.of_type(UUID)))
    withdrawal_date: date | None = attrs.field(default=None, validator=c.optional(c.a_date))
    withdrawal_reason: str | None = attrs.field(default=None, validator=c.optional(c.long_text))
    makeup_tokens: int = attrs.field(default=0, validator=c.whole_number(0))
    is_waitlist: bool = attrs.field(default=False, validator=c.of_type(bool))
    waitlist_position: int | None = attrs.field(
        default=None, validator=c.optional(c.whole_number(1))
    )
    transferred_to_id: UUID | None = attrs.field(
        default=None, validator=c.optional(c.of_type(UUID))
    )
    #: When a seat offered from the waitlist lapses unless paid (None: not an offer).
    offer_expires_at: datetime | None = attrs.field(default=None, validator=c.optional(c.aware))
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    def __attrs_post_init__(self) -> None:
        if self.start_date is not None and self.end_date is not None:
            c.require(
                self.start_date <= self.end_date,
                "Enrolment.start_date",
                "must not be after end_date",
            )
        c.require(
            self.is_waitlist == (self.waitlist_position is not None),
            "Enrolment.waitlist_position",
            "is set exactly when the enrolment is on the waitlist",
        )
        c.require(
            not self.is_waitlist or self.status in _WAITLIST_STATES,
            "Enrolment.is_waitlist",
            "only an enquiry or trial can wait for a seat",
        )
        if self.status is EnrolmentStatus.DROPPED:
            c.require(
                self.withdrawal_date is not None and bool((self.withdrawal_reason or "").strip()),
                "Enrolment.withdrawal_reason",
                "a dropped enrolment records its withdrawal date and reason",
            )

    # -- what the status means ------------------------------------------------------------

    @property
    def holds_seat(self) -> bool:
        """Pending payment, enrolled or active: the enrolment counts against capacity."""
        return self.status in machine.SEAT_HOLDING_STATES

    @property
    def is_live(self) -> bool:
        """Not in a terminal status: it blocks a second enrolment in the same cohort."""
        return self.status not in machine.TERMINAL_STATES

    def can(self, trigger: Trigger) -> bool:
        """Whether ``trigger`` is valid from the current status."""
        return trigger in machine.triggers_from(self.status)

    # -- transitions ----------------------------------------------------------------------

    def _allow(self, trigger: Trigger) -> None:
        """Refuse a trigger the current status does not accept, before anything else."""
        if not self.can(trigger):
            raise InvalidTransition("Enrolment", self.id, self.status.value, trigger.value)

    def _fire(self, trigger: Trigger) -> None:
        before = self.status
        self._allow(trigger)
        machine.fire(self, trigger)
        self.record(
            EnrolmentStatusChanged(
                organisation_id=self.organisation_id,
                enrolment_id=self.id,
                student_id=self.student_id,
                cohort_id=self.cohort_id,
                trigger=trigger.value,
                from_status=before.value,
                to_status=self.status.value,
            )
        )

    def book_trial(self, session_id: UUID) -> None:
        """enquiry -> trial: the student tries one session."""
        self._allow(Trigger.BOOK_TRIAL)
        c.of_type(UUID)(self, attrs.fields(Enrolment).trial_session_id, session_id)
        self._fire(Trigger.BOOK_TRIAL)
        self.is_trial = True
        self.trial_session_id = session_id

    def request_payment(self) -> None:
        """enquiry -> pending_payment: a seat is offered and an invoice will follow."""
        self._fire(Trigger.REQUEST_PAYMENT)
        self._leave_waitlist()

    def convert_trial(self) -> None:
        """trial -> pending_payment: the family takes a seat after the trial."""
        self._fire(Trigger.CONVERT_TRIAL)
        self._leave_waitlist()

    def payment_received(self) -> None:
        """pending_payment -> enrolled: the invoice is paid (an offer no longer lapses)."""
        self._fire(Trigger.PAYMENT_RECEIVED)
        self.offer_expires_at = None

    def offer_seat(self, *, until: datetime) -> None:
        """A waitlisted enquiry or trial is offered a freed seat: -> pending_payment, off the
        waitlist, lapsing at ``until`` unless paid."""
        if not self.is_waitlist:
            raise Conflict(f"Enrolment {self.id} is not on the waitlist")
        c.aware(self, attrs.fields(Enrolment).offer_expires_at, until)
        if self.status is EnrolmentStatus.TRIAL:
            self.convert_trial()
        else:
            self.request_payment()
        self.offer_expires_at = until

    def offer_lapsed(self, now: datetime) -> bool:
        """True when this is an unpaid offer whose time has run out at ``now``."""
        return (
            self.status is EnrolmentStatus.PENDING_PAYMENT
            and self.offer_expires_at is not None
            and self.offer_expires_at <= now
        )

    def start(self, on: date) -> None:
        """enrolled -> active: the cohort has started (or the student joins it late)."""
        self._allow(Trigger.START)
        self._check_date("start_date", on)
        if self.start_date is None:
            c.require(
                self.end_date is None or on <= self.end_date,
                "Enrolment.start_date",
                "cannot be after end_date",
            )
        self._fire(Trigger.START)
        if self.start_date is None:
            self.start_date = on

    def complete(self, on: date) -> None:
        """active -> completed: the cohort has ended."""
        self._allow(Trigger.COMPLETE)
        self._check_date("end_date", on)
        c.require(
            self.start_date is None or on >= self.start_date,
            "Enrolment.end_date",
            "cannot be before start_date",
        )
        self._fire(Trigger.COMPLETE)
        self.end_date = on

    def drop(self, *, on: date, reason: str) -> None:
        """Any live status -> dropped, recording the withdrawal date and reason."""
        self._allow(Trigger.DROP)
        self._check_date("withdrawal_date", on)
        c.text(10_000)(self, attrs.fields(Enrolment).withdrawal_reason, reason)
        self._fire(Trigger.DROP)
        self.withdrawal_date = on
        self.withdrawal_reason = reason
        self._end_on(on)
        self._leave_waitlist()

    def transfer(self, *, to: Enrolment, on: date) -> None:
        """active -> transferred into ``to`` (the same student's enrolment in another cohort).

        Unused makeup tokens move with the student.
        """
        self._allow(Trigger.TRANSFER)
        if to.student_id != self.student_id or to.organisation_id != self.organisation_id:
            raise ValidationError("Enrolment.transferred_to_id", "must be the same student")
        if to.cohort_id == self.cohort_id:
            raise ValidationError("Enrolment.transferred_to_id", "must be another cohort")
        self._check_date("end_date", on)
        self._fire(Trigger.TRANSFER)
        self.transferred_to_id = to.id
        self._end_on(on)
        to.makeup_tokens += self.makeup_tokens
        self.makeup_tokens = 0

    # -- waitlist -------------------------------------------------------------------------

    def join_waitlist(self, position: int) -> None:
        """Wait for a seat in a full cohort, at ``position`` (1 = next to be offered)."""
        c.whole_number(1)(self, attrs.fields(Enrolment).waitlist_position, position)
        if self.status not in _WAITLIST_STATES:
            raise InvalidTransition("Enrolment", self.id, self.status.value, "join the waitlist")
        if self.is_waitlist:
            raise Conflict(f"Enrolment {self.id} is already on the waitlist")
        self.is_waitlist = True
        self.waitlist_position = position

    def move_in_waitlist(self, position: int) -> None:
        """Renumber a waiting enrolment (when someone ahead leaves the list)."""
        c.whole_number(1)(self, attrs.fields(Enrolment).waitlist_position, position)
        if not self.is_waitlist:
            raise Conflict(f"Enrolment {self.id} is not on the waitlist")
        self.waitlist_position = position

    def _leave_waitlist(self) -> None:
        self.is_waitlist = False
        self.waitlist_position = None

    def _end_on(self, on: date) -> None:
        # Leaving before the enrolment began leaves no end date to record.
        if self.start_date is None or on >= self.start_date:
            self.end_date = on

    def _check_date(self, field: str, value: date) -> None:
        c.a_date(self, getattr(attrs.fields(Enrolment), field), value)


class MakeupTokenStatus(StrEnum):
    """Where a makeup token stands."""

    AVAILABLE = "available"
    REDEEMED = "redeemed"
    EXPIRED = "expired"
    #: Taken back before use (e.g. the absence it was issued for was re-marked).
    WITHDRAWN = "withdrawn"


@attrs.define(slots=False, eq=False, kw_only=True)
class MakeupToken(Entity):
    """A missed session owed to a student (a cancelled session or an excused absence).

    Redeemed by attending a session of another cohort of the same program with a free seat;
    expires after the organisation's ``makeup_token_expiry_days``. The enrolment's
    ``makeup_tokens`` counts its available tokens.
    """

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    student_id: UUID = attrs.field(validator=c.of_type(UUID))
    enrolment_id: UUID = attrs.field(validator=c.of_type(UUID))
    program_id: UUID = attrs.field(validator=c.of_type(UUID))
    reason: str = attrs.field(validator=c.text(200))
    source_session_id: UUID | None = attrs.field(
        default=None, validator=c.optional(c.of_type(UUID))
    )
    issued_on: date = attrs.field(validator=c.a_date)
    expires_on: date = attrs.field(validator=c.a_date)
    status: MakeupTokenStatus = attrs.field(
        default=MakeupTokenStatus.AVAILABLE, validator=c.member_of(MakeupTokenStatus)
    )
    redeemed_session_id: UUID | None = attrs.field(
        default=None, validator=c.optional(c.of_type(UUID))
    )
    redeemed_at: datetime | None = attrs.field(default=None, validator=c.optional(c.aware))
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    def __attrs_post_init__(self) -> None:
        c.require(
            self.issued_on <= self.expires_on,
            "MakeupToken.expires_on",
            "must not be before issued_on",
        )
        redeemed = self.status is MakeupTokenStatus.REDEEMED
        c.require(
            redeemed == (self.redeemed_session_id is not None),
            "MakeupToken.redeemed_session_id",
            "is set exactly when the token is redeemed",
        )
        c.require(
            redeemed == (self.redeemed_at is not None),
            "MakeupToken.redeemed_at",
            "is set exactly when the token is redeemed",
        )

    def usable_on(self, day: date) -> bool:
        """Available and not past its expiry on ``day``."""
        return self.status is MakeupTokenStatus.AVAILABLE and day <= self.expires_on

    def redeem(self, *, session_id: UUID, at: datetime, on: date) -> None:
        """Spend the token on a session (attended as a makeup)."""
        if not self.usable_on(on):
            raise Conflict(f"makeup token {self.id} is {self._state_on(on)}: it cannot be used")
        c.of_type(UUID)(self, attrs.fields(MakeupToken).redeemed_session_id, session_id)
        c.aware(self, attrs.fields(MakeupToken).redeemed_at, at)
        self.status = MakeupTokenStatus.REDEEMED
        self.redeemed_session_id = session_id
        self.redeemed_at = at

    def expire(self, on: date) -> None:
        """Mark an available token expired once ``on`` is past its expiry."""
        if self.status is not MakeupTokenStatus.AVAILABLE or on <= self.expires_on:
            raise Conflict(f"makeup token {self.id} is not due to expire on {on.isoformat()}")
        self.status = MakeupTokenStatus.EXPIRED

    def withdraw(self) -> None:
        """Take back an unused token (its reason no longer holds)."""
        if self.status is not MakeupTokenStatus.AVAILABLE:
            raise Conflict(f"makeup token {self.id} is {self.status.value}: it cannot be withdrawn")
        self.status = MakeupTokenStatus.WITHDRAWN

    def _state_on(self, day: date) -> str:
        if self.status is MakeupTokenStatus.AVAILABLE:
            return f"expired since {self.expires_on.isoformat()}"
        return self.status.value
