"""Pure rules of incentive plans (奖金方案): how attainment and an appraisal grade become a
bonus, line by line. No ORM here; every function is tested on its own (tests/rewards).

A plan pays a person's **target incentive** (目标奖金, the bonus at exactly 100 %) through
**components**, each with a weight (the components' weights add up to 100) and a **curve**
that turns the attainment of one metric into a payout percentage:

- a **threshold** (起付门槛): below it the component pays nothing;
- **tiers** (阶梯), each from an attainment on, with a rate (payout % per attainment %).
  **Marginal** tiers (分段累进) pay each band of attainment at its own rate, so the payout is
  continuous at the tiers' edges; **whole** tiers (全额适用) pay all of the attainment at the
  rate of the tier reached, and their rates may not fall from one tier to the next. A rate
  below 1 under 100 % is a decelerator, above 1 over 100 % an accelerator;
- a **cap** (封顶): the most the component pays, as a payout %.

Then, in this order, each a line of the working:

1. the components' amounts: target incentive * weight % * payout %;
2. the plan's cap, if the components together pay more than it allows (a % of the target
   incentive);
3. the **grade multiplier** (等级系数) of the finalised appraisal grade (the line is the
   difference it makes). Without a final grade the decision waits for the appraisal: it
   has no total, never a silent zero;
4. the **penalty rules** (奖金扣减) that fire, in their order, each taking its percentage of
   the bonus after the multiplier (together at most all of it), and each holding promotion
   for its number of periods (the longest hold counts);
5. an **eligibility gate** that fails takes away what is left (the working still shows what
   the components would have paid);
6. **adjustments** given in cents (a clawback for a sale cancelled after approval, 追回).

The rounding rule (the only one): every line is computed exactly; the total is their exact
sum rounded half up to the cent, and each line is rounded half up to the cent, then the
lines nearest to their rounding boundary move by a cent (largest remainder) until they add
up to that total. So the working always adds up on screen, and no line is more than a cent
from its exact value.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from core.errors import DomainError
from core.text import plain, sentence

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
ZERO = Decimal(0)

__all__ = [
    "Component",
    "Curve",
    "Figure",
    "Inputs",
    "Line",
    "LineKind",
    "NextStep",
    "PenaltyRule",
    "Plan",
    "Status",
    "Tier",
    "TierMode",
    "Working",
    "attainment_after",
    "check_curve",
    "check_plan",
    "describe_curve",
    "describe_multipliers",
    "describe_penalty",
    "extra_needed",
    "next_step",
    "next_steps",
    "payout_percent",
    "round_lines",
    "tier_reached",
    "what_if",
    "work_out",
]


class TierMode(enum.StrEnum):
    MARGINAL = "marginal"
    WHOLE = "whole"


@dataclass(frozen=True)
class Tier:
    """From attainment `start` % on, `rate` payout % per attainment %."""

    start: Decimal
    rate: Decimal


@dataclass(frozen=True)
class Curve:
    tiers: tuple[Tier, ...]
    mode: TierMode = TierMode.MARGINAL
    threshold: Decimal = ZERO
    cap: Decimal | None = None


@dataclass(frozen=True)
class Component:
    """One metric's part of the plan: `key` names the metric, `weight` is its % of the
    target incentive."""

    key: str
    weight: Decimal
    curve: Curve


@dataclass(frozen=True)
class PenaltyRule:
    """Fires when the attainment (of the component `key`, or the weighted attainment of
    the plan when `key` is empty) is below `below`, or when the grade is one of `grades`.
    It takes `reduction` % of the bonus and holds promotion for `hold_periods` periods."""

    code: str
    reduction: Decimal = ZERO
    hold_periods: int = 0
    below: Decimal | None = None
    key: str = ""
    grades: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Plan:
    components: tuple[Component, ...]
    multipliers: Mapping[str, Decimal] | None = None  # grade -> factor; None: no multiplier
    penalties: tuple[PenaltyRule, ...] = ()
    cap: Decimal | None = None  # the most the components pay together, % of the incentive


@dataclass(frozen=True)
class Inputs:
    """What a person brings to the plan for one period."""

    target_incentive: Decimal
    attainments: Mapping[str, Decimal | None]  # component key -> attainment %, None: no target
    grade: str | None = None  # None: no finalised appraisal yet
    gates: Mapping[str, bool] = field(default_factory=dict)  # gate -> passed
    adjustments: Sequence[tuple[str, Decimal]] = ()  # (label, amount in cents)


class Status(enum.StrEnum):
    COMPUTED = "computed"
    WAITING = "waiting"  # for the appraisal grade the multiplier or a penalty needs


class LineKind(enum.StrEnum):
    COMPONENT = "component"
    PLAN_CAP = "plan_cap"
    MULTIPLIER = "multiplier"
    PENALTY = "penalty"
    GATE = "gate"
    ADJUSTMENT = "adjustment"


@dataclass(frozen=True)
class Line:
    """One line of the working. `exact` is the unrounded amount, `amount` the cents shown.
    A component line also has its attainment, the tier reached (its index, None below the
    threshold or without a target), the payout % and whether its cap bit."""

    kind: LineKind
    key: str
    exact: Decimal
    amount: Decimal
    attainment: Decimal | None = None
    tier: int | None = None
    payout: Decimal | None = None
    capped: bool = False
    factor: Decimal | None = None  # a multiplier's factor, a penalty's reduction %


@dataclass(frozen=True)
class Working:
    status: Status
    lines: tuple[Line, ...]
    total: Decimal | None  # None while waiting
    fired: tuple[PenaltyRule, ...] = ()
    hold_periods: int = 0

    @property
    def before_penalties(self) -> Decimal:
        """The bonus after the components, the plan's cap and the multiplier (cents)."""
        kinds = {LineKind.COMPONENT, LineKind.PLAN_CAP, LineKind.MULTIPLIER}
        return sum((line.amount for line in self.lines if line.kind in kinds), ZERO)


