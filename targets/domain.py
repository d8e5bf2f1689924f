"""Pure rules of targets: splitting, rounding, seasonality, allocation, tolerance,
proration and adjustments. No ORM here; every function is tested on its own."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from org.domain import DomainError

HUNDRED = Decimal(100)
MONTHS = 12


def quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def round_value(value: Decimal, places: int) -> Decimal:
    """Round half up to `places` decimals (how a typed-in value is stored)."""
    return Decimal(value).quantize(quantum(places), rounding=ROUND_HALF_UP)


def split_by_weights(total: Decimal, weights: Sequence[Decimal], places: int) -> list[Decimal]:
    """Split `total` in proportion to `weights`, rounded to `places` decimals, so that
    the parts add up to `total` exactly (largest remainder method).

    Ties in the remainders go to the earlier part, so the result is deterministic.
    """
    total = Decimal(total)
    if total < 0:
        raise DomainError(_("A target cannot be negative."))
    if not weights:
        raise DomainError(_("There is nothing to split the target over."))
    weights = [Decimal(w) for w in weights]
    if any(w < 0 for w in weights):
        raise DomainError(_("A weight cannot be negative."))
    weight_sum = sum(weights)
    if weight_sum <= 0:
        raise DomainError(_("The weights add up to zero: there is nothing to split by."))
    q = quantum(places)
    if total.quantize(q) != total:
        raise DomainError(
            _("The total %(total)s has more than %(places)s decimals.")
            % {"total": total, "places": places}
        )
    units = int(total / q)  # the total in indivisible units (cents, or whole items)
    raw = [Decimal(units) * w / weight_sum for w in weights]
    floors = [int(r.to_integral_value(rounding=ROUND_DOWN)) for r in raw]
    left = units - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(f) * q for f in floors]


def split_equally(total: Decimal, count: int, places: int) -> list[Decimal]:
    return split_by_weights(total, [Decimal(1)] * count, places)


# --- seasonality (year -> months -> quarters) ------------------------------------------


def check_monthly_weights(weights: Sequence[Decimal]) -> list[Decimal]:
    """Twelve non-negative percentages that add up to exactly 100."""
    if len(weights) != MONTHS:
        raise DomainError(
            _("A seasonality profile needs 12 monthly weights, not %(count)s.")
            % {"count": len(weights)}
        )
    values = [Decimal(str(w)) for w in weights]
    for index, value in enumerate(values, start=1):
        if value < 0:
            raise DomainError(_("The weight of month %(month)s is negative.") % {"month": index})
    total = sum(values)
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
        if not last_year or len(last_year) != MONTHS or sum(last_year) <= 0:
            raise DomainError(
                _(
                    "There are no actuals for last year to take the shape from: "
                    "choose equal months or custom weights."
                )
            )
        if any(v < 0 for v in last_year):
            # Net returns in a month: take that month as zero rather than negative.
            last_year = [max(Decimal(v), Decimal(0)) for v in last_year]
        return [Decimal(v) for v in last_year]
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
        base = [Decimal(w) for w in weights]
        if any(w < 0 for w in base):
            raise DomainError(_("A weight cannot be negative."))
    elif method == "last_year":
        if not last_year or len(last_year) != count or sum(last_year) <= 0:
            raise DomainError(
                _("There are no actuals for last year to share by: choose another method.")
            )
        base = [max(Decimal(v), Decimal(0)) for v in last_year]
    else:
        raise DomainError(
            _("The method %(method)s cannot split automatically.") % {"method": method}
        )
    if presence is not None:
        if len(presence) != count:
            raise DomainError(_("Presence must be given for every person below."))
        base = [b * Decimal(p) for b, p in zip(base, presence, strict=True)]
    if sum(base) <= 0:
        raise DomainError(_("The weights add up to zero: there is nothing to split by."))
    return base


def allocation_state(
    parent: Decimal | None, children_sum: Decimal, min_pct: Decimal, max_pct: Decimal
) -> str:
    """'none' (no children yet), 'under', 'ok' or 'over' the tolerance band."""
    if parent is None:
        return "none"
    if children_sum == 0 and parent > 0:
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
    state = allocation_state(parent, children_sum, min_pct, max_pct)
    if state in ("under", "over", "none"):
        share = (
            (Decimal(children_sum) / Decimal(parent) * HUNDRED).quantize(Decimal("0.1"))
            if parent
            else Decimal(0)
        )
        raise DomainError(
            _(
                "%(label)s: the targets below add up to %(sum)s (%(share)s %% of %(parent)s); "
                "they must be between %(min)s %% and %(max)s %%."
            )
            % {
                "label": label,
                "sum": children_sum,
                "share": share,
                "parent": parent,
                "min": min_pct,
                "max": max_pct,
            }
        )


# --- proration -------------------------------------------------------------------------------


def presence_fraction(
    period_start: datetime.date,
    period_end: datetime.date,
    active_start: datetime.date,
    active_end: datetime.date | None,
) -> Decimal:
    """Share of the period's days on which a person is present (0..1, 4 decimals).

    The rule the department reads: a person who joins or leaves during a period
    gets the target share for the days they are in the team, counted in calendar
    days, both ends included.
    """
    start = max(period_start, active_start)
    end = min(period_end, active_end or period_end)
    if end < start:
        return Decimal(0)
    days = (end - start).days + 1
    total = (period_end - period_start).days + 1
    return (Decimal(days) / Decimal(total)).quantize(Decimal("0.0001"))


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


def check_adjustment(old: Decimal, new: Decimal, reason: str) -> None:
    if not reason or not reason.strip():
        raise DomainError(_("An adjustment needs a reason."))
    if Decimal(new) < 0:
        raise DomainError(_("A target cannot be negative."))
    if Decimal(new) == Decimal(old):
        raise DomainError(_("The new value is the same as the current one."))
