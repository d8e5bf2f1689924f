"""The appraisal templates API (/api/v1/appraisal-templates/, /appraisal-dimensions/),
persona by persona: 401 for anonymous requests, 404 for what one may not see, 403 for
what one may see but not change, 400 naming the field or dimension for a broken
rule (a published version never changes)."""

import copy

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from appraisal.models import AppraisalTemplate, Dimension
from tests.api_errors import field_errors
from tests.appraisal import test_permissions
from tests.appraisal.helpers import BANDS, LINEAR_CURVE, SCALE, make_draft, make_metric
from tests.appraisal.test_permissions import VISIBLE

READERS = ["salesperson", "teammate", "other_salesperson", "supervisor", "other_supervisor", "hr"]

# The shared fixtures.
pinned_today = test_permissions.pinned_today
world = test_permissions.world


@pytest.fixture
def api_as(org):
    def make(persona):
        client = APIClient()
        if persona != "anonymous":
            client.force_authenticate(getattr(org, persona))
        return client

    return make


def templates_url(pk=None, action=None):
    if pk is None:
        return reverse("api-appraisal-template-list")
    if action:
        return reverse(f"api-appraisal-template-{action}", args=[pk])
    return reverse("api-appraisal-template-detail", args=[pk])


def dimensions_url(pk=None):
    if pk is None:
        return reverse("api-appraisal-dimension-list")
    return reverse("api-appraisal-dimension-detail", args=[pk])


def codes(response):
    return {row["code"] for row in response.json()["results"]}


# --- reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", [*READERS, "department"])
def test_each_persona_lists_the_templates_they_may_see(api_as, world, persona):
    response = api_as(persona).get(templates_url())
    assert response.status_code == 200
    assert codes(response) == VISIBLE[persona]


def test_anonymous_requests_are_refused_with_401(api_as, world):
    client = api_as("anonymous")
    assert client.get(templates_url()).status_code == 401
    assert client.get(templates_url(world.sales.pk)).status_code == 401
    assert client.get(dimensions_url()).status_code == 401
    assert client.post(templates_url(), {}, format="json").status_code == 401
    assert client.post(templates_url(world.draft.pk, "publish")).status_code == 401


def test_a_template_comes_with_its_dimensions_grades_and_plain_words(api_as, world):
    body = api_as("salesperson").get(templates_url(world.sales.pk)).json()
    assert body["code"] == "sales" and body["status"] == "published"
    assert body["total_weight"] == "100.00"
    assert [d["name"] for d in body["dimensions"]] == [
        "Revenue attainment",
        "Customer satisfaction",
        "Work attitude",
        "Teamwork",
    ]
    revenue = body["dimensions"][0]
    assert revenue["metric"]["code"] == "revenue"
    assert revenue["curve_description"].startswith("Below 60 % scores 0")
    assert body["dimensions"][2]["scale"][4]["anchor_zh"] == "优秀"
    assert [g["grade"] for g in body["grades"]] == ["S", "A", "B", "C", "D"]
    assert body["applies_from"]["label"] == world.fy.quarters[0].label


@pytest.mark.parametrize(
    ("persona", "template", "expected"),
    [
        ("department", "draft", 200),
        ("hr", "draft", 404),
        ("hr", "south", 200),
        ("salesperson", "south", 404),
        ("salesperson", "draft", 404),
        ("other_salesperson", "south", 200),
        ("supervisor", "east2", 404),
        ("other_supervisor", "south", 200),
    ],
)
def test_retrieving_follows_the_visibility_rules(api_as, world, persona, template, expected):
    pk = getattr(world, template).pk
    assert api_as(persona).get(templates_url(pk)).status_code == expected


def test_dimensions_are_listed_only_for_visible_templates(api_as, world):
    response = api_as("salesperson").get(dimensions_url())
    assert response.status_code == 200
    assert {row["template"] for row in response.json()["results"]} == {world.sales.pk}
    draft_dimension = world.draft.dimensions.first()
    assert api_as("salesperson").get(dimensions_url(draft_dimension.pk)).status_code == 404
    assert api_as("department").get(dimensions_url(draft_dimension.pk)).status_code == 200


# --- drafts ------------------------------------------------------------------------------------


def new_template(world, org, **changes):
    data = {
        "code": "api-made",
        "name": "Made by API",
        "name_zh": "接口创建",
        "period_kind": "quarter",
        "applies_from": world.fy.quarters[1].pk,
        "units": [org.east.pk],
    }
    data.update(changes)
    return data


