"""The department's import of sales records (CSV and XLSX): validated whole, every
problem named by spreadsheet row and column, nothing written when one row is bad;
a second import of the same file updates instead of duplicating."""

import csv
import datetime
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.spreadsheets import XLSX_CONTENT_TYPE
from org.models import Period
from sales.models import SalesCredit, SalesRecord
from sales.records import imports
from tests.conftest import PERSONAS, by_persona
from tests.factories import MembershipFactory, UserFactory
from tests.files import csv_bytes, upload, xlsx_bytes
from tests.sales.helpers import customer, make_year, month, set_status

IMPORT = reverse("sales:records-import")
HEADER = [
    "external_id",
    "date",
    "customer",
    "product",
    "amount",
    "quantity",
    "gross_margin",
    "person1",
    "share1",
    "person2",
    "share2",
]
GOOD = [
    ["ERP-1", "2026-03-10", "C-1", "Pump", "1000.00", "2", "300", "sam", "60", "tina", "40"],
    ["ERP-2", "2026-03-12", "C-2", "Valve", "250", "5", "", "oscar", "", "", ""],
]


@pytest.fixture
def world(org):
    year = make_year()
    return {
        "year": year,
        "c1": customer(org.salesperson, name="Globex", external_id="C-1"),
        "c2": customer(org.other_salesperson, name="Initech", external_id="C-2"),
    }


def post(client, data, name="sales.csv"):
    return client.post(IMPORT, {"file": upload(data, name)})


def snapshot():
    return (
        SalesRecord.objects.count(),
        SalesCredit.objects.count(),
        SalesRecord.history.count(),
        SalesCredit.history.count(),
    )


def errors(response):
    return [(e.row, e.column, e.message) for e in response.context["errors"]]


# --- access -----------------------------------------------------------------------------------

STATUS = by_persona(403, department=200, anonymous=302)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_department_imports(client_as, world, persona):
    client = client_as(persona)
    assert client.get(IMPORT).status_code == STATUS[persona]
    assert client.get(IMPORT, {"template": "csv"}).status_code == STATUS[persona]
    before = snapshot()
    response = post(client, csv_bytes([HEADER, *GOOD]))
    assert response.status_code == (302 if persona in ("department", "anonymous") else 403)
    if persona == "anonymous":
        assert reverse("login") in response["Location"]
    if persona != "department":
        assert snapshot() == before


def test_the_page_documents_the_columns_and_offers_templates(client_as, world):
    body = client_as("department").get(IMPORT).content.decode()
    for name in ("external_id", "customer", "salesperson", "person1, person2", "share1, share2"):
        assert f"<code>{name}" in body
    assert f"{IMPORT}?template=csv" in body and f"{IMPORT}?template=xlsx" in body


def test_the_example_rows_are_dated_in_the_current_month_and_import_as_shown(
    client_as, org, world, suite_today
):
    """The page's example is dated in this month (open), not in one that has closed."""
    body = client_as("department").get(IMPORT).content.decode()
    example = imports.example(suite_today)
    assert example.splitlines()[1].split(",")[1] in body
    for name in ("wei.zhang", "ning.xu"):  # the people the example credits
        MembershipFactory(user=UserFactory(username=name, roles=["salesperson"]), unit=org.team)
    customer(org.salesperson, name="Example 1", external_id="C-001")
    customer(org.salesperson, name="Example 2", external_id="C-002")
    response = post(client_as("department"), example.encode())
    assert response.status_code == 302, errors(response) if response.context else response
    dates = set(SalesRecord.objects.values_list("date", flat=True))
    assert {d.replace(day=1) for d in dates} == {suite_today.replace(day=1)}
    assert max(dates) <= suite_today


