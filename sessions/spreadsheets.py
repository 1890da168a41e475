"""CSV (a zip of one UTF-8-with-BOM file per table) and XLSX (one sheet per table) exports.

Spreadsheet injection: a cell that starts with = + - @ (or a tab or carriage
return) can run as a formula in Excel (``=HYPERLINK(...)``). In CSV such text
gets a leading apostrophe, the convention Excel itself uses for "this is
text"; in XLSX the cell is written with the string type, so it is shown
exactly as typed and never evaluated.
"""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from sessions.tables import Table

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_csv(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    if value is None:
        return ""
    return value


def to_csv_zip(tables: list[Table], prefix: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for table in tables:
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow(table.header)
            for row in table.rows:
                writer.writerow([safe_csv(v) for v in row])
            zf.writestr(f"{prefix}-{table.name}.csv", "\ufeff" + text.getvalue())
    return buf.getvalue()


def _width(value: Any) -> int:
    text = "" if value is None else str(value)
    # CJK characters take two columns in Excel's default font.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text[:80])


def to_xlsx(tables: list[Table]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    head_font, head_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1E3A8A")
    for table in tables:
        sheet = book.create_sheet(table.name[:31])
        sheet.append(table.header)
        for cell in sheet[1]:
            cell.font, cell.fill = head_font, head_fill
        for r, row in enumerate(table.rows, 2):
            for c, value in enumerate(row, 1):
                cell = sheet.cell(row=r, column=c)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
                    if "\n" in value:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A2"
        for c, name in enumerate(table.header, 1):
            widest = max([_width(name), *(_width(row[c - 1]) for row in table.rows[:500])])
            sheet.column_dimensions[get_column_letter(c)].width = min(60, max(8, widest + 2))
        if table.rows:
            sheet.auto_filter.ref = sheet.dimensions
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
