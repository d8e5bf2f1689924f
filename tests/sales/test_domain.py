"""Pure rules of sales/domain.py: the credit split, credited amounts and a record's
values. No database."""

import datetime
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import DomainError
from sales import domain
from tests.sales.helpers import credit_stub as credit

# --- credit split ---------------------------------------------------------------------------


def test_a_split_adding_up_to_100_is_accepted_and_returned_as_decimals():
    assert domain.check_credit_split([("sam", "60"), ("tina", D("40.00"))]) == [D(60), D(40)]


def test_a_single_salesperson_with_100_percent_is_accepted():
    assert domain.check_credit_split([("sam", 100)]) == [D(100)]


@pytest.mark.parametrize(
    ("shares", "expected"),
    [
        ([("sam", "60"), ("tina", "30")], "add up to 90 %"),
        ([("sam", "60"), ("tina", "40.01")], "add up to 100.01 %"),
    ],
)
def test_a_split_not_adding_up_to_100_is_refused_with_the_actual_sum(shares, expected):
    with pytest.raises(DomainError, match=expected):
        domain.check_credit_split(shares)


def test_an_empty_split_is_refused():
    with pytest.raises(DomainError, match="at least one salesperson"):
        domain.check_credit_split([])


@pytest.mark.parametrize("share", ["0", "-10"])
def test_a_share_of_zero_or_below_is_refused_naming_the_person(share):
    with pytest.raises(DomainError, match="share of tina must be above 0"):
        domain.check_credit_split([("sam", "100"), ("tina", share)])


def test_a_person_credited_twice_is_refused():
    with pytest.raises(DomainError, match="sam is credited twice"):
        domain.check_credit_split([("sam", "50"), ("sam", "50")])


def test_a_share_that_is_not_a_number_is_refused_naming_the_person():
    with pytest.raises(DomainError, match="share of sam is not a number"):
        domain.check_credit_split([("sam", "half")])


def test_a_share_with_more_than_two_decimals_is_refused():
    with pytest.raises(DomainError, match="more than 2 decimals"):
        domain.check_credit_split([("sam", "33.333"), ("tina", "66.667")])


# --- credited amounts ----------------------------------------------------------------------


def test_credited_amounts_add_up_to_the_record_to_the_cent():
    parts = domain.credited_amounts(D("100.00"), [D("33.33"), D("33.33"), D("33.34")])
    assert sum(parts) == D("100.00")
    assert parts == [D("33.33"), D("33.33"), D("33.34")]


def test_an_odd_cent_goes_to_the_largest_remainder():
    assert domain.credited_amounts(D("0.01"), [D(50), D(50)]) == [D("0.01"), D("0.00")]


def test_a_negative_record_is_credited_in_negative_parts_adding_up_to_it():
    parts = domain.credited_amounts(D("-10.01"), [D(50), D(50)])
    assert parts == [D("-5.01"), D("-5.00")]


def test_a_zero_amount_credits_zero_to_everybody():
    assert domain.credited_amounts(D(0), [D(60), D(40)]) == [D("0.00"), D("0.00")]


def test_a_lone_share_is_rounded_half_up_to_the_cent():
    assert domain.credited_amount(D("10.05"), D(50)) == D("5.03")


shares_strategy = st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=8).map(
    lambda raw: _to_percentages(raw)
)


def _to_percentages(raw: list[int]) -> list[D]:
    """Positive shares with 2 decimals adding up to exactly 100."""
    cents = domain.credited_amounts(D(100), [D(r) for r in raw])
    return [c for c in cents if c > 0] or [D(100)]


@settings(deadline=None, max_examples=300)
@given(
    amount=st.decimals(
        min_value=D("-1e9"), max_value=D("1e9"), places=2, allow_nan=False, allow_infinity=False
    ),
    shares=shares_strategy,
)
def test_credited_amounts_always_add_up_exactly_to_the_amount(amount, shares):
    assert sum(shares) == D(100)
    parts = domain.credited_amounts(amount, shares)
    assert sum(parts) == amount
    assert len(parts) == len(shares)
    # Each part is within a cent of its exact share, and never the other sign.
    for part, share in zip(parts, shares, strict=True):
        assert abs(part - amount * share / 100) < D("0.01")
        assert part * amount >= 0


# --- record values -------------------------------------------------------------------------


def test_a_sale_with_consistent_values_is_accepted():
    assert domain.check_record_values("1200.50", "3", "300", "1000") == (
        D("1200.50"),
        D(3),
        D(300),
        D(1000),
    )


