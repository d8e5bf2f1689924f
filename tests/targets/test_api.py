"""The targets API under /api/v1/: who sees and changes what, per persona, and every
refusal answering 400 with the rule's message while writing nothing."""

import functools
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from notifications.models import Notification
from org import services as org_services
from org.models import Period
from targets import services
from targets.models import Adjustment, Metric, SalesPlan, SeasonalityProfile, Target
from targets.plans import services as plan_services
from tests.api_errors import field_errors
from tests.factories import make_target, new_customers_metric, revenue_metric

# --- fixtures --------------------------------------------------------------------------------


def period_of(fiscal_year, kind: str, number: int = 1) -> Period:
    return Period.objects.select_related("fiscal_year").get(
        fiscal_year=fiscal_year, kind=kind, number=number
    )


@pytest.fixture
def world(org):
    """FY2026 with two metrics and targets:

    revenue (currency), year:
      ACME 1000 draft; East Team 1 300 draft;
      sam 100 published, tina 100 published (team East Team 1), sam Q1 25 draft;
      South Team 1 100 published, oscar 100 published; eve 50 published (East Team 2).
    customers (count), year: East Team 1 9 draft (nobody below yet).
    """
    fy = org_services.fiscal_year_create(start_year=2026, start_month=1)
    year = period_of(fy, "year")
    q1 = period_of(fy, "quarter", 1)
    revenue = revenue_metric()
    customers = new_customers_metric()
    published = Target.Status.PUBLISHED

    make = functools.partial(make_target, status="draft")

    t = {
        "company": make(revenue, year, "1000", unit=org.company),
        "team1": make(revenue, year, "300", unit=org.team),
        "sam": make(revenue, year, "100", person=org.salesperson, team=org.team, status=published),
        "tina": make(revenue, year, "100", person=org.teammate, team=org.team, status=published),
        "sam_q1": make(revenue, q1, "25", person=org.salesperson, team=org.team),
        "south": make(revenue, year, "100", unit=org.other_team, status=published),
        "oscar": make(
            revenue,
            year,
            "100",
            person=org.other_salesperson,
            team=org.other_team,
            status=published,
        ),
        "eve": make(revenue, year, "50", person=org.east2_person, team=org.team2, status=published),
        "team1_customers": make(customers, year, "9", unit=org.team),
    }
    return type(
        "World",
        (),
        {"fy": fy, "year": year, "q1": q1, "revenue": revenue, "customers": customers, "t": t},
    )


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def ids(response):
    return {row["id"] for row in results(response)}


def keys(world, *names):
    return {world.t[n].pk for n in names}


def snapshot():
    """Everything a refused request must leave as it was."""
    return (
        sorted(Target.objects.values_list("pk", "value", "status", "allocation_status")),
        sorted(Adjustment.objects.values_list("pk", "status")),
        sorted(SalesPlan.objects.values_list("pk", "status")),
        Target.history.count(),
        Notification.objects.count(),
    )


def refused(response, words: str):
    assert response.status_code == 400, response.content
    assert words in response.json()["detail"], response.json()


