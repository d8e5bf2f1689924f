"""Pure rules of sales records: the credit split, credited amounts and the values of
a record. No ORM here.

Returns and corrections: a record may be negative. A sale in a closed period is
never changed; a return or a correction is a new record, dated in an open
period, with a negative amount (and a quantity, margin and collected amount of
the same sign or zero). That keeps every closed month's actuals as they were
reported, and the month of the correction shows it.
"""

from __future__ import annotations

import datetime
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache

from django.utils.translation import gettext as _

from core.errors import DomainError
from targets.domain import split_by_weights, to_decimal

HUNDRED = Decimal(100)
MONEY_PLACES = 2
QUANTITY_PLACES = 2
SHARE_PLACES = 2


class RecordValueError(DomainError):
    """A record's value is wrong; `field` names it (amount, quantity, gross_margin,
    collected_amount, collected_on)."""

    def __init__(self, field: str, message: str):
        super().__init__(message, field=field)


# --- plausibility --------------------------------------------------------------------------
#
# A hard limit per value of a record (and so per metric: revenue is the amount, gross margin
# the margin, collections the collected amount), as constants so the database checks them
# too (sales.models): beyond it a figure is a typo, never a sale. Below it, an amount far
# above what a person usually sells (CONFIRM_FACTOR times their largest sale) is booked
# only once confirmed.

MONEY_LIMIT = Decimal("999999999.99")  # amount, gross margin, collected amount (either sign)
QUANTITY_LIMIT = Decimal("1000000")
CONFIRM_FACTOR = 10


def plausible_limit(field: str) -> Decimal:
    return QUANTITY_LIMIT if field == "quantity" else MONEY_LIMIT


def needs_confirmation(amount, largest) -> bool:
    """An amount above CONFIRM_FACTOR times `largest` (the person's largest sale so far);
    never without a largest sale above 0."""
    if largest is None or Decimal(largest) <= 0:
        return False
    return Decimal(amount) > CONFIRM_FACTOR * Decimal(largest)


def _places_ok(value: Decimal, places: int) -> bool:
    return value == value.quantize(Decimal(1).scaleb(-places))


def check_credit_split(
    shares: Sequence[tuple[Hashable, object]], labels: dict | None = None
) -> list[Decimal]:
    """`shares` is [(person, share %)]: not empty, every share a number above 0 with
    at most 2 decimals, nobody twice, and the shares add up to exactly 100. Messages
    name a person by `labels[person]` when given (as the page shows them), else as
    given. Returns the shares as Decimals, in order."""
    if not shares:
        raise DomainError(_("Credit the sale to at least one salesperson."))
    seen = set()
    values = []
    for key, raw in shares:
        person = (labels or {}).get(key, key)
        if key in seen:
            raise DomainError(
                _("%(person)s is credited twice: give each person one share.") % {"person": person}
            )
        seen.add(key)
        value = to_decimal(raw, what=_("The share of %(person)s") % {"person": person})
        if value <= 0:
            raise DomainError(
                _("The share of %(person)s must be above 0 %%, not %(share)s %%.")
                % {"person": person, "share": value}
            )
        if not _places_ok(value, SHARE_PLACES):
            raise DomainError(
                _("The share of %(person)s has more than 2 decimals: %(share)s.")
                % {"person": person, "share": value}
            )
        values.append(value)
    total = sum(values, Decimal(0))
    if total != HUNDRED:
        raise DomainError(
            _("The credit shares add up to %(sum)s %%, not 100 %%.")
            % {"sum": f"{total.normalize():f}"}
        )
    return values


def credited_amounts(amount, shares: Sequence[Decimal], places: int = MONEY_PLACES) -> list:
    """`amount` split by the shares (percentages), rounded to `places` decimals so that
    the parts add up to `amount` exactly (largest remainder; a negative amount is
    split as its magnitude, every part negative)."""
    amount = Decimal(amount)
    if amount == 0:
        return [Decimal(0).quantize(Decimal(1).scaleb(-places))] * len(shares)
    parts = split_by_weights(abs(amount), list(shares), places)
    return [-p for p in parts] if amount < 0 else parts


