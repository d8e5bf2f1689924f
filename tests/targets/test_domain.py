"""Pure rules of targets/domain.py: splitting, rounding, seasonality, allocation,
tolerance, proration and adjustments. No database."""

import datetime
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.errors import DomainError
from targets import domain

# --- largest-remainder rounding ------------------------------------------------------------


def test_money_is_split_to_the_cent_and_adds_up_exactly():
    parts = domain.split_by_weights(D("100.00"), [1, 1, 1], 2)
    assert parts == [D("33.34"), D("33.33"), D("33.33")]
    assert sum(parts) == D("100.00")
    assert all(p.as_tuple().exponent == -2 for p in parts)


def test_counts_are_split_in_whole_numbers():
    parts = domain.split_by_weights(D("10"), [1, 1, 1], 0)
    assert parts == [D(4), D(3), D(3)]
    assert all(p == p.to_integral_value() for p in parts)


def test_ties_go_to_the_earlier_part_every_time():
    assert domain.split_by_weights(D("0.02"), [1, 1, 1, 1], 2) == [
        D("0.01"),
        D("0.01"),
        D("0"),
        D("0"),
    ]
    assert domain.split_equally(D("5"), 4, 0) == [D(2), D(1), D(1), D(1)]
    # the same input always gives the same output
    assert domain.split_by_weights(D("7"), [3, 3, 1], 0) == domain.split_by_weights(
        D("7"), [3, 3, 1], 0
    )


def test_the_largest_remainder_wins_the_leftover_quantum():
    # exact shares 1.5, 2.7, 0.8 -> floors 1, 2, 0 with 2 left: to 0.8 then 0.7
    assert domain.split_by_weights(D("5"), [D("1.5"), D("2.7"), D("0.8")], 0) == [
        D(1),
        D(3),
        D(1),
    ]


def test_a_zero_weight_gets_nothing():
    assert domain.split_by_weights(D("10.00"), [0, 1, 1], 2) == [D("0"), D("5.00"), D("5.00")]


def test_a_split_is_exact_even_for_weights_that_decimals_cannot_represent():
    parts = domain.split_by_weights(D("1000000.00"), [D(1), D(10) ** 30 - 1, D(3)], 2)
    assert sum(parts) == D("1000000.00")


@pytest.mark.parametrize(
    ("total", "weights", "places", "message"),
    [
        (D("-1"), [1], 2, "negative"),
        (D("10"), [], 2, "nothing to split"),
        (D("10"), [1, -1], 2, "weight cannot be negative"),
        (D("10"), [0, 0], 2, "add up to zero"),
        (D("10.5"), [1, 1], 0, "more than 0 decimals"),
    ],
)
def test_a_split_refuses_bad_input_with_a_message(total, weights, places, message):
    with pytest.raises(DomainError, match=message):
        domain.split_by_weights(total, weights, places)


places_st = st.sampled_from([0, 2])


@st.composite
def totals_and_weights(draw):
    places = draw(places_st)
    units = draw(st.integers(min_value=0, max_value=10**15))
    total = D(units).scaleb(-places)
    weights = draw(
        st.lists(
            st.one_of(
                st.integers(min_value=0, max_value=10**6).map(D),
                st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False),
            ),
            min_size=1,
            max_size=40,
        )
    )
    assume(sum(weights) > 0)
    return total, weights, places


@settings(deadline=None)
@given(totals_and_weights())
def test_parts_always_add_up_to_the_total_none_is_negative_and_each_is_within_a_quantum(case):
    total, weights, places = case
    parts = domain.split_by_weights(total, weights, places)
    assert len(parts) == len(weights)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    quantum = Fraction(D(1).scaleb(-places))
    weight_sum = sum(Fraction(w) for w in weights)
    for part, weight in zip(parts, weights, strict=True):
        assert part == part.quantize(D(1).scaleb(-places))
        exact = Fraction(total) * Fraction(weight) / weight_sum
        assert abs(Fraction(part) - exact) < quantum


# --- seasonality ------------------------------------------------------------------------------

