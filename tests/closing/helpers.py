"""Shared set-up for the period close tests: an ended month with targets, sales and
memberships for the `org` personas, a way to grow it, and an independent oracle.

`build_world(org)` (or the fixture `world`) makes fiscal year 2026 (calendar) with
two summed metrics and, in January 2026 (the month closed by the tests):

  revenue (amount) targets: sam 1000, tina 500, eve 200 (oscar and sue none);
    East Team 1 2000, East 2500, ACME 4000.
  margin (gross margin) targets: sam 30.
  Sales (January): sam 100 (margin 10) on 10 Jan; 60.01 on 15 Jan split sam 50 /
    tina 50 (margin 6); a cancelled 1000 for sam on 12 Jan; eve 40 on 20 Jan;
    oscar 999 (margin 99) on 31 Jan; sue 70 on 25 Jan.
  Outside January: tina 500 on 1 Feb (must not count).

`oracle(period)` computes the expected actual of every (owner, metric) straight from
the `sales.SalesCredit` rows with plain Python sums (no app code): a person's is
their booked credits in the period; a unit's those whose team lies in its subtree
(by the materialised path); amount/margin/quantity by the credit's date,
collections by its collection date. The owners are the people who were members of
a team at some time in the period (with 0 when they sold nothing) and every active
unit. `snapshot(period)` reads what the close wrote, in the same shape.
"""

from __future__ import annotations

import datetime
import functools
import types
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Q
from django.utils import timezone

from org.models import Membership, OrgUnit, Period
from org.services import fiscal_year_create
from sales.records import services as sales_services
from targets.models import Metric, Target
from tests.factories import (
    MembershipFactory,
    OrgUnitFactory,
    UserFactory,
    make_target,
    revenue_metric,
)

D = Decimal

YEAR = 2026
# The month closed by the tests and a moment after it ended.
AFTER_JANUARY = datetime.date(2026, 2, 3)
# Key of `oracle` and `snapshot`: (owner kind "person"/"unit", owner id, metric id).
Key = tuple[str, int, int]

