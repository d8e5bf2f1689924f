"""Import and export of targets as CSV or XLSX.

Import, in three steps inside one transaction:

1. `core.imports` reads the header row and the data rows (CSV, or the first sheet of
   a workbook) of the columns declared here;
2. `validate` looks up everything the rows name in a fixed number of queries and
   checks every row, collecting every problem (row, column, message);
3. only when no row has a problem, the targets are written as drafts through
   `services.targets_write`, in bulk, audited with the acting user and the reason
   "import: <file name>".

Columns: metric (code), period ("FY2026", "FY2026 Q1" or "2026-03" for a month),
owner_type (unit or person), owner (a unit's code or a person's username), value;
optionally team (for a person: the code of the team whose part the value is, since a
person who moved has a part in each team they were in; empty: the team they were
last in during the period). Other columns (an exported file has status and
owner_name) are ignored, so an export can be edited and imported again.

Export writes the same columns for the targets a user may see, with every text cell
that a spreadsheet would read as a formula prefixed with a quote.
"""

from __future__ import annotations

import datetime
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.errors import DomainError
from core.imports import (
    Column,
    ImportIssue,
    ImportResult,
    Layout,
    Row,
    blank,
    cell_text,
    chunks,
    read_file,
    refused_by_database,
)
from core.spreadsheets import csv_file, neutralise
from org.models import Membership, OrgUnit, Period, User
from targets import cascade_planner, domain, services
from targets.models import Metric, Target

UNIT = "unit"
PERSON = "person"

COLUMNS: tuple[Column, ...] = (
    Column("metric", gettext_lazy("The metric's code, e.g. revenue."), required=True, type=None),
    Column(
        "period",
        gettext_lazy(
            "A fiscal year by its name (FY2026), a quarter as the year's name, a space and "
            "Q1 to Q4 (FY2026 Q1), or a month as YYYY-MM (2026-03)."
        ),
        required=True,
        type=None,
    ),
    Column("owner_type", gettext_lazy("unit or person."), required=True, type=None),
    Column(
        "owner", gettext_lazy("A unit's code, or a person's username."), required=True, type=None
    ),
    Column(
        "value",
        gettext_lazy(
            "Zero or more; money and percentages with at most 2 decimals, counts in whole "
            "numbers. No thousands separators in a CSV file."
        ),
        required=True,
        type=None,
    ),
    Column(
        "team",
        gettext_lazy(
            "Optional, for a person: the code of the team whose part this is (a person who "
            "moved has a part in each team they were in). Empty: the team they were last in "
            "during the period."
        ),
        type=None,
    ),
)
LAYOUT = Layout("targets", COLUMNS, empty=gettext_lazy("The file has a header row but no targets."))
HEADER = [c.name for c in COLUMNS if c.required]
READ = LAYOUT.names
EXPORT_HEADER = [*HEADER, "status", "owner_name", "team"]


# --- step 2: validation -----------------------------------------------------------------


_QUARTER = re.compile(r"^(?P<year>.+?)\s+Q(?P<number>[1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})(-01)?$")


def period_code(period: Period) -> str:
    """How a period is written in a file: FY2026, FY2026 Q1, 2026-03."""
    if period.kind == Period.Kind.YEAR:
        return period.fiscal_year.name
    if period.kind == Period.Kind.QUARTER:
        return f"{period.fiscal_year.name} Q{period.number}"
    return period.start_date.strftime("%Y-%m")


class _Periods:
    def __init__(self) -> None:
        self.years: dict[str, Period] = {}
        self.quarters: dict[tuple[str, int], Period] = {}
        self.months: dict[tuple[int, int], Period] = {}
        for p in Period.objects.select_related("fiscal_year"):
            name = p.fiscal_year.name.lower()
            if p.kind == Period.Kind.YEAR:
                self.years[name] = p
            elif p.kind == Period.Kind.QUARTER:
                self.quarters[(name, p.number)] = p
            else:
                self.months[(p.start_date.year, p.start_date.month)] = p

    def find(self, raw: object) -> Period | None:
        if isinstance(raw, datetime.date):
            return self.months.get((raw.year, raw.month))
        text = cell_text(raw)
        match = _MONTH.match(text)
        if match:
            return self.months.get((int(match["year"]), int(match["month"])))
        match = _QUARTER.match(text)
        if match:
            return self.quarters.get((match["year"].strip().lower(), int(match["number"])))
        return self.years.get(text.lower())


