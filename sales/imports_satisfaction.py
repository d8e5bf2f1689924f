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
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from org.domain import normalise_header
from org.imports import read_upload
from sales import services_feedback as services
from sales.services import RowsRefused

_MAX_UNPACKED_FACTOR = 20


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


@dataclass(frozen=True)
class ImportIssue:
    row: int | None  # the header is row 1; None for the whole file
    column: str
    message: str


@dataclass
class ImportResult:
    errors: list[ImportIssue] = field(default_factory=list)
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Row:
    number: int
    values: dict[str, object]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _file_problem(message: str) -> list[ImportIssue]:
    return [ImportIssue(None, "", message)]


def parse_file(data: bytes, *, filename: str) -> tuple[list[Row], list[ImportIssue]]:
    if not data.strip():
        return [], _file_problem(_("The file is empty."))
    name = filename.lower()
    if data[:4] == b"PK\x03\x04":
        records, problem = _workbook_records(data)
    elif name.endswith((".xlsx", ".xlsm")):
        return [], _file_problem(_("The file is not a valid XLSX workbook."))
    elif name.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return [], _file_problem(
            _("Old Excel files (.xls) are not supported: save the file as XLSX or CSV.")
        )
    else:
        records, problem = _csv_records(data)
    if problem:
        return [], [problem]
    return _rows(records)


def _csv_records(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], ImportIssue(
            None,
            "",
            _(
                "The file is not UTF-8 text (the first bad byte is at position %(pos)s). "
                "Save it as “CSV UTF-8”."
            )
            % {"pos": exc.start + 1},
        )
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    records = []
    try:
        for number, record in enumerate(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1
        ):
            records.append((number, record))
    except csv.Error as exc:
        return [], ImportIssue(
            len(records) + 1, "", _("The CSV file cannot be read here: %(error)s.") % {"error": exc}
        )
    return records, None


def _workbook_records(data: bytes):
    limit = settings.SALES_IMPORT_MAX_BYTES * _MAX_UNPACKED_FACTOR
    invalid = ImportIssue(None, "", _("The file is not a valid XLSX workbook."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return [], invalid
    if unpacked > limit:
        return [], ImportIssue(
            None, "", _("The workbook is too large once unpacked to be imported.")
        )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for a damaged file
        return [], invalid
    try:
        sheet = workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()
        return list(enumerate(sheet.iter_rows(values_only=True), start=1)), None
    except Exception:  # rows of a read-only workbook are parsed lazily
        return [], ImportIssue(None, "", _("The workbook could not be read; it may be damaged."))
    finally:
        workbook.close()


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
