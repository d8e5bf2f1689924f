"""Appraisal results for HR and the department: the read behind the results page and
API, and its files.

A result row is the latest `AppraisalResult` of a finalised appraisal the reader
may see (`appraisal.cycles.permissions.visible_appraisals`): version 1 written at
finalisation, or the version an appeal resolved with a change added. The files:

- CSV: a `StreamingHttpResponse` over a generator that reads the rows with
  `.iterator(chunk_size=...)` and writes them a chunk at a time (UTF-8 with a byte
  order mark, so spreadsheets read Chinese names);
- XLSX: an openpyxl write-only workbook (its sheets are written row by row to
  temporary files by openpyxl), saved to a temporary file and streamed with
  `FileResponse`. Its second sheet, "Dimensions", has a row per result and dimension:
  the raw figures, score, weight and contribution the result recorded (its working).

Neither ever holds the whole list: memory stays flat whatever the number of rows.
Headers and labels are in the reader's language; scores stay numbers; every text
cell a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
carriage return) gets a leading quote (`core.spreadsheets.neutralise`).
"""

from __future__ import annotations

import csv
import datetime
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from appraisal.cycles import permissions as permissions_cycles
from appraisal.models import Appraisal, AppraisalResult, AppraisalTemplate, Dimension
from core.spreadsheets import XLSX_CONTENT_TYPE, Echo, chunks, neutralise
from org.models import FiscalYear, OrgUnit, Period
from targets.imports import period_code

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"
# Rows read from the database at a time (and written to the CSV stream at a time).
CHUNK_SIZE = 2000

# The columns every row reads (the working JSON, which can be large, is not read).
_ONLY = (
    "id",
    "version",
    "score",
    "grade",
    "reason",
    "created_at",
    "appraisal__id",
    "appraisal__status",
    "appraisal__released_at",
    "appraisal__acknowledged_at",
    "appraisal__appealed_at",
    "appraisal__resolution",
    "appraisal__person__id",
    "appraisal__person__username",
    "appraisal__person__first_name",
    "appraisal__person__last_name",
    "appraisal__unit__id",
    "appraisal__unit__code",
    "appraisal__unit__name",
    "appraisal__unit__name_zh",
    "appraisal__unit__path",
    "appraisal__unit__kind",
    "appraisal__cycle__id",
    "appraisal__cycle__period__id",
    "appraisal__cycle__period__kind",
    "appraisal__cycle__period__number",
    "appraisal__cycle__period__start_date",
    "appraisal__cycle__period__end_date",
    "appraisal__cycle__period__fiscal_year__id",
    "appraisal__cycle__period__fiscal_year__name",
    "appraisal__cycle__template__id",
    "appraisal__cycle__template__code",
    "appraisal__cycle__template__version",
    "appraisal__cycle__template__name",
    "appraisal__cycle__template__name_zh",
)
ORDERING = (
    "-appraisal__cycle__period__start_date",
    "appraisal__cycle__period__end_date",
    "appraisal__cycle__template__code",
    "appraisal__unit__path",
    "appraisal__person__username",
    "id",
)


@dataclass(frozen=True)
class ResultFilters:
    """What narrows the results: cycles whose period lies within `period`, teams in the
    subtree of `unit`, one `grade` (empty: every grade)."""

    period: Period | None = None
    unit: OrgUnit | None = None
    grade: str = ""


def _filtered(user, filters: ResultFilters) -> QuerySet[AppraisalResult]:
    visible = permissions_cycles.visible_appraisals(user).filter(finalised_at__isnull=False)
    newer = AppraisalResult.objects.filter(
        appraisal_id=OuterRef("appraisal_id"), version__gt=OuterRef("version")
    )
    results = AppraisalResult.objects.filter(appraisal__in=visible.values("pk")).filter(
        ~Exists(newer)
    )
    if filters.period is not None:
        results = results.filter(
            appraisal__cycle__period__start_date__gte=filters.period.start_date,
            appraisal__cycle__period__end_date__lte=filters.period.end_date,
        )
    if filters.unit is not None:
        results = results.filter(appraisal__unit__path__startswith=filters.unit.path)
    if filters.grade:
        results = results.filter(grade=filters.grade)
    return results


