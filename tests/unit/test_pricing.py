"""Invoice arithmetic (rocket_core.pricing): worked examples, bad input, and Hypothesis
properties — the lines always add up to the cent, nothing is negative or has a fraction of a
cent, GST never exceeds the total, inclusive and exclusive GST, discounts and proration."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rocket_core.errors import ValidationError
from rocket_core.model import LineItem, OrganisationSettings
from rocket_core.pricing import (
    PricedLines,
    price_lines,
    price_tuition,
    sibling_discount_rate,
    to_cents,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
EXCLUSIVE = OrganisationSettings()
INCLUSIVE = OrganisationSettings(prices_include_gst=True)
TUITION = "Scratch Basics — Term 1 Mon"


def tuition(**overrides: Any) -> PricedLines:
    values: dict[str, Any] = {
        "description": TUITION,
        "tuition": Decimal("320.00"),
        "sibling_rank": 1,
        "sessions_total": 8,
        "sessions_remaining": 8,
        "settings": EXCLUSIVE,
    }
    return price_tuition(**{**values, **overrides})


def amounts(priced: PricedLines) -> list[tuple[str, Decimal]]:
    return [(line.description, line.amount) for line in priced.lines]


# -- worked examples ----------------------------------------------------------------------------


def test_full_price_first_child_gst_added_on_top() -> None:
    priced = tuition()
    assert amounts(priced) == [(TUITION, Decimal("320.00"))]
    assert (priced.subtotal, priced.discount, priced.proration) == (
        Decimal("320.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert (priced.gst, priced.total) == (Decimal("32.00"), Decimal("352.00"))


def test_second_child_gets_ten_percent_off_in_a_line_of_its_own() -> None:
    priced = tuition(sibling_rank=2)
    assert amounts(priced) == [
        (TUITION, Decimal("320.00")),
        ("Sibling discount: 10% off for the 2nd child", Decimal("-32.00")),
    ]
    assert (priced.subtotal, priced.discount) == (Decimal("288.00"), Decimal("32.00"))
    assert (priced.gst, priced.total) == (Decimal("28.80"), Decimal("316.80"))


@pytest.mark.parametrize(("rank", "word"), [(3, "3rd"), (4, "4th"), (11, "11th"), (22, "22nd")])
def test_third_and_later_children_get_fifteen_percent_off(rank: int, word: str) -> None:
    priced = tuition(sibling_rank=rank)
    assert amounts(priced)[1] == (
        f"Sibling discount: 15% off for the {word} child",
        Decimal("-48.00"),
    )
    assert priced.total == Decimal("299.20")  # 272.00 + 27.20


def test_joining_late_takes_the_missed_sessions_off_in_a_late_start_line() -> None:
    priced = tuition(sessions_total=8, sessions_remaining=6)
    assert amounts(priced) == [
        (TUITION, Decimal("320.00")),
        ("Late start: 6 of 8 sessions remaining", Decimal("-80.00")),
    ]
    assert (priced.proration, priced.discount, priced.subtotal) == (
        Decimal("80.00"),
        Decimal("0.00"),
        Decimal("240.00"),
    )
    assert priced.total == Decimal("264.00")


def test_the_sibling_discount_applies_to_the_prorated_tuition() -> None:
    # 100.00 x 2/3 = 66.666.. -> 66.67 (reduction 33.33); 10% of 66.67 = 6.667 -> 6.67.
    priced = tuition(
        tuition=Decimal("100.00"), sibling_rank=2, sessions_total=3, sessions_remaining=2
    )
    assert [amount for _, amount in amounts(priced)] == [
        Decimal("100.00"),
        Decimal("-33.33"),
        Decimal("-6.67"),
    ]
    assert priced.subtotal == Decimal("60.00")
    assert (priced.gst, priced.total) == (Decimal("6.00"), Decimal("66.00"))


def test_halves_round_up() -> None:
    # 0.05 x 10% = 0.005 -> 0.01 (banker's rounding would give 0.00).
    assert tuition(tuition=Decimal("0.05")).gst == Decimal("0.01")
    # 0.25 x 10% = 0.025 -> 0.03 (banker's: 0.02).
    assert tuition(tuition=Decimal("0.25")).gst == Decimal("0.03")
    # 1.00 x 1/8 = 0.125 -> 0.13 paid, 0.87 off.
    priced = tuition(tuition=Decimal("1.00"), sessions_total=8, sessions_remaining=1)
    assert priced.proration == Decimal("0.87")


def test_prices_including_gst_keep_the_total_and_show_the_gst_share() -> None:
    priced = tuition(settings=INCLUSIVE)
    assert (priced.subtotal, priced.total) == (Decimal("320.00"), Decimal("320.00"))
    assert priced.gst == Decimal("29.09")  # 320 / 11 = 29.0909..
    second = tuition(settings=INCLUSIVE, sibling_rank=2)
    assert (second.total, second.gst) == (Decimal("288.00"), Decimal("26.18"))


def test_no_gst_rate_means_no_gst() -> None:
    settings = OrganisationSettings(gst_rate=Decimal("0"))
    priced = tuition(settings=settings)
    assert (priced.gst, priced.total) == (Decimal("0.00"), Decimal("320.00"))


def test_no_remaining_session_costs_nothing_and_a_cohort_without_sessions_is_not_prorated() -> None:
    nothing = tuition(sessions_total=4, sessions_remaining=0, sibling_rank=2)
    assert amounts(nothing) == [
        (TUITION, Decimal("320.00")),
        ("Late start: 0 of 4 sessions remaining", Decimal("-320.00")),
    ]
    assert (nothing.total, nothing.gst, nothing.discount) == (ZERO, ZERO, ZERO)
    unscheduled = tuition(sessions_total=0, sessions_remaining=0)
    assert unscheduled.total == Decimal("352.00")
    assert len(unscheduled.lines) == 1


def test_a_free_program_is_one_zero_line() -> None:
    priced = tuition(tuition=Decimal("0.00"), sibling_rank=3, sessions_remaining=2)
    assert amounts(priced) == [(TUITION, Decimal("0.00"))]
    assert priced.total == ZERO


def test_sibling_discount_rates_follow_the_settings() -> None:
    settings = OrganisationSettings(
        sibling_discount_second=Decimal("0.05"), sibling_discount_third_plus=Decimal("0.125")
    )
    assert [sibling_discount_rate(rank, settings) for rank in (1, 2, 3, 7)] == [
        Decimal(0),
        Decimal("0.05"),
        Decimal("0.125"),
        Decimal("0.125"),
    ]
    priced = tuition(settings=settings, sibling_rank=3, tuition=Decimal("100.00"))
    assert amounts(priced)[1] == (
        "Sibling discount: 12.5% off for the 3rd child",
        Decimal("-12.50"),
    )


def test_manual_lines_add_up_with_quantities_and_discount_lines() -> None:
    lines = [
        LineItem(description="Robotics kit", quantity=2, unit_price=Decimal("45.50")),
        LineItem(description="Late pick-up fee", quantity=1, unit_price=Decimal("15.00")),
        LineItem(description="Loyalty discount", quantity=1, unit_price=Decimal("-6.00")),
    ]
    priced = price_lines(lines, EXCLUSIVE)
    assert priced.lines == tuple(lines)
    assert (priced.subtotal, priced.discount) == (Decimal("100.00"), Decimal("6.00"))
    assert (priced.gst, priced.total) == (Decimal("10.00"), Decimal("110.00"))
    inclusive = price_lines(lines, INCLUSIVE)
    assert (inclusive.total, inclusive.gst) == (Decimal("100.00"), Decimal("9.09"))


def test_to_cents_rounds_half_away_from_zero_exactly() -> None:
    assert to_cents(Decimal("2.675")) == Decimal("2.68")
    assert to_cents(Decimal("-2.675")) == Decimal("-2.68")
    assert to_cents(Decimal("2.67499999999999999999999999999")) == Decimal("2.67")
    assert str(to_cents(0)) == "0.00"


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tuition": Decimal("-1.00")}, "Pricing.tuition"),
        ({"tuition": Decimal("10.005")}, "Pricing.tuition"),
        ({"tuition": Decimal("NaN")}, "Pricing.tuition"),
        ({"tuition": 320}, "Pricing.tuition"),
        ({"tuition": Decimal("100000000.00")}, "Pricing.tuition"),
        ({"sibling_rank": 0}, "Pricing.sibling_rank"),
        ({"sibling_rank": True}, "Pricing.sibling_rank"),
        ({"sessions_total": -1}, "Pricing.sessions_total"),
        ({"sessions_remaining": -1}, "Pricing.sessions_remaining"),
        ({"sessions_remaining": 9}, "Pricing.sessions_remaining"),
        ({"description": " "}, "LineItem.description"),
    ],
)
def test_bad_tuition_input_is_refused_naming_the_field(
    overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        tuition(**overrides)
    assert caught.value.field == field


def test_lines_that_add_up_to_less_than_nothing_are_refused() -> None:
    lines = [
        LineItem(description="Kit", unit_price=Decimal("10.00")),
        LineItem(description="Too generous", unit_price=Decimal("-10.01")),
    ]
    with pytest.raises(ValidationError) as caught:
        price_lines(lines, EXCLUSIVE)
    assert caught.value.field == "Invoice.line_items"


def test_a_total_beyond_the_money_limit_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        tuition(tuition=Decimal("99999999.99"))  # + 10% GST
    assert caught.value.field == "Invoice.total_amount"


def test_sub_cent_and_non_line_values_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        LineItem(description="Kit", unit_price=Decimal("1.001"))
    assert caught.value.field == "LineItem.unit_price"
    with pytest.raises(ValidationError):
        price_lines(["Kit 10.00"], EXCLUSIVE)  # type: ignore[list-item]


# -- properties ---------------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=2_000_000_00).map(lambda n: Decimal(n).scaleb(-2))
rates = st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n).scaleb(-4))
settings_strategy = st.builds(
    OrganisationSettings,
    gst_rate=rates,
    prices_include_gst=st.booleans(),
    sibling_discount_second=rates,
    sibling_discount_third_plus=rates,
)


@st.composite
def tuition_cases(draw: st.DrawFn) -> dict[str, Any]:
    total = draw(st.integers(min_value=0, max_value=60))
    return {
        "description": TUITION,
        "tuition": draw(cents),
        "sibling_rank": draw(st.integers(min_value=1, max_value=8)),
        "sessions_total": total,
        "sessions_remaining": draw(st.integers(min_value=0, max_value=total)),
        "settings": draw(settings_strategy),
    }


def is_cents(value: Decimal) -> bool:
    return isinstance(value, Decimal) and value == value.quantize(CENT) and value.is_finite()


def oracle(value: Decimal) -> Decimal:
    """Decimal's own ROUND_HALF_UP, computed with ample precision: an independent check."""
    with localcontext() as context:
        context.prec = 60
        return value.quantize(CENT, rounding=ROUND_HALF_UP)


