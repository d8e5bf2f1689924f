"""The one import pipeline (core.imports): the upload's size limit, the reader of CSV
files and workbooks (a table per sheet), the header check, the declared columns read
by one row validator, and the bulk services' row check. No database."""

import datetime
import io
from decimal import Decimal

import pytest

from core.errors import DomainError
from core.forms import ImportUploadForm
from core.imports import (
    CHOICE,
    DATE,
    DECIMAL,
    Column,
    Layout,
    RowsRefused,
    check_rows,
    read_tables,
    read_upload,
)
from tests.files import csv_bytes, xlsx_bytes

COLUMNS = (
    Column("code", required=True, needed=True, max_length=5),
    Column("amount", required=True, type=DECIMAL, needed=True),
    Column("day", type=DATE),
    Column("kind", type=CHOICE, choices=("red", "blue"), default="red"),
    Column("note"),
)
THINGS = Layout("things", COLUMNS, empty="The file has a header row but no things.")
PETS = Layout("pets", (Column("name", required=True),), strict=True)


def read(data, name="f.csv", layouts=(THINGS,), kind=None):
    return read_tables(data, filename=name, layouts=list(layouts), kind=kind, max_bytes=10_000)


def problems(issues):
    return [(i.sheet, i.row, i.column) for i in issues]


# --- the upload -----------------------------------------------------------------------------


def test_an_upload_within_the_limit_is_read():
    upload = io.BytesIO(b"x" * 10)
    assert read_upload(upload, max_bytes=10) == (b"x" * 10, [])


def test_an_upload_over_the_limit_is_refused_with_the_limit_in_words():
    data, issues = read_upload(io.BytesIO(b"x" * 11), max_bytes=10)
    assert data == b""
    assert "larger than 10 bytes" in issues[0].message


def test_the_upload_form_refuses_a_file_over_its_limit():
    from django.core.files.uploadedfile import SimpleUploadedFile

    small = SimpleUploadedFile("a.csv", b"abc")
    big = SimpleUploadedFile("a.csv", b"x" * 2048)
    assert ImportUploadForm({}, {"file": small}, max_bytes=1024).is_valid()
    form = ImportUploadForm({}, {"file": big}, max_bytes=1024)
    assert not form.is_valid() and "larger than 1 KB" in form.errors["file"][0]


# --- the reader -----------------------------------------------------------------------------


def test_csv_and_xlsx_give_the_same_rows_and_skip_blank_rows_keeping_numbers():
    rows = [["Code", "amount"], ["a", "1"], ["", ""], ["b", "2"]]
    for data, name in ((csv_bytes(rows), "f.csv"), (xlsx_bytes({"x": rows}), "f.xlsx")):
        tables, issues = read(data, name)
        assert issues == []
        assert [(r.number, r.text("code")) for r in tables[0].rows] == [(2, "a"), (4, "b")]


def test_semicolons_and_a_byte_order_mark_are_read():
    tables, issues = read(b"\xef\xbb\xbfcode;amount\r\na;1\r\n")
    assert issues == [] and tables[0].rows[0].values == {"code": "a", "amount": "1"}


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b" \r\n", "f.csv", "The file is empty."),
        (b"\xff\xfebad", "f.csv", "not UTF-8"),
        (b"PK\x03\x04broken", "f.xlsx", "not a valid XLSX workbook"),
        (b"plain", "f.xlsx", "not a valid XLSX workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "f.xls", "Old Excel files"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(data, name, words):
    tables, issues = read(data, name)
    assert tables == [] and words in issues[0].message and issues[0].row is None


# --- the header -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "column", "words"),
    [
        (csv_bytes([["code"], ["a"]]), "amount", "lacks the column(s) amount"),
        (csv_bytes([["code", "amount", "code"], ["a", "1", "b"]]), "code", "names code twice"),
        (csv_bytes([["code", "amount"]]), "", "header row but no things"),
        (b"\r\n,\r\n", "", "no header row"),
    ],
)
def test_header_problems_name_the_columns(data, column, words):
    tables, issues = read(data)
    assert tables == []
    assert words in issues[0].message and issues[0].column == column


def test_a_strict_table_refuses_unknown_columns_and_values_outside_the_header():
    _tables, issues = read(csv_bytes([["name", "age"], ["rex", "3"]]), layouts=[PETS])
    assert problems(issues) == [("", 1, "age")]
    _tables, issues = read(csv_bytes([["name"], ["rex", "stray"]]), layouts=[PETS])
    assert problems(issues) == [("", 2, "B")]


def test_a_lenient_table_ignores_unknown_columns():
    tables, _issues = read(csv_bytes([["code", "amount", "colour"], ["a", "1", "red"]]))
    assert tables[0].columns == ["code", "amount"] and "colour" not in tables[0].rows[0].values