_SUMMED = {
    "amount": ("amount", "date"),
    "margin": ("gross_margin", "date"),
    "quantity": ("quantity", "date"),
    "collections": ("collected_amount", "collected_on"),
}


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    """An aware datetime on `day` (for the services' `now`)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def period_of(fiscal_year, kind: str, number: int = 1) -> Period:
    return Period.objects.select_related("fiscal_year").get(
        fiscal_year=fiscal_year, kind=kind, number=number
    )


def d(month: int, day: int) -> datetime.date:
    return datetime.date(YEAR, month, day)


def _sale(day, customer, amount, credits, *, margin="0", acting_user=None):
    return sales_services.record_save(
        date=day,
        customer=customer,
        amount=D(amount),
        quantity=D(1),
        gross_margin=D(margin),
        credits=[(p, D(s)) for p, s in credits],
        acting_user=acting_user,
    )


_target = functools.partial(make_target, status="published")


def build_world(org) -> types.SimpleNamespace:
    """The ended month January 2026 with targets and sales for the personas."""
    fy = fiscal_year_create(start_year=YEAR, start_month=1)
    w = types.SimpleNamespace(org=org, fiscal_year=fy)
    w.year = period_of(fy, "year")
    w.q1 = period_of(fy, "quarter", 1)
    w.jan, w.feb, w.mar = (period_of(fy, "month", n) for n in (1, 2, 3))
    w.month = w.jan
    w.revenue = revenue_metric()
    w.margin = Metric.objects.create(
        code="margin",
        name="Gross margin",
        name_zh="毛利",
        unit="currency",
        source="margin",
        position=1,
    )
    w.metrics = [w.revenue, w.margin]
    _target(w.revenue, w.jan, "1000", person=org.salesperson, team=org.team)
    _target(w.revenue, w.jan, "500", person=org.teammate, team=org.team)
    _target(w.revenue, w.jan, "200", person=org.east2_person, team=org.team2)
    _target(w.revenue, w.jan, "2000", unit=org.team)
    _target(w.revenue, w.jan, "2500", unit=org.east)
    _target(w.revenue, w.jan, "4000", unit=org.company)
    _target(w.margin, w.jan, "30", person=org.salesperson, team=org.team)

    w.customer = sales_services.customer_save(
        name="Globex", owner=org.salesperson, external_id="C-1", acting_user=org.salesperson
    )
    _sale(d(1, 10), w.customer, "100", [(org.salesperson, 100)], margin="10")
    _sale(d(1, 15), w.customer, "60.01", [(org.salesperson, 50), (org.teammate, 50)], margin="6")
    cancelled = _sale(d(1, 12), w.customer, "1000", [(org.salesperson, 100)])
    sales_services.record_cancel(record=cancelled)
    _sale(d(1, 20), w.customer, "40", [(org.east2_person, 100)])
    _sale(d(1, 31), w.customer, "999", [(org.other_salesperson, 100)], margin="99")
    _sale(d(1, 25), w.customer, "70", [(org.supervisor, 100)])
    _sale(d(2, 1), w.customer, "500", [(org.teammate, 100)])
    # The salespeople of the month (members of a team in January).
    w.people = [
        org.salesperson,
        org.teammate,
        org.supervisor,
        org.east2_person,
        org.other_salesperson,
    ]
    return w


@pytest.fixture
def world(org):
    return build_world(org)


NOW = at(AFTER_JANUARY)  # January has ended, February has not


@pytest.fixture
def clock(time_machine):
    """The clock stopped at NOW."""
    time_machine.move_to(NOW, tick=False)


def grow(world, count: int, *, prefix: str = "grown", records_each: int = 2) -> list:
    """`count` more salespeople in a new team under East (members since 2020), each
    with a January revenue target and `records_each` January sales written in bulk
    through `sales.records.services.records_bulk_upsert`. Returns the new people."""
    org = world.org
    team = OrgUnitFactory(code=f"{prefix}-team", name=f"{prefix} team", parent=org.east)
    people = []
    for i in range(count):
        person = UserFactory(username=f"{prefix}-{i}", roles=["salesperson"])
        MembershipFactory(user=person, unit=team, start_date=datetime.date(2020, 1, 1))
        people.append(person)
    Target.objects.bulk_create(
        Target(
            metric=world.revenue,
            period=world.month,
            person=p,
            team=team,
            value=D(100 + i),
            status="published",
        )
        for i, p in enumerate(people)
    )
    rows = []
    for i, p in enumerate(people):
        for k in range(records_each):
            rows.append(
                {
                    "external_id": f"{prefix}-{i}-{k}",
                    "date": d(1, 1 + (i + k) % 28).isoformat(),
                    "customer": "C-1",
                    "amount": str(10 + (i * 7 + k) % 90),
                    "quantity": "1",
                    "gross_margin": str(1 + k),
                    "credits": [{"person": p.username, "share_pct": "100"}],
                }
            )
    if rows:
        sales_services.records_bulk_upsert(rows, acting_user=org.department)
    return people


def oracle(period: Period, metrics=None) -> dict[Key, Decimal]:
    """{(kind, owner id, metric id): expected actual} from the credits alone (see the
    module docstring). `metrics`: the summed metrics to compute (default: every
    active metric with a summed source)."""
    if metrics is None:
        metrics = list(Metric.objects.filter(is_active=True))
    metrics = [m for m in metrics if m.source in _SUMMED]
    units = list(OrgUnit.objects.filter(is_active=True).values_list("pk", "path"))
    people = set(
        Membership.objects.filter(
            kind=Membership.Kind.MEMBER,
            unit__kind=OrgUnit.Kind.TEAM,
            start_date__lte=period.end_date,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=period.start_date))
        .values_list("user_id", flat=True)
    )
    expected: dict[Key, Decimal] = defaultdict(lambda: D(0))
    for metric in metrics:
        for pk in people:
            expected[("person", pk, metric.pk)] += 0
        for pk, _path in units:
            expected[("unit", pk, metric.pk)] += 0
    from sales.models import SalesCredit

    credits = SalesCredit.objects.filter(booked=True).values(
        "person_id",
        "team__path",
        "amount",
        "gross_margin",
        "quantity",
        "collected_amount",
        "date",
        "collected_on",
    )
    for credit in credits:
        for metric in metrics:
            field, date_field = _SUMMED[metric.source]
            day = credit[date_field]
            if day is None or not (period.start_date <= day <= period.end_date):
                continue
            value = credit[field]
            expected[("person", credit["person_id"], metric.pk)] += value
            for pk, path in units:
                if credit["team__path"].startswith(path):
                    expected[("unit", pk, metric.pk)] += value
    return dict(expected)


def snapshot(period: Period) -> dict[Key, Decimal]:
    """What the close wrote: {(kind, owner id, metric id): actual}."""
    from closing.models import PersonAttainment, UnitAttainment

    rows: dict[Key, Decimal] = {}
    for person_id, metric_id, actual in PersonAttainment.objects.filter(period=period).values_list(
        "person_id", "metric_id", "actual"
    ):
        rows[("person", person_id, metric_id)] = actual
    for unit_id, metric_id, actual in UnitAttainment.objects.filter(period=period).values_list(
        "unit_id", "metric_id", "actual"
    ):
        rows[("unit", unit_id, metric_id)] = actual
    return rows


def snapshot_rows(period: Period) -> list[tuple]:
    """Every snapshot row of the period as comparable tuples (kind, owner, metric,
    target, actual, attainment), sorted — to compare a close with its rerun."""
    from closing.models import PersonAttainment, UnitAttainment

    rows = [
        ("person", *r)
        for r in PersonAttainment.objects.filter(period=period).values_list(
            "person_id", "metric_id", "target", "actual", "attainment"
        )
    ] + [
        ("unit", *r)
        for r in UnitAttainment.objects.filter(period=period).values_list(
            "unit_id", "metric_id", "target", "actual", "attainment"
        )
    ]
    return sorted(rows, key=lambda r: (r[0], r[1], r[2]))
