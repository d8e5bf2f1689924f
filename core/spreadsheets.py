"""Reading an uploaded CSV file or XLSX workbook into numbered rows, and the few
rules every import and export of a spreadsheet shares: the problem a file or a
cell has, the neutralisation of cells a spreadsheet would run as a formula and
its removal on the way back in.

The importers (targets, sales records, satisfaction answers) read the rows here
and check their own columns; the organisation import reads several sheets and has
its own reader in `org.imports`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl import load_workbook

# A workbook may unpack to at most this many times the size of the upload (a guard
# against zip bombs).
MAX_UNPACKED_FACTOR = 20
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old .xls file


@dataclass(frozen=True)
class ImportIssue:
    row: int | None  # the header is row 1; None for the whole file
    column: str
    message: str


@dataclass
class ImportResult:
    """What an import did: nothing and the problems, or the rows it wrote."""

    errors: list[ImportIssue] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


# An import page lists this many problems at most and says how many more there are.
MAX_SHOWN_PROBLEMS = 200


def problems_context(errors: list) -> dict:
    """What an import page shows of a refused file's problems (includes/import_errors.html)."""
    return {
        "errors": errors[:MAX_SHOWN_PROBLEMS],
        "error_count": len(errors),
        "hidden_error_count": max(0, len(errors) - MAX_SHOWN_PROBLEMS),
    }


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def neutralise(value):
    """A text cell a spreadsheet would run as a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unquote(text: str) -> str:
    """Take off the quote an export put before a cell a spreadsheet would run."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def read_records(
    data: bytes, *, filename: str, max_bytes: int
) -> tuple[list[tuple[int, list]], list[ImportIssue]]:
    """[(row number, cells)] of the first sheet of a workbook or of a CSV file (UTF-8,
    comma, semicolon or tab), or the problem that stops the whole file."""
    if not data.strip():
        return [], [ImportIssue(None, "", _("The file is empty."))]
    name = filename.lower()
    if data[:4] == b"PK\x03\x04":
        records, problem = _workbook_records(data, max_bytes)
    elif name.endswith((".xlsx", ".xlsm")):
        return [], [ImportIssue(None, "", _("The file is not a valid XLSX workbook."))]
    elif name.endswith(".xls") or data[:8] == _OLE_MAGIC:
        return [], [
            ImportIssue(
                None,
                "",
                _("Old Excel files (.xls) are not supported: save the file as XLSX or CSV."),
            )
        ]
    else:
        records, problem = _csv_records(data)
    return records, [problem] if problem else []


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


def _workbook_records(data: bytes, max_bytes: int):
    invalid = ImportIssue(None, "", _("The file is not a valid XLSX workbook."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return [], invalid
    if unpacked > max_bytes * MAX_UNPACKED_FACTOR:
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
