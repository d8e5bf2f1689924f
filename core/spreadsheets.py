"""The rules every spreadsheet written or read shares: the neutralisation of cells a
spreadsheet would run as a formula and its removal on the way back in, and the
template files of the imports. Reading an import is `core.imports`.
"""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


def csv_file(header: list[str], rows=(), *, bom: bool = True) -> bytes:
    """A CSV file (with a byte order mark, spreadsheets open it as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def template_workbook(sheets: dict[str, list[str]], *, formats=None, width=None) -> bytes:
    """A workbook with one sheet per {title: header}, the header bold and frozen.
    `formats(name)` gives the number format of a column's first 1,000 cells (or None);
    `width(name)` its width (16 unless given)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for title, header in sheets.items():
        sheet = workbook.create_sheet(title)
        sheet.append(header)
        for index, cell in enumerate(sheet[1], start=1):
            cell.font = bold
            name = header[index - 1]
            sheet.column_dimensions[get_column_letter(index)].width = width(name) if width else 16
            number_format = formats(name) if formats else None
            if number_format:
                for row in range(2, 1002):
                    sheet.cell(row=row, column=index).number_format = number_format
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def chunks(rows, size: int):
    """A queryset's rows `size` at a time (read with iterator(): a file of any length in
    bounded memory)."""
    chunk = []
    for row in rows.iterator(chunk_size=size):
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Echo:
    """A file-like object whose write returns what was written (for streaming CSV)."""

    def write(self, value: str) -> str:
        return value
