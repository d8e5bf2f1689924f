"""Every targets and notifications endpoint runs a fixed number of queries, whatever
the size of the organisation and the number of targets, adjustments and plans."""

import datetime
from decimal import Decimal

import pytest

from notifications.services import notify
from org.models import Membership
from targets import services
from targets.models import SalesPlan, Target
from targets.plans import services as plan_services
from tests.api_queries import client_for, count
from tests.factories import MembershipFactory, OrgUnitFactory, UserFactory, make_target
from tests.targets import test_api
from tests.targets.test_api import period_of

world = test_api.world  # the fixture, shared with the API tests

# Auth (session, user, roles, led units) + count + page + a few joins; far below one
# query per row.
MAX_READ_QUERIES = 12
MAX_WRITE_QUERIES = 25


@pytest.fixture
def busy(org, world):
    """Something in every list for every persona, even before the data grows."""
    services.adjustment_request(
        target=world.t["tina"],
        new_value="90",
        kind="territory",
        reason="Lost an account",
        effective_period=period_of(world.fy, "month", 4),
        acting_user=org.department,
    )
    plan = plan_services.plan_save(
        person=org.salesperson,
        period=world.year,
        key_accounts="Acme",
        actions="Visits",
        pipeline={str(period_of(world.fy, "month", 1).pk): "10"},
        acting_user=org.salesperson,
    )
    plan_services.plan_submit(plan=plan, acting_user=org.salesperson)
    notify(recipient_ids=[org.salesperson.pk], kind="plan_approved", params={"period": "FY"})
    january = period_of(world.fy, "month", 1)
    for person, team in [
        (org.salesperson, org.team),
        (org.teammate, org.team),
        (org.other_salesperson, org.other_team),
    ]:
        make_target(
            world.revenue, january, 9, person=person, team=team, status=Target.Status.PUBLISHED
        )
    return world


def grow(org, world, teams: int = 10, people_per_team: int = 4) -> None:
    """Many more teams, people, targets (year and months), adjustments, plans with
    several versions and notifications."""
    months = [period_of(world.fy, "month", n) for n in range(1, 13)]
    for n in range(teams):
        parent = org.east if n % 2 else org.south
        team = OrgUnitFactory(code=f"grow-{n}", name=f"Grown {n}", parent=parent)
        lead = UserFactory(username=f"lead-{n}", roles=["supervisor"])
        MembershipFactory(user=lead, unit=team, kind=Membership.Kind.SUPERVISOR)
        make_target(world.revenue, world.year, 400, unit=team)
        for i in range(people_per_team):
            person = UserFactory(username=f"p-{n}-{i}", roles=["salesperson"])
            MembershipFactory(user=person, unit=team, start_date=datetime.date(2020, 1, 1))
            year_target = make_target(
                world.revenue,
                world.year,
                120,
                person=person,
                team=team,
                status=Target.Status.PUBLISHED,
            )
            Target.objects.bulk_create(
                Target(
                    metric=world.revenue,
                    period=month,
                    person=person,
                    team=team,
                    value=Decimal(10),
                    status=Target.Status.PUBLISHED,
                )
                for month in months
            )
            services.adjustment_request(
                target=year_target,
                new_value="100",
                kind="quota_relief",
                reason="Leave",
                effective_period=months[6],
                acting_user=org.department,
            )
            plan = plan_services.plan_save(
                person=person,
                period=world.year,
                key_accounts="Accounts",
                actions="Actions",
                pipeline={str(months[0].pk): "5"},
                acting_user=person,
            )
            plan_services.plan_submit(plan=plan, acting_user=person)
            plan_services.plan_review(
                plan=plan, approve=False, comment="More", acting_user=org.department
            )
            plan_services.plan_save(
                person=person,
                period=world.year,
                key_accounts="Accounts 2",
                actions="Actions 2",
                pipeline={},
                acting_user=person,
            )
    # sam's other months, and many notifications
    Target.objects.bulk_create(
        Target(
            metric=world.revenue,
            period=month,
            person=org.salesperson,
            team=org.team,
            value=Decimal(8),
            status=Target.Status.PUBLISHED,
        )
        for month in months[1:]
    )
    for n in range(30):
        notify(recipient_ids=[org.salesperson.pk], kind="plan_approved", params={"period": n})


READS = [
    "/api/v1/metrics/",
    "/api/v1/seasonality-profiles/",
    "/api/v1/targets/?page_size=500",
    "/api/v1/targets/?page_size=500&fiscal_year={fy}&kind=month&status=published",
    "/api/v1/targets/{own}/",
    "/api/v1/adjustments/?page_size=500",
    "/api/v1/plans/?page_size=500",
    "/api/v1/notifications/?page_size=500",
]


@pytest.mark.parametrize("persona", ["department", "regional", "supervisor", "salesperson"])
def test_reads_run_a_fixed_number_of_queries(org, busy, persona, django_assert_max_num_queries):
    user = getattr(org, persona)
    own = busy.t["sam"] if persona in ("salesperson", "department") else busy.t["tina"]
    urls = [template.format(fy=busy.fy.pk, own=own.pk) for template in READS]
    client = client_for(user)
    small = {url: count(client, "get", url) for url in urls}
    grow(org, busy)
    client = client_for(user)  # signing in is not part of the requests
    for url in urls:
        with django_assert_max_num_queries(MAX_READ_QUERIES):
            large, response = count(client, "get", url)
        small_count, small_response = small[url]
        assert large == small_count, url
        grows = "/targets/?" in url or "/plans/" in url or "/adjustments/" in url
        if grows and persona in ("department", "regional"):
            assert response.json()["count"] > small_response.json()["count"], url


