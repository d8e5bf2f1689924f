"""The one import pipeline: an uploaded CSV file or XLSX workbook becomes checked rows,
or the problems that stop it, each named by sheet, row and column.

An import declares its tables (`Layout`: the columns, each a `Column` with its type)
and calls its app's bulk service with the rows; the pipeline does the rest:

1. `read_file` reads the upload within a size limit (`read_upload`) and
   (`read_tables`) parses the file (CSV, or the sheets of a workbook: the first sheet
   for a one-table import, the sheets named after the tables otherwise), checks each
   header row against its layout and collects the data rows (blank rows are skipped,
   the row numbers are the spreadsheet's: the header is row 1);
3. `Layout.check` reads every declared cell of every row (text and its length, a
   choice, a decimal, a date; an empty cell where a value is needed) and names each
   bad cell;
4. the import hands the values to its bulk service, whose row errors (`RowsRefused`)
   are mapped back to the file's rows; an `ImportResult` holds the problems, or the
   counts of what was written.

`check_rows` is the skeleton of a bulk service's validation (each row parsed, the
external ids once, the rows prepared against what was loaded), shared by the bulk
services so they refuse a whole batch the same way.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from core.errors import DomainError
from core.spreadsheets import unquote
from core.uploads import human_size

# A workbook may unpack to at most this many times the size of the upload (a guard
# against zip bombs).
MAX_UNPACKED_FACTOR = 20
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old .xls file
# An import page lists this many problems at most and says how many more there are.
MAX_SHOWN_PROBLEMS = 200
LOOKUP_CHUNK = 900  # values per IN (...) query


# --- the result ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportIssue:
    """One problem, where a spreadsheet user sees it: the row (the header is row 1; None
    for the whole file or sheet), the column ("" for the whole row) and the sheet (the
    worksheet's name or a CSV file's kind of table; "" for a one-table import)."""

    row: int | None
    column: str
    message: str
    sheet: str = ""


@dataclass
class ImportResult:
    """What an import did: nothing and the problems, or the rows it wrote (in total, and
    per table for an import of several tables)."""

    errors: list[ImportIssue] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @classmethod
    def refused(cls, message: str) -> ImportResult:
        return cls(errors=[ImportIssue(None, "", message)])


def problems_context(errors: list[ImportIssue], *, sheets: bool = False) -> dict:
    """What an import page shows of a refused file's problems (includes/import_errors.html)."""
    return {
        "errors": errors[:MAX_SHOWN_PROBLEMS],
        "error_count": len(errors),
        "hidden_error_count": max(0, len(errors) - MAX_SHOWN_PROBLEMS),
        "show_sheets": sheets,
    }


def refused_by_database(things: str) -> str:
    """The message of an import the database refused (a concurrent change)."""
    return {
        "records": _(
            "The database refused the import, probably because the same records "
            "changed at the same time. Nothing was written; please try again."
        ),
        "targets": _(
            "The database refused the import, probably because the targets "
            "changed at the same time. Nothing was written; please try again."
        ),
        "organisation": _(
            "The database refused the import, probably because the organisation "
            "changed at the same time. Nothing was written; please try again."
        ),
    }[things]


# --- cells ----------------------------------------------------------------------------------


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def normalise_header(value: object) -> str:
    """A header cell as a column name: trimmed, lower case, inner spaces as underscores."""
    if value is None:
        return ""
    return "_".join(str(value).strip().lower().split())


