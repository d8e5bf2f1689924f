"""Import of units, users and memberships from a CSV file or an XLSX workbook.

The three tables are declared here (`LAYOUTS`); `core.imports` reads the file (a CSV
file of the kind the user chose, or the sheets of a workbook named units, users and
memberships) and checks the header rows. Then, inside one transaction:

1. `validate` reads what it needs from the database and checks every row of every
   table, collecting all problems (sheet, row, column, message), into an
   `org.services.OrganisationPlan`;
2. only when there is no problem at all, `org.services.organisation_bulk_apply`
   upserts units, then users and their roles, then memberships, in bulk, recording
   the acting user and the reason "import: <file name>" in the audit trail.

So an import either writes everything or nothing.

Semantics: a column left out of the file leaves that field unchanged; an empty
cell in a column that is present clears the field (where it may be empty).
Re-importing the same file changes nothing.
"""

from __future__ import annotations

import datetime
import os
from collections import defaultdict

from django.conf import settings
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, OperationalError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.imports import (
    CHOICE,
    DATE,
    Column,
    ImportIssue,
    ImportResult,
    Layout,
    Row,
    Table,
    chunks,
    read_file,
    refused_by_database,
)
from core.spreadsheets import csv_file, template_workbook
from core.text import is_slug
from org import domain, permissions, services
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


def _needed(name: str, help: str, **kwargs) -> Column:
    """A column the header names and every row fills in."""
    return Column(name, help, required=True, needed=True, **kwargs)


COLUMNS: dict[str, tuple[Column, ...]] = {
    UNITS: (
        Column(
            "code",
            gettext_lazy("Unique code: letters, digits, hyphens and underscores (at most 40)."),
            required=True,
            type=None,
        ),
        _needed(
            "name",
            gettext_lazy("Name of the unit."),
            max_length=200,
            missing=gettext_lazy("The name is empty."),
        ),
        Column("name_zh", gettext_lazy("Chinese name of the unit."), max_length=200),
        _needed(
            "kind",
            gettext_lazy("company, region, branch or team."),
            type=CHOICE,
            choices=tuple(OrgUnit.Kind.values),
            invalid=gettext_lazy("Unknown unit kind “%(value)s”. Use one of: %(choices)s."),
        ),
        Column(
            "parent_code",
            gettext_lazy(
                "Code of the unit above: an existing unit or one in the same file. "
                "Empty for a top-level unit."
            ),
            type=None,
        ),
    ),
    USERS: (
        _needed(
            "username",
            gettext_lazy("Sign-in name, unique."),
            max_length=150,
            missing=gettext_lazy("The username is empty."),
        ),
        Column("first_name", gettext_lazy("Given name."), max_length=150),
        Column("last_name", gettext_lazy("Family name."), max_length=150),
        Column("email", gettext_lazy("E-mail address."), type=None),
        Column("employee_no", gettext_lazy("Employee number, unique."), max_length=32),
        Column(
            "roles",
            gettext_lazy("Separated by ; or ,: salesperson, supervisor, department, hr, admin."),
            type=None,
        ),
        Column("language", gettext_lazy("en or zh-hans; empty for the default."), type=None),
    ),
    MEMBERSHIPS: (
        _needed(
            "username",
            gettext_lazy("An existing user or one in the same workbook."),
            missing=gettext_lazy("The username is empty."),
        ),
        _needed(
            "unit_code",
            gettext_lazy("An existing unit or one in the same workbook."),
            missing=gettext_lazy("The unit code is empty."),
        ),
        Column(
            "kind",
            gettext_lazy("member (the default) or supervisor."),
            type=CHOICE,
            choices=tuple(Membership.Kind.values),
            default=Membership.Kind.MEMBER,
            invalid=gettext_lazy("Unknown membership kind “%(value)s”. Use one of: %(choices)s."),
        ),
        _needed(
            "start_date",
            gettext_lazy("First day, YYYY-MM-DD or a date cell."),
            type=DATE,
            missing=gettext_lazy("The start date is empty."),
        ),
        Column(
            "end_date",
            gettext_lazy("Last day (inclusive), YYYY-MM-DD or a date cell; empty if open."),
            type=DATE,
        ),
    ),
}

LAYOUTS: tuple[Layout, ...] = tuple(Layout(kind, COLUMNS[kind], strict=True) for kind in KINDS)

