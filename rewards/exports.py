"""The payroll export (薪酬导出): the approved bonus decisions of a period for HR and payroll,
as a CSV or XLSX file, the same from the page (rewards.views_payroll) and the API
(`/api/v1/bonus-decisions/export/`).

A row is one decision from approval on (`permissions.SETTLED`) with the figures of its
current version: the latest `DecisionVersion` (version 1 written at approval, a later one
for an appeal resolved with a change), never the decision's proposal. Its money columns
add up, to the cent:

    bonus before penalties + penalties + adjustments = bonus

- bonus before penalties: the version's `before_penalties` (its component, plan cap and
  grade multiplier lines);
- adjustments: the version's `adjustments` (its adjustment lines: the department's
  changes before approval, clawbacks taken in this period, an appeal's changes);
- bonus: the version's `total`;
- penalties: `total - before_penalties - adjustments`, that is the sum of the version's
  penalty and eligibility gate lines (zero or negative), since a working's lines add up
  to its total (rewards.domain). It is computed in the query, so the working, which can
  be large, is never read.

The promotion hold is the decision's `PromotionHold.ends_on` unless it was lifted.

As the appraisal results' files (appraisal.results.exports): the CSV is streamed a chunk
of rows at a time (UTF-8 with a byte order mark), the XLSX written by an openpyxl
write-only workbook to a temporary file; neither holds the whole list, and both cost the
same number of queries whatever the number of rows. Headers and labels are in the
reader's language; figures stay numbers; every text cell a spreadsheet would run as a
formula gets a leading quote (`core.spreadsheets.neutralise`).

Who may export: the sales management department and HR (`permissions.can_export`).
"""

from __future__ import annotations

import csv
import datetime
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from appraisal.results.exports import BOM, CHUNK_SIZE, CSV_CONTENT_TYPE, person_name
from core.spreadsheets import XLSX_CONTENT_TYPE, Echo, chunks, neutralise
from org.models import FiscalYear, OrgUnit, Period
from rewards.models import DecisionVersion, PromotionHold
from rewards.permissions import SETTLED, visible_decisions
from targets.imports import period_code


@dataclass(frozen=True)
class PayrollFilters:
    """What narrows the export: the decisions of `period` (that period itself, not the
    shorter ones within it), of the teams in the subtree of `unit`."""

    period: Period | None = None
    unit: OrgUnit | None = None


ORDERING = (
    "-decision__period__start_date",
    "decision__period__end_date",
    "decision__unit__path",
    "decision__person__username",
    "decision_id",
)

# The columns a row reads, as plain values (no model instances).
_VALUES = (
    "decision__person__employee_no",
    "decision__person__username",
    "decision__person__first_name",
    "decision__person__last_name",
    "decision__unit_id",
    "decision__unit__name",
    "decision__unit__name_zh",
    "decision__period_id",
    "decision__period__kind",
    "decision__period__number",
    "decision__period__start_date",
    "decision__period__fiscal_year__name",
    "decision__plan__currency",
    "before_penalties",
    "penalties",
    "adjustments",
    "total",
    "version",
    "hold_until",
    "decision__approved_at",
)


def payroll_versions(user, filters: PayrollFilters | None = None) -> QuerySet[DecisionVersion]:
    """The current version of each decision `user` may see from approval on, filtered,
    with `penalties` and `hold_until` annotated, in a stable order (newest period first,
    then team, person). One query however many rows; the caller checks `permissions.can_export`."""
    filters = filters or PayrollFilters()
    decisions = visible_decisions(user).filter(status__in=SETTLED)
    if filters.period is not None:
        decisions = decisions.filter(period=filters.period)
    if filters.unit is not None:
        decisions = decisions.filter(unit__path__startswith=filters.unit.path)
    newer = DecisionVersion.objects.filter(
        decision_id=OuterRef("decision_id"), version__gt=OuterRef("version")
    )
    hold = PromotionHold.objects.filter(
        decision_id=OuterRef("decision_id"), lifted_at__isnull=True
    ).values("ends_on")[:1]
    return (
        DecisionVersion.objects.filter(decision__in=decisions.values("pk"))
        .filter(~Exists(newer))
        .annotate(
            penalties=F("total") - F("before_penalties") - F("adjustments"),
            hold_until=Subquery(hold),
        )
        .order_by(*ORDERING)
    )


def payroll_rows(user, filters: PayrollFilters | None = None) -> QuerySet:
    """The rows of the files: `payroll_versions` as tuples of `_VALUES` (one query)."""
    return payroll_versions(user, filters).values_list(*_VALUES)


# --- the columns ----------------------------------------------------------------------------


def headers() -> list[str]:
    """The header row, in the active language."""
    return [
        capfirst(_("employee number")),
        _("Name"),
        _("Unit"),
        capfirst(_("period")),
        _("Currency"),
        capfirst(_("bonus before penalties")),
        pgettext("payroll export column", "Penalties"),
        capfirst(_("adjustments")),
        capfirst(_("bonus")),
        capfirst(_("version")),
        _("Promotion hold until"),
        capfirst(_("approved at")),
    ]


_WIDTHS = [14, 20, 22, 14, 8, 14, 12, 12, 12, 8, 14, 18]


