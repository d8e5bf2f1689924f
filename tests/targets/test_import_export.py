"""Import of targets (CSV, XLSX; validated whole, errors by row and column, nothing
written when one row is bad) and export (visible targets only, no formula injection)."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from org.models import Period
from targets import imports
from targets.models import Target
from tests.conftest import PERSONAS, by_persona
from tests.factories import (
    MembershipFactory,
    OrgUnitFactory,
    UserFactory,
    make_target,
    new_customers_metric,
)
from tests.files import csv_bytes, upload, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["metric", "period", "owner_type", "owner", "value"]


# The pages of the supervisors and the department (the others: 403).
LEADERS = by_persona(403, supervisor=200, other_supervisor=200, department=200, anonymous=302)


@pytest.fixture
def customers(db):
    return new_customers_metric(code="new-customers", name_zh="", position=0)


def snapshot():
    return Target.objects.count(), Target.history.count()


GOOD_ROWS = [
    ["revenue", "FY2026", "unit", "t-east-1", "300000"],
    ["revenue", "FY2026 Q1", "unit", "t-east-1", "75000.50"],
    ["revenue", "2026-03", "person", "sam", "10000"],
    ["new-customers", "FY2026", "person", "tina", "12"],
]


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_department_imports(client_as, persona, fy, metric):
    response = client_as(persona).get(reverse("targets:import"))
    assert response.status_code == {"department": 200, "anonymous": 302}.get(persona, 403)
    if persona == "department":
        html = response.content.decode()
        assert "FY2026 Q1" in html and "2026-03" in html  # the period formats are documented


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_department_and_supervisors_export(client_as, persona, fy, metric):
    response = client_as(persona).get(reverse("targets:export"), {"fiscal_year": fy.pk})
    expected = LEADERS[persona]
    assert response.status_code == expected


@pytest.mark.parametrize("persona", ["supervisor", "salesperson", "hr"])
def test_nobody_but_the_department_posts_an_import(client_as, persona, fy, metric):
    before = snapshot()
    response = client_as(persona).post(
        reverse("targets:import"), {"file": upload(csv_bytes([HEADER, *GOOD_ROWS]), "t.csv")}
    )
    assert response.status_code == 403
    assert snapshot() == before


# --- importing ------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [csv_bytes, xlsx_bytes], ids=["csv", "xlsx"])
def test_a_good_file_writes_drafts_audited_with_the_importer(org, fy, metric, customers, make):
    name = "targets.csv" if make is csv_bytes else "targets.xlsx"
    result = imports.import_targets(
        make([HEADER, *GOOD_ROWS]), filename=name, acting_user=org.department
    )
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (4, 0, 0)
    march = fy.periods.get(kind=Period.Kind.MONTH, number=3)
    sam = Target.objects.get(person=org.salesperson, period=march)
    assert (sam.value, sam.team, sam.status) == (Decimal("10000"), org.team, "draft")
    quarter = Target.objects.get(unit=org.team, period__kind="quarter", period__number=1)
    assert quarter.value == Decimal("75000.50")
    record = sam.history.first()
    assert record.history_user == org.department
    assert record.history_change_reason == f"import: {name}"


def test_a_movers_parts_are_imported_by_team_and_exported_with_it(org, fy, metric, client_as):
    """sam moved from East Team 1 to East Team 2 on 1 July: the `team` column names the
    part; without it the part is in the team he was last in; a team he was not in
    during the period is refused naming the row and the column."""
    import datetime

    from org.services import person_move_team

    person_move_team(user=org.salesperson, new_unit=org.team2, on=datetime.date(2026, 7, 1))
    rows = [
        [*HEADER, "team"],
        ["revenue", "FY2026", "person", "sam", "181.00", "t-east-1"],
        ["revenue", "FY2026", "person", "sam", "184.00", ""],
    ]
    result = imports.import_targets(csv_bytes(rows), filename="t.csv", acting_user=org.department)
    assert result.ok, result.errors
    parts = {t.team: t.value for t in Target.objects.filter(person=org.salesperson)}
    assert parts == {org.team: Decimal("181.00"), org.team2: Decimal("184.00")}
    bad = [
        [*HEADER, "team"],
        ["revenue", "2026-03", "person", "sam", "1", "t-east-2"],  # he moved in July
        ["revenue", "2026-03", "person", "sam", "1", "nowhere"],
    ]
    before = snapshot()
    result = imports.import_targets(csv_bytes(bad), filename="t.csv", acting_user=org.department)
    assert [(e.row, e.column) for e in result.errors] == [(2, "team"), (3, "team")]
    assert "was not a member of t-east-2 during March 2026" in result.errors[0].message
    assert snapshot() == before
    export = client_as("department").get(
        reverse("targets:export"), {"fiscal_year": fy.pk, "format": "csv"}
    )
    lines = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert {(r[3], r[4], r[7]) for r in lines[1:]} == {
        ("sam", "181.00", "t-east-1"),
        ("sam", "184.00", "t-east-2"),
    }


def test_importing_the_same_file_again_changes_nothing(org, fy, metric, customers):
    data = csv_bytes([HEADER, *GOOD_ROWS])
    imports.import_targets(data, filename="t.csv", acting_user=org.department)
    before = snapshot()
    result = imports.import_targets(data, filename="t.csv", acting_user=org.department)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 4)
    assert snapshot() == before


def test_an_import_updates_existing_drafts(org, fy, metric):
    year = fy.periods.get(kind="year")
    target = make_target(metric, year, 1, unit=org.team)
    result = imports.import_targets(
        csv_bytes([HEADER, ["revenue", "fy2026", "UNIT", "T-EAST-1", "2500.5"]]),
        filename="t.csv",
        acting_user=org.department,
    )
    assert result.ok and result.updated == 1
    target.refresh_from_db()
    assert target.value == Decimal("2500.50")


@pytest.fixture
def problem_setup(org, fy, metric):
    """A published target, a closed month and a person who left before 2026."""
    year = fy.periods.get(kind="year")
    make_target(metric, year, 1, unit=org.east, status="published")
    Period.objects.filter(fiscal_year=fy, kind="month", number=1).update(status="closed")
    leaver = UserFactory(username="lee")
    MembershipFactory(user=leaver, unit=org.team, end_date="2025-06-30")
    return org


BAD_ROWS = [
    (["sales", "FY2026", "unit", "t-east-1", "1"], "metric", "Unknown metric"),
    (["revenue", "FY2031", "unit", "t-east-1", "1"], "period", "Unknown period"),
    (["revenue", "FY2026 Q5", "unit", "t-east-1", "1"], "period", "Unknown period"),
    (["revenue", "FY2026", "team", "t-east-1", "1"], "owner_type", "unit or person"),
    (["revenue", "FY2026", "unit", "nowhere", "1"], "owner", "Unknown unit"),
    (["revenue", "FY2026", "person", "nobody", "1"], "owner", "Unknown person"),
    (["revenue", "FY2026", "person", "lee", "1"], "owner", "not in a sales team"),
    (["revenue", "FY2026", "unit", "t-east-1", "-1"], "value", "cannot be negative"),
    (["revenue", "FY2026", "unit", "t-east-1", "abc"], "value", "is not a number"),
    (["revenue", "FY2026", "unit", "t-east-1", "2,5"], "value", "comma is ambiguous"),
    (["revenue", "FY2026", "unit", "t-east-1", ""], "value", "missing"),
    (["revenue", "FY2026", "unit", "t-east-1", "1.234"], "value", "at most 2 decimals"),
    (["revenue", "2026-01", "unit", "t-east-1", "1"], "period", "closed"),
    (["revenue", "FY2026", "unit", "east", "5"], "value", "published"),
    (["revenue", "FY2026", "unit", "t-east-2", "5"], "owner", "already in row 2"),
]


@pytest.mark.parametrize("make", [csv_bytes, xlsx_bytes], ids=["csv", "xlsx"])
@pytest.mark.parametrize(("bad", "column", "words"), BAD_ROWS, ids=[b[2] for b in BAD_ROWS])
def test_one_bad_row_stops_the_whole_import_and_is_named_by_row_and_column(
    problem_setup, make, bad, column, words
):
    org = problem_setup
    rows = [
        HEADER,
        ["revenue", "FY2026", "unit", "t-east-2", "5"],
        ["revenue", "FY2026 Q2", "person", "sam", "7"],
        bad,
        ["revenue", "2026-04", "unit", "t-south-1", "9"],
    ]
    before = snapshot()
    name = "t.csv" if make is csv_bytes else "t.xlsx"
    result = imports.import_targets(make(rows), filename=name, acting_user=org.department)
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(4, column)]
    assert words in result.errors[0].message
    assert snapshot() == before


def test_every_problem_is_reported_not_only_the_first(org, fy, metric):
    rows = [
        HEADER,
        ["nope", "FY2026", "unit", "t-east-1", "1"],
        ["revenue", "never", "person", "ghost", "-4"],
    ]
    result = imports.import_targets(csv_bytes(rows), filename="t.csv", acting_user=None)
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "metric"),
        (3, "period"),
        (3, "owner"),
        (3, "value"),
    ]


def test_a_count_metric_refuses_decimals_in_an_import(org, fy, customers):
    result = imports.import_targets(
        csv_bytes([HEADER, ["new-customers", "FY2026", "unit", "acme", "2.5"]]),
        filename="t.csv",
        acting_user=None,
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "value")]
    assert "whole numbers" in result.errors[0].message


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"metric,period,owner\r\nrevenue,FY2026,acme\r\n", "lacks the column"),
        (b"metric,period,owner_type,owner,value\r\n", "no targets"),
        (b"PK\x03\x04not really a zip", "not a valid XLSX"),
        (
            "metric,period,owner_type,owner,value\r\nrevenue,FY2026,unit,acme,1\r\n".encode(
                "utf-16"
            ),
            "UTF-8",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(org, fy, metric, data, words):
    result = imports.import_targets(data, filename="t.csv", acting_user=None)
    assert not result.ok and words in result.errors[0].message
    assert not Target.objects.exists()


def test_the_import_page_lists_the_problems_and_writes_nothing(client_as, problem_setup):
    rows = [HEADER, ["revenue", "FY2026", "unit", "t-east-1", "1"], BAD_ROWS[0][0]]
    before = snapshot()
    response = client_as("department").post(
        reverse("targets:import"), {"file": upload(csv_bytes(rows), "bad.csv")}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported" in html and "Unknown metric: sales" in html
    assert snapshot() == before


def test_the_import_page_imports_a_good_xlsx_file(client_as, org, fy, metric, customers):
    response = client_as("department").post(
        reverse("targets:import"), {"file": upload(xlsx_bytes([HEADER, *GOOD_ROWS]), "t.xlsx")}
    )
    assert response.status_code == 302
    assert Target.objects.count() == 4


def test_a_big_import_reads_in_a_fixed_number_of_queries_and_writes_in_bulk(org, fy, metric):
    people = []
    for n in range(60):
        person = UserFactory(username=f"rep{n:02d}")
        MembershipFactory(user=person, unit=org.team2)
        people.append(person)
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    rows = [HEADER] + [
        ["revenue", month, "person", p.username, "100"] for p in people for month in months
    ]
    assert len(rows) == 721
    with CaptureQueriesContext(connection) as queries:
        result = imports.import_targets(
            csv_bytes(rows), filename="t.csv", acting_user=org.department
        )
    assert result.ok and result.created == 720
    selects = [q for q in queries if q["sql"].startswith("SELECT")]
    assert len(selects) <= 8
    # inserts go in batches (SQLite limits the parameters of one statement), not row by row
    assert len(queries) <= 40
    assert Target.history.filter(history_user=org.department).count() == 720


# --- export ---------------------------------------------------------------------------------


@pytest.fixture
def exported(org, fy, metric):
    year = fy.periods.get(kind="year")
    march = fy.periods.get(kind="month", number=3)
    evil = OrgUnitFactory(code="t-evil", name='=HYPERLINK("http://x")', parent=org.south)
    make_target(metric, year, "1000", unit=org.company)
    make_target(metric, year, "5", unit=evil)
    make_target(metric, march, "12.5", person=org.salesperson, team=org.team)
    Target.objects.create(
        metric=metric, period=march, person=org.other_salesperson, team=org.other_team, value=1
    )
    return org


def read_csv(response):
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_export_has_a_header_and_every_target(client_as, exported, fy):
    response = client_as("department").get(
        reverse("targets:export"), {"fiscal_year": fy.pk, "format": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="targets-FY2026.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == [*HEADER, "status", "owner_name", "team"]
    assert ["revenue", "FY2026", "unit", "acme", "1000.00", "draft", "ACME", ""] in rows
    assert ["revenue", "2026-03", "person", "sam", "12.50"] in [r[:5] for r in rows]
    assert len(rows) == 5


def test_the_export_neutralises_cells_a_spreadsheet_would_run(client_as, exported, fy):
    client = client_as("department")
    rows = read_csv(client.get(reverse("targets:export"), {"fiscal_year": fy.pk}))
    evil = next(r for r in rows if r[3] == "t-evil")
    assert evil[6] == '\'=HYPERLINK("http://x")'
    response = client.get(reverse("targets:export"), {"fiscal_year": fy.pk, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [row[6] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://x")' in names
    assert all(not str(name).startswith("=") for name in names)
    values = [row[4] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(v, int | float) for v in values)


def test_neutralise_covers_every_formula_start():
    for start in "=+-@":
        assert imports.neutralise(f"{start}1+1") == f"'{start}1+1"
    assert imports.neutralise("plain") == "plain"
    assert imports.neutralise(Decimal("-1")) == Decimal("-1")


def test_a_supervisor_exports_only_the_targets_they_see(client_as, exported, fy):
    rows = read_csv(client_as("supervisor").get(reverse("targets:export"), {"fiscal_year": fy.pk}))
    owners = {r[3] for r in rows[1:]}
    assert owners == {"sam"}


def test_an_exported_file_imports_again_unchanged(client_as, exported, fy):
    Target.objects.filter(unit__code="t-evil").delete()
    client = client_as("department")
    response = client.get(reverse("targets:export"), {"fiscal_year": fy.pk, "format": "xlsx"})
    before = snapshot()
    result = imports.import_targets(response.content, filename="again.xlsx", acting_user=None)
    assert result.ok, result.errors
    assert result.unchanged == 3
    assert snapshot() == before


def test_the_export_filters_by_metric(client_as, exported, fy, customers):
    make_target(customers, fy.periods.get(kind="year"), 3, unit=exported.company)
    response = client_as("department").get(
        reverse("targets:export"), {"fiscal_year": fy.pk, "metric": customers.pk}
    )
    rows = read_csv(response)
    assert [r[0] for r in rows[1:]] == ["new-customers"]
    assert 'filename="targets-FY2026-new-customers.csv"' in response["Content-Disposition"]