_USERNAME_VALIDATOR = UnicodeUsernameValidator()


# --- validation -------------------------------------------------------------------------


def _is_actor_administrator(acting_user) -> bool:
    return acting_user is not None and permissions.is_administrator(acting_user)


class _Validator:
    def __init__(self, tables: list[Table], acting_user) -> None:
        self.tables = {t.kind: t for t in tables}
        self.acting_user = acting_user
        self.problems: list[ImportIssue] = []
        self.plan = services.OrganisationPlan(kinds=[t.kind for t in tables])
        # The declared cells of every table, read as their types (rows without a bad cell).
        self.cells: dict[str, dict[int, dict]] = {}
        for table in tables:
            good, problems = table.layout.check(table)
            self.problems += problems
            self.cells[table.kind] = {row.number: values for row, values in good}

    def add(self, table: Table, row: Row | None, column: str, message: str) -> None:
        self.problems.append(ImportIssue(row.number if row else None, column, message, table.sheet))

    def run(self) -> tuple[services.OrganisationPlan, list[ImportIssue]]:
        self._load_units()
        self._load_users()
        if UNITS in self.tables:
            self._check_units(self.tables[UNITS])
        if USERS in self.tables:
            self._check_users(self.tables[USERS])
        if MEMBERSHIPS in self.tables:
            self._check_memberships(self.tables[MEMBERSHIPS])
        return self.plan, self.problems

    # -- database reads

    def _load_units(self) -> None:
        if UNITS in self.tables:
            # The whole tree: a move is checked for loops and paths are recomputed.
            units = OrgUnit.objects.all()
        elif MEMBERSHIPS in self.tables:
            codes = sorted({r.text("unit_code") for r in self.tables[MEMBERSHIPS].rows} - {""})
            units = [u for chunk in chunks(codes) for u in OrgUnit.objects.filter(code__in=chunk)]
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
        for chunk in chunks(sorted(keys)):
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
        parsed: list[services.UnitUpsert] = []
        cells = self.cells[UNITS]
        for row in table.rows:
            values = cells.get(row.number)
            ok = values is not None
            code = row.text("code")
            if not code:
                self.add(table, row, "code", _("The unit code is empty."))
                ok = False
            elif not is_slug(code) or len(code) > 40:
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
            parent_code = (row.text("parent_code") or None) if has_parent else None
            if parent_code is not None and not (
                parent_code in file_codes or parent_code in plan.all_units
            ):
                self.add(table, row, "parent_code", self._unknown_unit(parent_code))
                ok = False
            if ok:
                parsed.append(
                    services.UnitUpsert(
                        row=row,
                        code=code,
                        name=values["name"],
                        name_zh=values["name_zh"] if has_zh else None,
                        kind=values["kind"],
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

    # -- users

    def _check_users(self, table: Table) -> None:
        plan = self.plan
        first_row_of: dict[str, int] = {}
        employee_rows: dict[str, int] = {}
        parsed: list[services.UserUpsert] = []
        cells = self.cells[USERS]
        for row in table.rows:
            cell = cells.get(row.number)
            ok = cell is not None
            username = row.text("username")
            key = username.lower()
            if username:
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
                if table.has(column) and cell is not None:
                    values[column] = cell[column]
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
                    services.UserUpsert(
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

    def _check_employee_numbers(self, table: Table, parsed: list[services.UserUpsert]) -> None:
        """An employee number may belong to one person only, once the file is applied."""
        if not table.has("employee_no"):
            return
        wanted = sorted(
            {str(item.values["employee_no"]) for item in parsed if item.values["employee_no"]}
        )
        holders: dict[str, tuple[int, str]] = {}
        for chunk in chunks(wanted):
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

    def _load_roles(self, parsed: list[services.UserUpsert]) -> None:
        pks = sorted(item.existing.pk for item in parsed if item.existing is not None)
        current: dict[int, dict[str, RoleAssignment]] = defaultdict(dict)
        for chunk in chunks(pks):
            for assignment in RoleAssignment.objects.filter(user_id__in=chunk):
                current[assignment.user_id][assignment.role] = assignment
        self.plan.current_roles = current

    def _check_administrator_role(self, table: Table, parsed: list[services.UserUpsert]) -> None:
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
        parsed: list[services.MembershipUpsert] = []
        cells = self.cells[MEMBERSHIPS]
        for row in table.rows:
            values = cells.get(row.number)
            ok = values is not None
            username = row.text("username")
            user_key = username.lower()
            if username and user_key not in plan.users_by_key and user_key not in file_users:
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
            if unit_code not in plan.all_units and unit_code not in file_units:
                self.add(table, row, "unit_code", self._unknown_unit(unit_code))
                ok = False
            if values is not None:
                start, end = values["start_date"], values.get("end_date")
                if end is not None and end < start:
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
                    services.MembershipUpsert(
                        row=row,
                        user_key=user_key,
                        unit_code=unit_code,
                        kind=values.get("kind", Membership.Kind.MEMBER),
                        start=start,
                        end=end,
                    )
                )
        self._match_and_check_overlaps(table, parsed)

    def _match_and_check_overlaps(
        self, table: Table, parsed: list[services.MembershipUpsert]
    ) -> None:
        plan = self.plan
        user_pks = sorted(
            {plan.users_by_key[m.user_key].pk for m in parsed if m.user_key in plan.users_by_key}
        )
        if user_pks:
            # Serialise membership writes per person, as services.membership_create does.
            for chunk in chunks(user_pks):
                list(
                    User.objects.select_for_update()
                    .filter(pk__in=chunk)
                    .values_list("pk", flat=True)
                )
        existing: list[Membership] = []
        for chunk in chunks(user_pks):
            existing.extend(
                Membership.objects.filter(user_id__in=chunk).select_related("user", "unit")
            )
        by_identity = {
            (m.user.username.lower(), m.unit.code, m.kind, m.start_date): m for m in existing
        }
        first_row_of: dict[tuple, int] = {}
        accepted: list[services.MembershipUpsert] = []
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
                rows = [
                    i.key for i in (first, second) if isinstance(i.key, services.MembershipUpsert)
                ]
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


def validate(
    tables: list[Table], *, acting_user=None
) -> tuple[services.OrganisationPlan, list[ImportIssue]]:
    """Check every row of every table against the file and the database (reads only).

    The problems come sorted by sheet (in the file's order) and row.
    """
    plan, problems = _Validator(tables, acting_user).run()
    sheet_order = {table.sheet: index for index, table in enumerate(tables)}
    problems.sort(key=lambda p: (sheet_order.get(p.sheet, -1), p.row or 0))
    return plan, problems


def change_reason(filename: str) -> str:
    """ "import: <file name>", short enough for the audit trail's reason column."""
    base = os.path.basename(filename.replace("\\", "/")) or "?"
    reason = f"import: {base}"
    return reason if len(reason) <= 100 else reason[:99] + "…"


# --- the whole import -----------------------------------------------------------------


def import_organisation(upload, *, filename: str, kind: str | None, acting_user) -> ImportResult:
    """Parse, validate and, if everything is right, write a file; nothing is written otherwise.

    `upload` is an uploaded file (or bytes); `kind` says what a CSV file (or a
    workbook's single, otherwise named sheet) contains. Returns the problems found,
    or the counts created/updated/unchanged per kind.
    """
    kind = (kind or "").strip().lower() or None
    tables, problems = read_file(
        upload,
        filename=filename,
        layouts=LAYOUTS,
        kind=kind,
        max_bytes=settings.ORG_IMPORT_MAX_BYTES,
    )
    if problems:
        return ImportResult(errors=problems)
    if not tables:
        return ImportResult.refused(_("The file holds no table."))
    actor = acting_user if getattr(acting_user, "pk", None) else None
    try:
        with transaction.atomic():
            plan, problems = validate(tables, acting_user=actor)
            if problems:
                return ImportResult(errors=problems)
            counts = services.organisation_bulk_apply(
                plan=plan, acting_user=actor, reason=change_reason(filename)
            )
    except (IntegrityError, OperationalError):
        # E.g. somebody changed the same people or units at the same moment.
        return ImportResult.refused(refused_by_database("organisation"))
    return ImportResult(counts=counts)


# --- templates ----------------------------------------------------------------------------


def template_header(kind: str) -> list[str]:
    return [column.name for column in COLUMNS[kind]]


def template_csv(kind: str) -> bytes:
    return csv_file(template_header(kind), bom=False)


def template_xlsx() -> bytes:
    return template_workbook({kind: template_header(kind) for kind in KINDS})
