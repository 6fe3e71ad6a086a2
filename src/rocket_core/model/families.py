"""Families context: the family (billing unit and account) and its children."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

import attrs

from rocket_core.model import checks as c
from rocket_core.model.base import Entity, new_id, utc_now
from rocket_core.model.messaging import NotificationKind


def _opt_outs(
    instance: object, attribute: attrs.Attribute[frozenset[NotificationKind]], value: object
) -> None:
    if not isinstance(value, frozenset) or not all(
        isinstance(kind, NotificationKind) for kind in value
    ):
        raise c.fail(instance, attribute, "must be notification kinds")
    critical = sorted(kind.value for kind in value if kind.is_critical)
    if critical:
        raise c.fail(
            instance, attribute, f"cannot switch off critical kinds: {', '.join(critical)}"
        )


class Gender(StrEnum):
    """Student.gender (an MVP field imported from iClassPro); optional on every student."""

    FEMALE = "female"
    MALE = "male"
    NON_BINARY = "non_binary"
    NOT_STATED = "not_stated"


@attrs.define(slots=False, eq=False, kw_only=True)
class Family(Entity):
    """A family account: the paying customer, with contacts and a running balance.

    ``account_balance`` is what the family owes minus its credit (negative = in credit).
    The primary e-mail is unique within the organisation.
    """

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    family_name: str | None = attrs.field(default=None, validator=c.optional(c.text(200)))
    primary_contact_name: str = attrs.field(validator=c.text(200))
    primary_contact_email: str = attrs.field(validator=c.email(), converter=c.lower_email)
    primary_contact_phone: str | None = attrs.field(default=None, validator=c.optional(c.phone))
    secondary_contact_name: str | None = attrs.field(
        default=None, validator=c.optional(c.text(200))
    )
    secondary_contact_email: str | None = attrs.field(
        default=None, validator=c.optional(c.email()), converter=c.lower_email
    )
    secondary_contact_phone: str | None = attrs.field(default=None, validator=c.optional(c.phone))
    street_address: str | None = attrs.field(default=None, validator=c.optional(c.long_text))
    suburb: str | None = attrs.field(default=None, validator=c.optional(c.text(100)))
    state: str | None = attrs.field(default=None, validator=c.optional(c.au_state))
    postcode: str | None = attrs.field(default=None, validator=c.optional(c.postcode))
    emergency_contact_name: str | None = attrs.field(
        default=None, validator=c.optional(c.text(200))
    )
    emergency_contact_phone: str | None = attrs.field(default=None, validator=c.optional(c.phone))
    account_balance: Decimal = attrs.field(default=Decimal("0.00"), validator=c.money(signed=True))
    stripe_customer_id: str | None = attrs.field(default=None, validator=c.optional(c.text(100)))
    #: Non-critical notification kinds the family switched off.
    notification_opt_outs: frozenset[NotificationKind] = attrs.field(
        factory=frozenset, converter=frozenset, validator=_opt_outs
    )
    #: Set when mail to the family bounced permanently: nothing more is sent until staff
    #: correct the address (which clears it).
    undeliverable_at: datetime | None = attrs.field(default=None, validator=c.optional(c.aware))
    undeliverable_reason: str | None = attrs.field(default=None, validator=c.optional(c.text(500)))
    is_active: bool = attrs.field(default=True, validator=c.of_type(bool))
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    @property
    def display_name(self) -> str:
        """The family name, or the primary contact's name when there is none."""
        return self.family_name or self.primary_contact_name

    def deactivate(self) -> None:
        """Close the account; records are kept (Privacy Act retention)."""
        self.is_active = False

    @property
    def is_undeliverable(self) -> bool:
        """Mail to the family bounced permanently; nothing is sent until it is cleared."""
        return self.undeliverable_at is not None

    def wants(self, kind: NotificationKind) -> bool:
        """Whether the family receives ``kind`` (critical kinds always go)."""
        return kind.is_critical or kind not in self.notification_opt_outs

    def mark_undeliverable(self, reason: str, at: datetime) -> None:
        """A permanent bounce: stop sending until the address is corrected."""
        self.update(undeliverable_at=at, undeliverable_reason=reason[:500])

    def clear_undeliverable(self) -> None:
        """The address was corrected (or confirmed): send again."""
        self.update(undeliverable_at=None, undeliverable_reason=None)


@attrs.define(slots=False, eq=False, kw_only=True)
class Student(Entity):
    """A child who learns with the school; always belongs to one family."""

    id: UUID = attrs.field(factory=new_id, validator=c.of_type(UUID))
    organisation_id: UUID = attrs.field(validator=c.of_type(UUID))
    family_id: UUID = attrs.field(validator=c.of_type(UUID))
    first_name: str = attrs.field(validator=c.text(100))
    last_name: str = attrs.field(validator=c.text(100))
    date_of_birth: date = attrs.field(validator=c.a_date)
    gender: Gender | None = attrs.field(default=None, validator=c.optional(c.member_of(Gender)))
    medical_info: str | None = attrs.field(default=None, validator=c.optional(c.long_text))
    dietary_restrictions: str | None = attrs.field(default=None, validator=c.optional(c.long_text))
    allow_photo: bool = attrs.field(default=False, validator=c.of_type(bool))
    photo_url: str | None = attrs.field(default=None, validator=c.optional(c.http_url(500)))
    preferred_name: str | None = attrs.field(default=None, validator=c.optional(c.text(100)))
    pronouns: str | None = attrs.field(default=None, validator=c.optional(c.text(50)))
    student_login_email: str | None = attrs.field(
        default=None, validator=c.optional(c.email()), converter=c.lower_email
    )
    is_active: bool = attrs.field(default=True, validator=c.of_type(bool))
    created_at: datetime = attrs.field(factory=utc_now, validator=c.aware)
    version: int = attrs.field(default=1, validator=c.whole_number(1))

    @property
    def display_name(self) -> str:
        """The name staff call the child: preferred first name, then last name."""
        return display_name(self.first_name, self.preferred_name, self.last_name)

    @property
    def sort_key(self) -> tuple[str, str]:
        """Rolls sort students by last name, then first name, case-insensitively."""
        return sort_key(self.first_name, self.preferred_name, self.last_name)

    def age_on(self, day: date) -> int:
        """Age in whole years on ``day`` (a 29 February birthday counts from 1 March)."""
        born = self.date_of_birth
        before_birthday = (day.month, day.day) < (born.month, born.day)
        return day.year - born.year - int(before_birthday)

    def deactivate(self) -> None:
        """The child no longer studies here; records are kept."""
        self.is_active = False


def display_name(first_name: str, preferred_name: str | None, last_name: str) -> str:
    """A student's name as staff call the child: preferred first name, then last name."""
    return f"{preferred_name or first_name} {last_name}"


def sort_key(first_name: str, preferred_name: str | None, last_name: str) -> tuple[str, str]:
    """How rolls sort students: last name, then first name, case-insensitively."""
    return (last_name.casefold(), (preferred_name or first_name).casefold())
