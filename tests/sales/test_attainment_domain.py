"""The pure rules of live attainment (sales.domain): attainment, elapsed days, the
shape of the pace, expected-to-date, projection and the at-risk flag. No database."""

import datetime
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sales import domain
from targets.models import Metric

JAN1, JAN31 = datetime.date(2026, 1, 1), datetime.date(2026, 1, 31)
Q1_END = datetime.date(2026, 3, 31)


def day(month, d):
    return datetime.date(2026, month, d)


# --- attainment ----------------------------------------------------------------------


def test_the_direction_values_are_the_metric_model_s():
    assert {domain.HIGHER, domain.LOWER} == set(Metric.Direction.values)


@pytest.mark.parametrize(
    ("actual", "target", "expected"),
    [
        ("50", "200", "25.0"),
        ("200", "200", "100.0"),
        ("250", "200", "125.0"),
        ("1", "3", "33.3"),
        ("2", "3", "66.7"),  # half up
        ("0.0005", "1", "0.1"),  # 0.05 % rounds half up to 0.1
        ("-30", "100", "-30.0"),  # returns outweigh the sales
    ],
)
def test_attainment_is_actual_over_target_rounded_half_up_to_a_tenth(actual, target, expected):
    assert domain.attainment_pct(D(actual), D(target)) == D(expected)


@pytest.mark.parametrize("target", [None, D(0), D("0.00")])
def test_no_target_or_a_zero_target_has_no_attainment(target):
    assert domain.attainment_pct(D(10), target) is None
    assert domain.attainment_pct(D(10), target, domain.LOWER) is None


@pytest.mark.parametrize(
    ("actual", "expected"),
    [("100", "100.0"), ("80", "120.0"), ("0", "200.0"), ("150", "50.0"), ("250", "0.0")],
)
def test_lower_is_better_gains_a_point_per_percent_under_the_target(actual, expected):
    assert domain.attainment_pct(D(actual), D(100), domain.LOWER) == D(expected)


# --- days and months -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (day(1, 1) - datetime.timedelta(days=1), D(0)),
        (day(1, 1), D(1) / D(31)),  # today counts
        (day(1, 15), D(15) / D(31)),
        (JAN31, D(1)),
        (day(2, 10), D(1)),
    ],
)
def test_elapsed_fraction_counts_days_inclusively(today, expected):
    assert domain.elapsed_fraction(JAN1, JAN31, today) == expected


def test_a_one_day_period_is_all_gone_on_that_day():
    assert domain.elapsed_fraction(JAN1, JAN1, JAN1) == 1
    with pytest.raises(ValueError):
        domain.elapsed_fraction(JAN31, JAN1, JAN1)


def test_month_spans_clip_the_first_and_last_month():
    assert domain.month_spans(day(1, 15), day(3, 10)) == (
        (day(1, 15), day(1, 31)),
        (day(2, 1), day(2, 28)),
        (day(3, 1), day(3, 10)),
    )
    assert domain.month_spans(datetime.date(2025, 12, 1), datetime.date(2026, 1, 31)) == (
        (datetime.date(2025, 12, 1), datetime.date(2025, 12, 31)),
        (JAN1, JAN31),
    )


# --- the shape of the pace -------------------------------------------------------------


def test_the_monthly_targets_shape_the_pace_first():
    weights, shape = domain.pace_shape(
        method="seasonality", month_count=3, month_targets=[D(10), D(20), D(70)],
        profile_weights=[D(1), D(1), D(1)],
    )  # fmt: skip
    assert (weights, shape) == ([D(10), D(20), D(70)], domain.SHAPE_MONTH_TARGETS)


@pytest.mark.parametrize(
    "month_targets",
    [None, [D(10), None, D(70)], [D(0), D(0), D(0)], [D(10), D(20)]],
)
def test_without_a_full_set_of_monthly_targets_the_profile_shapes_it(month_targets):
    weights, shape = domain.pace_shape(
        method="seasonality", month_count=3, month_targets=month_targets,
        profile_weights=["5", "10", "5"],
    )  # fmt: skip
    assert (weights, shape) == ([D(5), D(10), D(5)], domain.SHAPE_SEASONALITY)