def latest_results(user, filters: ResultFilters | None = None) -> QuerySet[AppraisalResult]:
    """The latest result of each finalised appraisal `user` may see, filtered, in a
    stable order (newest period first, then template, team, person), with what a row
    shows joined. One query however many rows; the caller checks
    `permissions_cycles.can_export_results`."""
    return (
        _filtered(user, filters or ResultFilters())
        .select_related(
            "appraisal__person",
            "appraisal__unit",
            "appraisal__cycle__period__fiscal_year",
            "appraisal__cycle__template",
        )
        .only(*_ONLY)
        .order_by(*ORDERING)
    )


# The columns a file reads, as plain values (no model instances: 10,000 rows are read
# and written in about a second).
_VALUES = (
    "appraisal__person__username",
    "appraisal__person__first_name",
    "appraisal__person__last_name",
    "appraisal__unit_id",
    "appraisal__unit__code",
    "appraisal__unit__name",
    "appraisal__unit__name_zh",
    "appraisal__cycle__period_id",
    "appraisal__cycle__period__kind",
    "appraisal__cycle__period__number",
    "appraisal__cycle__period__start_date",
    "appraisal__cycle__period__fiscal_year__name",
    "appraisal__cycle__template__code",
    "appraisal__cycle__template__name",
    "appraisal__cycle__template__name_zh",
    "appraisal__cycle__template__version",
    "version",
    "score",
    "grade",
    "appraisal__status",
    "appraisal__released_at",
    "appraisal__acknowledged_at",
    "appraisal__appealed_at",
    "appraisal__resolution",
    "created_at",
    "reason",
)


def export_values(user, filters: ResultFilters | None = None) -> QuerySet:
    """The rows of the files: `latest_results` as tuples of `_VALUES` (one query)."""
    return _filtered(user, filters or ResultFilters()).order_by(*ORDERING).values_list(*_VALUES)


# The columns of the dimensions sheet: who, when, which version, and the working (the
# JSON of the result's lines, read a chunk at a time).
_DIMENSION_VALUES = (
    "appraisal__person__username",
    "appraisal__person__first_name",
    "appraisal__person__last_name",
    "appraisal__unit_id",
    "appraisal__unit__name",
    "appraisal__unit__name_zh",
    "appraisal__cycle__period_id",
    "appraisal__cycle__period__kind",
    "appraisal__cycle__period__number",
    "appraisal__cycle__period__start_date",
    "appraisal__cycle__period__fiscal_year__name",
    "appraisal__cycle__template__name",
    "appraisal__cycle__template__name_zh",
    "version",
    "working",
)


def dimension_values(user, filters: ResultFilters | None = None) -> QuerySet:
    """The rows of the dimensions sheet: the same results as `export_values`, in the
    same order, with their working (one query, read in chunks)."""
    return (
        _filtered(user, filters or ResultFilters())
        .order_by(*ORDERING)
        .values_list(*_DIMENSION_VALUES)
    )


# --- the columns ----------------------------------------------------------------------------


def headers() -> list[str]:
    """The header row, in the active language."""
    return [
        capfirst(_("username")),
        _("Name"),
        capfirst(_("team")),
        _("Team code"),
        capfirst(_("period")),
        capfirst(_("template")),
        _("Template code"),
        _("Template version"),
        _("Result version"),
        capfirst(_("final score")),
        capfirst(_("grade")),
        capfirst(_("status")),
        capfirst(_("released at")),
        capfirst(_("acknowledged at")),
        capfirst(_("appealed at")),
        capfirst(_("resolution")),
        capfirst(_("recorded at")),
        _("Reason for this version"),
    ]


_WIDTHS = [16, 20, 22, 14, 14, 24, 14, 10, 10, 12, 8, 18, 18, 18, 18, 12, 18, 40]


def dimension_headers() -> list[str]:
    """The header row of the dimensions sheet, in the active language."""
    return [
        capfirst(_("username")),
        _("Name"),
        capfirst(_("team")),
        capfirst(_("period")),
        capfirst(_("template")),
        _("Result version"),
        capfirst(_("dimension")),
        _("Method"),
        _("Weight (%)"),
        _("Actual"),
        capfirst(_("target")),
        _("Raw value"),
        _("Rated level"),
        _("Score"),
        capfirst(_("final score")),
        _("Contribution"),
    ]


