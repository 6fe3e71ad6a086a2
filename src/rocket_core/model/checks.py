"""Field rules shared by the entities: what the SQL schema would enforce, checked in Python.

Each helper returns an attrs validator. A violation raises the domain's ValidationError
naming the field as ``Entity.field`` and the rule it breaks, so nothing half-built escapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from rocket_core.errors import ValidationError

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]

AU_STATES = frozenset({"ACT", "NSW", "NT", "QLD", "SA", "TAS", "VIC", "WA"})
CENT = Decimal("0.01")
MONEY_LIMIT = Decimal("100000000")  # NUMERIC(10,2): at most 99,999,999.99

_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_POSTCODE = re.compile(r"[0-9]{4}")
_HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
_PHONE = re.compile(r"\+?\(?[0-9][0-9 ()\-]{5,}")
_ABN_WEIGHTS = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)


def field_name(instance: Any, attribute: attrs.Attribute[Any]) -> str:
    """``Entity.field``, the name every ValidationError carries."""
    return f"{type(instance).__name__}.{attribute.name}"


def fail(instance: Any, attribute: attrs.Attribute[Any], rule: str) -> ValidationError:
    """Build the ValidationError for a field of an instance."""
    return ValidationError(field_name(instance, attribute), rule)


def optional(validator: Validator) -> Validator:
    """Accept None, otherwise apply ``validator``."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            validator(instance, attribute, value)

    return check


def text(max_length: int, *, required: bool = True) -> Validator:
    """A string of at most ``max_length`` characters; when required, not blank."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, str):
            raise fail(instance, attribute, "must be text")
        if required and not value.strip():
            raise fail(instance, attribute, "is required and cannot be blank")
        if len(value) > max_length:
            raise fail(instance, attribute, f"must be at most {max_length} characters")

    return check


def long_text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """Free text (SQL TEXT): any string."""
    if not isinstance(value, str):
        raise fail(instance, attribute, "must be text")


def email(max_length: int = 255) -> Validator:
    """An e-mail address: one @, a dotted domain, no spaces."""
    length = text(max_length)

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        length(instance, attribute, value)
        if not _EMAIL.fullmatch(value):
            raise fail(instance, attribute, f"{value!r} is not an e-mail address")

    return check


def phone(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A phone number: digits, spaces, brackets, dashes and a leading +; at most 20 characters."""
    text(20)(instance, attribute, value)
    if not _PHONE.fullmatch(value):
        raise fail(instance, attribute, f"{value!r} is not a phone number")


def au_state(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An Australian state or territory code."""
    if value not in AU_STATES:
        raise fail(instance, attribute, f"must be one of {', '.join(sorted(AU_STATES))}")


def postcode(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An Australian postcode: exactly four digits."""
    if not isinstance(value, str) or not _POSTCODE.fullmatch(value):
        raise fail(instance, attribute, "must be exactly 4 digits")


def hex_colour(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A colour as #RRGGBB."""
    if not isinstance(value, str) or not _HEX_COLOUR.fullmatch(value):
        raise fail(instance, attribute, "must be a hex colour like #1A2B3C")


def is_valid_abn(value: str) -> bool:
    """True when ``value`` is 11 digits (spaces ignored) with a valid ABN checksum."""
    digits = value.replace(" ", "")
    if len(digits) != 11 or not (digits.isascii() and digits.isdigit()):
        return False
    numbers = [int(d) for d in digits]
    numbers[0] -= 1
    return sum(w * n for w, n in zip(_ABN_WEIGHTS, numbers, strict=True)) % 89 == 0


def abn(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An Australian Business Number: 11 digits whose checksum holds."""
    text(20, required=False)(instance, attribute, value)
    if not is_valid_abn(value):
        raise fail(instance, attribute, "must be an ABN: 11 digits with a valid checksum")


def timezone_name(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """An IANA time zone name such as Australia/Melbourne."""
    text(50)(instance, attribute, value)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail(instance, attribute, f"{value!r} is not a known time zone") from None


def http_url(max_length: int = 500) -> Validator:
    """An absolute http or https URL."""
    length = text(max_length)

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        length(instance, attribute, value)
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise fail(instance, attribute, "must be an http or https URL")

    return check


def money(*, signed: bool = False) -> Validator:
    """An amount of AUD: Decimal, whole cents, within NUMERIC(10,2); not negative unless signed."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, Decimal) or not value.is_finite():
            raise fail(instance, attribute, "must be a finite Decimal amount")
        if abs(value) >= MONEY_LIMIT:
            raise fail(instance, attribute, "must be less than 100,000,000.00")
        if value != value.quantize(CENT):
            raise fail(instance, attribute, "must be a whole number of cents")
        if not signed and value < 0:
            raise fail(instance, attribute, "cannot be negative")

    return check


def whole_number(minimum: int | None = None, maximum: int | None = None) -> Validator:
    """An int (not a bool) within the given bounds."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail(instance, attribute, "must be a whole number")
        if minimum is not None and value < minimum:
            raise fail(instance, attribute, f"must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise fail(instance, attribute, f"must be at most {maximum}")

    return check


def of_type(*types: type) -> Validator:
    """An instance of one of ``types`` (bool is not accepted where int is asked)."""
    names = " or ".join(t.__name__ for t in types)

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise fail(instance, attribute, f"must be a {names}")

    return check


def member_of(enum: type[Enum]) -> Validator:
    """A member of ``enum``; a plain string must be converted by the caller."""
    allowed = ", ".join(str(m.value) for m in enum)

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, enum):
            raise fail(instance, attribute, f"must be one of {allowed}")

    return check


def a_date(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A calendar date (not a datetime)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise fail(instance, attribute, "must be a date")


def a_time(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A wall-clock time of day, in the campus's local time."""
    if not isinstance(value, time) or value.tzinfo is not None:
        raise fail(instance, attribute, "must be a local time of day without a time zone")


def aware(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A timezone-aware datetime: instants are never naive."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise fail(instance, attribute, "must be a timezone-aware datetime")


def require(condition: bool, field: str, rule: str) -> None:
    """Raise ValidationError(field, rule) unless ``condition`` holds (cross-field rules)."""
    if not condition:
        raise ValidationError(field, rule)


def lower_email(value: str) -> str:
    """Converter: e-mail addresses compare case-insensitively, so they are stored lower-case."""
    return value.strip().lower() if isinstance(value, str) else value
