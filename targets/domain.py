"""Pure rules of targets: splitting, rounding, seasonality, allocation, tolerance,
proration and adjustments. No ORM here; every function is tested on its own."""

from __future__ import annotations

import datetime
import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.errors import DomainError

HUNDRED = Decimal(100)
MONTHS = 12


def quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def round_value(value: Decimal, places: int) -> Decimal:
    """Round half up to `places` decimals (how a typed-in value is stored)."""
    return Decimal(value).quantize(quantum(places), rounding=ROUND_HALF_UP)


def to_decimal(raw, *, what: str) -> Decimal:
    """A finite number from a Decimal, an int or text ("1,200.50"); refused with a
    message naming `what` otherwise."""
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, bool):
        value = None
    elif isinstance(raw, int | float):
        value = Decimal(str(raw))
    else:
        try:
            value = Decimal(str(raw if raw is not None else "").replace(",", "").strip())
        except (InvalidOperation, ValueError):
            value = None
    if value is None or not value.is_finite():
        raise DomainError(_("%(what)s is not a number: %(value)s.") % {"what": what, "value": raw})
    return value


def share_pct(children_sum: Decimal, parent: Decimal) -> Decimal:
    """The children's sum as a percentage of the parent, to 2 decimals, rounded away
    from 100 % so that a sum just outside the band never reads as inside it."""
    if not parent:
        return Decimal(0)
    exact = Decimal(children_sum) * HUNDRED / Decimal(parent)
    rounding = ROUND_FLOOR if exact < HUNDRED else ROUND_CEILING
    return exact.quantize(Decimal("0.01"), rounding=rounding)


def split_by_weights(total: Decimal, weights: Sequence[Decimal], places: int) -> list[Decimal]:
    """Split `total` in proportion to `weights`, rounded to `places` decimals, so that
    the parts add up to `total` exactly (largest remainder method).

    Every part is its exact share rounded down or up by one quantum (0.01 for
    money, 1 for counts); the quanta left over after rounding down go to the parts
    with the largest remainders, ties to the earlier part, so the result is
    deterministic. The arithmetic is exact (fractions), whatever the weights.
    """
    total = Decimal(total)
    if total < 0:
        raise DomainError(_("A target cannot be negative."))
    if not weights:
        raise DomainError(_("There is nothing to split the target over."))
    weights = [Decimal(w) for w in weights]
    if any(w < 0 for w in weights):
        raise DomainError(_("A weight cannot be negative."))
    weight_sum = sum(weights, Decimal(0))
    if weight_sum <= 0:
        raise DomainError(_("The weights add up to zero: there is nothing to split by."))
    q = quantum(places)
    if total != total.quantize(q):
        raise DomainError(
            _("The total %(total)s has more than %(places)s decimals.")
            % {"total": total, "places": places}
        )
    units = int(total.scaleb(places))  # the total in indivisible units (cents, or items)
    exact = [Fraction(units) * Fraction(w) / Fraction(weight_sum) for w in weights]
    floors = [int(e) for e in exact]  # exact >= 0, so int() rounds down
    left = units - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [_from_units(f, places) for f in floors]


def _from_units(units: int, places: int) -> Decimal:
    return Decimal(units).scaleb(-places).quantize(quantum(places))


def split_equally(total: Decimal, count: int, places: int) -> list[Decimal]:
    return split_by_weights(total, [Decimal(1)] * count, places)


# --- seasonality (year -> months -> quarters) ------------------------------------------


def check_monthly_weights(weights: Sequence) -> list[Decimal]:
    """Twelve non-negative percentages that add up to exactly 100."""
    if len(weights) != MONTHS:
        raise DomainError(
            _("A seasonality profile needs 12 monthly weights, not %(count)s.")
            % {"count": len(weights)}
        )
    values = [
        to_decimal(w, what=_("The weight of month %(month)s") % {"month": index})
        for index, w in enumerate(weights, start=1)
    ]
    for index, value in enumerate(values, start=1):
        if value < 0:
            raise DomainError(_("The weight of month %(month)s is negative.") % {"month": index})
    total = sum(values, Decimal(0))
    if total != HUNDRED:
        raise DomainError(
            _("The monthly weights must add up to 100 %%; these add up to %(total)s %%.")
            % {"total": total}
        )
    return values


