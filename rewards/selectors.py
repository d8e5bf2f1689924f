"""Reads of incentive plans and bonus decisions: a plan version as the pure rules read it
(`as_domain`), the version in force for a period and a person, and who a plan covers."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from org.models import Membership, OrgUnit, Period, Role
from org.permissions import active_on_q, subtree_q
from rewards import domain
from rewards.models import IncentivePlan, PenaltyRule, PlanComponent


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
    plans: list[IncentivePlan], period: Period, today: datetime.date | None = None
) -> dict[int, tuple[IncentivePlan, int]]:
    """{person id: (plan, team id)}: the salespeople each plan covers on the period's last
    day (or `today` when earlier): active members of a team in the plan's population.
    A person covered by two plans falls to the plan whose population unit lies deepest
    (then the first code). One query."""
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
    return {person: (plan, unit) for person, (_, _, plan, unit) in found.items()}


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