def test_without_either_the_days_shape_it():
    assert domain.pace_shape(method="seasonality", month_count=3) == (None, domain.SHAPE_DAYS)
    assert domain.pace_shape(
        method="seasonality", month_count=3, profile_weights=[D(0), D(0), D(0)]
    ) == (None, domain.SHAPE_DAYS)


def test_the_days_setting_and_a_single_month_always_follow_the_days():
    assert domain.pace_shape(method="days", month_count=3, month_targets=[D(1), D(2), D(3)]) == (
        None,
        domain.SHAPE_DAYS,
    )
    assert domain.pace_shape(method="seasonality", month_count=1, month_targets=[D(5)]) == (
        None,
        domain.SHAPE_DAYS,
    )


# --- expected share, expected to date, projection --------------------------------------


def test_expected_share_follows_the_monthly_weights_and_the_days_within_a_month():
    # Q1 weighted 10/20/70; on 14 February: all of January and 14/28 of February.
    share = domain.expected_share(
        start=JAN1, end=Q1_END, today=day(2, 14), weights=[D(10), D(20), D(70)]
    )
    assert share == D("0.2")
    assert domain.expected_to_date(D(1000), share, 2) == D("200.00")


def test_expected_share_without_weights_is_the_elapsed_days():
    share = domain.expected_share(start=JAN1, end=Q1_END, today=day(2, 14))
    assert share == D(45) / D(90)


def test_expected_share_is_0_before_and_1_after_the_period():
    w = [D(1), D(2), D(3)]
    before = JAN1 - datetime.timedelta(days=1)
    assert domain.expected_share(start=JAN1, end=Q1_END, today=before, weights=w) == 0
    assert domain.expected_share(start=JAN1, end=Q1_END, today=day(4, 1), weights=w) == 1


def test_one_weight_is_needed_per_month():
    with pytest.raises(ValueError):
        domain.expected_share(start=JAN1, end=Q1_END, today=JAN31, weights=[D(1)])


def test_expected_to_date_rounds_to_the_metric_s_places():
    assert domain.expected_to_date(D(10), D(1) / D(3), 0) == D(3)
    assert domain.expected_to_date(D(10), D(1) / D(3), 2) == D("3.33")
    assert domain.expected_to_date(None, D("0.5"), 2) is None


def test_projection_carries_the_actual_to_the_period_end():
    assert domain.projection(D(200), D("0.25"), 2) == D("800.00")
    assert domain.projection(D(1), D(1) / D(3), 0) == D(3)
    assert domain.projection(D(200), D(0), 2) is None  # nothing expected yet


# --- at risk ---------------------------------------------------------------------------


def test_at_risk_when_the_projection_falls_below_the_threshold():
    # Half-way, 440 of 1000: projection 880 < 900 (90 %).
    assert domain.is_at_risk(actual=D(440), target=D(1000), share=D("0.5"), threshold_pct="90")
    # 450: projection exactly 900, not below.
    assert not domain.is_at_risk(actual=D(450), target=D(1000), share=D("0.5"), threshold_pct="90")


def test_never_at_risk_before_the_period_starts_or_without_a_target():
    assert not domain.is_at_risk(actual=D(0), target=D(1000), share=D(0), threshold_pct="90")
    assert not domain.is_at_risk(actual=D(0), target=None, share=D("0.5"), threshold_pct="90")
    assert not domain.is_at_risk(actual=D(0), target=D(0), share=D("0.5"), threshold_pct="90")


def test_a_lower_is_better_metric_is_at_risk_when_projected_over_budget():
    # Budget 100, half-way at 60: projected 120, i.e. 80 % attainment.
    assert domain.is_at_risk(
        actual=D(60), target=D(100), share=D("0.5"), threshold_pct="90", direction="lower"
    )
    assert not domain.is_at_risk(
        actual=D(40), target=D(100), share=D("0.5"), threshold_pct="90", direction="lower"
    )


def test_the_rounded_projection_does_not_decide_the_flag():
    # Projection 899.9999… rounds to 900.00 but is below 900: at risk.
    share = D(1) / D(3)
    actual = D("299.99999")
    assert domain.projection(actual, share, 2) == D("900.00")
    assert domain.is_at_risk(actual=actual, target=D(1000), share=share, threshold_pct="90")


# --- all together ----------------------------------------------------------------------