# --- anonymous --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/metrics/"),
        ("post", "/api/v1/metrics/"),
        ("get", "/api/v1/metrics/1/"),
        ("patch", "/api/v1/metrics/1/"),
        ("get", "/api/v1/seasonality-profiles/"),
        ("post", "/api/v1/seasonality-profiles/"),
        ("patch", "/api/v1/seasonality-profiles/1/"),
        ("get", "/api/v1/targets/"),
        ("post", "/api/v1/targets/"),
        ("get", "/api/v1/targets/1/"),
        ("patch", "/api/v1/targets/1/"),
        ("post", "/api/v1/targets/1/acknowledge/"),
        ("post", "/api/v1/targets/1/cascade/"),
        ("post", "/api/v1/targets/1/submit-allocation/"),
        ("post", "/api/v1/targets/1/decide-allocation/"),
        ("post", "/api/v1/targets/publish/"),
        ("get", "/api/v1/targets/publication-problems/"),
        ("get", "/api/v1/adjustments/"),
        ("post", "/api/v1/adjustments/"),
        ("get", "/api/v1/adjustments/1/"),
        ("post", "/api/v1/adjustments/1/decide/"),
        ("get", "/api/v1/plans/"),
        ("post", "/api/v1/plans/"),
        ("get", "/api/v1/plans/1/"),
        ("post", "/api/v1/plans/1/submit/"),
        ("post", "/api/v1/plans/1/review/"),
    ],
)
def test_anonymous_gets_401_with_a_token_challenge(api_as, method, url):
    response = getattr(api_as("anonymous"), method)(url, {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_token_works_on_the_targets_endpoints(org, world):
    key = Token.objects.create(user=org.department).key
    erp = APIClient()
    erp.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert ids(erp.get("/api/v1/targets/?page_size=100")) == {t.pk for t in world.t.values()}
    created = erp.post(
        "/api/v1/targets/",
        {"metric": world.revenue.pk, "period": world.year.pk, "unit": org.east.pk, "value": "600"},
        format="json",
    )
    assert created.status_code == 201, created.content  # no CSRF token needed


def test_a_token_keeps_the_persons_permissions(org, world):
    key = Token.objects.create(user=org.salesperson).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert ids(client.get("/api/v1/targets/")) == keys(world, "sam")
    assert client.get(f"/api/v1/targets/{world.t['tina'].pk}/").status_code == 404


# --- metrics ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["salesperson", "supervisor", "department", "hr"])
def test_every_signed_in_user_reads_the_metrics(api_as, world, persona):
    rows = results(api_as(persona).get("/api/v1/metrics/"))
    assert [r["code"] for r in rows] == ["revenue", "customers"]
    assert rows[0]["decimal_places"] == 2 and rows[1]["decimal_places"] == 0
    detail = api_as(persona).get(f"/api/v1/metrics/{world.revenue.pk}/")
    assert detail.json()["display_name"] == "Revenue"


def test_metric_names_follow_the_language_of_the_request(api_as, world):
    response = api_as("salesperson").get(
        f"/api/v1/metrics/{world.revenue.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.json()["display_name"] == "收入"


def test_the_department_adds_and_changes_a_metric(api_as, world):
    client = api_as("department")
    created = client.post(
        "/api/v1/metrics/",
        {
            "code": "margin",
            "name": "Gross margin",
            "name_zh": "毛利",
            "unit": "currency",
            "source": "margin",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["direction"] == "higher"
    changed = client.patch(
        f"/api/v1/metrics/{created.json()['id']}/", {"is_active": False}, format="json"
    )
    assert changed.status_code == 200
    assert Metric.objects.get(code="margin").is_active is False


def test_a_duplicate_metric_code_is_refused_with_the_services_message(api_as, world):
    response = api_as("department").patch(
        f"/api/v1/metrics/{world.customers.pk}/", {"code": "revenue"}, format="json"
    )
    refused(response, "already used")
    assert Metric.objects.get(pk=world.customers.pk).code == "customers"


def test_a_metric_with_an_unknown_unit_is_400(api_as, world):
    response = api_as("department").post(
        "/api/v1/metrics/",
        {"code": "x", "name": "X", "name_zh": "X", "unit": "apples", "source": "amount"},
        format="json",
    )
    assert response.status_code == 400
    assert "unit" in field_errors(response)


@pytest.mark.parametrize("persona", ["salesperson", "supervisor", "hr"])
def test_only_the_department_writes_metrics(api_as, world, persona):
    client = api_as(persona)
    body = {"code": "x", "name": "X", "name_zh": "X", "unit": "count", "source": "quantity"}
    assert client.post("/api/v1/metrics/", body, format="json").status_code == 403
    patch = client.patch(f"/api/v1/metrics/{world.revenue.pk}/", {"name": "R"}, format="json")
    assert patch.status_code == 403
    assert Metric.objects.count() == 2


# --- seasonality profiles ------------------------------------------------------------------------

SPRING = ["5", "5", "10", "10", "10", "10", "10", "10", "10", "10", "5", "5"]


def test_the_department_adds_a_custom_profile(api_as, world):
    response = api_as("department").post(
        "/api/v1/seasonality-profiles/",
        {"name": "Spring", "method": "custom", "weights": SPRING},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["weights"] == SPRING
    assert results(api_as("salesperson").get("/api/v1/seasonality-profiles/"))[0]["name"] == (
        "Spring"
    )


@pytest.mark.parametrize(
    ("weights", "words"),
    [
        (["8"] * 12, "must add up to 100 %; these add up to 96 %"),
        (["10"] * 10, "needs 12 monthly weights, not 10"),
        (["-10", "20", *["10"] * 9, "0"], "month 1 is negative"),
    ],
)
def test_bad_monthly_weights_are_refused_and_nothing_is_written(api_as, world, weights, words):
    response = api_as("department").post(
        "/api/v1/seasonality-profiles/",
        {"name": "Bad", "method": "custom", "weights": weights},
        format="json",
    )
    refused(response, words)
    assert not SeasonalityProfile.objects.exists()


def test_changing_weights_to_a_bad_sum_is_refused(api_as, world):
    profile = SeasonalityProfile.objects.create(name="Spring", method="custom", weights=SPRING)
    response = api_as("department").patch(
        f"/api/v1/seasonality-profiles/{profile.pk}/", {"weights": ["9"] * 12}, format="json"
    )
    refused(response, "must add up to 100 %")
    profile.refresh_from_db()
    assert profile.weights == SPRING
    renamed = api_as("department").patch(
        f"/api/v1/seasonality-profiles/{profile.pk}/", {"name": "Spring 2"}, format="json"
    )
    assert renamed.status_code == 200
    assert renamed.json()["weights"] == SPRING


@pytest.mark.parametrize("persona", ["salesperson", "supervisor", "hr"])
def test_only_the_department_writes_profiles(api_as, world, persona):
    response = api_as(persona).post(
        "/api/v1/seasonality-profiles/", {"name": "Flat", "method": "equal"}, format="json"
    )
    assert response.status_code == 403
    assert not SeasonalityProfile.objects.exists()


# --- targets: who sees what ------------------------------------------------------------------

VISIBLE = {
    "salesperson": {"sam"},
    "teammate": {"tina"},
    "other_salesperson": {"oscar"},
    "supervisor": {"team1", "sam", "tina", "sam_q1", "team1_customers"},
    "other_supervisor": {"south", "oscar"},
    "department": {
        "company",
        "team1",
        "sam",
        "tina",
        "sam_q1",
        "south",
        "oscar",
        "eve",
        "team1_customers",
    },
    "hr": set(),
}


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_targets_visible_per_persona(api_as, world, persona):
    response = api_as(persona).get("/api/v1/targets/?page_size=100")
    assert ids(response) == keys(world, *VISIBLE[persona])


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_target_detail_of_a_hidden_target_is_404(api_as, world, persona):
    client = api_as(persona)
    for name, target in world.t.items():
        expected = 200 if name in VISIBLE[persona] else 404
        assert client.get(f"/api/v1/targets/{target.pk}/").status_code == expected, name


def test_a_salesperson_never_sees_their_own_draft(api_as, world):
    assert api_as("salesperson").get(f"/api/v1/targets/{world.t['sam_q1'].pk}/").status_code == 404


def test_target_fields(api_as, world, org):
    row = api_as("salesperson").get(f"/api/v1/targets/{world.t['sam'].pk}/").json()
    assert row["metric"]["code"] == "revenue"
    assert row["metric"]["display_name"] == "Revenue"
    assert row["period"] == {
        "id": world.year.pk,
        "label": "FY2026",
        "kind": "year",
        "number": 1,
        "fiscal_year": world.fy.pk,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
    }
    assert row["owner_type"] == "person"
    assert row["unit"] is None
    assert row["person"]["username"] == "sam"
    assert row["team"]["code"] == "t-east-1"
    assert row["value"] == "100.00"
    assert row["status"] == "published"
    assert row["allocation_status"] == "open"
    assert row["acknowledged_at"] is None
    unit_row = api_as("department").get(f"/api/v1/targets/{world.t['team1'].pk}/").json()
    assert unit_row["owner_type"] == "unit"
    assert unit_row["unit"]["code"] == "t-east-1" and unit_row["person"] is None


def test_target_filters(api_as, world, org):
    client = api_as("department")
    base = "/api/v1/targets/?page_size=100&"
    assert ids(client.get(base + f"metric={world.customers.pk}")) == keys(world, "team1_customers")
    assert ids(client.get(base + f"period={world.q1.pk}")) == keys(world, "sam_q1")
    assert ids(client.get(base + "kind=quarter")) == keys(world, "sam_q1")
    assert len(ids(client.get(base + f"fiscal_year={world.fy.pk}"))) == len(world.t)
    assert ids(client.get(base + f"unit={org.team.pk}")) == keys(world, "team1", "team1_customers")
    assert ids(client.get(base + f"person={org.salesperson.pk}")) == keys(world, "sam", "sam_q1")
    assert ids(client.get(base + f"team={org.team.pk}")) == keys(world, "sam", "tina", "sam_q1")
    assert ids(client.get(base + f"status=published&unit={org.other_team.pk}")) == keys(
        world, "south"
    )
    assert client.get(base + "kind=decade").status_code == 400


def test_filters_never_widen_what_a_person_sees(api_as, world, org):
    client = api_as("salesperson")
    assert ids(client.get(f"/api/v1/targets/?person={org.teammate.pk}")) == set()
    assert ids(client.get(f"/api/v1/targets/?team={org.team.pk}")) == keys(world, "sam")


# --- targets: setting a draft value -----------------------------------------------------------


def post_target(client, world, value, **owner):
    body = {"metric": world.revenue.pk, "period": world.year.pk, "value": value, **owner}
    return client.post("/api/v1/targets/", body, format="json")


def test_the_department_sets_a_new_target_then_changes_it(api_as, world, org):
    client = api_as("department")
    created = post_target(client, world, "600.5", unit=org.east.pk)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["value"] == "600.50" and body["status"] == "draft"
    assert body["unit"]["code"] == "east"
    again = post_target(client, world, 650, unit=org.east.pk)
    assert again.status_code == 200
    assert again.json()["id"] == body["id"] and again.json()["value"] == "650.00"
    target = Target.objects.get(pk=body["id"])
    assert target.history.first().history_user == org.department


def test_a_supervisor_sets_a_target_for_a_person_of_their_team(api_as, world, org):
    body = {"metric": world.customers.pk, "period": world.q1.pk, "person": org.teammate.pk}
    response = api_as("supervisor").post("/api/v1/targets/", {**body, "value": 2}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["team"]["code"] == "t-east-1"
    assert response.json()["value"] == "2.00"


def test_a_supervisor_changes_a_draft_of_their_team(api_as, world):
    client = api_as("supervisor")
    response = client.patch(
        f"/api/v1/targets/{world.t['sam_q1'].pk}/", {"value": "30"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["value"] == "30.00"
    assert response.json()["basis"]


@pytest.mark.parametrize(
    ("persona", "owner", "status"),
    [
        # outside a supervisor's subtree the owner is hidden: 404, like a missing id
        ("supervisor", ("person", "other_salesperson"), 404),
        ("supervisor", ("person", "east2_person"), 404),
        ("supervisor", ("unit", "south"), 404),
        ("other_supervisor", ("person", "salesperson"), 404),
        ("salesperson", ("person", "teammate"), 404),
        # visible but not theirs to set: 403
        ("supervisor", ("unit", "team"), 403),
        ("supervisor", ("person", "supervisor"), 403),  # not their own target
        ("salesperson", ("person", "salesperson"), 403),
        ("salesperson", ("unit", "team"), 403),
        ("hr", ("person", "salesperson"), 403),
        ("hr", ("unit", "company"), 403),
    ],
)
def test_setting_a_target_one_may_not_set(api_as, world, org, persona, owner, status):
    field, name = owner
    before = snapshot()
    response = post_target(api_as(persona), world, "10", **{field: getattr(org, name).pk})
    assert response.status_code == status, response.content
    assert snapshot() == before


def test_setting_a_target_for_a_missing_owner_is_404(api_as, world):
    assert post_target(api_as("department"), world, "10", person=99999).status_code == 404


@pytest.mark.parametrize(
    ("persona", "target", "status"),
    [
        ("other_supervisor", "sam_q1", 404),
        ("teammate", "sam_q1", 404),
        ("hr", "sam_q1", 404),
        ("salesperson", "sam", 403),  # own published target: not theirs to change
        ("supervisor", "team1", 403),  # the team's own target is the department's
    ],
)
def test_changing_a_target_one_may_not_change(api_as, world, persona, target, status):
    before = snapshot()
    response = api_as(persona).patch(
        f"/api/v1/targets/{world.t[target].pk}/", {"value": "1"}, format="json"
    )
    assert response.status_code == status
    assert snapshot() == before


def test_put_and_delete_of_a_target_are_not_offered(api_as, world):
    url = f"/api/v1/targets/{world.t['team1'].pk}/"
    client = api_as("department")
    assert client.put(url, {"value": "1"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("-5", "A target cannot be negative."),
        ("10.123", "Revenue has at most 2 decimals."),
        ("1e20", "is too large"),
        ("abc", None),  # not a number: the serializer's field error
    ],
)
def test_a_bad_value_is_refused_and_nothing_is_written(api_as, world, org, value, words):
    before = snapshot()
    response = post_target(api_as("department"), world, value, unit=org.east.pk)
    assert response.status_code == 400
    if words:
        assert words in response.json()["detail"]
    else:
        assert "value" in field_errors(response)
    patch = api_as("department").patch(
        f"/api/v1/targets/{world.t['team1'].pk}/", {"value": value}, format="json"
    )
    assert patch.status_code == 400
    assert snapshot() == before


def test_a_count_metric_takes_whole_numbers_only(api_as, world):
    response = api_as("department").patch(
        f"/api/v1/targets/{world.t['team1_customers'].pk}/", {"value": "9.5"}, format="json"
    )
    refused(response, "New customers is counted in whole numbers.")
    assert Target.objects.get(pk=world.t["team1_customers"].pk).value == 9


def test_a_target_in_a_closed_period_is_refused(api_as, world, org):
    Period.objects.filter(pk=world.year.pk).update(status=Period.Status.CLOSED)
    before = snapshot()
    response = post_target(api_as("department"), world, "5", unit=org.east.pk)
    refused(response, "FY2026 is closed: its targets cannot change.")
    patch = api_as("supervisor").patch(
        f"/api/v1/targets/{world.t['sam'].pk}/", {"value": "5"}, format="json"
    )
    assert patch.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["department", "supervisor"])
def test_a_published_target_changes_only_by_an_adjustment(api_as, world, org, persona):
    before = snapshot()
    patch = api_as(persona).patch(
        f"/api/v1/targets/{world.t['tina'].pk}/", {"value": "90"}, format="json"
    )
    refused(patch, "This target is published: request an adjustment to change it.")
    post = post_target(api_as(persona), world, "90", person=org.teammate.pk)
    refused(post, "request an adjustment")
    assert snapshot() == before


def test_a_target_has_one_owner(api_as, world, org):
    response = post_target(api_as("department"), world, "5", unit=org.east.pk, person=org.hr.pk)
    assert response.status_code == 400
    assert "unit" in field_errors(response)
    assert post_target(api_as("department"), world, "5").status_code == 400


# --- targets: acknowledgement ------------------------------------------------------------------


def test_a_salesperson_acknowledges_their_published_target_once(api_as, world, org):
    client = api_as("salesperson")
    url = f"/api/v1/targets/{world.t['sam'].pk}/acknowledge/"
    response = client.post(url)
    assert response.status_code == 200, response.content
    assert response.json()["acknowledged_at"] is not None
    assert Target.objects.get(pk=world.t["sam"].pk).acknowledged_by == org.salesperson
    refused(client.post(url), "already acknowledged")


@pytest.mark.parametrize(
    ("persona", "status"),
    [("teammate", 404), ("other_supervisor", 404), ("hr", 404), ("supervisor", 403)],
)
def test_only_the_owner_acknowledges(api_as, world, persona, status):
    response = api_as(persona).post(f"/api/v1/targets/{world.t['sam'].pk}/acknowledge/")
    assert response.status_code == status
    assert Target.objects.get(pk=world.t["sam"].pk).acknowledged_at is None


def test_the_department_cannot_acknowledge_for_someone(api_as, world):
    response = api_as("department").post(f"/api/v1/targets/{world.t['sam'].pk}/acknowledge/")
    assert response.status_code == 403


def test_a_draft_cannot_be_acknowledged(api_as, world):
    response = api_as("supervisor").post(f"/api/v1/targets/{world.t['team1'].pk}/acknowledge/")
    refused(response, "Only a published target can be acknowledged.")


def test_a_supervisor_acknowledges_their_units_published_target(api_as, world):
    response = api_as("other_supervisor").post(
        f"/api/v1/targets/{world.t['south'].pk}/acknowledge/"
    )
    assert response.status_code == 200
    assert response.json()["acknowledged_at"]


# --- targets: cascade ---------------------------------------------------------------------------


def cascade(client, target, **body):
    return client.post(f"/api/v1/targets/{target.pk}/cascade/", body, format="json")


def test_a_preview_of_an_org_cascade_writes_nothing(api_as, world, org):
    before = snapshot()
    response = cascade(api_as("department"), world.t["team1_customers"], mode="org", preview=True)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["preview"] is True and body["count"] == 3
    rows = {r["person"]["username"]: r for r in body["rows"]}
    assert {u: r["value"] for u, r in rows.items()} == {
        "sam": "3.00",
        "sue": "3.00",
        "tina": "3.00",
    }
    assert rows["sam"]["current"] is None and rows["sam"]["published"] is False
    assert rows["sam"]["team"]["code"] == "t-east-1" and rows["sam"]["owner_type"] == "person"
    assert snapshot() == before


def test_an_org_cascade_writes_the_previewed_rows(api_as, world, org):
    response = cascade(
        api_as("department"),
        world.t["team1_customers"],
        mode="org",
        method="weights",
        weights=["2", "1", "1"],
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"preview": False, "count": 3, "rows": []}
    written = dict(
        Target.objects.filter(metric=world.customers, person__isnull=False).values_list(
            "person__username", "value"
        )
    )
    assert written == {"sam": Decimal("5"), "sue": Decimal("2"), "tina": Decimal("2")}
    assert Target.objects.get(pk=world.t["team1_customers"].pk).allocation_method == "weights"


def test_a_time_cascade_preview_then_write(api_as, world):
    profile = SeasonalityProfile.objects.create(name="Spring", method="custom", weights=SPRING)
    client = api_as("department")
    before = snapshot()
    preview = cascade(client, world.t["company"], mode="time", profile=profile.pk, preview=True)
    assert preview.status_code == 200, preview.content
    rows = preview.json()["rows"]
    assert len(rows) == 16
    months = [r["value"] for r in rows if r["period"]["kind"] == "month"]
    assert months[:3] == ["50.00", "50.00", "100.00"]
    assert snapshot() == before
    written = cascade(client, world.t["company"], mode="time", profile=profile.pk)
    assert written.json()["count"] == 16
    assert Target.objects.filter(unit=world.t["company"].unit).count() == 17


def test_a_full_cascade_preview_writes_nothing(api_as, world):
    before = snapshot()
    response = cascade(api_as("department"), world.t["team1_customers"], mode="down", preview=True)
    assert response.status_code == 200, response.content
    # three people, then the team and each person over 4 quarters and 12 months
    assert response.json()["count"] == 3 + 4 * 16
    assert snapshot() == before


def test_a_full_cascade_takes_a_method_and_weights_as_the_workspace_does(api_as, world):
    """The `down` mode takes the first level's method and weights (it refused them),
    previews them and writes them; each weight is stored with the target it gave."""
    client = api_as("department")
    body = {"mode": "down", "method": "weights", "weights": ["2", "1", "1"]}
    preview = cascade(client, world.t["team1_customers"], preview=True, **body)
    assert preview.status_code == 200, preview.content
    years = {
        r["person"]["username"]: r["value"]
        for r in preview.json()["rows"]
        if r["person"] and r["period"]["kind"] == "year"
    }
    assert years == {"sam": "5.00", "sue": "2.00", "tina": "2.00"}
    written = cascade(client, world.t["team1_customers"], **body)
    assert written.status_code == 200, written.content
    stored = Target.objects.filter(
        metric=world.customers, period=world.year, person__isnull=False
    ).values_list("person__username", "value", "weight")
    assert {u: (v, w) for u, v, w in stored} == {
        "sam": (Decimal(5), Decimal(2)),
        "sue": (Decimal(2), Decimal(1)),
        "tina": (Decimal(2), Decimal(1)),
    }
    assert Target.objects.get(pk=world.t["team1_customers"].pk).allocation_method == "weights"
    # Again without weights: the stored ones are kept, nothing changes.
    again = cascade(client, world.t["team1_customers"], mode="down", method="weights")
    assert again.json()["count"] == 0


def test_a_full_cascade_refuses_weights_that_do_not_fit(api_as, world):
    before = snapshot()
    response = cascade(
        api_as("department"),
        world.t["team1_customers"],
        mode="down",
        method="weights",
        weights=["1", "1"],
    )
    refused(response, "one weight for every")
    assert snapshot() == before


def test_a_cascade_over_published_targets_is_refused(api_as, world):
    client = api_as("department")
    preview = cascade(client, world.t["team1"], mode="org", preview=True)
    published = {r["person"]["username"] for r in preview.json()["rows"] if r["published"]}
    assert published == {"sam", "tina"}
    before = snapshot()
    refused(cascade(client, world.t["team1"], mode="org"), "already has a published")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"mode": "org", "method": "weights", "weights": ["1", "1"]}, "one weight for every"),
        ({"mode": "org", "method": "manual"}, "typed in"),
    ],
)
def test_a_cascade_with_bad_weights_is_refused(api_as, world, body, words):
    before = snapshot()
    refused(cascade(api_as("department"), world.t["team1_customers"], **body), words)
    assert snapshot() == before


def test_only_an_annual_target_is_split_over_time(api_as, world):
    response = cascade(api_as("department"), world.t["sam_q1"], mode="time", preview=True)
    refused(response, "Only an annual target is split into quarters and months.")


def test_cascade_options_must_fit_the_mode(api_as, world):
    client = api_as("department")
    assert cascade(client, world.t["company"], mode="time", method="equal").status_code == 400
    assert cascade(client, world.t["company"], mode="time", weights=["1"]).status_code == 400
    assert cascade(client, world.t["company"], mode="sideways").status_code == 400


@pytest.mark.parametrize(
    ("persona", "status"),
    [("supervisor", 403), ("other_supervisor", 404), ("salesperson", 404), ("hr", 404)],
)
def test_only_the_department_cascades(api_as, world, persona, status):
    before = snapshot()
    response = cascade(api_as(persona), world.t["team1_customers"], mode="org", preview=True)
    assert response.status_code == status
    assert snapshot() == before


# --- targets: bottom-up allocation ---------------------------------------------------------------


def submit(client, target, comment=""):
    return client.post(
        f"/api/v1/targets/{target.pk}/submit-allocation/", {"comment": comment}, format="json"
    )


def test_an_allocation_outside_the_tolerance_is_refused_at_submit(api_as, world):
    before = snapshot()
    response = submit(api_as("supervisor"), world.t["team1"])
    refused(response, "East Team 1: the targets below add up to 200.00")
    assert "between 100 % and 110 %" in response.json()["detail"]
    assert snapshot() == before


def test_a_supervisor_submits_and_the_department_approves(
    api_as, world, org, django_capture_on_commit_callbacks
):
    sup = api_as("supervisor")
    assert (
        post_target(api_as("department"), world, "100", person=org.supervisor.pk).status_code == 201
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(sup, world.t["team1"], "all in")
    assert response.status_code == 200, response.content
    assert response.json()["allocation_status"] == "submitted"
    assert Notification.objects.filter(
        recipient=org.department, kind="allocation_submitted"
    ).exists()
    refused(submit(sup, world.t["team1"]), "already submitted")

    dept = api_as("department")
    url = f"/api/v1/targets/{world.t['team1'].pk}/decide-allocation/"
    refused(
        dept.post(url, {"approve": False}, format="json"), "Say why the allocation is returned."
    )
    assert api_as("supervisor").post(url, {"approve": True}, format="json").status_code == 403
    decided = dept.post(url, {"approve": True}, format="json")
    assert decided.status_code == 200
    assert decided.json()["allocation_status"] == "approved"


@pytest.mark.parametrize(
    ("persona", "status"),
    [("department", 403), ("other_supervisor", 404), ("salesperson", 404), ("hr", 404)],
)
def test_only_a_supervisor_of_the_team_submits(api_as, world, persona, status):
    assert submit(api_as(persona), world.t["team1"]).status_code == status
    assert Target.objects.get(pk=world.t["team1"].pk).allocation_status == "open"


def test_an_allocation_not_submitted_cannot_be_decided(api_as, world):
    response = api_as("department").post(
        f"/api/v1/targets/{world.t['team1'].pk}/decide-allocation/", {"approve": True}
    )
    refused(response, "Only a submitted allocation can be approved or returned.")


# --- targets: publication -------------------------------------------------------------------------


def publish(client, world, metric):
    return client.post(
        "/api/v1/targets/publish/",
        {"metric": metric.pk, "fiscal_year": world.fy.pk},
        format="json",
    )


def test_publication_refused_with_every_problem_and_nothing_published(api_as, world):
    client = api_as("department")
    problems = client.get(
        f"/api/v1/targets/publication-problems/?metric={world.revenue.pk}&fiscal_year={world.fy.pk}"
    )
    assert problems.status_code == 200
    assert problems.json()["publishable"] is False
    assert any("East Team 1" in p and "100 %" in p for p in problems.json()["problems"])
    before = snapshot()
    response = publish(client, world, world.revenue)
    assert response.status_code == 400
    assert "East Team 1" in response.json()["detail"]
    assert response.json()["problems"] == problems.json()["problems"]
    assert snapshot() == before


def test_publication_of_a_closed_period_is_refused(api_as, world):
    Period.objects.filter(pk=world.year.pk).update(status=Period.Status.CLOSED)
    response = publish(api_as("department"), world, world.customers)
    assert response.status_code == 400
    assert "FY2026 is closed." in response.json()["problems"]


def test_publication_publishes_and_notifies_the_owners(
    api_as, world, org, django_capture_on_commit_callbacks
):
    client = api_as("department")
    assert cascade(client, world.t["team1_customers"], mode="org").status_code == 200
    check = client.get(
        "/api/v1/targets/publication-problems/",
        {"metric": world.customers.pk, "fiscal_year": world.fy.pk},
    )
    assert check.json() == {"publishable": True, "problems": []}
    with django_capture_on_commit_callbacks(execute=True):
        response = publish(client, world, world.customers)
    assert response.status_code == 200, response.content
    assert response.json() == {"count": 4}
    assert set(Target.objects.filter(metric=world.customers).values_list("status", flat=True)) == {
        "published"
    }
    # sam now sees and acknowledges it
    sam = api_as("salesperson")
    rows = results(sam.get(f"/api/v1/targets/?metric={world.customers.pk}"))
    assert [r["value"] for r in rows] == ["3.00"]
    texts = [n["text"] for n in results(sam.get("/api/v1/notifications/"))]
    assert texts == ["Your New customers target for FY2026 is published: 3."]
    assert sam.post(f"/api/v1/targets/{rows[0]['id']}/acknowledge/").status_code == 200
    # nothing left to publish
    refused(publish(client, world, world.customers), "no draft")


@pytest.mark.parametrize("persona", ["supervisor", "salesperson", "hr"])
def test_only_the_department_publishes(api_as, world, persona):
    before = snapshot()
    assert publish(api_as(persona), world, world.customers).status_code == 403
    problems = api_as(persona).get(
        "/api/v1/targets/publication-problems/",
        {"metric": world.customers.pk, "fiscal_year": world.fy.pk},
    )
    assert problems.status_code == 403
    assert snapshot() == before


def test_publication_needs_a_metric_and_a_fiscal_year(api_as, world):
    client = api_as("department")
    assert client.get("/api/v1/targets/publication-problems/").status_code == 400
    response = client.post("/api/v1/targets/publish/", {"metric": 999}, format="json")
    assert response.status_code == 400
    assert set(field_errors(response)) == {"metric", "fiscal_year"}


# --- adjustments ------------------------------------------------------------------------------


def request_adjustment(client, world, target, **overrides):
    body = {
        "target": target.pk,
        "new_value": "80",
        "kind": "quota_relief",
        "reason": "Long leave from July",
        "effective_period": period_of(world.fy, "month", 7).pk,
        **overrides,
    }
    return client.post("/api/v1/adjustments/", body, format="json")


@pytest.mark.parametrize("persona", ["department", "supervisor"])
def test_an_adjustment_is_requested_for_a_published_target(
    api_as, world, org, persona, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = request_adjustment(api_as(persona), world, world.t["sam"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["old_value"] == "100.00" and body["new_value"] == "80.00"
    assert body["target"]["id"] == world.t["sam"].pk
    assert body["effective_period"]["kind"] == "month"
    assert body["requested_by"]["username"] == getattr(org, persona).username
    assert Notification.objects.filter(
        recipient=org.department, kind="adjustment_requested"
    ).exists()
    assert Target.objects.get(pk=world.t["sam"].pk).value == 100  # until approved


@pytest.mark.parametrize(
    ("persona", "status"),
    [("salesperson", 403), ("teammate", 404), ("other_supervisor", 404), ("hr", 404)],
)
def test_an_adjustment_requested_by_someone_who_may_not(api_as, world, persona, status):
    response = request_adjustment(api_as(persona), world, world.t["sam"])
    assert response.status_code == status
    assert not Adjustment.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"reason": ""}, "An adjustment needs a reason."),
        ({"reason": "   "}, "An adjustment needs a reason."),
        ({"new_value": "-1"}, "A target cannot be negative."),
        ({"new_value": "80.001"}, "at most 2 decimals"),
        ({"new_value": "100"}, "the same as the current one"),
    ],
)
def test_a_bad_adjustment_is_refused_and_nothing_is_written(api_as, world, overrides, words):
    before = snapshot()
    refused(request_adjustment(api_as("department"), world, world.t["sam"], **overrides), words)
    assert snapshot() == before


def test_an_adjustment_effective_outside_the_target_or_in_a_closed_month_is_refused(api_as, world):
    client = api_as("department")
    other_year = org_services.fiscal_year_create(start_year=2027, start_month=1)
    outside = request_adjustment(
        client, world, world.t["sam"], effective_period=period_of(other_year, "month", 1).pk
    )
    refused(outside, "is outside the target's period")
    july = period_of(world.fy, "month", 7)
    Period.objects.filter(pk=july.pk).update(status=Period.Status.CLOSED)
    before = snapshot()
    response = request_adjustment(client, world, world.t["sam"])
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and body["field"] == "effective_period"
    assert field_errors(response) == {
        "effective_period": [
            "July 2026 is closed: its target cannot change, so an adjustment cannot take "
            "effect from July 2026. Choose August 2026 or a later period."
        ],
    }
    assert body["first_allowed_period"] == period_of(world.fy, "month", 8).pk
    assert snapshot() == before


@pytest.mark.parametrize(
    ("effective", "closed", "message"),
    [
        # the reported case: the year (or its first quarter) starts in a closed January
        (("year", 1), [1], "January 2026 is closed"),
        (("quarter", 1), [1], "January 2026 is closed"),
        # a quarter is accepted only when every month of it is open
        (("quarter", 1), [1, 2], "February 2026 is closed"),
        (("month", 3), [3], "March 2026 is closed"),
    ],
)
def test_an_adjustment_effective_before_the_first_open_month_names_the_field(
    api_as, world, effective, closed, message
):
    months = [period_of(world.fy, "month", n) for n in closed]
    Period.objects.filter(pk__in=[m.pk for m in months]).update(status=Period.Status.CLOSED)
    first = period_of(world.fy, "month", max(closed) + 1)
    before = snapshot()
    response = request_adjustment(
        api_as("supervisor"),
        world,
        world.t["sam"],
        effective_period=period_of(world.fy, *effective).pk,
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"detail", "code", "field", "errors", "first_allowed_period"}
    assert list(field_errors(response)) == ["effective_period"]
    assert body["detail"].startswith(message)
    assert f"Choose {first.label} or a later period." in body["detail"]
    assert body["first_allowed_period"] == first.pk
    assert snapshot() == before
    # from the first open month on, it is accepted
    accepted = request_adjustment(
        api_as("supervisor"), world, world.t["sam"], effective_period=first.pk
    )
    assert accepted.status_code == 201, accepted.content


def test_a_month_that_is_closing_counts_as_closed(api_as, world):
    june = period_of(world.fy, "month", 6)
    Period.objects.filter(pk=june.pk).update(status=Period.Status.CLOSING)
    response = request_adjustment(
        api_as("department"), world, world.t["sam"], effective_period=world.year.pk
    )
    assert response.status_code == 400
    assert field_errors(response)["effective_period"][0].startswith("June 2026 is closing")
    assert response.json()["first_allowed_period"] == period_of(world.fy, "month", 7).pk


def test_nothing_is_offered_when_the_last_month_is_closed(api_as, world):
    december = period_of(world.fy, "month", 12)
    Period.objects.filter(pk=december.pk).update(status=Period.Status.CLOSED)
    response = request_adjustment(
        api_as("department"), world, world.t["sam"], effective_period=december.pk
    )
    assert response.status_code == 400
    assert field_errors(response) == {
        "effective_period": [
            "December 2026, the last month of FY2026, is closed: this target can no longer "
            "be adjusted."
        ],
    }
    assert response.json()["first_allowed_period"] is None
    assert not Adjustment.objects.exists()


def test_a_draft_is_changed_directly_not_by_an_adjustment(api_as, world):
    response = request_adjustment(api_as("department"), world, world.t["team1"])
    refused(response, "A draft target is changed directly, not by an adjustment.")


def test_a_missing_reason_field_names_the_field(api_as, world):
    client = api_as("department")
    body = {"target": world.t["sam"].pk, "new_value": "80", "kind": "other"}
    response = client.post("/api/v1/adjustments/", body, format="json")
    assert response.status_code == 400
    assert {"reason", "effective_period"} <= set(field_errors(response))


@pytest.fixture
def pending(world, org):
    return services.adjustment_request(
        target=world.t["sam"],
        new_value="80",
        kind="quota_relief",
        reason="Long leave",
        effective_period=period_of(world.fy, "month", 7),
        acting_user=org.supervisor,
    )


# Who sees something of sam's (an adjustment of his target, his plan): sam, his
# supervisor and the department.
SAMS_VISIBLE = {
    "salesperson": True,
    "teammate": False,
    "supervisor": True,
    "other_supervisor": False,
    "department": True,
    "hr": False,
}


def assert_sams_visible(client, persona, path, pk):
    """Listed at `path` and shown at its own address exactly to those in SAMS_VISIBLE."""
    visible = SAMS_VISIBLE[persona]
    assert ids(client.get(path)) == ({pk} if visible else set())
    assert client.get(f"{path}{pk}/").status_code == (200 if visible else 404)


@pytest.mark.parametrize("persona", list(SAMS_VISIBLE))
def test_adjustments_visible_per_persona(api_as, pending, persona):
    assert_sams_visible(api_as(persona), persona, "/api/v1/adjustments/", pending.pk)


def test_the_department_approves_an_adjustment(
    api_as, world, org, pending, django_capture_on_commit_callbacks
):
    url = f"/api/v1/adjustments/{pending.pk}/decide/"
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as("department").post(url, {"approve": True, "note": "ok"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert response.json()["decided_by"]["username"] == "dora"
    target = Target.objects.get(pk=world.t["sam"].pk)
    assert target.value == 80
    assert target.history.count() >= 2  # the earlier value is kept
    assert Notification.objects.filter(recipient=org.salesperson, kind="adjustment_approved")
    refused(api_as("department").post(url, {"approve": True}, format="json"), "already decided")


def test_approving_after_the_effective_month_closed_is_refused_and_nothing_changes(
    api_as, world, pending
):
    july = period_of(world.fy, "month", 7)
    Period.objects.filter(pk=july.pk).update(status=Period.Status.CLOSED)
    before = snapshot()
    response = api_as("department").post(
        f"/api/v1/adjustments/{pending.pk}/decide/", {"approve": True}, format="json"
    )
    refused(
        response,
        "July 2026 is now closed: its target cannot change, so this adjustment can no longer "
        "take effect from July 2026. Reject it with a note; a new request can take effect "
        "from August 2026 at the earliest.",
    )
    assert snapshot() == before
    assert Adjustment.objects.get(pk=pending.pk).status == "pending"


def test_rejecting_an_adjustment_needs_a_note(api_as, world, pending):
    before = snapshot()
    response = api_as("department").post(
        f"/api/v1/adjustments/{pending.pk}/decide/", {"approve": False}, format="json"
    )
    refused(response, "Say why the adjustment is not approved.")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("persona", "status"),
    [("supervisor", 403), ("salesperson", 403), ("other_supervisor", 404), ("hr", 404)],
)
def test_only_the_department_decides_adjustments(api_as, pending, persona, status):
    response = api_as(persona).post(
        f"/api/v1/adjustments/{pending.pk}/decide/", {"approve": True}, format="json"
    )
    assert response.status_code == status
    assert Adjustment.objects.get(pk=pending.pk).status == "pending"


def test_adjustment_filters(api_as, world, pending):
    client = api_as("department")
    assert ids(client.get("/api/v1/adjustments/?status=pending")) == {pending.pk}
    assert ids(client.get("/api/v1/adjustments/?status=approved")) == set()
    assert ids(client.get(f"/api/v1/adjustments/?target={world.t['tina'].pk}")) == set()


# --- personal sales plans ----------------------------------------------------------------------


def write_plan(client, world, **overrides):
    january = period_of(world.fy, "month", 1)
    body = {
        "period": world.year.pk,
        "key_accounts": "Acme Foods, Beta Retail",
        "actions": "Two visits a month",
        "pipeline": {str(january.pk): "1000"},
        "resources": "A demo kit",
        **overrides,
    }
    return client.post("/api/v1/plans/", body, format="json")


def test_a_salesperson_writes_submits_and_their_supervisor_approves(
    api_as, world, org, django_capture_on_commit_callbacks
):
    sam = api_as("salesperson")
    written = write_plan(sam, world)
    assert written.status_code == 200, written.content
    plan = written.json()
    assert plan["status"] == "draft" and plan["person"]["username"] == "sam"
    assert plan["versions"][0]["number"] == 1
    assert list(plan["versions"][0]["pipeline"].values()) == ["1000.00"]
    with django_capture_on_commit_callbacks(execute=True):
        submitted = sam.post(f"/api/v1/plans/{plan['id']}/submit/")
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    assert Notification.objects.filter(recipient=org.supervisor, kind="plan_submitted").exists()
    reviewed = api_as("supervisor").post(
        f"/api/v1/plans/{plan['id']}/review/", {"approve": True}, format="json"
    )
    assert reviewed.status_code == 200, reviewed.content
    assert reviewed.json()["status"] == "approved"
    assert reviewed.json()["versions"][0]["decision"] == "approved"
    assert reviewed.json()["versions"][0]["reviewed_by"]["username"] == "sue"


def test_a_returned_plan_keeps_its_earlier_version(api_as, world):
    sam = api_as("salesperson")
    plan_id = write_plan(sam, world).json()["id"]
    sam.post(f"/api/v1/plans/{plan_id}/submit/")
    sup = api_as("supervisor")
    url = f"/api/v1/plans/{plan_id}/review/"
    refused(sup.post(url, {"approve": False}, format="json"), "Say what to change")
    returned = sup.post(url, {"approve": False, "comment": "More accounts"}, format="json")
    assert returned.json()["status"] == "returned"
    again = write_plan(sam, world, key_accounts="Acme, Beta, Gamma")
    versions = again.json()["versions"]
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[1]["review_comment"] == "More accounts"
    assert versions[1]["key_accounts"] == "Acme Foods, Beta Retail"


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"key_accounts": " "}, "A plan names its key accounts and its actions."),
        ({"pipeline": {"999999": "5"}}, "a month outside the plan's period"),
        ("negative", "cannot be negative"),
    ],
)
def test_a_bad_plan_is_refused_and_nothing_is_written(api_as, world, overrides, words):
    if overrides == "negative":
        overrides = {"pipeline": {str(period_of(world.fy, "month", 2).pk): "-5"}}
    before = snapshot()
    refused(write_plan(api_as("salesperson"), world, **overrides), words)
    assert snapshot() == before


@pytest.fixture
def sams_plan(world, org):
    plan = plan_services.plan_save(
        person=org.salesperson,
        period=world.year,
        key_accounts="Acme",
        actions="Visits",
        pipeline={},
        acting_user=org.salesperson,
    )
    return plan_services.plan_submit(plan=plan, acting_user=org.salesperson)


@pytest.mark.parametrize("persona", list(SAMS_VISIBLE))
def test_plans_visible_per_persona(api_as, sams_plan, persona):
    assert_sams_visible(api_as(persona), persona, "/api/v1/plans/", sams_plan.pk)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("salesperson", 403), ("teammate", 404), ("other_supervisor", 404), ("hr", 404)],
)
def test_who_may_not_review_a_plan(api_as, sams_plan, persona, status):
    response = api_as(persona).post(
        f"/api/v1/plans/{sams_plan.pk}/review/", {"approve": True}, format="json"
    )
    assert response.status_code == status
    assert SalesPlan.objects.get(pk=sams_plan.pk).status == "submitted"


