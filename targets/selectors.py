"""Reads for the target pages, each in a fixed number of queries."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy

from core import history
from core.filters import query_params
from org.models import FiscalYear, Membership, OrgUnit, Period, User
from targets import domain
from targets import permissions as _permissions
from targets.catalogue.selectors import tolerance
from targets.filters import TargetFilter
from targets.models import (
    Adjustment,
    Metric,
    SalesPlan,
    Target,
)
from targets.permissions import visible_targets


@dataclass
class Node:
    unit: OrgUnit | None = None
    person: User | None = None
    target: Target | None = None
    depth: int = 0
    children: list[Node] = field(default_factory=list)
    state: str = "none"
    children_sum: Decimal | None = None
    team: OrgUnit | None = None  # a person's node: the team whose part it shows

    @property
    def label(self) -> str:
        return (self.unit or self.person).display_name

    @property
    def key(self) -> str:
        if self.unit:
            return f"unit-{self.unit.pk}"
        return node_key(self.person.pk, self.team.pk if self.team else None)

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


def node_key(person_id: int, team_id: int | None) -> str:
    """The key of a person's line: one per part (person and team)."""
    return f"person-{person_id}" if team_id is None else f"person-{person_id}-{team_id}"


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
        Target.objects.filter(metric=metric, period=period)
        .filter(Q(unit_id__in=unit_ids) | Q(team_id__in=unit_ids))
        .select_related("person")
    )
    unit_targets = {t.unit_id: t for t in targets if t.unit_id}
    parts = {(t.person_id, t.team_id): t for t in targets if t.person_id}

    nodes = {u.pk: Node(unit=u, target=unit_targets.get(u.pk), depth=u.depth) for u in units}
    roots: list[Node] = []
    for u in units:
        if u.parent_id in nodes:
            nodes[u.parent_id].children.append(nodes[u.pk])
        else:
            roots.append(nodes[u.pk])
    leaf_ids = {u.pk for u in units if not nodes[u.pk].children}
    # A person sits under every team they were a member of during the period, each time
    # with their part in that team (a person who moved has two lines).
    placed: set[tuple[int, int]] = set()
    people: dict[int, User] = {}
    for membership in _period_members(period, leaf_ids):
        people[membership.user_id] = membership.user
        key = (membership.user_id, membership.unit_id)
        if key in placed:
            continue
        placed.add(key)
        parent = nodes[membership.unit_id]
        parent.children.append(
            Node(
                person=membership.user,
                target=parts.get(key),
                depth=parent.depth + 1,
                team=parent.unit,
            )
        )
    # Parts of a team the person was no member of during the period (kept as they were).
    for (person_id, team_id), t in sorted(parts.items(), key=lambda item: item[1].pk):
        if (person_id, team_id) not in placed and team_id in nodes:
            parent = nodes[team_id]
            parent.children.append(
                Node(person=t.person, target=t, depth=parent.depth + 1, team=parent.unit)
            )

    low, high = tolerance()

    def finish(node: Node) -> None:
        for child in node.children:
            finish(child)
        child_values = [c.target.value for c in node.children if c.target is not None]
        if child_values:
            node.children_sum = sum(child_values, Decimal(0))
        if node.target is not None and node.children:
            node.state = domain.allocation_state(node.target.value, node.children_sum, low, high)

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
    """A person's targets of one metric in a fiscal year: the year, its quarters and
    months. A person who was in several teams has one MetricYear per team (their part
    in it), `team` set and `parts` > 1."""

    metric: Metric
    year: Target | None
    quarters: list[Target | None]
    months: list[Target | None]
    team: OrgUnit | None = None
    parts: int = 1
    totals: dict | None = None  # period id -> the person's target (every part) when parts > 1