# --- checks ----------------------------------------------------------------------------------


def check_curve(curve: Curve) -> None:
    """Refuse a curve that would pay in a way nobody could read from it."""
    if not curve.tiers:
        raise DomainError(_("A curve needs at least one tier."), code="invalid", field="tiers")
    if curve.tiers[0].start != 0:
        raise DomainError(
            _("The first tier starts at 0 % attainment."), code="invalid", field="tiers"
        )
    starts = [t.start for t in curve.tiers]
    if any(b <= a for a, b in itertools.pairwise(starts)):
        raise DomainError(
            _("Each tier starts above the one before it."), code="invalid", field="tiers"
        )
    if any(t.rate < 0 for t in curve.tiers):
        raise DomainError(_("A tier's rate cannot be negative."), code="invalid", field="tiers")
    if curve.mode == TierMode.WHOLE and any(
        b.rate < a.rate for a, b in itertools.pairwise(curve.tiers)
    ):
        raise DomainError(
            _(
                "With whole tiers, a tier's rate cannot be below the rate of the tier before "
                "it: selling more would pay less."
            ),
            code="invalid",
            field="tiers",
        )
    if curve.threshold < 0:
        raise DomainError(_("The threshold cannot be negative."), code="invalid", field="threshold")
    if curve.cap is not None and curve.cap <= 0:
        raise DomainError(_("A cap must be above 0 %."), code="invalid", field="cap")


def check_plan(plan: Plan) -> None:
    if not plan.components:
        raise DomainError(
            _("A plan needs at least one component."), code="invalid", field="components"
        )
    keys = [c.key for c in plan.components]
    if len(set(keys)) != len(keys):
        raise DomainError(
            _("A metric can be a component of the plan only once."),
            code="invalid",
            field="components",
        )
    if any(c.weight <= 0 for c in plan.components):
        raise DomainError(
            _("A component's weight must be above 0."), code="invalid", field="components"
        )
    total = sum((c.weight for c in plan.components), ZERO)
    if total != HUNDRED:
        raise DomainError(
            _("The components' weights add up to %(total)s, not 100.") % {"total": total},
            code="invalid",
            field="components",
        )
    for component in plan.components:
        check_curve(component.curve)
    if plan.cap is not None and plan.cap <= 0:
        raise DomainError(_("A cap must be above 0 %."), code="invalid", field="cap")
    if plan.multipliers is not None and any(f < 0 for f in plan.multipliers.values()):
        raise DomainError(
            _("A grade multiplier cannot be negative."), code="invalid", field="multipliers"
        )
    for rule in plan.penalties:
        if not 0 <= rule.reduction <= HUNDRED:
            raise DomainError(
                _("A penalty's reduction is between 0 and 100 %."),
                code="invalid",
                field="penalties",
            )
        if rule.hold_periods < 0:
            raise DomainError(
                _("A promotion hold cannot be negative."), code="invalid", field="penalties"
            )
        if rule.below is None and not rule.grades:
            raise DomainError(
                _("A penalty rule needs an attainment below which, or grades, for it to fire."),
                code="invalid",
                field="penalties",
            )
        if rule.key and rule.key not in keys:
            raise DomainError(
                _("A penalty rule reads a metric that is not a component of the plan."),
                code="invalid",
                field="penalties",
            )


