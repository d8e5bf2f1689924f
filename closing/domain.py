"""Pure rules of the period close: when a period may be closed, when a run is lost,
which periods the beat closes, how work is cut into batches and how progress reads.

No ORM here: the functions take plain values (dates, datetimes, tuples) so they are
tested without a database (celery's crontab reads a schedule's next run).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from celery.schedules import crontab

PCT_QUANTUM = Decimal("0.1")
ERROR_MAX_CHARS = 2000

# A period's kinds from the shortest to the longest: the beat starts a month's close
# before its quarter's and the quarter's before the year's (same end date).
KIND_ORDER = {"month": 0, "quarter": 1, "year": 2}


def has_ended(end_date: datetime.date, today: datetime.date) -> bool:
    """A period may be closed from the day after its last day."""
    return end_date < today


def last_sign_of_life(
    *,
    created_at: datetime.datetime,
    started_at: datetime.datetime | None,
    heartbeat_at: datetime.datetime | None,
) -> datetime.datetime:
    """The latest moment a run is known to have been alive (or queued)."""
    return max(t for t in (created_at, started_at, heartbeat_at) if t is not None)


def is_stale(
    *,
    created_at: datetime.datetime,
    started_at: datetime.datetime | None,
    heartbeat_at: datetime.datetime | None,
    now: datetime.datetime,
    stale_seconds: int,
) -> bool:
    """A queued or running run with no sign of life for more than `stale_seconds` is
    taken as lost (its worker died and the broker will not bring it back)."""
    last = last_sign_of_life(
        created_at=created_at, started_at=started_at, heartbeat_at=heartbeat_at
    )
    return (now - last).total_seconds() > stale_seconds


def batches(items: Sequence, size: int) -> list[Sequence]:
    """`items` cut into consecutive slices of at most `size` (at least 1)."""
    size = max(int(size), 1)
    return [items[i : i + size] for i in range(0, len(items), size)]


def percent(done: int, total: int) -> Decimal:
    """Progress in %, to 0.1, between 0 and 100; a step with nothing to do is 100 %
    once done (the caller decides), 0 here."""
    if total <= 0:
        return Decimal(0)
    value = Decimal(min(max(done, 0), total) * 100) / Decimal(total)
    return value.quantize(PCT_QUANTUM, rounding=ROUND_HALF_UP)


def run_percent(steps: Iterable[tuple[str, int, int]]) -> Decimal:
    """A run's progress from its steps (status, done, total), each step weighing the
    same: a done step counts 100 %, a running one its share, others 0."""
    parts = []
    for status, done, total in steps:
        if status == "done":
            parts.append(Decimal(100))
        elif status in ("running", "failed"):
            parts.append(percent(done, total))
        else:
            parts.append(Decimal(0))
    if not parts:
        return Decimal(0)
    return (sum(parts, Decimal(0)) / len(parts)).quantize(PCT_QUANTUM, rounding=ROUND_HALF_UP)


def next_step(names: Sequence[str], current: str) -> str | None:
    """The step after `current` in the run's plan, None after the last."""
    index = list(names).index(current)
    return names[index + 1] if index + 1 < len(names) else None


def clip_error(text: str) -> str:
    """An error text short enough to store and show."""
    text = (text or "").strip()
    if len(text) <= ERROR_MAX_CHARS:
        return text
    return text[: ERROR_MAX_CHARS - 1] + "\u2026"


@dataclass(frozen=True)
class YearSpan:
    key: object
    start: datetime.date
    end: datetime.date


def recent_years(years: Iterable[YearSpan], today: datetime.date) -> list[YearSpan]:
    """The fiscal year containing `today` (or the last one started before it) and the
    one before it: the years whose ended periods the beat closes."""
    started = sorted((y for y in years if y.start <= today), key=lambda y: y.start)
    return started[-2:]


@dataclass(frozen=True)
class PeriodSpan:
    key: object
    kind: str
    start: datetime.date
    end: datetime.date
    status: str
    has_run: bool


