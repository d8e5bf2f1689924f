"""The department's import of sales records from a CSV file or an XLSX workbook.

1. `parse_file` reads the header row and the data rows (CSV, or the first sheet of a
   workbook) and checks the header;
2. `read_rows` turns every row into the row dict of
   `sales.records.services.records_bulk_upsert`, naming each malformed cell (a bad number or
   date, an unknown customer or salesperson) by its spreadsheet row (the header is
   row 1) and column;
3. `import_records` hands the rows to `records_bulk_upsert`, which checks the rest
   (periods open, members of a team on the day, the split adding up to 100 %, the
   values of a record) and writes all or nothing. Its errors are mapped back to the
   spreadsheet's rows and columns. When a cell is malformed the other rows are still
   checked by the service inside a transaction that is rolled back, so the page lists
   every problem of the file at once and nothing is written.

Each row is one record, identified by its `external_id`: importing the same file again
updates the records instead of duplicating them. The credit split is either one
`salesperson` column (100 % to that person) or pairs `person1`/`share1`,
`person2`/`share2`, … Text cells that an export neutralised against formulas (a
leading quote before = + - @) have the quote taken off; nothing else is changed.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.errors import DomainError
from core.spreadsheets import ImportIssue, ImportResult, read_records, unquote
from core.spreadsheets import blank as _blank
from core.uploads import read_upload
from org.domain import cell_text, normalise_header
from org.models import User
from sales.models import Customer
from sales.records import services

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_LOOKUP_CHUNK = 900
MAX_CREDITS = 10
SALESPERSON = "salesperson"
_PERSON = re.compile(r"^person(?P<n>[1-9]\d*)$")
_SHARE = re.compile(r"^share(?P<n>[1-9]\d*)$")


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str


COLUMNS: tuple[Column, ...] = (
    Column(
        "external_id",
        True,
        gettext_lazy(
            "The record's id in your ERP or sales ledger, unique in the file (at most 64 "
            "characters). Importing a record with an id already here updates it."
        ),
    ),
    Column("date", True, gettext_lazy("The day of the sale: YYYY-MM-DD or a date cell.")),
    Column(
        "customer",
        True,
        gettext_lazy("The customer's external id (set on the customer's page)."),
    ),
    Column("product", False, gettext_lazy("The product sold (at most 200 characters).")),
    Column("category", False, gettext_lazy("The product category (at most 100 characters).")),
    Column(
        "amount",
        True,
        gettext_lazy(
            "The amount, at most 2 decimals, without thousands separators; negative for a "
            "return or a correction."
        ),
    ),
    Column("quantity", False, gettext_lazy("The quantity, at most 2 decimals; empty means 0.")),
    Column("gross_margin", False, gettext_lazy("The gross margin; empty means 0.")),
    Column(
        "collected_amount",
        False,
        gettext_lazy("What the customer has paid of the amount; empty means 0."),
    ),
    Column(
        "collected_on",
        False,
        gettext_lazy(
            "The day it was collected (needed with a collected amount): on or after the "
            "sale's date, at the latest tomorrow, in an open month."
        ),
    ),
    Column(
        "status",
        False,
        gettext_lazy(
            "booked or cancelled. Empty: a new record is booked and a record imported "
            "again keeps its status (a cancelled one stays cancelled)."
        ),
    ),
    Column(
        "confirm",
        False,
        gettext_lazy(
            "yes when an amount more than 10 times a credited person's largest sale is "
            "right; without it such a row is refused and reported."
        ),
    ),
    Column(
        SALESPERSON,
        False,
        gettext_lazy(
            "The username of the one salesperson credited with the whole sale. Use it, "
            "or the person and share columns below."
        ),
    ),
    Column(
        "person1, person2, …",
        False,
        gettext_lazy("The usernames of the salespeople sharing the sale."),
    ),
    Column(
        "share1, share2, …",
        False,
        gettext_lazy(
            "The share of person1, person2, … in percent (50 or 50%), adding up to 100. "
            "A single person without a share gets 100 %."
        ),
    ),
)
REQUIRED = [c.name for c in COLUMNS if c.required]
OPTIONAL = [
    "product",
    "category",
    "quantity",
    "gross_margin",
    "collected_amount",
    "collected_on",
    "status",
    "confirm",
]
TEMPLATE_HEADER = [
    "external_id",
    "date",
    "customer",
    "product",
    "category",
    "amount",
    "quantity",
    "gross_margin",
    "collected_amount",
    "collected_on",
    "person1",
    "share1",
    "person2",
    "share2",
]


def example(today: datetime.date) -> str:
    """Two example rows dated in the current month (which is open, unless its close has
    started): a sale collected today, and a split sale of today."""
    first = today.replace(day=1)
    return (
        "external_id,date,customer,product,category,amount,quantity,gross_margin,"
        "collected_amount,collected_on,person1,share1,person2,share2\n"
        f"ERP-{today:%Y}-0001,{first.isoformat()},C-001,Spectrometer X2,instruments,120000.00,"
        f"2,36000.00,60000.00,{today.isoformat()},wei.zhang,100,,\n"
        f"ERP-{today:%Y}-0002,{today.isoformat()},C-002,Service contract,services,8000,1,5200,"
        "0,,wei.zhang,60,ning.xu,40"
    )


@dataclass
class Row:
    number: int
    values: dict[str, object]

    def raw(self, column: str) -> object:
        value = self.values.get(column)
        if isinstance(value, str):
            return unquote(value.strip())
        return value

    def text(self, column: str) -> str:
        return unquote(cell_text(self.values.get(column)))


# --- step 1: parsing ------------------------------------------------------------------------


@dataclass
class Header:
    columns: list[str]
    persons: list[int]  # the n of every personN column, in order

    def has(self, column: str) -> bool:
        return column in self.columns


def parse_file(data: bytes, *, filename: str) -> tuple[Header | None, list[Row], list[ImportIssue]]:
    records, problems = read_records(
        data, filename=filename, max_bytes=settings.SALES_IMPORT_MAX_BYTES
    )
    if problems:
        return None, [], problems
    return _rows(records)


def _credit_number(name: str) -> tuple[str, int] | None:
    for kind, pattern in (("person", _PERSON), ("share", _SHARE)):
        match = pattern.match(name)
        if match:
            return kind, int(match["n"])
    return None


def _rows(records) -> tuple[Header | None, list[Row], list[ImportIssue]]:
    records = iter(records)
    names = None
    header_number = 1
    for number, record in records:
        if all(_blank(cell) for cell in record):
            continue
        names = [normalise_header(cell) for cell in record]
        header_number = number
        break
    if names is None:
        return (
            None,
            [],
            [
                ImportIssue(
                    None, "", _("The file has no header row: the first row names the columns.")
                )
            ],
        )
    problems = []
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        problems.append(
            ImportIssue(
                header_number,
                "",
                _("The header row lacks the column(s) %(columns)s.")
                % {"columns": ", ".join(missing)},
            )
        )
    doubled = sorted({name for name in names if name and names.count(name) > 1})
    if doubled:
        problems.append(
            ImportIssue(
                header_number,
                "",
                _("The header row names %(columns)s twice.") % {"columns": ", ".join(doubled)},
            )
        )
    persons = sorted(n for kind, n in filter(None, map(_credit_number, names)) if kind == "person")
    shares = sorted(n for kind, n in filter(None, map(_credit_number, names)) if kind == "share")
    if SALESPERSON not in names and not persons:
        problems.append(
            ImportIssue(
                header_number,
                "",
                _(
                    "The header row needs a salesperson column, or person1 and share1 "
                    "(person2 and share2, … for a shared sale)."
                ),
            )
        )
    orphans = [f"share{n}" for n in shares if n not in persons]
    if orphans:
        problems.append(
            ImportIssue(
                header_number,
                "",
                _("The header row has %(columns)s without the matching person column.")
                % {"columns": ", ".join(orphans)},
            )
        )
    if len(persons) > MAX_CREDITS:
        problems.append(
            ImportIssue(
                header_number,
                "",
                _("A sale is shared by at most %(n)s people.") % {"n": MAX_CREDITS},
            )
        )
    if problems:
        return None, [], problems
    known = set(REQUIRED) | set(OPTIONAL) | {SALESPERSON}
    known |= {f"person{n}" for n in persons} | {f"share{n}" for n in shares}
    header = Header(columns=[n for n in names if n in known], persons=persons)
    rows = []
    for number, record in records:
        if all(_blank(cell) for cell in record):
            continue
        values = {}
        for index, cell in enumerate(record):
            name = names[index] if index < len(names) else ""
            if name in known:
                values[name] = cell
        rows.append(Row(number, values))
    if not rows:
        return None, [], [ImportIssue(None, "", _("The file has a header row but no records."))]
    return header, rows, []


# --- step 2: reading the rows ----------------------------------------------------------------


class _Bad(Exception):
    def __init__(self, column: str, message: str):
        self.column = column
        self.message = message
        super().__init__(message)


def _number(row: Row, column: str, *, default: Decimal | None = None) -> Decimal:
    value = row.raw(column)
    if _blank(value):
        if default is None:
            raise _Bad(column, _("The %(column)s is missing.") % {"column": column})
        return default
    if isinstance(value, bool):
        raise _Bad(column, _("%(value)s is not a number.") % {"value": cell_text(value)})
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value).strip()
    if "," in text:
        raise _Bad(
            column,
            _("Write %(value)s without separators: a comma is ambiguous in a number.")
            % {"value": text},
        )
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise _Bad(column, _("%(value)s is not a number.") % {"value": text})
    return number


def _share(row: Row, column: str) -> Decimal:
    value = row.raw(column)
    if isinstance(value, str) and value.strip().endswith("%"):
        row = Row(row.number, {column: value.strip()[:-1].strip()})
    return _number(row, column)


def _date(row: Row, column: str, *, required: bool) -> datetime.date | None:
    value = row.raw(column)
    if _blank(value):
        if required:
            raise _Bad(column, _("The %(column)s is missing.") % {"column": column})
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = cell_text(value)
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise _Bad(
            column, _("%(value)s is not a date: write YYYY-MM-DD.") % {"value": text}
        ) from None


def _text(row: Row, column: str, limit: int) -> str:
    text = row.text(column)
    if len(text) > limit:
        raise _Bad(
            column,
            _("The %(column)s is longer than %(n)s characters.") % {"column": column, "n": limit},
        )
    return text


@dataclass
class _Read:
    number: int
    data: dict
    credit_columns: str


def _lookups(rows: list[Row], header: Header):
    customer_ids = {r.text("customer") for r in rows} - {""}
    usernames = set()
    for r in rows:
        for column in [SALESPERSON, *(f"person{n}" for n in header.persons)]:
            if header.has(column) and r.text(column):
                usernames.add(r.text(column).lower())
    customers: dict[str, Customer] = {}
    ids = sorted(customer_ids)
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        for c in Customer.objects.filter(external_id__in=ids[start : start + _LOOKUP_CHUNK]):
            customers[c.external_id] = c
    people: dict[str, User] = {}
    names = sorted(usernames)
    for start in range(0, len(names), _LOOKUP_CHUNK):
        for user in User.objects.annotate(key=Lower("username")).filter(
            key__in=names[start : start + _LOOKUP_CHUNK]
        ):
            people.setdefault(user.key, user)
    return customers, people


def _credits(row: Row, header: Header, people: dict[str, User], problems) -> tuple[list, str]:
    """The row's credits as [{"person": username, "share_pct": share}] and the names of
    the columns they came from (for the service's messages about the split)."""
    single = row.text(SALESPERSON) if header.has(SALESPERSON) else ""
    pairs = []
    for n in header.persons:
        person = row.text(f"person{n}")
        share_column = f"share{n}"
        share_given = header.has(share_column) and not _blank(row.raw(share_column))
        if person or share_given:
            pairs.append((n, person, share_given))
    credit_column = SALESPERSON if header.has(SALESPERSON) else "person1"
    if single and pairs:
        problems.append(
            ImportIssue(
                row.number,
                SALESPERSON,
                _("Give either the salesperson or the person and share columns, not both."),
            )
        )
        return [], SALESPERSON
    if not single and not pairs:
        problems.append(
            ImportIssue(
                row.number, credit_column, _("Name the salesperson credited with this sale.")
            )
        )
        return [], credit_column

    def user(column: str, name: str):
        found = people.get(name.lower())
        if found is None:
            problems.append(
                ImportIssue(
                    row.number, column, _("Unknown salesperson: %(name)s.") % {"name": name}
                )
            )
        return found

    if single:
        found = user(SALESPERSON, single)
        return ([{"person": found.username, "share_pct": Decimal(100)}] if found else []), (
            SALESPERSON
        )
    credits = []
    ok = True
    for n, name, share_given in pairs:
        person_column, share_column = f"person{n}", f"share{n}"
        if not name:
            problems.append(
                ImportIssue(
                    row.number,
                    person_column,
                    _("%(share)s is given without a salesperson in %(person)s.")
                    % {"share": share_column, "person": person_column},
                )
            )
            ok = False
            continue
        found = user(person_column, name)
        share = Decimal(100) if len(pairs) == 1 and not share_given else None
        if share is None:
            try:
                share = _share(row, share_column)
            except _Bad:
                ok = False
                value = row.text(share_column) if header.has(share_column) else ""
                problems.append(
                    ImportIssue(
                        row.number,
                        share_column,
                        _("The share of %(person)s is missing.") % {"person": name}
                        if not value
                        else _("%(value)s is not a share in percent.") % {"value": value},
                    )
                )
        if found is None:
            ok = False
        elif share is not None:
            credits.append({"person": found.username, "share_pct": share})
    columns = ", ".join(f"person{n}, share{n}" for n, _name, _s in pairs)
    return (credits if ok else []), columns


def read_rows(header: Header, rows: list[Row]) -> tuple[list[_Read], list[ImportIssue]]:
    """The rows as records_bulk_upsert's row dicts, or the problems of every cell."""
    problems: list[ImportIssue] = []
    customers, people = _lookups(rows, header)
    seen: dict[str, int] = {}
    read: list[_Read] = []
    for row in rows:
        before = len(problems)
        data: dict = {}

        def cell(column, reader, *args, row=row, **kwargs):
            try:
                return reader(row, column, *args, **kwargs)
            except _Bad as exc:
                problems.append(ImportIssue(row.number, exc.column, exc.message))
                return None

        external_id = cell("external_id", _text, 64)
        if external_id == "":
            problems.append(
                ImportIssue(
                    row.number,
                    "external_id",
                    _("The external id is missing: it makes a second import update the record."),
                )
            )
        elif external_id:
            first = seen.setdefault(external_id, row.number)
            if first != row.number:
                problems.append(
                    ImportIssue(
                        row.number,
                        "external_id",
                        _("External id %(id)s is also in row %(row)s.")
                        % {"id": external_id, "row": first},
                    )
                )
        data["external_id"] = external_id
        data["date"] = cell("date", _date, required=True)
        key = row.text("customer")
        if not key:
            problems.append(ImportIssue(row.number, "customer", _("The customer is missing.")))
        elif key not in customers:
            problems.append(
                ImportIssue(row.number, "customer", _("Unknown customer: %(id)s.") % {"id": key})
            )
        data["customer"] = key
        data["product"] = cell("product", _text, 200) if header.has("product") else ""
        data["category"] = cell("category", _text, 100) if header.has("category") else ""
        data["amount"] = cell("amount", _number)
        for column in ("quantity", "gross_margin", "collected_amount"):
            data[column] = cell(column, _number, default=Decimal(0))
        data["collected_on"] = cell("collected_on", _date, required=False)
        data["status"] = (cell("status", _text, 10) or "").lower() if header.has("status") else ""
        data["confirm"] = (cell("confirm", _text, 10) or "") if header.has("confirm") else ""
        data["credits"], credit_columns = _credits(row, header, people, problems)
        if len(problems) == before:
            read.append(_Read(row.number, data, credit_columns))
    return read, problems


# --- step 3: writing --------------------------------------------------------------------------


class _Discard(Exception):
    """Roll back a check run of the service (some rows were already refused)."""


def _column_of(field_name: str, read: _Read) -> str:
    if field_name == "credits":
        return read.credit_columns
    if field_name == "row":
        return ""
    return field_name


_COLUMN_ORDER = {name: i for i, name in enumerate([*TEMPLATE_HEADER, SALESPERSON])}


def _sorted(problems: list[ImportIssue]) -> list[ImportIssue]:
    return sorted(
        problems,
        key=lambda p: (p.row or 0, _COLUMN_ORDER.get(p.column.split(",")[0], 99), p.column),
    )


def import_records(upload, *, filename: str, acting_user) -> ImportResult:
    """Parse, check and, if every row is right, write; nothing is written otherwise."""
    data, too_big = read_upload(upload, max_bytes=settings.SALES_IMPORT_MAX_BYTES)
    if too_big:
        return ImportResult(errors=[ImportIssue(None, "", p.message) for p in too_big])
    header, rows, problems = parse_file(data, filename=filename)
    if problems:
        return ImportResult(errors=problems)
    read, problems = read_rows(header, rows)
    try:
        with transaction.atomic():
            try:
                counts = services.records_bulk_upsert(
                    [r.data for r in read], acting_user=acting_user
                )
            except services.RowsRefused as exc:
                problems += [
                    ImportIssue(
                        read[e.row - 1].number, _column_of(e.field, read[e.row - 1]), e.message
                    )
                    for e in exc.errors
                ]
                raise _Discard from None
            if problems:
                raise _Discard
    except _Discard:
        return ImportResult(errors=_sorted(problems))
    except DomainError as exc:
        return ImportResult(errors=[ImportIssue(None, "", str(exc))])
    except (IntegrityError, OperationalError):
        return ImportResult(
            errors=[
                ImportIssue(
                    None,
                    "",
                    _(
                        "The database refused the import, probably because the same records "
                        "changed at the same time. Nothing was written; please try again."
                    ),
                )
            ]
        )
    return ImportResult(created=counts["created"], updated=counts["updated"])


# --- templates -------------------------------------------------------------------------------


def template_csv() -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(TEMPLATE_HEADER)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "sales"
    sheet.append(TEMPLATE_HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, name in enumerate(TEMPLATE_HEADER, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, len(name) + 4)
        if name in ("date", "collected_on"):
            for row in range(2, 1002):
                sheet.cell(row=row, column=index).number_format = "yyyy-mm-dd"
        elif name in ("external_id", "customer") or name.startswith("person"):
            for row in range(2, 1002):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