SEASON = [D(x) for x in ["5", "6", "9", "7", "8", "10", "7", "8", "10", "8", "9", "13"]]


def test_a_year_splits_into_months_and_quarters_that_add_up():
    months, quarters = domain.split_year(D("1200000.00"), SEASON, 2)
    assert len(months) == 12 and len(quarters) == 4
    assert sum(months) == D("1200000.00") == sum(quarters)
    assert months[0] == D("60000.00")
    assert quarters[0] == months[0] + months[1] + months[2]


@given(
    units=st.integers(min_value=0, max_value=10**14),
    places=places_st,
    weights=st.lists(st.integers(min_value=0, max_value=100), min_size=12, max_size=12),
)
def test_months_and_quarters_always_add_up_to_the_year(units, places, weights):
    assume(sum(weights) > 0)
    total = D(units).scaleb(-places)
    months, quarters = domain.split_year(total, [D(w) for w in weights], places)
    assert sum(months) == total == sum(quarters)
    for q in range(4):
        assert quarters[q] == sum(months[q * 3 : q * 3 + 3])


def test_equal_seasonality_gives_twelve_equal_weights():
    assert domain.seasonality_weights("equal") == [D(1)] * 12


def test_custom_weights_summing_to_100_are_accepted_even_as_text():
    weights = domain.seasonality_weights("custom", custom=[str(w) for w in SEASON])
    assert weights == SEASON


def test_weights_not_summing_to_100_are_refused_with_the_actual_sum():
    bad = [*SEASON[:11], D("12.5")]
    with pytest.raises(DomainError, match=r"add up to 100 %; these add up to 99\.5 %"):
        domain.check_monthly_weights(bad)


@pytest.mark.parametrize("count", [11, 13])
def test_eleven_or_thirteen_weights_are_refused(count):
    with pytest.raises(DomainError, match=f"needs 12 monthly weights, not {count}"):
        domain.check_monthly_weights([D(100) / count] * count)


def test_a_negative_weight_is_refused_naming_the_month():
    weights = [D(10)] * 12
    weights[2] = D(-20)
    weights[3] = D(30)
    with pytest.raises(DomainError, match="month 3 is negative"):
        domain.check_monthly_weights(weights)


def test_a_weight_that_is_not_a_number_is_refused_naming_the_month():
    weights = ["8"] * 12
    weights[4] = "lots"
    with pytest.raises(DomainError, match="month 5 is not a number"):
        domain.check_monthly_weights(weights)


def test_last_years_shape_needs_actuals():
    with pytest.raises(DomainError, match="no actuals for last year"):
        domain.seasonality_weights("last_year", last_year=None)
    with pytest.raises(DomainError, match="no actuals for last year"):
        domain.seasonality_weights("last_year", last_year=[D(0)] * 12)


def test_last_years_shape_counts_a_month_of_net_returns_as_zero():
    shape = [D(-5), *([D(10)] * 11)]
    assert domain.seasonality_weights("last_year", last_year=shape) == [D(0), *([D(10)] * 11)]


def test_an_unknown_seasonality_method_is_refused():
    with pytest.raises(DomainError, match="Unknown seasonality method"):
        domain.seasonality_weights("lunar")


# --- allocation over the organisation -------------------------------------------------------


def test_equal_allocation_weights():
    assert domain.allocation_weights("equal", 3) == [D(1)] * 3


def test_weights_allocation_needs_one_weight_per_child():
    assert domain.allocation_weights("weights", 2, weights=["60", "40"]) == [D(60), D(40)]
    with pytest.raises(DomainError, match="one weight for every unit or person"):
        domain.allocation_weights("weights", 3, weights=[1, 2])
    with pytest.raises(DomainError, match="cannot be negative"):
        domain.allocation_weights("weights", 2, weights=[1, -2])
    with pytest.raises(DomainError, match="Weight 2 is not a number"):
        domain.allocation_weights("weights", 2, weights=["1", "x"])