def credited_amount(amount, share_pct) -> Decimal:
    """A lone share's part of `amount`, rounded half up to the cent. The parts of a
    whole record come from `credited_amounts`, which makes them add up exactly."""
    value = Decimal(amount) * Decimal(share_pct) / HUNDRED
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def check_record_values(amount, quantity, gross_margin, collected_amount) -> tuple:
    """The money and quantity of a record: numbers with at most 2 decimals. A sale is
    positive; a return or correction negative (see the module docstring): the
    quantity, margin and collected amount cannot go the other way than the amount,
    and what was collected cannot exceed the amount. Returns the four Decimals;
    raises RecordValueError naming the field."""
    fields = [
        ("amount", _("Amount"), amount),
        ("quantity", _("Quantity"), quantity),
        ("gross_margin", _("Gross margin"), gross_margin),
        ("collected_amount", _("Collected amount"), collected_amount or 0),
    ]
    values = []
    for name, label, raw in fields:
        try:
            value = to_decimal(raw, what=label)
        except DomainError as exc:
            raise RecordValueError(name, str(exc)) from None
        if not _places_ok(value, 2):
            raise RecordValueError(
                name,
                _("%(what)s has more than 2 decimals: %(value)s.")
                % {"what": label, "value": value},
            )
        limit = plausible_limit(name)
        if abs(value) > limit:
            raise RecordValueError(
                name,
                _(
                    "%(what)s %(value)s is not plausible: a record's %(what_lower)s is at "
                    "most %(limit)s (either way). Check the figure."
                )
                % {
                    "what": label,
                    "what_lower": str(label).lower(),
                    "value": f"{value:,}",
                    "limit": f"{limit:,}",
                },
            )
        values.append(value)
    amount, quantity, margin, collected = values
    sign = -1 if amount < 0 else 1
    if quantity * sign < 0:
        if amount < 0:
            message = _(
                "A return or correction has a negative amount (%(amount)s): make the quantity "
                "negative too (%(negated)s instead of %(quantity)s)."
            )
        else:
            message = _(
                "The amount %(amount)s is positive but the quantity %(quantity)s is negative: "
                "for a sale make the quantity positive (%(negated)s); for a return make the "
                "amount negative too."
            )
        raise RecordValueError(
            "quantity", message % {"quantity": quantity, "amount": amount, "negated": -quantity}
        )
    if margin * sign > amount * sign:
        raise RecordValueError(
            "gross_margin",
            _("Gross margin %(margin)s cannot exceed the amount %(amount)s.")
            % {"margin": margin, "amount": amount},
        )
    if collected * sign < 0:
        raise RecordValueError(
            "collected_amount",
            _(
                "Collected amount %(collected)s goes the other way than the amount "
                "%(amount)s: make it %(negated)s, or 0."
            )
            % {"collected": collected, "amount": amount, "negated": -collected},
        )
    if collected * sign > amount * sign:
        raise RecordValueError(
            "collected_amount",
            _("Collected amount %(collected)s exceeds the amount %(amount)s.")
            % {"collected": collected, "amount": amount},
        )
    return amount, quantity, margin, collected


def check_collection(collected_amount: Decimal, collected_on, sold_on=None) -> None:
    """A collected amount needs the day it was collected, and nothing is collected
    before the day of the sale (`sold_on`, when given)."""
    if collected_amount and collected_on is None:
        raise RecordValueError("collected_on", _("Give the date the amount was collected."))
    if collected_on is not None and sold_on is not None and collected_on < sold_on:
        raise RecordValueError(
            "collected_on",
            _(
                "The collection date %(collected)s is before the sale's date %(date)s: an "
                "amount is collected on or after the day of the sale."
            )
            % {"collected": collected_on.isoformat(), "date": sold_on.isoformat()},
        )


# --- no dates in the future --------------------------------------------------------------------
#
# What has happened (a sale, a collection, a contact with a customer, a customer won) is
# dated today at the latest, with one day of grace for the clock of whoever sends it (an
# ERP in another time zone, a laptop's clock). What is planned (a follow-up's next action
# date) may lie in the future.

CLOCK_SKEW = datetime.timedelta(days=1)


