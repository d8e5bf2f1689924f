"""The sales report pages and their exports, per persona: who gets what (HR 403,
anonymous to the login page), the figures each persona sees, drill-down links, bad
filters answering 400 with the field named, and the period/dates defaults."""

import csv
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import PERSONAS, SIGNED_IN
from tests.sales import test_reports

world = test_reports.world  # the fixture, shared with the selector tests

ALLOWED = [persona for persona in SIGNED_IN if persona != "hr"]

# What each persona sees in sales by unit over FY2026: rows and total amount.
SALES_BY_UNIT = {
    "salesperson": ({"East Team 1": D("210.01")}, D("210.01")),
    "teammate": ({"East Team 1": D("30.00")}, D("30.00")),
    "other_salesperson": ({"South Team 1": D(150)}, D(150)),
    "supervisor": ({"East Team 1": D("240.01")}, D("240.01")),
    "other_supervisor": ({"South Team 1": D(150)}, D(150)),
    "department": ({"East": D("540.01"), "South": D(150)}, D("690.01")),
}

# The default variance of each persona: units for supervisors and the department,
# themselves for a salesperson. {code: (target, actual)}
VARIANCE = {
    "salesperson": {"sam": (D(300), D("210.01"))},
    "teammate": {"tina": (D(100), D("30.00"))},
    "other_salesperson": {"oscar": (D(100), D(150))},
    "supervisor": {"t-east-1": (D(400), D("240.01"))},
    "other_supervisor": {"t-south-1": (None, D(150))},
    "department": {"east": (D(1000), D("540.01")), "south": (D(100), D(150))},
}


def expect_refused(response, persona):
    if persona == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    else:
        assert response.status_code == 403


# --- index ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_index_per_persona(client_as, persona):
    response = client_as(persona).get(reverse("sales:reports"))
    if persona not in ALLOWED:
        expect_refused(response, persona)
        return
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("sales:report-sales") + "?by=customer" in page
    assert reverse("sales:report-variance") in page


# --- sales by a dimension --------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_sales_page_per_persona(client_as, world, persona):
    response = client_as(persona).get(
        reverse("sales:report-sales"), {"by": "unit", "period": world.year.pk}
    )
    if persona not in ALLOWED:
        expect_refused(response, persona)
        return
    assert response.status_code == 200
    report = response.context["report"]
    rows, total = SALES_BY_UNIT[persona]
    assert {r.label: r.amount for r in report.rows} == rows
    assert report.totals.amount == total
    page = response.content.decode()
    assert f"{total:,.2f}" in page
    assert 'id="report-chart"' in page
    assert "vendor/chart.js/chart.umd.js" in page and "sales/reports.js" in page
    for label in {"East", "South", "East Team 1", "South Team 1"} - set(rows):
        assert f">{label}<" not in page


def test_sales_page_defaults_to_units_and_the_current_fiscal_year(client_as, org, world):
    response = client_as("department").get(reverse("sales:report-sales"))
    assert response.status_code == 200
    report = response.context["report"]
    assert report.by == "unit"
    # FY2026 is the only fiscal year: the one containing today, the latest before it or
    # the earliest, whatever today is.
    assert report.range.period == world.year
    assert response.context["form"]["period"].value() == str(world.year.pk)


def test_drill_down_links_open_the_level_below(client_as, org, world):
    client = client_as("department")
    page = client.get(reverse("sales:report-sales"), {"period": world.year.pk}).content.decode()
    assert f"unit={org.east.pk}" in page
    response = client.get(
        reverse("sales:report-sales"), {"period": world.year.pk, "unit": org.east.pk}
    )
    assert {r.label for r in response.context["report"].rows} == {"East Team 1", "East Team 2"}
    assert f"unit={org.company.pk}" in response.content.decode()  # one level up


@pytest.mark.parametrize("by", ["person", "product", "category", "customer", "month"])
def test_every_dimension_renders_with_its_total(client_as, world, by):
    response = client_as("department").get(
        reverse("sales:report-sales"), {"by": by, "period": world.year.pk}
    )
    assert response.status_code == 200
    assert response.context["report"].totals.amount == D("690.01")
    assert "690.01" in response.content.decode()


def test_a_date_range_instead_of_a_period(client_as, world):
    response = client_as("department").get(
        reverse("sales:report-sales"), {"by": "person", "start": "2026-02-06", "end": "2026-03-31"}
    )
    assert response.status_code == 200
    assert response.context["report"].totals.amount == D("410.01")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"by": "colour"}, "Report by: "),
        ({"start": "2026-03-01"}, "To: Give the end date"),
        ({"start": "2026-03-05", "end": "2026-03-01"}, "To: The end date is before"),
        ({"start": "2026-13-01", "end": "2026-03-01"}, "From: "),
        ({"period": "999999"}, "Period: "),
        ({"sort": "price"}, "Sort: "),
    ],
)
def test_bad_filters_answer_400_naming_the_field(client_as, world, query, message):
    response = client_as("department").get(reverse("sales:report-sales"), query)
    assert response.status_code == 400
    assert response.context["report"] is None
    assert any(line.startswith(message) for line in response.context["errors"])


