"""The people list has one filter definition (org.filters.PersonFilter): the page and the
API give the same people for the same filters."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from org.models import Membership, OrgUnit, Role, User
from tests.factories import OrgUnitFactory

pytestmark = pytest.mark.django_db

START = datetime.date(2020, 1, 1)


@pytest.fixture
def company():
    root = OrgUnitFactory(code="HQ", kind=OrgUnit.Kind.COMPANY)
    east = OrgUnitFactory(code="E", kind=OrgUnit.Kind.REGION, parent=root)
    team = OrgUnitFactory(code="E1", kind=OrgUnit.Kind.TEAM, parent=east)
    west = OrgUnitFactory(code="W", kind=OrgUnit.Kind.REGION, parent=root)
    boss = User.objects.create_user("boss", password="x", first_name="Bea", last_name="Boss")
    boss.role_assignments.create(role=Role.DEPARTMENT)
    people = {}
    for username, unit, kind, role, number in [
        ("ann", team, Membership.Kind.MEMBER, Role.SALESPERSON, "E-100"),
        ("bob", team, Membership.Kind.SUPERVISOR, Role.SUPERVISOR, "E-200"),
        ("cai", west, Membership.Kind.MEMBER, Role.SALESPERSON, "W-300"),
        ("dan", east, Membership.Kind.MEMBER, Role.SALESPERSON, "E-400"),
    ]:
        person = User.objects.create_user(
            username, password="x", first_name=username.title(), employee_no=number
        )
        person.role_assignments.create(role=role)
        Membership.objects.create(user=person, unit=unit, kind=kind, start_date=START)
        people[username] = person
    return {"boss": boss, "east": east, "team": team, "west": west, **people}


def _page(boss, query: dict) -> set[str]:
    client = Client()
    client.force_login(boss)
    response = client.get(reverse("people-list"), query)
    assert response.status_code == 200
    return {p.username for p in response.context["page"].object_list}


def _api(boss, query: dict) -> set[str]:
    client = APIClient()
    client.force_authenticate(boss)
    response = client.get("/api/v1/people/", {**query, "page_size": 500})
    assert response.status_code == 200, response.content
    return {p["username"] for p in response.json()["results"] if p["is_active"]}


@pytest.mark.parametrize(
    "page_query, api_query, expected",
    [
        ({"q": "E-"}, {"q": "E-"}, {"ann", "bob", "dan"}),
        ({"q": "cai"}, {"q": "cai"}, {"cai"}),
        ({"role": Role.SUPERVISOR}, {"role": Role.SUPERVISOR}, {"bob"}),
        ({"unit": "east"}, {"within": "east"}, {"ann", "bob", "dan"}),
        ({"unit": "team"}, {"within": "team"}, {"ann", "bob"}),
        (
            {"unit": "east", "role": Role.SALESPERSON},
            {"within": "east", "role": Role.SALESPERSON},
            {"ann", "dan"},
        ),
    ],
)
def test_the_page_and_the_api_list_the_same_people(company, page_query, api_query, expected):
    def ids(query):
        return {k: company[v].pk if k in ("unit", "within") else v for k, v in query.items()}

    page = _page(company["boss"], ids(page_query))
    api = _api(company["boss"], ids(api_query))
    assert page == api == expected


def test_the_api_unit_filter_still_means_a_member_of_that_very_unit(company):
    assert _api(company["boss"], {"unit": company["team"].pk}) == {"ann"}
    assert _api(company["boss"], {"unit": company["east"].pk}) == {"dan"}