def test_a_return_is_a_negative_record_with_values_of_the_same_sign():
    assert domain.check_record_values("-100", "-1", "-20", "-100")[0] == D(-100)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (("100", "1", "10", "150"), "Collected amount 150 exceeds the amount 100"),
        (("100", "1", "120", "0"), "Gross margin 120 cannot exceed the amount 100"),
        (("100", "-1", "10", "0"), "the quantity -1 is negative: for a sale make the quantity"),
        (("-100", "1", "-10", "0"), "make the quantity negative too \\(-1 instead of 1\\)"),
        (("-100", "-1", "-10", "5"), "Collected amount 5 goes the other way"),
        (("100.001", "1", "10", "0"), "Amount has more than 2 decimals"),
        (("abc", "1", "10", "0"), "Amount is not a number"),
        (("100", "x", "10", "0"), "Quantity is not a number"),
    ],
)
def test_inconsistent_record_values_are_refused_naming_the_value(values, message):
    with pytest.raises(DomainError, match=message):
        domain.check_record_values(*values)


def test_a_collected_amount_without_its_date_is_refused():
    with pytest.raises(DomainError, match="date the amount was collected"):
        domain.check_collection(D(10), None)
    domain.check_collection(D(0), None)


def test_nothing_is_collected_before_the_sale():
    sold = datetime.date(2026, 3, 10)
    domain.check_collection(D(10), sold, sold)
    domain.check_collection(D(10), datetime.date(2026, 3, 11), sold)
    with pytest.raises(domain.RecordValueError) as refused:
        domain.check_collection(D(10), datetime.date(2026, 3, 9), sold)
    assert refused.value.field == "collected_on"
    assert str(refused.value) == (
        "The collection date 2026-03-09 is before the sale's date 2026-03-10: an amount is "
        "collected on or after the day of the sale."
    )


# --- no dates in the future ---------------------------------------------------------------


TODAY = datetime.date(2026, 8, 19)


@pytest.mark.parametrize("field", ["date", "collected_on", "happened_on", "became_customer_on"])
def test_a_day_of_clock_skew_is_allowed_and_not_more(field):
    domain.check_not_future(None, field=field, today=TODAY)
    domain.check_not_future(TODAY, field=field, today=TODAY)
    domain.check_not_future(datetime.date(2026, 8, 20), field=field, today=TODAY)
    with pytest.raises(domain.DateRuleError) as refused:
        domain.check_not_future(datetime.date(2026, 8, 21), field=field, today=TODAY)
    assert refused.value.field == field
    assert "2026-08-21 is in the future: the latest date allowed is 2026-08-20." in str(
        refused.value
    )


def test_the_future_date_messages_say_what_to_do():
    def message(field):
        with pytest.raises(domain.DateRuleError) as refused:
            domain.check_not_future(datetime.date(2027, 1, 1), field=field, today=TODAY)
        return str(refused.value)

    assert message("date").startswith("The sale's date 2027-01-01 is in the future")
    assert "once the money is received" in message("collected_on")
    assert "give it as the next action date" in message("happened_on")
    assert message("became_customer_on").startswith("The customer-since date 2027-01-01")


# --- what a change does to the monthly totals ---------------------------------------------


def test_the_months_changed_are_those_whose_totals_move():
    april, may = datetime.date(2026, 4, 10), datetime.date(2026, 5, 5)
    old = [credit(1, april, "60", "60", may), credit(2, april, "40", "40", may)]
    assert domain.months_changed(old, old) == []
    # The product or another field the totals do not hold: nothing moves.
    assert domain.months_changed(old, [credit(1, april, "60", "60", may),
                                       credit(2, april, "40", "40", may)]) == []  # fmt: skip
    # A new amount moves April only; a new split moves April and May.
    more = [credit(1, april, "70", "60", may), credit(2, april, "40", "40", may)]
    assert domain.months_changed(old, more) == [datetime.date(2026, 4, 1)]
    split = [credit(1, april, "100", "100", may)]
    assert domain.months_changed(old, split) == [
        datetime.date(2026, 4, 1),
        datetime.date(2026, 5, 1),
    ]
    # Another team for the same person and amounts moves both months too.
    moved = [credit(1, april, "60", "60", may, team=8), credit(2, april, "40", "40", may)]
    assert domain.months_changed(old, moved) == [
        datetime.date(2026, 4, 1),
        datetime.date(2026, 5, 1),
    ]
    # Cancelled: every month it counted in.
    cancelled = [credit(c.person_id, april, c.amount, c.collected_amount, may, booked=False)
                 for c in old]  # fmt: skip
    assert domain.months_changed(old, cancelled) == [
        datetime.date(2026, 4, 1),
        datetime.date(2026, 5, 1),
    ]