def seasonality_weights(
    method: str,
    *,
    custom: Sequence[Decimal] | None = None,
    last_year: Sequence[Decimal] | None = None,
) -> list[Decimal]:
    """Twelve monthly weights for a seasonality method."""
    if method == "equal":
        return [Decimal(1)] * MONTHS
    if method == "custom":
        return check_monthly_weights(custom or [])
    if method == "last_year":
        # Net returns in a month: that month counts as zero rather than negative.
        shape = [max(Decimal(v), Decimal(0)) for v in last_year or []]
        if len(shape) != MONTHS or sum(shape, Decimal(0)) <= 0:
            raise DomainError(
                _(
                    "There are no actuals for last year to take the shape from: "
                    "choose equal months or custom weights."
                )
            )
        return shape
    raise DomainError(_("Unknown seasonality method: %(method)s.") % {"method": method})


def split_year(
    total: Decimal, weights: Sequence[Decimal], places: int
) -> tuple[list[Decimal], list[Decimal]]:
    """An annual value split into 12 months by `weights`; each quarter is the exact sum
    of its three months, so months, quarters and year all agree."""
    months = split_by_weights(total, weights, places)
    quarters = [sum(months[q * 3 : q * 3 + 3], Decimal(0)) for q in range(4)]
    return months, quarters


# --- allocation over the organisation ------------------------------------------------------


def allocation_weights(
    method: str,
    count: int,
    *,
    weights: Sequence[Decimal] | None = None,
    last_year: Sequence[Decimal] | None = None,
    presence: Sequence[Decimal] | None = None,
) -> list[Decimal]:
    """Weights to split a parent target over `count` children.

    `presence` (0..1 per child) scales every method for people who are not there for
    the whole period: a person joining half-way gets half the share they would have.
    """
    if count <= 0:
        raise DomainError(_("There is nobody below this target to allocate it to."))
    if method == "equal":
        base = [Decimal(1)] * count
    elif method == "weights":
        if not weights or len(weights) != count:
            raise DomainError(_("Give one weight for every unit or person below."))
        base = [
            to_decimal(w, what=_("Weight %(number)s") % {"number": index})
            for index, w in enumerate(weights, start=1)
        ]
        if any(w < 0 for w in base):
            raise DomainError(_("A weight cannot be negative."))
    elif method == "last_year":
        base = [max(Decimal(v), Decimal(0)) for v in last_year or []]
        if len(base) != count or sum(base, Decimal(0)) <= 0:
            raise DomainError(
                _("There are no actuals for last year to share by: choose another method.")
            )
    else:
        raise DomainError(
            _("The method %(method)s cannot split automatically.") % {"method": method}
        )
    if presence is not None:
        if len(presence) != count:
            raise DomainError(_("Presence must be given for every person below."))
        base = [b * Decimal(p) for b, p in zip(base, presence, strict=True)]
    if sum(base, Decimal(0)) <= 0:
        raise DomainError(_("The weights add up to zero: there is nothing to split by."))
    return base


def allocation_state(
    parent: Decimal | None, children_sum: Decimal | None, min_pct: Decimal, max_pct: Decimal
) -> str:
    """'none' (no target, or no targets below yet), 'under', 'ok' or 'over' the
    tolerance band; both edges of the band are inside it."""
    if parent is None or children_sum is None:
        return "none"
    low = Decimal(parent) * Decimal(min_pct) / HUNDRED
    high = Decimal(parent) * Decimal(max_pct) / HUNDRED
    if children_sum < low:
        return "under"
    if children_sum > high:
        return "over"
    return "ok"


def check_tolerance(
    parent: Decimal, children_sum: Decimal, min_pct: Decimal, max_pct: Decimal, *, label: str
) -> None:
    """Refuse children that add up to less than `min_pct` or more than `max_pct` % of
    the parent, with a message naming `label` and the share."""
    state = allocation_state(parent, children_sum, min_pct, max_pct)
    if state != "ok":
        raise DomainError(
            _(
                "%(label)s: the targets below add up to %(sum)s (%(share)s %% of %(parent)s); "
                "they must be between %(min)s %% and %(max)s %%."
            )
            % {
                "label": label,
                "sum": children_sum,
                "share": share_pct(children_sum or Decimal(0), parent),
                "parent": parent,
                "min": min_pct,
                "max": max_pct,
            }
        )