def test_the_department_may_review_a_plan(api_as, sams_plan):
    response = api_as("department").post(
        f"/api/v1/plans/{sams_plan.pk}/review/", {"approve": True}, format="json"
    )
    assert response.status_code == 200


def test_an_approved_plan_cannot_be_reviewed_again(api_as, sams_plan):
    url = f"/api/v1/plans/{sams_plan.pk}/review/"
    assert api_as("supervisor").post(url, {"approve": True}, format="json").status_code == 200
    refused(api_as("supervisor").post(url, {"approve": True}, format="json"), "Only a submitted")


@pytest.mark.parametrize(("persona", "status"), [("supervisor", 403), ("teammate", 404)])
def test_only_the_author_submits_a_plan(api_as, world, org, persona, status):
    plan = plan_services.plan_save(
        person=org.salesperson,
        period=world.year,
        key_accounts="Acme",
        actions="Visits",
        pipeline={},
        acting_user=org.salesperson,
    )
    assert api_as(persona).post(f"/api/v1/plans/{plan.pk}/submit/").status_code == status
    assert SalesPlan.objects.get(pk=plan.pk).status == "draft"


def test_a_submitted_plan_cannot_be_submitted_or_rewritten(api_as, world, sams_plan):
    sam = api_as("salesperson")
    refused(sam.post(f"/api/v1/plans/{sams_plan.pk}/submit/"), "Only a draft plan")
    refused(write_plan(sam, world), "cannot be edited now")


