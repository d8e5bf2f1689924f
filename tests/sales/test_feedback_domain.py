"""The pure rules of progress reports and satisfaction, without a database: report
periods, the grace for late reports, missing and late reports, the nearest
supervisor up the tree, scores and averages."""

import datetime
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import DomainError
from sales.feedback import domain
from sales.feedback.domain import MONTHLY, WEEKLY, ReportPeriod

d = datetime.date
days = st.dates(min_value=d(2000, 1, 1), max_value=d(2099, 12, 31))


# --- periods ----------


def test_a_week_runs_from_monday_to_sunday():
    period = domain.period_containing(d(2026, 3, 11), WEEKLY)  # a Wednesday
    assert period == ReportPeriod(d(2026, 3, 9), d(2026, 3, 15), WEEKLY)
    assert domain.period_containing(d(2026, 3, 9), WEEKLY) == period
    assert domain.period_containing(d(2026, 3, 15), WEEKLY) == period


def test_a_month_is_the_calendar_month():
    assert domain.period_containing(d(2028, 2, 10), MONTHLY) == ReportPeriod(
        d(2028, 2, 1), d(2028, 2, 29), MONTHLY
    )
    assert domain.period_containing(d(2026, 12, 31), MONTHLY).start == d(2026, 12, 1)


@given(days)
def test_the_week_containing_a_day_holds_it_and_starts_on_monday(day):
    period = domain.period_containing(day, WEEKLY)
    assert period.contains(day)
    assert period.start.weekday() == 0
    assert (period.end - period.start).days == 6


@given(days, st.sampled_from([WEEKLY, MONTHLY]))
def test_previous_and_next_periods_touch(day, frequency):
    period = domain.period_containing(day, frequency)
    before = domain.previous_period(period)
    after = domain.next_period(period)
    assert before.end + datetime.timedelta(days=1) == period.start
    assert period.end + datetime.timedelta(days=1) == after.start
    assert domain.next_period(before) == period


def test_an_unknown_frequency_is_refused():
    with pytest.raises(DomainError, match="Unknown report frequency"):
        domain.period_containing(d(2026, 1, 1), "daily")


def test_a_period_starts_on_a_monday_or_the_first():
    assert domain.period_starting(d(2026, 3, 9), WEEKLY).end == d(2026, 3, 15)
    assert domain.period_starting(d(2026, 3, 1), MONTHLY).end == d(2026, 3, 31)
    with pytest.raises(DomainError, match="not a Monday"):
        domain.period_starting(d(2026, 3, 10), WEEKLY)
    with pytest.raises(DomainError, match="not the first day of a month"):
        domain.period_starting(d(2026, 3, 2), MONTHLY)


def test_previous_periods_are_the_ended_ones_newest_first():
    periods = domain.previous_periods(d(2026, 3, 11), WEEKLY, 4)
    assert [p.start for p in periods] == [
        d(2026, 3, 2),
        d(2026, 2, 23),
        d(2026, 2, 16),
        d(2026, 2, 9),
    ]
    months = domain.previous_periods(d(2026, 1, 15), MONTHLY, 2)
    assert [p.start for p in months] == [d(2025, 12, 1), d(2025, 11, 1)]
    assert domain.previous_periods(d(2026, 1, 15), MONTHLY, 0) == []


def test_recent_periods_include_the_current_one():
    periods = domain.recent_periods(d(2026, 3, 11), MONTHLY, 3)
    assert [p.start for p in periods] == [d(2026, 3, 1), d(2026, 2, 1), d(2026, 1, 1)]
    assert domain.recent_periods(d(2026, 3, 11), MONTHLY, 0) == []


def test_periods_between_cover_a_range():
    periods = domain.periods_between(d(2026, 3, 4), d(2026, 3, 16), WEEKLY)
    assert [p.start for p in periods] == [d(2026, 3, 2), d(2026, 3, 9), d(2026, 3, 16)]


# --- writing, grace, late and missing ----------


def test_the_previous_report_may_be_written_during_the_grace_only():
    # Weekly grace: 2 days (Monday and Tuesday of the next week).
    week = domain.period_containing(d(2026, 3, 4), WEEKLY)  # 2 to 8 March
    assert domain.grace_deadline(week) == d(2026, 3, 10)
    assert [p.start for p in domain.writable_periods(d(2026, 3, 10), WEEKLY)] == [
        d(2026, 3, 9),
        d(2026, 3, 2),
    ]
    assert [p.start for p in domain.writable_periods(d(2026, 3, 11), WEEKLY)] == [d(2026, 3, 9)]
    domain.check_writable(week, d(2026, 3, 10))
    with pytest.raises(DomainError, match="grace for late reports ended on 2026-03-10"):
        domain.check_writable(week, d(2026, 3, 11))


def test_a_future_period_cannot_be_written():
    next_week = domain.period_containing(d(2026, 3, 16), WEEKLY)
    with pytest.raises(DomainError, match="has not started yet"):
        domain.check_writable(next_week, d(2026, 3, 11))


def test_monthly_grace_is_five_days():
    february = domain.period_containing(d(2026, 2, 1), MONTHLY)
    assert domain.grace_deadline(february) == d(2026, 3, 5)
    domain.check_writable(february, d(2026, 3, 5))
    with pytest.raises(DomainError):
        domain.check_writable(february, d(2026, 3, 6))


def test_late_means_submitted_after_the_period():
    week = ReportPeriod(d(2026, 3, 2), d(2026, 3, 8), WEEKLY)
    assert not domain.is_late(week, d(2026, 3, 8))
    assert domain.is_late(week, d(2026, 3, 9))
    assert not domain.is_late(week, None)