@dataclass
class _Line:
    row: Row
    metric: Metric
    period: Period
    unit: OrgUnit | None = None
    person: User | None = None
    team: OrgUnit | None = None
    value: Decimal | None = None

    @property
    def key(self):
        return (
            self.metric.pk,
            self.period.pk,
            self.unit.pk if self.unit else None,
            self.person.pk if self.person else None,
            self.team.pk if self.person and self.team else None,
        )


def validate(rows: list[Row]) -> tuple[list[_Line], list[ImportIssue]]:
    """Check every row; the lines to write, or every problem found."""
    problems: list[ImportIssue] = []

    def bad(row: Row, column: str, message: str) -> None:
        problems.append(ImportIssue(row.number, column, message))

    metrics = {m.code.lower(): m for m in Metric.objects.all()}
    periods = _Periods()
    unit_codes = {r.text("owner").lower() for r in rows if r.text("owner_type").lower() == UNIT}
    unit_codes |= {r.text("team").lower() for r in rows if r.text("team")}
    usernames = {r.text("owner").lower() for r in rows if r.text("owner_type").lower() == PERSON}
    units: dict[str, OrgUnit] = {}
    for chunk in chunks(unit_codes):
        for unit in OrgUnit.objects.annotate(key=Lower("code")).filter(key__in=chunk):
            units[unit.key] = unit
    people: dict[str, User] = {}
    for chunk in chunks(usernames):
        for user in User.objects.annotate(key=Lower("username")).filter(key__in=chunk):
            people[user.key] = user
    memberships: dict[int, list[Membership]] = defaultdict(list)
    for chunk in chunks([u.pk for u in people.values()]):
        for m in (
            Membership.objects.filter(user_id__in=chunk, kind=Membership.Kind.MEMBER)
            .select_related("unit")
            .order_by("-start_date")
        ):
            memberships[m.user_id].append(m)

    lines: list[_Line] = []
    for row in rows:
        ok = True
        metric = metrics.get(row.text("metric").lower())
        if not row.text("metric"):
            bad(row, "metric", _("The metric is missing."))
            ok = False
        elif metric is None:
            bad(row, "metric", _("Unknown metric: %(code)s.") % {"code": row.text("metric")})
            ok = False
        period = periods.find(row.values.get("period"))
        if not row.text("period"):
            bad(row, "period", _("The period is missing."))
            ok = False
        elif period is None:
            bad(
                row,
                "period",
                _("Unknown period: %(period)s. Write FY2026, FY2026 Q1 or 2026-03.")
                % {"period": row.text("period")},
            )
            ok = False
        elif period.status != Period.Status.OPEN:
            bad(
                row,
                "period",
                _("%(period)s is %(status)s: its targets cannot change.")
                % {"period": period.label, "status": period.get_status_display()},
            )
            ok = False
        owner_type = row.text("owner_type").lower()
        owner = row.text("owner")
        unit = person = team = None
        if owner_type not in (UNIT, PERSON):
            bad(
                row,
                "owner_type",
                _("The owner type must be unit or person, not “%(value)s”.")
                % {"value": row.text("owner_type")},
            )
            ok = False
        elif not owner:
            bad(row, "owner", _("The owner is missing."))
            ok = False
        elif owner_type == UNIT:
            unit = units.get(owner.lower())
            if unit is None:
                bad(row, "owner", _("Unknown unit: %(code)s.") % {"code": owner})
                ok = False
        else:
            person = people.get(owner.lower())
            if person is None:
                bad(row, "owner", _("Unknown person: %(username)s.") % {"username": owner})
                ok = False
            elif period is not None:
                during = [
                    m.unit
                    for m in memberships[person.pk]
                    if m.start_date <= period.end_date
                    and (m.end_date is None or m.end_date >= period.start_date)
                ]
                code = row.text("team")
                if code:
                    team = units.get(code.lower())
                    if team is None:
                        bad(row, "team", _("Unknown unit: %(code)s.") % {"code": code})
                        ok = False
                    elif team not in during:
                        bad(
                            row,
                            "team",
                            _(
                                "%(person)s was not a member of %(team)s during %(period)s: "
                                "a person's target is a part of a team they were in."
                            )
                            % {"person": owner, "team": code, "period": period.label},
                        )
                        ok = False
                elif during:
                    team = during[0]  # the one they joined last
                else:
                    bad(
                        row,
                        "owner",
                        _("%(person)s is not in a sales team during %(period)s.")
                        % {"person": owner, "period": period.label},
                    )
                    ok = False
        value = None
        raw_value = row.values.get("value")
        if blank(raw_value):
            bad(row, "value", _("The value is missing."))
            ok = False
        elif isinstance(raw_value, str) and "," in raw_value:
            bad(
                row,
                "value",
                _("Write %(value)s without separators: a comma is ambiguous in a number.")
                % {"value": raw_value},
            )
            ok = False
        elif metric is not None:
            if isinstance(raw_value, float):
                raw_value = repr(raw_value)
            try:
                value = domain.clean_value(raw_value, metric)
            except DomainError as exc:
                bad(row, "value", str(exc))
                ok = False
        if ok:
            lines.append(_Line(row, metric, period, unit, person, team, value))

    seen: dict[tuple, int] = {}
    for line in lines:
        first = seen.setdefault(line.key, line.row.number)
        if first != line.row.number:
            bad(
                line.row,
                "owner",
                _("The same target (metric, period and owner) is already in row %(row)s.")
                % {"row": first},
            )
    if lines:
        existing = _existing(lines)
        for line in lines:
            target = existing.get(line.key)
            if target is not None and target.is_published:
                bad(
                    line.row,
                    "value",
                    _(
                        "The %(period)s target of %(owner)s is published: request an "
                        "adjustment to change it."
                    )
                    % {"period": line.period.label, "owner": line.row.text("owner")},
                )
    problems.sort(key=lambda p: (p.row or 0, READ.index(p.column) if p.column in READ else 9))
    return lines, problems