def assert_adds_up(priced: PricedLines, settings: OrganisationSettings) -> None:
    figures = (priced.subtotal, priced.discount, priced.gst, priced.total, priced.proration)
    assert all(is_cents(figure) and figure >= 0 for figure in figures), figures
    assert all(is_cents(line.unit_price) for line in priced.lines)
    assert sum((line.amount for line in priced.lines), ZERO) == priced.subtotal
    assert priced.total >= priced.gst >= 0
    if settings.prices_include_gst:
        assert priced.total == priced.subtotal
        with localcontext() as context:
            context.prec = 60
            share = priced.total * settings.gst_rate / (1 + settings.gst_rate)
        assert priced.gst == oracle(share)
    else:
        assert priced.total == priced.subtotal + priced.gst
        assert priced.gst == oracle(priced.subtotal * settings.gst_rate)


@given(tuition_cases())
def test_tuition_always_adds_up_to_the_cent_and_is_never_negative(case: dict[str, Any]) -> None:
    priced = price_tuition(**case)
    settings = case["settings"]
    assert_adds_up(priced, settings)
    full = case["tuition"]
    positives = sum((line.amount for line in priced.lines if line.amount > 0), ZERO)
    assert positives == full  # the tuition line keeps the full price
    assert priced.subtotal == full - priced.proration - priced.discount
    assert priced.lines[0].description == TUITION
    assert priced.lines[0].unit_price == full
    # Proration: what is paid is the tuition x remaining / total, half up.
    remaining, total = case["sessions_remaining"], case["sessions_total"]
    prorated = oracle(full * remaining / total) if total else full
    assert full - priced.proration == prorated
    # The sibling discount: the rank's rate of the prorated tuition, half up.
    rate = sibling_discount_rate(case["sibling_rank"], settings)
    assert priced.discount == oracle(prorated * rate)
    assert priced.subtotal <= full
    # Only lines that take something off, and each says what.
    assert all(line.amount != 0 for line in priced.lines[1:])
    assert len(priced.lines) == 1 + (priced.proration > 0) + (priced.discount > 0)


