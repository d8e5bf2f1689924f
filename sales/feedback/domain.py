"""Pure rules of progress reports and customer satisfaction. No ORM here.

Progress reports (policy 2.1, 2.2) are written every week (Monday to Sunday) or
every calendar month, by `settings.SALES_REPORT_FREQUENCY`:

- the report of a period may be written from the period's first day; it is due by
  the period's last day; after that it may still be written and submitted during a
  short grace at the start of the next period (GRACE_DAYS), and counts as late;
- a report is *missing* once its period has ended and no submitted report exists
  (during the grace too: it can still be submitted, and is then late);
- a submitted report stays editable by its author until a supervisor comments on
  it; then it is locked.

Satisfaction: scores 1 to 5; an average is a Decimal with 2 places, half up.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from core.errors import DomainError
from org.domain import add_months, ancestor_paths, month_end

WEEKLY = "weekly"
MONTHLY = "monthly"
FREQUENCIES = (WEEKLY, MONTHLY)

# Days after a period's end during which its report may still be submitted (late).
GRACE_DAYS = {WEEKLY: 2, MONTHLY: 5}

SCORE_MIN = 1
SCORE_MAX = 5
AVERAGE_PLACES = Decimal("0.01")


def _check_frequency(frequency: str) -> str:
    if frequency not in FREQUENCIES:
        raise DomainError(_("Unknown report frequency: %(frequency)s.") % {"frequency": frequency})
    return frequency


@dataclass(frozen=True, order=True)
class ReportPeriod:
    """A week (Monday to Sunday) or a calendar month."""

    start: datetime.date
    end: datetime.date
    frequency: str

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    def overlaps(self, start: datetime.date, end: datetime.date | None) -> bool:
        """True if [start, end] (end None = open) shares a day with the period."""
        return start <= self.end and (end is None or end >= self.start)


# --- periods ---------------------------------------------------------------------------


def period_containing(day: datetime.date, frequency: str) -> ReportPeriod:
    _check_frequency(frequency)
    if frequency == WEEKLY:
        start = day - datetime.timedelta(days=day.weekday())
        return ReportPeriod(start, start + datetime.timedelta(days=6), WEEKLY)
    start = day.replace(day=1)
    return ReportPeriod(start, month_end(start), MONTHLY)


def period_starting(start: datetime.date, frequency: str) -> ReportPeriod:
    """The period that starts on `start`; refuses a day that starts none (a week starts
    on a Monday, a month on its first day)."""
    period = period_containing(start, frequency)
    if period.start != start:
        if frequency == WEEKLY:
            raise DomainError(
                _("%(date)s is not a Monday: a weekly report starts on a Monday.")
                % {"date": start.isoformat()}
            )
        raise DomainError(
            _("%(date)s is not the first day of a month: a monthly report starts on the 1st.")
            % {"date": start.isoformat()}
        )
    return period


def previous_period(period: ReportPeriod) -> ReportPeriod:
    return period_containing(period.start - datetime.timedelta(days=1), period.frequency)


def next_period(period: ReportPeriod) -> ReportPeriod:
    return period_containing(period.end + datetime.timedelta(days=1), period.frequency)


def previous_periods(day: datetime.date, frequency: str, count: int) -> list[ReportPeriod]:
    """The `count` periods that ended before the one containing `day`, newest first."""
    periods = []
    period = period_containing(day, frequency)
    for _i in range(max(count, 0)):
        period = previous_period(period)
        periods.append(period)
    return periods


def recent_periods(day: datetime.date, frequency: str, count: int) -> list[ReportPeriod]:
    """The period containing `day` and the `count - 1` before it, newest first."""
    if count <= 0:
        return []
    return [period_containing(day, frequency), *previous_periods(day, frequency, count - 1)]


def periods_between(start: datetime.date, end: datetime.date, frequency: str) -> list[ReportPeriod]:
    """Every period sharing a day with [start, end], oldest first."""
    periods = []
    period = period_containing(start, frequency)
    while period.start <= end:
        periods.append(period)
        period = next_period(period)
    return periods


def months_back(day: datetime.date, count: int) -> datetime.date:
    """The first day of the month `count` months before `day`'s month."""
    return add_months(day.replace(day=1), -count)


# --- deadlines and states -----------------------------------------------------------------


def grace_deadline(period: ReportPeriod) -> datetime.date:
    """The last day on which the period's report may still be written or submitted."""
    return period.end + datetime.timedelta(days=GRACE_DAYS[period.frequency])


def has_ended(period: ReportPeriod, today: datetime.date) -> bool:
    return today > period.end


def writable_periods(today: datetime.date, frequency: str) -> list[ReportPeriod]:
    """The periods whose report may be written today: the current one, and the previous
    one while its grace runs. Newest first."""
    current = period_containing(today, frequency)
    previous = previous_period(current)
    if today <= grace_deadline(previous):
        return [current, previous]
    return [current]


