"""Importing satisfaction responses from CSV and XLSX: the whole file is checked
first, every problem names the file's row (the header is row 1) and column, unknown
customers and salespeople are named, and nothing is written when anything is wrong.
Importing the same file again updates the rows with an external id."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from sales.feedback import imports
from sales.models import SatisfactionResponse
from tests.conftest import PERSONAS
from tests.sales.helpers import month, set_status

HEADER = "customer,salesperson,answered_on,score,comment,external_id\n"
GOOD = HEADER + (
    "C-1,sam,2026-03-02,5,Great service,S-1\n"
    "Initech,oscar,2026-03-03,3,,S-2\n"
    "\n"
    "globex,sam,2026-03-04,4,No id,\n"
)


def run(org, content, name="answers.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return imports.import_satisfaction(data, filename=name, acting_user=org.department)


def problems(result):
    return [(e.row, e.column) for e in result.errors]


def test_a_csv_file_is_imported_and_again_updates(org, fb):
    result = run(org, GOOD)
    assert result.ok and (result.created, result.updated) == (3, 0)
    by_id = {r.external_id: r for r in SatisfactionResponse.objects.all()}
    assert by_id["S-1"].customer == fb.globex and by_id["S-1"].score == 5
    assert by_id["S-2"].salesperson == org.other_salesperson
    assert by_id[None].comment == "No id"
    assert by_id["S-1"].entered_by == org.department
    again = run(org, GOOD.replace("Great service", "Still great"))
    assert (again.created, again.updated) == (1, 2)  # the row without an id is new again
    assert SatisfactionResponse.objects.get(external_id="S-1").comment == "Still great"


def test_a_workbook_with_columns_in_any_order_is_imported(org, fb):
    book = Workbook()
    sheet = book.active
    sheet.append(["Score", "Answered On", "Salesperson", "Customer", "Notes"])
    sheet.append([4, datetime.datetime(2026, 3, 5), "sam", "C-1", "ignored column"])
    sheet.append([2.0, datetime.date(2026, 3, 6), "oscar", "C-2", ""])
    out = io.BytesIO()
    book.save(out)
    result = run(org, out.getvalue(), name="answers.xlsx")
    assert result.ok and result.created == 2
    scores = sorted(SatisfactionResponse.objects.values_list("score", "answered_on"))
    assert scores == [(2, datetime.date(2026, 3, 6)), (4, datetime.date(2026, 3, 5))]


def test_every_bad_row_is_named_and_nothing_is_written(org, fb):
    set_status(month(fb.year, 2), "closed")
    content = HEADER + (
        "C-1,sam,2026-03-02,5,,S-1\n"  # row 2: fine
        "C-404,sam,2026-03-02,5,,\n"  # row 3: unknown customer
        "C-1,nobody,2026-03-02,5,,\n"  # row 4: unknown salesperson
        "C-1,sam,2026-02-10,5,,\n"  # row 5: closed month
        "C-1,sam,2026-03-02,six,,\n"  # row 6: not a score
        "C-1,sam,2026-03-02,5,,S-1\n"  # row 7: the same external id twice
        "C-1,sam,,5,,\n"  # row 8: no date
    )
    result = run(org, content)
    assert problems(result) == [
        (3, "customer"),
        (4, "salesperson"),
        (5, "answered_on"),
        (6, "score"),
        (7, "external_id"),
        (8, "answered_on"),
    ]
    text = {e.row: e.message for e in result.errors}
    assert "Unknown customer: C-404" in text[3]
    assert "Unknown salesperson: nobody" in text[4]
    assert "is closed" in text[5]
    assert "also in row 1" in text[7] or "also in row" in text[7]
    assert not SatisfactionResponse.objects.exists()


def test_blank_lines_keep_the_file_row_numbers(org, fb):
    content = HEADER + "\nC-1,sam,2026-03-02,5,,\n\nC-9,sam,2026-03-02,5,,\n"
    assert problems(run(org, content)) == [(5, "customer")]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("", "a.csv", "The file is empty."),
        ("customer,salesperson,score\nC-1,sam,5\n", "a.csv", "lacks the column(s) answered_on"),
        (HEADER + HEADER.replace("\n", ",score\n"), "a.csv", None),
        (HEADER, "a.csv", "header row but no responses"),
        (b"\xff\xfe\x00bad", "a.csv", "not UTF-8"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.xls", "Old Excel files"),
        ("not a workbook", "a.xlsx", "not a valid XLSX workbook"),
        (b"PK\x03\x04broken", "a.xlsx", "not a valid XLSX workbook"),
    ],
)
def test_unreadable_files_are_refused(org, fb, content, name, message):
    result = run(org, content, name=name)
    assert not result.ok
    if message:
        assert message in result.errors[0].message
    assert not SatisfactionResponse.objects.exists()


def test_a_header_naming_a_column_twice_is_refused(org, fb):
    result = run(org, "customer,salesperson,answered_on,score,score\nC-1,sam,2026-03-02,5,4\n")
    assert "names score twice" in result.errors[0].message


def test_a_file_too_large_is_refused(org, fb, settings):
    settings.SALES_IMPORT_MAX_BYTES = 50
    result = run(org, GOOD)
    assert "larger than" in result.errors[0].message
    assert not SatisfactionResponse.objects.exists()


# --- the page ----------


def upload(content: str, name: str = "answers.csv"):
    return SimpleUploadedFile(name, content.encode("utf-8"), content_type="text/csv")


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_department_imports(client_as, fb, persona):
    response = client_as(persona).post(reverse("sales:satisfaction-import"), {"file": upload(GOOD)})
    if persona == "department":
        assert response.status_code == 302
        assert SatisfactionResponse.objects.count() == 3
    elif persona == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == 403
        assert not SatisfactionResponse.objects.exists()


def test_the_page_lists_the_problems_by_row_and_column(client_as, fb):
    response = client_as("department").post(
        reverse("sales:satisfaction-import"),
        {"file": upload(HEADER + "C-1,ghost,2026-03-02,5,,\n")},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Nothing was imported" in text
    assert "<code>salesperson</code>" in text and "Unknown salesperson: ghost" in text
    assert not SatisfactionResponse.objects.exists()


def test_the_page_refuses_a_file_too_large_before_reading_it(client_as, fb, settings):
    settings.SALES_IMPORT_MAX_BYTES = 10
    response = client_as("department").post(
        reverse("sales:satisfaction-import"), {"file": upload(GOOD)}
    )
    assert response.status_code == 400 and "larger than" in response.content.decode()
