"""Files as the import tests upload them: CSV and XLSX bytes, and an upload with a name."""

import csv
import io

from openpyxl import Workbook


def csv_bytes(rows, *, bom=False, delimiter=",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def xlsx_bytes(sheets) -> bytes:
    """XLSX bytes of {"title": [[header...], [row...], ...]}, one sheet a title, or of
    rows alone on the one sheet of a new workbook ("Sheet")."""
    if not isinstance(sheets, dict):
        sheets = {"Sheet": sheets}
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(data: bytes, name: str):
    """`data` as an uploaded file named `name`."""
    file = io.BytesIO(data)
    file.name = name
    return file