def _existing(lines: list[_Line]) -> dict[tuple, Target]:
    unit_ids = {line.unit.pk for line in lines if line.unit}
    person_ids = {line.person.pk for line in lines if line.person}
    owners = Q(unit_id__in=unit_ids) | Q(person_id__in=person_ids)
    return {
        (t.metric_id, t.period_id, t.unit_id, t.person_id, t.team_id if t.person_id else None): t
        for t in Target.objects.filter(
            owners,
            metric_id__in={line.metric.pk for line in lines},
            period_id__in={line.period.pk for line in lines},
        )
    }


# --- step 3: writing --------------------------------------------------------------------


def import_targets(upload, *, filename: str, acting_user) -> ImportResult:
    """Parse, validate and, if every row is right, write; nothing is written otherwise."""
    tables, problems = read_file(
        upload, filename=filename, layouts=[LAYOUT], max_bytes=settings.ORG_IMPORT_MAX_BYTES
    )
    if problems:
        return ImportResult(errors=problems)
    rows = tables[0].rows
    reason = f"import: {filename}"[:100]
    result = ImportResult()
    try:
        with transaction.atomic():
            lines, problems = validate(rows)
            if problems:
                return ImportResult(errors=problems)
            existing = _existing(lines)
            by_metric: dict[int, list[cascade_planner.PlannedTarget]] = defaultdict(list)
            metrics = {}
            for line in lines:
                current = existing.get(line.key)
                if current is not None and current.value == line.value:
                    result.unchanged += 1
                    continue
                if current is None:
                    result.created += 1
                else:
                    result.updated += 1
                metrics[line.metric.pk] = line.metric
                by_metric[line.metric.pk].append(
                    cascade_planner.PlannedTarget(
                        line.period,
                        line.unit,
                        line.person,
                        line.team,
                        line.value,
                        _("imported from %(file)s") % {"file": filename},
                    )
                )
            for metric_id, planned in by_metric.items():
                services.targets_write(
                    metric=metrics[metric_id],
                    planned=planned,
                    acting_user=acting_user,
                    reason=reason,
                )
    except DomainError as exc:
        return ImportResult.refused(str(exc))
    except (IntegrityError, OperationalError):
        return ImportResult.refused(refused_by_database("targets"))
    return result


# --- export -------------------------------------------------------------------------------


def export_rows(targets) -> list[list]:
    rows = []
    for t in targets:
        places = t.metric.decimal_places
        rows.append(
            [
                neutralise(t.metric.code),
                neutralise(period_code(t.period)),
                UNIT if t.unit_id else PERSON,
                neutralise(t.unit.code if t.unit_id else t.person.username),
                t.value.quantize(Decimal(1).scaleb(-places)),
                t.status,
                neutralise(t.owner_label),
                neutralise(t.team.code) if t.person_id and t.team_id else "",
            ]
        )
    return rows


def export_csv(targets) -> bytes:
    return csv_file(EXPORT_HEADER, export_rows(targets))


def export_xlsx(targets) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "targets"
    sheet.append(EXPORT_HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in export_rows(targets):
        sheet.append(row)
        value_cell = sheet.cell(row=sheet.max_row, column=5)
        value_cell.number_format = "0.00" if row[4].as_tuple().exponent < 0 else "0"
    for index, width in enumerate((14, 14, 11, 18, 16, 11, 28, 14), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_csv() -> bytes:
    return csv_file(HEADER, bom=False)
