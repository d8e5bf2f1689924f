"""Every API endpoint runs a fixed number of queries, whatever the data size."""

import datetime

import pytest

from org import services
from org.models import Membership, OrgUnit
from tests.api_queries import client_for, count
from tests.factories import MembershipFactory, UserFactory, grow_teams

# Generous enough for auth (session + user + roles + led units) and pagination,
# far below one query per row.
MAX_QUERIES = 12


def grow(org, teams: int = 12, people_per_team: int = 4) -> None:
    """Many more teams under EAST and SOUTH, with members, supervisors, history."""
    for team, _lead, person, _i in grow_teams(org, teams, people_per_team):
        MembershipFactory(
            user=person,
            unit=team,
            start_date=datetime.date(2019, 1, 1),
            end_date=datetime.date(2019, 12, 31),
        )
        MembershipFactory(user=person, unit=team)
    # More supervisors on the fixture's units too, so their supervisor lists grow.
    for i in range(3):
        extra = UserFactory(username=f"co-lead-{i}", roles=["supervisor"])
        MembershipFactory(user=extra, unit=org.team, kind=Membership.Kind.SUPERVISOR)
        MembershipFactory(user=extra, unit=org.east, kind=Membership.Kind.SUPERVISOR)
    for year in (2027, 2028, 2029):
        services.fiscal_year_create(start_year=year, start_month=1)


# (url, grows): `grows` when the department sees more rows after `grow`.
READS = [
    ("/api/v1/me/", False),
    ("/api/v1/units/?page_size=500", True),
    ("/api/v1/units/?page_size=500&subtree_of={east}", True),
    ("/api/v1/units/{team}/", False),
    ("/api/v1/people/?page_size=500", True),
    ("/api/v1/people/?page_size=500&role=salesperson&unit={team}", False),
    ("/api/v1/people/{self}/", False),
    ("/api/v1/memberships/?page_size=500", True),
    ("/api/v1/memberships/?page_size=500&active_on=2020-06-01", True),
    ("/api/v1/fiscal-years/?page_size=500", True),
    ("/api/v1/periods/?page_size=500", True),
    ("/api/v1/periods/?page_size=500&kind=month&contains=2026-02-02", False),
]


@pytest.mark.parametrize("persona", ["department", "regional", "supervisor", "salesperson"])
@pytest.mark.parametrize(("template", "grows"), READS)
def test_reads_run_a_fixed_number_of_queries(
    org, persona, template, grows, django_assert_max_num_queries
):
    services.fiscal_year_create(start_year=2026, start_month=1)
    user = getattr(org, persona)
    url = template.format(east=org.east.pk, team=org.team.pk, self=user.pk)

    small, small_response = count(client_for(user), "get", url)
    grow(org)
    client = client_for(user)  # signing in is not part of the request
    with django_assert_max_num_queries(MAX_QUERIES):
        large, large_response = count(client, "get", url)
    assert large == small
    if grows and persona == "department":
        assert large_response.json()["count"] > small_response.json()["count"]


@pytest.mark.parametrize("size", ["small", "large"])
def test_writes_run_a_bounded_number_of_queries(org, size, django_assert_max_num_queries):
    services.fiscal_year_create(start_year=2026, start_month=1)
    if size == "large":
        grow(org)
    client = client_for(org.department)
    membership = Membership.objects.get(user=org.salesperson)
    writes = [
        (
            "post",
            "/api/v1/units/",
            {"code": "new-team", "name": "New", "kind": "team", "parent": org.east.pk},
        ),
        ("patch", f"/api/v1/units/{org.team2.pk}/", {"name": "Renamed"}),
        (
            "post",
            "/api/v1/memberships/",
            {
                "user": org.regional.pk,
                "unit": org.south.pk,
                "kind": "supervisor",
                "start_date": "2024-01-01",
            },
        ),
        ("post", f"/api/v1/memberships/{membership.pk}/end/", {"end_date": "2024-12-31"}),
    ]
    for method, url, body in writes:
        with django_assert_max_num_queries(25):
            count(client, method, url, body)
    # a fiscal year writes its 17 periods one by one (history rows too): bounded, not per row
    with django_assert_max_num_queries(60):
        count(client, "post", "/api/v1/fiscal-years/", {"start_year": 2031, "start_month": 1})
    assert OrgUnit.objects.filter(code="new-team").exists()
