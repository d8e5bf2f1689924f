"""Every report page, export and endpoint runs a fixed number of queries, whatever the
number of units, people, customers and records: the small fixture and one with ten
more teams, fifty more people, many customers and a few hundred records (split,
cancelled, collected) answer in the same number of queries."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from org.models import Membership, OrgUnit
from sales.models import SalesRecord
from sales.records import services
from tests.factories import MembershipFactory, OrgUnitFactory, UserFactory, make_target
from tests.sales import test_reports
from tests.sales.helpers import customer

world = test_reports.world  # the fixture, shared with the selector tests

# Session, user, roles, the navigation and notifications, the filter form's choices,
# the report's lookups and aggregates, and the actuals (sales.records.selectors): about 17 at
# most today, whatever the size; the equality with the small fixture is the real test.
MAX_QUERIES = 20

PAGES = [
    "/sales/analysis/",
    "/sales/analysis/sales/?by=unit&period={year}",
    "/sales/analysis/sales/?by=unit&period={year}&unit={east}",
    "/sales/analysis/sales/?by=person&period={year}",
    "/sales/analysis/sales/?by=product&period={year}",
    "/sales/analysis/sales/?by=category&start=2026-01-01&end=2026-06-30",
    "/sales/analysis/sales/?by=customer&period={year}&sort=-records",
    "/sales/analysis/sales/?by=month&period={year}",
    "/sales/analysis/variance/?metric={metric}&period={year}",
    "/sales/analysis/variance/?metric={metric}&period={year}&owners=person",
]
EXPORTS = [
    "/sales/analysis/sales/export/?by={by}&period={year}&format={fmt}",
    "/sales/analysis/variance/export/?metric={metric}&period={year}&owners={owners}&format={fmt}",
    "/api/v1/reports/sales/export/?by={by}&period={year}&format={fmt}",
    "/api/v1/reports/variance/export/?metric={metric}&period={year}&owners={owners}&format={fmt}",
]
ENDPOINTS = [
    "/api/v1/reports/sales/?by={by}&period={year}",
    "/api/v1/reports/variance/?metric={metric}&period={year}&owners={owners}",
]
DIMENSIONS = ["unit", "person", "product", "category", "customer", "month"]


def grow(org, world, teams: int = 10, people_per_team: int = 5) -> None:
    """Ten more teams (half under East, half under South, one a level deeper), each
    with a supervisor and five salespeople with targets; forty customers; eight
    records per person (one in four split with a teammate, one in eight cancelled,
    half collected); and more of sam's own sales."""
    day = datetime.date(2020, 1, 1)
    for n in range(40):
        customer(org.department, name=f"Customer {n}", external_id=f"G-{n}")
    branch = OrgUnitFactory(
        code="east-branch", name="East Branch", kind=OrgUnit.Kind.BRANCH, parent=org.east
    )
    rows, number = [], 0
    for t in range(teams):
        parent = branch if t == 0 else (org.east if t % 2 else org.south)
        team = OrgUnitFactory(code=f"grown-{t}", name=f"Grown {t}", parent=parent)
        lead = UserFactory(username=f"lead-{t}", roles=["supervisor"])
        MembershipFactory(user=lead, unit=team, kind=Membership.Kind.SUPERVISOR, start_date=day)
        make_target(world.revenue, world.year, 5000, unit=team, status="published")
        people = []
        for i in range(people_per_team):
            person = UserFactory(username=f"p-{t}-{i}", roles=["salesperson"])
            MembershipFactory(user=person, unit=team, start_date=day)
            make_target(
                world.revenue, world.year, 1000, person=person, team=team, status="published"
            )
            people.append(person)
        for i, person in enumerate(people):
            for k in range(8):
                number += 1
                credits = [{"person": person.username, "share_pct": "100"}]
                if k % 4 == 0:
                    mate = people[(i + 1) % len(people)]
                    credits = [
                        {"person": person.username, "share_pct": "60"},
                        {"person": mate.username, "share_pct": "40"},
                    ]
                rows.append(
                    {
                        "external_id": f"R-{number}",
                        "date": datetime.date(2026, 1 + number % 10, 1 + number % 27).isoformat(),
                        "customer": f"G-{number % 40}",
                        "amount": str(100 + number),
                        "quantity": "2",
                        "gross_margin": "30",
                        "collected_amount": "50" if k % 2 else "0",
                        # after every sale date above (none is later than 27 October), and
                        # before the suite's day (tests/conftest.py pins 18 November)
                        "collected_on": "2026-10-28" if k % 2 else None,
                        "product": f"Product {number % 13}",
                        "category": f"Category {number % 4}",
                        "credits": credits,
                    }
                )
    for n in range(30):
        rows.append(
            {
                "external_id": f"SAM-{n}",
                "date": f"2026-0{1 + n % 9}-15",
                "customer": f"G-{n}",
                "amount": "10",
                "quantity": "1",
                "gross_margin": "1",
                "product": f"Product {n}",
                "credits": [
                    {"person": "sam", "share_pct": "50"},
                    {"person": "tina", "share_pct": "50"},
                ],
            }
        )
    services.records_bulk_upsert(rows, acting_user=org.department)
    for record in list(
        SalesRecord.objects.filter(external_id__endswith="7").select_related("period")
    )[:40]:
        services.record_cancel(record=record, acting_user=org.department)
    assert OrgUnit.objects.count() > 15 and SalesRecord.objects.count() > 400


def urls(world, org) -> list[str]:
    values = {"year": world.year.pk, "east": org.east.pk, "metric": world.revenue.pk}
    found = [u.format(**values) for u in PAGES]
    for fmt in ("csv", "xlsx"):
        for by, owners in zip(DIMENSIONS, ["unit", "person"] * 3, strict=True):
            found += [u.format(by=by, owners=owners, fmt=fmt, **values) for u in EXPORTS]
    for by, owners in zip(DIMENSIONS, ["unit", "person"] * 3, strict=True):
        found += [u.format(by=by, owners=owners, **values) for u in ENDPOINTS]
    return found


def count(client, url: str):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    return len(ctx.captured_queries), response


def client_for(user, url):
    client = APIClient() if url.startswith("/api/") else Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("persona", ["department", "regional", "supervisor", "salesperson"])
def test_reports_run_a_fixed_number_of_queries(org, world, persona, django_assert_max_num_queries):
    user = getattr(org, persona)
    small = {}
    for url in urls(world, org):
        n, response = count(client_for(user, url), url)
        # A salesperson asking for units' variance is refused (400), in as few queries.
        assert response.status_code in (200, 400), (url, response.status_code)
        small[url] = (n, response.status_code)
    grow(org, world)
    for url in urls(world, org):
        client = client_for(user, url)  # signing in is not part of the request
        with django_assert_max_num_queries(MAX_QUERIES):
            n, response = count(client, url)
        assert (n, response.status_code) == small[url], url


def test_the_large_fixture_changes_the_figures(org, world):
    """The large fixture really is larger where each persona looks."""
    from sales.reports import selectors as reports

    span = reports.DateRange(world.year.start_date, world.year.end_date, world.year)
    before = {
        p: reports.sales_report(user=getattr(org, p), by="customer", date_range=span).totals
        for p in ("department", "regional", "salesperson")
    }
    grow(org, world)
    for persona, totals in before.items():
        after = reports.sales_report(
            user=getattr(org, persona), by="customer", date_range=span
        ).totals
        assert after.amount > totals.amount and after.records > totals.records, persona
