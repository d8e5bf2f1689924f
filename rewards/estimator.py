"""The what-if estimator (奖金试算): "if I book X more by the end of the period, my bonus
becomes Y", for one person and one period, from the published plan in force, today's
attainment (as the dashboards count it) and the same pure rules as the decisions
(`rewards.domain.what_if`, `next_steps`).

- The period: the one asked for, else the period containing today of the kind of a
  plan covering the person (the shortest such period when plans of several kinds do).
- Today's figures: `live_attainment` with today = min(today, the period's end), so at
  the period's end with nothing more booked the estimate is the proposal the close
  computes (without the department's adjustments and clawbacks, which are not the
  plan's and not the person's to read before release).
- The grade: a period not yet appraised has no final grade. The decision would wait for
  it; the estimate does not: it is worked out **before the grade multiplier** (as with
  a multiplier of 1, and without the penalties that only a grade fires) and says so,
  with the plan's multipliers in plain words beside it. With a final grade it is the
  full working.
- `extra`: {metric code: amount more booked}, only for components whose metric is
  "higher is better" (booking more lowers a "lower is better" attainment: those keep
  today's). Each amount is at least 0 and at most `EXTRA_LIMIT`.

Reads only: a fixed number of queries whatever the organisation's size.
"""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal, InvalidOperation

from django.db.models import Q
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from core.text import plain
from org.models import Period, User
from rewards import domain, selectors
from rewards.models import IncentivePlan, TargetIncentive
from sales.attainment.selectors import live_attainment
from sales.domain import exact_attainment
from targets.models import Metric

# The most one may add on one component: a plausible bound for "what if", not a rule
# of any plan (a typo of three more zeros is refused with a message, not computed).
EXTRA_LIMIT = Decimal("999999999.99")


@dataclasses.dataclass(frozen=True)
class Row:
    """One component as the estimator shows it."""

    key: str
    metric: Metric
    weight: Decimal
    actual: Decimal | None
    target: Decimal | None
    extra: Decimal
    attainment: Decimal | None  # today's
    attainment_after: Decimal | None  # with `extra`
    adjustable: bool  # "higher is better" with a target: more booked counts
    today: domain.Line | None
    after: domain.Line | None
    step: domain.NextStep | None
    step_rate: Decimal | None  # the rate from the step on (None: the threshold)


@dataclasses.dataclass(frozen=True)
class Estimate:
    person: User
    period: Period | None
    plan: IncentivePlan | None  # None: no plan in force covers the person
    day: datetime.date | None = None  # the figures' day
    grade: str | None = None
    before_grade: bool = False  # worked out before the grade multiplier
    incentive: Decimal | None = None  # None: the person's amount is not imported yet
    today: domain.Working | None = None
    after: domain.Working | None = None
    rows: tuple[Row, ...] = ()
    multipliers: str = ""
    # The estimate's other lines (plan cap, multiplier, penalties, gate), each with the
    # penalty rule's wording where it has one.
    others: tuple[tuple[domain.Line, str], ...] = ()

    @property
    def change(self) -> Decimal | None:
        if self.today is None or self.after is None:
            return None
        return self.after.total - self.today.total


def parse_extra(raw: dict, allowed: set[str] | None = None) -> dict[str, Decimal]:
    """{metric code: Decimal} from {metric code: text or number}; a DomainError naming
    the field (`extra.<code>`) for a value that is not a number, negative, too large, or
    a code that is not an adjustable component (when `allowed` is given)."""
    found: dict[str, Decimal] = {}
    for code, value in raw.items():
        field = f"extra.{code}"
        if value is None or str(value).strip() == "":
            continue
        if allowed is not None and code not in allowed:
            raise DomainError(
                _("%(field)s: the plan has no component for this metric that booking more raises.")
                % {"field": field},
                code="unknown_metric",
                field=field,
            )
        text = str(value).strip().replace(",", "")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite():
            raise DomainError(
                _("%(field)s: give an amount, such as 12000 or 12000.50.") % {"field": field},
                code="invalid",
                field=field,
            )
        if amount < 0:
            raise DomainError(
                _("%(field)s: give an amount of 0 or more (what you would book more).")
                % {"field": field},
                code="negative",
                field=field,
            )
        if amount > EXTRA_LIMIT:
            raise DomainError(
                _("%(field)s: give at most %(limit)s.") % {"field": field, "limit": EXTRA_LIMIT},
                code="too_large",
                field=field,
            )
        if amount != amount.quantize(domain.CENT):
            raise DomainError(
                _("%(field)s: give at most two decimals.") % {"field": field},
                code="invalid",
                field=field,
            )
        found[code] = amount
    return found


