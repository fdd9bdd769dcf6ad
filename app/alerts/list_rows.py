"""PURE: the rows of a reduction-list spreadsheet (Chinese headers) checked and typed, or every error per row.

No Flask, no SQLAlchemy. One row is one measure of one site for one alert level (黄色/橙色/红色) or for a
staggered-production period (错峰生产, with its dates). The column set is our proposal: no published Henan
list table was seen (alerts.md §3.3, open question 2), so the headers follow what the plans require a list
to carry (000#35: line, process, facility, ratio; 003#36; 002#35 transport; 000#27 low-VOC substitution).

Columns (``*`` required): 场所编号 or 统一社会信用代码*, 企业名称, 行业*, 绩效分级*, 低VOCs源头替代 (是/否),
预警级别*, 措施类型*, 管控对象 (required for 停产), 限产比例 (required for 限产, 1–100, "%" allowed),
开始日期 / 结束日期 (required for 错峰生产), 措施依据 (default: the list's document and version).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from app.alerts.measures import GRADES, KIND_BY_LABEL, MEASURE_KINDS
from app.errors import FieldError

HEADERS: Final[dict[str, str]] = {
    "场所编号": "site_code",
    "统一社会信用代码": "credit_code",
    "企业名称": "name",
    "行业": "industry",
    "绩效分级": "grade",
    "低VOCs源头替代": "low_voc",
    "预警级别": "trigger",
    "措施类型": "kind",
    "管控对象": "target",
    "限产比例": "percent",
    "开始日期": "starts_on",
    "结束日期": "ends_on",
    "措施依据": "source",
}
REQUIRED_HEADERS: Final = ("行业", "绩效分级", "预警级别", "措施类型")
TRIGGER_BY_LABEL: Final[dict[str, str]] = {
    "黄色": "yellow",
    "橙色": "orange",
    "红色": "red",
    "错峰生产": "staggered",
    "黄色预警": "yellow",
    "橙色预警": "orange",
    "红色预警": "red",
}
YES: Final = frozenset({"是", "Y", "y", "yes", "1", "true"})
NO: Final = frozenset({"", "否", "N", "n", "no", "0", "false"})
MAX_ROWS: Final = 20000


@dataclass(frozen=True)
class ListRow:
    row_no: int  # spreadsheet row number (the header is row 1)
    site_code: str | None
    credit_code: str | None
    name: str | None
    industry: str
    grade: str
    low_voc: bool
    trigger: str
    kind: str
    target: str | None
    percent: int | None
    starts_on: date | None
    ends_on: date | None
    source: str | None


Cell = str | int | float | date | datetime | None


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _err(row: int, header: str, code: str, zh: str, en: str) -> FieldError:
    return FieldError(f"rows.{row}.{header}", code, zh, en)


def _date(value: Cell, row: int, header: str, errors: list[FieldError]) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    if not text:
        return None
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return date(year, month, day)
    except ValueError:
        errors.append(_err(row, header, "invalid_date", f"日期无效：{text}", f"invalid date: {text}"))
        return None


def _percent(value: Cell, row: int, errors: list[FieldError]) -> int | None:
    text = _text(value).rstrip("%").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if not number.is_integer() or not 1 <= number <= 100:
        errors.append(
            _err(row, "限产比例", "invalid_percent", f"限产比例应为1–100的整数：{text}", f"cut must be 1–100: {text}")
        )
        return None
    return int(number)


def header_errors(header: Sequence[Cell]) -> list[FieldError]:
    """Unknown or missing columns (checked before any row)."""
    names = [_text(h) for h in header]
    errors = [
        FieldError(f"header.{n}", "unknown_column", f"未知列：{n}", f"unknown column: {n}")
        for n in names
        if n and n not in HEADERS
    ]
    errors += [
        FieldError(f"header.{n}", "missing_column", f"缺少必填列：{n}", f"required column missing: {n}")
        for n in REQUIRED_HEADERS
        if n not in names
    ]
    if "场所编号" not in names and "统一社会信用代码" not in names:
        errors.append(
            FieldError(
                "header.场所编号",
                "missing_column",
                "需要“场所编号”或“统一社会信用代码”列",
                "a site code or credit code column is required",
            )
        )
    return errors


def parse_row(row_no: int, cells: dict[str, Cell]) -> tuple[ListRow | None, list[FieldError]]:
    """One row typed, or its errors (every one of them, addressed ``rows.<n>.<column>``)."""
    errors: list[FieldError] = []
    get = {field: _text(cells.get(header)) for header, field in HEADERS.items()}
    if not get["site_code"] and not get["credit_code"]:
        errors.append(
            _err(row_no, "场所编号", "required", "缺少场所编号或统一社会信用代码", "site code or credit code required")
        )
    for header in ("行业",):
        if not get["industry"]:
            errors.append(_err(row_no, header, "required", "缺少行业", "industry required"))
    grade = get["grade"].upper() if get["grade"] in ("a", "b", "b-", "c", "d") else get["grade"]
    if grade not in GRADES:
        errors.append(
            _err(
                row_no,
                "绩效分级",
                "invalid_choice",
                f"绩效分级无效：{get['grade']}（应为 {'、'.join(GRADES)}）",
                f"unknown grade: {get['grade']}",
            )
        )
    trigger = TRIGGER_BY_LABEL.get(get["trigger"])
    if trigger is None:
        errors.append(
            _err(
                row_no,
                "预警级别",
                "invalid_choice",
                f"预警级别无效：{get['trigger']}（黄色、橙色、红色、错峰生产）",
                f"unknown level: {get['trigger']}",
            )
        )
    kind = KIND_BY_LABEL.get(get["kind"])
    if kind is None:
        errors.append(
            _err(
                row_no,
                "措施类型",
                "invalid_choice",
                f"措施类型无效：{get['kind']}（{'、'.join(KIND_BY_LABEL)}）",
                f"unknown measure: {get['kind']}",
            )
        )
    low_voc = get["low_voc"] in YES
    if get["low_voc"] not in YES | NO:
        errors.append(_err(row_no, "低VOCs源头替代", "invalid_choice", "应填“是”或“否”", "must be 是 or 否"))
    percent = _percent(cells.get("限产比例"), row_no, errors)
    starts_on = _date(cells.get("开始日期"), row_no, "开始日期", errors)
    ends_on = _date(cells.get("结束日期"), row_no, "结束日期", errors)
    if kind is not None:
        spec = MEASURE_KINDS[kind]
        if spec.needs_target and not get["target"]:
            errors.append(
                _err(
                    row_no,
                    "管控对象",
                    "required",
                    "停产措施须写明生产线或设施（000#35）",
                    "a stop measure names its line or facility (000#35)",
                )
            )
        if spec.needs_percent and percent is None and not any(e.path == f"rows.{row_no}.限产比例" for e in errors):
            errors.append(
                _err(row_no, "限产比例", "required", "限产措施须写明限产比例", "a limit measure needs its percentage")
            )
    if trigger == "staggered":
        if starts_on is None or ends_on is None:
            errors.append(
                _err(
                    row_no,
                    "开始日期",
                    "required",
                    "错峰生产须写明开始和结束日期",
                    "staggered production needs start and end dates",
                )
            )
        elif ends_on < starts_on:
            errors.append(
                _err(row_no, "结束日期", "invalid_period", "结束日期早于开始日期", "end date before start date")
            )
    if errors or trigger is None or kind is None:
        return None, errors
    return (
        ListRow(
            row_no=row_no,
            site_code=get["site_code"] or None,
            credit_code=get["credit_code"].upper() or None,
            name=get["name"] or None,
            industry=get["industry"],
            grade=grade,
            low_voc=low_voc,
            trigger=trigger,
            kind=kind,
            target=get["target"] or None,
            percent=percent,
            starts_on=starts_on if trigger == "staggered" else None,
            ends_on=ends_on if trigger == "staggered" else None,
            source=get["source"] or None,
        ),
        [],
    )


def parse_table(table: Sequence[Sequence[Cell]]) -> tuple[list[ListRow], list[FieldError]]:
    """Header then rows; blank rows are skipped. Every error of every row, or the typed rows."""
    if not table:
        return [], [FieldError("header", "empty_file", "文件为空", "the file is empty")]
    header = [_text(h) for h in table[0]]
    errors = header_errors(header)
    if errors:
        return [], errors
    if len(table) - 1 > MAX_ROWS:
        return [], [FieldError("rows", "too_many_rows", f"行数超过 {MAX_ROWS}", f"more than {MAX_ROWS} rows")]
    rows: list[ListRow] = []
    for offset, raw in enumerate(table[1:], start=2):
        if all(_text(c) == "" for c in raw):
            continue
        cells = {header[i]: raw[i] for i in range(min(len(header), len(raw))) if header[i]}
        parsed, row_errors = parse_row(offset, cells)
        errors += row_errors
        if parsed is not None:
            rows.append(parsed)
    if not rows and not errors:
        errors.append(FieldError("rows", "empty_file", "清单没有数据行", "the list has no rows"))
    errors += consistency_errors(rows)
    return rows, errors


def consistency_errors(rows: Sequence[ListRow]) -> list[FieldError]:
    """A site's grade, industry and low-VOC status are the same on each of its rows."""
    first: dict[str, ListRow] = {}
    errors = []
    for r in rows:
        key = r.site_code or r.credit_code or ""
        seen = first.setdefault(key, r)
        if (seen.grade, seen.industry, seen.low_voc) != (r.grade, r.industry, r.low_voc):
            errors.append(
                _err(
                    r.row_no,
                    "绩效分级",
                    "inconsistent_site",
                    f"与第 {seen.row_no} 行同一场所的行业、绩效分级或低VOCs替代不一致",
                    f"industry, grade or low-VOC status differs from row {seen.row_no} of the same site",
                )
            )
    return errors
