"""Every progress report and satisfaction page and endpoint runs a fixed number of
queries, whatever the number of teams, people, reports and responses: the same
count on a small and a large organisation, and below a ceiling."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from sales.feedback.domain import previous_periods
from sales.models import ProgressReport, SatisfactionResponse
from tests.factories import MembershipFactory, grow_teams
from tests.sales import test_feedback_pages as pages_tests
from tests.sales.conftest import WEDNESDAY
from tests.sales.helpers import customer, month

pages = pages_tests.pages

MAX_PAGE_QUERIES = 16
MAX_API_QUERIES = 12
d = datetime.date


def grow(org, fb, teams: int = 8, people_per_team: int = 5) -> None:
    """Many more teams (half under the east region), people, eight weeks of reports
    each (some late, read or commented) and satisfaction responses."""
    weeks = previous_periods(WEDNESDAY, "weekly", 8)
    march = month(fb.year, 3)
    cust = customer(org.department, "Grown customer", external_id="GROWN")
    submitted = timezone.now()
    for team, lead, person, i in grow_teams(org, teams, people_per_team):
        MembershipFactory(user=person, unit=team)
        ProgressReport.objects.bulk_create(
            ProgressReport(
                person=person,
                frequency="weekly",
                period_start=w.start,
                period_end=w.end,
                progress="Work",
                submitted_at=submitted if (i + k) % 3 else None,
                read_at=submitted if k % 2 else None,
                commented_at=submitted if k % 4 == 0 else None,
                commented_by=lead if k % 4 == 0 else None,
                supervisor_comment="Fine" if k % 4 == 0 else "",
            )
            for k, w in enumerate(weeks)
        )
        SatisfactionResponse.objects.bulk_create(
            SatisfactionResponse(
                customer=cust,
                salesperson=person,
                period=march,
                answered_on=d(2026, 3, 1 + s),
                score=1 + (s + i) % 5,
            )
            for s in range(3)
        )
    # sam's own older weeks, and more responses about him and his teammate
    ProgressReport.objects.bulk_create(
        ProgressReport(
            person=org.salesperson,
            frequency="weekly",
            period_start=w.start,
            period_end=w.end,
            progress="Older",
            submitted_at=submitted,
        )
        for w in weeks[1:]
    )
    SatisfactionResponse.objects.bulk_create(
        SatisfactionResponse(
            customer=fb.globex,
            salesperson=person,
            period=march,
            answered_on=d(2026, 3, 2),
            score=4,
        )
        for person in (org.salesperson, org.teammate)
        for _ in range(20)
    )


def count(client, url: str):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def signed_in(user, api=False):
    client = APIClient() if api else Client()
    client.force_login(user)
    return client


PAGES = {
    "salesperson": [
        "/sales/progress/",
        "/sales/progress/?older=1",
        "/sales/progress/write/",
        "/sales/progress/{sams}/",
        "/sales/satisfaction/",
    ],
    "supervisor": [
        "/sales/progress/team/",
        "/sales/progress/team/?periods=12&missing=on",
        "/sales/progress/{sams}/",
        "/sales/satisfaction/",
        "/sales/satisfaction/?period=",
        "/sales/satisfaction/new/",
    ],
    "regional": ["/sales/progress/team/", "/sales/satisfaction/"],
    "department": [
        "/sales/progress/team/",
        "/sales/progress/team/?unit={east}",
        "/sales/progress/{sams}/",
        "/sales/satisfaction/",
        "/sales/satisfaction/?period=&score=5",
        "/sales/satisfaction/new/",
        "/sales/satisfaction/import/",
    ],
}


@pytest.mark.parametrize("persona", list(PAGES))
def test_pages_run_a_fixed_number_of_queries(
    org, fb, pages, persona, django_assert_max_num_queries
):
    user = getattr(org, persona)
    urls = [u.format(sams=pages.sams.pk, east=org.east.pk) for u in PAGES[persona]]
    client = signed_in(user)
    for url in urls:  # the supervisor's first visit marks sam's report read
        client.get(url)
    small = {url: count(client, url) for url in urls}
    grow(org, fb)
    client = signed_in(user)
    for url in urls:
        client.get(url)
        with django_assert_max_num_queries(MAX_PAGE_QUERIES):
            large = count(client, url)
        assert large == small[url], url


API = {
    "salesperson": [
        "/api/v1/progress-reports/?page_size=500",
        "/api/v1/progress-reports/{sams}/",
        "/api/v1/satisfaction-responses/?page_size=500",
        "/api/v1/satisfaction-responses/averages/?period={march}",
    ],
    "supervisor": [
        "/api/v1/progress-reports/?page_size=500",
        "/api/v1/progress-reports/{sams}/",
        "/api/v1/satisfaction-responses/?page_size=500",
        "/api/v1/satisfaction-responses/averages/?period={march}",
    ],
    "department": [
        "/api/v1/progress-reports/?page_size=500&submitted=true",
        "/api/v1/satisfaction-responses/?page_size=500",
        "/api/v1/satisfaction-responses/averages/?start=2026-01-01&end=2026-12-31",
        "/api/v1/satisfaction-responses/averages/?period={march}&unit={east}",
    ],
}


@pytest.mark.parametrize("persona", list(API))
def test_endpoints_run_a_fixed_number_of_queries(
    org, fb, pages, persona, django_assert_max_num_queries
):
    user = getattr(org, persona)
    march = month(fb.year, 3)
    urls = [u.format(sams=pages.sams.pk, march=march.pk, east=org.east.pk) for u in API[persona]]
    client = signed_in(user, api=True)
    for url in urls:
        client.get(url)
    small = {url: count(client, url) for url in urls}
    grow(org, fb)
    client = signed_in(user, api=True)
    for url in urls:
        client.get(url)
        with django_assert_max_num_queries(MAX_API_QUERIES):
            large = count(client, url)
        assert large == small[url], url
    if persona == "department":
        listed = client.get("/api/v1/satisfaction-responses/?page_size=500").json()
        assert listed["count"] > 100


def test_the_team_page_grows_in_rows_not_in_queries(org, fb, pages):
    grow(org, fb)
    client = signed_in(org.department)
    response = client.get("/sales/progress/team/?periods=8")
    rows = response.context["page"].object_list
    assert len(rows) == 45  # 40 grown people, and sam, tina, sue, eve and oscar
    assert all(len(row.cells) == 8 for row in rows)
