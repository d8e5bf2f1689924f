"""Import of customer satisfaction responses from CSV or XLSX (the department).

1. `parse_file` reads the header row and the data rows (a UTF-8 CSV file, or the
   first sheet of a workbook); columns are named in the header, in any order;
2. `import_satisfaction` hands every row to
   `services_feedback.satisfaction_bulk_upsert`, which checks the whole file first
   (unknown customers and salespeople named, scores 1-5, dates in an open month,
   external ids once) and writes nothing if any row is wrong. Each problem names the
   row of the file (the header is row 1) and the column.

Rows with an external id are idempotent: importing the file again updates them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.spreadsheets import ImportIssue, ImportResult, read_records
from core.spreadsheets import blank as _blank
from core.uploads import read_upload
from org.domain import normalise_header
from sales.feedback import services
from sales.records.services import RowsRefused


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str


COLUMNS: tuple[Column, ...] = (
    Column(
        "customer",
        True,
        gettext_lazy("The customer's external id or, if it has none, its exact name."),
    ),
    Column("salesperson", True, gettext_lazy("The salesperson's username.")),
    Column(
        "answered_on",
        True,
        gettext_lazy("The day the customer answered, YYYY-MM-DD, in an open month."),
    ),
    Column("score", True, gettext_lazy("A whole number from 1 (poor) to 5 (excellent).")),
    Column("comment", False, gettext_lazy("The customer's words (optional).")),
    Column(
        "external_id",
        False,
        gettext_lazy(
            "The survey system's id of the answer (optional): importing the same id again "
            "updates the response instead of adding one."
        ),
    ),
)
HEADER = [c.name for c in COLUMNS]
REQUIRED = [c.name for c in COLUMNS if c.required]


@dataclass
class Row:
    number: int
    values: dict[str, object]


def _file_problem(message: str) -> list[ImportIssue]:
    return [ImportIssue(None, "", message)]


def parse_file(data: bytes, *, filename: str) -> tuple[list[Row], list[ImportIssue]]:
    records, problems = read_records(
        data, filename=filename, max_bytes=settings.SALES_IMPORT_MAX_BYTES
    )
    if problems:
        return [], problems
    return _rows(records)


def _rows(records) -> tuple[list[Row], list[ImportIssue]]:
    records = iter(records)
    header = None
    header_number = 1
    for number, record in records:
        if all(_blank(cell) for cell in record):
            continue
        header = [normalise_header(cell) for cell in record]
        header_number = number
        break
    if header is None:
        return [], _file_problem(_("The file has no header row: the first row names the columns."))
    problems = []
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        problems.append(
            ImportIssue(
                header_number,
                "",
                _("The header row lacks the column(s) %(columns)s.")
                % {"columns": ", ".join(missing)},
            )
        )
    doubled = sorted({name for name in header if name in HEADER and header.count(name) > 1})
    if doubled:
        problems.append(
            ImportIssue(
                header_number,
                "",
                _("The header row names %(columns)s twice.") % {"columns": ", ".join(doubled)},
            )
        )
    if problems:
        return [], problems
    rows = []
    for number, record in records:
        if all(_blank(cell) for cell in record):
            continue
        values = {}
        for index, cell in enumerate(record):
            name = header[index] if index < len(header) else ""
            if name in HEADER:
                values[name] = cell.strip() if isinstance(cell, str) else cell
        rows.append(Row(number, values))
    if not rows:
        problems.append(ImportIssue(None, "", _("The file has a header row but no responses.")))
    return rows, problems


def import_satisfaction(upload, *, filename: str, acting_user) -> ImportResult:
    """Check the whole file, then write every response, or nothing."""
    data, too_big = read_upload(upload, max_bytes=settings.SALES_IMPORT_MAX_BYTES)
    if too_big:
        return ImportResult(errors=[ImportIssue(None, "", too_big[0].message)])
    rows, problems = parse_file(data, filename=filename)
    if problems:
        return ImportResult(errors=problems)
    try:
        counts = services.satisfaction_bulk_upsert(
            [row.values for row in rows], acting_user=acting_user
        )
    except RowsRefused as refused:
        return ImportResult(
            errors=[ImportIssue(rows[e.row - 1].number, e.field, e.message) for e in refused.errors]
        )
    return ImportResult(created=counts["created"], updated=counts["updated"])


def template_csv() -> bytes:
    """An empty file with the header row and one example row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerow(["C-1001", "wei.zhang", "2026-03-12", "5", "Quick answers", "survey-881"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
