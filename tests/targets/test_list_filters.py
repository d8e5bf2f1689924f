"""The allocation list filters through the targets' one filter definition
(`targets.filters.TargetFilter`): its page lists the API's team targets for the same
filters."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from org.models import Period
from org.services import fiscal_year_create
from targets.models import Metric, Target
from tests.factories import make_target, revenue_metric

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org):
    fiscal_year = fiscal_year_create(start_year=2026, start_month=1)
    year = fiscal_year.periods.get(kind=Period.Kind.YEAR)
    january = fiscal_year.periods.get(kind=Period.Kind.MONTH, number=1)
    revenue = revenue_metric(name_zh="销售额")
    margin = Metric.objects.create(
        code="margin", name="Margin", name_zh="毛利", unit="currency", source="margin"
    )
    submitted = make_target(
        revenue, year, 300, unit=org.team, allocation_status=Target.AllocationStatus.SUBMITTED
    )
    make_target(margin, year, 100, unit=org.team2)
    make_target(revenue, january, 25, unit=org.team)
    make_target(revenue, year, 900, unit=org.east)
    return {"fiscal_year": fiscal_year, "revenue": revenue, "submitted_target": submitted}


def _params(world, params):
    return {k: world[v].pk if v in world else v for k, v in params.items()}


@pytest.mark.parametrize(
    ("page", "api"),
    [
        ({"kind": ""}, {}),
        ({"kind": "year"}, {"kind": "year"}),
        ({"kind": "", "metric": "revenue"}, {"metric": "revenue"}),
        ({"kind": "", "status": "submitted"}, {"allocation": "submitted"}),
        ({"kind": "", "fiscal_year": "fiscal_year"}, {"fiscal_year": "fiscal_year"}),
    ],
)
def test_the_allocation_page_lists_the_apis_team_targets(client_as, org, world, page, api):
    response = client_as("department").get(reverse("targets:allocations"), _params(world, page))
    listed = {row[0].pk for row in response.context["rows"]}
    client = APIClient()
    client.force_login(org.department)
    response = client.get("/api/v1/targets/", {**_params(world, api), "page_size": 500})
    assert response.status_code == 200, response.content
    found = response.json()
    team_ids = {org.team.pk, org.team2.pk}
    assert listed == {t["id"] for t in found["results"] if (t["unit"] or {}).get("id") in team_ids}
    assert listed
