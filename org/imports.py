"""Import of units, users and memberships from a CSV file or an XLSX workbook.

Three steps, in this order:

1. `parse_file` turns the bytes into tables (one per kind), checking the header
   rows;
2. `validate` reads what it needs from the database and checks every row of
   every table, collecting all problems (sheet, row, column, message);
3. only when there is no problem at all, `_write` upserts units, then users and
   their roles, then memberships, in bulk, recording the acting user and the
   reason "import: <file name>" in the audit trail.

`import_organisation` runs the three steps inside one transaction, so an import
either writes everything or nothing.

Semantics: a column left out of the file leaves that field unchanged; an empty
cell in a column that is present clears the field (where it may be empty).
Re-importing the same file changes nothing.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, OperationalError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.uploads import read_upload
from org import domain, permissions
from org.models import Membership, OrgUnit, Role, RoleAssignment, User

UNITS = "units"
USERS = "users"
MEMBERSHIPS = "memberships"
KINDS: tuple[str, ...] = (UNITS, USERS, MEMBERSHIPS)
KIND_CHOICES = [
    (UNITS, gettext_lazy("Units")),
    (USERS, gettext_lazy("Users")),
    (MEMBERSHIPS, gettext_lazy("Memberships")),
]
KIND_LABELS = dict(KIND_CHOICES)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An XLSX file is a zip archive: refuse one that unpacks to far more than it weighs.
_MAX_UNPACKED_FACTOR = 20
_LOOKUP_CHUNK = 900  # values per IN (...) query


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str


COLUMNS: dict[str, tuple[Column, ...]] = {
    UNITS: (
        Column(
            "code",
            True,
            gettext_lazy("Unique code: letters, digits, hyphens and underscores (at most 40)."),
        ),
        Column("name", True, gettext_lazy("Name of the unit.")),
        Column("name_zh", False, gettext_lazy("Chinese name of the unit.")),
        Column("kind", True, gettext_lazy("company, region, branch or team.")),
        Column(
            "parent_code",
            False,
            gettext_lazy(
                "Code of the unit above: an existing unit or one in the same file. "
                "Empty for a top-level unit."
            ),
        ),
    ),
    USERS: (
        Column("username", True, gettext_lazy("Sign-in name, unique.")),
        Column("first_name", False, gettext_lazy("Given name.")),
        Column("last_name", False, gettext_lazy("Family name.")),
        Column("email", False, gettext_lazy("E-mail address.")),
        Column("employee_no", False, gettext_lazy("Employee number, unique.")),
        Column(
            "roles",
            False,
            gettext_lazy("Separated by ; or ,: salesperson, supervisor, department, hr, admin."),
        ),
        Column("language", False, gettext_lazy("en or zh-hans; empty for the default.")),
    ),
    MEMBERSHIPS: (
        Column("username", True, gettext_lazy("An existing user or one in the same workbook.")),
        Column("unit_code", True, gettext_lazy("An existing unit or one in the same workbook.")),
        Column("kind", False, gettext_lazy("member (the default) or supervisor.")),
        Column("start_date", True, gettext_lazy("First day, YYYY-MM-DD or a date cell.")),
        Column(
            "end_date",
            False,
            gettext_lazy("Last day (inclusive), YYYY-MM-DD or a date cell; empty if open."),
        ),
    ),
}

_USERNAME_VALIDATOR = UnicodeUsernameValidator()
_USER_FIELD_OF_COLUMN = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "employee_no": "employee_no",
    "language": "preferred_language",
}


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportIssue:
    """One problem: where it is (as a spreadsheet user sees it) and what is wrong."""

    sheet: str  # the worksheet's name, or the kind for a CSV file; "" for the whole file
    row: int | None  # the header is row 1; None for the whole file or sheet
    column: str
    message: str


@dataclass
class ImportResult:
    errors: list[ImportIssue] = field(default_factory=list)
    # {"units": {"created": 1, "updated": 2, "unchanged": 0}, ...}, kinds in the file only
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Row:
    number: int
    values: dict[str, object]  # column name -> raw cell (text, or number/date from XLSX)

    def text(self, column: str) -> str:
        return domain.cell_text(self.values.get(column))


@dataclass
class Table:
    kind: str
    sheet: str
    columns: list[str]
    rows: list[Row]

    def has(self, column: str) -> bool:
        return column in self.columns


class _Problems:
    def __init__(self) -> None:
        self.items: list[ImportIssue] = []

    def add(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.items.append(ImportIssue(sheet, row, column, message))


# --- step 1: parsing --------------------------------------------------------------------


def parse_file(
    data: bytes, *, filename: str, kind: str | None
) -> tuple[list[Table], list[ImportIssue]]:
    """Tables found in a CSV file or an XLSX workbook, with their header rows checked.

    `kind` is what the user said the file holds; it is needed for a CSV file and
    for a workbook whose single sheet is not named units, users or memberships.
    """
    problems = _Problems()
    kind = (kind or "").strip().lower() or None
    if kind is not None and kind not in KINDS:
        problems.add("", None, "", _("Unknown kind of table: %(kind)s.") % {"kind": kind})
        return [], problems.items
    name = filename.lower()
    if not data.strip():
        problems.add("", None, "", _("The file is empty."))
        return [], problems.items
    if data[:4] == b"PK\x03\x04":
        tables = _parse_workbook(data, kind, problems)
    elif name.endswith((".xlsx", ".xlsm")):
        problems.add("", None, "", _("The file is not a valid XLSX workbook."))
        return [], problems.items
    elif name.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        problems.add(
            "",
            None,
            "",
            _("Old Excel files (.xls) are not supported: save the file as XLSX or CSV."),
        )
        return [], problems.items
    else:
        tables = _parse_csv(data, kind, problems)
    return tables, problems.items


def _parse_csv(data: bytes, kind: str | None, problems: _Problems) -> list[Table]:
    if kind is None:
        problems.add(
            "",
            None,
            "",
            _("Choose what the CSV file contains: units, users or memberships."),
        )
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(
            kind,
            None,
            "",
            _(
                "The file is not UTF-8 text (the first bad byte is at position %(pos)s). "
                "Save it as “CSV UTF-8”."
            )
            % {"pos": exc.start + 1},
        )
        return []
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, Sequence[object]]] = []
    try:
        for number, record in enumerate(reader, start=1):
            records.append((number, record))
    except csv.Error as exc:
        problems.add(
            kind,
            len(records) + 1,
            "",
            _("The CSV file cannot be read here: %(error)s.") % {"error": exc},
        )
        return []
    table = _build_table(kind, kind, records, problems)
    return [table] if table is not None else []


def _parse_workbook(data: bytes, kind: str | None, problems: _Problems) -> list[Table]:
    limit = settings.ORG_IMPORT_MAX_BYTES * _MAX_UNPACKED_FACTOR
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        problems.add("", None, "", _("The file is not a valid XLSX workbook."))
        return []
    if unpacked > limit:
        problems.add("", None, "", _("The workbook is too large once unpacked to be imported."))
        return []
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors for a damaged file
        problems.add("", None, "", _("The file is not a valid XLSX workbook."))
        return []
    try:
        return _workbook_tables(workbook, kind, problems)
    except Exception:  # rows of a read-only workbook are parsed lazily
        problems.add("", None, "", _("The workbook could not be read; it may be damaged."))
        return []
    finally:
        workbook.close()


def _workbook_tables(workbook, kind: str | None, problems: _Problems) -> list[Table]:
    titles = workbook.sheetnames
    named: dict[str, str] = {}
    for title in titles:
        sheet_kind = title.strip().lower()
        if sheet_kind not in KINDS:
            continue
        if sheet_kind in named:
            problems.add(
                title,
                None,
                "",
                _("The workbook has two sheets for %(kind)s: “%(first)s” and “%(second)s”.")
                % {"kind": sheet_kind, "first": named[sheet_kind], "second": title},
            )
            continue
        named[sheet_kind] = title
    if not named:
        if len(titles) != 1:
            problems.add(
                "",
                None,
                "",
                _(
                    "The workbook has several sheets but none is named units, users or "
                    "memberships. Rename the sheets, or keep a single sheet and choose "
                    "what it contains."
                ),
            )
            return []
        if kind is None:
            problems.add(
                titles[0],
                None,
                "",
                _(
                    "The sheet “%(sheet)s” is not named units, users or memberships: "
                    "choose what it contains."
                )
                % {"sheet": titles[0]},
            )
            return []
        named[kind] = titles[0]
    tables = []
    for table_kind in KINDS:
        if table_kind not in named:
            continue
        sheet = workbook[named[table_kind]]
        if hasattr(sheet, "reset_dimensions"):
            # The stored size of a sheet is sometimes wrong; read what is there.
            sheet.reset_dimensions()
        records = enumerate(sheet.iter_rows(values_only=True), start=1)
        table = _build_table(table_kind, named[table_kind], records, problems)
        if table is not None:
            tables.append(table)
    return tables


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _build_table(
    kind: str,
    sheet: str,
    records: Iterable[tuple[int, Sequence[object]]],
    problems: _Problems,
) -> Table | None:
    """Check the header row (the first non-empty row) and collect the data rows."""
    records = iter(records)
    header: list[str] | None = None
    header_number = 0
    for number, record in records:
        if all(_is_blank(cell) for cell in record):
            continue
        header = [domain.normalise_header(cell) for cell in record]
        header_number = number
        break
    if header is None:
        problems.add(
            sheet,
            None,
            "",
            _("The sheet has no header row: the first row must name the columns."),
        )
        return None
    if not _header_ok(kind, sheet, header, header_number, problems):
        return None
    columns = [name for name in header if name]
    rows: list[Row] = []
    for number, record in records:
        if all(_is_blank(cell) for cell in record):
            continue
        values: dict[str, object] = {}
        for index, cell in enumerate(record):
            name = header[index] if index < len(header) else ""
            if name:
                values[name] = cell.strip() if isinstance(cell, str) else cell
            elif not _is_blank(cell):
                problems.add(
                    sheet,
                    number,
                    get_column_letter(index + 1),
                    _("There is a value in column %(letter)s, which has no header.")
                    % {"letter": get_column_letter(index + 1)},
                )
        rows.append(Row(number, values))
    return Table(kind, sheet, columns, rows)


def _header_ok(kind: str, sheet: str, header: list[str], number: int, problems: _Problems) -> bool:
    allowed = [c.name for c in COLUMNS[kind]]
    before = len(problems.items)
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            problems.add(
                sheet, number, name, _("The column %(column)s appears twice.") % {"column": name}
            )
        seen.add(name)
    unknown = [name for name in dict.fromkeys(header) if name and name not in allowed]
    if unknown:
        problems.add(
            sheet,
            number,
            ", ".join(unknown),
            _("Unknown column(s): %(unknown)s. The columns of %(kind)s are: %(allowed)s.")
            % {"unknown": ", ".join(unknown), "kind": kind, "allowed": ", ".join(allowed)},
        )
    for column in COLUMNS[kind]:
        if column.required and column.name not in seen:
            problems.add(
                sheet,
                number,
                column.name,
                _("The required column %(column)s is missing.") % {"column": column.name},
            )
    return len(problems.items) == before


# --- step 2: validation ----------------------------------------------------------------


@dataclass
class _UnitRow:
    row: Row
    code: str
    name: str
    name_zh: str | None  # None: column absent, leave as is
    kind: str
    parent_code: str | None
    parent_given: bool  # False: column absent, leave the parent as is
    existing: OrgUnit | None = None


@dataclass
class _UserRow:
    row: Row
    username: str
    values: dict[str, object]  # model field -> value, only the columns present
    roles: list[str] | None  # None: column absent
    existing: User | None = None


@dataclass
class _MembershipRow:
    row: Row
    user_key: str  # lower-case username
    unit_code: str
    kind: str
    start: datetime.date
    end: datetime.date | None
    existing: Membership | None = None


@dataclass
class ImportPlan:
    """What the validated file will write."""

    units: list[_UnitRow] = field(default_factory=list)
    users: list[_UserRow] = field(default_factory=list)
    memberships: list[_MembershipRow] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    all_units: dict[str, OrgUnit] = field(default_factory=dict)  # code -> unit in the db
    users_by_key: dict[str, User] = field(default_factory=dict)  # lower username -> db user
    current_roles: dict[int, dict[str, RoleAssignment]] = field(default_factory=dict)


def _chunks(values: Sequence, size: int = _LOOKUP_CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _is_actor_administrator(acting_user) -> bool:
    return acting_user is not None and permissions.is_administrator(acting_user)


class _Validator:
    def __init__(self, tables: list[Table], acting_user) -> None:
        self.tables = {t.kind: t for t in tables}
        self.acting_user = acting_user
        self.problems = _Problems()
        self.plan = ImportPlan(kinds=[t.kind for t in tables])

    def add(self, table: Table, row: Row | None, column: str, message: str) -> None:
        self.problems.add(table.sheet, row.number if row else None, column, message)

    def run(self) -> tuple[ImportPlan, list[ImportIssue]]:
        self._load_units()
        self._load_users()
        if UNITS in self.tables:
            self._check_units(self.tables[UNITS])
        if USERS in self.tables:
            self._check_users(self.tables[USERS])
        if MEMBERSHIPS in self.tables:
            self._check_memberships(self.tables[MEMBERSHIPS])
        return self.plan, self.problems.items

    # -- database reads

    def _load_units(self) -> None:
        if UNITS in self.tables:
            # The whole tree: a move is checked for loops and paths are recomputed.
            units = OrgUnit.objects.all()
        elif MEMBERSHIPS in self.tables:
            codes = sorted({r.text("unit_code") for r in self.tables[MEMBERSHIPS].rows} - {""})
            units = [u for chunk in _chunks(codes) for u in OrgUnit.objects.filter(code__in=chunk)]
        else:
            units = []
        self.plan.all_units = {u.code: u for u in units}
        self.units_lower = {code.lower(): code for code in self.plan.all_units}

    def _load_users(self) -> None:
        keys: set[str] = set()
        for kind in (USERS, MEMBERSHIPS):
            if kind in self.tables:
                keys |= {r.text("username").lower() for r in self.tables[kind].rows}
        keys.discard("")
        found: dict[str, User] = {}
        for chunk in _chunks(sorted(keys)):
            for user in User.objects.annotate(lower_name=Lower("username")).filter(
                lower_name__in=chunk
            ):
                key = user.username.lower()
                # Usernames differing only in case: prefer the exact spelling.
                if key not in found or user.username == key:
                    found[key] = user
        self.plan.users_by_key = found

    # -- units

    def _check_units(self, table: Table) -> None:
        plan = self.plan
        has_zh, has_parent = table.has("name_zh"), table.has("parent_code")
        file_codes = {r.text("code") for r in table.rows} - {""}
        first_row_of: dict[str, int] = {}
        parsed: list[_UnitRow] = []
        for row in table.rows:
            ok = True
            code = row.text("code")
            if not code:
                self.add(table, row, "code", _("The unit code is empty."))
                ok = False
            elif not domain.is_slug(code) or len(code) > 40:
                self.add(
                    table,
                    row,
                    "code",
                    _(
                        "“%(code)s” is not a valid unit code: use at most 40 letters, "
                        "digits, hyphens and underscores."
                    )
                    % {"code": code},
                )
                ok = False
            elif code in first_row_of:
                self.add(
                    table,
                    row,
                    "code",
                    _("The unit code %(code)s already appears on row %(row)s.")
                    % {"code": code, "row": first_row_of[code]},
                )
                ok = False
            else:
                first_row_of[code] = row.number
            name = row.text("name")
            if not name:
                self.add(table, row, "name", _("The name is empty."))
                ok = False
            ok &= self._max_length(table, row, "name", name, 200)
            name_zh = row.text("name_zh") if has_zh else None
            if name_zh:
                ok &= self._max_length(table, row, "name_zh", name_zh, 200)
            kind = row.text("kind").lower()
            if kind not in OrgUnit.Kind.values:
                self.add(
                    table,
                    row,
                    "kind",
                    _("Unknown unit kind “%(value)s”. Use one of: %(choices)s.")
                    % {"value": row.text("kind"), "choices": ", ".join(OrgUnit.Kind.values)},
                )
                ok = False
            parent_code = (row.text("parent_code") or None) if has_parent else None
            if parent_code is not None and not (
                parent_code in file_codes or parent_code in plan.all_units
            ):
                self.add(table, row, "parent_code", self._unknown_unit(parent_code))
                ok = False
            if ok:
                parsed.append(
                    _UnitRow(
                        row=row,
                        code=code,
                        name=name,
                        name_zh=name_zh,
                        kind=kind,
                        parent_code=parent_code,
                        parent_given=has_parent,
                        existing=plan.all_units.get(code),
                    )
                )
        # Loops: the tree as it would be after the import.
        code_of_pk = {u.pk: u.code for u in plan.all_units.values()}
        parents: dict[str, str | None] = {
            u.code: code_of_pk.get(u.parent_id) for u in plan.all_units.values()
        }
        for item in parsed:
            if item.parent_given or item.existing is None:
                parents[item.code] = item.parent_code
        cycles = domain.parent_cycles(parents)
        for item in parsed:
            if item.code in cycles:
                loop = [*cycles[item.code], item.code]
                self.add(
                    table,
                    item.row,
                    "parent_code",
                    _(
                        "%(code)s cannot be placed under %(parent)s: the unit would be inside "
                        "itself (%(loop)s)."
                    )
                    % {"code": item.code, "parent": item.parent_code, "loop": " → ".join(loop)},
                )
        plan.units = [item for item in parsed if item.code not in cycles]

    def _unknown_unit(self, code: str) -> str:
        close = self.units_lower.get(code.lower())
        if close is None and UNITS in self.tables:
            for other in self.tables[UNITS].rows:
                if other.text("code").lower() == code.lower():
                    close = other.text("code")
                    break
        if close:
            return _("There is no unit with the code %(code)s (did you mean %(close)s?).") % {
                "code": code,
                "close": close,
            }
        return _(
            "There is no unit with the code %(code)s, neither in the organisation nor in this file."
        ) % {"code": code}

    def _max_length(self, table: Table, row: Row, column: str, value: str, limit: int) -> bool:
        if len(value) > limit:
            self.add(
                table,
                row,
                column,
                _("The value is too long: at most %(limit)s characters, not %(length)s.")
                % {"limit": limit, "length": len(value)},
            )
            return False
        return True

    # -- users

    def _check_users(self, table: Table) -> None:
        plan = self.plan
        first_row_of: dict[str, int] = {}
        employee_rows: dict[str, int] = {}
        parsed: list[_UserRow] = []
        for row in table.rows:
            ok = True
            username = row.text("username")
            key = username.lower()
            if not username:
                self.add(table, row, "username", _("The username is empty."))
                ok = False
            else:
                try:
                    _USERNAME_VALIDATOR(username)
                except ValidationError:
                    self.add(
                        table,
                        row,
                        "username",
                        _(
                            "“%(username)s” is not a valid username: use letters, digits "
                            "and @ . + - _ only."
                        )
                        % {"username": username},
                    )
                    ok = False
                ok &= self._max_length(table, row, "username", username, 150)
                if key in first_row_of:
                    self.add(
                        table,
                        row,
                        "username",
                        _("The username %(username)s already appears on row %(row)s.")
                        % {"username": username, "row": first_row_of[key]},
                    )
                    ok = False
                else:
                    first_row_of[key] = row.number
            values: dict[str, object] = {}
            for column in ("first_name", "last_name"):
                if table.has(column):
                    text = row.text(column)
                    ok &= self._max_length(table, row, column, text, 150)
                    values[column] = text
            if table.has("email"):
                email = row.text("email")
                if email:
                    try:
                        validate_email(email)
                    except ValidationError:
                        self.add(
                            table,
                            row,
                            "email",
                            _("“%(email)s” is not a valid e-mail address.") % {"email": email},
                        )
                        ok = False
                    else:
                        email = User.objects.normalize_email(email)
                values["email"] = email
            if table.has("employee_no"):
                number = row.text("employee_no")
                ok &= self._max_length(table, row, "employee_no", number, 32)
                if number and number in employee_rows:
                    self.add(
                        table,
                        row,
                        "employee_no",
                        _("The employee number %(number)s already appears on row %(row)s.")
                        % {"number": number, "row": employee_rows[number]},
                    )
                    ok = False
                elif number:
                    employee_rows[number] = row.number
                values["employee_no"] = number or None
            if table.has("language"):
                language = row.text("language").lower().replace("_", "-")
                codes = [code for code, _label in settings.LANGUAGES]
                if language and language not in codes:
                    self.add(
                        table,
                        row,
                        "language",
                        _("Unknown language “%(value)s”. Use one of: %(choices)s, or leave empty.")
                        % {"value": row.text("language"), "choices": ", ".join(codes)},
                    )
                    ok = False
                values["preferred_language"] = language
            roles = None
            if table.has("roles"):
                roles, unknown = domain.parse_roles(row.text("roles"), Role.values)
                if unknown:
                    self.add(
                        table,
                        row,
                        "roles",
                        _("Unknown role(s): %(unknown)s. Use: %(choices)s.")
                        % {"unknown": ", ".join(unknown), "choices": ", ".join(Role.values)},
                    )
                    ok = False
            if ok:
                parsed.append(
                    _UserRow(
                        row=row,
                        username=username,
                        values=values,
                        roles=roles,
                        existing=plan.users_by_key.get(key),
                    )
                )
        self._check_employee_numbers(table, parsed)
        if table.has("roles"):
            self._load_roles(parsed)
            self._check_administrator_role(table, parsed)
        plan.users = parsed

    def _check_employee_numbers(self, table: Table, parsed: list[_UserRow]) -> None:
        """An employee number may belong to one person only, once the file is applied."""
        if not table.has("employee_no"):
            return
        wanted = sorted(
            {str(item.values["employee_no"]) for item in parsed if item.values["employee_no"]}
        )
        holders: dict[str, tuple[int, str]] = {}
        for chunk in _chunks(wanted):
            for pk, username, number in User.objects.filter(employee_no__in=chunk).values_list(
                "pk", "username", "employee_no"
            ):
                holders[number] = (pk, username)
        in_file = {item.username.lower(): item for item in parsed}
        for item in parsed:
            number = item.values["employee_no"]
            if not number or number not in holders:
                continue
            holder_pk, holder_name = holders[number]
            if item.existing is not None and item.existing.pk == holder_pk:
                continue
            holder_row = in_file.get(holder_name.lower())
            if holder_row is not None and holder_row.values["employee_no"] != number:
                continue  # the holder gets another number in this same file
            self.add(
                table,
                item.row,
                "employee_no",
                _("The employee number %(number)s already belongs to %(username)s.")
                % {"number": number, "username": holder_name},
            )

    def _load_roles(self, parsed: list[_UserRow]) -> None:
        pks = sorted(item.existing.pk for item in parsed if item.existing is not None)
        current: dict[int, dict[str, RoleAssignment]] = defaultdict(dict)
        for chunk in _chunks(pks):
            for assignment in RoleAssignment.objects.filter(user_id__in=chunk):
                current[assignment.user_id][assignment.role] = assignment
        self.plan.current_roles = current

    def _check_administrator_role(self, table: Table, parsed: list[_UserRow]) -> None:
        """Only an administrator may make or unmake administrators (who are superusers)."""
        actor_is_admin: bool | None = None
        for item in parsed:
            if item.roles is None:
                continue
            wants_admin = Role.ADMINISTRATOR in item.roles
            user = item.existing
            if user is None:
                changes = wants_admin
            else:
                changes = (
                    wants_admin != (Role.ADMINISTRATOR in self.plan.current_roles.get(user.pk, {}))
                    or user.is_staff != wants_admin
                    or (user.is_superuser and not wants_admin)
                )
            if not changes:
                continue
            if actor_is_admin is None:
                actor_is_admin = _is_actor_administrator(self.acting_user)
            if not actor_is_admin:
                self.add(
                    table,
                    item.row,
                    "roles",
                    _(
                        "Only an administrator can grant or remove the administrator role "
                        "(or staff access)."
                    ),
                )

    # -- memberships

    def _check_memberships(self, table: Table) -> None:
        plan = self.plan
        file_units = (
            {r.text("code") for r in self.tables[UNITS].rows} if UNITS in self.tables else set()
        )
        file_users = (
            {r.text("username").lower() for r in self.tables[USERS].rows}
            if USERS in self.tables
            else set()
        )
        has_kind, has_end = table.has("kind"), table.has("end_date")
        parsed: list[_MembershipRow] = []
        for row in table.rows:
            ok = True
            username = row.text("username")
            user_key = username.lower()
            if not username:
                self.add(table, row, "username", _("The username is empty."))
                ok = False
            elif user_key not in plan.users_by_key and user_key not in file_users:
                self.add(
                    table,
                    row,
                    "username",
                    _(
                        "There is no user %(username)s, neither in the organisation nor in "
                        "this file."
                    )
                    % {"username": username},
                )
                ok = False
            unit_code = row.text("unit_code")
            if not unit_code:
                self.add(table, row, "unit_code", _("The unit code is empty."))
                ok = False
            elif unit_code not in plan.all_units and unit_code not in file_units:
                self.add(table, row, "unit_code", self._unknown_unit(unit_code))
                ok = False
            kind = (row.text("kind").lower() if has_kind else "") or Membership.Kind.MEMBER
            if kind not in Membership.Kind.values:
                self.add(
                    table,
                    row,
                    "kind",
                    _("Unknown membership kind “%(value)s”. Use one of: %(choices)s.")
                    % {"value": row.text("kind"), "choices": ", ".join(Membership.Kind.values)},
                )
                ok = False
            start, start_ok = self._date(table, row, "start_date")
            if start_ok and start is None:
                self.add(table, row, "start_date", _("The start date is empty."))
                start_ok = False
            end, end_ok = self._date(table, row, "end_date") if has_end else (None, True)
            if not (start_ok and end_ok):
                ok = False
            elif end is not None and end < start:
                self.add(
                    table,
                    row,
                    "end_date",
                    _("The end date %(end)s is before the start date %(start)s.")
                    % {"end": end.isoformat(), "start": start.isoformat()},
                )
                ok = False
            if ok:
                parsed.append(
                    _MembershipRow(
                        row=row,
                        user_key=user_key,
                        unit_code=unit_code,
                        kind=kind,
                        start=start,
                        end=end,
                    )
                )
        self._match_and_check_overlaps(table, parsed)

    def _date(self, table: Table, row: Row, column: str) -> tuple[datetime.date | None, bool]:
        """(the date or None for an empty cell, whether the cell was readable)."""
        raw = row.values.get(column)
        try:
            return domain.parse_date_cell(raw), True
        except ValueError:
            self.add(
                table,
                row,
                column,
                _("“%(value)s” is not a date: write it as YYYY-MM-DD, e.g. 2025-01-31.")
                % {"value": domain.cell_text(raw)},
            )
            return None, False

    def _match_and_check_overlaps(self, table: Table, parsed: list[_MembershipRow]) -> None:
        plan = self.plan
        user_pks = sorted(
            {plan.users_by_key[m.user_key].pk for m in parsed if m.user_key in plan.users_by_key}
        )
        if user_pks:
            # Serialise membership writes per person, as services.membership_create does.
            for chunk in _chunks(user_pks):
                list(
                    User.objects.select_for_update()
                    .filter(pk__in=chunk)
                    .values_list("pk", flat=True)
                )
        existing: list[Membership] = []
        for chunk in _chunks(user_pks):
            existing.extend(
                Membership.objects.filter(user_id__in=chunk).select_related("user", "unit")
            )
        by_identity = {
            (m.user.username.lower(), m.unit.code, m.kind, m.start_date): m for m in existing
        }
        first_row_of: dict[tuple, int] = {}
        accepted: list[_MembershipRow] = []
        for item in parsed:
            identity = (item.user_key, item.unit_code, item.kind, item.start)
            if identity in first_row_of:
                self.add(
                    table,
                    item.row,
                    "start_date",
                    _(
                        "Row %(row)s already has this person, unit, kind and start date; "
                        "a membership can appear only once."
                    )
                    % {"row": first_row_of[identity]},
                )
                continue
            first_row_of[identity] = item.row.number
            item.existing = by_identity.get(identity)
            accepted.append(item)
        # The memberships as they would be after the import, grouped by the overlap rule.
        groups: dict[tuple, list[domain.Interval]] = defaultdict(list)
        replaced = {item.existing.pk for item in accepted if item.existing is not None}
        for membership in existing:
            if membership.pk in replaced:
                continue
            group = domain.membership_overlap_group(
                membership.user.username.lower(), membership.unit.code, membership.kind
            )
            groups[group].append(
                domain.Interval(membership, membership.start_date, membership.end_date)
            )
        for item in accepted:
            group = domain.membership_overlap_group(item.user_key, item.unit_code, item.kind)
            groups[group].append(domain.Interval(item, item.start, item.end))
        clashing: set[int] = set()
        for intervals in groups.values():
            if len(intervals) < 2:
                continue
            for first, second in domain.overlapping_pairs(intervals):
                rows = [i.key for i in (first, second) if isinstance(i.key, _MembershipRow)]
                if not rows:
                    continue  # an overlap already in the database is not this file's doing
                if len(rows) == 2:
                    earlier, later = sorted(rows, key=lambda r: r.row.number)
                    message = _(
                        "This %(kind)s membership overlaps the one on row %(row)s "
                        "(%(unit)s, %(span)s)."
                    ) % {
                        "kind": Membership.Kind(later.kind).label,
                        "row": earlier.row.number,
                        "unit": earlier.unit_code,
                        "span": _span(earlier.start, earlier.end),
                    }
                    target = later
                else:
                    target = rows[0]
                    other = first.key if second.key is target else second.key
                    message = _(
                        "%(person)s already has a %(kind)s membership of %(unit)s %(span)s, "
                        "which overlaps these dates."
                    ) % {
                        "person": other.user.username,
                        "kind": other.get_kind_display(),
                        "unit": other.unit.code,
                        "span": _span(other.start_date, other.end_date),
                    }
                self.add(table, target.row, "start_date", message)
                clashing.add(target.row.number)
        plan.memberships = [item for item in accepted if item.row.number not in clashing]


def _span(start: datetime.date, end: datetime.date | None) -> str:
    if end is None:
        return _("from %(start)s with no end date") % {"start": start.isoformat()}
    return _("from %(start)s to %(end)s") % {"start": start.isoformat(), "end": end.isoformat()}


def validate(tables: list[Table], *, acting_user=None) -> tuple[ImportPlan, list[ImportIssue]]:
    """Check every row of every table against the file and the database (reads only).

    The problems come sorted by sheet (in the file's order) and row.
    """
    plan, problems = _Validator(tables, acting_user).run()
    sheet_order = {table.sheet: index for index, table in enumerate(tables)}
    problems.sort(key=lambda p: (sheet_order.get(p.sheet, -1), p.row or 0))
    return plan, problems


# --- step 3: writing --------------------------------------------------------------------


@dataclass
class _Audit:
    user: User | None
    reason: str

    def mark(self, instance) -> None:
        if self.user is not None:
            instance._history_user = self.user
        instance._change_reason = self.reason


def change_reason(filename: str) -> str:
    """ "import: <file name>", short enough for the audit trail's reason column."""
    base = os.path.basename(filename.replace("\\", "/")) or "?"
    reason = f"import: {base}"
    return reason if len(reason) <= 100 else reason[:99] + "…"


def _write(plan: ImportPlan, audit: _Audit) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    if UNITS in plan.kinds:
        counts[UNITS] = _write_units(plan, audit)
    if USERS in plan.kinds:
        counts[USERS] = _write_users(plan, audit)
    if MEMBERSHIPS in plan.kinds:
        counts[MEMBERSHIPS] = _write_memberships(plan, audit)
    return counts


def _history_kwargs(audit: _Audit) -> dict:
    return {"default_user": audit.user, "default_change_reason": audit.reason}


def _write_units(plan: ImportPlan, audit: _Audit) -> dict[str, int]:
    units = plan.all_units  # code -> unit; grows with the new ones
    new = [item for item in plan.units if item.existing is None]
    # Create top-down, one bulk insert per level, so a new unit's parent already has a key.
    pending = new
    while pending:
        ready = [i for i in pending if i.parent_code is None or i.parent_code in units]
        if not ready:  # cannot happen: loops were refused during validation
            raise RuntimeError("unit import: unresolved parents")
        objects = [
            OrgUnit(
                code=i.code,
                name=i.name,
                name_zh=i.name_zh or "",
                kind=i.kind,
                parent_id=units[i.parent_code].pk if i.parent_code else None,
            )
            for i in ready
        ]
        for unit in bulk_create_with_history(objects, OrgUnit, **_history_kwargs(audit)):
            units[unit.code] = unit
        ready_codes = {i.code for i in ready}
        pending = [i for i in pending if i.code not in ready_codes]

    changed: list[OrgUnit] = []
    unchanged = 0
    for item in plan.units:
        unit = item.existing
        if unit is None:
            continue
        wanted = {"name": item.name, "kind": item.kind}
        if item.name_zh is not None:
            wanted["name_zh"] = item.name_zh
        if item.parent_given:
            wanted["parent_id"] = units[item.parent_code].pk if item.parent_code else None
        if all(getattr(unit, attr) == value for attr, value in wanted.items()):
            unchanged += 1
            continue
        for attr, value in wanted.items():
            setattr(unit, attr, value)
        changed.append(unit)

    # Paths and depths of the whole tree as it is now; moved subtrees follow their root.
    by_pk = {unit.pk: unit for unit in units.values()}
    old = {pk: (unit.path, unit.depth) for pk, unit in by_pk.items()}
    _compute_paths(by_pk)
    changed_pks = {unit.pk for unit in changed}
    if changed:
        bulk_update_with_history(
            changed,
            OrgUnit,
            ["name", "name_zh", "kind", "parent", "path", "depth"],
            **_history_kwargs(audit),
        )
    # Like services._rebuild_subtree_paths: path and depth are derived, not audited.
    moved = [
        unit
        for pk, unit in by_pk.items()
        if pk not in changed_pks and (unit.path, unit.depth) != old[pk]
    ]
    if moved:
        OrgUnit.objects.bulk_update(moved, ["path", "depth"])
    return {"created": len(new), "updated": len(changed), "unchanged": unchanged}


def _compute_paths(by_pk: dict[int, OrgUnit]) -> None:
    done: set[int] = set()
    for start in by_pk:
        chain: list[int] = []
        pk: int | None = start
        while pk is not None and pk not in done and pk in by_pk and pk not in chain:
            chain.append(pk)
            pk = by_pk[pk].parent_id
        parent = by_pk[pk] if pk is not None and pk in by_pk else None
        for unit_pk in reversed(chain):
            unit = by_pk[unit_pk]
            unit.path = domain.unit_path(parent.path if parent else None, unit.pk)
            unit.depth = parent.depth + 1 if parent else 0
            done.add(unit_pk)
            parent = unit


def _write_users(plan: ImportPlan, audit: _Audit) -> dict[str, int]:
    changed: list[User] = []
    changed_fields: set[str] = set()
    role_changes: set[int] = set()
    unchanged = 0
    clear_numbers: list[int] = []
    new_objects: list[User] = []
    for item in plan.users:
        values = dict(item.values)
        if item.roles is not None:
            wants_admin = Role.ADMINISTRATOR in item.roles
            user = item.existing
            if (
                user is None
                or user.is_staff != wants_admin
                or (user.is_superuser and not wants_admin)
            ):
                values["is_staff"] = values["is_superuser"] = wants_admin
        if item.existing is None:
            user = User(username=item.username, **values)
            user.set_unusable_password()
            new_objects.append(user)
            continue
        user = item.existing
        diff = {k: v for k, v in values.items() if getattr(user, k) != v}
        if item.roles is not None and set(item.roles) != set(plan.current_roles.get(user.pk, {})):
            role_changes.add(user.pk)
        if not diff:
            if user.pk not in role_changes:
                unchanged += 1
            continue
        if "employee_no" in diff and user.employee_no:
            clear_numbers.append(user.pk)
        for attr, value in diff.items():
            setattr(user, attr, value)
        changed_fields |= set(diff)
        changed.append(user)
    for chunk in _chunks(clear_numbers):
        # Free the numbers first so two people can swap theirs (not audited: transient).
        User.objects.filter(pk__in=chunk).update(employee_no=None)
    if changed:
        bulk_update_with_history(changed, User, sorted(changed_fields), **_history_kwargs(audit))
    created = bulk_create_with_history(new_objects, User, **_history_kwargs(audit))
    for user in created:
        plan.users_by_key[user.username.lower()] = user
    _write_roles(plan, audit)
    updated = len({u.pk for u in changed} | role_changes)
    return {"created": len(created), "updated": updated, "unchanged": unchanged}


def _write_roles(plan: ImportPlan, audit: _Audit) -> None:
    to_create: list[RoleAssignment] = []
    to_delete: list[RoleAssignment] = []
    for item in plan.users:
        if item.roles is None:
            continue
        user = plan.users_by_key[item.username.lower()]
        current = plan.current_roles.get(user.pk, {}) if item.existing is not None else {}
        for role in sorted(set(item.roles) - set(current)):
            to_create.append(RoleAssignment(user_id=user.pk, role=role))
        for role in sorted(set(current) - set(item.roles)):
            to_delete.append(current[role])
    if to_create:
        bulk_create_with_history(to_create, RoleAssignment, **_history_kwargs(audit))
    for assignment in to_delete:
        # One by one so each deletion is recorded with the actor and the reason.
        audit.mark(assignment)
        assignment.delete()


def _write_memberships(plan: ImportPlan, audit: _Audit) -> dict[str, int]:
    new: list[Membership] = []
    changed: list[Membership] = []
    unchanged = 0
    for item in plan.memberships:
        if item.existing is not None:
            if item.existing.end_date == item.end:
                unchanged += 1
            else:
                item.existing.end_date = item.end
                changed.append(item.existing)
            continue
        new.append(
            Membership(
                user_id=plan.users_by_key[item.user_key].pk,
                unit_id=plan.all_units[item.unit_code].pk,
                kind=item.kind,
                start_date=item.start,
                end_date=item.end,
            )
        )
    if changed:
        bulk_update_with_history(changed, Membership, ["end_date"], **_history_kwargs(audit))
    if new:
        bulk_create_with_history(new, Membership, **_history_kwargs(audit))
    return {"created": len(new), "updated": len(changed), "unchanged": unchanged}


# --- the whole import -----------------------------------------------------------------


def import_organisation(upload, *, filename: str, kind: str | None, acting_user) -> ImportResult:
    """Parse, validate and, if everything is right, write a file; nothing is written otherwise.

    `upload` is an uploaded file (or bytes); `kind` says what a CSV file (or a
    workbook's single, otherwise named sheet) contains. Returns the problems found,
    or the counts created/updated/unchanged per kind.
    """
    data, too_big = read_upload(upload)
    if too_big:
        return ImportResult(errors=[ImportIssue("", None, "", p.message) for p in too_big])
    tables, problems = parse_file(data, filename=filename, kind=kind)
    if problems:
        return ImportResult(errors=problems)
    if not tables:
        return ImportResult(errors=[ImportIssue("", None, "", _("The file holds no table."))])
    actor = acting_user if getattr(acting_user, "pk", None) else None
    audit = _Audit(actor, change_reason(filename))
    try:
        with transaction.atomic():
            plan, problems = validate(tables, acting_user=actor)
            if problems:
                return ImportResult(errors=problems)
            counts = _write(plan, audit)
    except (IntegrityError, OperationalError):
        # E.g. somebody changed the same people or units at the same moment.
        return ImportResult(
            errors=[
                ImportIssue(
                    "",
                    None,
                    "",
                    _(
                        "The database refused the import, probably because the organisation "
                        "changed at the same time. Nothing was written; please try again."
                    ),
                )
            ]
        )
    return ImportResult(counts=counts)


# --- templates ----------------------------------------------------------------------------


def template_header(kind: str) -> list[str]:
    return [column.name for column in COLUMNS[kind]]


def template_csv(kind: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(template_header(kind))
    return out.getvalue()


def template_workbook() -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for kind in KINDS:
        sheet = workbook.create_sheet(kind)
        sheet.append(template_header(kind))
        for index, cell in enumerate(sheet[1], start=1):
            cell.font = bold
            sheet.column_dimensions[get_column_letter(index)].width = 16
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