# --- curves ----------------------------------------------------------------------------------


def tier_reached(curve: Curve, attainment: Decimal) -> int | None:
    """The index of the tier the attainment is in, None below the threshold."""
    attainment = max(Decimal(attainment), ZERO)
    if attainment < curve.threshold:
        return None
    reached = 0
    for index, tier in enumerate(curve.tiers):
        if attainment >= tier.start:
            reached = index
    return reached


def payout_percent(curve: Curve, attainment: Decimal) -> Decimal:
    """The exact payout % of an attainment % (a negative attainment counts as 0)."""
    attainment = max(Decimal(attainment), ZERO)
    if attainment < curve.threshold:
        return ZERO
    if curve.mode == TierMode.WHOLE:
        paid = curve.tiers[tier_reached(curve, attainment)].rate * attainment
    else:
        paid = ZERO
        ends = [t.start for t in curve.tiers[1:]] + [None]
        for tier, end in zip(curve.tiers, ends, strict=True):
            if attainment <= tier.start:
                break
            top = attainment if end is None else min(attainment, end)
            paid += tier.rate * (top - tier.start)
    if curve.cap is not None:
        paid = min(paid, curve.cap)
    return paid


def next_step(curve: Curve, attainment: Decimal) -> Decimal | None:
    """The attainment % at which the curve next pays at another rate (the threshold, or
    the next tier's start) above `attainment`; None when no step is left."""
    attainment = Decimal(attainment)
    steps = sorted({curve.threshold, *(t.start for t in curve.tiers)})
    return next((s for s in steps if s > attainment), None)


def attainment_after(actual: Decimal, target: Decimal, extra: Decimal = ZERO) -> Decimal | None:
    """The exact attainment % once `extra` more is booked; None without a target."""
    if not target:
        return None
    return (Decimal(actual) + Decimal(extra)) * HUNDRED / Decimal(target)


def extra_needed(actual: Decimal, target: Decimal, attainment: Decimal) -> Decimal:
    """How much more must be booked to reach `attainment` % (0 when it is reached)."""
    return max(Decimal(target) * Decimal(attainment) / HUNDRED - Decimal(actual), ZERO)


# --- the working -----------------------------------------------------------------------------


def _half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_lines(exact: Sequence[Decimal]) -> tuple[list[Decimal], Decimal]:
    """(each line in cents, the total in cents): the total is the exact sum rounded half up;
    the lines are rounded half up, then those nearest to their rounding boundary move a
    cent each until they add up to the total (largest remainder; ties to the earlier)."""
    exact = [Decimal(x) for x in exact]
    total = _half_up(sum(exact, ZERO))
    rounded = [_half_up(x) for x in exact]
    gap = int((total - sum(rounded, ZERO)) / CENT)
    if gap:
        direction = 1 if gap > 0 else -1
        order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - rounded[i]) * direction, i))
        for i in order[: abs(gap)]:
            rounded[i] += CENT * direction
    return rounded, total


def _weighted_attainment(plan: Plan, inputs: Inputs) -> Decimal | None:
    values = [inputs.attainments.get(c.key) for c in plan.components]
    if any(v is None for v in values):
        return None
    return sum((c.weight * v for c, v in zip(plan.components, values, strict=True)), ZERO) / (
        HUNDRED
    )


def _fires(rule: PenaltyRule, plan: Plan, inputs: Inputs) -> bool:
    if rule.grades and inputs.grade in rule.grades:
        return True
    if rule.below is None:
        return False
    attainment = (
        inputs.attainments.get(rule.key) if rule.key else _weighted_attainment(plan, inputs)
    )
    return attainment is not None and attainment < rule.below


