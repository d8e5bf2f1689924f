"""The sales reports as files: CSV (streamed, UTF-8 with a byte order mark so that
spreadsheets read Chinese names) and XLSX (a write-only workbook).

A table is a header row in the reader's language, the rows and a total row. Numbers
stay numbers (Decimal and int; a negative amount is still a number), and every text
cell a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a
carriage return) gets a leading quote (`core.spreadsheets.neutralise`). The views and
the API build the report with `sales.reports.selectors` and call `report_response`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core.spreadsheets import XLSX_CONTENT_TYPE, neutralise
from sales.reports import selectors as reports
from targets.imports import period_code

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"


@dataclass
class Table:
    title: str  # the sheet's name
    filename: str  # without the extension
    header: list[str]
    rows: list[list]
    formats: list[str | None]  # an XLSX number format per column (None: text)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "report"


def range_slug(date_range: reports.DateRange) -> str:
    if date_range.period is not None:
        return _slug(period_code(date_range.period))
    return f"{date_range.start.isoformat()}_{date_range.end.isoformat()}"


_FIRST_COLUMNS = {
    reports.UNIT: (lambda: capfirst(_("unit")), lambda: capfirst(_("code"))),
    reports.PERSON: (lambda: capfirst(_("person")), lambda: capfirst(_("username"))),
    reports.PRODUCT: (lambda: capfirst(_("product")), lambda: capfirst(_("category"))),
    reports.CATEGORY: (lambda: capfirst(_("category")), None),
    reports.CUSTOMER: (lambda: capfirst(_("customer")), None),
    reports.MONTH: (lambda: capfirst(_("month")), None),
}
MONEY = "#,##0.00"
WHOLE = "#,##0"
PERCENT = "0.0"


def first_headers(by: str) -> tuple[str, str | None]:
    """The headers of the columns naming a row: (name, and a code or category or None)."""
    first, second = _FIRST_COLUMNS[by]
    return first(), second() if second else None


def sales_table(report: reports.SalesReport) -> Table:
    first, second = first_headers(report.by)
    header = [first] + ([second] if second else [])
    header += [
        capfirst(_("amount")),
        capfirst(_("gross margin")),
        capfirst(_("quantity")),
        capfirst(_("collected amount")),
        _("Records"),
    ]
    lead = 2 if second else 1

    def cells(row: reports.SalesRow, label: str, code: str) -> list:
        start = [label, code] if second else [label]
        return [
            *start,
            row.amount,
            row.gross_margin,
            row.quantity,
            row.collected,
            row.records,
        ]

    rows = []
    for row in report.rows:
        label = row.code if report.by == reports.MONTH else row.label
        code = row.code
        rows.append(cells(row, label, code))
    rows.append(cells(report.totals, report.totals.label, ""))
    return Table(
        title=str(reports.DIMENSION_TITLES[report.by]),
        filename=f"sales-by-{report.by}-{range_slug(report.range)}",
        header=header,
        rows=rows,
        formats=[None] * lead + [MONEY, MONEY, MONEY, MONEY, WHOLE],
    )


def variance_table(report: reports.VarianceReport) -> Table:
    owner = capfirst(_("unit")) if report.owners == reports.UNIT else capfirst(_("person"))
    code = capfirst(_("code")) if report.owners == reports.UNIT else capfirst(_("username"))
    header = [
        owner,
        code,
        capfirst(_("target")),
        _("Actual"),
        _("Variance"),
        _("Attainment (%)"),
    ]
    rows = [
        [row.label, row.code, row.target, row.actual, row.variance, row.attainment]
        for row in report.rows
    ]
    totals = report.totals
    rows.append(
        [totals.label, "", totals.target, totals.actual, totals.variance, totals.attainment]
    )
    number = WHOLE if report.metric.decimal_places == 0 else MONEY
    return Table(
        title=_("Target variance"),
        filename=(
            f"variance-{_slug(report.metric.code)}-{report.owners}-"
            f"{_slug(period_code(report.period))}"
        ),
        header=header,
        rows=rows,
        formats=[None, None, number, number, number, PERCENT],
    )


def _cell(value):
    """Text neutralised against formulas; numbers as they are; None as empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal | int | float):
        return value
    return neutralise(str(value))


class _Echo:
    """A file-like object whose write returns what was written (for streaming)."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(table: Table):
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield BOM + writer.writerow([_cell(h) for h in table.header])
    for row in table.rows:
        yield writer.writerow([_cell(v) for v in row])


def csv_response(table: Table) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_lines(table), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{table.filename}.csv"
    )
    return response


def _sheet_title(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "report"


def xlsx_bytes(table: Table) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(table.title))
    sheet.freeze_panes = "A2"
    for index, fmt in enumerate(table.formats):
        letter = chr(ord("A") + index)
        sheet.column_dimensions[letter].width = 28 if fmt is None else 16
    bold = Font(bold=True)

    def header_cell(text):
        cell = WriteOnlyCell(sheet, value=_cell(text))
        cell.font = bold
        return cell

    sheet.append([header_cell(h) for h in table.header])
    last = len(table.rows) - 1
    for number, row in enumerate(table.rows):
        cells = []
        for value, fmt in zip(row, table.formats, strict=True):
            cell = WriteOnlyCell(sheet, value=_cell(value) if value is not None else None)
            if fmt is not None and isinstance(value, Decimal | int):
                cell.number_format = fmt
            if number == last:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_response(table: Table) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(table), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{table.filename}.xlsx"
    )
    return response


def report_response(table: Table, file_format: str):
    return xlsx_response(table) if file_format == "xlsx" else csv_response(table)
