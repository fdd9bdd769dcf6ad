"""What each export holds: its columns with Chinese (and English) headers, and how a value is written.

Pure: imports neither Flask nor SQLAlchemy. Times are Asia/Shanghai (formatted in SQL); money is given twice,
integer fen (as stored, for sums) and a yuan string (for reading).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from app.stats.figures import yuan

KINDS: Final = ("inspections", "findings", "penalty-lines")
FORMATS: Final = ("csv", "xlsx")


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    money: bool = False  # a fen amount: written as fen and followed by a yuan column


INSPECTION_COLUMNS: Final = (
    Column("id", "检查编号", "inspection id"),
    Column("state", "状态", "state"),
    Column("local_date", "检查日期（北京时间）", "date (Asia/Shanghai)"),
    Column("started_at", "开始时间（北京时间）", "started (Asia/Shanghai)"),
    Column("submitted_at", "提交时间（北京时间）", "submitted (Asia/Shanghai)"),
    Column("site_id", "场所编号", "site id"),
    Column("site_name", "场所名称", "site name"),
    Column("site_kind", "场所类型", "site kind"),
    Column("jurisdiction_code", "行政区划代码", "jurisdiction code"),
    Column("jurisdiction_name", "行政区划", "jurisdiction"),
    Column("checklist_key", "检查表", "checklist"),
    Column("inspector", "检查人", "inspector"),
    Column("failed_findings", "不合格项数", "failed items"),
    Column("fiscal_deduction_fen", "财政扣款（分）", "fiscal deduction (fen)", money=True),
    Column("statutory_fine_fen", "行政罚款（分）", "statutory fine (fen)", money=True),
)

FINDING_COLUMNS: Final = (
    Column("inspection_id", "检查编号", "inspection id"),
    Column("local_date", "检查日期（北京时间）", "date (Asia/Shanghai)"),
    Column("site_id", "场所编号", "site id"),
    Column("site_name", "场所名称", "site name"),
    Column("jurisdiction_code", "行政区划代码", "jurisdiction code"),
    Column("checklist_key", "检查表", "checklist"),
    Column("item_key", "检查项", "item"),
    Column("verdict", "结论", "verdict"),
    Column("value", "测量值", "measured value"),
    Column("severity", "严重程度", "severity"),
)

PENALTY_LINE_COLUMNS: Final = (
    Column("inspection_id", "检查编号", "inspection id"),
    Column("local_date", "检查日期（北京时间）", "date (Asia/Shanghai)"),
    Column("site_id", "场所编号", "site id"),
    Column("site_name", "场所名称", "site name"),
    Column("jurisdiction_code", "行政区划代码", "jurisdiction code"),
    Column("rule_key", "处罚规则", "rule"),
    Column("kind", "类别", "kind"),
    Column("status", "计算状态", "status"),
    Column("payer_type", "承担方", "payer"),
    Column("amount_fen", "金额（分）", "amount (fen)", money=True),
)

COLUMNS: Final = {"inspections": INSPECTION_COLUMNS, "findings": FINDING_COLUMNS, "penalty-lines": PENALTY_LINE_COLUMNS}
SHEET_NAMES: Final = {"inspections": "检查", "findings": "检查结论", "penalty-lines": "处罚明细"}


def headers(columns: tuple[Column, ...]) -> list[str]:
    """Header row: Chinese first, English in brackets; a money column is followed by its yuan column."""
    out: list[str] = []
    for c in columns:
        out.append(f"{c.zh} ({c.en})")
        if c.money:
            out.append(f"{c.zh.replace('（分）', '（元）')} ({c.en.replace('(fen)', '(yuan)')})")
    return out


Cell = str | int | float | None


def cells(columns: tuple[Column, ...], row: tuple[Cell, ...]) -> list[Cell]:
    """One output row from the values in column order (money: fen, then the yuan string)."""
    out: list[Cell] = []
    for c, value in zip(columns, row, strict=True):
        out.append(value)
        if c.money:
            out.append(yuan(value) if isinstance(value, int) else None)
    return out