# The widest tolerance band the department may set, in % of the parent.
BAND_FLOOR_PCT = Decimal(50)
BAND_CEILING_PCT = Decimal(200)


def check_band(min_pct: Decimal, max_pct: Decimal) -> None:
    """Refuse a tolerance band that is not a range around 100 % within the floor and
    the ceiling: the targets below a unit must be able to add up to exactly its own."""
    if not (BAND_FLOOR_PCT <= min_pct <= Decimal(100)):
        raise DomainError(
            _("The lowest share must be between %(floor)s %% and 100 %%.")
            % {"floor": BAND_FLOOR_PCT}
        )
    if not (Decimal(100) <= max_pct <= BAND_CEILING_PCT):
        raise DomainError(
            _("The highest share must be between 100 %% and %(ceiling)s %%.")
            % {"ceiling": BAND_CEILING_PCT}
        )


# --- children that add up: in time and in the organisation ---------------------------------


@dataclass(frozen=True)
class Figure:
    """A target as the adding-up rule sees it.

    `within`: the periods around the figure's period, nearest first, each with the
    number of periods like the figure's that make it up (a month: (its quarter, 3),
    (its year, 12); a quarter: (its year, 4)). The figure's parent in time is the same
    owner's target in the nearest of them that has one: a month's quarter, or its year
    when the owner has no target for that quarter. `org_parent`: the owner one level
    up in the organisation whose target for the same period this one is part of (a
    unit's parent unit, a person's team), or None. `draft`: it is being published."""

    owner: Hashable
    period: Hashable
    value: Decimal
    draft: bool = True
    within: tuple[tuple[Hashable, int], ...] = ()
    org_parent: Hashable | None = None


@dataclass(frozen=True)
class SumProblem:
    """Children of `parent` that do not add up to it within the tolerance band.
    `kind` is "time" (its quarters or months) or "org" (the units or people below)."""

    kind: str
    parent: Figure
    children: tuple[Figure, ...]
    total: Decimal
    state: str  # "under" or "over"

    @property
    def share(self) -> Decimal:
        return share_pct(self.total, self.parent.value)


def sum_problems(figures: Iterable[Figure], min_pct: Decimal, max_pct: Decimal) -> list[SumProblem]:
    """Every target whose children add up to less than `min_pct` or more than
    `max_pct` % of it (the band of `allocation_state`, both edges inside):

    - in the organisation: the child units' or the team members' targets for the same
      period (those that exist, as the allocation counts them);
    - in time: the same owner's quarters of a year, months of a quarter (or of a year
      without quarter targets). Until they cover the whole period (a year's four
      quarters, say) they are only refused over the band: the rest is still to come.

    Only groups that a publication touches count: the parent or one of its children
    is a draft; a group that is all published was accepted before. A target without
    children has nothing to add up. In the order of `figures`, the organisation's
    problem before the time one for the same parent."""
    figures = list(figures)
    index = {(f.owner, f.period): f for f in figures}
    groups: dict[tuple[str, Hashable, Hashable], list[Figure]] = {}
    covered: dict[tuple[str, Hashable, Hashable], Fraction] = {}
    for f in figures:
        for around, parts in f.within:
            if (f.owner, around) in index:
                key = ("time", f.owner, around)
                groups.setdefault(key, []).append(f)
                covered[key] = covered.get(key, Fraction(0)) + Fraction(1, parts)
                break
        if f.org_parent is not None and (f.org_parent, f.period) in index:
            groups.setdefault(("org", f.org_parent, f.period), []).append(f)
    problems = []
    for parent in figures:
        for kind in ("org", "time"):
            key = (kind, parent.owner, parent.period)
            children = groups.get(key)
            if not children or not (parent.draft or any(c.draft for c in children)):
                continue
            total = sum((c.value for c in children), Decimal(0))
            state = allocation_state(parent.value, total, min_pct, max_pct)
            if state == "under" and kind == "time" and covered[key] < 1:
                continue  # not every quarter or month is set yet
            if state in ("under", "over"):
                problems.append(SumProblem(kind, parent, tuple(children), total, state))
    return problems


