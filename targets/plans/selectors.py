"""Reads of personal sales plans: the plans a user may see, the periods to write, a
plan's targets and versions, in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from org.models import Period
from targets import selectors as target_selectors
from targets.models import Metric, SalesPlan, SalesPlanVersion, Target
from targets.plans import permissions as plan_permissions


def plans_for(*, user) -> QuerySet[SalesPlan]:
    from targets.plans.permissions import visible_plans

    return (
        visible_plans(user)
        .select_related("person", "period__fiscal_year")
        .order_by("-period__start_date", "person__username")
    )


def plan_periods_to_write(*, user, today) -> list[Period]:
    """The year and the quarters of the fiscal year containing `today` that have not
    ended and are not closed: the periods a salesperson writes a plan for now. Two
    queries."""
    year = (
        Period.objects.filter(kind=Period.Kind.YEAR, start_date__lte=today, end_date__gte=today)
        .select_related("fiscal_year")
        .first()
    )
    if year is None:
        return []
    return list(
        Period.objects.filter(fiscal_year_id=year.fiscal_year_id, end_date__gte=today)
        .exclude(kind=Period.Kind.MONTH)
        .exclude(status=Period.Status.CLOSED)
        .select_related("fiscal_year")
        .order_by("start_date", "-end_date")
    )


def plan_months(*, period: Period) -> list[Period]:
    """The months of a plan's period, in order: one query."""
    return target_selectors.months_of(period=period)


@dataclass
class PlanTargets:
    """A person's published targets for a period and its months, by metric: each the
    sum of their parts (one per team they were in)."""

    metric: Metric
    total: Target | None
    months: list[Target | None]


def _summed(parts: list[Target]) -> Target:
    """One target standing for a person's parts of one period: their sum (not saved)."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    return Target(
        metric=first.metric,
        period_id=first.period_id,
        person_id=first.person_id,
        value=sum((t.value for t in parts), Decimal(0)),
        status=first.status,
    )


def plan_targets(*, person, period: Period, months: list[Period]) -> list[PlanTargets]:
    """The person's published targets for `period` and each of its months (the sum of
    their parts): one query."""
    targets = (
        Target.objects.filter(
            person=person,
            status=Target.Status.PUBLISHED,
            period_id__in=[period.pk, *[m.pk for m in months]],
        )
        .select_related("metric")
        .order_by("metric__position", "metric__code", "team_id")
    )
    by_metric: dict[int, dict[int, list[Target]]] = defaultdict(lambda: defaultdict(list))
    metrics: dict[int, Metric] = {}
    for t in targets:
        by_metric[t.metric_id][t.period_id].append(t)
        metrics[t.metric_id] = t.metric

    def one(row, period_id):
        parts = row.get(period_id)
        return _summed(parts) if parts else None

    return [
        PlanTargets(metrics[mid], one(row, period.pk), [one(row, m.pk) for m in months])
        for mid, row in by_metric.items()
    ]


def money_targets(targets: list[PlanTargets]) -> PlanTargets | None:
    """The targets of the first money metric (what a pipeline is compared with)."""
    return next((row for row in targets if row.metric.unit == Metric.Unit.CURRENCY), None)


@dataclass
class PipelineMonth:
    period: Period
    amount: Decimal | None
    target: Target | None = None


def plan_versions(
    *, plan: SalesPlan, months: list[Period], money: PlanTargets | None = None
) -> list:
    """Every version of a plan, newest first, each with `.pipeline_rows` (one per month
    of the period, with the month's target of the money metric `money`) and
    `.pipeline_total`. One query."""
    versions = list(plan.versions.select_related("created_by", "reviewed_by").order_by("-number"))
    for version in versions:
        rows = []
        for index, month in enumerate(months):
            raw = version.pipeline.get(str(month.pk))
            rows.append(
                PipelineMonth(
                    month,
                    Decimal(raw) if raw not in (None, "") else None,
                    money.months[index] if money else None,
                )
            )
        version.pipeline_rows = rows
        version.pipeline_total = sum((r.amount for r in rows if r.amount), Decimal(0))
    return versions


def plans_with_versions(*, user) -> QuerySet[SalesPlan]:
    """plans_for(user) with the number of the latest version: one query."""
    from django.db.models import Max

    return plans_for(user=user).annotate(latest_version=Max("versions__number"))


def plans_for_api(user) -> QuerySet[SalesPlan]:
    versions = SalesPlanVersion.objects.select_related("created_by", "reviewed_by").order_by(
        "-number"
    )
    return (
        plan_permissions.visible_plans(user)
        .select_related("person", "period__fiscal_year")
        .prefetch_related(Prefetch("versions", queryset=versions))
    )