def work_out(plan: Plan, inputs: Inputs) -> Working:
    """The whole working of one person's bonus for one period (see the module's rules)."""
    incentive = Decimal(inputs.target_incentive)
    if incentive < 0:
        raise DomainError(
            _("A target incentive cannot be negative."), code="invalid", field="target_incentive"
        )
    # (kind, key, exact, extra fields)
    drafts: list[tuple[LineKind, str, Decimal, dict]] = []
    for component in plan.components:
        attainment = inputs.attainments.get(component.key)
        if attainment is None:
            drafts.append(
                (LineKind.COMPONENT, component.key, ZERO, {"attainment": None, "payout": ZERO})
            )
            continue
        uncapped = payout_percent(
            Curve(component.curve.tiers, component.curve.mode, component.curve.threshold),
            attainment,
        )
        payout = payout_percent(component.curve, attainment)
        drafts.append(
            (
                LineKind.COMPONENT,
                component.key,
                incentive * component.weight / HUNDRED * payout / HUNDRED,
                {
                    "attainment": Decimal(attainment),
                    "tier": tier_reached(component.curve, attainment),
                    "payout": payout,
                    "capped": payout < uncapped,
                },
            )
        )
    running = sum((d[2] for d in drafts), ZERO)
    if plan.cap is not None and running > incentive * plan.cap / HUNDRED:
        cut = incentive * plan.cap / HUNDRED - running
        drafts.append((LineKind.PLAN_CAP, "", cut, {"factor": plan.cap}))
        running += cut

    needs_grade = plan.multipliers is not None or any(r.grades for r in plan.penalties)
    if needs_grade and inputs.grade is None:
        return _finish(drafts, inputs, Status.WAITING, fired=(), hold=0, total=False)
    if plan.multipliers is not None:
        factor = plan.multipliers.get(inputs.grade)
        if factor is None:
            raise DomainError(
                _("The plan gives no multiplier for the grade %(grade)s.")
                % {"grade": inputs.grade},
                code="invalid",
                field="grade",
            )
        change = running * (factor - 1)
        drafts.append((LineKind.MULTIPLIER, inputs.grade, change, {"factor": factor}))
        running += change

    fired = tuple(rule for rule in plan.penalties if _fires(rule, plan, inputs))
    base, taken = running, ZERO
    for rule in fired:
        share = min(rule.reduction, HUNDRED - taken)
        taken += share
        drafts.append((LineKind.PENALTY, rule.code, -base * share / HUNDRED, {"factor": share}))
    running = base * (HUNDRED - taken) / HUNDRED
    failed = sorted(name for name, passed in inputs.gates.items() if not passed)
    if failed and running:
        drafts.append((LineKind.GATE, failed[0], -running, {}))
    hold = max((rule.hold_periods for rule in fired), default=0)
    return _finish(drafts, inputs, Status.COMPUTED, fired=fired, hold=hold, total=True)


def _finish(drafts, inputs: Inputs, status: Status, *, fired, hold, total: bool) -> Working:
    for label, amount in inputs.adjustments:
        amount = Decimal(amount)
        if amount != amount.quantize(CENT):
            raise DomainError(
                _("An adjustment is given in cents: %(amount)s has more decimals.")
                % {"amount": amount},
                code="invalid",
                field="adjustments",
            )
        drafts.append((LineKind.ADJUSTMENT, label, amount, {}))
    amounts, rounded_total = round_lines([d[2] for d in drafts])
    lines = tuple(
        Line(kind=kind, key=key, exact=exact, amount=amount, **extra)
        for (kind, key, exact, extra), amount in zip(drafts, amounts, strict=True)
    )
    return Working(
        status=status,
        lines=lines,
        total=rounded_total if total else None,
        fired=fired,
        hold_periods=hold,
    )


# --- the what-if estimator ------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A component's actual and target for the period so far (the dashboards' figures)."""

    actual: Decimal
    target: Decimal | None


@dataclass(frozen=True)
class NextStep:
    """Where a component next pays at another rate, and how much more must be booked."""

    key: str
    attainment: Decimal
    extra: Decimal


def what_if(
    plan: Plan, inputs: Inputs, figures: Mapping[str, Figure], extra: Mapping[str, Decimal]
) -> Working:
    """The working if `extra` more were booked on each named component by the period's end,
    the rest as today (attainments recomputed exactly from the figures)."""
    attainments = dict(inputs.attainments)
    for key, figure in figures.items():
        if figure.target:
            attainments[key] = attainment_after(figure.actual, figure.target, extra.get(key, ZERO))
    return work_out(
        plan,
        Inputs(
            target_incentive=inputs.target_incentive,
            attainments=attainments,
            grade=inputs.grade,
            gates=inputs.gates,
            adjustments=inputs.adjustments,
        ),
    )