# --- a table of values: children x periods ------------------------------------------------


def _units_of(value: Decimal, places: int) -> int:
    value = Decimal(value)
    if value != value.quantize(quantum(places)):
        raise DomainError(
            _("The total %(total)s has more than %(places)s decimals.")
            % {"total": value, "places": places}
        )
    return int(value.scaleb(places))


def round_table(exact: Sequence[Sequence[Fraction]]) -> list[list[int]]:
    """Round a table of exact non-negative values to whole numbers so that every cell,
    every row sum and every column sum is its exact value rounded down or up, the
    grand total is kept when it is whole, and whatever is already whole stays as it
    is (controlled rounding: shift values around cycles of fractional cells).
    """
    rows, cols = len(exact), len(exact[0]) if exact else 0
    if rows == 0 or cols == 0:
        return [[] for _row in range(rows)]
    # The table bordered by minus its row and column sums: every line adds up to zero.
    a = [[Fraction(x) for x in row] + [-sum(map(Fraction, row), Fraction(0))] for row in exact]
    a.append([-sum((a[i][j] for i in range(rows)), Fraction(0)) for j in range(cols)])
    a[rows].append(sum((a[i][j] for i in range(rows) for j in range(cols)), Fraction(0)))
    n, m = rows + 1, cols + 1
    fractional = {(i, j) for i in range(n) for j in range(m) if a[i][j].denominator != 1}
    while fractional:
        # A line holding one fractional value holds another (its sum is whole), so a
        # walk along fractional cells, never straight back, closes a cycle.
        by_row: dict[int, list[int]] = {}
        by_col: dict[int, list[int]] = {}
        for i, j in sorted(fractional):
            by_row.setdefault(i, []).append(j)
            by_col.setdefault(j, []).append(i)
        start = min(fractional)
        node = ("r", start[0])
        seen = {node: 0}
        path: list[tuple[int, int]] = []
        previous: tuple[int, int] | None = None
        while True:
            kind, index = node
            if kind == "r":
                cell = next((index, j) for j in by_row[index] if (index, j) != previous)
                node = ("c", cell[1])
            else:
                cell = next((i, index) for i in by_col[index] if (i, index) != previous)
                node = ("r", cell[0])
            path.append(cell)
            previous = cell
            if node in seen:
                cycle = path[seen[node] :]
                break
            seen[node] = len(path)
        # Alternate +/- around the (even) cycle; move until a cell becomes whole.
        best = None
        for direction in (1, -1):
            steps = []
            for k, (i, j) in enumerate(cycle):
                sign = direction if k % 2 == 0 else -direction
                x = a[i][j]
                floor = x.numerator // x.denominator
                steps.append((floor + 1 - x) if sign > 0 else (x - floor))
            delta = min(steps)
            if best is None or delta < best[1]:
                best = (direction, delta)
        direction, delta = best
        for k, (i, j) in enumerate(cycle):
            sign = direction if k % 2 == 0 else -direction
            a[i][j] += sign * delta
            if a[i][j].denominator == 1:
                fractional.discard((i, j))
    return [[int(a[i][j]) for j in range(cols)] for i in range(rows)]


def split_table(
    column_totals: Sequence[Decimal],
    weights: Sequence[Sequence[Decimal]],
    places: int,
) -> list[list[Decimal]]:
    """Split each column total (a period's value) over the rows (the children) in
    proportion to that column's weights, rounded to `places` decimals.

    Every column adds up to its total exactly, every cell is its exact share rounded
    down or up by one quantum, and every row's sum is within one quantum of its exact
    sum, so a child's periods add up to a value the whole table agrees with.
    `weights[row][column]` are non-negative; a column with a positive total needs a
    positive weight somewhere.
    """
    if not weights:
        raise DomainError(_("There is nothing to split the target over."))
    cols = len(column_totals)
    if any(len(row) != cols for row in weights):
        raise DomainError(_("Give one weight for every period."))
    totals = [_units_of(t, places) for t in column_totals]
    if any(t < 0 for t in totals):
        raise DomainError(_("A target cannot be negative."))
    exact = [[Fraction(0)] * cols for _row in weights]
    for j, total in enumerate(totals):
        column = [Fraction(Decimal(row[j])) for row in weights]
        if any(w < 0 for w in column):
            raise DomainError(_("A weight cannot be negative."))
        weight_sum = sum(column, Fraction(0))
        if total and weight_sum <= 0:
            raise DomainError(_("The weights add up to zero: there is nothing to split by."))
        for i, w in enumerate(column):
            if total:
                exact[i][j] = Fraction(total) * w / weight_sum
    return [[_from_units(u, places) for u in row] for row in round_table(exact)]