_DIMENSION_WIDTHS = [16, 20, 22, 14, 24, 10, 24, 22, 10, 14, 14, 12, 10, 10, 12, 12]


def person_name(first_name: str, last_name: str, username: str) -> str:
    """`User.display_name` from the three columns (a Chinese family name first, without
    a space; else "first last"; else the username), without making a User per row."""
    if last_name and any("\u4e00" <= ch <= "\u9fff" for ch in last_name):
        full = f"{last_name}{first_name}".strip()
    else:
        full = f"{first_name} {last_name}".strip()
    return full or username


class RowMaker:
    """Turns `_VALUES` tuples into the cells of a row, in the language active when it
    is made and called: text, numbers, aware datetimes, None for empty. Team and
    period names are worked out once per team and period."""

    def __init__(self) -> None:
        self.statuses = {value: str(label) for value, label in Appraisal.Status.choices}
        self.resolutions = {
            value: str(label) for value, label in Appraisal._meta.get_field("resolution").choices
        }
        self.units: dict[int, str] = {}
        self.periods: dict[int, str] = {}

    def team(self, unit_id, unit_name, unit_name_zh) -> str:
        team = self.units.get(unit_id)
        if team is None:
            team = self.units[unit_id] = OrgUnit(name=unit_name, name_zh=unit_name_zh).display_name
        return team

    def period(self, period_id, kind, number, start, fiscal_year_name) -> str:
        period = self.periods.get(period_id)
        if period is None:
            period = self.periods[period_id] = Period(
                kind=kind,
                number=number,
                start_date=start,
                fiscal_year=FiscalYear(name=fiscal_year_name),
            ).label
        return period

    @staticmethod
    def template(name: str, name_zh: str) -> str:
        """The template's name in the active language (`display_name`'s rule)."""
        return AppraisalTemplate(name=name, name_zh=name_zh).display_name

    def __call__(self, values: tuple) -> list:
        (
            username,
            first_name,
            last_name,
            unit_id,
            unit_code,
            unit_name,
            unit_name_zh,
            period_id,
            period_kind,
            period_number,
            period_start,
            fiscal_year_name,
            template_code,
            template_name,
            template_name_zh,
            template_version,
            version,
            score,
            grade,
            status,
            released_at,
            acknowledged_at,
            appealed_at,
            resolution,
            created_at,
            reason,
        ) = values
        team = self.team(unit_id, unit_name, unit_name_zh)
        period = self.period(period_id, period_kind, period_number, period_start, fiscal_year_name)
        return [
            username,
            person_name(first_name, last_name, username),
            team,
            unit_code,
            period,
            self.template(template_name, template_name_zh),
            template_code,
            template_version,
            version,
            score,
            grade,
            self.statuses.get(status, status),
            released_at,
            acknowledged_at,
            appealed_at,
            self.resolutions.get(resolution) if resolution else None,
            created_at,
            reason or None,
        ]


def _number(text) -> Decimal | None:
    """A figure of the working (kept there as text, exactly) as a number."""
    return None if text in (None, "") else Decimal(str(text))


class DimensionRowMaker(RowMaker):
    """Turns `_DIMENSION_VALUES` tuples into the rows of the dimensions sheet: one per
    line of the result's working, with each dimension's raw figures, score, weight and
    contribution exactly as the result recorded them."""

    def __init__(self) -> None:
        super().__init__()
        self.methods = {value: str(label) for value, label in Dimension.Method.choices}

    def __call__(self, values: tuple) -> list[list]:
        (
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
            template_name,
            template_name_zh,
            version,
            working,
        ) = values
        who = [
            username,
            person_name(first_name, last_name, username),
            self.team(unit_id, unit_name, unit_name_zh),
            self.period(period_id, period_kind, period_number, period_start, fiscal_year_name),
            self.template(template_name, template_name_zh),
            version,
        ]
        rows = []
        for line in (working or {}).get("lines", []):
            name = Dimension(name=line.get("name") or "", name_zh=line.get("name_zh") or "")
            rows.append(
                [
                    *who,
                    name.display_name,
                    self.methods.get(line.get("method"), line.get("method")),
                    _number(line.get("weight")),
                    _number(line.get("actual")),
                    _number(line.get("target")),
                    _number(line.get("value")),
                    line.get("level"),
                    _number(line.get("score")),
                    _number(line.get("final_score")),
                    _number(line.get("contribution")),
                ]
            )
        return rows