# --- a table per sheet or kind -------------------------------------------------------------


def test_a_workbook_gives_one_table_per_sheet_named_after_it():
    data = xlsx_bytes({"Pets": [["name"], ["rex"]], "Things": [["code", "amount"], ["a", "1"]]})
    tables, issues = read(data, "f.xlsx", layouts=[THINGS, PETS])
    assert issues == []
    assert [(t.kind, t.sheet) for t in tables] == [("things", "Things"), ("pets", "Pets")]


def test_a_csv_file_of_several_kinds_needs_its_kind():
    data = csv_bytes([["name"], ["rex"]])
    _tables, issues = read(data, layouts=[THINGS, PETS])
    assert "things or pets" in issues[0].message
    tables, issues = read(data, layouts=[THINGS, PETS], kind="pets")
    assert issues == [] and tables[0].sheet == "pets"


def test_problems_of_a_sheet_name_the_sheet():
    data = xlsx_bytes({"pets": [["name", "age"], ["rex", "3"]]})
    _tables, issues = read(data, "f.xlsx", layouts=[THINGS, PETS])
    assert problems(issues) == [("pets", 1, "age")]


def test_a_workbook_with_two_sheets_for_one_kind_is_refused():
    data = xlsx_bytes({"pets": [["name"]], " Pets ": [["name"]]})
    _tables, issues = read(data, "f.xlsx", layouts=[THINGS, PETS])
    assert "two sheets for pets" in issues[0].message


# --- the row validator ----------------------------------------------------------------------


def check(rows):
    tables, issues = read(csv_bytes([["code", "amount", "day", "kind", "note"], *rows]))
    assert issues == []
    return THINGS.check(tables[0])


def test_good_cells_are_read_as_their_types():
    good, issues = check([["a", "12.50", "2026-03-01", "BLUE", "hi"], ["b", "1", "", "", ""]])
    assert issues == []
    assert [values for _row, values in good] == [
        {
            "code": "a",
            "amount": Decimal("12.50"),
            "day": datetime.date(2026, 3, 1),
            "kind": "blue",
            "note": "hi",
        },
        {"code": "b", "amount": Decimal(1), "day": None, "kind": "red", "note": ""},
    ]


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        (["", "1", "", "", ""], "code", "The code is missing."),
        (["toolong", "1", "", "", ""], "code", "The code is longer than 5 characters."),
        (["a", "", "", "", ""], "amount", "The amount is missing."),
        (["a", "abc", "", "", ""], "amount", "abc is not a number."),
        (["a", "1,000", "", "", ""], "amount", "Write 1,000 without separators"),
        (["a", "1", "10/03/2026", "", ""], "day", "10/03/2026 is not a date: write YYYY-MM-DD."),
        (["a", "1", "", "green", ""], "kind", "Unknown kind “green”. Use one of: red, blue."),
    ],
)
def test_a_bad_cell_is_named_by_row_and_column(cells, column, message):
    good, issues = check([["ok", "1", "", "", ""], cells])
    assert [row.number for row, _values in good] == [2]
    assert [(i.row, i.column) for i in issues] == [(3, column)]
    assert message in issues[0].message


def test_an_absent_optional_column_is_left_out_of_the_values():
    tables, _issues = read(csv_bytes([["code", "amount"], ["a", "1"]]))
    good, _issues = THINGS.check(tables[0])
    assert good[0][1] == {"code": "a", "amount": Decimal(1)}


# --- the bulk services' row check -----------------------------------------------------------


class Problem(DomainError):
    def __init__(self, field_name, message):
        self.field = field_name
        super().__init__(message)


def parse(row):
    if not row.get("name"):
        raise Problem("name", "The name is missing.")
    return {"name": row["name"], "external_id": row.get("external_id")}


def prepare(data, found):
    if data["name"] in found:
        raise Problem("name", "Taken.")
    return data["name"]


def test_check_rows_prepares_every_row_when_all_are_right():
    rows = [{"name": "a", "external_id": "1"}, {"name": "b"}]
    assert check_rows(
        rows, parse=parse, load=lambda v: set(), prepare=prepare, problem=Problem
    ) == [
        "a",
        "b",
    ]


def test_check_rows_names_every_bad_row_and_field():
    rows = [
        {"name": "a", "external_id": "1"},
        "not a dict",
        {"name": ""},
        {"name": "b", "external_id": "1"},
        {"name": "taken"},
    ]
    with pytest.raises(RowsRefused) as refused:
        check_rows(rows, parse=parse, load=lambda v: {"taken"}, prepare=prepare, problem=Problem)
    assert [(e.row, e.field) for e in refused.value.errors] == [
        (2, "row"),
        (3, "name"),
        (4, "external_id"),
        (5, "name"),
    ]
