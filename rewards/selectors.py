"""Reads of incentive plans and bonus decisions: a plan version as the pure rules read it
(`as_domain`), the version in force for a period and a person, and who a plan covers."""

from __future__ import annotations

import datetime
import decimal
from decimal import Decimal
from fractions import Fraction

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from appraisal.models import Appraisal, AppraisalResult
from org.models import Membership, OrgUnit, Period, Role
from org.permissions import active_on_q, subtree_q
from rewards import domain
from rewards.models import IncentivePlan, PenaltyRule, PlanComponent

# Exact attainments (fractions) reach the pure rules as Decimals of this many digits.
PRECISION = 34


def with_parts(plans: QuerySet[IncentivePlan]) -> QuerySet[IncentivePlan]:
    """Plans with their components (and metrics), penalty rules and population."""
    return plans.select_related("applies_from__fiscal_year").prefetch_related(
        Prefetch(
            "components",
            queryset=PlanComponent.objects.select_related("metric").order_by("position", "pk"),
        ),
        Prefetch(
            "penalties",
            queryset=PenaltyRule.objects.select_related("metric").order_by("position", "pk"),
        ),
        "units",
    )


def component_key(component: PlanComponent) -> str:
    """The key a component goes by in the working: its metric's code."""
    return component.metric.code


def as_domain(plan: IncentivePlan) -> domain.Plan:
    """The plan version as `rewards.domain` reads it (parts prefetched: `with_parts`)."""
    components = tuple(
        domain.Component(
            key=component_key(c),
            weight=Decimal(c.weight),
            curve=domain.Curve(
                tiers=tuple(
                    domain.Tier(start=Decimal(str(start)), rate=Decimal(str(rate)))
                    for start, rate in c.tiers
                ),
                mode=domain.TierMode(c.mode),
                threshold=Decimal(c.threshold),
                cap=None if c.cap is None else Decimal(c.cap),
            ),
        )
        for c in plan.components.all()
    )
    penalties = tuple(
        domain.PenaltyRule(
            code=r.code,
            reduction=Decimal(r.reduction),
            hold_periods=r.hold_periods,
            below=None if r.below is None else Decimal(r.below),
            key=r.metric.code if r.metric_id else "",
            grades=frozenset(r.grades or ()),
        )
        for r in plan.penalties.all()
    )
    multipliers = (
        None
        if plan.multipliers is None
        else {grade: Decimal(str(f)) for grade, f in plan.multipliers.items()}
    )
    return domain.Plan(
        components=components,
        multipliers=multipliers,
        penalties=penalties,
        cap=None if plan.cap is None else Decimal(plan.cap),
    )


def plans_in_force(period: Period) -> list[IncentivePlan]:
    """For each plan code, the published version in force for `period` (of the period's
    kind, applying from a period that starts on or before it; the latest such). Parts
    prefetched."""
    candidates = with_parts(
        IncentivePlan.objects.filter(
            status=IncentivePlan.Status.PUBLISHED,
            period_kind=period.kind,
            applies_from__start_date__lte=period.start_date,
        ).order_by("code", "-applies_from__start_date", "-version")
    )
    chosen: dict[str, IncentivePlan] = {}
    for plan in candidates:
        chosen.setdefault(plan.code, plan)
    return list(chosen.values())


