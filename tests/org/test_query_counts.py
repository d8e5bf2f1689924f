"""Pages run a fixed number of queries whatever the size of the organisation."""

import datetime

import pytest
from django.urls import reverse

from org import services
from org.models import OrgUnit
from tests.factories import MembershipFactory, OrgUnitFactory, UserFactory


def grow(org, teams: int, people_per_team: int):
    for t in range(teams):
        unit = OrgUnitFactory(code=f"extra-{t}", kind=OrgUnit.Kind.TEAM, parent=org.east)
        for p in range(people_per_team):
            user = UserFactory(username=f"extra-{t}-{p}", roles=["salesperson"])
            MembershipFactory(user=user, unit=unit, start_date=datetime.date(2024, 1, 1))
    services.fiscal_year_create(start_year=2025, start_month=1)
    services.fiscal_year_create(start_year=2026, start_month=1)


PAGES = [
    ("home", lambda org: reverse("home")),
    ("org-tree", lambda org: reverse("org-tree")),
    ("people-list", lambda org: reverse("people-list")),
    ("unit-detail", lambda org: reverse("unit-detail", args=[org.east.pk])),
    ("person-detail", lambda org: reverse("person-detail", args=[org.salesperson.pk])),
    ("periods", lambda org: reverse("periods")),
    ("audit-log", lambda org: reverse("audit-log")),
]


@pytest.mark.parametrize(("name", "url"), PAGES, ids=[p[0] for p in PAGES])
@pytest.mark.parametrize("size", ["small", "large"])
def test_page_query_count_does_not_grow(
    client_as, org, django_assert_max_num_queries, name, url, size
):
    if size == "large":
        grow(org, teams=6, people_per_team=12)
    else:
        grow(org, teams=1, people_per_team=1)
    client = client_as("department")
    with django_assert_max_num_queries(30):
        response = client.get(url(org))
    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["supervisor", "regional", "salesperson"])
def test_scoped_pages_are_bounded_too(org, django_assert_max_num_queries, persona):
    from django.test import Client

    grow(org, teams=5, people_per_team=10)
    client = Client()
    client.force_login(getattr(org, persona))
    for url in (reverse("home"), reverse("org-tree"), reverse("people-list")):
        with django_assert_max_num_queries(20):
            assert client.get(url).status_code == 200
