"""The rules that keep the at-risk flag from crying wolf (sales.domain): no verdict
before a minimum share of the period has passed ("too early to tell"), and a metric
whose actuals arrive late paced as of its lag. No database."""

import datetime
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sales import domain

DEC1, DEC31 = datetime.date(2026, 12, 1), datetime.date(2026, 12, 31)
Q4_START = datetime.date(2026, 10, 1)


def progress(**kwargs):
    values = {
        "actual": D(0), "target": D(1000), "start": DEC1, "end": DEC31, "places": 2,
        "threshold_pct": "90",
    }  # fmt: skip
    values.update(kwargs)
    return domain.progress(**values)


def test_on_day_7_of_a_month_nothing_sold_is_too_early_to_tell_not_at_risk():
    p = progress(actual=D(0), today=datetime.date(2026, 12, 7), min_elapsed_pct=25)
    assert p.verdict == domain.VERDICT_TOO_EARLY and p.too_early
    assert p.at_risk is False
    # The same figures a week later (8 of 31 days = 25.8 %) are judged.
    p = progress(actual=D(0), today=datetime.date(2026, 12, 8), min_elapsed_pct=25)
    assert p.verdict == domain.VERDICT_AT_RISK and p.at_risk


def test_the_minimum_is_a_share_of_the_days_passed_inclusive():
    # 31 days: 25 % is reached on day 8 (7.75 days); exactly at the minimum is judged.
    assert progress(today=datetime.date(2026, 12, 7), min_elapsed_pct=D("22.58")).verdict == (
        domain.VERDICT_AT_RISK
    )
    assert progress(today=datetime.date(2026, 12, 6), min_elapsed_pct=D("22.58")).too_early


def test_without_a_target_there_is_no_verdict_at_all():
    p = progress(target=None, today=datetime.date(2026, 12, 20), min_elapsed_pct=25)
    assert p.verdict == domain.VERDICT_NONE and not p.too_early and not p.at_risk
    assert progress(target=D(0), today=DEC31).verdict == domain.VERDICT_NONE


def test_on_track_when_the_projection_reaches_the_threshold():
    # 16 of 31 days, 600 sold: projected 1162.5 of 1000.
    p = progress(actual=D(600), today=datetime.date(2026, 12, 16), min_elapsed_pct=25)
    assert p.verdict == domain.VERDICT_ON_TRACK and not p.at_risk


def test_a_lagged_metric_is_paced_as_of_its_lag():
    # Collections entered a week late: on 20 December the pace counts 13 of 31 days.
    p = progress(actual=D(400), today=datetime.date(2026, 12, 20), lag_days=7)
    assert p.expected_share == D(13) / D(31)
    assert p.observed == D(13) / D(31)
    assert p.expected == D("419.35")
    assert p.projection == D("953.85")  # 400 / (13 / 31)
    assert p.verdict == domain.VERDICT_ON_TRACK
    # Without the lag the same 400 look behind (20 of 31 days: projected 620).
    assert progress(actual=D(400), today=datetime.date(2026, 12, 20)).at_risk
    assert p.lag_days == 7 and p.elapsed == D(20) / D(31)


def test_a_lagged_metric_is_too_early_to_tell_until_its_own_minimum_has_been_observed():
    # Day 10: 10 days passed (32 %), but only 3 observed for a metric 7 days late.
    p = progress(actual=D(0), today=datetime.date(2026, 12, 10), lag_days=7, min_elapsed_pct=25)
    assert p.too_early and not p.at_risk
    assert p.observed_pct == D("9.7")
    # In its first 7 days nothing is expected yet: no projection, no verdict.
    p = progress(actual=D(0), today=datetime.date(2026, 12, 5), lag_days=7)
    assert p.expected_share == 0 and p.projection is None and p.too_early


