"""Import of customer satisfaction responses from CSV or XLSX (the department).

The columns are declared here and `core.imports` reads the file (a UTF-8 CSV file,
or the first sheet of a workbook; columns named in the header, in any order); every
row goes to `services_feedback.satisfaction_bulk_upsert`, which checks the whole file
first (unknown customers and salespeople named, scores 1-5, dates in an open month,
external ids once) and writes nothing if any row is wrong. Each problem names the
row of the file (the header is row 1) and the column.

Rows with an external id are idempotent: importing the file again updates them.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy

from core.imports import (
    Column,
    ImportResult,
    Layout,
    RowsRefused,
    issues_of,
    read_file,
)
from core.spreadsheets import csv_file
from sales.feedback import services

COLUMNS: tuple[Column, ...] = (
    Column(
        "customer",
        gettext_lazy("The customer's external id or, if it has none, its exact name."),
        required=True,
        type=None,
    ),
    Column("salesperson", gettext_lazy("The salesperson's username."), required=True, type=None),
    Column(
        "answered_on",
        gettext_lazy("The day the customer answered, YYYY-MM-DD, in an open month."),
        required=True,
        type=None,
    ),
    Column(
        "score",
        gettext_lazy("A whole number from 1 (poor) to 5 (excellent)."),
        required=True,
        type=None,
    ),
    Column("comment", gettext_lazy("The customer's words (optional)."), type=None),
    Column(
        "external_id",
        gettext_lazy(
            "The survey system's id of the answer (optional): importing the same id again "
            "updates the response instead of adding one."
        ),
        type=None,
    ),
)
LAYOUT = Layout(
    "satisfaction", COLUMNS, empty=gettext_lazy("The file has a header row but no responses.")
)


def import_satisfaction(upload, *, filename: str, acting_user) -> ImportResult:
    """Check the whole file, then write every response, or nothing."""
    tables, problems = read_file(
        upload, filename=filename, layouts=[LAYOUT], max_bytes=settings.SALES_IMPORT_MAX_BYTES
    )
    if problems:
        return ImportResult(errors=problems)
    rows = tables[0].rows
    try:
        counts = services.satisfaction_bulk_upsert(
            [row.values for row in rows], acting_user=acting_user
        )
    except RowsRefused as refused:
        return ImportResult(errors=issues_of(refused, rows))
    return ImportResult(created=counts["created"], updated=counts["updated"])


def template_csv() -> bytes:
    """An empty file with the header row and one example row."""
    return csv_file(
        LAYOUT.names,
        [["C-1001", "wei.zhang", "2026-03-12", "5", "Quick answers", "survey-881"]],
    )