def _plans_for(periods: list[Period]) -> dict[str, list[IncentivePlan]]:
    """{period kind: the plans in force} for periods of different kinds (as
    `selectors.plans_in_force` for each, in one go)."""
    if not periods:
        return {}
    condition = Q()
    for period in periods:
        condition |= Q(period_kind=period.kind, applies_from__start_date__lte=period.start_date)
    candidates = selectors.with_parts(
        IncentivePlan.objects.filter(condition, status=IncentivePlan.Status.PUBLISHED).order_by(
            "period_kind", "code", "-applies_from__start_date", "-version"
        )
    )
    chosen: dict[tuple[str, str], IncentivePlan] = {}
    for plan in candidates:
        chosen.setdefault((plan.period_kind, plan.code), plan)
    by_kind: dict[str, list[IncentivePlan]] = {}
    for (kind, _code), plan in chosen.items():
        by_kind.setdefault(kind, []).append(plan)
    return by_kind


def _cover(
    person: User, period: Period | None, today: datetime.date
) -> tuple[Period | None, IncentivePlan | None, int | None]:
    """(period, plan, team id) covering `person`: in `period`, else in the shortest
    period containing today of a plan's kind."""
    if period is not None:
        periods = [period]
    else:
        periods = list(
            Period.objects.filter(start_date__lte=today, end_date__gte=today)
            .select_related("fiscal_year")
            .order_by("end_date", "start_date")
        )
    by_kind = _plans_for(periods)
    for candidate in periods:
        plans = by_kind.get(candidate.kind)
        if not plans:
            continue
        found = selectors.covered(
            plans, candidate, min(today, candidate.end_date), person_ids=[person.pk]
        )
        if person.pk in found:
            plan, team_id = found[person.pk]
            return candidate, plan, team_id
    return (period if period is not None else (periods[0] if periods else None)), None, None


def _without_grade(plan: domain.Plan) -> domain.Plan:
    """The plan before the grade: no multiplier, no penalty that only a grade fires."""
    return dataclasses.replace(
        plan,
        multipliers=None,
        penalties=tuple(
            dataclasses.replace(rule, grades=frozenset())
            for rule in plan.penalties
            if rule.below is not None
        ),
    )