def test_progress_gathers_every_number():
    p = domain.progress(
        actual=D(150), target=D(1000), start=JAN1, end=Q1_END, today=day(2, 14), places=2,
        threshold_pct="90", weights=[D(10), D(20), D(70)], shape=domain.SHAPE_MONTH_TARGETS,
    )  # fmt: skip
    assert p.expected_share == D("0.2")
    assert p.expected == D("200.00")
    assert p.variance == D("-850.00")
    assert p.pace_variance == D("-50.00")
    assert p.attainment == D("15.0")
    assert p.used_pct == D("15.0")
    assert p.pace_pct == D("20.0")
    assert p.projection == D("750.00")
    assert p.projected_attainment == D("75.0")
    assert p.at_risk is True
    assert p.shape == domain.SHAPE_MONTH_TARGETS
    assert p.elapsed == D(45) / D(90)


def test_progress_without_a_target_or_before_the_start():
    p = domain.progress(
        actual=D(5), target=None, start=JAN1, end=JAN31, today=JAN1 - datetime.timedelta(1),
        places=0, threshold_pct="90",
    )  # fmt: skip
    assert (p.expected, p.variance, p.attainment, p.projection, p.at_risk) == (
        None, None, None, None, False,
    )  # fmt: skip
    assert p.pace_pct == D("0.0") and p.shape == domain.SHAPE_DAYS


# --- properties ------------------------------------------------------------------------

dates = st.dates(min_value=datetime.date(2024, 1, 1), max_value=datetime.date(2028, 12, 31))


@st.composite
def periods_and_weights(draw):
    start = draw(dates)
    end = start + datetime.timedelta(days=draw(st.integers(0, 400)))
    months = len(domain.month_spans(start, end))
    weights = draw(
        st.one_of(
            st.none(),
            st.lists(
                st.decimals(min_value=0, max_value=10**6, places=2),
                min_size=months,
                max_size=months,
            ),
        )
    )
    return start, end, weights


@settings(deadline=None)
@given(periods_and_weights(), dates, dates)
def test_expected_share_is_between_0_and_1_and_never_goes_back(period, a, b):
    start, end, weights = period
    earlier, later = min(a, b), max(a, b)
    first = domain.expected_share(start=start, end=end, today=earlier, weights=weights)
    second = domain.expected_share(start=start, end=end, today=later, weights=weights)
    assert 0 <= first <= second <= 1
    if later < start:
        assert second == 0
    if earlier >= end:
        assert first == 1


@settings(deadline=None)
@given(periods_and_weights(), dates)
def test_weights_equal_to_the_days_of_each_month_pace_like_the_days(period, today):
    start, end, _weights = period
    spans = domain.month_spans(start, end)
    by_days = [D(domain.days_in(s, e)) for s, e in spans]
    weighted = domain.expected_share(start=start, end=end, today=today, weights=by_days)
    plain = domain.elapsed_fraction(start, end, today)
    assert abs(weighted - plain) < D("1e-20")


@settings(deadline=None)
@given(
    st.decimals(min_value=-(10**9), max_value=10**9, places=2),
    st.decimals(min_value=D("0.01"), max_value=10**9, places=2),
    st.sampled_from([domain.HIGHER, domain.LOWER]),
)
def test_attainment_is_100_exactly_at_the_target_and_moves_with_the_actual(actual, target, way):
    assert domain.attainment_pct(target, target, way) == D(100)
    value = domain.attainment_pct(actual, target, way)
    more = domain.attainment_pct(actual + 1, target, way)
    assert (more >= value) if way == domain.HIGHER else (more <= value)
    if way == domain.LOWER:
        assert value >= 0


@settings(deadline=None)
@given(
    st.decimals(min_value=0, max_value=10**9, places=2),
    st.decimals(min_value=D("0.01"), max_value=10**9, places=2),
    st.decimals(min_value=D("0.001"), max_value=1, places=3),
    st.decimals(min_value=1, max_value=200, places=1),
)
def test_at_risk_is_exactly_a_projection_below_the_threshold(actual, target, share, pct):
    flagged = domain.is_at_risk(actual=actual, target=target, share=share, threshold_pct=pct)
    assert flagged == (actual / share < target * pct / 100)