def check_writable(period: ReportPeriod, today: datetime.date) -> None:
    """Refuse a report for a period that has not started or whose grace has run out."""
    if period.start > today:
        raise DomainError(
            _("The period from %(start)s has not started yet: write its report from then on.")
            % {"start": period.start.isoformat()}
        )
    if today > grace_deadline(period):
        raise DomainError(
            _(
                "The report for %(start)s to %(end)s can no longer be written: the grace for "
                "late reports ended on %(deadline)s."
            )
            % {
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "deadline": grace_deadline(period).isoformat(),
            }
        )


def period_to_flag(today: datetime.date, frequency: str) -> ReportPeriod:
    """The latest period whose grace has run out by `today`: its missing reports can no
    longer be submitted, so they are flagged to the supervisors."""
    period = previous_period(period_containing(today, frequency))
    if today <= grace_deadline(period):
        period = previous_period(period)
    return period


def is_late(period: ReportPeriod, submitted_on: datetime.date | None) -> bool:
    """Submitted after the period's last day (during the grace)."""
    return submitted_on is not None and submitted_on > period.end


def is_missing(period: ReportPeriod, today: datetime.date, submitted: bool) -> bool:
    return has_ended(period, today) and not submitted


def is_locked(commented: bool) -> bool:
    """A report the supervisor has commented on cannot be changed by its author."""
    return commented


# States of one person's report for one period, as shown to supervisors.
NOT_EXPECTED = "not_expected"  # not a member of a team in scope during the period
DUE = "due"  # the period runs; nothing written yet
DRAFT = "draft"  # written, not submitted; the period runs
MISSING = "missing"  # the period has ended; nothing submitted
SUBMITTED = "submitted"  # on time
LATE = "late"  # submitted after the period's end


@dataclass(frozen=True)
class ReportState:
    state: str
    read: bool = False
    commented: bool = False

    @property
    def submitted(self) -> bool:
        return self.state in (SUBMITTED, LATE)

    @property
    def missing(self) -> bool:
        return self.state == MISSING

    @property
    def late(self) -> bool:
        return self.state == LATE


def report_state(
    period: ReportPeriod,
    today: datetime.date,
    *,
    expected: bool = True,
    written: bool = False,
    submitted_on: datetime.date | None = None,
    read: bool = False,
    commented: bool = False,
) -> ReportState:
    """The state of a report (or of its absence) for a period, seen on `today`."""
    if submitted_on is not None:
        state = LATE if is_late(period, submitted_on) else SUBMITTED
        return ReportState(state, read=read, commented=commented)
    if not expected:
        return ReportState(NOT_EXPECTED)
    if has_ended(period, today):
        return ReportState(MISSING)
    return ReportState(DRAFT if written else DUE)


def expected_in(
    period: ReportPeriod, memberships: Iterable[tuple[datetime.date, datetime.date | None]]
) -> bool:
    """A person is expected to report for a period if one of their team memberships
    (start, end or None) shares a day with it."""
    return any(period.overlaps(start, end) for start, end in memberships)


def count_missing(
    periods: Iterable[ReportPeriod],
    today: datetime.date,
    submitted_starts: set[datetime.date],
    memberships: Iterable[tuple[datetime.date, datetime.date | None]],
) -> int:
    """How many of `periods` have ended without a submitted report while the person
    was expected to report."""
    memberships = list(memberships)
    return sum(
        1
        for p in periods
        if expected_in(p, memberships)
        and is_missing(p, today, submitted=p.start in submitted_starts)
    )


# --- people in the tree ---------------------------------------------------------------------


def nearest_supervisors(
    team_path: str, supervisors_by_path: dict[str, set[int]], *, exclude: int | None = None
) -> set[int]:
    """The supervisors of the nearest unit, from the team up, that has one other than
    `exclude` (a supervisor who also sells reports to the level above)."""
    for path in ancestor_paths(team_path):
        found = supervisors_by_path.get(path, set()) - {exclude}
        if found:
            return found
    return set()


# --- satisfaction -----------------------------------------------------------------------------


def check_score(raw) -> int:
    """A score is a whole number from 1 to 5."""
    if isinstance(raw, bool):
        raise DomainError(_("The score must be a whole number from 1 to 5."))
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, Decimal) and raw == raw.to_integral_value():
        raw = int(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if text.endswith(".0"):
            text = text[:-2]
        if not text.lstrip("-").isdigit():
            raise DomainError(
                _("The score must be a whole number from 1 to 5, not %(value)s.")
                % {"value": raw.strip() or "—"}
            )
        raw = int(text)
    if not isinstance(raw, int):
        raise DomainError(_("The score must be a whole number from 1 to 5."))
    if not SCORE_MIN <= raw <= SCORE_MAX:
        raise DomainError(
            _("The score must be a whole number from 1 to 5, not %(value)s.") % {"value": raw}
        )
    return raw


def check_answered_on(day: datetime.date, today: datetime.date) -> datetime.date:
    if day > today:
        raise DomainError(
            _("%(date)s is in the future: give the day the customer answered.")
            % {"date": day.isoformat()}
        )
    return day


def average(total, count: int) -> Decimal | None:
    """total / count as a Decimal with 2 places (half up), or None without answers."""
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(AVERAGE_PLACES, rounding=ROUND_HALF_UP)