class DateRuleError(DomainError):
    """A date breaks a rule; `field` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message, field=field)


def latest_allowed(today: datetime.date) -> datetime.date:
    """The latest date a thing that has happened may carry, `today` being the day."""
    return today + CLOCK_SKEW


def _future_message(field: str) -> str:
    messages = {
        "date": _(
            "The sale's date %(date)s is in the future: the latest date allowed is %(latest)s."
        ),
        "collected_on": _(
            "The collection date %(date)s is in the future: the latest date allowed is "
            "%(latest)s. Enter the collection once the money is received."
        ),
        "happened_on": _(
            "The follow-up's date %(date)s is in the future: the latest date allowed is "
            "%(latest)s. To plan a contact, give it as the next action date."
        ),
        "became_customer_on": _(
            "The customer-since date %(date)s is in the future: the latest date allowed is "
            "%(latest)s."
        ),
    }
    return messages[field]


def check_not_future(day: datetime.date | None, *, field: str, today: datetime.date) -> None:
    """`day` (of `field`: date, collected_on, happened_on or became_customer_on) is not
    after `today` plus the clock skew; None passes. Raises DateRuleError naming the
    field and the latest date allowed."""
    latest = latest_allowed(today)
    if day is not None and day > latest:
        raise DateRuleError(
            field, _future_message(field) % {"date": day.isoformat(), "latest": latest.isoformat()}
        )


# --- sensible date ranges ----------------------------------------------------------------------
#
# A follow-up is logged within a year of the day it happened, and its next action is
# planned at most a year ahead; a customer was won no earlier than 1950 (the database
# checks that bound too). A date already stored is not judged again when other fields
# change (sales.records.services).

FOLLOWUP_WINDOW = datetime.timedelta(days=366)
EARLIEST_CUSTOMER_SINCE = datetime.date(1950, 1, 1)


def check_followup_dates(
    *, happened_on: datetime.date | None, next_action_on: datetime.date | None, today
) -> None:
    """The follow-up happened within the last year, and its next action is within the
    next year. Raises DateRuleError naming the field."""
    earliest = today - FOLLOWUP_WINDOW
    if happened_on is not None and happened_on < earliest:
        raise DateRuleError(
            "happened_on",
            _(
                "The follow-up's date %(date)s is more than a year ago: the earliest date "
                "allowed is %(earliest)s."
            )
            % {"date": happened_on.isoformat(), "earliest": earliest.isoformat()},
        )
    latest = today + FOLLOWUP_WINDOW
    if next_action_on is not None and next_action_on > latest:
        raise DateRuleError(
            "next_action_on",
            _(
                "The next action date %(date)s is more than a year ahead: the latest date "
                "allowed is %(latest)s."
            )
            % {"date": next_action_on.isoformat(), "latest": latest.isoformat()},
        )


def check_customer_since(day: datetime.date | None) -> None:
    """A customer was won no earlier than EARLIEST_CUSTOMER_SINCE; None passes."""
    if day is not None and day < EARLIEST_CUSTOMER_SINCE:
        raise DateRuleError(
            "became_customer_on",
            _(
                "The customer-since date %(date)s is not plausible: the earliest date "
                "allowed is %(earliest)s."
            )
            % {"date": day.isoformat(), "earliest": EARLIEST_CUSTOMER_SINCE.isoformat()},
        )


# --- the monthly totals kept in step with the credits ---------------------------------------

TotalKey = tuple[int, int, datetime.date]  # person id, team id, first day of the month


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def total_deltas(credits, sign: int) -> dict[TotalKey, list[Decimal]]:
    """What adding (sign 1) or removing (sign -1) these credits changes in the monthly
    totals: {(person, team, month): [amount, gross margin, quantity, collected]}.
    Amount, margin and quantity count in the month of the sale, the collected amount
    in the month of the collection; credits not booked change nothing. `credits`
    need person_id, team_id, date, collected_on, booked and the four amounts."""
    deltas: dict[TotalKey, list[Decimal]] = {}
    zero = Decimal(0)
    for c in credits:
        if not c.booked:
            continue
        key = (c.person_id, c.team_id, first_of_month(c.date))
        row = deltas.setdefault(key, [zero, zero, zero, zero])
        row[0] += sign * Decimal(c.amount)
        row[1] += sign * Decimal(c.gross_margin)
        row[2] += sign * Decimal(c.quantity)
        if c.collected_on is not None and c.collected_amount:
            key = (c.person_id, c.team_id, first_of_month(c.collected_on))
            row = deltas.setdefault(key, [zero, zero, zero, zero])
            row[3] += sign * Decimal(c.collected_amount)
    return {k: v for k, v in deltas.items() if any(v)}


def merge_deltas(*parts: dict[TotalKey, list[Decimal]]) -> dict[TotalKey, list[Decimal]]:
    merged: dict[TotalKey, list[Decimal]] = {}
    for part in parts:
        for key, values in part.items():
            row = merged.setdefault(key, [Decimal(0)] * 4)
            for i, v in enumerate(values):
                row[i] += v
    return {k: v for k, v in merged.items() if any(v)}


def months_changed(old_credits, new_credits) -> list[datetime.date]:
    """The months (first days, in order) whose totals change when `old_credits` are
    replaced by `new_credits`: the months of a sale's amounts and of its collection."""
    deltas = merge_deltas(total_deltas(old_credits, -1), total_deltas(new_credits, 1))
    return sorted({month for _person, _team, month in deltas})


