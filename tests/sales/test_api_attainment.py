"""The attainment API (/api/v1/attainment/ and /api/v1/dashboards/...): the numbers,
who may ask for what per persona, bad input naming the parameter, and the schema."""

import pytest

from tests.api_errors import field_errors
from tests.conftest import by_persona
from tests.sales import test_attainment_selectors as base

world = base.world  # FY2026, today pinned to 14 February 2026
pinned_today = base.pinned_today
d = base.d

ATTAINMENT = "/api/v1/attainment/"
MINE = "/api/v1/dashboards/mine/"
TEAM = "/api/v1/dashboards/team/"
ORG = "/api/v1/dashboards/org/"


def person_url(person):
    return f"/api/v1/dashboards/person/{person.pk}/"


# --- the numbers ------------------------------------------------------------------------------


def test_attainment_gives_every_number_of_every_owner_and_metric(api_as, org, world):
    response = api_as("supervisor").get(
        ATTAINMENT,
        {"owner": [f"person:{org.salesperson.pk}", f"unit:{org.team.pk}"], "period": world.q1.pk},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["period"]["id"] == world.q1.pk and data["today"] == "2026-02-14"
    assert data["at_risk_pct"] == "90.0" and data["pace_method"] == "seasonality"
    assert [(r["owner_type"], r["metric"]["code"]) for r in data["rows"]] == [
        ("person", "revenue"),
        ("person", "customers"),
        ("unit", "revenue"),
        ("unit", "customers"),
    ]
    sam = data["rows"][0]
    assert sam["owner_name"] == org.salesperson.display_name
    assert {k: sam[k] for k in ("target", "actual", "expected", "variance", "pace_variance")} == {
        "target": "1000.00",
        "actual": "130.01",
        "expected": "200.00",
        "variance": "-869.99",
        "pace_variance": "-69.99",
    }
    assert sam["attainment_pct"] == "13.0" and sam["projection"] == "650.05"
    assert sam["projected_attainment_pct"] == "65.0" and sam["at_risk"] is True
    assert sam["pace_basis"] == "monthly_targets" and sam["pace_pct"] == "20.0"
    assert sam["elapsed_pct"] == "50.0" and sam["target_status"] == "published"
    assert [m["actual"] for m in sam["months"]] == ["100.00", "30.01", None]
    team = data["rows"][2]
    assert (team["actual"], team["target"], team["at_risk"]) == ("660.01", "2000.00", True)


def test_attainment_defaults_to_me_this_month_every_active_metric(api_as, org, world):
    data = api_as("salesperson").get(ATTAINMENT).json()
    assert data["period"]["id"] == world.feb.pk
    assert [(r["owner_id"], r["metric"]["code"]) for r in data["rows"]] == [
        (org.salesperson.pk, "revenue"),
        (org.salesperson.pk, "customers"),
    ]
    assert data["rows"][0]["target"] == "200.00"


def test_attainment_of_chosen_metrics_comma_separated(api_as, org, world):
    owners = f"person:{org.salesperson.pk},person:{org.teammate.pk}"
    data = api_as("department").get(ATTAINMENT, {"owner": owners, "metric": "customers"}).json()
    assert [(r["owner_id"], r["metric"]["code"]) for r in data["rows"]] == [
        (org.salesperson.pk, "customers"),
        (org.teammate.pk, "customers"),
    ]


def test_a_salesperson_does_not_get_their_draft_target(api_as, org, world):
    row = api_as("teammate").get(ATTAINMENT, {"period": world.q1.pk}).json()["rows"][0]
    assert (row["actual"], row["target"], row["target_status"]) == ("530.00", None, None)


# --- who may ask for what ----------------------------------------------------------------------

SELF = by_persona(200, hr=403, anonymous=401)
SAM = SELF | {"teammate": 404, "other_salesperson": 404, "other_supervisor": 404}
TEAM_1 = SELF | {
    "salesperson": 403,
    "teammate": 403,
    "other_salesperson": 403,
    "other_supervisor": 404,
}
LEADERS = SELF | {"salesperson": 403, "teammate": 403, "other_salesperson": 403}


@pytest.mark.parametrize("persona", list(SELF))
def test_my_attainment_and_dashboard_by_persona(api_as, world, persona):
    client = api_as(persona)
    assert client.get(ATTAINMENT).status_code == SELF[persona]
    assert client.get(MINE).status_code == SELF[persona]


@pytest.mark.parametrize("persona", list(SAM))
def test_sam_s_numbers_by_persona(api_as, org, world, persona):
    client = api_as(persona)
    assert (
        client.get(ATTAINMENT, {"owner": f"person:{org.salesperson.pk}"}).status_code
        == (SAM[persona])
    )
    assert client.get(person_url(org.salesperson)).status_code == SAM[persona]


@pytest.mark.parametrize("persona", list(TEAM_1))
def test_a_team_s_numbers_by_persona(api_as, org, world, persona):
    client = api_as(persona)
    assert client.get(ATTAINMENT, {"owner": f"unit:{org.team.pk}"}).status_code == (TEAM_1[persona])
    assert client.get(TEAM, {"unit": org.team.pk}).status_code == TEAM_1[persona]


@pytest.mark.parametrize("persona", list(LEADERS))
def test_the_team_and_org_dashboards_by_persona(api_as, world, persona):
    client = api_as(persona)
    assert client.get(TEAM).status_code == LEADERS[persona]
    assert client.get(ORG).status_code == LEADERS[persona]


def test_one_hidden_owner_hides_the_whole_answer(api_as, org, world):
    owners = [f"person:{org.salesperson.pk}", f"person:{org.other_salesperson.pk}"]
    assert api_as("supervisor").get(ATTAINMENT, {"owner": owners}).status_code == 404
    assert api_as("supervisor").get(ATTAINMENT, {"owner": "person:999999"}).status_code == 404


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"owner": "team:1"}, "owner"),
        ({"owner": "person:abc"}, "owner"),
        ({"period": 999999}, "period"),
        ({"period": "soon"}, "period"),
        ({"metric": "nope"}, "metric"),
    ],
)
def test_bad_input_names_the_parameter(api_as, world, params, field):
    response = api_as("department").get(ATTAINMENT, params)
    assert response.status_code == 400
    assert field in field_errors(response)


