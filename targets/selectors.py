"""Reads for the target pages, each in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet

from org.models import FiscalYear, Membership, OrgUnit, Period, User
from targets import domain
from targets.models import Metric, SalesPlan, Target
from targets.permissions import visible_targets


def tolerance() -> tuple[Decimal, Decimal]:
    from targets.services import tolerance as _tolerance

    return _tolerance()


@dataclass
class Node:
    unit: OrgUnit | None = None
    person: User | None = None
    target: Target | None = None
    depth: int = 0
    children: list[Node] = field(default_factory=list)
    state: str = "none"
    children_sum: Decimal | None = None

    @property
    def label(self) -> str:
        return (self.unit or self.person).display_name

    @property
    def key(self) -> str:
        return f"unit-{self.unit.pk}" if self.unit else f"person-{self.person.pk}"

    @property
    def gap(self) -> Decimal | None:
        if self.children_sum is None or self.target is None:
            return None
        return self.children_sum - self.target.value

    @property
    def share(self) -> Decimal | None:
        if self.children_sum is None or self.target is None or not self.target.value:
            return None
        return (self.children_sum / self.target.value * 100).quantize(Decimal("0.1"))


def _period_members(period: Period, unit_ids) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(
            kind=Membership.Kind.MEMBER,
            unit_id__in=unit_ids,
            start_date__lte=period.end_date,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=period.start_date))
        .select_related("user")
        .order_by("user__username")
    )


def workspace(*, metric: Metric, period: Period, root: OrgUnit | None = None) -> list[Node]:
    """The organisation (or the subtree at `root`) with every unit's and person's target
    for `metric` in `period`, the sum of the children, the gap and the tolerance state,
    in depth-first order. Three queries whatever the size of the organisation."""
    units_qs = OrgUnit.objects.filter(is_active=True).order_by("path")
    if root is not None:
        units_qs = units_qs.filter(path__startswith=root.path)
    units = list(units_qs)
    unit_ids = [u.pk for u in units]
    targets = list(
        Target.objects.filter(metric=metric, period=period).filter(
            Q(unit_id__in=unit_ids) | Q(team_id__in=unit_ids)
        )
    )
    unit_targets = {t.unit_id: t for t in targets if t.unit_id}
    person_targets = {t.person_id: t for t in targets if t.person_id}

    nodes = {u.pk: Node(unit=u, target=unit_targets.get(u.pk), depth=u.depth) for u in units}
    roots: list[Node] = []
    for u in units:
        if u.parent_id in nodes:
            nodes[u.parent_id].children.append(nodes[u.pk])
        else:
            roots.append(nodes[u.pk])
    leaf_ids = {u.pk for u in units if not nodes[u.pk].children}
    placed: set[int] = set()
    # A person sits under the team their target belongs to, else under each team they
    # are a member of during the period.
    for membership in _period_members(period, leaf_ids):
        person_target = person_targets.get(membership.user_id)
        team_id = person_target.team_id if person_target else membership.unit_id
        if team_id != membership.unit_id or (membership.user_id, team_id) in placed:
            continue
        placed.add((membership.user_id, team_id))
        parent = nodes[team_id]
        parent.children.append(
            Node(person=membership.user, target=person_target, depth=parent.depth + 1)
        )

    low, high = tolerance()

    def finish(node: Node) -> None:
        for child in node.children:
            finish(child)
        child_values = [c.target.value for c in node.children if c.target is not None]
        if child_values:
            node.children_sum = sum(child_values, Decimal(0))
        if node.target is not None and node.children:
            node.state = domain.allocation_state(
                node.target.value, node.children_sum or Decimal(0), low, high
            )

    for r in roots:
        finish(r)
    return roots


def flatten(nodes: list[Node]) -> list[Node]:
    out: list[Node] = []

    def walk(node: Node) -> None:
        out.append(node)
        for child in node.children:
            walk(child)

    for n in nodes:
        walk(n)
    return out


@dataclass
class MetricYear:
    metric: Metric
    year: Target | None
    quarters: list[Target | None]
    months: list[Target | None]


def my_targets(*, user, fiscal_year: FiscalYear) -> list[MetricYear]:
    """The published targets of `user` for a fiscal year, by metric: the year, its
    quarters and months. Two queries."""
    periods = list(fiscal_year.periods.all())
    quarters = sorted((p for p in periods if p.kind == Period.Kind.QUARTER), key=lambda p: p.number)
    months = sorted((p for p in periods if p.kind == Period.Kind.MONTH), key=lambda p: p.number)
    targets = (
        Target.objects.filter(
            person=user, status=Target.Status.PUBLISHED, period__fiscal_year=fiscal_year
        )
        .select_related("metric", "period__fiscal_year")
        .order_by("metric__position", "metric__code")
    )
    by_metric: dict[int, dict[int, Target]] = defaultdict(dict)
    metrics: dict[int, Metric] = {}
    for t in targets:
        by_metric[t.metric_id][t.period_id] = t
        metrics[t.metric_id] = t.metric
    year = next((p for p in periods if p.kind == Period.Kind.YEAR), None)
    return [
        MetricYear(
            metric=metrics[mid],
            year=row.get(year.pk) if year else None,
            quarters=[row.get(q.pk) for q in quarters],
            months=[row.get(m.pk) for m in months],
        )
        for mid, row in by_metric.items()
    ]


@dataclass
class Allocation:
    target: Target
    rows: list[Node]
    children_sum: Decimal
    state: str
    low: Decimal
    high: Decimal


def team_allocation(*, target: Target) -> Allocation:
    """A team's target with each member's target during the period (three queries)."""
    period = target.period
    members = list(_period_members(period, [target.unit_id]))
    person_targets = {
        t.person_id: t
        for t in Target.objects.filter(
            metric_id=target.metric_id, period=period, team_id=target.unit_id
        )
    }
    rows: list[Node] = []
    seen: set[int] = set()
    for m in members:
        if m.user_id in seen:
            continue
        seen.add(m.user_id)
        rows.append(Node(person=m.user, target=person_targets.get(m.user_id), depth=1))
    total = sum((r.target.value for r in rows if r.target), Decimal(0))
    low, high = tolerance()
    state = domain.allocation_state(target.value, total, low, high) if rows else "none"
    return Allocation(target, rows, total, state, low, high)


def allocations_for(*, user) -> QuerySet[Target]:
    """Team targets whose allocation the user takes part in (their teams) or decides
    (the department): one query."""
    return (
        visible_targets(user)
        .filter(unit__isnull=False, unit__kind=OrgUnit.Kind.TEAM)
        .select_related("metric", "period__fiscal_year", "unit")
        .order_by("-period__fiscal_year__start_date", "period__kind", "period__start_date")
    )


def plans_for(*, user) -> QuerySet[SalesPlan]:
    from targets.permissions import visible_plans

    return (
        visible_plans(user)
        .select_related("person", "period__fiscal_year")
        .order_by("-period__start_date", "person__username")
    )
