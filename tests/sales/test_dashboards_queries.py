"""Every dashboard, the home card and every attainment endpoint run a fixed number
of queries whatever the size of the team and the number of records: measured on
the small fixture, then again after growing it to 40 more people and 2,000 more
records (written in bulk through sales.records.services.records_bulk_upsert)."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from org.models import Membership
from sales.attainment.panels import home_panel
from sales.models import FollowUp, SalesRecord
from sales.records import services
from targets.models import Target
from tests.factories import MembershipFactory, OrgUnitFactory, UserFactory, make_target
from tests.sales import test_attainment_selectors as base

world = base.world
pinned_today = base.pinned_today
d = base.d

MAX_PAGE = 30
MAX_API = 30
MAX_PANEL = 20


def grow(org, world, *, teams=6, people_per_team=5, records=2000):
    """Six more teams under East and South and ten more people in East Team 1 (40
    people in all with their targets for the year, Q1 and its months), a customer
    each, 2,000 records (some split between two people), and follow-ups."""
    months = [world.jan, world.feb, world.mar]
    people = []
    for n in range(teams + 1):
        if n == teams:
            team = org.team
        else:
            team = OrgUnitFactory(
                code=f"grown-{n}", name=f"Grown {n}", parent=org.east if n % 2 else org.south
            )
            lead = UserFactory(username=f"lead-{n}", roles=["supervisor"])
            MembershipFactory(user=lead, unit=team, kind=Membership.Kind.SUPERVISOR)
            make_target(world.revenue, world.q1, 5000, unit=team, status="published")
        for i in range(people_per_team * (2 if n == teams else 1)):
            person = UserFactory(username=f"grown-{n}-{i}", roles=["salesperson"])
            MembershipFactory(user=person, unit=team, start_date=datetime.date(2020, 1, 1))
            people.append(person)
            Target.objects.bulk_create(
                [
                    Target(
                        metric=metric,
                        period=p,
                        person=person,
                        team=team,
                        value=value,
                        status="published",
                    )
                    for metric, periods in (
                        (world.revenue, [(world.year, D(12000)), (world.q1, D(3000))]),
                        (world.customers, [(world.q1, D(6))]),
                    )
                    for p, value in periods
                ]
                + [
                    Target(
                        metric=world.revenue,
                        period=m,
                        person=person,
                        team=team,
                        value=D(1000),
                        status="published",
                    )
                    for m in months
                ]
            )
            base.customer(person, name=f"Customer {person.username}", external_id=person.username)
    everybody = [*people, org.salesperson, org.teammate, org.east2_person]
    rows = []
    for k in range(records):
        first = everybody[k % len(everybody)]
        second = everybody[(k + 7) % len(everybody)]
        credits = [{"person": first.username, "share_pct": "100"}]
        if k % 5 == 0 and second != first:
            credits = [
                {"person": first.username, "share_pct": "60"},
                {"person": second.username, "share_pct": "40"},
            ]
        rows.append(
            {
                "external_id": f"ERP-{k}",
                # January and February up to today (14 February): no sale in the future
                "date": datetime.date(2026, 1 + k % 2, 1 + k % 14).isoformat(),
                "customer": people[k % len(people)].username,
                "amount": str(10 + k % 90),
                "quantity": "1",
                "gross_margin": "2",
                "credits": credits,
            }
        )
    result = services.records_bulk_upsert(rows, acting_user=org.department)
    assert result == {"created": records, "updated": 0}
    FollowUp.objects.bulk_create(
        FollowUp(
            customer=world.globex,
            salesperson=org.salesperson,
            kind="call",
            happened_on=d(2, 1),
            next_action=f"Call {i}",
            next_action_on=d(2, 1 + i % 20),
        )
        for i in range(30)
    )
    assert SalesRecord.objects.count() > records


def count(callable_):
    with CaptureQueriesContext(connection) as ctx:
        callable_()
    return len(ctx.captured_queries)


def check_fixed(org, world, django_assert_max_num_queries, request, limit):
    """Run `request` on the small fixture and again on the grown one: the same count,
    under `limit`."""
    with django_assert_max_num_queries(limit):
        small = count(request)
    grow(org, world)
    with django_assert_max_num_queries(limit):
        large = count(request)
    assert large == small, (small, large)


def page(client, url, params=None):
    def get():
        response = client.get(url, params or {})
        assert response.status_code == 200

    return get


PAGES = [
    ("salesperson", "sales:dashboard-mine", {}),
    ("supervisor", "sales:dashboard-team", {}),
    ("department", "sales:dashboard-org", {}),
]


@pytest.mark.parametrize("period", ["feb", "year"])
@pytest.mark.parametrize(("persona", "name", "params"), PAGES)
def test_each_dashboard_runs_a_fixed_number_of_queries(
    client_as, org, world, django_assert_max_num_queries, persona, name, params, period
):
    client = client_as(persona)
    request = page(client, reverse(name), {"period": getattr(world, period).pk} | params)
    check_fixed(org, world, django_assert_max_num_queries, request, MAX_PAGE)


def test_the_drill_down_runs_a_fixed_number_of_queries(
    client_as, org, world, django_assert_max_num_queries
):
    client = client_as("supervisor")
    url = reverse("sales:dashboard-person", args=[org.salesperson.pk])
    request = page(client, url, {"period": world.q1.pk})
    check_fixed(org, world, django_assert_max_num_queries, request, MAX_PAGE)


def test_a_region_s_team_dashboard_runs_a_fixed_number_of_queries(
    client, org, world, django_assert_max_num_queries
):
    client.force_login(org.regional)
    request = page(
        client, reverse("sales:dashboard-team"), {"period": world.q1.pk, "sort": "-revenue"}
    )
    check_fixed(org, world, django_assert_max_num_queries, request, MAX_PAGE)


@pytest.mark.parametrize("persona", ["salesperson", "supervisor", "department"])
def test_the_home_card_runs_a_fixed_number_of_queries(
    org, world, django_assert_max_num_queries, persona
):
    def render():
        request = RequestFactory().get("/")
        request.user = type(getattr(org, persona)).objects.get(pk=getattr(org, persona).pk)
        assert home_panel(request) is not None

    check_fixed(org, world, django_assert_max_num_queries, render, MAX_PANEL)


API_CALLS = [
    ("salesperson", "/api/v1/dashboards/mine/", {}),
    ("supervisor", "/api/v1/dashboards/team/", {}),
    ("department", "/api/v1/dashboards/org/", {}),
    ("department", "/api/v1/attainment/", {"owner": "unit:{team}"}),
]


@pytest.mark.parametrize(("persona", "url", "params"), API_CALLS)
def test_each_endpoint_runs_a_fixed_number_of_queries(
    org, world, django_assert_max_num_queries, persona, url, params
):
    client = APIClient()
    client.force_login(getattr(org, persona))
    query = {k: v.format(team=org.team.pk) for k, v in params.items()} | {"period": world.q1.pk}

    def get():
        response = client.get(url, query)
        assert response.status_code == 200, response.content

    check_fixed(org, world, django_assert_max_num_queries, get, MAX_API)


def test_the_attainment_of_many_owners_runs_a_fixed_number_of_queries(
    org, world, django_assert_max_num_queries
):
    client = APIClient()
    client.force_login(org.department)

    def people_query():
        ids = Membership.objects.filter(kind="member").values_list("user_id", flat=True)
        return [f"person:{pk}" for pk in sorted(set(ids))]

    small_owners = people_query()
    with django_assert_max_num_queries(MAX_API):
        small = count(lambda: client.get("/api/v1/attainment/", {"owner": small_owners}))
    grow(org, world)
    large_owners = people_query()
    assert len(large_owners) > 40
    with django_assert_max_num_queries(MAX_API):
        response = None

        def get():
            nonlocal response
            response = client.get("/api/v1/attainment/", {"owner": large_owners})

        large = count(get)
    assert response.status_code == 200
    assert len(response.json()["rows"]) == 2 * len(large_owners)
    assert large == small