def test_publication_problems_run_a_fixed_number_of_queries(
    org, busy, django_assert_max_num_queries
):
    url = f"/api/v1/targets/publication-problems/?metric={busy.revenue.pk}&fiscal_year={busy.fy.pk}"
    small, _ = count(client_for(org.department), "get", url)
    grow(org, busy)
    client = client_for(org.department)
    with django_assert_max_num_queries(MAX_READ_QUERIES):
        large, response = count(client, "get", url)
    assert large == small
    assert len(response.json()["problems"]) > 1


def writes(org, world):
    """(persona, method, url, body) of every write, in an order that works."""
    t = world.t
    sam_plan = SalesPlan.objects.get(person=org.salesperson)
    july = period_of(world.fy, "month", 7)
    return [
        (
            "department",
            "post",
            "/api/v1/metrics/",
            {"code": "m2", "name": "M", "name_zh": "M", "unit": "count", "source": "quantity"},
        ),
        ("department", "patch", f"/api/v1/metrics/{world.customers.pk}/", {"position": 3}),
        (
            "department",
            "post",
            "/api/v1/seasonality-profiles/",
            {"name": "Flat", "method": "custom", "weights": ["8.5"] * 10 + ["7.5"] * 2},
        ),
        (
            "department",
            "post",
            "/api/v1/targets/",
            {"metric": world.revenue.pk, "period": world.year.pk, "unit": org.east.pk, "value": 5},
        ),
        (
            "department",
            "post",
            "/api/v1/targets/",
            {
                "metric": world.revenue.pk,
                "period": world.year.pk,
                "person": org.supervisor.pk,
                "value": 100,
            },
        ),
        (
            "supervisor",
            "post",
            "/api/v1/targets/",
            {
                "metric": world.customers.pk,
                "period": world.q1.pk,
                "person": org.teammate.pk,
                "value": 1,
            },
        ),
        ("supervisor", "patch", f"/api/v1/targets/{t['sam_q1'].pk}/", {"value": "26"}),
        ("salesperson", "post", f"/api/v1/targets/{t['sam'].pk}/acknowledge/", {}),
        (
            "department",
            "post",
            f"/api/v1/targets/{t['team1_customers'].pk}/cascade/",
            {"mode": "org", "preview": True},
        ),
        (
            "department",
            "post",
            f"/api/v1/targets/{t['team1_customers'].pk}/cascade/",
            {"mode": "org"},
        ),
        (
            "department",
            "post",
            f"/api/v1/targets/{t['company'].pk}/cascade/",
            {"mode": "time", "preview": True},
        ),
        ("department", "post", f"/api/v1/targets/{t['company'].pk}/cascade/", {"mode": "time"}),
        (
            "department",
            "post",
            f"/api/v1/targets/{t['team1_customers'].pk}/cascade/",
            {"mode": "down", "preview": True},
        ),
        ("supervisor", "post", f"/api/v1/targets/{t['team1'].pk}/submit-allocation/", {}),
        (
            "department",
            "post",
            f"/api/v1/targets/{t['team1'].pk}/decide-allocation/",
            {"approve": True},
        ),
        (
            "department",
            "post",
            "/api/v1/targets/publish/",
            {"metric": world.customers.pk, "fiscal_year": world.fy.pk},
        ),
        (
            "supervisor",
            "post",
            "/api/v1/adjustments/",
            {
                "target": t["sam"].pk,
                "new_value": "70",
                "kind": "other",
                "reason": "Moved",
                "effective_period": july.pk,
            },
        ),
        (
            "department",
            "post",
            f"/api/v1/adjustments/{t['tina'].adjustments.get().pk}/decide/",
            {"approve": True},
        ),
        ("supervisor", "post", f"/api/v1/plans/{sam_plan.pk}/review/", {"approve": True}),
        (
            "teammate",
            "post",
            "/api/v1/plans/",
            {"period": world.year.pk, "key_accounts": "A", "actions": "B"},
        ),
        ("notifications", "post", "/api/v1/notifications/mark-read/", {}),
    ]


@pytest.mark.parametrize("size", ["small", "large"])
def test_writes_run_a_bounded_number_of_queries(
    org, busy, size, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    if size == "large":
        grow(org, busy)
    clients = {}
    for persona, method, url, body in writes(org, busy):
        user = org.salesperson if persona == "notifications" else getattr(org, persona)
        client = clients.setdefault(persona, client_for(user))
        with (
            django_assert_max_num_queries(MAX_WRITE_QUERIES),
            django_capture_on_commit_callbacks(execute=True),
        ):
            _queries, response = count(client, method, url, body)
    assert response.json()["count"] >= 1
    # the team, its three people, and the quarter the supervisor set for tina
    assert Target.objects.filter(metric=busy.customers, status="published").count() == 5


def test_a_team_cascade_costs_the_same_for_3_or_40_members(
    org,
    world,
    django_assert_max_num_queries,
):
    client = client_for(org.department)
    url = f"/api/v1/targets/{world.t['team1_customers'].pk}/cascade/"
    small, _ = count(client, "post", url, {"mode": "org", "preview": True})
    for i in range(37):
        MembershipFactory(user=UserFactory(username=f"extra-{i}"), unit=org.team)
    large, response = count(client, "post", url, {"mode": "org", "preview": True})
    assert large == small
    assert response.json()["count"] == 40
    with django_assert_max_num_queries(MAX_WRITE_QUERIES):
        _, written = count(client, "post", url, {"mode": "org"})
    assert written.json()["count"] == 40
