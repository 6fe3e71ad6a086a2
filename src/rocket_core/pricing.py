"""Invoice arithmetic: tuition with proration and sibling discounts, GST, totals.

Pure functions over ``Decimal`` (computed exactly with ``fractions.Fraction``); every figure is
rounded once, to the cent, half up (away from zero), and the lines always add up.

The figures of a ``PricedLines``:

- ``subtotal`` = the sum of the lines (each ``quantity x unit_price``), after every discount
  and reduction line. It is never negative.
- ``discount`` = what the discount lines take off (the sibling discount; on a manual invoice,
  every negative line).
- ``proration`` = what the late-start line takes off the tuition (tuition only).
- GST-exclusive prices (the default): ``gst = subtotal x rate`` and ``total = subtotal + gst``.
- GST-inclusive prices (``OrganisationSettings.prices_include_gst``): the lines already include
  GST, so ``total = subtotal`` and ``gst = total x rate / (1 + rate)``, the GST share of it.

So ``sum(lines) == subtotal``, ``total == subtotal + gst`` (exclusive) or ``subtotal``
(inclusive), ``0 <= gst <= total``, and no figure has a fraction of a cent.

Tuition (``price_tuition``), decisions where the rules are silent:

- **Proration is its own line**: the tuition line keeps the caller's description ("<program> —
  <cohort>") and the full price, and a negative "Late start: 6 of 8 sessions" line takes off
  ``tuition - round(tuition x remaining / total)``, so the family sees the full price and why
  it pays less. No line when nothing is taken off. A cohort without sessions yet
  (``sessions_total == 0``) is not prorated.
- **The sibling discount applies to the prorated tuition**: ``round(prorated x rate)``, rate
  ``sibling_discount_second`` for the second child and ``sibling_discount_third_plus`` for the
  third and later; a negative "Sibling discount" line.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import attrs

from rocket_core.errors import ValidationError
from rocket_core.model import LineItem, OrganisationSettings
from rocket_core.model.checks import CENT, MONEY_LIMIT

ZERO = Decimal("0.00")


@attrs.frozen(kw_only=True)
class PricedLines:
    """An invoice's lines and figures (see the module docstring for how they relate)."""

    lines: tuple[LineItem, ...]
    subtotal: Decimal
    discount: Decimal
    gst: Decimal
    total: Decimal
    #: What the late-start line takes off the tuition (0.00 when not prorated).
    proration: Decimal = ZERO


def to_cents(value: Fraction | Decimal | int) -> Decimal:
    """``value`` rounded to whole cents, half up (halves away from zero), as a Decimal with
    two places; exact whatever the input's precision."""
    hundredths = Fraction(value) * 100
    magnitude = abs(hundredths)
    cents = (2 * magnitude.numerator + magnitude.denominator) // (2 * magnitude.denominator)
    return Decimal(-cents if hundredths < 0 else cents).scaleb(-2)


def sibling_discount_rate(sibling_rank: int, settings: OrganisationSettings) -> Decimal:
    """The discount rate of the ``sibling_rank``-th child (1 = the first: no discount)."""
    if sibling_rank <= 1:
        return Decimal(0)
    if sibling_rank == 2:
        return settings.sibling_discount_second
    return settings.sibling_discount_third_plus


def price_tuition(
    *,
    description: str,
    tuition: Decimal,
    sibling_rank: int,
    sessions_total: int,
    sessions_remaining: int,
    settings: OrganisationSettings,
) -> PricedLines:
    """The lines of an enrolment's invoice: the tuition line (``description``, full price),
    a late-start line when ``sessions_remaining < sessions_total``, a sibling discount line for
    the second (``sibling_rank`` 2) and later children, then GST per ``settings``.

    ``sessions_total`` and ``sessions_remaining`` count the cohort's sessions that are not
    cancelled (all of them, and those the student can still attend).
    """
    _require_amount("Pricing.tuition", tuition)
    _require_whole("Pricing.sibling_rank", sibling_rank, 1)
    _require_whole("Pricing.sessions_total", sessions_total, 0)
    _require_whole("Pricing.sessions_remaining", sessions_remaining, 0)
    if sessions_remaining > sessions_total:
        raise ValidationError("Pricing.sessions_remaining", "cannot exceed sessions_total")
    lines = [LineItem(description=description, quantity=1, unit_price=tuition)]
    prorated = tuition
    if sessions_total and sessions_remaining < sessions_total:
        prorated = to_cents(Fraction(tuition) * sessions_remaining / sessions_total)
    proration = tuition - prorated
    if proration > ZERO:
        lines.append(
            LineItem(
                description=(
                    f"Late start: {sessions_remaining} of {sessions_total} sessions remaining"
                ),
                quantity=1,
                unit_price=-proration,
            )
        )
    rate = sibling_discount_rate(sibling_rank, settings)
    discount = to_cents(Fraction(prorated) * Fraction(rate))
    if discount > ZERO:
        lines.append(
            LineItem(
                description=(
                    f"Sibling discount: {_percent(rate)}% off for the"
                    f" {_ordinal(sibling_rank)} child"
                ),
                quantity=1,
                unit_price=-discount,
            )
        )
    return _with_gst(tuple(lines), discount=discount, proration=proration, settings=settings)


def price_lines(lines: Sequence[LineItem], settings: OrganisationSettings) -> PricedLines:
    """The figures of free lines (a manual invoice): ``discount`` is what the negative lines
    take off; the lines may not add up to less than 0.00."""
    items = tuple(lines)
    for line in items:
        if not isinstance(line, LineItem):
            raise ValidationError("Invoice.line_items", "must hold LineItem values")
    discount = ZERO - sum((line.amount for line in items if line.amount < ZERO), ZERO)
    return _with_gst(items, discount=discount, proration=ZERO, settings=settings)


# -- helpers ------------------------------------------------------------------------------------


def _with_gst(
    lines: tuple[LineItem, ...],
    *,
    discount: Decimal,
    proration: Decimal,
    settings: OrganisationSettings,
) -> PricedLines:
    subtotal = sum((line.amount for line in lines), ZERO)
    if subtotal < ZERO:
        raise ValidationError("Invoice.line_items", "cannot add up to less than 0.00")
    rate = Fraction(settings.gst_rate)
    if settings.prices_include_gst:
        total = subtotal
        gst = to_cents(Fraction(total) * rate / (1 + rate))
    else:
        gst = to_cents(Fraction(subtotal) * rate)
        total = subtotal + gst
    if total >= MONEY_LIMIT:
        raise ValidationError("Invoice.total_amount", "must be less than 100,000,000.00")
    return PricedLines(
        lines=lines,
        subtotal=subtotal.quantize(CENT),
        discount=discount.quantize(CENT),
        gst=gst,
        total=total.quantize(CENT),
        proration=proration.quantize(CENT),
    )


def _require_amount(field: str, value: object) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationError(field, "must be a finite Decimal amount")
    if value < 0:
        raise ValidationError(field, "cannot be negative")
    if value >= MONEY_LIMIT:
        raise ValidationError(field, "must be less than 100,000,000.00")
    if value != value.quantize(CENT):
        raise ValidationError(field, "must be a whole number of cents")


def _require_whole(field: str, value: object, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValidationError(field, "must be a whole number")
    if value < minimum:
        raise ValidationError(field, f"must be at least {minimum}")


def _percent(rate: Decimal) -> str:
    """0.10 -> "10", 0.125 -> "12.5"."""
    return format((rate * 100).normalize(), "f")


def _ordinal(n: int) -> str:
    """2 -> "2nd", 3 -> "3rd", 11 -> "11th"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
