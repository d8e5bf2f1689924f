"""The workspace and the allocation pages run a fixed number of queries, whatever the
size of the company: the small fixture and a company of 40 more people with year,
quarter and month targets for 12 months answer in the same number."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from org.models import OrgUnit, Period
from targets.models import Target
from tests.factories import MembershipFactory, OrgUnitFactory, UserFactory

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15
HTMX = {"HTTP_HX_REQUEST": "true"}


def target_everyone(metric, fy):
    """A draft target for every unit and every member, for the year, 4 quarters and 12
    months (bulk)."""
    periods = list(fy.periods.all())
    units = list(OrgUnit.objects.all())
    members = [
        (m.user_id, m.unit_id) for unit in units for m in unit.memberships.filter(kind="member")
    ]
    Target.objects.filter(metric=metric).delete()
    rows = [
        Target(metric=metric, period=p, unit=u, value=Decimal("1200.00"), basis="typed in")
        for p in periods
        for u in units
    ] + [
        Target(metric=metric, period=p, person_id=user, team_id=team, value=Decimal("100.00"))
        for p in periods
        for user, team in members
    ]
    Target.objects.bulk_create(rows)


def grow(org, metric, fy):
    """A north region with 5 teams of 8 people (40 people), each team with a supervisor."""
    north = OrgUnitFactory(code="north", name="North", kind=OrgUnit.Kind.REGION, parent=org.company)
    for t in range(5):
        team = OrgUnitFactory(code=f"t-north-{t}", name=f"North Team {t}", parent=north)
        boss = UserFactory(username=f"boss{t}", roles=["supervisor"])
        MembershipFactory(user=boss, unit=team, kind="supervisor")
        for p in range(8):
            MembershipFactory(user=UserFactory(username=f"n{t}p{p}"), unit=team)
    target_everyone(metric, fy)


def count(client, url, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize(("kind", "number"), [("year", 1), ("quarter", 2), ("month", 7)])
def test_the_workspace_for_40_more_people_and_12_months_runs_the_same_queries(
    client_as, org, metric, fy, django_assert_max_num_queries, kind, number
):
    period = fy.periods.get(kind=kind, number=number)
    url = f"{reverse('targets:workspace')}?metric={metric.pk}&period={period.pk}"
    client = client_as("department")
    target_everyone(metric, fy)
    small, response = count(client, url)
    assert len(response.context["rows"]) == 6 + 5
    grow(org, metric, fy)
    with django_assert_max_num_queries(MAX_QUERIES):
        big, response = count(client, url)
    assert len(response.context["rows"]) == 6 + 5 + 1 + 5 + 40
    assert big == small


def test_an_edit_in_the_big_workspace_runs_a_bounded_number_of_queries(
    client_as, org, metric, fy, django_assert_max_num_queries
):
    grow(org, metric, fy)
    year = fy.periods.get(kind=Period.Kind.YEAR)
    person = org.salesperson
    client = client_as("department")
    # (+ 9: the edit's own reads and writes, one of them the tolerance band in force)
    with django_assert_max_num_queries(MAX_QUERIES + 9):
        response = client.post(
            reverse("targets:cell-edit"),
            {"metric": metric.pk, "period": year.pk, "person": person.pk, "value": "150"},
            **HTMX,
        )
    assert response.status_code == 200


def test_the_allocation_page_runs_the_same_queries_for_3_or_8_members(
    client_as, client, org, metric, fy, django_assert_max_num_queries
):
    target_everyone(metric, fy)
    year = fy.periods.get(kind="year")
    small_target = Target.objects.get(metric=metric, period=year, unit=org.team)
    department = client_as("department")
    small, _response = count(department, reverse("targets:allocation", args=[small_target.pk]))
    supervisor = client_as("supervisor")
    small_sup, _response = count(supervisor, reverse("targets:allocation", args=[small_target.pk]))

    grow(org, metric, fy)
    big_team = OrgUnit.objects.get(code="t-north-0")
    big_target = Target.objects.get(metric=metric, period=year, unit=big_team)
    with django_assert_max_num_queries(MAX_QUERIES):
        big, response = count(department, reverse("targets:allocation", args=[big_target.pk]))
    assert len(response.context["rows"]) == 8
    assert big == small
    client.force_login(big_team.memberships.get(kind="supervisor").user)
    with django_assert_max_num_queries(MAX_QUERIES):
        big_sup, response = count(client, reverse("targets:allocation", args=[big_target.pk]))
    assert all(row["editable"] for row in response.context["rows"])
    assert big_sup == small_sup


def test_the_allocation_list_runs_the_same_queries_for_a_bigger_company(
    client_as, org, metric, fy, django_assert_max_num_queries
):
    target_everyone(metric, fy)
    client = client_as("department")
    every_period = reverse("targets:allocations") + "?kind="
    small, _response = count(client, every_period)
    grow(org, metric, fy)
    with django_assert_max_num_queries(MAX_QUERIES):
        big, response = count(client, every_period)
    assert len(response.context["rows"]) == 50  # a page
    assert big == small