# --- live attainment: pace, projection, at-risk ----------------------------------------------
#
# Attainment compares what was sold with the target; the pace says how much of the target
# should be there by today, following the shape of the period's months (its monthly
# targets, else the seasonality profile's weights, else plain days); the projection
# carries today's rate to the end of the period; a person or unit is at risk when that
# projection falls short of SALES_AT_RISK_PCT % of the target.
#
# Two rules keep the flag from crying wolf. No verdict before a minimum share of the
# period has passed (SALES_AT_RISK_MIN_ELAPSED_PCT): until then it is "too early to
# tell". And a metric whose actuals arrive late (collections, entered once the payment
# is matched) has a lag in days (Metric.pace_lag_days): its pace, its projection and its
# share of the period passed are taken as of that many days ago, since what happened
# since has mostly not been entered yet.
#
# Rounding (half up): percentages to 0.1; expected-to-date, projection and variances to
# the metric's decimal places (2 for money and percentages, 0 for counts). Fractions of
# a period are exact Decimals (28 significant digits), never rounded, and the at-risk
# test compares unrounded values, so a rounded figure never decides it.

HIGHER = "higher"  # the values of targets.models.Metric.Direction
LOWER = "lower"
PACE_DAYS = "days"  # the values of settings.SALES_PACE_METHOD
PACE_SEASONALITY = "seasonality"
SHAPE_MONTH_TARGETS = "monthly_targets"  # where the shape of a pace came from
SHAPE_SEASONALITY = "seasonality"
SHAPE_DAYS = "days"
PCT_QUANTUM = Decimal("0.1")