# --- schema -------------------------------------------------------------------------------------


def test_schema_lists_every_targets_endpoint(docs_client):
    paths = docs_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    expected = {
        "/api/v1/metrics/": {"get", "post"},
        "/api/v1/metrics/{id}/": {"get", "patch"},
        "/api/v1/seasonality-profiles/": {"get", "post"},
        "/api/v1/seasonality-profiles/{id}/": {"get", "patch"},
        "/api/v1/targets/": {"get", "post"},
        "/api/v1/targets/{id}/": {"get", "patch"},
        "/api/v1/targets/{id}/acknowledge/": {"post"},
        "/api/v1/targets/{id}/cascade/": {"post"},
        "/api/v1/targets/{id}/submit-allocation/": {"post"},
        "/api/v1/targets/{id}/decide-allocation/": {"post"},
        "/api/v1/targets/publish/": {"post"},
        "/api/v1/targets/publication-problems/": {"get"},
        "/api/v1/adjustments/": {"get", "post"},
        "/api/v1/adjustments/{id}/": {"get"},
        "/api/v1/adjustments/{id}/decide/": {"post"},
        "/api/v1/plans/": {"get", "post"},
        "/api/v1/plans/{id}/": {"get"},
        "/api/v1/plans/{id}/submit/": {"post"},
        "/api/v1/plans/{id}/review/": {"post"},
        "/api/v1/notifications/": {"get"},
        "/api/v1/notifications/mark-read/": {"post"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) - {"parameters"} == methods, path
    target_params = {p["name"] for p in paths["/api/v1/targets/"]["get"]["parameters"]}
    assert target_params >= {
        "metric",
        "period",
        "fiscal_year",
        "kind",
        "unit",
        "person",
        "team",
        "status",
    }


def test_schema_validates_without_warnings(tmp_path, db):
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/targets/{id}/cascade/" in text
    assert "TargetStatusEnum" in text and "AdjustmentStatusEnum" in text