# --- parts: a team's target over its members' memberships ------------------------------------
#
# The rule the department reads: each team allocates to each person a part for the
# days that person was its member. In one period (a month), the team's value is
# shared over the people who were its members by weight x days present (the weight
# of the allocation method: 1 for equal shares, the weight given, last year's
# actual), to the cent by largest remainder: a person joining half-way gets half the
# share they would have. Over several months (a quarter, a year), each month is
# shared so, and a person's part for the longer period is the sum of their months.


Stay = tuple[datetime.date, datetime.date | None]  # a membership: first and last day


def days_present(start: datetime.date, end: datetime.date, stays: Iterable[Stay]) -> int:
    """The days from `start` to `end` (both included) on which at least one of the
    stays (first day, last day or None for open) makes the person a member."""
    covered = 0
    cursor = start
    spans = sorted((max(first, start), min(last or end, end)) for first, last in stays)
    for first, last in spans:
        first = max(first, cursor)
        if last >= first:
            covered += (last - first).days + 1
            cursor = last + datetime.timedelta(days=1)
    return covered


def split_parts(
    total: Decimal, weights: Sequence[Decimal], days: Sequence[int], places: int
) -> list[Decimal]:
    """A unit's value for one period shared over its members' memberships: each part
    is weight x days present in the period over the sum of them, to `places`
    decimals by largest remainder, and the parts add up to `total` exactly. Refused
    when nobody with a weight above 0 was a member for a day."""
    if len(weights) != len(days):
        raise DomainError(_("Give one weight for every unit or person below."))
    if any(d < 0 for d in days):
        raise DomainError(_("A number of days cannot be negative."))
    products = [Decimal(w) * d for w, d in zip(weights, days, strict=True)]
    if products and not any(products):
        raise DomainError(
            _("Nobody below was a member during the period: there is nothing to share by.")
        )
    return split_by_weights(total, products, places)


def part_table(
    column_totals: Sequence[Decimal],
    weights: Sequence[Decimal],
    days: Sequence[Sequence[int]],
    places: int,
) -> list[list[Decimal]]:
    """Months (columns, each with the unit's value) shared over the rows (child units
    or members' memberships): cell (i, j) is weight i x days i was present in month j
    over the column's sum. A single month is `split_parts`; several are rounded
    together (`split_table`), so that every month adds up to its value exactly and
    every row's sum is its exact sum rounded down or up. A month in which nobody was
    present is shared by the days in the whole table, so no value is lost."""
    if len(weights) != len(days):
        raise DomainError(_("Give one weight for every unit or person below."))
    if not weights:
        raise DomainError(_("There is nothing to split the target over."))
    cols = len(column_totals)
    if len(column_totals) == 1:
        return [
            [v] for v in split_parts(column_totals[0], weights, [row[0] for row in days], places)
        ]
    table = [[Decimal(w) * d for d in row] for w, row in zip(weights, days, strict=True)]
    whole = [Decimal(w) * sum(row) for w, row in zip(weights, days, strict=True)]
    for j in range(cols):
        if Decimal(column_totals[j]) and not any(row[j] for row in table):
            for i, row in enumerate(table):
                row[j] = whole[i]
    return split_table(column_totals, table, places)


# --- adjustments -------------------------------------------------------------------------------