def test_a_period_and_dates_together_are_refused(client_as, world):
    response = client_as("department").get(
        reverse("sales:report-sales"),
        {"period": world.year.pk, "start": "2026-01-01", "end": "2026-01-31"},
    )
    assert response.status_code == 400
    assert "Period: Choose either a period or a date range, not both." in response.context["errors"]


def test_a_unit_outside_the_supervisors_subtree_is_not_a_choice(client_as, org, world):
    response = client_as("supervisor").get(
        reverse("sales:report-sales"), {"period": world.year.pk, "unit": org.other_team.pk}
    )
    assert response.status_code == 400
    assert response.context["errors"][0].startswith("Unit: ")


# --- variance --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_variance_page_per_persona(client_as, world, persona):
    response = client_as(persona).get(
        reverse("sales:report-variance"), {"metric": world.revenue.pk, "period": world.year.pk}
    )
    if persona not in ALLOWED:
        expect_refused(response, persona)
        return
    assert response.status_code == 200
    report = response.context["report"]
    assert {r.code: (r.target, r.actual) for r in report.rows} == VARIANCE[persona]
    assert "Attainment" in response.content.decode()


def test_variance_defaults_to_the_first_metric_and_the_current_year(client_as, world):
    response = client_as("department").get(reverse("sales:report-variance"))
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.metric, report.period, report.owners) == (world.revenue, world.year, "unit")


def test_variance_people_of_a_unit_for_the_regional_supervisor(client_as, org, world):
    response = client_as("regional").get(
        reverse("sales:report-variance"), {"owners": "person", "unit": org.team2.pk}
    )
    assert response.status_code == 200
    assert {r.code: r.attainment for r in response.context["report"].rows} == {"eve": D("120.0")}


def test_a_salesperson_may_not_compare_units(client_as, world):
    response = client_as("salesperson").get(reverse("sales:report-variance"), {"owners": "unit"})
    assert response.status_code == 400
    assert response.context["errors"] == ["Compare: You see your own figures only: compare people."]


def test_variance_without_metrics_says_so(client_as, world):
    from targets.models import Metric, Target

    Target.objects.all().delete()
    Metric.objects.all().delete()
    response = client_as("department").get(reverse("sales:report-variance"))
    assert response.status_code == 400
    assert response.context["errors"][0].startswith("Metric: There is no metric yet")


# --- exports ---------------------------------------------------------------------------------


def read_csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_sales_export_per_persona(client_as, world, persona, file_format):
    response = client_as(persona).get(
        reverse("sales:report-sales-export"),
        {"by": "unit", "period": world.year.pk, "format": file_format},
    )
    if persona not in ALLOWED:
        expect_refused(response, persona)
        return
    assert response.status_code == 200
    rows = read_csv(response) if file_format == "csv" else read_xlsx(response)
    expected, total = SALES_BY_UNIT[persona]
    assert rows[0][:3] == ["Unit", "Code", "Amount"]
    assert {r[0]: D(str(r[2])) for r in rows[1:-1]} == expected
    assert rows[-1][0] == "Total" and D(str(rows[-1][2])) == total
    assert f'filename="sales-by-unit-FY2026.{file_format}"' in response["Content-Disposition"]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_variance_export_per_persona(client_as, world, persona, file_format):
    response = client_as(persona).get(
        reverse("sales:report-variance-export"),
        {"metric": world.revenue.pk, "period": world.year.pk, "format": file_format},
    )
    if persona not in ALLOWED:
        expect_refused(response, persona)
        return
    assert response.status_code == 200
    rows = read_csv(response) if file_format == "csv" else read_xlsx(response)
    assert rows[0][2:4] == ["Target", "Actual"]

    def number(value):
        return None if value in ("", None) else D(str(value))

    assert {r[1]: (number(r[2]), number(r[3])) for r in rows[1:-1]} == VARIANCE[persona]
    owners = "person" if "salesperson" in persona or persona == "teammate" else "unit"
    assert f"variance-revenue-{owners}-FY2026.{file_format}" in response["Content-Disposition"]


def test_export_with_bad_filters_answers_400_in_words(client_as, org, world):
    client = client_as("supervisor")
    response = client.get(reverse("sales:report-sales-export"), {"format": "pdf"})
    assert response.status_code == 400
    assert response.content.decode().startswith("Format: ")
    response = client.get(reverse("sales:report-sales-export"), {"unit": org.other_team.pk})
    assert response.status_code == 400
    assert response.content.decode().startswith("Unit: ")
    response = client.get(reverse("sales:report-variance-export"), {"unit": org.other_team.pk})
    assert response.status_code == 400
    assert response.content.decode().startswith("Unit: ")


def test_export_follows_the_page_filters_and_sort(client_as, world):
    response = client_as("department").get(
        reverse("sales:report-sales-export"),
        {"by": "person", "start": "2026-02-06", "end": "2026-03-31", "sort": "-amount"},
    )
    rows = read_csv(response)
    assert [r[1] for r in rows[1:-1]] == ["eve", "oscar", "sam", "tina"]
    assert rows[-1][2] == "410.01"
    assert "sales-by-person-2026-02-06_2026-03-31.csv" in response["Content-Disposition"]
