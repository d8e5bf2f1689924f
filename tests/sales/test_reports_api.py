"""The reports API (/api/v1/reports/...), per persona: the rows as JSON, the files of
the export actions, 401/403 for those who may not, 400 naming the field, and every
endpoint in the OpenAPI schema without warnings."""

import csv
import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from tests.api_errors import field_errors
from tests.conftest import PERSONAS
from tests.sales import test_reports
from tests.sales.test_reports_views import ALLOWED, SALES_BY_UNIT, VARIANCE

world = test_reports.world  # the fixture, shared with the selector tests

SALES = "/api/v1/reports/sales/"
SALES_EXPORT = "/api/v1/reports/sales/export/"
VARIANCE_URL = "/api/v1/reports/variance/"
VARIANCE_EXPORT = "/api/v1/reports/variance/export/"


def expect_refused(response, persona):
    assert response.status_code == (401 if persona == "anonymous" else 403), response.content


@pytest.mark.parametrize("persona", PERSONAS)
def test_sales_endpoint_per_persona(api_as, world, persona):
    response = api_as(persona).get(SALES, {"by": "unit", "period": world.year.pk})
    if persona not in ALLOWED:
        expect_refused(response, persona)
        return
    assert response.status_code == 200
    body = response.json()
    rows, total = SALES_BY_UNIT[persona]
    assert {r["label"]: D(r["amount"]) for r in body["rows"]} == rows
    assert D(body["totals"]["amount"]) == total
    assert body["period"]["id"] == world.year.pk
    assert (body["start"], body["end"]) == ("2026-01-01", "2026-12-31")


def test_sales_endpoint_rows_carry_every_figure(api_as, org, world):
    body = api_as("department").get(SALES, {"by": "person", "period": world.year.pk}).json()
    sam = next(r for r in body["rows"] if r["code"] == "sam")
    assert sam == {
        "label": org.salesperson.display_name,
        "code": "sam",
        "id": org.salesperson.pk,
        "month": None,
        "amount": "210.01",
        "gross_margin": "40.01",
        "quantity": "3.50",
        "collected": "70.00",
        "records": 4,
        "drill": False,
    }
    assert body["totals"]["records"] == 6
    assert body["sort"] == "-amount"
    months = (
        api_as("department")
        .get(SALES, {"by": "month", "start": "2026-03-01", "end": "2026-04-30"})
        .json()
    )
    assert [(r["month"], r["amount"]) for r in months["rows"]] == [
        ("2026-03-01", "360.01"),
        ("2026-04-01", "200.00"),
    ]
    assert months["period"] is None


def test_sales_endpoint_opens_a_unit(api_as, org, world):
    body = api_as("department").get(SALES, {"period": world.year.pk, "unit": org.east.pk}).json()
    assert {r["code"] for r in body["rows"]} == {"t-east-1", "t-east-2"}
    assert body["unit"]["id"] == org.east.pk
    assert body["up"] == org.company.pk


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"by": "colour"}, "by"),
        ({"start": "2026-03-01"}, "end"),
        ({"start": "2026-03-05", "end": "2026-03-01"}, "end"),
        ({"start": "soon", "end": "2026-03-01"}, "start"),
        ({"period": 999999}, "period"),
        ({"sort": "price"}, "sort"),
    ],
)
def test_bad_filters_answer_400_naming_the_field(api_as, world, query, field):
    response = api_as("department").get(SALES, query)
    assert response.status_code == 400
    assert field in field_errors(response)


def test_a_unit_the_user_may_not_see_is_unknown(api_as, org, world):
    response = api_as("supervisor").get(SALES, {"unit": org.other_team.pk})
    assert response.status_code == 400
    assert "unit" in field_errors(response)


@pytest.mark.parametrize("persona", PERSONAS)
def test_variance_endpoint_per_persona(api_as, world, persona):
    response = api_as(persona).get(
        VARIANCE_URL, {"metric": world.revenue.pk, "period": world.year.pk}
    )
    if persona not in ALLOWED:
        expect_refused(response, persona)
        return
    assert response.status_code == 200

    def number(value):
        return None if value is None else D(value)

    rows = {r["code"]: (number(r["target"]), D(r["actual"])) for r in response.json()["rows"]}
    assert rows == VARIANCE[persona]


def test_variance_endpoint_figures(api_as, org, world):
    body = api_as("department").get(VARIANCE_URL).json()
    assert body["metric"]["code"] == "revenue" and body["period"]["id"] == world.year.pk
    east = next(r for r in body["rows"] if r["code"] == "east")
    assert (east["target"], east["actual"], east["variance"], east["attainment"]) == (
        "1000.00",
        "540.01",
        "-459.99",
        "54.0",
    )
    totals = body["totals"]
    assert (totals["target"], totals["actual"], totals["attainment"]) == (
        "1100.00",
        "690.01",
        "62.7",
    )


def test_a_salesperson_may_not_ask_for_units(api_as, world):
    response = api_as("salesperson").get(VARIANCE_URL, {"owners": "unit"})
    assert response.status_code == 400
    assert field_errors(response) == {"owners": ["You see your own figures only: compare people."]}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_sales_export_action_per_persona(api_as, world, persona, file_format):
    response = api_as(persona).get(
        SALES_EXPORT, {"by": "unit", "period": world.year.pk, "format": file_format}
    )
    if persona not in ALLOWED:
        expect_refused(response, persona)
        return
    assert response.status_code == 200
    if file_format == "csv":
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(body)))
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[-1][0] == "Total"
    assert D(str(rows[-1][2])) == SALES_BY_UNIT[persona][1]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_variance_export_action_per_persona(api_as, world, persona, file_format):
    response = api_as(persona).get(VARIANCE_EXPORT, {"format": file_format})
    if persona not in ALLOWED:
        expect_refused(response, persona)
        return
    assert response.status_code == 200
    assert f"FY2026.{file_format}" in response["Content-Disposition"]


def test_export_action_errors_answer_json(api_as, world):
    response = api_as("department").get(SALES_EXPORT, {"format": "pdf"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "format" in field_errors(response)
    response = api_as("department").get(VARIANCE_EXPORT, {"format": "csv", "period": 999999})
    assert response.status_code == 400
    assert "period" in field_errors(response)


def test_schema_lists_the_report_endpoints(docs_client):
    schema = docs_client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for path in (SALES, SALES_EXPORT, VARIANCE_URL, VARIANCE_EXPORT):
        assert set(paths["/api/v1" + path.removeprefix("/api/v1")]) == {"get"}, path
    sales = paths[SALES]["get"]
    assert {p["name"] for p in sales["parameters"]} == {
        "by",
        "period",
        "start",
        "end",
        "unit",
        "sort",
    }
    export = paths[SALES_EXPORT]["get"]
    assert {p["name"] for p in export["parameters"]} >= {"format", "by"}
    assert set(export["responses"]["200"]["content"]) == {
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    components = schema["components"]["schemas"]
    assert {"SalesReport", "VarianceReport", "SalesReportDimensionEnum"} <= set(components)


def test_schema_builds_without_warnings(tmp_path, db):
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/reports/variance/export/" in out.read_text()
