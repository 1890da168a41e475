"""CSV exports: one UTF-8-with-BOM file per table, alone or all of them in a zip (the XLSX is sessions.workbook).

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
from datetime import datetime
from typing import Any

from sessions.tables import Table

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_csv(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    if value is None:
        return ""
    if isinstance(value, datetime):  # local time, as Excel and LibreOffice parse it
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value


def to_csv(table: Table) -> bytes:
    """One table as a UTF-8 CSV with a BOM (so Excel reads the Chinese as UTF-8) and CRLF lines."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow([safe_csv(v) for v in row])
    return ("\ufeff" + text.getvalue()).encode()


def to_csv_zip(tables: list[Table], prefix: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for table in tables:
            zf.writestr(f"{prefix}-{table.name}.csv", to_csv(table))
    return buf.getvalue()
