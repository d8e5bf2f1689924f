"""When things happen in the demo company, from the day the demo is seeded.

Pure: dates in, dates out, no ORM. Every app's `demo.py` takes its dates from here,
so that the demo tells the same story on any day and its data is valid by
construction (dates that must be ordered are drawn in order; nothing is dated after
`today`).

The story: Qingyun Instruments has used salesperf since the start of the demo's
*history*. The history begins with the current fiscal year, or — while the current
fiscal year's first quarter runs — with the previous one, so that a year that has
just begun still shows a whole past quarter with its sales, closes and appraisals,
and the current month open.

- Most people joined their team a year before the history began; the newest member
  of each team joined a third of the way through the history, and one salesperson
  moved team half-way through it (both at the start of a month, both before today).
- The department closes each month once it has ended and the quarter it belongs to
  has ended too; it closes a quarter once the appraisal of the quarter after it has
  started. So the last quarter that has ended is still open (its appraisal cycle is
  in calibration), and the months of the current quarter that have ended are left
  for the visitor to close in the browser.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from org.domain import add_months


@dataclass(frozen=True)
class Span:
    start: datetime.date
    end: datetime.date

    def __contains__(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end


def _months_between(start: datetime.date, end: datetime.date) -> int:
    """Whole months from the first of `start`'s month to the first of `end`'s month."""
    return (end.year - start.year) * 12 + end.month - start.month


def fiscal_year_start(day: datetime.date, start_month: int) -> datetime.date:
    """The first day of the fiscal year that contains `day`."""
    year = day.year if day.month >= start_month else day.year - 1
    return datetime.date(year, start_month, 1)


@dataclass(frozen=True)
class DemoCalendar:
    today: datetime.date
    start_month: int  # the calendar month the fiscal year starts in (1-12)

    @property
    def fiscal_year_start(self) -> datetime.date:
        """The first day of the current fiscal year."""
        return fiscal_year_start(self.today, self.start_month)

    @property
    def current_quarter(self) -> Span:
        months = _months_between(self.fiscal_year_start, self.today)
        start = add_months(self.fiscal_year_start, months - months % 3)
        return Span(start, add_months(start, 3) - datetime.timedelta(days=1))

    @property
    def last_ended_quarter(self) -> Span:
        """The quarter before the current one (possibly in the previous fiscal year)."""
        start = add_months(self.current_quarter.start, -3)
        return Span(start, self.current_quarter.start - datetime.timedelta(days=1))

    @property
    def in_first_quarter(self) -> bool:
        return self.current_quarter.start == self.fiscal_year_start

    @property
    def history_start(self) -> datetime.date:
        """The first day of the demo's data: the current fiscal year's first day, or
        the previous fiscal year's while the current one is in its first quarter."""
        if self.in_first_quarter:
            return add_months(self.fiscal_year_start, -12)
        return self.fiscal_year_start

    @property
    def fiscal_year_starts(self) -> list[datetime.date]:
        """The first day of each fiscal year the demo covers, oldest first."""
        starts = [self.history_start]
        while starts[-1] < self.fiscal_year_start:
            starts.append(add_months(starts[-1], 12))
        return starts

    @property
    def history_months(self) -> int:
        """Whole months from the history's start to the current month's first day
        (at least 3: the history always holds a whole quarter that has ended)."""
        return _months_between(self.history_start, self.today)

    @property
    def long_ago(self) -> datetime.date:
        """When most people joined their team: a year before the history began."""
        return add_months(self.history_start, -12)

    @property
    def newcomer_joined(self) -> datetime.date:
        """When the newest member of each team joined: a month start a third of the
        way through the history (after its start, not after today)."""
        return add_months(self.history_start, max(1, self.history_months // 3))

    @property
    def move_day(self) -> datetime.date:
        """When one salesperson moved team: a month start half-way through the history
        (after its start, not after today)."""
        return add_months(self.history_start, max(1, self.history_months // 2))