def test_last_year_share_needs_actuals():
    assert domain.allocation_weights("last_year", 2, last_year=[D(300), D(100)]) == [
        D(300),
        D(100),
    ]
    with pytest.raises(DomainError, match="no actuals for last year"):
        domain.allocation_weights("last_year", 2, last_year=None)
    with pytest.raises(DomainError, match="no actuals for last year"):
        domain.allocation_weights("last_year", 2, last_year=[D(0), D(0)])


def test_manual_allocation_cannot_split_automatically():
    with pytest.raises(DomainError, match="cannot split automatically"):
        domain.allocation_weights("manual", 2)


def test_nobody_below_is_refused():
    with pytest.raises(DomainError, match="nobody below"):
        domain.allocation_weights("equal", 0)


def test_presence_prorates_every_method():
    weights = domain.allocation_weights("equal", 3, presence=[D(1), D(1), D("0.5")])
    assert weights == [D(1), D(1), D("0.5")]
    assert domain.split_by_weights(D("250.00"), weights, 2) == [
        D("100.00"),
        D("100.00"),
        D("50.00"),
    ]
    weighted = domain.allocation_weights("weights", 2, weights=[2, 1], presence=[D("0.5"), D(1)])
    assert weighted == [D(1), D(1)]
    with pytest.raises(DomainError, match="Presence must be given"):
        domain.allocation_weights("equal", 2, presence=[D(1)])
    with pytest.raises(DomainError, match="add up to zero"):
        domain.allocation_weights("equal", 2, presence=[D(0), D(0)])


# --- tolerance ----------------------------------------------------------------------------------

LOW, HIGH = D(100), D(110)


@pytest.mark.parametrize(
    ("children", "state"),
    [
        (D("1000.00"), "ok"),  # exactly 100 %
        (D("1100.00"), "ok"),  # exactly 110 %
        (D("1050.00"), "ok"),
        (D("999.90"), "under"),  # 99.99 %
        (D("1100.10"), "over"),  # 110.01 %
        (D("0"), "under"),
    ],
)
def test_allocation_state_at_the_band_edges(children, state):
    assert domain.allocation_state(D("1000.00"), children, LOW, HIGH) == state


def test_allocation_state_is_none_without_a_parent_or_without_children():
    assert domain.allocation_state(None, D(5), LOW, HIGH) == "none"
    assert domain.allocation_state(D(5), None, LOW, HIGH) == "none"


def test_a_zero_parent_with_zero_children_is_in_the_band():
    assert domain.allocation_state(D(0), D(0), LOW, HIGH) == "ok"
    assert domain.allocation_state(D(0), D(1), LOW, HIGH) == "over"


@pytest.mark.parametrize("children", [D("1000.00"), D("1100.00")])
def test_check_tolerance_accepts_both_edges_of_the_band(children):
    domain.check_tolerance(D("1000.00"), children, LOW, HIGH, label="East")


def test_check_tolerance_refuses_just_under_naming_the_unit_and_the_share():
    with pytest.raises(DomainError) as exc:
        domain.check_tolerance(D("1000.00"), D("999.90"), LOW, HIGH, label="East")
    message = str(exc.value)
    assert message.startswith("East:")
    assert "99.99 %" in message and "between 100 % and 110 %" in message


def test_check_tolerance_refuses_just_over_naming_the_share():
    with pytest.raises(DomainError, match=r"East: .*110\.01 %"):
        domain.check_tolerance(D("1000.00"), D("1100.10"), LOW, HIGH, label="East")


def test_a_share_just_outside_the_band_never_reads_as_inside_it():
    assert domain.share_pct(D("99.999"), D(100)) == D("99.99")
    assert domain.share_pct(D("110.001"), D(100)) == D("110.01")
    assert domain.share_pct(D(5), D(0)) == D(0)


# --- proration -------------------------------------------------------------------------------

Y_START, Y_END = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)


def test_a_person_there_the_whole_period_counts_fully():
    assert domain.days_present(Y_START, Y_END, [(datetime.date(2020, 1, 1), None)]) == 365


def test_a_person_joining_mid_month_counts_from_the_day_they_join():
    june = (datetime.date(2026, 6, 1), datetime.date(2026, 6, 30))
    assert domain.days_present(*june, [(datetime.date(2026, 6, 16), None)]) == 15


