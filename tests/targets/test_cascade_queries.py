"""The full-cascade preview reads the subtree once: its query count does not grow with
the number of units and people below."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from org.models import OrgUnit
from targets import cascade_planner, services
from tests.factories import MembershipFactory, OrgUnitFactory, UserFactory
from tests.targets.helpers_core import make_metric, make_year


def grow(org, teams: int, people: int) -> None:
    region = OrgUnitFactory(code="north", kind=OrgUnit.Kind.REGION, parent=org.company)
    for t in range(teams):
        team = OrgUnitFactory(code=f"north-{t}", parent=region)
        for p in range(people):
            user = UserFactory(username=f"north-{t}-{p}", roles=["salesperson"])
            MembershipFactory(user=user, unit=team, start_date=datetime.date(2024, 1, 1))


def preview_queries(org) -> tuple[int, int]:
    year = make_year()
    metric = make_metric()
    target = services.target_set(
        metric=metric, period=year.year, unit=org.company, value="1200000", acting_user=None
    )
    with CaptureQueriesContext(connection) as ctx:
        rows = cascade_planner.plan_cascade_down(target)
    return len(ctx.captured_queries), len(rows)


@pytest.mark.parametrize("size", ["small", "large"])
def test_the_full_cascade_preview_runs_a_fixed_number_of_queries(org, size):
    if size == "large":
        grow(org, teams=5, people=8)
    queries, rows = preview_queries(org)
    assert rows > 100
    assert queries <= 8, queries
