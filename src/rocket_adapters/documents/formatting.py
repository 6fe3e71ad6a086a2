"""How billing documents write money, dates, ABNs and rates (Australian conventions)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def money(amount: Decimal) -> str:
    """``$1,234.50`` (``-$30.00`` when negative), from a Decimal only: a float is refused, so
    no binary rounding ever reaches a document."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise TypeError(f"money must be a finite Decimal, not {amount!r}")
    cents = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents):,.2f}"


def long_date(day: date) -> str:
    """``05 March 2026``: day, month name, year (no locale involved)."""
    return f"{day.day:02d} {_MONTHS[day.month - 1]} {day.year:04d}"


def abn(value: str) -> str:
    """An ABN as the ATO writes it: ``51 824 753 556`` (spaces in the input are ignored)."""
    digits = value.replace(" ", "")
    if len(digits) != 11 or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"not an ABN: {value!r}")
    return f"{digits[:2]} {digits[2:5]} {digits[5:8]} {digits[8:]}"


def percent(rate: Decimal) -> str:
    """A fraction as a percentage without trailing zeros: 0.10 -> ``10%``, 0.125 -> ``12.5%``."""
    value = (rate * 100).normalize()
    return f"{value:f}%"