def my_targets(*, user, fiscal_year: FiscalYear) -> list[MetricYear]:
    """The published targets of `user` for a fiscal year, by metric and, for someone who
    was in several teams, by team (one part each): the year, its quarters and months.
    Two queries."""
    periods = list(fiscal_year.periods.all())
    quarters = sorted((p for p in periods if p.kind == Period.Kind.QUARTER), key=lambda p: p.number)
    months = sorted((p for p in periods if p.kind == Period.Kind.MONTH), key=lambda p: p.number)
    targets = (
        Target.objects.filter(
            person=user, status=Target.Status.PUBLISHED, period__fiscal_year=fiscal_year
        )
        .select_related("metric", "period__fiscal_year", "team")
        .order_by("metric__position", "metric__code", "team__code", "team_id")
    )
    by_part: dict[tuple[int, int | None], dict[int, Target]] = defaultdict(dict)
    metrics: dict[int, Metric] = {}
    teams: dict[int | None, OrgUnit | None] = {}
    totals: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for t in targets:
        by_part[(t.metric_id, t.team_id)][t.period_id] = t
        metrics[t.metric_id] = t.metric
        teams[t.team_id] = t.team
        totals[t.metric_id][t.period_id] += t.value
    count: dict[int, int] = defaultdict(int)
    for metric_id, _team_id in by_part:
        count[metric_id] += 1
    year = next((p for p in periods if p.kind == Period.Kind.YEAR), None)
    return [
        MetricYear(
            metric=metrics[mid],
            year=row.get(year.pk) if year else None,
            quarters=[row.get(q.pk) for q in quarters],
            months=[row.get(m.pk) for m in months],
            team=teams[team_id],
            parts=count[mid],
            totals=dict(totals[mid]) if count[mid] > 1 else None,
        )
        for (mid, team_id), row in by_part.items()
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
    """A team's target with every person's part in it: one row per person who was a
    member of the team during the period (their part, or none yet), and any other
    part that belongs to the team. Two queries."""
    period = target.period
    memberships = (
        Membership.objects.filter(
            unit_id=target.unit_id, kind=Membership.Kind.MEMBER, start_date__lte=period.end_date
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=period.start_date))
        .select_related("user", "unit")
        .order_by("user__username", "user_id", "start_date")
    )
    people: dict[int, User] = {}
    team = None
    for m in memberships:
        people.setdefault(m.user_id, m.user)
        team = m.unit
    parts = {
        t.person_id: t
        for t in Target.objects.filter(
            metric_id=target.metric_id, period=period, team_id=target.unit_id
        ).select_related("person", "team")
    }
    if team is None and parts:
        team = next(iter(parts.values())).team
    rows = [
        Node(person=user, target=parts.get(pk), depth=1, team=team) for pk, user in people.items()
    ]
    others = [t for t in parts.values() if t.person_id not in people]
    for t in sorted(others, key=lambda t: t.person.username):
        rows.append(Node(person=t.person, target=t, depth=1, team=team))
    with_targets = [r.target.value for r in rows if r.target is not None]
    total = sum(with_targets, Decimal(0))
    low, high = tolerance()
    state = domain.allocation_state(target.value, total if with_targets else None, low, high)
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


# --- my targets -----------------------------------------------------------------------------


def fiscal_years() -> list[FiscalYear]:
    """Every fiscal year, newest first, with its periods prefetched (two queries)."""

    return list(
        FiscalYear.objects.order_by("-start_date").prefetch_related(
            Prefetch("periods", queryset=Period.objects.order_by("start_date", "-end_date"))
        )
    )


def fiscal_year_on(years: list[FiscalYear], day) -> FiscalYear | None:
    """The fiscal year containing `day`, else the latest one that started before it,
    else the earliest one. No query."""
    for year in years:
        if year.start_date <= day <= year.end_date:
            return year
    started = [y for y in years if y.start_date <= day]
    if started:
        return max(started, key=lambda y: y.start_date)
    return min(years, key=lambda y: y.start_date) if years else None


@dataclass
class MyTargetsPage:
    fiscal_year: FiscalYear
    year: Period | None
    quarters: list[Period]
    months: list[Period]
    current_quarter: Period | None
    rows: list[MetricYear]
    plans: dict[int, SalesPlan]
    led_targets: list[Target]

    @property
    def plan_periods(self) -> list[Period]:
        return [p for p in (self.year, self.current_quarter) if p is not None]


def my_targets_page(*, user, fiscal_year: FiscalYear, today) -> MyTargetsPage:
    """Everything the "my targets" page shows for `fiscal_year` (periods prefetched):
    own published targets by metric, the plans for the year and the current quarter,
    and (for supervisors) the year targets of the units they lead. Four queries."""
    from org.permissions import led_unit_paths

    periods = list(fiscal_year.periods.all())
    year = next((p for p in periods if p.kind == Period.Kind.YEAR), None)
    quarters = sorted((p for p in periods if p.kind == Period.Kind.QUARTER), key=lambda p: p.number)
    months = sorted((p for p in periods if p.kind == Period.Kind.MONTH), key=lambda p: p.number)
    current_quarter = next((q for q in quarters if q.start_date <= today <= q.end_date), None)
    rows = my_targets(user=user, fiscal_year=fiscal_year)
    plan_periods = [p for p in (year, current_quarter) if p is not None]
    plans = {
        plan.period_id: plan
        for plan in SalesPlan.objects.filter(person=user, period__in=plan_periods)
    }
    led_targets: list[Target] = []
    paths = led_unit_paths(user)
    if paths and year is not None:
        led_targets = list(
            Target.objects.filter(unit__path__in=paths, period=year)
            .select_related("metric", "unit", "period__fiscal_year")
            .order_by("unit__path", "metric__position", "metric__code")
        )
    for row in rows:
        # Each quarter with its months, and what is still to acknowledge.
        row.groups = [
            (
                quarter,
                quarter_target,
                [
                    (month, month_target)
                    for month, month_target in zip(months, row.months, strict=True)
                    if month.parent_id == quarter.pk
                ],
            )
            for quarter, quarter_target in zip(quarters, row.quarters, strict=True)
        ]
        row.pending = [
            t for t in (row.year, *row.quarters, *row.months) if t and t.acknowledged_at is None
        ]
    return MyTargetsPage(
        fiscal_year, year, quarters, months, current_quarter, rows, plans, led_targets
    )


