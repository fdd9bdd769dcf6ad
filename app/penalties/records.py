"""Stored computations and lines: engine lines to rows and back, the current computation, totals."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.penalties import explanation
from app.penalties.domain import Factor, Override, Payer, PenaltyLine
from app.penalties.models import PenaltyComputation, PenaltyLineRow
from app.penalties.rule_spec import AmountSetting

MONEY_KINDS = ("fiscal_deduction", "statutory_fine")


def note_amount_setting(line: PenaltyLine, setting: AmountSetting) -> PenaltyLine:
    zh, en = explanation.amount_setting(setting)
    return replace(line, explanation_zh=line.explanation_zh + (zh,), explanation_en=line.explanation_en + (en,))


def row_from_line(
    line: PenaltyLine, position: int, computation: PenaltyComputation, rule_row_id: int, setting: AmountSetting | None
) -> PenaltyLineRow:
    d = line.to_dict()
    return PenaltyLineRow(
        computation=computation,
        inspection_id=computation.inspection_id,
        position=position,
        rule_version_id=rule_row_id,
        rule_key=line.rule_key,
        rule_version=line.rule_version,
        rule_hash=line.rule_hash,
        kind=line.kind,
        title=d["title"],
        payer_type=line.payer.type,
        payer_code=line.payer.code,
        payer_name=line.payer.name,
        unit=line.unit,
        counted_units=line.counted_units,
        base_amount_fen=line.base_amount_fen,
        range_min_fen=line.range_fen[0] if line.range_fen else None,
        range_max_fen=line.range_fen[1] if line.range_fen else None,
        amount_fen=line.amount_fen,
        status=line.status,
        factors=d["factors"],
        explanation=d["explanation"],
        basis=d["basis"],
        authority=d["authority"],
        source_refs=d["source_refs"],
        item_keys=d["item_keys"],
        verified=line.verified,
        blocking_reasons=d["blocking_reasons"],
        daily_days=line.daily_days,
        amount_setting=setting.doc if setting is not None else None,
        override=d["override"],
    )


def line_from_row(row: PenaltyLineRow) -> PenaltyLine:
    """The engine's PenaltyLine for a stored row (for apply_override and printing)."""
    o = row.override
    return PenaltyLine(
        rule_key=row.rule_key,
        rule_version=row.rule_version,
        rule_hash=row.rule_hash,
        kind=row.kind,
        title_zh=row.title["zh"],
        title_en=row.title["en"],
        payer=Payer(row.payer_type, row.payer_code, row.payer_name),
        basis=tuple((b["ref"], b["text"]) for b in row.basis),
        authority_zh=row.authority["zh"],
        authority_en=row.authority["en"],
        unit=row.unit,
        counted_units=row.counted_units,
        base_amount_fen=row.base_amount_fen,
        range_fen=(
            (row.range_min_fen, row.range_max_fen)
            if row.range_min_fen is not None and row.range_max_fen is not None
            else None
        ),
        factors=tuple(Factor(f["name"], f["level"], f["effect"]) for f in row.factors),
        amount_fen=row.amount_fen,
        status=row.status,
        explanation_zh=tuple(row.explanation["zh"]),
        explanation_en=tuple(row.explanation["en"]),
        source_refs=tuple(row.source_refs),
        item_keys=tuple(row.item_keys),
        verified=row.verified,
        blocking_reasons=tuple(row.blocking_reasons),
        daily_days=row.daily_days,
        override=None
        if o is None
        else Override(o["amount_before_fen"], o["amount_after_fen"], o["reason"], o.get("by")),
    )


def current_computation(session: Session, inspection_id: Any) -> PenaltyComputation | None:
    return session.scalar(
        select(PenaltyComputation).where(
            PenaltyComputation.inspection_id == inspection_id, PenaltyComputation.is_current.is_(True)
        )
    )


def lines_summary(computation: PenaltyComputation | None) -> dict[str, Any] | None:
    if computation is None:
        return None
    return {
        "computation_id": computation.id,
        "lines": [
            {
                "rule_key": l.rule_key,
                "rule_version": l.rule_version,
                "rule_hash": l.rule_hash,
                "payer_code": l.payer_code,
                "amount_fen": l.amount_fen,
                "status": l.status,
            }
            for l in computation.lines
        ],
        "totals_fen": totals_fen(computation.lines),
    }


def totals_fen(lines: Iterable[PenaltyLineRow]) -> dict[str, int]:
    """Sum of amounts per money kind (lines without an amount count 0)."""
    totals = dict.fromkeys(MONEY_KINDS, 0)
    for line in lines:
        if line.kind in totals:
            totals[line.kind] += line.amount_fen or 0
    return totals