def covered(
    plans: list[IncentivePlan],
    period: Period,
    today: datetime.date | None = None,
    person_ids=None,
) -> dict[int, tuple[IncentivePlan, int]]:
    """{person id: (plan, team id)}: the salespeople each plan covers on the period's last
    day (or `today` when earlier): active members of a team in the plan's population.
    A person covered by two plans falls to the plan whose population unit lies deepest
    (then the first code). `person_ids`: only these people. One query."""
    day = min(period.end_date, today or period.end_date)
    paths = {}
    for plan in plans:
        for unit in plan.units.all():
            paths.setdefault(unit.path, []).append(plan)
    if not paths:
        return {}
    rows = (
        Membership.objects.filter(
            subtree_q(sorted(paths), "unit__path"),
            active_on_q(day),
            kind=Membership.Kind.MEMBER,
            unit__kind=OrgUnit.Kind.TEAM,
            user__is_active=True,
            user__role_assignments__role=Role.SALESPERSON,
        )
        .order_by("unit__path", "pk")
        .values_list("user_id", "unit_id", "unit__path")
        .distinct()
    )
    if person_ids is not None:
        rows = rows.filter(user_id__in=list(person_ids))
    found: dict[int, tuple[int, str, IncentivePlan, int]] = {}
    for person_id, unit_id, unit_path in rows:
        for path, path_plans in paths.items():
            if not unit_path.startswith(path):
                continue
            for plan in path_plans:
                rank = (-len(path), plan.code)
                best = found.get(person_id)
                if best is None or rank < (best[0], best[1]):
                    found[person_id] = (rank[0], rank[1], plan, unit_id)
    return {person: (plan, unit) for person, (_depth, _code, plan, unit) in found.items()}


def days_in_units(person_ids, period: Period, paths) -> dict[int, int]:
    """{person id: days of the period spent as a member of a team under `paths`}. One
    query."""
    if not person_ids or not paths:
        return {}
    days: dict[int, set[datetime.date]] = {}
    rows = Membership.objects.filter(
        subtree_q(sorted(paths), "unit__path"),
        user_id__in=person_ids,
        kind=Membership.Kind.MEMBER,
        start_date__lte=period.end_date,
    ).values_list("user_id", "start_date", "end_date")
    for person_id, start, end in rows:
        first = max(start, period.start_date)
        last = min(end or period.end_date, period.end_date)
        if last < first:
            continue
        present = days.setdefault(person_id, set())
        present.update(first + datetime.timedelta(days=n) for n in range((last - first).days + 1))
    return {person: len(present) for person, present in days.items()}


def exact_decimal(value: Fraction | None) -> Decimal | None:
    """An exact fraction as a Decimal of PRECISION digits (None stays None)."""
    if value is None:
        return None
    with decimal.localcontext() as context:
        context.prec = PRECISION
        return Decimal(value.numerator) / Decimal(value.denominator)


def grades_for(person_ids, period: Period) -> dict[int, str | None]:
    """{person id: final grade} for the period's appraisals: the latest result version of
    an appraisal finalised (or later); None while an appeal is pending. Two queries."""
    appraisals = dict(
        Appraisal.objects.filter(
            cycle__period=period,
            person_id__in=person_ids,
            finalised_at__isnull=False,
        ).values_list("pk", "status")
    )
    grades: dict[int, tuple[int, str]] = {}
    person_of: dict[int, int] = {}
    for appraisal_id, person_id, version, grade in AppraisalResult.objects.filter(
        appraisal_id__in=list(appraisals)
    ).values_list("appraisal_id", "appraisal__person_id", "version", "grade"):
        person_of[appraisal_id] = person_id
        if version > grades.get(appraisal_id, (0, ""))[0]:
            grades[appraisal_id] = (version, grade)
    found: dict[int, str | None] = {}
    for appraisal_id, (_version, grade) in grades.items():
        pending = appraisals[appraisal_id] == Appraisal.Status.APPEALED
        found[person_of[appraisal_id]] = None if pending else grade
    return found


# --- pages ------------------------------------------------------------------------------------


def explain_plan(plan: IncentivePlan) -> dict:
    """The plan in plain words in the active language (parts prefetched: `with_parts`):
    each component's metric, weight and curve; the multipliers; each penalty rule."""
    rules = as_domain(plan)
    names = {c.metric.code: c.metric.display_name for c in plan.components.all()}
    return {
        "components": [
            {
                "component": c,
                "metric": c.metric.display_name,
                "text": domain.describe_curve(rule.curve),
            }
            for c, rule in zip(plan.components.all(), rules.components, strict=True)
        ],
        "multipliers": (
            domain.describe_multipliers(rules.multipliers) if rules.multipliers else ""
        ),
        "penalties": [
            domain.describe_penalty(rule, metric_name=names.get(rule.key, ""))
            for rule in rules.penalties
        ],
    }


