"""Organisation context: the tenant, its settings, campuses, staff and campus assignments."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

import attrs

from rocket_core.model import checks as c
from rocket_core.model.base import Entity, new_id, utc_now


class StaffRole(StrEnum):
    """Staff.role: what a staff member may do (the permission matrix's columns)."""

    SUPER_ADMIN = "super_admin"
    CAMPUS_MANAGER = "campus_manager"
    LEAD_INSTRUCTOR = "lead_instructor"
    TEACHING_ASSISTANT = "teaching_assistant"
    FRONT_DESK = "front_desk"


def _rate(instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if not isinstance(value, Decimal) or not Decimal(0) <= value <= Decimal(1):
        raise c.fail(instance, attribute, "must be a Decimal fraction between 0 and 1")


@attrs.frozen(kw_only=True)
class OrganisationSettings:
    """Organisation-wide numbers of the business rules; each default is the rule's own number."""

    gst_rate: Decimal = attrs.field(default=Decimal("0.10"), validator=_rate)
    prices_include_gst: bool = attrs.field(default=False, validator=c.of_type(bool))
    invoice_due_days: int = attrs.field(default=14, validator=c.whole_number(0, 365))
    overdue_after_days: int = attrs.field(default=7, validator=c.whole_number(0, 365))
    sibling_discount_second: Decimal = attrs.field(default=Decimal("0.10"), validator=_rate)
    sibling_discount_third_plus: Decimal = attrs.field(default=Decimal("0.15"), validator=_rate)
    waitlist_offer_hours: int = attrs.field(default=48, validator=c.whole_number(1, 24 * 30))
    makeup_token_expiry_days: int = attrs.field(default=90, validator=c.whole_number(1, 3650))
    attendance_edit_window_hours: int = attrs.field(
        default=24, validator=c.whole_number(0, 24 * 90)
    )
    absence_alert_delay_minutes: int = attrs.field(default=60, validator=c.whole_number(0, 1440))
    campus_manager_refund_limit: Decimal = attrs.field(
        default=Decimal("500.00"), validator=c.money()
    )
    withdrawal_admin_fee: Decimal = attrs.field(default=Decimal("0.00"), validator=c.money())
    record_retention_years: int = attrs.field(default=7, validator=c.whole_number(7, 100))


@attrs.define(slots=False, eq=False, kw_only=True)
class Organisation(Entity):
    """The tenant: one business (e.g. Rocket Academy) with its campuses, staff and programs."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    name: str = attrs.field(validator=c.text(200))
    logo_url: str | None = attrs.field(default=None, validator=c.optional(c.http_url(500)))
    primary_color: str | None = attrs.field(default=None, validator=c.optional(c.hex_colour))
    billing_email: str | None = attrs.field(default=None, validator=c.optional(c.email()))
    abn: str | None = attrs.field(default=None, validator=c.optional(c.abn))
    settings: OrganisationSettings = attrs.field(
        factory=OrganisationSettings, validator=c.of_type(OrganisationSettings)
    )
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    version: int = attrs.field(default=1, validator=c.whole_number(1))


@attrs.frozen(kw_only=True)
class ClosureDate:
    """A day a campus is closed (public holiday, blackout day): no sessions are scheduled."""

    day: date = attrs.field(validator=c.a_date)
    reason: str = attrs.field(validator=c.text(200))


def _closures(value: Iterable[ClosureDate]) -> tuple[ClosureDate, ...]:
    return tuple(value)


@attrs.define(slots=False, eq=False, kw_only=True)
class Campus(Entity):
    """A physical location where cohorts meet, in its own time zone."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    name: str = attrs.field(validator=c.text(200))
    address: str | None = attrs.field(default=None, validator=c.optional(c.long_text))
    suburb: str | None = attrs.field(default=None, validator=c.optional(c.text(100)))
    state: str | None = attrs.field(default=None, validator=c.optional(c.au_state))
    postcode: str | None = attrs.field(default=None, validator=c.optional(c.postcode))
    timezone: str = attrs.field(default="Australia/Melbourne", validator=c.timezone_name)
    contact_email: str | None = attrs.field(default=None, validator=c.optional(c.email()))
    contact_phone: str | None = attrs.field(default=None, validator=c.optional(c.phone))
    is_active: bool = attrs.field(default=True, validator=c.of_type(bool))
    closure_dates: tuple[ClosureDate, ...] = attrs.field(default=(), converter=_closures)
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    def __attrs_post_init__(self) -> None:
        days = [closure.day for closure in self.closure_dates]
        c.require(
            all(isinstance(x, ClosureDate) for x in self.closure_dates),
            "Campus.closure_dates",
            "must hold ClosureDate values",
        )
        c.require(len(days) == len(set(days)), "Campus.closure_dates", "each day only once")

    def is_closed_on(self, day: date) -> bool:
        """True when ``day`` is one of the campus's closure dates."""
        return any(closure.day == day for closure in self.closure_dates)

    def deactivate(self) -> None:
        """Close the campus for new cohorts; its history stays."""
        self.is_active = False


@attrs.frozen(kw_only=True)
class Qualification:
    """A certification or check a staff member holds (e.g. a Working With Children Check)."""

    name: str = attrs.field(validator=c.text(200))
    reference: str | None = attrs.field(default=None, validator=c.optional(c.text(100)))
    expires_on: date | None = attrs.field(default=None, validator=c.optional(c.a_date))


def _qualifications(value: Iterable[Qualification]) -> tuple[Qualification, ...]:
    return tuple(value)


@attrs.define(slots=False, eq=False, kw_only=True)
class Staff(Entity):
    """A staff member: admin, manager, instructor, teaching assistant or front desk.

    The e-mail is a login identity, unique across Rocket.
    """

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    email: str = attrs.field(validator=c.email(), converter=c.lower_email)
    password_hash: str = attrs.field(validator=c.text(255))
    first_name: str = attrs.field(validator=c.text(100))
    last_name: str = attrs.field(validator=c.text(100))
    phone: str | None = attrs.field(default=None, validator=c.optional(c.phone))
    role: StaffRole = attrs.field(validator=c.member_of(StaffRole))
    is_active: bool = attrs.field(default=True, validator=c.of_type(bool))
    hired_date: date | None = attrs.field(default=None, validator=c.optional(c.a_date))
    qualifications: tuple[Qualification, ...] = attrs.field(default=(), converter=_qualifications)
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    def __attrs_post_init__(self) -> None:
        c.require(
            all(isinstance(q, Qualification) for q in self.qualifications),
            "Staff.qualifications",
            "must hold Qualification values",
        )

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"

    def deactivate(self) -> None:
        """Stop the account from logging in or being assigned; its history stays."""
        self.is_active = False


@attrs.define(slots=False, eq=False, kw_only=True)
class CampusStaff(Entity):
    """A staff member's assignment to a campus (the CampusStaff join table)."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    campus_id: UUID = attrs.field(validator=c.of_type(UUID))
    staff_id: UUID = attrs.field(validator=c.of_type(UUID))
    assigned_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
