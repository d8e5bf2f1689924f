"""Helpers shared by the tests of the targets core (services, permissions, selectors):
a fiscal year, metrics and ways to look at the targets written."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from org.models import FiscalYear, OrgUnit, Period
from org.services import fiscal_year_create, period_transition
from targets.catalogue import services as catalogue_services
from targets.models import Metric, Target

SEASON = ["5", "6", "9", "7", "8", "10", "7", "8", "10", "8", "9", "13"]


class Year:
    """A fiscal year with its periods at hand: .year, .quarters[0..3], .months[0..11]."""

    def __init__(self, fiscal_year: FiscalYear):
        self.fiscal_year = fiscal_year
        periods = list(fiscal_year.periods.select_related("fiscal_year"))
        self.year = next(p for p in periods if p.kind == Period.Kind.YEAR)
        self.quarters = sorted(
            (p for p in periods if p.kind == Period.Kind.QUARTER), key=lambda p: p.number
        )
        self.months = sorted(
            (p for p in periods if p.kind == Period.Kind.MONTH), key=lambda p: p.number
        )


def make_year(start_year: int = 2026) -> Year:
    return Year(fiscal_year_create(start_year=start_year, start_month=1))


def close(period: Period) -> None:
    period_transition(period=period, to_status=Period.Status.CLOSING)
    period_transition(period=period, to_status=Period.Status.CLOSED)


# code -> the metric's names and source (another code: its own name, from the amounts)
METRIC_NAMES = {
    "revenue": {"name": "Revenue", "name_zh": "营业收入", "source": "amount"},
    "new_customers": {"name": "New customers", "name_zh": "新客户数", "source": "new_customers"},
}


def make_metric(code: str = "revenue", unit: str = "currency", *, acting_user=None) -> Metric:
    names = METRIC_NAMES.get(code, {"name": code.title(), "name_zh": code, "source": "amount"})
    return catalogue_services.metric_save(acting_user=acting_user, code=code, unit=unit, **names)


def value_of(metric, period, owner, team=None) -> Decimal | None:
    """A unit's target, or a person's: the sum of their parts (or their part in
    `team`); None without any."""
    if isinstance(owner, OrgUnit):
        t = Target.objects.filter(metric=metric, period=period, unit=owner).first()
        return t.value if t else None
    parts = Target.objects.filter(metric=metric, period=period, person=owner)
    if team is not None:
        parts = parts.filter(team=team)
    values = [t.value for t in parts]
    return sum(values, Decimal(0)) if values else None


def check_everything_adds_up(metric: Metric, fy: Year) -> int:
    """Assert that at every node and in every period the targets below add up to the
    parent exactly, and every owner's months add up to their quarters and year.
    Returns the number of nodes checked."""
    targets = list(Target.objects.filter(metric=metric, period__fiscal_year=fy.fiscal_year))
    parents = dict(OrgUnit.objects.values_list("pk", "parent_id"))
    children: dict[tuple, Decimal] = defaultdict(Decimal)
    by_owner: dict[tuple, dict[int, Decimal]] = defaultdict(dict)
    for t in targets:
        parent = t.team_id if t.person_id else parents.get(t.unit_id)
        if parent:
            children[(t.period_id, parent)] += t.value
        by_owner[t.owner_key][t.period_id] = t.value
    checked = 0
    for t in targets:
        if t.unit_id and (t.period_id, t.unit_id) in children:
            assert children[(t.period_id, t.unit_id)] == t.value, (t.unit, t.period)
            checked += 1
    for owner, values in by_owner.items():
        months = [values.get(m.pk) for m in fy.months]
        if None in months:
            continue
        for q, quarter in enumerate(fy.quarters):
            assert values[quarter.pk] == sum(months[q * 3 : q * 3 + 3]), owner
        assert values[fy.year.pk] == sum(months), owner
    return checked