def unacknowledged_parts(*, target: Target) -> QuerySet[Target]:
    """The owner's published, unacknowledged targets of the same metric inside the
    target's period (its quarters and months), the target included."""
    return Target.objects.filter(
        metric_id=target.metric_id,
        unit_id=target.unit_id,
        person_id=target.person_id,
        team_id=target.team_id,
        status=Target.Status.PUBLISHED,
        acknowledged_at__isnull=True,
        period__fiscal_year_id=target.period.fiscal_year_id,
        period__start_date__gte=target.period.start_date,
        period__end_date__lte=target.period.end_date,
    ).order_by("period__start_date", "-period__end_date")


# Change reasons written by targets.services, shown in the reader's language.
_REASONS = {
    "published": gettext_lazy("published"),
    "acknowledged": gettext_lazy("acknowledged"),
    "allocation changed": gettext_lazy("allocation changed"),
    "allocation submitted": gettext_lazy("allocation submitted"),
    "allocation approved": gettext_lazy("allocation approved"),
    "allocation returned": gettext_lazy("allocation returned"),
    "cascade over the organisation": gettext_lazy("cascade over the organisation"),
    "cascade over time": gettext_lazy("cascade over time"),
    "full cascade": gettext_lazy("full cascade"),
    "spread from the year target": gettext_lazy("spread from the year target"),
    "spread from the quarter target": gettext_lazy("spread from the quarter target"),
}


def reason_label(reason: str | None) -> str:
    if not reason:
        return ""
    label = _REASONS.get(reason)
    if label is not None:
        return str(label)
    match = _ADJUSTMENT_REASON.match(reason)
    if match:
        from targets.models import Adjustment

        number, kind, text = match.groups()
        if kind in Adjustment.Reason.values:
            kind = Adjustment.Reason(kind).label
        return str(gettext_lazy("adjustment #%(number)s (%(kind)s): %(reason)s")) % {
            "number": number,
            "kind": kind or "",
            "reason": text.strip(),
        }
    return reason


# "adjustment #12 (quota_relief): the reason…", written by services.adjustment_decide.
_ADJUSTMENT_REASON = re.compile(r"^adjustment #(\d+)(?: \(([\w ]+)\))?:(.*)$", re.DOTALL)


def _adjustment_number(reason: str) -> int | None:
    match = _ADJUSTMENT_REASON.match(reason or "")
    return int(match.group(1)) if match else None


@dataclass
class HistoryEntry:
    when: object
    who: User | None
    created: bool
    old_value: Decimal | None
    new_value: Decimal
    old_status: str
    new_status: str
    acknowledged: bool
    reason: str

    @property
    def value_changed(self) -> bool:
        return not self.created and self.old_value != self.new_value


def target_history(*, target: Target) -> list[HistoryEntry]:
    """Every recorded version of a target, newest first, with the value before and
    after each change, who made it and why. One query."""
    read = history.versions(
        target.history.select_related("history_user").order_by("history_date", "history_id")
    )
    return [
        HistoryEntry(
            when=version.when,
            who=version.who,
            created=version.previous is None,
            old_value=version.previous.value if version.previous is not None else None,
            new_value=version.row.value,
            old_status=version.previous.status if version.previous is not None else "",
            new_status=version.row.status,
            acknowledged=bool(
                version.row.acknowledged_at
                and (version.previous is None or version.previous.acknowledged_at is None)
            ),
            reason=reason_label(version.reason),
        )
        for version in read
    ]


@dataclass
class MonthChange:
    period: Period
    old_value: Decimal | None
    new_value: Decimal