line_items = st.builds(
    LineItem,
    description=st.sampled_from(["Kit", "Excursion", "T-shirt", "Late fee"]),
    quantity=st.integers(min_value=1, max_value=50),
    unit_price=st.integers(min_value=0, max_value=500_000).map(lambda n: Decimal(n).scaleb(-2)),
)


@given(st.lists(line_items, min_size=1, max_size=12), settings_strategy)
def test_manual_lines_always_add_up(lines: list[LineItem], settings: OrganisationSettings) -> None:
    priced = price_lines(lines, settings)
    assert_adds_up(priced, settings)
    assert priced.discount == ZERO
    assert priced.lines == tuple(lines)


@given(
    st.lists(line_items, min_size=1, max_size=8),
    st.lists(st.integers(min_value=1, max_value=100_000), max_size=4),
    settings_strategy,
)
def test_discount_lines_never_take_a_total_below_nothing(
    lines: list[LineItem], discounts: list[int], settings: OrganisationSettings
) -> None:
    items = [
        *lines,
        *(LineItem(description="Discount", unit_price=-Decimal(n).scaleb(-2)) for n in discounts),
    ]
    gross = sum((line.amount for line in lines), ZERO)
    off = sum((Decimal(n).scaleb(-2) for n in discounts), ZERO)
    if off > gross:
        with pytest.raises(ValidationError):
            price_lines(items, settings)
        return
    priced = price_lines(items, settings)
    assert_adds_up(priced, settings)
    assert priced.discount == off
    assert priced.subtotal == gross - off


@given(st.decimals(min_value=-10_000, max_value=10_000, places=8))
def test_to_cents_is_decimal_half_up(value: Decimal) -> None:
    rounded = to_cents(value)
    assert is_cents(rounded)
    assert rounded == oracle(value)
