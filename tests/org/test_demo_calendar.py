"""org.demo_calendar: the demo's dates are valid on every day, for every fiscal year
start month (pure: no database)."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from org.demo_calendar import DemoCalendar, fiscal_year_start
from org.domain import add_months

days = st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2040, 12, 31))
start_months = st.integers(min_value=1, max_value=12)


@given(days, start_months)
def test_the_calendar_holds_together_on_any_day(today, start_month):
    c = DemoCalendar(today=today, start_month=start_month)
    first = c.fiscal_year_start
    assert first.day == 1 and first.month == start_month
    assert first <= today < add_months(first, 12)
    # The current quarter contains today; the last ended one is just before it.
    assert c.current_quarter.start <= today <= c.current_quarter.end
    assert c.last_ended_quarter.end == c.current_quarter.start - datetime.timedelta(days=1)
    assert c.last_ended_quarter.end < today
    assert (c.current_quarter.start.month - start_month) % 3 == 0
    # The history holds the last ended quarter: a whole quarter with data before it.
    assert c.history_start <= c.last_ended_quarter.start
    assert c.history_start in (first, add_months(first, -12))
    assert (c.history_start < first) == c.in_first_quarter
    assert c.fiscal_year_starts[0] == c.history_start and c.fiscal_year_starts[-1] == first
    assert c.history_months >= 3
    # People joined before the history; the newcomers and the mover within it, at a
    # month start, after its first day and not after today.
    assert c.long_ago < c.history_start
    for day in (c.newcomer_joined, c.move_day):
        assert day.day == 1
        assert c.history_start < day <= today
    assert c.newcomer_joined <= c.move_day


def test_the_history_of_a_year_that_has_just_begun_is_last_year_and_this_one():
    c = DemoCalendar(today=datetime.date(2027, 1, 1), start_month=1)
    assert c.history_start == datetime.date(2026, 1, 1)
    assert c.last_ended_quarter.start == datetime.date(2026, 10, 1)
    assert c.fiscal_year_starts == [datetime.date(2026, 1, 1), datetime.date(2027, 1, 1)]
    later = DemoCalendar(today=datetime.date(2027, 4, 1), start_month=1)
    assert later.history_start == datetime.date(2027, 1, 1)
    assert later.newcomer_joined == later.move_day == datetime.date(2027, 2, 1)


def test_a_fiscal_year_starting_in_april():
    assert fiscal_year_start(datetime.date(2027, 3, 31), 4) == datetime.date(2026, 4, 1)
    assert fiscal_year_start(datetime.date(2027, 4, 1), 4) == datetime.date(2027, 4, 1)
    c = DemoCalendar(today=datetime.date(2028, 2, 29), start_month=4)
    assert c.current_quarter.start == datetime.date(2028, 1, 1)
    assert c.history_start == datetime.date(2027, 4, 1)