def adjustment_changes(adjustments) -> dict[int, list[MonthChange]]:
    """For each approved adjustment, the months whose value it changed (old → new),
    read from the targets' history. Two queries whatever the number of adjustments."""
    from functools import reduce
    from operator import or_

    approved = [a for a in adjustments if a.status == "approved"]
    if not approved:
        return {}
    historical = Target.history.model
    condition = reduce(
        or_,
        (
            Q(history_change_reason__startswith=f"adjustment #{a.pk} (")
            | Q(history_change_reason__startswith=f"adjustment #{a.pk}:")
            for a in approved
        ),
    )
    records = list(
        historical.objects.filter(condition, period__kind=Period.Kind.MONTH)
        .select_related("period__fiscal_year")
        .order_by("period__start_date")
    )
    if not records:
        return {}
    earlier = defaultdict(list)
    for row in (
        historical.objects.filter(
            id__in={r.id for r in records},
            history_date__lte=max(r.history_date for r in records),
        )
        .order_by("history_date", "history_id")
        .values("id", "history_id", "value")
    ):
        earlier[row["id"]].append(row)
    changes: dict[int, list[MonthChange]] = defaultdict(list)
    for record in records:
        number = _adjustment_number(record.history_change_reason)
        before = [r for r in earlier[record.id] if r["history_id"] < record.history_id]
        old = before[-1]["value"] if before else None
        changes[number].append(MonthChange(record.period, old, record.value))
    return dict(changes)


def target_adjustments(*, target: Target):
    from targets.models import Adjustment

    return list(
        Adjustment.objects.filter(target=target)
        .select_related("requested_by", "decided_by", "effective_period__fiscal_year")
        .order_by("-requested_at", "-pk")
    )


def months_of(*, period: Period) -> list[Period]:
    """The months of `period` (itself for a month), in order. One query."""
    return list(
        Period.objects.filter(
            fiscal_year_id=period.fiscal_year_id,
            kind=Period.Kind.MONTH,
            start_date__gte=period.start_date,
            end_date__lte=period.end_date,
        )
        .select_related("fiscal_year")
        .order_by("start_date")
    )


def first_adjustable_month(*, period: Period) -> Period | None:
    """The first month of `period` from which every month is still open: an adjustment
    of a target for `period` takes effect there or later, so that no month that is
    closing or closed changes. None when no month can change any more. One query."""
    months = months_of(period=period)
    index = domain.first_adjustable([m.status == Period.Status.OPEN for m in months])
    return None if index is None else months[index]


def adjustment_periods(*, target: Target, first: Period | None = None) -> QuerySet[Period]:
    """The periods an adjustment of `target` can take effect in: its own period, the
    quarters and the months inside it that start at the first month still open
    (`first_adjustable_month`, given as `first` when already read) or later, and are
    open. Empty when no month can change any more."""
    if first is None:
        first = first_adjustable_month(period=target.period)
    if first is None:
        return Period.objects.none()
    return (
        Period.objects.filter(
            fiscal_year_id=target.period.fiscal_year_id,
            start_date__gte=first.start_date,
            end_date__lte=target.period.end_date,
            status=Period.Status.OPEN,
        )
        .select_related("fiscal_year")
        .order_by("start_date", "-end_date")
    )


# What a page or an answer shows of an adjustment: its target, its period, who asked
# and who decided (joined, not one query each).
ADJUSTMENT_RELATED = (
    "target__metric",
    "target__period__fiscal_year",
    "target__unit",
    "target__person",
    "effective_period__fiscal_year",
    "requested_by",
    "decided_by",
)