def test_a_person_leaving_mid_period_counts_until_their_last_day_inclusive():
    q1 = (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))  # 90 days
    stay = (datetime.date(2020, 1, 1), datetime.date(2026, 2, 14))
    assert domain.days_present(*q1, [stay]) == 45


def test_a_person_not_present_in_the_period_counts_zero():
    assert domain.days_present(Y_START, Y_END, [(datetime.date(2027, 1, 1), None)]) == 0
    stay = (datetime.date(2020, 1, 1), datetime.date(2025, 12, 31))
    assert domain.days_present(Y_START, Y_END, [stay]) == 0


def test_a_person_joining_in_march_counts_their_days_in_the_year():
    assert domain.days_present(Y_START, Y_END, [(datetime.date(2026, 3, 1), None)]) == 306


# --- a table: children x months ---------------------------------------------------------------


def test_a_table_split_keeps_every_column_exact_and_spreads_counts_fairly():
    table = domain.split_table([D(10)] * 12, [[D(1)] * 12] * 40, 0)
    assert [sum(col) for col in zip(*table, strict=True)] == [D(10)] * 12
    assert {sum(row) for row in table} == {D(3)}  # 120 customers over 40 people


def test_a_table_split_gives_nothing_where_the_weight_is_zero():
    table = domain.split_table([D("100.00"), D("100.00")], [[D(0), D(1)], [D(1), D(1)]], 2)
    assert table[0][0] == 0 and table[1][0] == D("100.00")
    assert table[0][1] + table[1][1] == D("100.00")


def test_a_table_split_refuses_a_column_nobody_can_take():
    with pytest.raises(DomainError, match="add up to zero"):
        domain.split_table([D(5)], [[D(0)], [D(0)]], 0)


@settings(deadline=None)
@given(
    places=places_st,
    columns=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12),
    rows=st.integers(min_value=1, max_value=12),
    data=st.data(),
)
def test_a_table_split_adds_up_by_column_and_each_row_is_within_a_quantum(
    places, columns, rows, data
):
    weights = data.draw(
        st.lists(
            st.lists(
                st.integers(min_value=0, max_value=50), min_size=len(columns), max_size=len(columns)
            ),
            min_size=rows,
            max_size=rows,
        )
    )
    for j in range(len(columns)):
        assume(any(row[j] for row in weights))
    totals = [D(c).scaleb(-places) for c in columns]
    table = domain.split_table(totals, [[D(w) for w in row] for row in weights], places)
    quantum = Fraction(D(1).scaleb(-places))
    assert [sum(col, D(0)) for col in zip(*table, strict=True)] == totals
    for i, row in enumerate(table):
        exact_row = Fraction(0)
        for j, cell in enumerate(row):
            assert cell >= 0
            column_sum = sum(Fraction(r[j]) for r in weights)
            exact = Fraction(totals[j]) * weights[i][j] / column_sum
            assert abs(Fraction(cell) - exact) < quantum
            exact_row += exact
        assert abs(Fraction(sum(row, D(0))) - exact_row) < quantum