def estimate(
    *,
    person: User,
    period: Period | None = None,
    extra: dict | None = None,
    today: datetime.date | None = None,
) -> Estimate:
    """The estimate of `person`'s bonus for `period` (see the module): today's working,
    the working with `extra` ({metric code: amount}, checked by `parse_extra`), and
    each component's next step. A DomainError naming `extra.<code>` for bad input."""
    today = today or timezone.localdate()
    period, plan, _team = _cover(person, period, today)
    if plan is None:
        if extra:
            parse_extra(extra, allowed=set())
        return Estimate(person=person, period=period, plan=None)
    day = min(today, period.end_date)
    components = list(plan.components.all())
    found = live_attainment(
        owners=[("person", person.pk)],
        metrics=[c.metric for c in components],
        period=period,
        today=day,
    )
    grade = selectors.grades_for([person.pk], period).get(person.pk)
    if plan.target_mode == IncentivePlan.TargetMode.PLAN:
        incentive = plan.target_amount
    else:
        incentive = (
            TargetIncentive.objects.filter(plan=plan, person=person)
            .values_list("amount", flat=True)
            .first()
        )
    gates = {}
    if plan.min_days:
        days = selectors.days_in_units([person.pk], period, {u.path for u in plan.units.all()}).get(
            person.pk, 0
        )
        gates["min_days"] = days >= plan.min_days
    rules = selectors.as_domain(plan)
    attainments, figures, adjustable = {}, {}, set()
    for component in components:
        code = component.metric.code
        a = found.get((("person", person.pk), component.metric_id))
        attainments[code] = (
            None
            if a is None
            else selectors.exact_decimal(
                exact_attainment(a.actual, a.target, component.metric.direction)
            )
        )
        if (
            a is not None
            and a.target
            and a.target > 0
            and component.metric.direction == Metric.Direction.HIGHER
        ):
            figures[code] = domain.Figure(actual=Decimal(a.actual), target=Decimal(a.target))
            adjustable.add(code)
    amounts = parse_extra(extra or {}, allowed=adjustable)
    before_grade = grade is None and (
        rules.multipliers is not None or any(r.grades for r in rules.penalties)
    )
    worked = _without_grade(rules) if before_grade else rules
    inputs = domain.Inputs(
        target_incentive=Decimal(incentive or 0),
        attainments=attainments,
        grade=grade,
        gates=gates,
    )
    if incentive is None:
        now_working = after_working = None
    else:
        now_working = domain.what_if(worked, inputs, figures, {})
        after_working = domain.what_if(worked, inputs, figures, amounts)
    steps = {s.key: s for s in domain.next_steps(rules, figures)}
    rows = []
    for component, rule in zip(components, rules.components, strict=True):
        code = component.metric.code
        a = found.get((("person", person.pk), component.metric_id))
        step = steps.get(code)
        step_rate = None
        if step is not None:
            starts = {t.start: t.rate for t in rule.curve.tiers}
            step_rate = starts.get(step.attainment)
            if step_rate is None and step.attainment == rule.curve.threshold:
                tier = domain.tier_reached(rule.curve, step.attainment)
                step_rate = rule.curve.tiers[tier].rate
        rows.append(
            Row(
                key=code,
                metric=component.metric,
                weight=Decimal(component.weight),
                actual=None if a is None else Decimal(a.actual),
                target=None if a is None or a.target is None else Decimal(a.target),
                extra=amounts.get(code, Decimal(0)),
                attainment=attainments[code],
                attainment_after=(
                    domain.attainment_after(
                        figures[code].actual, figures[code].target, amounts.get(code, 0)
                    )
                    if code in figures
                    else attainments[code]
                ),
                adjustable=code in adjustable,
                today=_line(now_working, code),
                after=_line(after_working, code),
                step=step,
                step_rate=step_rate,
            )
        )
    return Estimate(
        person=person,
        period=period,
        plan=plan,
        day=day,
        grade=grade,
        before_grade=before_grade,
        incentive=None if incentive is None else Decimal(incentive),
        today=now_working,
        after=after_working,
        rows=tuple(rows),
        multipliers=(domain.describe_multipliers(rules.multipliers) if rules.multipliers else ""),
        others=_others(
            after_working, rules, {c.metric.code: c.metric.display_name for c in components}
        ),
    )


def _others(working: domain.Working | None, rules: domain.Plan, names: dict) -> tuple:
    if working is None:
        return ()
    penalties = {r.code: r for r in rules.penalties}
    return tuple(
        (
            line,
            domain.describe_penalty(
                penalties[line.key], metric_name=names.get(penalties[line.key].key, "")
            )
            if line.kind == domain.LineKind.PENALTY and line.key in penalties
            else "",
        )
        for line in working.lines
        if line.kind != domain.LineKind.COMPONENT
    )


def step_text(row: Row) -> str:
    """ "Book 12,000.00 more to reach 100 %: the rate becomes 1.5 %." """
    step = row.step
    values = {
        "amount": floatformat(step.extra, "2g"),
        "attainment": f"{plain(step.attainment)} %",
    }
    if row.step_rate is None:
        return _("Book %(amount)s more to reach %(attainment)s.") % values
    values["rate"] = f"{plain(row.step_rate)} %"
    return _("Book %(amount)s more to reach %(attainment)s: the rate becomes %(rate)s.") % values


def _line(working: domain.Working | None, key: str) -> domain.Line | None:
    if working is None:
        return None
    return next(
        (x for x in working.lines if x.kind == domain.LineKind.COMPONENT and x.key == key), None
    )