def test_missing_means_ended_without_a_submitted_report():
    week = ReportPeriod(d(2026, 3, 2), d(2026, 3, 8), WEEKLY)
    assert not domain.is_missing(week, d(2026, 3, 8), submitted=False)  # still running
    assert domain.is_missing(week, d(2026, 3, 9), submitted=False)  # in the grace too
    assert not domain.is_missing(week, d(2026, 3, 9), submitted=True)


@pytest.mark.parametrize(
    ("today", "kwargs", "state"),
    [
        (d(2026, 3, 5), {}, domain.DUE),
        (d(2026, 3, 5), {"written": True}, domain.DRAFT),
        (d(2026, 3, 9), {"written": True}, domain.MISSING),
        (d(2026, 3, 9), {}, domain.MISSING),
        (d(2026, 3, 9), {"expected": False}, domain.NOT_EXPECTED),
        (d(2026, 3, 9), {"submitted_on": d(2026, 3, 8)}, domain.SUBMITTED),
        (d(2026, 3, 12), {"submitted_on": d(2026, 3, 9)}, domain.LATE),
    ],
)
def test_report_states(today, kwargs, state):
    week = ReportPeriod(d(2026, 3, 2), d(2026, 3, 8), WEEKLY)
    assert domain.report_state(week, today, **kwargs).state == state


def test_a_state_carries_read_and_commented():
    week = ReportPeriod(d(2026, 3, 2), d(2026, 3, 8), WEEKLY)
    state = domain.report_state(
        week, d(2026, 3, 9), submitted_on=d(2026, 3, 9), read=True, commented=True
    )
    assert state.late and state.submitted and state.read and state.commented
    assert not state.missing


def test_count_missing_counts_only_periods_as_a_member():
    today = d(2026, 3, 11)
    periods = domain.previous_periods(today, WEEKLY, 4)  # 2 Mar, 23 Feb, 16 Feb, 9 Feb
    joined_late = [(d(2026, 2, 20), None)]  # a member from 20 February
    assert domain.count_missing(periods, today, set(), joined_late) == 3
    assert domain.count_missing(periods, today, {d(2026, 3, 2)}, joined_late) == 2
    assert domain.count_missing(periods, today, set(), []) == 0
    left = [(d(2020, 1, 1), d(2026, 2, 10))]  # left during the week of 9 February
    assert domain.count_missing(periods, today, set(), left) == 1


def test_the_period_to_flag_is_the_latest_past_its_grace():
    # Weekly: Monday and Tuesday still belong to the last week's grace.
    assert domain.period_to_flag(d(2026, 3, 10), WEEKLY).start == d(2026, 2, 23)
    assert domain.period_to_flag(d(2026, 3, 11), WEEKLY).start == d(2026, 3, 2)
    assert domain.period_to_flag(d(2026, 3, 15), WEEKLY).start == d(2026, 3, 2)
    assert domain.period_to_flag(d(2026, 3, 5), MONTHLY).start == d(2026, 1, 1)
    assert domain.period_to_flag(d(2026, 3, 6), MONTHLY).start == d(2026, 2, 1)


def test_a_commented_report_is_locked():
    assert domain.is_locked(True)
    assert not domain.is_locked(False)


# --- the tree ----------


def test_ancestor_paths_go_up_from_the_unit():
    assert domain.ancestor_paths("/1/4/9/") == ["/1/4/9/", "/1/4/", "/1/"]
    assert domain.ancestor_paths("/1/") == ["/1/"]


def test_the_nearest_supervisor_other_than_the_person_is_told():
    leads = {"/1/4/9/": {7}, "/1/4/": {5}, "/1/": {2}}
    assert domain.nearest_supervisors("/1/4/9/", leads) == {7}
    # A supervisor who sells reports to the level above.
    assert domain.nearest_supervisors("/1/4/9/", leads, exclude=7) == {5}
    assert domain.nearest_supervisors("/1/4/8/", leads) == {5}
    assert domain.nearest_supervisors("/3/", leads) == set()


# --- satisfaction ----------


@pytest.mark.parametrize("raw", [1, 5, "3", " 4 ", 2.0, "5.0", D("4")])
def test_scores_from_1_to_5_are_accepted(raw):
    assert domain.check_score(raw) in range(1, 6)


@pytest.mark.parametrize("raw", [0, 6, "6", "-1", "x", "", None, True, 2.5, "3.5", D("4.5")])
def test_other_scores_are_refused(raw):
    with pytest.raises(DomainError, match="whole number from 1 to 5"):
        domain.check_score(raw)


def test_an_answer_cannot_be_in_the_future():
    domain.check_answered_on(d(2026, 3, 11), d(2026, 3, 11))
    with pytest.raises(DomainError, match="in the future"):
        domain.check_answered_on(d(2026, 3, 12), d(2026, 3, 11))


def test_the_average_has_two_places_rounded_half_up():
    assert domain.average(10, 3) == D("3.33")
    assert domain.average(11, 3) == D("3.67")
    assert domain.average(9, 8) == D("1.13")  # 1.125 rounds up
    assert domain.average(5, 1) == D("5.00")
    assert domain.average(0, 0) is None


@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=50))
def test_the_average_lies_between_the_lowest_and_highest_score(scores):
    value = domain.average(sum(scores), len(scores))
    assert min(scores) <= value <= max(scores)
    assert value == value.quantize(D("0.01"))
