"""Each sales list has one filter definition (`sales.records.filters`): its page and the API give
the same rows for the same filters, the page through its form's choices, the API through
the query parameters themselves."""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from sales.feedback import services as services_feedback
from sales.records import selectors, services
from tests.sales.helpers import customer, make_year, month, sale, shared_sale

DAY = datetime.date(2026, 3, 10)


@pytest.fixture
def world(org):
    """Customers, records and follow-ups of sam, tina and oscar, in two industries."""
    found = {"year": make_year()}
    for key, industry, kind in (
        ("salesperson", "chemicals", "visit"),
        ("teammate", "pharma", "call"),
        ("other_salesperson", "chemicals", "call"),
    ):
        person = getattr(org, key)
        cust = customer(
            person,
            name=f"{key} customer",
            external_id=f"C-{key}",
            industry=industry,
            region="Shanghai",
            status="active",
        )
        found[f"{key}_customer"] = cust
        found[f"{key}_record"] = sale(
            DAY, cust, "1000", [(person, 100)], acting_user=person, product=f"{key} pump"
        )
        followup = services.followup_save(
            customer=cust,
            salesperson=person,
            kind=kind,
            happened_on=DAY,
            need="",
            next_action="",
            next_action_on=None,
            acting_user=person,
        )
        found[f"{key}_answer"] = services_feedback.satisfaction_save(
            customer=cust,
            salesperson=person,
            answered_on=DAY if key != "teammate" else DAY.replace(month=2),
            score=5 if key == "salesperson" else 3,
            acting_user=org.department,
        )
        if key == "teammate":
            services.followup_done(followup=followup, acting_user=person)
        found[f"{key}_followup"] = followup
    found["shared_record"] = shared_sale(
        org,
        found["salesperson_customer"],
        DAY.replace(day=20),
        product="shared valve",
        category="valves",
    )
    return found


def page_rows(client, name: str, params: dict) -> set[int]:
    response = client.get(reverse(f"sales:{name}"), params)
    assert response.status_code == 200
    return {row.pk for row in response.context["page"].object_list}


def api_rows(user, path: str, params: dict) -> set[int]:
    client = APIClient()
    client.force_login(user)
    response = client.get(path, {**params, "page_size": 500})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# (page parameters, API parameters), with names of the world's objects for their ids
RECORD_FILTERS = [
    ({}, {}),
    ({"person": "other_salesperson"}, {"person": "other_salesperson"}),
    ({"team": "east"}, {"team": "east"}),
    ({"customer": "salesperson_customer"}, {"customer": "salesperson_customer"}),
    ({"date_from": "2026-03-15"}, {"date_from": "2026-03-15"}),
    (
        {"month": "2026-03", "status": "booked"},
        {"date_from": "2026-03-01", "date_to": "2026-03-31", "status": "booked"},
    ),
    ({"q": "valve"}, {"q": "valve"}),
]


def _ids(org, world, params: dict) -> dict:
    def resolve(value):
        if value in world:
            return world[value].pk
        if hasattr(org, value):
            return getattr(org, value).pk
        return value

    return {name: resolve(value) for name, value in params.items()}


@pytest.mark.parametrize(("page", "api"), RECORD_FILTERS)
def test_the_records_page_and_api_list_the_same_records(client_as, org, world, page, api):
    page_found = page_rows(client_as("department"), "records", _ids(org, world, page))
    api_found = api_rows(org.department, "/api/v1/sales-records/", _ids(org, world, api))
    assert page_found == api_found
    selected = selectors.records_filtered(user=org.department, params=_ids(org, world, api))
    assert {r.pk for r in selected} == api_found


CUSTOMER_FILTERS = [
    ({}, {}),
    ({"industry": "chemicals"}, {"industry": "chemicals"}),
    ({"owner": "teammate"}, {"owner": "teammate"}),
    ({"q": "C-other"}, {"q": "C-other"}),
    ({"status": "active", "region": "Shanghai"}, {"status": "active", "region": "Shanghai"}),
]


@pytest.mark.parametrize(("page", "api"), CUSTOMER_FILTERS)
def test_the_customers_page_and_api_list_the_same_customers(client_as, org, world, page, api):
    page_found = page_rows(client_as("department"), "customers", _ids(org, world, page))
    api_found = api_rows(org.department, "/api/v1/customers/", _ids(org, world, api))
    assert page_found == api_found


FOLLOWUP_FILTERS = [
    ({}, {"done": "false"}),
    ({"show": "done"}, {"done": "true"}),
    ({"show": "all"}, {}),
    ({"show": "all", "person": "teammate"}, {"salesperson": "teammate"}),
    ({"kind": "call"}, {"done": "false", "kind": "call"}),
]


@pytest.mark.parametrize(("page", "api"), FOLLOWUP_FILTERS)
def test_the_follow_ups_page_and_api_list_the_same_follow_ups(client_as, org, world, page, api):
    page_found = page_rows(client_as("department"), "followups", _ids(org, world, page))
    api_found = api_rows(org.department, "/api/v1/follow-ups/", _ids(org, world, api))
    assert page_found == api_found


def test_a_supervisor_sees_the_same_filtered_records_on_the_page_and_in_the_api(
    client_as, org, world
):
    params = {"person": org.salesperson.pk}
    assert page_rows(client_as("supervisor"), "records", params) == api_rows(
        org.supervisor, "/api/v1/sales-records/", params
    )


def test_an_invalid_page_filter_is_shown_and_filters_nothing_while_the_api_refuses_it(
    client_as, org, world
):
    response = client_as("department").get(reverse("sales:records"), {"date_from": "soon"})
    assert not response.context["form"].is_valid()
    assert len(response.context["page"].object_list) == 4
    client = APIClient()
    client.force_login(org.department)
    assert client.get("/api/v1/sales-records/", {"date_from": "soon"}).status_code == 400


SATISFACTION_FILTERS = [
    ({"period": ""}, {}),
    ({"period": "march"}, {"answered_from": "2026-03-01", "answered_to": "2026-03-31"}),
    ({"period": "", "person": "teammate"}, {"salesperson": "teammate"}),
    ({"period": "", "unit": "east"}, {"unit": "east"}),
    ({"period": "", "score": "3"}, {"score": "3"}),
]


@pytest.mark.parametrize(("page", "api"), SATISFACTION_FILTERS)
def test_the_satisfaction_page_and_api_list_the_same_answers(client_as, org, world, page, api):
    world["march"] = month(world["year"], 3)
    page_found = page_rows(client_as("department"), "satisfaction", _ids(org, world, page))
    api_found = api_rows(org.department, "/api/v1/satisfaction-responses/", _ids(org, world, api))
    assert page_found == api_found