def cell_text(value: object) -> str:
    """A spreadsheet cell as trimmed text (1001.0 -> "1001", a date -> "2024-01-31")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def parse_date_cell(value: object) -> datetime.date | None:
    """A date from a real date cell or from YYYY-MM-DD text; None for an empty cell.

    Raises ValueError for anything else (another text format, a number, a date
    with a time of day).
    """
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.time() != datetime.time(0, 0):
            raise ValueError("a date with a time of day")
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if not isinstance(value, str):
        raise ValueError("not a date")
    text = value.strip()
    if not text:
        return None
    parts = text.split("-")
    if (
        len(parts) != 3
        or [len(p) for p in parts] != [4, 2, 2]
        or not all(p.isascii() and p.isdigit() for p in parts)
    ):
        raise ValueError("not YYYY-MM-DD")
    return datetime.date(int(parts[0]), int(parts[1]), int(parts[2]))


def chunks(values: Iterable, size: int = LOOKUP_CHUNK):
    """The values in slices small enough for one IN (...) query each."""
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- step 1: the upload -----------------------------------------------------------------------


def read_upload(upload, *, max_bytes: int) -> tuple[bytes, list[ImportIssue]]:
    """The bytes of an uploaded file (or bytes), refusing more than `max_bytes` (each import
    names its own limit, a setting of its app)."""
    limit = max_bytes
    too_big = [ImportIssue(None, "", too_large_message(limit))]
    if isinstance(upload, bytes | bytearray):
        data = bytes(upload)
    else:
        size = getattr(upload, "size", None)
        if size is not None and size > limit:
            return b"", too_big
        if hasattr(upload, "seek"):
            upload.seek(0)
        data = upload.read(limit + 1)
    if len(data) > limit:
        return b"", too_big
    return data, []


def too_large_message(limit: int) -> str:
    return _("The file is larger than %(size)s, the most an import accepts.") % {
        "size": human_size(limit)
    }


# --- step 2: the tables -----------------------------------------------------------------------


class CellError(Exception):
    """A cell that cannot be read; `column` names it."""

    def __init__(self, column: str, message: str):
        self.column = column
        self.message = message
        super().__init__(message)


TEXT, DECIMAL, DATE, CHOICE = "text", "decimal", "date", "choice"


@dataclass(frozen=True)
class Column:
    """A column of an import: its name in the header, its help on the import page and
    how its cells are read.

    `required`: the header must name it; `needed`: every row must give a value (the
    message `missing`, if given, says why); `type`: text (at most `max_length`
    characters), decimal (empty is `default`), date (YYYY-MM-DD or a date cell) or
    choice (one of `choices`, any case; empty is `default`; the message `invalid`, if
    given, names a wrong value). A column of type None is read by the import itself."""

    name: str
    help: str = ""
    required: bool = False
    type: str | None = TEXT
    needed: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    default: object = None
    missing: str | None = None
    invalid: str | None = None  # the message of a value not among the choices

    def read(self, row: Row) -> object:
        """The cell of `row` as the declared type; raises CellError."""
        value = row.raw(self.name)
        if blank(value):
            if self.needed:
                raise CellError(
                    self.name,
                    str(self.missing or _("The %(column)s is missing.") % {"column": self.name}),
                )
            return "" if self.type == TEXT and self.default is None else self.default
        if self.type == DECIMAL:
            return read_decimal(value, self.name)
        if self.type == DATE:
            try:
                return parse_date_cell(value)
            except ValueError:
                raise CellError(
                    self.name,
                    _("%(value)s is not a date: write YYYY-MM-DD.") % {"value": cell_text(value)},
                ) from None
        text = row.text(self.name)
        if self.type == CHOICE:
            if text.lower() not in self.choices:
                message = self.invalid or _(
                    "Unknown %(column)s “%(value)s”. Use one of: %(choices)s."
                )
                raise CellError(
                    self.name,
                    str(message)
                    % {"column": self.name, "value": text, "choices": ", ".join(self.choices)},
                )
            return text.lower()
        if self.max_length is not None and len(text) > self.max_length:
            raise CellError(
                self.name,
                _("The %(column)s is longer than %(n)s characters.")
                % {"column": self.name, "n": self.max_length},
            )
        return text


def read_decimal(value: object, column: str) -> Decimal:
    """A number cell or text without thousands separators; raises CellError."""
    if isinstance(value, bool):
        raise CellError(column, _("%(value)s is not a number.") % {"value": cell_text(value)})
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value).strip()
    if "," in text:
        raise CellError(
            column,
            _("Write %(value)s without separators: a comma is ambiguous in a number.")
            % {"value": text},
        )
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise CellError(column, _("%(value)s is not a number.") % {"value": text})
    return number


@dataclass
class Row:
    number: int  # the spreadsheet's row (the header is row 1)
    values: dict[str, object]  # column name -> cell (text, or number/date from XLSX)

    def raw(self, column: str) -> object:
        value = self.values.get(column)
        return unquote(value) if isinstance(value, str) else value

    def text(self, column: str) -> str:
        """The cell as trimmed text, with the quote an export put against formulas taken off."""
        return unquote(cell_text(self.values.get(column)))


@dataclass(frozen=True)
class Layout:
    """A table an import reads: its name (a workbook's sheet of that name holds it), its
    columns, and what else its header may hold.

    `accepts(name)` takes a column beyond the declared ones (numbered columns such as
    person1); `header_check(names)` returns further problems of a header row; `strict`
    refuses unknown columns and values outside the header (otherwise they are ignored);
    `empty` is the problem of a file without data rows (None: allowed)."""

    name: str
    columns: tuple[Column, ...]
    accepts: Callable[[str], bool] | None = None
    header_check: Callable[[list[str]], list[str]] | None = None
    strict: bool = False
    empty: object = None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def knows(self, name: str) -> bool:
        return name in self.names or (self.accepts is not None and self.accepts(name))

    def check(self, table: Table) -> tuple[list[tuple[Row, dict]], list[ImportIssue]]:
        """Every row's declared cells read as their types: [(row, {column: value})] for
        the rows without a problem, and the problem of every bad cell. A column the
        header leaves out is not in the values."""
        good, problems = [], []
        columns = [c for c in self.columns if c.type is not None and table.has(c.name)]
        for row in table.rows:
            values, bad = {}, False
            for column in columns:
                try:
                    values[column.name] = column.read(row)
                except CellError as exc:
                    problems.append(ImportIssue(row.number, exc.column, exc.message, table.sheet))
                    bad = True
            if not bad:
                good.append((row, values))
        return good, problems


@dataclass
class Table:
    layout: Layout
    sheet: str  # "" for a one-table import
    columns: list[str]
    rows: list[Row]

    @property
    def kind(self) -> str:
        return self.layout.name

    def has(self, column: str) -> bool:
        return column in self.columns


def read_tables(
    data: bytes,
    *,
    filename: str,
    layouts: Sequence[Layout],
    kind: str | None = None,
    max_bytes: int,
) -> tuple[list[Table], list[ImportIssue]]:
    """The tables of a CSV file (UTF-8, comma, semicolon or tab) or an XLSX workbook, their
    headers checked, or every problem that stops the file.

    With one layout, a CSV file or a workbook's first sheet is that table. With several,
    a workbook's sheets are named after them, and `kind` names the table of a CSV file
    or of a workbook's single, otherwise named sheet."""
    limit = max_bytes  # an XLSX file's unpacked size is bounded by a multiple of it
    by_name = {layout.name: layout for layout in layouts}
    several = len(layouts) > 1
    if several and kind is not None and kind not in by_name:
        return [], [ImportIssue(None, "", _("Unknown kind of table: %(kind)s.") % {"kind": kind})]
    if not data.strip():
        return [], [ImportIssue(None, "", _("The file is empty."))]
    name = filename.lower()
    if data[:4] == b"PK\x03\x04":
        return _workbook_tables(data, limit, layouts, kind)
    if name.endswith((".xlsx", ".xlsm")):
        return [], [_invalid_workbook()]
    if name.endswith(".xls") or data[:8] == _OLE_MAGIC:
        return [], [
            ImportIssue(
                None,
                "",
                _("Old Excel files (.xls) are not supported: save the file as XLSX or CSV."),
            )
        ]
    if several and kind is None:
        return [], [
            ImportIssue(
                None,
                "",
                _("Choose what the CSV file contains: %(kinds)s.") % {"kinds": _any_of(layouts)},
            )
        ]
    layout = by_name[kind] if several else layouts[0]
    sheet = layout.name if several else ""
    records, problem = _csv_records(data, sheet)
    if problem:
        return [], [problem]
    return _tables([(layout, sheet, records)])


def read_file(
    upload,
    *,
    filename: str,
    layouts: Sequence[Layout],
    kind: str | None = None,
    max_bytes: int,
) -> tuple[list[Table], list[ImportIssue]]:
    """`read_upload`, then `read_tables`: the tables of an uploaded file, or its problems."""
    data, problems = read_upload(upload, max_bytes=max_bytes)
    if problems:
        return [], problems
    return read_tables(data, filename=filename, layouts=layouts, kind=kind, max_bytes=max_bytes)


def _any_of(layouts: Sequence[Layout]) -> str:
    names = [layout.name for layout in layouts]
    return _("%(first)s or %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def _invalid_workbook() -> ImportIssue:
    return ImportIssue(None, "", _("The file is not a valid XLSX workbook."))


def _csv_records(data: bytes, sheet: str):
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
            sheet,
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
            len(records) + 1,
            "",
            _("The CSV file cannot be read here: %(error)s.") % {"error": exc},
            sheet,
        )
    return records, None


def _workbook_tables(data: bytes, limit: int, layouts: Sequence[Layout], kind: str | None):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return [], [_invalid_workbook()]
    if unpacked > limit * MAX_UNPACKED_FACTOR:
        return [], [
            ImportIssue(None, "", _("The workbook is too large once unpacked to be imported."))
        ]
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for a damaged file
        return [], [_invalid_workbook()]
    try:
        chosen, problems = _sheets_of(workbook.sheetnames, layouts, kind)
        if problems:
            return [], problems
        found = []
        for layout, title in chosen:
            sheet = workbook[title]
            if hasattr(sheet, "reset_dimensions"):
                # The stored size of a sheet is sometimes wrong; read what is there.
                sheet.reset_dimensions()
            records = list(enumerate(sheet.iter_rows(values_only=True), start=1))
            found.append((layout, title if len(layouts) > 1 else "", records))
    except Exception:  # rows of a read-only workbook are parsed lazily
        return [], [ImportIssue(None, "", _("The workbook could not be read; it may be damaged."))]
    finally:
        workbook.close()
    return _tables(found)


def _sheets_of(titles: list[str], layouts: Sequence[Layout], kind: str | None):
    """[(layout, sheet title)] in the layouts' order, or the problems."""
    if len(layouts) == 1:
        return [(layouts[0], titles[0])], []
    by_name = {layout.name: layout for layout in layouts}
    named: dict[str, str] = {}
    problems = []
    for title in titles:
        name = title.strip().lower()
        if name not in by_name:
            continue
        if name in named:
            problems.append(
                ImportIssue(
                    None,
                    "",
                    _("The workbook has two sheets for %(kind)s: “%(first)s” and “%(second)s”.")
                    % {"kind": name, "first": named[name], "second": title},
                    title,
                )
            )
            continue
        named[name] = title
    if not named:
        if len(titles) != 1:
            return [], [
                ImportIssue(
                    None,
                    "",
                    _(
                        "The workbook has several sheets but none is named %(kinds)s. Rename "
                        "the sheets, or keep a single sheet and choose what it contains."
                    )
                    % {"kinds": _any_of(layouts)},
                )
            ]
        if kind is None:
            return [], [
                ImportIssue(
                    None,
                    "",
                    _("The sheet “%(sheet)s” is not named %(kinds)s: choose what it contains.")
                    % {"sheet": titles[0], "kinds": _any_of(layouts)},
                    titles[0],
                )
            ]
        named[kind] = titles[0]
    return [(layout, named[layout.name]) for layout in layouts if layout.name in named], problems


def _tables(found) -> tuple[list[Table], list[ImportIssue]]:
    tables, problems = [], []
    for layout, sheet, records in found:
        table, table_problems = _table(layout, sheet, records)
        problems += table_problems
        if table is not None:
            tables.append(table)
    return tables, problems


def _table(layout: Layout, sheet: str, records) -> tuple[Table | None, list[ImportIssue]]:
    """Check the header row (the first non-empty row) and collect the data rows."""
    records = iter(records)
    names = None
    number = 1
    for number, record in records:  # noqa: B007 (the header's number is used below)
        if not all(blank(cell) for cell in record):
            names = [normalise_header(cell) for cell in record]
            break
    if names is None:
        return None, [
            ImportIssue(
                None, "", _("The file has no header row: the first row names the columns."), sheet
            )
        ]
    problems = [
        ImportIssue(number, column, message, sheet) for column, message in _header(layout, names)
    ]
    if problems:
        return None, problems
    rows = []
    for row_number, record in records:
        if all(blank(cell) for cell in record):
            continue
        values: dict[str, object] = {}
        for index, cell in enumerate(record):
            name = names[index] if index < len(names) else ""
            if name and layout.knows(name):
                values[name] = cell.strip() if isinstance(cell, str) else cell
            elif layout.strict and not name and not blank(cell):
                letter = get_column_letter(index + 1)
                problems.append(
                    ImportIssue(
                        row_number,
                        letter,
                        _("There is a value in column %(letter)s, which has no header.")
                        % {"letter": letter},
                        sheet,
                    )
                )
        rows.append(Row(row_number, values))
    if not rows and layout.empty is not None:
        problems.append(ImportIssue(None, "", str(layout.empty), sheet))
    if problems:
        return None, problems
    return Table(layout, sheet, [n for n in names if n and layout.knows(n)], rows), []


def _header(layout: Layout, names: list[str]) -> list[tuple[str, str]]:
    """The problems of a header row as (column, message)."""
    problems = []
    missing = [c.name for c in layout.columns if c.required and c.name not in names]
    if missing:
        problems.append(
            (
                ", ".join(missing),
                _("The header row lacks the column(s) %(columns)s.")
                % {"columns": ", ".join(missing)},
            )
        )
    doubled = sorted({name for name in names if name and names.count(name) > 1})
    if doubled:
        problems.append(
            (
                ", ".join(doubled),
                _("The header row names %(columns)s twice.") % {"columns": ", ".join(doubled)},
            )
        )
    unknown = [n for n in dict.fromkeys(names) if n and not layout.knows(n)]
    if layout.strict and unknown:
        problems.append(
            (
                ", ".join(unknown),
                _("Unknown column(s): %(unknown)s. The columns of %(kind)s are: %(allowed)s.")
                % {
                    "unknown": ", ".join(unknown),
                    "kind": layout.name,
                    "allowed": ", ".join(layout.names),
                },
            )
        )
    if layout.header_check is not None:
        problems += [("", message) for message in layout.header_check(names)]
    return problems


# --- bulk services: one validation of many rows ---------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based position in the rows given
    field: str
    message: str


class RowsRefused(DomainError):
    """Some rows are bad; nothing was written. `errors` names each row and field."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(
            "; ".join(
                _("row %(row)s, %(field)s: %(message)s")
                % {"row": e.row, "field": e.field, "message": e.message}
                for e in errors[:20]
            ),
            code="rows_refused",
            data={
                "errors": [{"row": e.row, "field": e.field, "message": e.message} for e in errors]
            },
        )


def check_rows(
    rows: list,
    *,
    parse: Callable[[dict], dict],
    load: Callable[[list[dict]], object],
    prepare: Callable[[dict, object], object],
    problem: type[DomainError],
) -> list:
    """The bulk services' validation of many rows: each row (a dict) `parse`d on its own,
    the external ids given once in the batch, everything the valid rows need `load`ed at
    once, and each row `prepare`d against it. A `problem` raised (a DomainError with a
    `field`) names the row and field; if any row is bad, RowsRefused lists them all."""
    errors: list[RowError] = []
    parsed: list[dict | None] = []
    for index, row in enumerate(rows, start=1):
        try:
            if not isinstance(row, dict):
                raise problem("row", _("A row is a set of named values."))
            parsed.append(parse(row))
        except problem as exc:
            errors.append(RowError(index, exc.field, str(exc)))
            parsed.append(None)
    seen: dict[str, int] = {}
    for index, data in enumerate(parsed, start=1):
        if data and data["external_id"]:
            if data["external_id"] in seen:
                errors.append(
                    RowError(
                        index,
                        "external_id",
                        _("External id %(id)s is also in row %(row)s.")
                        % {"id": data["external_id"], "row": seen[data["external_id"]]},
                    )
                )
            seen.setdefault(data["external_id"], index)
    found = load([d for d in parsed if d])
    prepared = []
    for index, data in enumerate(parsed, start=1):
        if data is None:
            continue
        try:
            prepared.append(prepare(data, found))
        except problem as exc:
            errors.append(RowError(index, exc.field, str(exc)))
    if errors:
        errors.sort(key=lambda e: e.row)
        raise RowsRefused(errors)
    return prepared


def issues_of(refused: RowsRefused, rows: list[Row], column_of=None, sheet: str = "") -> list:
    """A bulk service's row errors as the file's problems (rows[i] was row i + 1)."""
    return [
        ImportIssue(
            rows[e.row - 1].number,
            column_of(e.field, e.row - 1) if column_of else e.field,
            e.message,
            sheet,
        )
        for e in refused.errors
    ]