def test_the_department_creates_a_draft(api_as, org, world):
    response = api_as("department").post(templates_url(), new_template(world, org), format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["code"], body["version"], body["status"]) == ("api-made", 1, "draft")
    assert [u["code"] for u in body["units"]] == ["east"]


@pytest.mark.parametrize("persona", READERS)
def test_nobody_else_creates_a_draft(api_as, org, world, persona):
    response = api_as(persona).post(templates_url(), new_template(world, org), format="json")
    assert response.status_code == 403
    assert not AppraisalTemplate.objects.filter(code="api-made").exists()


def test_a_period_of_another_kind_is_refused_with_the_rule(api_as, org, world):
    data = new_template(world, org, applies_from=world.fy.months[4].pk)
    response = api_as("department").post(templates_url(), data, format="json")
    assert response.status_code == 400
    assert "must be a quarter" in response.json()["detail"]


def test_missing_fields_are_refused_naming_them(api_as, org, world):
    response = api_as("department").post(templates_url(), {"code": "x"}, format="json")
    assert response.status_code == 400
    assert {"name", "name_zh", "period_kind", "applies_from", "units"} <= set(
        field_errors(response)
    )


def test_the_department_changes_a_draft(api_as, world):
    response = api_as("department").patch(
        templates_url(world.draft.pk), {"name": "Next year"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Next year"


def test_changes_are_hidden_forbidden_or_refused_per_the_rules(api_as, world):
    change = {"name": "Changed"}
    assert api_as("hr").patch(templates_url(world.draft.pk), change, format="json").status_code == (
        404
    )
    assert api_as("hr").patch(templates_url(world.sales.pk), change, format="json").status_code == (
        403
    )
    assert (
        api_as("salesperson").patch(templates_url(world.sales.pk), change, format="json")
    ).status_code == 403
    response = api_as("department").patch(templates_url(world.sales.pk), change, format="json")
    assert response.status_code == 400
    assert "make a new version" in response.json()["detail"]
    world.sales.refresh_from_db()
    assert world.sales.name == "Sales performance appraisal"


# --- dimensions --------------------------------------------------------------------------------


@pytest.fixture
def empty_draft(org, world):
    return make_draft(org, code="api-empty", dimensions=False, bands=False)


def test_the_department_adds_dimensions_of_each_method(api_as, world, empty_draft):
    metric = make_metric()
    client = api_as("department")
    payloads = [
        {
            "name": "Revenue",
            "name_zh": "收入",
            "weight": "40",
            "method": "attainment",
            "metric": metric.pk,
            "curve": LINEAR_CURVE,
        },
        {
            "name": "Satisfaction",
            "name_zh": "满意度",
            "weight": "20",
            "method": "satisfaction",
            "curve": {"kind": "steps", "steps": [["1", "0"], ["4", "100"]]},
        },
        {
            "name": "Attitude",
            "name_zh": "态度",
            "weight": "20",
            "method": "rated",
            "scale": copy.deepcopy(SCALE),
            "rated_by_self": True,
        },
        {
            "name": "Training",
            "name_zh": "培训",
            "weight": "20",
            "method": "training",
            "curve": {**LINEAR_CURVE, "floor": "0", "floor_score": "0"},
        },
    ]
    for payload in payloads:
        response = client.post(dimensions_url(), {**payload, "template": empty_draft.pk}, "json")
        assert response.status_code == 201, response.json()
    body = client.get(templates_url(empty_draft.pk)).json()
    assert body["total_weight"] == "100.00"
    assert [d["method"] for d in body["dimensions"]] == [
        "attainment",
        "satisfaction",
        "rated",
        "training",
    ]
    assert body["dimensions"][1]["curve_description"].startswith("1 or more scores 0")


def test_a_bad_dimension_is_refused_naming_it(api_as, world, empty_draft):
    response = api_as("department").post(
        dimensions_url(),
        {
            "template": empty_draft.pk,
            "name": "Sat",
            "name_zh": "满意",
            "weight": "20",
            "method": "satisfaction",
            "curve": {"kind": "steps", "steps": [["3", "50"], ["2", "80"]]},
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Sat: Step table, step 2")
    bad_shape = api_as("department").post(
        dimensions_url(),
        {"template": empty_draft.pk, "name": "X", "name_zh": "X", "weight": "abc"},
        format="json",
    )
    assert bad_shape.status_code == 400
    assert {"weight", "method"} <= set(field_errors(bad_shape))


def test_dimension_changes_are_hidden_forbidden_or_refused_per_the_rules(api_as, world):
    payload = {
        "template": world.draft.pk,
        "name": "Extra",
        "name_zh": "额外",
        "weight": "5",
        "method": "rated",
    }
    assert api_as("salesperson").post(dimensions_url(), payload, format="json").status_code == 404
    published = {**payload, "template": world.sales.pk}
    assert api_as("salesperson").post(dimensions_url(), published, format="json").status_code == 403
    refused = api_as("department").post(dimensions_url(), published, format="json")
    assert refused.status_code == 400
    assert "make a new version" in refused.json()["detail"]
    published_dimension = world.sales.dimensions.first()
    assert api_as("hr").delete(dimensions_url(published_dimension.pk)).status_code == 403
    assert api_as("department").delete(dimensions_url(published_dimension.pk)).status_code == 400
    assert (
        api_as("department").patch(
            dimensions_url(published_dimension.pk), {"weight": "1"}, format="json"
        )
    ).status_code == 400
    assert Dimension.objects.filter(pk=published_dimension.pk).exists()


def test_the_department_changes_and_removes_a_draft_dimension(api_as, world):
    dimension = world.draft.dimensions.get(name="Teamwork")
    client = api_as("department")
    response = client.patch(
        dimensions_url(dimension.pk), {"weight": "10", "rated_by_self": True}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["weight"], response.json()["rated_by_self"]) == ("10.00", True)
    assert client.delete(dimensions_url(dimension.pk)).status_code == 204
    assert not Dimension.objects.filter(pk=dimension.pk).exists()
    assert client.get(templates_url(world.draft.pk)).json()["total_weight"] == "85.00"


# --- grades, publication, new versions --------------------------------------------------------


def test_the_department_replaces_the_grades(api_as, world):
    client = api_as("department")
    grades = [{"grade": "Good", "min_score": "70"}, {"grade": "Bad", "min_score": "0"}]
    response = client.put(templates_url(world.draft.pk, "grades"), {"grades": grades}, "json")
    assert response.status_code == 200
    assert [g["grade"] for g in response.json()["grades"]] == ["Good", "Bad"]
    bad = client.put(
        templates_url(world.draft.pk, "grades"),
        {"grades": [{"grade": "A", "min_score": "10"}]},
        format="json",
    )
    assert bad.status_code == 400
    assert "must start at 0" in bad.json()["detail"]
    assert (
        api_as("hr").put(templates_url(world.sales.pk, "grades"), {"grades": BANDS}, "json")
    ).status_code == 403


def test_publication_is_refused_with_every_problem(api_as, world, empty_draft):
    response = api_as("department").post(templates_url(empty_draft.pk, "publish"))
    assert response.status_code == 400
    body = response.json()
    assert "The template has no dimensions." in body["problems"]
    assert "The template has no grade bands." in body["problems"]
    empty_draft.refresh_from_db()
    assert empty_draft.status == "draft"


def test_the_department_publishes_a_ready_draft(api_as, world):
    assert api_as("hr").post(templates_url(world.draft.pk, "publish")).status_code == 404
    response = api_as("department").post(templates_url(world.draft.pk, "publish"))
    assert response.status_code == 200
    assert response.json()["status"] == "published"
    assert response.json()["published_at"]
    again = api_as("department").post(templates_url(world.draft.pk, "publish"))
    assert again.status_code == 400


def test_the_department_makes_a_new_version(api_as, world):
    assert api_as("hr").post(templates_url(world.sales.pk, "new-version")).status_code == 403
    client = api_as("department")
    response = client.post(templates_url(world.sales.pk, "new-version"))
    assert response.status_code == 201
    body = response.json()
    assert (body["code"], body["version"], body["status"]) == ("sales", 2, "draft")
    assert len(body["dimensions"]) == 4 and len(body["grades"]) == 5
    again = client.post(templates_url(world.sales.pk, "new-version"))
    assert again.status_code == 400
    assert "already a draft" in again.json()["detail"]
    draft_copy = client.post(templates_url(world.draft.pk, "new-version"))
    assert draft_copy.status_code == 400


def test_the_schema_documents_the_appraisal_endpoints(api_as, world):
    response = api_as("department").get(reverse("api-schema"), {"format": "json"})
    paths = response.json()["paths"]
    assert "/api/v1/appraisal-templates/{id}/publish/" in paths
    assert "/api/v1/appraisal-templates/{id}/new-version/" in paths
    assert "/api/v1/appraisal-dimensions/{id}/" in paths