def test_an_unknown_metric_on_the_org_dashboard(api_as, world):
    response = api_as("department").get(ORG, {"metric": "nope"})
    assert response.status_code == 400 and "metric" in field_errors(response)


def test_without_a_fiscal_year_the_period_is_refused(api_as, org, db):
    response = api_as("salesperson").get(MINE)
    assert response.status_code == 400 and "period" in field_errors(response)


# --- the dashboards -------------------------------------------------------------------------------


def test_my_dashboard(api_as, org, world):
    data = api_as("salesperson").get(MINE, {"period": world.q1.pk}).json()
    assert data["person"]["id"] == org.salesperson.pk
    assert [c["metric"]["code"] for c in data["cards"]] == ["revenue", "customers"]
    assert len(data["cards"][0]["months"]) == 12
    assert data["followups_due"] == 0 and data["followups"] == []
    assert set(data["report"]) == {
        "period_start",
        "period_end",
        "report_id",
        "submitted_at",
        "previous_missing",
    }


def test_the_drill_down(api_as, org, world):
    data = api_as("supervisor").get(person_url(org.teammate), {"period": world.q1.pk}).json()
    card = data["cards"][0]
    assert (card["target"], card["target_status"], card["pace_basis"]) == (
        "900.00",
        "draft",
        "seasonality",
    )


def test_the_team_dashboard(api_as, org, world):
    data = api_as("supervisor").get(TEAM, {"period": world.q1.pk, "sort": "-revenue"}).json()
    assert data["unit"]["id"] == org.team.pk and data["sort"] == "-revenue"
    assert data["totals"][0]["actual"] == "660.01"
    assert [m["person"]["username"] for m in data["members"]] == ["tina", "sam", "sue"]
    assert [m["at_risk"] for m in data["members"]] == [False, True, False]
    assert data["at_risk_count"] == 1 and data["subunits"] == []
    region = api_as("department").get(TEAM, {"unit": org.east.pk, "period": world.q1.pk}).json()
    assert [s["unit"]["code"] for s in region["subunits"]] == ["t-east-1", "t-east-2"]


def test_the_org_dashboard(api_as, org, world):
    data = api_as("department").get(ORG, {"period": world.q1.pk}).json()
    assert [r["code"] for r in data["roots"]] == ["acme"]
    assert data["metric"]["code"] == "revenue"
    assert [r["unit"]["code"] for r in data["tree"]][:3] == ["acme", "east", "t-east-1"]
    assert data["tree"][0]["row"]["actual"] == "1699.01"
    assert [r["label"] for r in data["top_units"]] == ["South Team 1"]
    assert [r["label"] for r in data["bottom_units"]] == ["East Team 1"]
    assert [r["owner_id"] for r in data["top_people"]] == [org.teammate.pk, org.east2_person.pk]
    assert org.salesperson.pk in [r["owner_id"] for r in data["bottom_people"]]
    assert len(data["company"]) == 12 and data["company"][0]["actual"] == "140.00"
    supervisor = api_as("other_supervisor").get(ORG, {"period": world.q1.pk}).json()
    assert [r["unit"]["code"] for r in supervisor["tree"]] == ["t-south-1"]


def test_a_sale_through_the_service_shows_at_once(api_as, org, world):
    client = api_as("salesperson")
    before = client.get(MINE, {"period": world.q1.pk}).json()["cards"][0]["actual"]
    base.sams_sale(org, world, d(2, 13), "69.99")
    after = client.get(MINE, {"period": world.q1.pk}).json()["cards"][0]
    assert (before, after["actual"], after["pace_variance"]) == ("130.01", "200.00", "0.00")
    assert after["at_risk"] is False


# --- schema ---------------------------------------------------------------------------------------


def test_the_schema_lists_every_attainment_endpoint(docs_client):
    paths = docs_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    expected = {
        "/api/v1/attainment/",
        "/api/v1/dashboards/mine/",
        "/api/v1/dashboards/person/{person_id}/",
        "/api/v1/dashboards/team/",
        "/api/v1/dashboards/org/",
    }
    assert expected <= set(paths)
    assert all(set(paths[p]) == {"get"} for p in expected)
    row = docs_client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    assert {"AttainmentRow", "PersonDashboard", "TeamDashboard", "OrgDashboard"} <= set(row)


def test_the_schema_builds_without_warnings_for_these_endpoints(db):
    """Warnings name the view or serializer (and its file) they come from."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        SchemaGenerator().get_schema(request=None, public=True)
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    ours = [m for m in messages if "attainment" in m.lower() or "dashboard" in m.lower()]
    assert ours == []