def explain_lines(
    decision, plan: IncentivePlan, adjustments, clawbacks=(), working: dict | None = None
) -> list[dict]:
    """The lines of a decision's working (or of `working`, a version's) with what each
    means: a component's metric, attainment, tier and payout; the rule a penalty applied;
    an adjustment's or a clawback's reason; an appeal's change."""
    names = {c.metric.code: c.metric.display_name for c in plan.components.all()}
    rules = {r.code: r for r in as_domain(plan).penalties}
    reasons = {f"adjustment:{a.pk}": a for a in adjustments}
    taken_back = {f"clawback:{c.pk}": c for c in clawbacks}
    rows = []
    for line in (working or decision.working).get("lines", ()):
        kind, key = line["kind"], line["key"]
        row = {"line": line, "kind": kind, "amount": Decimal(line["amount"])}
        if kind == domain.LineKind.COMPONENT:
            row["label"] = names.get(key, key)
            row["attainment"] = None if line["attainment"] is None else Decimal(line["attainment"])
            row["tier"] = None if line["tier"] is None else line["tier"] + 1
            row["payout"] = None if line["payout"] is None else Decimal(line["payout"])
        elif kind == domain.LineKind.PENALTY and key in rules:
            row["label"] = _("Penalty")
            row["text"] = domain.describe_penalty(
                rules[key], metric_name=names.get(rules[key].key, "")
            )
        elif kind == domain.LineKind.ADJUSTMENT and key in reasons:
            row["label"] = reasons[key].line
            row["text"] = reasons[key].reason
            row["adjustment"] = reasons[key]
        elif kind == domain.LineKind.ADJUSTMENT and key in taken_back:
            row["label"] = _("Clawback")
            row["text"] = taken_back[key].reason
        elif kind == domain.LineKind.ADJUSTMENT and key.startswith("appeal:"):
            row["label"] = _("Appeal")
            row["text"] = decision.resolution_reason
        elif kind == domain.LineKind.PLAN_CAP:
            row["label"] = _("Plan cap")
        elif kind == domain.LineKind.MULTIPLIER:
            row["label"] = _("Grade multiplier")
        elif kind == domain.LineKind.GATE:
            row["label"] = _("Eligibility")
        else:
            row["label"] = key
        if line.get("factor") is not None:
            row["factor"] = Decimal(line["factor"])
        rows.append(row)
    return rows


def review_summary(decisions) -> dict:
    """The figures above the review list: the number in each status, the total of the
    decisions with one (what each stands at: `with_current_total`), the lowest, highest
    and median bonus, and the outliers (more than twice or less than half the median)."""
    by_status: dict[str, int] = {}
    totals = []
    for d in decisions:
        by_status[d.status] = by_status.get(d.status, 0) + 1
        if d.total_now is not None:
            totals.append(d.total_now)
    ordered = sorted(totals)
    median = None
    if ordered:
        middle = len(ordered) // 2
        median = (
            ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        )
    outliers = set()
    if median:
        outliers = {
            d.pk
            for d in decisions
            if d.total_now is not None and (d.total_now > 2 * median or d.total_now < median / 2)
        }
    return {
        "by_status": by_status,
        "total": sum(totals, Decimal(0)),
        "low": ordered[0] if ordered else None,
        "high": ordered[-1] if ordered else None,
        "median": median,
        "outliers": outliers,
    }


def with_current_total(decisions):
    """Decisions with `total_now`: the total of the latest approved version, else the
    proposal's (what the decision stands at)."""
    from django.db.models import F, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from rewards.models import DecisionVersion

    latest = (
        DecisionVersion.objects.filter(decision=OuterRef("pk"))
        .order_by("-version")
        .values("total")[:1]
    )
    return decisions.annotate(total_now=Coalesce(Subquery(latest), F("total")))
