"""Every appraisal page and endpoint runs a fixed number of queries, whatever the
number of templates, versions, dimensions, grades, units and people: the same count
on a small and on a large organisation, and below a bound."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from org.models import Membership, User
from tests.appraisal import test_permissions
from tests.appraisal.helpers import make_draft, make_published
from tests.factories import MembershipFactory, OrgUnitFactory, UserFactory

# Session, user, roles, memberships/led units, the template (or list) and its five
# parts, the form's choices: far below one query per row.
MAX_PAGE_QUERIES = 22
MAX_API_QUERIES = 14

# The shared fixtures.
pinned_today = test_permissions.pinned_today
world = test_permissions.world


def grow(org, world, teams: int = 8, people: int = 4, templates: int = 6) -> None:
    """Many more teams and salespeople, published templates covering parts of the
    organisation (four dimensions and five grades each) and drafts."""
    units = []
    for n in range(teams):
        parent = org.east if n % 2 else org.south
        team = OrgUnitFactory(code=f"grow-{n}", name=f"Grown {n}", parent=parent)
        units.append(team)
        lead = UserFactory(username=f"lead-{n}", roles=["supervisor"])
        MembershipFactory(user=lead, unit=team, kind=Membership.Kind.SUPERVISOR)
        for i in range(people):
            person = UserFactory(username=f"p-{n}-{i}", roles=["salesperson"])
            MembershipFactory(user=person, unit=team)
    for n in range(templates):
        covered = [org.company] if n % 3 == 0 else [units[n], units[(n + 1) % teams], org.east]
        make_published(org, code=f"grown-{n}", year=world.fy, units=covered)
        make_draft(org, code=f"grown-draft-{n}", year=world.fy, units=covered)


def pages(world):
    draft, sales = world.draft, world.sales
    dim = draft.dimensions.first()
    everybody = [
        ("salesperson", reverse("appraisal:mine")),
        ("other_salesperson", reverse("appraisal:mine")),
        ("salesperson", reverse("appraisal:templates")),
        ("supervisor", reverse("appraisal:templates")),
        ("regional", reverse("appraisal:templates")),
        ("hr", reverse("appraisal:templates")),
        ("salesperson", reverse("appraisal:template-detail", args=[sales.pk])),
        ("hr", reverse("appraisal:template-detail", args=[sales.pk])),
    ]
    department = [
        ("department", reverse("appraisal:templates")),
        ("department", reverse("appraisal:template-detail", args=[draft.pk])),
        ("department", reverse("appraisal:template-new")),
        ("department", reverse("appraisal:template-edit", args=[draft.pk])),
        ("department", reverse("appraisal:dimension-new", args=[draft.pk])),
        ("department", reverse("appraisal:dimension-edit", args=[draft.pk, dim.pk])),
        ("department", reverse("appraisal:dimension-delete", args=[draft.pk, dim.pk])),
        ("department", reverse("appraisal:bands", args=[draft.pk])),
        ("department", reverse("appraisal:template-publish", args=[draft.pk])),
        ("department", reverse("appraisal:template-edit", args=[sales.pk])),  # frozen
    ]
    return everybody + department


def endpoints(world):
    return [
        ("department", reverse("api-appraisal-template-list")),
        ("salesperson", reverse("api-appraisal-template-list")),
        ("regional", reverse("api-appraisal-template-list")),
        ("hr", reverse("api-appraisal-template-list")),
        ("salesperson", reverse("api-appraisal-template-detail", args=[world.sales.pk])),
        ("department", reverse("api-appraisal-template-detail", args=[world.draft.pk])),
        ("department", reverse("api-appraisal-dimension-list")),
        ("salesperson", reverse("api-appraisal-dimension-list")),
    ]


def count_pages(org, world, assert_max):
    counts = {}
    for persona, path in pages(world):
        client = Client()
        client.force_login(getattr(org, persona))
        with assert_max(MAX_PAGE_QUERIES) as captured:
            response = client.get(path)
        assert response.status_code in (200, 400), (persona, path)
        counts[(persona, path)] = len(captured)
    return counts


def count_endpoints(org, world, assert_max):
    counts = {}
    for persona, path in endpoints(world):
        client = APIClient()
        # A fresh user object: nothing cached on it from an earlier request.
        client.force_authenticate(User.objects.get(pk=getattr(org, persona).pk))
        with assert_max(MAX_API_QUERIES) as captured:
            response = client.get(path)
        assert response.status_code == 200, (persona, path)
        counts[(persona, path)] = len(captured)
    return counts


@pytest.mark.parametrize("count", [count_pages, count_endpoints], ids=["pages", "endpoints"])
def test_every_page_and_endpoint_costs_the_same_few_queries_small_and_large(
    org, world, django_assert_max_num_queries, count
):
    small = count(org, world, django_assert_max_num_queries)
    grow(org, world)
    large = count(org, world, django_assert_max_num_queries)
    assert large == small


@pytest.mark.parametrize("persona", ["department", "salesperson"])
def test_the_large_lists_show_every_template_they_should(org, world, persona):
    grow(org, world)
    client = APIClient()
    client.force_authenticate(getattr(org, persona))
    body = client.get(reverse("api-appraisal-template-list"), {"page_size": 100}).json()
    codes = {row["code"] for row in body["results"]}
    if persona == "department":
        assert len(codes) == 4 + 12
    else:  # the company-wide ones only (the others cover grown teams and the east region)
        assert codes == {"sales", "grown-0", "grown-3", "grown-1", "grown-2", "grown-4", "grown-5"}