def filename(filters: ResultFilters) -> str:
    """The file's name without the extension: appraisal-results[-period][-unit][-grade]."""
    parts = ["appraisal-results"]
    if filters.period is not None:
        parts.append(period_code(filters.period))
    if filters.unit is not None:
        parts.append(filters.unit.code)
    if filters.grade:
        parts.append(filters.grade)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(parts)).strip("-")


def _local(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _text_cell(value):
    """A CSV cell: text neutralised, numbers as they are, a time as local
    "YYYY-MM-DD HH:MM", None empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal | int):
        return value
    if isinstance(value, datetime.datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M")
    return neutralise(str(value))


def _xlsx_value(value):
    """An XLSX cell value: text neutralised, numbers as numbers, a time as a local time
    without its zone (spreadsheets have none)."""
    if value is None or isinstance(value, Decimal | int):
        return value
    if isinstance(value, datetime.datetime):
        return _local(value).replace(tzinfo=None)
    return neutralise(str(value))


def csv_lines(rows: QuerySet, *, language: str | None = None) -> Iterator[str]:
    """The CSV file a piece at a time: the header, then one piece per chunk of
    `export_values` rows. Labels are in `language` (the request's, captured when the
    response was made, since the stream is read after the view returns)."""
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


def csv_response(rows: QuerySet, filters: ResultFilters) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(rows, language=translation.get_language()), content_type=CSV_CONTENT_TYPE
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{filename(filters)}.csv"
    )
    return response


def _new_sheet(workbook: Workbook, title: str, header: list[str], widths: list[int]):
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    bold = Font(bold=True)

    def header_cell(text):
        cell = WriteOnlyCell(sheet, value=neutralise(str(text)))
        cell.font = bold
        return cell

    sheet.append([header_cell(h) for h in header])
    return sheet


def write_xlsx(rows: Iterable[tuple], out, dimension_rows: Iterable[tuple] | None = None) -> None:
    """Write the workbook of `export_values` rows to the binary file `out`, in the
    active language, and, given `dimension_values` rows, a second sheet with one row
    per result and dimension. Plain values (a styled cell costs several times a plain
    one): openpyxl gives times a date format itself; scores are numbers."""
    workbook = Workbook(write_only=True)
    sheet = _new_sheet(workbook, _("Appraisal results"), headers(), _WIDTHS)
    make_row = RowMaker()
    for row in rows:
        sheet.append([_xlsx_value(v) for v in make_row(row)])
    if dimension_rows is not None:
        sheet = _new_sheet(workbook, _("Dimensions"), dimension_headers(), _DIMENSION_WIDTHS)
        make_rows = DimensionRowMaker()
        for row in dimension_rows:
            for cells in make_rows(row):
                sheet.append([_xlsx_value(v) for v in cells])
    workbook.save(out)


def xlsx_response(
    rows: QuerySet, filters: ResultFilters, dimension_rows: QuerySet | None = None
) -> FileResponse:
    """The workbook written (in the view, in the request's language) to a temporary
    file, then streamed; the file is removed when the response is closed."""
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (closed by the response)
    try:
        write_xlsx(
            rows.iterator(chunk_size=CHUNK_SIZE),
            out,
            None if dimension_rows is None else dimension_rows.iterator(chunk_size=CHUNK_SIZE),
        )
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


def export_response(user, filters: ResultFilters, file_format: str):
    """The results `user` may see, filtered, as a CSV or XLSX file response."""
    rows = export_values(user, filters)
    if file_format == "xlsx":
        return xlsx_response(rows, filters, dimension_values(user, filters))
    return csv_response(rows, filters)