@settings(deadline=None)
@given(
    cells=st.lists(
        st.lists(
            st.fractions(min_value=0, max_value=1000, max_denominator=97), min_size=3, max_size=3
        ),
        min_size=1,
        max_size=8,
    )
)
def test_controlled_rounding_keeps_cells_lines_and_whole_totals(cells):
    rounded = domain.round_table(cells)
    total = sum(sum(row) for row in cells)
    for row, out in zip(cells, rounded, strict=True):
        for x, y in zip(row, out, strict=True):
            assert y in (x.numerator // x.denominator, -(-x.numerator // x.denominator))
        s = sum(row)
        assert sum(out) in (s.numerator // s.denominator, -(-s.numerator // s.denominator))
    if total.denominator == 1:
        assert sum(map(sum, rounded)) == total


# --- parts: a team's target over its members' memberships -----------------------------------

MONTH_START, MONTH_END = datetime.date(2026, 8, 1), datetime.date(2026, 8, 31)


def test_the_days_present_count_each_day_once_whatever_the_stays():
    day = datetime.date
    assert domain.days_present(MONTH_START, MONTH_END, [(day(2026, 8, 20), None)]) == 12
    assert domain.days_present(MONTH_START, MONTH_END, [(day(2020, 1, 1), day(2026, 8, 10))]) == 10
    # a person who left and came back; overlapping rows count each day once
    stays = [(day(2026, 8, 1), day(2026, 8, 5)), (day(2026, 8, 3), day(2026, 8, 7))]
    assert domain.days_present(MONTH_START, MONTH_END, stays) == 7
    stays = [(day(2026, 8, 1), day(2026, 8, 5)), (day(2026, 8, 26), None)]
    assert domain.days_present(MONTH_START, MONTH_END, stays) == 11
    assert domain.days_present(MONTH_START, MONTH_END, [(day(2026, 9, 1), None)]) == 0


def test_a_person_joining_half_way_counts_half_their_weight():
    """Three people of weight 1 the whole of a 30-day month and one from the 16th: her
    weight counts for 15 days of 30, her part is exactly half of a whole-month part of
    the same weight (428.571… and 857.142…), to the cent by largest remainder."""
    parts = domain.split_parts(D("3000.00"), [D(1), D(1), D(1), D(1)], [30, 30, 30, 15], 2)
    assert parts == [D("857.15"), D("857.14"), D("857.14"), D("428.57")]
    assert sum(parts) == D("3000.00")


def test_nobody_present_is_refused():
    with pytest.raises(DomainError, match="Nobody below was a member"):
        domain.split_parts(D("10.00"), [D(1), D(2)], [0, 0], 2)


DAYS_WINDOW = (datetime.date(2026, 6, 1), datetime.date(2026, 11, 30))


@st.composite
def membership_histories(draw):
    """Between one and eight memberships of a team, each with a weight and one to three
    stays (first and last day, or open) in and around a month, overlapping or not."""
    start, end = DAYS_WINDOW
    span = (end - start).days
    histories = []
    for _person in range(draw(st.integers(min_value=1, max_value=8))):
        stays = []
        for _stay in range(draw(st.integers(min_value=1, max_value=3))):
            first = start + datetime.timedelta(days=draw(st.integers(0, span)))
            last = draw(
                st.one_of(
                    st.none(),
                    st.integers(0, span).map(lambda d: start + datetime.timedelta(days=d)),
                )
            )
            stays.append((first, last if last is None or last >= first else first))
        weight = draw(st.decimals(min_value=0, max_value=1000, places=2))
        histories.append((weight, stays))
    return histories


def _days_by_hand(stays) -> int:
    """Day by day: the days of August 2026 on which one of the stays covers."""
    days = 0
    day = MONTH_START
    while day <= MONTH_END:
        if any(first <= day and (last is None or day <= last) for first, last in stays):
            days += 1
        day += datetime.timedelta(days=1)
    return days


@settings(deadline=None)
@given(
    histories=membership_histories(),
    cents=st.integers(min_value=0, max_value=10**11),
    places=places_st,
)
def test_the_parts_of_a_unit_add_up_and_each_is_weight_times_days_by_largest_remainder(
    histories, cents, places
):
    """Written from the rule, not from the code: for any membership history, the parts
    of the unit's value over its members' memberships add up to it, and each part is
    weight x days present over the sum of them, to the quantum by largest remainder
    (the remainders largest first, ties to the earlier membership)."""
    days = [_days_by_hand(stays) for _w, stays in histories]
    weights = [w for w, _stays in histories]
    assume(any(w * d for w, d in zip(weights, days, strict=True)))
    total = D(cents).scaleb(-places)
    counted = [domain.days_present(MONTH_START, MONTH_END, stays) for _w, stays in histories]
    assert counted == days
    parts = domain.split_parts(total, weights, counted, places)
    assert sum(parts, D(0)) == total
    units = cents
    products = [Fraction(w) * d for w, d in zip(weights, days, strict=True)]
    exact = [units * p / sum(products) for p in products]
    floors = [e.numerator // e.denominator for e in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    up = set(order[: units - sum(floors)])
    expected = [D(f + (i in up)).scaleb(-places) for i, f in enumerate(floors)]
    assert parts == expected


@settings(deadline=None)
@given(
    histories=membership_histories(),
    months=st.lists(st.integers(min_value=0, max_value=10**9), min_size=2, max_size=6),
)
def test_a_year_of_parts_adds_up_every_month_and_each_part_is_within_a_cent(histories, months):
    """Over several months, each month adds up to the unit's month exactly, and each
    cell and each membership's sum is its exact share rounded down or up by a cent; a
    month nobody was in is shared by the days of the whole table."""
    weights = [w for w, _s in histories]
    starts = [datetime.date(2026, 6 + j, 1) for j in range(len(months))]
    spans = [(s, (s.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)) for s in starts]
    spans = [(s, e - datetime.timedelta(days=1)) for s, e in spans]
    days = [[domain.days_present(s, e, stays) for s, e in spans] for _w, stays in histories]
    whole = [Fraction(w) * sum(row) for w, row in zip(weights, days, strict=True)]
    assume(any(whole))
    totals = [D(c).scaleb(-2) for c in months]
    table = domain.part_table(totals, weights, days, 2)
    assert [sum(col, D(0)) for col in zip(*table, strict=True)] == totals
    cent = Fraction(1, 100)
    for i, row in enumerate(table):
        exact_row = Fraction(0)
        for j, cell in enumerate(row):
            column = [Fraction(w) * d[j] for w, d in zip(weights, days, strict=True)]
            shares = column if any(column) else whole
            exact = Fraction(totals[j]) * shares[i] / sum(shares) if totals[j] else Fraction(0)
            assert abs(Fraction(cell) - exact) < cent
            exact_row += exact
        assert abs(Fraction(sum(row, D(0))) - exact_row) < cent


# --- adjustments ---------------------------------------------------------------------------

MONTHS = [D("100.00")] * 12


def test_an_adjustment_keeps_the_months_before_the_effective_month():
    result = domain.spread_adjustment(MONTHS, D("900.00"), 6, 2)
    assert result[:6] == MONTHS[:6]
    assert result[6:] == [D("50.00")] * 6
    assert sum(result) == D("900.00")


def test_an_adjustment_spreads_in_proportion_to_the_remaining_months():
    months = [D(10), D(10), D(20), D(30)]
    assert domain.spread_adjustment(months, D(95), 2, 0) == [D(10), D(10), D(30), D(45)]


def test_an_adjustment_below_what_earlier_months_hold_is_refused():
    with pytest.raises(DomainError, match="months before the effective month already hold"):
        domain.spread_adjustment(MONTHS, D("500.00"), 6, 2)


def test_an_adjustment_over_remaining_months_that_are_all_zero_splits_equally():
    months = [D(50), D(50), D(0), D(0)]
    assert domain.spread_adjustment(months, D(111), 2, 0) == [D(50), D(50), D(6), D(5)]


def test_an_effective_month_outside_the_period_is_refused():
    with pytest.raises(DomainError, match="outside the target's period"):
        domain.spread_adjustment(MONTHS, D(1), 12, 2)


@given(
    months=st.lists(st.integers(min_value=0, max_value=10**8), min_size=12, max_size=12),
    from_index=st.integers(min_value=0, max_value=11),
    extra=st.integers(min_value=0, max_value=10**9),
    places=places_st,
)
def test_an_adjustment_always_sums_to_the_new_total_and_nothing_goes_negative(
    months, from_index, extra, places
):
    values = [D(m).scaleb(-places) for m in months]
    new_total = sum(values[:from_index], D(0)) + D(extra).scaleb(-places)
    result = domain.spread_adjustment(values, new_total, from_index, places)
    assert sum(result) == new_total
    assert all(v >= 0 for v in result)
    assert result[:from_index] == values[:from_index]


def test_an_adjustment_needs_a_reason():
    with pytest.raises(DomainError, match="needs a reason"):
        domain.check_adjustment(D(10), D(8), "   ")
    with pytest.raises(DomainError, match="needs a reason"):
        domain.check_adjustment(D(10), D(8), "")


def test_an_adjustment_to_a_negative_value_is_refused():
    with pytest.raises(DomainError, match="cannot be negative"):
        domain.check_adjustment(D(10), D(-1), "quota relief")


def test_an_adjustment_to_the_same_value_is_refused():
    with pytest.raises(DomainError, match="same as the current one"):
        domain.check_adjustment(D(10), D("10.00"), "quota relief")


def test_a_good_adjustment_passes():
    domain.check_adjustment(D(10), D(8), "territory moved to the south")


# --- adjustments take effect from the first month still open -------------------------------------


@pytest.mark.parametrize(
    ("month_open", "first"),
    [
        ([True] * 12, 0),
        ([False, False] + [True] * 10, 2),
        ([False] * 11 + [True], 11),
        ([False] * 12, None),
        ([True] * 11 + [False], None),  # the last month closed: nothing can change
        ([True, False, True], 2),  # a month reopened before a closed one does not count
        ([], None),
    ],
)
def test_the_first_month_an_adjustment_can_take_effect_from(month_open, first):
    assert domain.first_adjustable(month_open) == first


@given(st.lists(st.booleans(), max_size=12))
def test_from_the_first_adjustable_month_every_month_is_open_and_the_one_before_is_not(
    month_open,
):
    first = domain.first_adjustable(month_open)
    if first is None:
        assert not month_open or not month_open[-1]
    else:
        assert all(month_open[first:])
        assert first == 0 or not month_open[first - 1]


# --- children that add up: in time and in the organisation ------------------------------------

YEAR, QUARTERS, MONTHS_ = "Y", [f"Q{q}" for q in range(1, 5)], [f"M{m}" for m in range(1, 13)]


def time_figures(owner, year, quarters, months, *, draft=True, org_parent=None):
    """An owner's year, quarters and months as figures (None: no target there)."""
    figures = []
    if year is not None:
        figures.append(domain.Figure(owner, YEAR, D(year), draft, (), org_parent))
    for q, value in enumerate(quarters):
        if value is not None:
            figures.append(domain.Figure(owner, QUARTERS[q], D(value), draft, ((YEAR, 4),)))
    for m, value in enumerate(months):
        if value is not None:
            around = ((QUARTERS[m // 3], 3), (YEAR, 12))
            figures.append(domain.Figure(owner, MONTHS_[m], D(value), draft, around))
    return figures


def named(problems):
    return [(p.kind, p.parent.owner, p.parent.period, p.state) for p in problems]


def test_a_year_split_by_split_year_has_no_problem():
    months, quarters = domain.split_year(D("1000.01"), [D(1)] * 12, 2)
    figures = time_figures("sam", "1000.01", quarters, months)
    assert domain.sum_problems(figures, LOW, HIGH) == []


def test_a_raised_year_over_its_old_quarters_is_named():
    """The reported case: the year raised, its quarters left at the old sum."""
    months, quarters = domain.split_year(D(1200), [D(1)] * 12, 2)
    problems = domain.sum_problems(time_figures("sam", 1300, quarters, months), LOW, HIGH)
    assert named(problems) == [("time", "sam", YEAR, "under")]
    assert problems[0].total == D(1200)
    assert problems[0].share == D("92.30")
    assert [c.period for c in problems[0].children] == QUARTERS


def test_months_stand_in_for_a_missing_quarter():
    # Q1 is set; Q2 to Q4 are not: the year is made of Q1 and the nine months after it.
    figures = time_figures("sam", 1200, [300, None, None, None], [100] * 12)
    assert domain.sum_problems(figures, LOW, HIGH) == []
    figures = time_figures("sam", 1200, [300, None, None, None], [100] * 11 + [50])
    assert named(domain.sum_problems(figures, LOW, HIGH)) == [("time", "sam", YEAR, "under")]


def test_children_not_all_set_are_refused_only_above_the_band():
    figures = time_figures("sam", 1200, [300, 300, None, None], [None] * 12)
    assert domain.sum_problems(figures, LOW, HIGH) == []
    figures = time_figures("sam", 1200, [700, 700, None, None], [None] * 12)
    assert named(domain.sum_problems(figures, LOW, HIGH)) == [("time", "sam", YEAR, "over")]


def test_a_group_that_is_all_published_is_not_checked_again():
    figures = time_figures("sam", 1300, [300] * 4, [None] * 12, draft=False)
    assert domain.sum_problems(figures, LOW, HIGH) == []
    # a draft child, or a draft parent, brings the group into the publication
    figures[1] = domain.Figure("sam", QUARTERS[0], D(300), True, ((YEAR, 4),))
    assert named(domain.sum_problems(figures, LOW, HIGH)) == [("time", "sam", YEAR, "under")]


def test_organisation_children_are_checked_for_the_same_period_and_come_first():
    figures = [
        domain.Figure("team", YEAR, D(300)),
        domain.Figure("team", QUARTERS[0], D(400), True, ((YEAR, 4),)),
        domain.Figure("sam", YEAR, D(100), org_parent="team"),
        domain.Figure("tina", YEAR, D(100), org_parent="team"),
    ]
    assert named(domain.sum_problems(figures, LOW, HIGH)) == [
        ("org", "team", YEAR, "under"),
        ("time", "team", YEAR, "over"),
    ]


amounts = st.integers(min_value=0, max_value=10**7).map(lambda cents: D(cents).scaleb(-2))


@given(
    year=amounts,
    quarters=st.lists(st.one_of(st.none(), amounts), min_size=4, max_size=4),
    months=st.lists(st.one_of(st.none(), amounts), min_size=12, max_size=12),
    published=st.booleans(),
)
def test_time_problems_are_exactly_the_groups_outside_the_band(year, quarters, months, published):
    """Whatever is set: a problem for a year or a quarter if and only if its children
    (its quarters, the months of a quarter not set, the months of a quarter) add up
    outside the band, an incomplete set only when it is already over; never for what
    is all published."""
    figures = time_figures("sam", year, quarters, months, draft=not published)
    expected = []
    if not published:
        year_children = [v for v in quarters if v is not None] + [
            v for m, v in enumerate(months) if v is not None and quarters[m // 3] is None
        ]
        covered = sum(1 for v in quarters if v is not None) * 3 + sum(
            1 for m, v in enumerate(months) if v is not None and quarters[m // 3] is None
        )
        groups = [(YEAR, year, year_children, covered == 12)]
        for q, value in enumerate(quarters):
            inside = [v for v in months[q * 3 : q * 3 + 3] if v is not None]
            groups.append((QUARTERS[q], value, inside, len(inside) == 3))
        for period, parent, children, complete in groups:
            if parent is None or not children:
                continue
            state = domain.allocation_state(parent, sum(children, D(0)), LOW, HIGH)
            if state == "over" or (state == "under" and complete):
                expected.append(("time", "sam", period, state))
    assert sorted(named(domain.sum_problems(figures, LOW, HIGH))) == sorted(expected)


@given(
    total=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=1, max_value=1000), min_size=12, max_size=12),
    raise_by=st.integers(min_value=-(10**6), max_value=10**6),
    places=st.sampled_from([0, 2]),
)
def test_a_seasonal_split_passes_and_moving_only_the_year_is_caught(
    total, weights, raise_by, places
):
    """A year split by `split_year` always passes, to the last cent or unit (rounding
    never leaves its quarters short); the year moved on its own is named exactly when
    the move takes it outside the band."""
    value = D(total).scaleb(-places)
    months, quarters = domain.split_year(value, [D(w) for w in weights], places)
    assert domain.sum_problems(time_figures("p", value, quarters, months), LOW, HIGH) == []
    moved = value + D(raise_by).scaleb(-places)
    assume(moved >= 0)
    problems = named(domain.sum_problems(time_figures("p", moved, quarters, months), LOW, HIGH))
    state = domain.allocation_state(moved, value, LOW, HIGH)
    assert problems == ([] if state == "ok" else [("time", "p", YEAR, state)])