def due_for_close(periods: Iterable[PeriodSpan], today: datetime.date) -> list[PeriodSpan]:
    """The open periods that have ended and were never closed (no run at all), in the
    order their closes start: by end date, the shorter first — leaving out a period
    that lies within another due one, whose close covers it (a quarter's close freezes,
    snapshots and reports the months within it that are not closed; and closes of
    nested periods never run at the same time)."""
    due = [p for p in periods if p.status == "open" and has_ended(p.end, today) and not p.has_run]
    due = [
        p
        for p in due
        if not any(
            q is not p and q.kind != p.kind and within(q.start, q.end, p.start, p.end) for q in due
        )
    ]
    return sorted(due, key=lambda p: (p.end, KIND_ORDER.get(p.kind, 9), p.start))


def within(outer_start, outer_end, inner_start, inner_end) -> bool:
    """Whether a period lies inside another (the same one included)."""
    return outer_start <= inner_start and inner_end <= outer_end


# --- what a period's status means ----------------------------------------------------------

# The one state a period is shown in, with the facts its explanation needs.
STATE_RUNNING = "running"  # a close is queued or running
STATE_CLOSED = "closed"  # closed by the period close (its latest run succeeded)
STATE_CLOSED_FAILED_RERUN = "closed_rerun_failed"  # closed, but its latest close failed
STATE_CLOSED_OUTSIDE = "closed_outside"  # closed with no close run: imported, or before
STATE_CLOSING_STOPPED = "closing_stopped"  # frozen for a close that stopped
STATE_REOPENED = "reopened"  # open again after a close
STATE_CLOSE_FAILED = "close_failed"  # open, its close failed
STATE_WAITING = "waiting"  # ended, open, never closed: the close is due
STATE_OPEN = "open"  # not ended yet


def period_state(*, status: str, has_ended: bool, run_status: str | None, run_active: bool) -> str:
    """The state a period is shown in, from its status ("open", "closing", "closed"),
    whether it has ended, and its latest close run's status (None: never closed)."""
    if run_active:
        return STATE_RUNNING
    if status == "closed":
        if run_status is None:
            return STATE_CLOSED_OUTSIDE
        return STATE_CLOSED if run_status == "succeeded" else STATE_CLOSED_FAILED_RERUN
    if status == "closing":
        return STATE_CLOSING_STOPPED
    if run_status == "succeeded":
        return STATE_REOPENED
    if run_status is not None:
        return STATE_CLOSE_FAILED
    return STATE_WAITING if has_ended else STATE_OPEN


# --- the schedule of the periodic jobs -------------------------------------------------------


@dataclass(frozen=True)
class Crontab:
    """A job's crontab fields, as django-celery-beat keeps them (text)."""

    minute: str
    hour: str
    day_of_month: str = "*"
    month_of_year: str = "*"
    day_of_week: str = "*"

    @property
    def fixed_time(self) -> tuple[int, int] | None:
        """(hour, minute) when the job runs at one time of day, else None."""
        if self.hour.isdigit() and self.minute.isdigit():
            return int(self.hour), int(self.minute)
        return None

    @property
    def cadence(self) -> str:
        """ "daily", "monthly" (a fixed day of every month) or "custom"."""
        if self.fixed_time is None or self.month_of_year != "*":
            return "custom"
        if self.day_of_month == "*" and self.day_of_week == "*":
            return "daily"
        if self.day_of_month.isdigit() and self.day_of_week == "*":
            return "monthly"
        return "custom"


def next_run(tab: Crontab, now: datetime.datetime) -> datetime.datetime:
    """The first moment after `now` (aware, in the schedule's time zone) the crontab
    fires, as celery beat reads it."""
    schedule = crontab(
        minute=tab.minute,
        hour=tab.hour,
        day_of_month=tab.day_of_month,
        month_of_year=tab.month_of_year,
        day_of_week=tab.day_of_week,
    )
    last, delta, _now = schedule.remaining_delta(now, tz=now.tzinfo)
    return last + delta