def _round(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _round_pct(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(PCT_QUANTUM, rounding=ROUND_HALF_UP)


def _ratio_pct(actual, target, direction: str = HIGHER) -> Decimal | None:
    """Unrounded attainment (see attainment_pct); None without a target above 0."""
    if target is None or Decimal(target) <= 0:
        return None
    ratio = Decimal(actual) * HUNDRED / Decimal(target)
    if direction == LOWER:
        return max(2 * HUNDRED - ratio, Decimal(0))
    return ratio


def exact_attainment(actual, target, direction: str = HIGHER) -> Fraction | None:
    """The attainment of `attainment_pct` as an exact fraction, never rounded (what an
    appraisal curve scores); None without a target above 0."""
    if target is None or Decimal(target) <= 0:
        return None
    ratio = Fraction(Decimal(actual)) * 100 / Fraction(Decimal(target))
    if direction == LOWER:
        return max(200 - ratio, Fraction(0))
    return ratio


def attainment_pct(actual, target, direction: str = HIGHER) -> Decimal | None:
    """The actual as a percentage of the target, rounded half up to 0.1.

    Higher is better (sales, margin, customers): actual / target * 100; above 100
    when the target is beaten, below 0 when returns outweigh the sales. Lower is better
    (a budget to stay under): 100 at the target, one point more for every 1 % under
    it and one less for every 1 % over it, (2 - actual / target) * 100, never below 0.
    No target, or a target of 0, has no attainment: None."""
    return _round_pct(_ratio_pct(actual, target, direction))


def days_in(start: datetime.date, end: datetime.date) -> int:
    """Days from start to end, both included."""
    return (end - start).days + 1


def elapsed_fraction(start: datetime.date, end: datetime.date, today: datetime.date) -> Decimal:
    """The share of a period's days that have passed by the end of `today` (today
    counts): 0 before the start, 1 from the last day on."""
    if end < start:
        raise ValueError("a period ends on or after its start")
    if today < start:
        return Decimal(0)
    if today >= end:
        return Decimal(1)
    return Decimal(days_in(start, today)) / Decimal(days_in(start, end))


@lru_cache(maxsize=256)
def month_spans(
    start: datetime.date, end: datetime.date
) -> tuple[tuple[datetime.date, datetime.date], ...]:
    """The calendar months from start to end, the first and last clipped to them
    (remembered: every owner of a dashboard asks for the same period's months)."""
    spans = []
    day = start
    while day <= end:
        following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        last = min(following - datetime.timedelta(days=1), end)
        spans.append((day, last))
        day = following
    return tuple(spans)


def _usable(weights, count: int) -> list[Decimal] | None:
    if weights is None or len(weights) != count or any(w is None for w in weights):
        return None
    values = [Decimal(w) for w in weights]
    if any(v < 0 for v in values) or sum(values, Decimal(0)) <= 0:
        return None
    return values


def pace_shape(
    *,
    method: str,
    month_count: int,
    month_targets: Sequence | None = None,
    profile_weights: Sequence | None = None,
) -> tuple[list[Decimal] | None, str]:
    """The monthly shape a period's pace follows: (weights per month or None, source).

    With the "days" method, or a period of one month, the pace follows the days.
    Otherwise the owner's monthly targets of the period's months, when the time
    cascade made one for every month and they add up to more than 0; else the
    seasonality profile's weights for those months; else the days."""
    if method == PACE_DAYS or month_count <= 1:
        return None, SHAPE_DAYS
    weights = _usable(month_targets, month_count)
    if weights is not None:
        return weights, SHAPE_MONTH_TARGETS
    weights = _usable(profile_weights, month_count)
    if weights is not None:
        return weights, SHAPE_SEASONALITY
    return None, SHAPE_DAYS


def expected_share(
    *,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date,
    weights: Sequence[Decimal] | None = None,
) -> Decimal:
    """The share (0 to 1) of the period's target expected by the end of `today`.

    With a weight per month of the period: the sum over the months of each month's
    weight times the share of its days passed, over the sum of the weights (within a
    month the pace follows the days). Without weights (or weights adding up to 0):
    the share of the period's days passed."""
    if weights is None:
        return elapsed_fraction(start, end, today)
    spans = month_spans(start, end)
    if len(weights) != len(spans):
        raise ValueError("one weight per month of the period")
    total = sum((Decimal(w) for w in weights), Decimal(0))
    if total <= 0:
        return elapsed_fraction(start, end, today)
    done = sum(
        (
            Decimal(w) * elapsed_fraction(s, e, today)
            for w, (s, e) in zip(weights, spans, strict=True)
        ),
        Decimal(0),
    )
    return min(done / total, Decimal(1))


def expected_to_date(target, share: Decimal, places: int) -> Decimal | None:
    """The part of the target expected by now; None without a target."""
    if target is None:
        return None
    return _round(Decimal(target) * share, places)


def projection(actual, share: Decimal, places: int) -> Decimal | None:
    """The actual carried to the end of the period at the rate of the pace: actual /
    expected share. None while nothing is expected yet (share 0)."""
    if share <= 0:
        return None
    return _round(Decimal(actual) / share, places)


def observed_day(today: datetime.date, lag_days: int = 0) -> datetime.date:
    """The last day whose actuals count as in: `today`, or `lag_days` before it for a
    metric whose actuals arrive late."""
    if lag_days < 0:
        raise ValueError("a lag is 0 days or more")
    return today - datetime.timedelta(days=lag_days)


VERDICT_NONE = "none"  # no target above 0: nothing to judge
VERDICT_TOO_EARLY = "too_early"  # too little of the period has passed to tell
VERDICT_AT_RISK = "at_risk"
VERDICT_ON_TRACK = "on_track"
VERDICTS = (VERDICT_NONE, VERDICT_TOO_EARLY, VERDICT_AT_RISK, VERDICT_ON_TRACK)


def verdict(
    *,
    actual,
    target,
    share: Decimal,
    observed: Decimal,
    threshold_pct,
    min_elapsed_pct=0,
    direction: str = HIGHER,
) -> str:
    """The at-risk verdict of one target: VERDICT_NONE without a target above 0;
    VERDICT_TOO_EARLY while less than `min_elapsed_pct` % of the period has been
    observed (`observed`, 0..1: the share of its days passed, as of the metric's lag)
    or nothing is expected yet; else VERDICT_AT_RISK when the projection's attainment
    is below `threshold_pct` (is_at_risk), VERDICT_ON_TRACK otherwise."""
    if target is None or Decimal(target) <= 0:
        return VERDICT_NONE
    if share <= 0 or observed * HUNDRED < Decimal(min_elapsed_pct):
        return VERDICT_TOO_EARLY
    at_risk = is_at_risk(
        actual=actual, target=target, share=share, threshold_pct=threshold_pct, direction=direction
    )
    return VERDICT_AT_RISK if at_risk else VERDICT_ON_TRACK


def is_at_risk(*, actual, target, share: Decimal, threshold_pct, direction: str = HIGHER) -> bool:
    """The projection's attainment falls below `threshold_pct` (for higher-is-better:
    projection < threshold % of the target). Only once some of the target is
    expected (share above 0), and only with a target above 0."""
    if share <= 0 or target is None or Decimal(target) <= 0:
        return False
    projected = _ratio_pct(Decimal(actual) / share, target, direction)
    return projected is not None and projected < Decimal(threshold_pct)


@dataclass(frozen=True)
class Progress:
    """Every number of one owner's attainment of one target in one period."""

    target: Decimal | None
    actual: Decimal
    elapsed: Decimal  # share of the period's days passed, 0..1
    expected_share: Decimal  # share of the target expected by now, 0..1
    expected: Decimal | None  # the pace: target expected by now
    variance: Decimal | None  # actual - target
    pace_variance: Decimal | None  # actual - expected (ahead of the pace when > 0)
    attainment: Decimal | None  # %
    used_pct: Decimal | None  # actual / target * 100, whatever the direction (bar width)
    pace_pct: Decimal  # expected share * 100 (the pace marker on the bar)
    projection: Decimal | None
    projected_attainment: Decimal | None  # %
    at_risk: bool
    shape: str  # SHAPE_*
    verdict: str = VERDICT_NONE  # VERDICT_*
    observed: Decimal = Decimal(0)  # share of the period's days observed (as of the lag)
    lag_days: int = 0

    @property
    def too_early(self) -> bool:
        return self.verdict == VERDICT_TOO_EARLY

    @property
    def observed_pct(self) -> Decimal:
        return _round_pct(self.observed * HUNDRED)


def progress(
    *,
    actual,
    target,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date,
    places: int,
    threshold_pct,
    direction: str = HIGHER,
    weights: Sequence[Decimal] | None = None,
    shape: str = SHAPE_DAYS,
    lag_days: int = 0,
    min_elapsed_pct=0,
) -> Progress:
    """Attainment, pace, projection and the at-risk verdict of one target (see above).
    The pace, the projection and the share observed are taken as of `lag_days` before
    `today`; no verdict while less than `min_elapsed_pct` % of the period is observed."""
    actual = Decimal(actual)
    target = None if target is None else Decimal(target)
    seen = observed_day(today, lag_days)
    share = expected_share(start=start, end=end, today=seen, weights=weights)
    observed = elapsed_fraction(start, end, seen)
    expected = expected_to_date(target, share, places)
    projected = projection(actual, share, places)
    judged = verdict(
        actual=actual,
        target=target,
        share=share,
        observed=observed,
        threshold_pct=threshold_pct,
        min_elapsed_pct=min_elapsed_pct,
        direction=direction,
    )
    return Progress(
        target=target,
        actual=actual,
        elapsed=elapsed_fraction(start, end, today),
        expected_share=share,
        expected=expected,
        variance=None if target is None else _round(actual - target, places),
        pace_variance=None if expected is None else _round(actual - expected, places),
        attainment=attainment_pct(actual, target, direction),
        used_pct=attainment_pct(actual, target, HIGHER),
        pace_pct=_round_pct(share * HUNDRED),
        projection=projected,
        projected_attainment=(
            None if share <= 0 else _round_pct(_ratio_pct(actual / share, target, direction))
        ),
        at_risk=judged == VERDICT_AT_RISK,
        shape=shape if weights is not None else SHAPE_DAYS,
        verdict=judged,
        observed=observed,
        lag_days=lag_days,
    )