def adjustments_for(*, user) -> QuerySet:
    """The adjustments the user may read, pending first, newest first: one query."""
    from django.db.models import Case, IntegerField, Value, When

    from targets.permissions import visible_adjustments

    return (
        visible_adjustments(user)
        .select_related(*ADJUSTMENT_RELATED)
        .annotate(
            pending_first=Case(
                When(status="pending", then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("pending_first", "-requested_at", "-pk")
    )


# --- the workspace


def active_metrics() -> list[Metric]:
    return list(Metric.objects.filter(is_active=True))


@dataclass
class WorkspaceRow:
    """One line of the cascade workspace: a node, and for a person the team they are
    shown under (where an edit of their value belongs)."""

    node: Node
    team: OrgUnit | None = None

    @property
    def target(self) -> Target | None:
        return self.node.target

    @property
    def status(self) -> str:
        target = self.node.target
        if target is None:
            return ""
        if target.acknowledged_at is not None:
            return "acknowledged"
        return target.status

    @property
    def is_team(self) -> bool:
        return self.node.unit is not None and self.node.unit.kind == OrgUnit.Kind.TEAM


def workspace_rows(*, metric: Metric, period: Period, root: OrgUnit | None = None):
    """The workspace tree as rows in depth-first order (the queries of `workspace`)."""
    rows: list[WorkspaceRow] = []

    def walk(node: Node, parent: Node | None) -> None:
        team = parent.unit if node.person is not None and parent is not None else None
        rows.append(WorkspaceRow(node, team))
        for child in node.children:
            walk(child, node)

    for root_node in workspace(metric=metric, period=period, root=root):
        walk(root_node, None)
    return rows


def draft_count(*, metric: Metric, fiscal_year_id: int) -> int:
    return Target.objects.filter(
        metric=metric, period__fiscal_year_id=fiscal_year_id, status=Target.Status.DRAFT
    ).count()


def allocation_states(targets) -> dict[int, tuple[Decimal | None, str]]:
    """For team targets: the sum of their members' targets and the tolerance state, by
    team target pk (one query)."""
    targets = list(targets)
    if not targets:
        return {}
    from django.db.models import Sum

    sums = {
        (row["metric_id"], row["period_id"], row["team_id"]): row["total"]
        for row in Target.objects.filter(
            person__isnull=False,
            team_id__in={t.unit_id for t in targets},
            metric_id__in={t.metric_id for t in targets},
            period_id__in={t.period_id for t in targets},
        )
        .values("metric_id", "period_id", "team_id")
        .annotate(total=Sum("value"))
        .order_by()
    }
    low, high = tolerance()
    out = {}
    for t in targets:
        total = sums.get((t.metric_id, t.period_id, t.unit_id))
        state = "none" if total is None else domain.allocation_state(t.value, total, low, high)
        out[t.pk] = (total, state)
    return out


def allocation_list(*, user, fiscal_year=None, metric=None, status: str = "", kind: str = ""):
    """The team targets of `allocations_for`, narrowed by the targets' filters
    (`TargetFilter`, the API's): of a fiscal year, a metric, an allocation status, a kind
    of period (one query)."""
    params = query_params(fiscal_year=fiscal_year, metric=metric, allocation=status, kind=kind)
    qs = TargetFilter(params, queryset=allocations_for(user=user)).qs
    return qs.order_by(
        "-period__fiscal_year__start_date",
        "metric__position",
        "metric__code",
        "period__start_date",
        "-period__end_date",
        "unit__path",
    )


# Targets in their stable order: metric, period (the longer first), unit, person.
TARGET_ORDER = (
    "metric__position",
    "metric__code",
    "period__start_date",
    "-period__end_date",
    "unit__path",
    "person__username",
)


def export_targets(*, user, fiscal_year: FiscalYear, metric: Metric | None = None):
    """The targets `user` may see in a fiscal year (one metric or all), in a stable
    order for a file (one query)."""
    qs = visible_targets(user).filter(period__fiscal_year=fiscal_year)
    if metric is not None:
        qs = qs.filter(metric=metric)
    return qs.select_related("metric", "period__fiscal_year", "unit", "person", "team").order_by(
        *TARGET_ORDER, "team__code"
    )


# --- API reads (what the output serializers need, joined) -----------------------------


def targets_for_api(user) -> QuerySet[Target]:
    return _permissions.visible_targets(user).select_related(
        "metric", "period__fiscal_year", "unit", "person", "team"
    )


def adjustments_for_api(user) -> QuerySet[Adjustment]:
    return _permissions.visible_adjustments(user).select_related(*ADJUSTMENT_RELATED)


def team_of(person: User, period: Period) -> OrgUnit | None:
    """The team the person is a member of at the end of the period (or last in it)."""
    membership = (
        Membership.objects.filter(
            user=person,
            kind=Membership.Kind.MEMBER,
            start_date__lte=period.end_date,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=period.start_date))
        .select_related("unit")
        .order_by("-start_date")
        .first()
    )
    return membership.unit if membership else None


def would_be_target(*, metric: Metric, period: Period, unit=None, person=None, team=None) -> Target:
    """The target `services.target_set` would change: the existing one (a person's part
    in `team`, by default in the team they were last in during the period), or an
    unsaved one with the team the service would give it."""
    if person is not None and team is None:
        team = team_of(person, period)
    owner = {"unit": unit} if unit is not None else {"person": person, "team": team}
    existing = (
        Target.objects.filter(metric=metric, period=period, **owner)
        .select_related("unit", "team")
        .first()
    )
    if existing is not None:
        return existing
    return Target(metric=metric, period=period, unit=unit, person=person, team=team)