def test_a_lagged_metric_is_whole_once_the_lag_has_passed_after_the_period():
    p = progress(actual=D(870), today=DEC31 + datetime.timedelta(days=7), lag_days=7)
    assert p.expected_share == 1 and p.projection == D("870.00")
    assert p.verdict == domain.VERDICT_AT_RISK  # 87 % < 90 %


def test_a_negative_lag_is_refused():
    with pytest.raises(ValueError):
        domain.observed_day(DEC1, -1)


# --- properties ------------------------------------------------------------------------------

days = st.dates(min_value=datetime.date(2026, 9, 1), max_value=datetime.date(2027, 2, 28))
amounts = st.decimals(min_value=-(10**6), max_value=10**9, places=2)
targets = st.decimals(min_value=D("0.01"), max_value=10**9, places=2)
lags = st.integers(min_value=0, max_value=45)
minimums = st.decimals(min_value=0, max_value=100, places=1)
thresholds = st.decimals(min_value=1, max_value=200, places=1)


def quarter(**kwargs):
    return progress(start=Q4_START, end=DEC31, **kwargs)


@settings(deadline=None)
@given(amounts, targets, days, lags, minimums, thresholds)
def test_no_verdict_is_ever_given_before_the_minimum_is_observed(
    actual, target, today, lag, minimum, threshold
):
    p = quarter(
        actual=actual, target=target, today=today, lag_days=lag, min_elapsed_pct=minimum,
        threshold_pct=threshold,
    )  # fmt: skip
    assert p.verdict in domain.VERDICTS
    assert p.at_risk == (p.verdict == domain.VERDICT_AT_RISK)
    if p.observed * 100 < minimum:
        assert p.verdict == domain.VERDICT_TOO_EARLY and not p.at_risk
    if p.verdict in (domain.VERDICT_AT_RISK, domain.VERDICT_ON_TRACK):
        # A verdict is exactly the projection against the threshold.
        assert p.at_risk == (actual / p.expected_share < target * threshold / 100)


@settings(deadline=None)
@given(amounts, targets, days, thresholds)
def test_without_lag_or_minimum_the_flag_is_the_plain_projection_rule(
    actual, target, today, threshold
):
    p = quarter(actual=actual, target=target, today=today, threshold_pct=threshold)
    assert p.at_risk == domain.is_at_risk(
        actual=actual, target=target, share=p.expected_share, threshold_pct=threshold
    )


@settings(deadline=None)
@given(days, days, lags, lags)
def test_a_longer_lag_never_expects_more_and_the_pace_never_goes_back(a, b, lag_a, lag_b):
    earlier, later = min(a, b), max(a, b)
    short, long = min(lag_a, lag_b), max(lag_a, lag_b)
    shares = [
        quarter(today=t, lag_days=lag).expected_share
        for t, lag in ((earlier, short), (later, short), (later, long))
    ]
    assert 0 <= shares[0] <= shares[1] <= 1
    assert shares[2] <= shares[1]


@settings(deadline=None)
@given(amounts, targets, lags, st.integers(min_value=0, max_value=60))
def test_once_the_lag_has_passed_after_the_end_the_projection_is_the_actual(
    actual, target, lag, after
):
    today = DEC31 + datetime.timedelta(days=lag + after)
    p = quarter(actual=actual, target=target, today=today, lag_days=lag, min_elapsed_pct=100)
    assert p.expected_share == 1 and p.observed == 1
    assert p.projection == actual
    assert p.verdict != domain.VERDICT_TOO_EARLY


@settings(deadline=None)
@given(targets, days, lags, minimums)
def test_raising_the_actual_never_turns_on_track_into_at_risk(target, today, lag, minimum):
    low = quarter(actual=target / 4, target=target, today=today, lag_days=lag,
                  min_elapsed_pct=minimum)  # fmt: skip
    high = quarter(actual=target * 2, target=target, today=today, lag_days=lag,
                   min_elapsed_pct=minimum)  # fmt: skip
    assert low.verdict == high.verdict or (low.at_risk and not high.at_risk)
