"""Pure rules of the organisation and the fiscal calendar. No ORM here."""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.errors import DomainError

# --- Fiscal calendar -----------------------------------------------------------


@dataclass(frozen=True)
class PeriodSpec:
    kind: str  # "year" | "quarter" | "month"
    number: int
    start: datetime.date
    end: datetime.date
    parent: tuple[str, int] | None  # (kind, number) of the enclosing period


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months` after `day`'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def fiscal_year_name(start_year: int, start_month: int) -> str:
    """FY2026 for a calendar fiscal year, FY2026-27 for one that straddles two years."""
    if start_month == 1:
        return f"FY{start_year}"
    return f"FY{start_year}-{(start_year + 1) % 100:02d}"


def fiscal_periods(start_year: int, start_month: int) -> list[PeriodSpec]:
    """The year, its 4 quarters and 12 months for a fiscal year starting on the 1st of
    `start_month` of `start_year`."""
    if not 1 <= start_month <= 12:
        raise DomainError("The start month must be between 1 and 12.")
    if not 1900 <= start_year <= 2999:
        raise DomainError("The year must be between 1900 and 2999.")
    first = datetime.date(start_year, start_month, 1)
    last = add_months(first, 12) - datetime.timedelta(days=1)
    specs = [PeriodSpec("year", 1, first, last, None)]
    for q in range(4):
        q_start = add_months(first, 3 * q)
        q_end = add_months(first, 3 * q + 3) - datetime.timedelta(days=1)
        specs.append(PeriodSpec("quarter", q + 1, q_start, q_end, ("year", 1)))
    for m in range(12):
        m_start = add_months(first, m)
        specs.append(
            PeriodSpec("month", m + 1, m_start, month_end(m_start), ("quarter", m // 3 + 1))
        )
    return specs


# Period status: open -> closing -> closed; closing may fall back to open (a failed
# or cancelled close); closed goes back to open only by a reopen with a reason.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("open", "closing"): "start_close",
    ("closing", "closed"): "finish_close",
    ("closing", "open"): "cancel_close",
    ("closed", "open"): "reopen",
}


def check_period_transition(current: str, target: str, *, reason: str) -> str:
    """Return the name of the transition or raise DomainError."""
    action = TRANSITIONS.get((current, target))
    if action is None:
        raise DomainError(f"A period cannot go from {current} to {target}.")
    if action == "reopen" and not reason.strip():
        raise DomainError("Reopening a closed period needs a reason.")
    return action


# --- Memberships ---------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    key: object  # anything that identifies the row to the caller
    start: datetime.date
    end: datetime.date | None  # inclusive; None = open-ended


def intervals_overlap(a: Interval, b: Interval) -> bool:
    a_end = a.end or datetime.date.max
    b_end = b.end or datetime.date.max
    return a.start <= b_end and b.start <= a_end


def overlapping_pairs(intervals: Sequence[Interval]) -> list[tuple[Interval, Interval]]:
    """Every pair of intervals that share at least one day (sorted sweep)."""
    ordered = sorted(intervals, key=lambda i: i.start)
    pairs: list[tuple[Interval, Interval]] = []
    for index, current in enumerate(ordered):
        current_end = current.end or datetime.date.max
        for other in ordered[index + 1 :]:
            if other.start > current_end:
                break
            pairs.append((current, other))
    return pairs


def check_interval(start: datetime.date, end: datetime.date | None) -> None:
    if end is not None and end < start:
        raise DomainError("The end date is before the start date.")


# --- Organisation tree -----------------------------------------------------------


def unit_path(parent_path: str | None, pk: int) -> str:
    return f"{parent_path or '/'}{pk}/"


def ancestor_paths(path: str) -> list[str]:
    """Materialised paths of a unit and its ancestors, nearest first ("/1/4/9/" ->
    ["/1/4/9/", "/1/4/", "/1/"])."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(len(parts), 0, -1)]


def outermost_paths(paths: Iterable[str]) -> list[str]:
    """The paths not inside another one of them, sorted: the subtrees at these cover
    the same units as the subtrees at all of `paths` ("/1/" covers "/1/4/")."""
    given = set(paths)
    return sorted(p for p in given if not any(a in given for a in ancestor_paths(p)[1:]))


def would_create_cycle(unit_pk: int, new_parent_path: str) -> bool:
    """A unit cannot be moved under itself or one of its descendants."""
    return f"/{unit_pk}/" in new_parent_path


def parse_roles(raw: str, known: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split "salesperson; supervisor" into (known roles, unknown words)."""
    known_set = set(known)
    words = [w.strip().lower() for w in raw.replace(";", ",").replace("|", ",").split(",")]
    words = [w for w in words if w]
    good = [w for w in words if w in known_set]
    bad = [w for w in words if w not in known_set]
    return sorted(set(good)), bad


# --- import helpers ---------------------------------------------------------------
# Pure helpers of the organisation import (org/imports.py); the cells are read by core.imports.


def parent_cycles(parents: dict[str, str | None]) -> dict[str, list[str]]:
    """Units that would end up inside themselves, each with its loop.

    `parents` maps a unit code to its parent's code (None for a root; a parent
    missing from the mapping counts as a root). Returns {code: [code, parent,
    grandparent, ...]} for every code on a loop, the loop starting at that code.
    """
    done: set[str] = set()
    cycles: dict[str, list[str]] = {}
    for start in parents:
        if start in done:
            continue
        trail: list[str] = []
        position: dict[str, int] = {}
        node: str | None = start
        while node is not None and node in parents and node not in done and node not in position:
            position[node] = len(trail)
            trail.append(node)
            node = parents[node]
        if node is not None and node in position:
            loop = trail[position[node] :]
            for index, code in enumerate(loop):
                cycles[code] = loop[index:] + loop[:index]
        done.update(trail)
    return cycles


def membership_overlap_group(user_key: object, unit_key: object, kind: str) -> tuple:
    """Memberships in the same group may not overlap in time.

    A person belongs to one unit at a time as a member; as a supervisor they may
    lead several units, but not the same unit twice over the same days.
    """
    if kind == "supervisor":
        return (user_key, kind, unit_key)
    return (user_key, kind)
