"""The department's import of sales records from a CSV file or an XLSX workbook.

The columns are declared here; `core.imports` reads the file and every declared cell
(a bad number or date, a text too long), this module looks up the customers and
salespeople the rows name and builds the credit split, and
`sales.records.services.records_bulk_upsert` checks the rest (periods open, members of a team
on the day, the split adding up to 100 %, the values of a record) and writes all or
nothing. Its errors are mapped back to the spreadsheet's rows and columns. When a cell
is malformed the other rows are still checked by the service inside a transaction
that is rolled back, so the page lists every problem of the file at once and nothing
is written.

Each row is one record, identified by its `external_id`: importing the same file again
updates the records instead of duplicating them. The credit split is either one
`salesperson` column (100 % to that person) or pairs `person1`/`share1`,
`person2`/`share2`, … Text cells that an export neutralised against formulas (a
leading quote before = + - @) have the quote taken off; nothing else is changed.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.imports import (
    DATE,
    DECIMAL,
    CellError,
    Column,
    ImportIssue,
    ImportResult,
    Layout,
    Row,
    RowsRefused,
    Table,
    blank,
    chunks,
    issues_of,
    read_decimal,
    read_file,
    refused_by_database,
)
from core.spreadsheets import csv_file, template_workbook
from org.models import User
from sales.models import Customer, SalesRecord
from sales.records import services

MAX_CREDITS = 10
SALESPERSON = "salesperson"
_PERSON = re.compile(r"^person(?P<n>[1-9]\d*)$")
_SHARE = re.compile(r"^share(?P<n>[1-9]\d*)$")

COLUMNS: tuple[Column, ...] = (
    Column(
        "external_id",
        gettext_lazy(
            "The record's id in your ERP or sales ledger, unique in the file (at most 64 "
            "characters). Importing a record with an id already here updates it."
        ),
        required=True,
        needed=True,
        max_length=64,
        missing=gettext_lazy(
            "The external id is missing: it makes a second import update the record."
        ),
    ),
    Column(
        "date",
        gettext_lazy("The day of the sale: YYYY-MM-DD or a date cell."),
        required=True,
        type=DATE,
        needed=True,
    ),
    Column(
        "customer",
        gettext_lazy("The customer's external id (set on the customer's page)."),
        required=True,
        type=None,
    ),
    Column("product", gettext_lazy("The product sold (at most 200 characters)."), max_length=200),
    Column(
        "category", gettext_lazy("The product category (at most 100 characters)."), max_length=100
    ),
    Column(
        "amount",
        gettext_lazy(
            "The amount, at most 2 decimals, without thousands separators; negative for a "
            "return or a correction."
        ),
        required=True,
        type=DECIMAL,
        needed=True,
    ),
    Column(
        "quantity",
        gettext_lazy("The quantity, at most 2 decimals; empty means 0."),
        type=DECIMAL,
        default=Decimal(0),
    ),
    Column(
        "gross_margin",
        gettext_lazy("The gross margin; empty means 0."),
        type=DECIMAL,
        default=Decimal(0),
    ),
    Column(
        "collected_amount",
        gettext_lazy("What the customer has paid of the amount; empty means 0."),
        type=DECIMAL,
        default=Decimal(0),
    ),
    Column(
        "collected_on",
        gettext_lazy(
            "The day it was collected (needed with a collected amount): on or after the "
            "sale's date, at the latest tomorrow, in an open month."
        ),
        type=DATE,
    ),
    Column(
        "status",
        gettext_lazy(
            "booked or cancelled. Empty: a new record is booked and a record imported "
            "again keeps its status (a cancelled one stays cancelled)."
        ),
        max_length=10,
    ),
    Column(
        "confirm",
        gettext_lazy(
            "yes when an amount more than 10 times a credited person's largest sale is "
            "right; without it such a row is refused and reported."
        ),
        max_length=10,
    ),
    Column(
        SALESPERSON,
        gettext_lazy(
            "The username of the one salesperson credited with the whole sale. Use it, "
            "or the person and share columns below."
        ),
        type=None,
    ),
    Column(
        "person1, person2, …",
        gettext_lazy("The usernames of the salespeople sharing the sale."),
        type=None,
    ),
    Column(
        "share1, share2, …",
        gettext_lazy(
            "The share of person1, person2, … in percent (50 or 50%), adding up to 100. "
            "A single person without a share gets 100 %."
        ),
        type=None,
    ),
)
TEMPLATE_HEADER = [
    "external_id",
    "date",
    "customer",
    "product",
    "category",
    *SalesRecord.FIGURES,
    "person1",
    "share1",
    "person2",
    "share2",
]


def _numbered(names: list[str], pattern: re.Pattern) -> list[int]:
    return sorted(int(m["n"]) for m in map(pattern.match, names) if m)


def _credit_header(names: list[str]) -> list[str]:
    """The problems of a header's credit columns."""
    persons, shares = _numbered(names, _PERSON), _numbered(names, _SHARE)
    problems = []
    if SALESPERSON not in names and not persons:
        problems.append(
            _(
                "The header row needs a salesperson column, or person1 and share1 "
                "(person2 and share2, … for a shared sale)."
            )
        )
    orphans = [f"share{n}" for n in shares if n not in persons]
    if orphans:
        problems.append(
            _("The header row has %(columns)s without the matching person column.")
            % {"columns": ", ".join(orphans)}
        )
    if len(persons) > MAX_CREDITS:
        problems.append(_("A sale is shared by at most %(n)s people.") % {"n": MAX_CREDITS})
    return problems


