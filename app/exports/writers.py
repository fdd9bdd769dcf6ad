"""Writing rows as CSV or XLSX in bounded memory: whatever the number of rows, memory stays flat.

CSV: UTF-8 with a BOM (Excel opens it as UTF-8), yielded in chunks as rows arrive. XLSX: XlsxWriter in
``constant_memory`` mode (each row is flushed to its temporary file as written), into a temporary file that is
then read out in chunks and removed; past Excel's 1,048,576 rows per sheet the rows go on in a next sheet
(no row cap). Pure: imports neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator

import xlsxwriter

from app.exports.columns import Cell

BOM = "\ufeff"
CHUNK_ROWS = 2000
READ_CHUNK = 1 << 20
XLSX_MAX_ROWS = 1_048_576  # per sheet, header included


def csv_chunks(
    header: list[str], rows: Iterable[list[Cell]], on_row: Callable[[], None] | None = None
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(header)
    pending = 0
    for row in rows:
        writer.writerow(row)
        if on_row is not None:
            on_row()
        pending += 1
        if pending >= CHUNK_ROWS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(
    path: str, sheet_name: str, header: list[str], rows: Iterable[list[Cell]], on_row: Callable[[], None] | None = None
) -> int:
    """Write ``rows`` to an XLSX file at ``path`` → how many rows."""
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": os.path.dirname(path)})
    bold = book.add_format({"bold": True})
    sheets = 0
    count = 0
    row_no = XLSX_MAX_ROWS
    sheet = None
    for row in rows:
        if row_no >= XLSX_MAX_ROWS:
            sheets += 1
            sheet = book.add_worksheet(sheet_name if sheets == 1 else f"{sheet_name} ({sheets})")
            sheet.write_row(0, 0, header, bold)
            row_no = 1
        assert sheet is not None
        sheet.write_row(row_no, 0, row)
        row_no += 1
        count += 1
        if on_row is not None:
            on_row()
    if sheet is None:
        sheet = book.add_worksheet(sheet_name)
        sheet.write_row(0, 0, header, bold)
    book.close()
    return count


def xlsx_chunks(
    sheet_name: str, header: list[str], rows: Iterable[list[Cell]], on_row: Callable[[], None] | None = None
) -> Iterator[bytes]:
    """The workbook's bytes in chunks (written whole to a temporary file first: a ZIP's index comes last)."""
    folder = tempfile.mkdtemp(prefix="lantian-export-")
    path = os.path.join(folder, "export.xlsx")
    try:
        write_xlsx(path, sheet_name, header, rows, on_row)
        with open(path, "rb") as f:
            while chunk := f.read(READ_CHUNK):
                yield chunk
    finally:
        for name in os.listdir(folder):
            os.unlink(os.path.join(folder, name))
        os.rmdir(folder)