def _cents(value) -> Decimal | None:
    """A money figure to the cent (SQLite's arithmetic on decimals may give a float)."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


class RowMaker:
    """Turns `_VALUES` tuples into the cells of a row, in the language active when it is
    made and called: text, Decimal figures, a date, an aware datetime, None for empty.
    Team and period names are worked out once per team and period."""

    def __init__(self) -> None:
        self.units: dict[int, str] = {}
        self.periods: dict[int, str] = {}

    def team(self, unit_id, name, name_zh) -> str:
        if unit_id not in self.units:
            self.units[unit_id] = OrgUnit(name=name, name_zh=name_zh).display_name
        return self.units[unit_id]

    def period(self, period_id, kind, number, start, fiscal_year_name) -> str:
        if period_id not in self.periods:
            self.periods[period_id] = Period(
                kind=kind,
                number=number,
                start_date=start,
                fiscal_year=FiscalYear(name=fiscal_year_name),
            ).label
        return self.periods[period_id]

    def __call__(self, values: tuple) -> list:
        (
            employee_no,
            username,
            first_name,
            last_name,
            unit_id,
            unit_name,
            unit_name_zh,
            period_id,
            period_kind,
            period_number,
            period_start,
            fiscal_year_name,
            currency,
            before_penalties,
            penalties,
            adjustments,
            total,
            version,
            hold_until,
            approved_at,
        ) = values
        return [
            employee_no or None,
            person_name(first_name, last_name, username),
            self.team(unit_id, unit_name, unit_name_zh),
            self.period(period_id, period_kind, period_number, period_start, fiscal_year_name),
            currency,
            _cents(before_penalties),
            _cents(penalties),
            _cents(adjustments),
            _cents(total),
            version,
            hold_until,
            approved_at,
        ]


def filename(filters: PayrollFilters) -> str:
    """The file's name without the extension: payroll[-period][-unit]."""
    parts = ["payroll"]
    if filters.period is not None:
        parts.append(period_code(filters.period))
    if filters.unit is not None:
        parts.append(filters.unit.code)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(parts)).strip("-")


# --- the files ------------------------------------------------------------------------------


def _local(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _text_cell(value):
    """A CSV cell: text neutralised, numbers as they are, a time as local
    "YYYY-MM-DD HH:MM", a date as YYYY-MM-DD, None empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal | int):
        return value
    if isinstance(value, datetime.datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return neutralise(str(value))


def _xlsx_value(value):
    """An XLSX cell value: text neutralised, numbers and dates as they are, a time as a
    local time without its zone (spreadsheets have none)."""
    if value is None or isinstance(value, Decimal | int):
        return value
    if isinstance(value, datetime.datetime):
        return _local(value).replace(tzinfo=None)
    if isinstance(value, datetime.date):
        return value
    return neutralise(str(value))


def csv_lines(rows: QuerySet, *, language: str | None = None) -> Iterator[str]:
    """The CSV file a piece at a time: the header, then one piece per chunk of rows.
    Labels are in `language` (the request's, captured when the response was made, since
    the stream is read after the view returns)."""
    language = language or translation.get_language()
    writer = csv.writer(Echo(), lineterminator="\r\n")
    with translation.override(language):
        header = writer.writerow([_text_cell(h) for h in headers()])
        make_row = RowMaker()
    yield BOM + header
    for chunk in chunks(rows, CHUNK_SIZE):
        with translation.override(language):
            lines = [writer.writerow([_text_cell(v) for v in make_row(r)]) for r in chunk]
        yield "".join(lines)


def csv_response(rows: QuerySet, filters: PayrollFilters) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(rows, language=translation.get_language()), content_type=CSV_CONTENT_TYPE
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{filename(filters)}.csv"
    )
    return response


def write_xlsx(rows: Iterable[tuple], out) -> None:
    """Write the workbook of `payroll_rows` to the binary file `out`, in the active
    language: the header bold and frozen, then plain values (openpyxl gives dates and
    times a date format itself; figures are numbers)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Payroll export")[:31])
    sheet.freeze_panes = "A2"
    for index, width in enumerate(_WIDTHS):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    bold = Font(bold=True)

    def header_cell(text):
        cell = WriteOnlyCell(sheet, value=neutralise(str(text)))
        cell.font = bold
        return cell

    sheet.append([header_cell(h) for h in headers()])
    make_row = RowMaker()
    for row in rows:
        sheet.append([_xlsx_value(v) for v in make_row(row)])
    workbook.save(out)


def xlsx_response(rows: QuerySet, filters: PayrollFilters) -> FileResponse:
    """The workbook written (in the view, in the request's language) to a temporary
    file, then streamed; the file is removed when the response is closed."""
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (closed by the response)
    try:
        write_xlsx(rows.iterator(chunk_size=CHUNK_SIZE), out)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"{filename(filters)}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )


def export_response(user, filters: PayrollFilters, file_format: str):
    """The payroll rows `user` may see, filtered, as a CSV or XLSX file response."""
    rows = payroll_rows(user, filters)
    if file_format == "xlsx":
        return xlsx_response(rows, filters)
    return csv_response(rows, filters)