def test_the_templates_are_an_empty_file_with_the_columns(client_as, world):
    client = client_as("department")
    response = client.get(IMPORT, {"template": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "sales-records.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [imports.TEMPLATE_HEADER]
    response = client.get(IMPORT, {"template": "xlsx"})
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == imports.TEMPLATE_HEADER
    # Filling in the template and importing it works.
    sheet.append(["ERP-9", datetime.date(2026, 3, 3), "C-1", "Pump", "", 100, 1, 10])
    sheet.cell(row=sheet.max_row, column=11, value="sam")
    out = io.BytesIO()
    sheet.parent.save(out)
    response = post(client, out.getvalue(), "filled.xlsx")
    assert response.status_code == 302
    assert SalesRecord.objects.get(external_id="ERP-9").credits.get().share_pct == 100


# --- good files -------------------------------------------------------------------------------


def test_a_good_csv_file_books_every_record_with_its_split(client_as, org, world):
    client = client_as("department")
    response = post(client, csv_bytes([HEADER, *GOOD]))
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Imported sales.csv: 2 created, 0 updated." in page.content.decode()
    one = SalesRecord.objects.get(external_id="ERP-1")
    assert (one.customer, one.product, one.amount, one.quantity, one.gross_margin) == (
        world["c1"],
        "Pump",
        D("1000.00"),
        D("2.00"),
        D("300.00"),
    )
    assert one.created_by == org.department
    assert {c.person.username: c.amount for c in one.credits.all()} == {
        "sam": D("600.00"),
        "tina": D("400.00"),
    }
    two = SalesRecord.objects.get(external_id="ERP-2")
    assert [(c.person, c.share_pct) for c in two.credits.all()] == [(org.other_salesperson, 100)]
    assert two.gross_margin == 0
    assert one.history.first().history_user == org.department


def test_a_good_xlsx_file_with_a_salesperson_column_and_real_cells(client_as, org, world):
    rows = [
        [
            "External ID",
            "Date",
            "Customer",
            "Amount",
            "Quantity",
            "Salesperson",
            "Collected amount",
            "Collected on",
        ],
        [
            "X-1",
            datetime.datetime(2026, 3, 5),
            "C-1",
            1234.5,
            3,
            "SAM",
            1000,
            datetime.date(2026, 3, 20),
        ],
        ["X-2", datetime.date(2026, 3, 6), "C-2", 99, 1, "oscar", None, None],
        [None, None, None, None, None, None, None, None],
    ]
    response = post(client_as("department"), xlsx_bytes(rows), "sales.xlsx")
    assert response.status_code == 302
    x1 = SalesRecord.objects.get(external_id="X-1")
    assert (x1.date, x1.amount, x1.quantity) == (datetime.date(2026, 3, 5), D("1234.50"), D(3))
    assert (x1.collected_amount, x1.collected_on) == (D("1000.00"), datetime.date(2026, 3, 20))
    assert x1.credits.get().person == org.salesperson
    assert SalesRecord.objects.count() == 2


def test_importing_the_same_file_again_updates_and_never_duplicates(client_as, world):
    client = client_as("department")
    post(client, csv_bytes([HEADER, *GOOD]))
    before = SalesRecord.objects.count(), SalesCredit.objects.count()
    changed = [[*GOOD[0][:4], "1500", "2", "300", "sam", "100", "", ""], GOOD[1]]
    response = post(client, csv_bytes([HEADER, *changed]))
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "0 created, 2 updated" in page.content.decode()
    assert (SalesRecord.objects.count(), SalesCredit.objects.count()) == (before[0], before[1] - 1)
    one = SalesRecord.objects.get(external_id="ERP-1")
    assert one.amount == D("1500.00")
    assert [(c.person.username, c.amount) for c in one.credits.all()] == [("sam", D("1500.00"))]


def test_a_leading_quote_added_by_an_export_is_taken_off(client_as, org, world):
    customer(org.salesperson, name="Formula Ltd", external_id="=F1")
    rows = [
        HEADER,
        ["'-R1", "2026-03-10", "'=F1", "'@return", "'-100.00", "'-1", "'-20", "sam", "100", "", ""],
    ]
    response = post(client_as("department"), csv_bytes(rows))
    assert response.status_code == 302
    record = SalesRecord.objects.get(external_id="-R1")
    assert (record.customer.name, record.product) == ("Formula Ltd", "@return")
    assert (record.amount, record.quantity, record.gross_margin) == (D(-100), D(-1), D(-20))


def test_a_semicolon_separated_file_with_percent_shares(client_as, world):
    data = (
        b"external_id;date;customer;amount;person1;share1;person2;share2\r\n"
        b"S-1;2026-03-10;C-1;100;sam;50%;tina;50 %\r\n"
    )
    response = post(client_as("department"), data)
    assert response.status_code == 302
    assert SalesRecord.objects.get(external_id="S-1").credits.count() == 2


# --- bad files: every problem named, nothing written ------------------------------------------


@pytest.mark.parametrize(
    ("rows", "problems"),
    [
        pytest.param(
            [
                GOOD[0],
                ["ERP-2", "10/03/2026", "C-2", "", "abc", "1", "", "oscar", "100", "", ""],
                ["ERP-3", "2026-03-11", "C-2", "", "1,000", "x", "", "oscar", "hundred", "", ""],
            ],
            [
                (3, "date", "10/03/2026 is not a date: write YYYY-MM-DD."),
                (3, "amount", "abc is not a number."),
                (4, "amount", "Write 1,000 without separators: a comma is ambiguous in a number."),
                (4, "quantity", "x is not a number."),
                (4, "share1", "hundred is not a share in percent."),
            ],
            id="malformed cells",
        ),
        pytest.param(
            [
                ["ERP-1", "2026-03-10", "C-404", "", "10", "1", "", "sam", "50", "nobody", "50"],
                ["ERP-2", "2026-03-10", "", "", "10", "1", "", "ghost", "", "", ""],
            ],
            [
                (2, "customer", "Unknown customer: C-404."),
                (2, "person2", "Unknown salesperson: nobody."),
                (3, "customer", "The customer is missing."),
                (3, "person1", "Unknown salesperson: ghost."),
            ],
            id="unknown customers and salespeople",
        ),
    ],
)
def test_bad_cells_are_named_by_row_and_column_and_nothing_is_written(
    client_as, world, rows, problems
):
    before = snapshot()
    response = post(client_as("department"), csv_bytes([HEADER, *rows]))
    assert response.status_code == 400
    assert errors(response) == problems
    body = response.content.decode()
    assert "Nothing was imported" in body and f"The file has {len(problems)} problems" in body
    assert snapshot() == before


def test_the_services_refusals_come_back_with_the_spreadsheet_row_and_columns(
    client_as, org, world
):
    set_status(month(world["year"], 2), Period.Status.CLOSED)
    rows = [
        HEADER,
        GOOD[0],
        ["ERP-2", "2026-02-10", "C-2", "", "10", "1", "", "oscar", "100", "", ""],
        ["ERP-3", "2026-03-10", "C-2", "", "10", "1", "", "sam", "60", "tina", "30"],
        ["ERP-4", "2026-03-10", "C-2", "", "10", "1", "20", "sam", "100", "", ""],
        ["ERP-5", "2026-03-10", "C-2", "", "10.123", "1", "", "sam", "100", "", ""],
    ]
    before = snapshot()
    response = post(client_as("department"), csv_bytes(rows))
    assert response.status_code == 400
    found = errors(response)
    period = month(world["year"], 2)
    assert found == [
        (3, "date", f"{period.label} is closed: a correction goes into an open period."),
        (4, "person1, share1, person2, share2", "The credit shares add up to 90 %, not 100 %."),
        (5, "gross_margin", "Gross margin 20 cannot exceed the amount 10."),
        (6, "amount", "Amount has more than 2 decimals: 10.123."),
    ]
    assert snapshot() == before


def test_dates_in_the_future_are_named_by_row_and_column(client_as, world, time_machine):
    time_machine.move_to("2026-03-12 09:00 +08:00")
    rows = [
        [*HEADER, "collected_amount", "collected_on"],
        [*GOOD[0], "", ""],
        [*GOOD[1][:1], "2026-03-14", *GOOD[1][2:], "", ""],
        ["ERP-3", "2026-03-12", *GOOD[1][2:], "10", "2026-03-11"],
        ["ERP-4", *GOOD[1][1:], "10", "2026-03-31"],
    ]
    before = snapshot()
    response = post(client_as("department"), csv_bytes(rows))
    assert response.status_code == 400
    assert errors(response) == [
        (3, "date", "The sale's date 2026-03-14 is in the future: the latest date allowed is "
                    "2026-03-13."),
        (4, "collected_on", "The collection date 2026-03-11 is before the sale's date "
                            "2026-03-12: an amount is collected on or after the day of the sale."),
        (5, "collected_on", "The collection date 2026-03-31 is in the future: the latest date "
                            "allowed is 2026-03-13. Enter the collection once the money is "
                            "received."),
    ]  # fmt: skip
    assert snapshot() == before


def test_malformed_and_refused_rows_are_listed_together(client_as, world):
    """A bad cell does not hide what the service would refuse in the other rows."""
    rows = [
        HEADER,
        ["ERP-1", "not a date", "C-1", "", "10", "1", "", "sam", "100", "", ""],
        ["ERP-2", "2026-03-10", "C-1", "", "10", "1", "", "sam", "50", "tina", "40"],
    ]
    before = snapshot()
    response = post(client_as("department"), csv_bytes(rows))
    assert [(row, column) for row, column, _m in errors(response)] == [
        (2, "date"),
        (3, "person1, share1, person2, share2"),
    ]
    assert snapshot() == before


def test_duplicate_and_missing_external_ids_and_credit_columns(client_as, world):
    rows = [
        ["external_id", "date", "customer", "amount", "salesperson", "person1", "share1"],
        ["ERP-1", "2026-03-10", "C-1", "10", "sam", "", ""],
        ["ERP-1", "2026-03-10", "C-1", "10", "sam", "", ""],
        ["", "2026-03-10", "C-1", "10", "sam", "", ""],
        ["ERP-3", "2026-03-10", "C-1", "10", "sam", "tina", "100"],
        ["ERP-4", "2026-03-10", "C-1", "10", "", "", ""],
        ["ERP-5", "2026-03-10", "C-1", "10", "", "", "100"],
    ]
    response = post(client_as("department"), csv_bytes(rows))
    assert response.status_code == 400
    assert errors(response) == [
        (3, "external_id", "External id ERP-1 is also in row 2."),
        (
            4,
            "external_id",
            "The external id is missing: it makes a second import update the record.",
        ),
        (
            5,
            "salesperson",
            "Give either the salesperson or the person and share columns, not both.",
        ),
        (6, "salesperson", "Name the salesperson credited with this sale."),
        (7, "person1", "share1 is given without a salesperson in person1."),
    ]
    assert SalesRecord.objects.count() == 0


def test_a_missing_share_in_a_shared_sale_is_named(client_as, world):
    rows = [HEADER, ["ERP-1", "2026-03-10", "C-1", "", "10", "1", "", "sam", "", "tina", "50"]]
    response = post(client_as("department"), csv_bytes(rows))
    assert errors(response) == [(2, "share1", "The share of sam is missing.")]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "sales.csv", "The submitted file is empty."),
        (b"\r\n \r\n", "sales.csv", "The file is empty."),
        (b"\xff\xfe\x00bad", "sales.csv", "The file is not UTF-8 text"),
        (b"not a zip", "sales.xlsx", "The file is not a valid XLSX workbook."),
        (b"external_id,date\r\n", "sales.csv", "lacks the column(s) customer, amount"),
        (
            b"external_id,date,customer,amount\r\n",
            "sales.csv",
            "needs a salesperson column, or person1 and share1",
        ),
        (
            b"external_id,date,customer,amount,salesperson\r\n",
            "sales.csv",
            "The file has a header row but no records.",
        ),
        (
            b"external_id,date,customer,amount,salesperson,share2\r\n",
            "sales.csv",
            "share2 without the matching person column",
        ),
        (
            b"external_id,date,date,customer,amount,salesperson\r\n",
            "sales.csv",
            "The header row names date twice.",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_reason(client_as, world, data, name, message):
    response = post(client_as("department"), data, name)
    assert response.status_code == 400
    text = " ".join(m for _r, _c, m in errors(response)) or str(response.context["form"].errors)
    assert message in text
    assert SalesRecord.objects.count() == 0


def test_a_file_larger_than_the_setting_is_refused(client_as, world, settings):
    settings.SALES_IMPORT_MAX_BYTES = 100
    response = post(client_as("department"), csv_bytes([HEADER, *GOOD]))
    assert response.status_code == 400
    assert "The file is larger than 100 bytes" in response.content.decode()
    assert SalesRecord.objects.count() == 0


def test_a_record_in_a_closed_period_is_not_changed_by_a_reimport(client_as, world):
    client = client_as("department")
    post(client, csv_bytes([HEADER, *GOOD]))
    set_status(month(world["year"], 3), Period.Status.CLOSED)
    changed = [[*GOOD[0][:4], "1", "1", "", "sam", "100", "", ""]]
    response = post(client, csv_bytes([HEADER, *changed]))
    assert response.status_code == 400
    assert errors(response)[0][:2] == (2, "external_id")
    assert SalesRecord.objects.get(external_id="ERP-1").amount == D("1000.00")


def test_a_status_column_cancels_and_an_import_without_it_keeps_a_cancellation(client_as, world):
    client = client_as("department")
    post(client, csv_bytes([[*HEADER, "status"], [*GOOD[0], "cancelled"], [*GOOD[1], ""]]))
    assert SalesRecord.objects.get(external_id="ERP-1").status == "cancelled"
    assert SalesRecord.objects.get(external_id="ERP-2").status == "booked"
    post(client, csv_bytes([HEADER, *GOOD]))  # no status column: nothing re-booked
    assert SalesRecord.objects.get(external_id="ERP-1").status == "cancelled"
    response = post(client, csv_bytes([[*HEADER, "status"], [*GOOD[0], "lost"]]))
    assert [(row, column) for row, column, _message in errors(response)] == [(2, "status")]
    assert SalesRecord.objects.get(external_id="ERP-1").status == "cancelled"
    post(client, csv_bytes([[*HEADER, "status"], [*GOOD[0], "Booked"]]))
    assert SalesRecord.objects.get(external_id="ERP-1").status == "booked"