def next_steps(plan: Plan, figures: Mapping[str, Figure]) -> list[NextStep]:
    """For each component with a target, the next attainment at which it pays at another
    rate (the threshold or the next tier) and what must still be booked to reach it."""
    steps = []
    for component in plan.components:
        figure = figures.get(component.key)
        if figure is None or not figure.target:
            continue
        attainment = attainment_after(figure.actual, figure.target)
        step = next_step(component.curve, attainment)
        if step is not None:
            steps.append(
                NextStep(component.key, step, extra_needed(figure.actual, figure.target, step))
            )
    return steps


# --- in plain words --------------------------------------------------------------------------


def _pct(value: Decimal) -> str:
    return f"{plain(value)} %"


def describe_curve(curve: Curve) -> str:
    """How a component pays, in plain words in the active language ("Below 50 % pays
    nothing; from 50 % to 80 %, each 1 % of attainment pays 0.5 %; ...")."""
    parts = []
    if curve.threshold > 0:
        parts.append(_("below %(threshold)s pays nothing") % {"threshold": _pct(curve.threshold)})
    ends = [t.start for t in curve.tiers[1:]] + [None]
    for tier, end in zip(curve.tiers, ends, strict=True):
        start = max(tier.start, curve.threshold)
        if end is not None and end <= start:
            continue  # wholly below the threshold
        values = {"start": _pct(start), "rate": _pct(tier.rate)}
        if curve.mode == TierMode.WHOLE:
            if end is None:
                text = _("from %(start)s on, all of the attainment pays %(rate)s for each 1 %%")
            else:
                values["end"] = _pct(end)
                text = _(
                    "from %(start)s to below %(end)s, all of the attainment pays %(rate)s for "
                    "each 1 %%"
                )
        elif end is None:
            text = _("above %(start)s, each further 1 %% of attainment pays %(rate)s")
        else:
            values["end"] = _pct(end)
            text = _("from %(start)s to %(end)s, each 1 %% of attainment pays %(rate)s")
        parts.append(text % values)
    if curve.cap is not None:
        parts.append(_("at most %(cap)s in all") % {"cap": _pct(curve.cap)})
    return sentence(parts)


def describe_multipliers(multipliers: Mapping[str, Decimal]) -> str:
    """ "The appraisal grade multiplies the bonus: S by 1.2, A by 1, ..." in plain words."""
    by_grade = [
        _("%(grade)s by %(factor)s") % {"grade": grade, "factor": plain(factor)}
        for grade, factor in multipliers.items()
    ]
    return sentence(
        [
            _("the appraisal grade multiplies the bonus: %(factors)s")
            % {"factors": pgettext("between items of a list", ", ").join(by_grade)}
        ]
    )


def describe_penalty(rule: PenaltyRule, *, metric_name: str = "") -> str:
    """When the rule fires and what it does, in plain words ("If the attainment of
    Revenue is below 70 % or the grade is D, the bonus is reduced by 30 % and promotion
    is held for 2 periods.")."""
    conditions = []
    if rule.below is not None:
        if rule.key:
            conditions.append(
                _("the attainment of %(metric)s is below %(below)s")
                % {"metric": metric_name or rule.key, "below": _pct(rule.below)}
            )
        else:
            conditions.append(
                _("the weighted attainment is below %(below)s") % {"below": _pct(rule.below)}
            )
    if rule.grades:
        conditions.append(
            _("the grade is %(grades)s")
            % {"grades": pgettext("between alternatives", " or ").join(sorted(rule.grades))}
        )
    effects = []
    if rule.reduction:
        effects.append(
            _("the bonus is reduced by %(reduction)s") % {"reduction": _pct(rule.reduction)}
        )
    if rule.hold_periods:
        effects.append(
            ngettext(
                "promotion is held for %(count)s period",
                "promotion is held for %(count)s periods",
                rule.hold_periods,
            )
            % {"count": rule.hold_periods}
        )
    if not effects:
        effects.append(_("it is recorded"))
    return sentence(
        [
            _("if %(conditions)s, %(effects)s")
            % {
                "conditions": pgettext("between alternatives", " or ").join(conditions),
                "effects": pgettext("between effects", " and ").join(effects),
            }
        ]
    )