LAYOUT = Layout(
    "sales",
    COLUMNS,
    accepts=lambda name: bool(_PERSON.match(name) or _SHARE.match(name)),
    header_check=_credit_header,
    empty=gettext_lazy("The file has a header row but no records."),
)


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


def _persons(table: Table) -> list[int]:
    return _numbered(table.columns, _PERSON)


def _share(row: Row, column: str) -> Decimal:
    value = row.raw(column)
    if isinstance(value, str) and value.strip().endswith("%"):
        value = value.strip()[:-1].strip()
    if blank(value):
        raise CellError(column, "")
    return read_decimal(value, column)


def _lookups(table: Table):
    customer_ids = {r.text("customer") for r in table.rows} - {""}
    usernames = set()
    for r in table.rows:
        for column in [SALESPERSON, *(f"person{n}" for n in _persons(table))]:
            if table.has(column) and r.text(column):
                usernames.add(r.text(column).lower())
    customers: dict[str, Customer] = {}
    for chunk in chunks(sorted(customer_ids)):
        for c in Customer.objects.filter(external_id__in=chunk):
            customers[c.external_id] = c
    people: dict[str, User] = {}
    for chunk in chunks(sorted(usernames)):
        for user in User.objects.annotate(key=Lower("username")).filter(key__in=chunk):
            people.setdefault(user.key, user)
    return customers, people


def _credits(row: Row, table: Table, people: dict[str, User], problems) -> tuple[list, str]:
    """The row's credits as [{"person": username, "share_pct": share}] and the names of
    the columns they came from (for the service's messages about the split)."""
    single = row.text(SALESPERSON) if table.has(SALESPERSON) else ""
    pairs = []
    for n in _persons(table):
        person = row.text(f"person{n}")
        share_column = f"share{n}"
        share_given = table.has(share_column) and not blank(row.raw(share_column))
        if person or share_given:
            pairs.append((n, person, share_given))
    credit_column = SALESPERSON if table.has(SALESPERSON) else "person1"
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
            except CellError:
                ok = False
                value = row.text(share_column) if table.has(share_column) else ""
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


def read_rows(table: Table) -> tuple[list[tuple[Row, dict, str]], list[ImportIssue]]:
    """The rows as records_bulk_upsert's row dicts with the columns of their credits, or
    the problems of every cell."""
    cells, problems = LAYOUT.check(table)
    good = {row.number: values for row, values in cells}
    customers, people = _lookups(table)
    seen: dict[str, int] = {}
    read = []
    for row in table.rows:
        before = len(problems)
        values = good.get(row.number)
        external_id = row.text("external_id")
        if external_id and len(external_id) <= 64:
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
        key = row.text("customer")
        if not key:
            problems.append(ImportIssue(row.number, "customer", _("The customer is missing.")))
        elif key not in customers:
            problems.append(
                ImportIssue(row.number, "customer", _("Unknown customer: %(id)s.") % {"id": key})
            )
        credits, credit_columns = _credits(row, table, people, problems)
        if values is None or len(problems) != before:
            continue
        data = {
            "external_id": values["external_id"],
            "date": values["date"],
            "customer": key,
            "product": values.get("product", ""),
            "category": values.get("category", ""),
            "amount": values["amount"],
            "quantity": values.get("quantity", Decimal(0)),
            "gross_margin": values.get("gross_margin", Decimal(0)),
            "collected_amount": values.get("collected_amount", Decimal(0)),
            "collected_on": values.get("collected_on"),
            "status": values.get("status", "").lower(),
            "confirm": values.get("confirm", ""),
            "credits": credits,
        }
        read.append((row, data, credit_columns))
    return read, problems


class _Discard(Exception):
    """Roll back a check run of the service (some rows were already refused)."""


_COLUMN_ORDER = {name: i for i, name in enumerate([*TEMPLATE_HEADER, SALESPERSON])}


def _sorted(problems: list[ImportIssue]) -> list[ImportIssue]:
    return sorted(
        problems,
        key=lambda p: (p.row or 0, _COLUMN_ORDER.get(p.column.split(",")[0], 99), p.column),
    )


def import_records(upload, *, filename: str, acting_user) -> ImportResult:
    """Parse, check and, if every row is right, write; nothing is written otherwise."""
    tables, problems = read_file(
        upload, filename=filename, layouts=[LAYOUT], max_bytes=settings.SALES_IMPORT_MAX_BYTES
    )
    if problems:
        return ImportResult(errors=problems)
    read, problems = read_rows(tables[0])

    def column_of(field_name: str, index: int) -> str:
        return {"credits": read[index][2], "row": ""}.get(field_name, field_name)

    try:
        with transaction.atomic():
            try:
                counts = services.records_bulk_upsert(
                    [data for _row, data, _c in read], acting_user=acting_user
                )
            except RowsRefused as exc:
                problems += issues_of(exc, [row for row, _d, _c in read], column_of)
                raise _Discard from None
            if problems:
                raise _Discard
    except _Discard:
        return ImportResult(errors=_sorted(problems))
    except DomainError as exc:
        return ImportResult.refused(str(exc))
    except (IntegrityError, OperationalError):
        return ImportResult.refused(refused_by_database("records"))
    return ImportResult(created=counts["created"], updated=counts["updated"])


def template_csv() -> bytes:
    return csv_file(TEMPLATE_HEADER)


def _format(name: str) -> str | None:
    if name in ("date", "collected_on"):
        return "yyyy-mm-dd"
    if name in ("external_id", "customer") or name.startswith("person"):
        return "@"
    return None


def template_xlsx() -> bytes:
    return template_workbook(
        {"sales": TEMPLATE_HEADER}, formats=_format, width=lambda name: max(12, len(name) + 4)
    )
