"""Export writers keep memory flat whatever the size, write a BOM, and roll XLSX past a sheet's row limit."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import openpyxl

from app.exports import writers
from app.exports.columns import INSPECTION_COLUMNS, cells, headers


def _rows(n: int) -> Iterator[list[object]]:
    for i in range(n):
        yield cells(INSPECTION_COLUMNS, (f"id-{i}", "approved", "2026-01-01", None, None, i, "场所", "restaurant",
                                         "410822", "博爱县", "catering_fumes", "gen", 1, 1234567, 0))  # fmt: skip


def _peak_bytes(consume) -> int:  # noqa: ANN001
    tracemalloc.start()
    try:
        consume()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_csv_memory_does_not_grow_with_the_number_of_rows() -> None:
    header = headers(INSPECTION_COLUMNS)

    def consume(n: int) -> None:
        for _ in writers.csv_chunks(header, _rows(n)):
            pass

    small, large = _peak_bytes(lambda: consume(5_000)), _peak_bytes(lambda: consume(100_000))
    # twenty times the rows, (about) the same peak: one chunk of rows at a time
    assert large < small * 1.5 + 64 * 1024


def test_xlsx_memory_does_not_grow_with_the_number_of_rows(tmp_path: Path) -> None:
    header = headers(INSPECTION_COLUMNS)

    def consume(n: int) -> None:
        writers.write_xlsx(str(tmp_path / f"{n}.xlsx"), "检查", header, _rows(n))

    small, large = _peak_bytes(lambda: consume(5_000)), _peak_bytes(lambda: consume(60_000))
    assert large < small * 1.5 + 256 * 1024


def test_csv_starts_with_a_bom_and_yuan_follow_fen() -> None:
    data = b"".join(writers.csv_chunks(headers(INSPECTION_COLUMNS), _rows(1)))
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "财政扣款（分） (fiscal deduction (fen)),财政扣款（元） (fiscal deduction (yuan))" in text
    assert "1234567,12345.67" in text


def test_xlsx_goes_on_in_a_next_sheet_past_the_row_limit(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 4)  # header + 3 rows per sheet
    path = tmp_path / "roll.xlsx"
    assert writers.write_xlsx(str(path), "检查", ["a"], ([i] for i in range(7))) == 7
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True)
    assert book.sheetnames == ["检查", "检查 (2)", "检查 (3)"]
    assert [r[0] for r in book["检查 (3)"].iter_rows(values_only=True)] == ["a", 6]