def spread_adjustment(
    months: Sequence[Decimal],
    new_total: Decimal,
    from_index: int,
    places: int,
) -> list[Decimal]:
    """Change an annual target to `new_total` from month `from_index` (0-based) on.

    Months before `from_index` keep their values; the difference is spread over the
    remaining months in proportion to their current values (equally if they are all
    zero). Refused if a month would go negative.
    """
    if not 0 <= from_index < len(months):
        raise DomainError(_("The effective month is outside the target's period."))
    new_total = Decimal(new_total)
    if new_total < 0:
        raise DomainError(_("A target cannot be negative."))
    kept = list(months[:from_index])
    remaining_total = new_total - sum(kept, Decimal(0))
    if remaining_total < 0:
        raise DomainError(
            _("The new value is less than what the months before the effective month already hold.")
        )
    rest = list(months[from_index:])
    weights = rest if sum(rest) > 0 else [Decimal(1)] * len(rest)
    return kept + split_by_weights(remaining_total, weights, places)


def first_adjustable(month_open: Sequence[bool]) -> int | None:
    """The index of the first month from which every month to the end is open: an
    adjustment takes effect there or later, so that no month that is closing or closed
    changes. None when the last month is not open (nothing can change any more)."""
    first = None
    for index, is_open in enumerate(month_open):
        if not is_open:
            first = None
        elif first is None:
            first = index
    return first


def check_adjustment(old: Decimal, new: Decimal, reason: str) -> None:
    if not reason or not reason.strip():
        raise DomainError(_("An adjustment needs a reason."))
    if Decimal(new) < 0:
        raise DomainError(_("A target cannot be negative."))
    if Decimal(new) == Decimal(old):
        raise DomainError(_("The new value is the same as the current one."))


# --- basis words -----------------------------------------------------------------------

_PRORATED = re.compile(r"^prorated: in the team (\d+) of (\d+) days$")
# Basis words written by the cascades in English, translated when shown.
BASIS_WORDS = (gettext_noop("like the months of the allocation above"),)
_ADJUSTED = re.compile(r"^adjusted: (.+)$")


def basis_display(text: str) -> str:
    """A target's basis ("equal; prorated: in the team 46 of 92 days") is stored in
    English and shown in the reader's language, part by part."""
    parts = []
    for part in (text or "").split("; "):
        prorated = _PRORATED.match(part)
        adjusted = _ADJUSTED.match(part)
        if prorated:
            parts.append(
                _("prorated: in the team %(present)s of %(days)s days")
                % {"present": prorated.group(1), "days": prorated.group(2)}
            )
        elif adjusted:
            parts.append(_("adjusted: %(kind)s") % {"kind": _(adjusted.group(1))})
        else:
            parts.append(_(part) if part else part)
    return "; ".join(parts)


# --- typed values ----------------------------------------------------------------------


def english(text) -> str:
    """Basis words are stored in English and translated when shown (basis_display)."""
    with translation.override("en"):
        return str(text)


def format_value(value: Decimal, metric) -> str:
    return f"{value:,.{metric.decimal_places}f}"


def clean_value(raw, metric, *, label: str = "") -> Decimal:
    """A target value as typed: a non-negative number with no more decimals than the
    metric allows (money and percent 2, counts 0). `label` (a row, a cell, an owner)
    starts the message when given."""
    try:
        return _clean_value(raw, metric)
    except DomainError as exc:
        if label:
            raise DomainError(
                _("%(label)s: %(problem)s") % {"label": label, "problem": exc}
            ) from None
        raise


def _clean_value(raw, metric) -> Decimal:
    if raw is None or not str(raw).strip():
        raise DomainError(_("A target value is required."))
    try:
        value = Decimal(str(raw).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("%(value)s is not a number.") % {"value": raw}) from None
    if not value.is_finite():
        raise DomainError(_("%(value)s is not a number.") % {"value": raw})
    if value < 0:
        raise DomainError(_("A target cannot be negative."))
    if value >= Decimal(10) ** 16:
        raise DomainError(_("%(value)s is too large.") % {"value": raw})
    places = metric.decimal_places
    if value != value.quantize(quantum(places)):
        if places == 0:
            raise DomainError(
                _("%(metric)s is counted in whole numbers.") % {"metric": metric.display_name}
            )
        raise DomainError(
            _("%(metric)s has at most %(places)s decimals.")
            % {"metric": metric.display_name, "places": places}
        )
    return value.quantize(quantum(2))
