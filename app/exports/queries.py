"""The rows of each export: the review queue's filters and the caller's scope (``app.review.queries``), in SQL.

Times are formatted in Asia/Shanghai by PostgreSQL; findings are the current submission's; penalty lines are
the current computation's (what the statistics sum).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Select, and_, cast, func, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.inspections.models import Finding, Inspection
from app.jurisdictions.models import Jurisdiction
from app.penalties.models import PenaltyComputation, PenaltyLineRow
from app.review.queries import QueueFilter, filter_conditions
from app.sites.models import Site

_TZ = "Asia/Shanghai"


def _local(ts: Any, fmt: str = "YYYY-MM-DD HH24:MI:SS") -> Any:
    return func.to_char(func.timezone(_TZ, ts), fmt)


def _moment() -> Any:
    return func.coalesce(Inspection.started_at, Inspection.submitted_at, Inspection.created_at)


def _inspections(paths: Sequence[str] | None, flt: QueueFilter) -> Select[Any]:
    return (
        select(Inspection.id)
        .select_from(Inspection)
        .join(Site, Site.id == Inspection.site_id)
        .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
        .where(*filter_conditions(paths, flt), Inspection.state.in_(flt.states))
    )


def _money(kind: str) -> Any:
    return (
        select(cast(func.coalesce(func.sum(PenaltyLineRow.amount_fen), 0), BigInteger))
        .join(PenaltyComputation, PenaltyComputation.id == PenaltyLineRow.computation_id)
        .where(
            PenaltyLineRow.inspection_id == Inspection.id, PenaltyComputation.is_current, PenaltyLineRow.kind == kind
        )
        .scalar_subquery()
    )


def inspection_rows(paths: Sequence[str] | None, flt: QueueFilter) -> Select[Any]:
    failed = (
        select(func.count())
        .select_from(Finding)
        .where(
            Finding.inspection_id == Inspection.id,
            Finding.submission_no == Inspection.submission_count,
            Finding.verdict == "fail",
        )
        .scalar_subquery()
    )
    return (
        _inspections(paths, flt)
        .with_only_columns(
            func.cast(Inspection.id, type_=Site.name.type),
            Inspection.state,
            _local(_moment(), "YYYY-MM-DD"),
            _local(Inspection.started_at),
            _local(Inspection.submitted_at),
            Site.id,
            Site.name,
            Site.kind,
            Jurisdiction.code,
            Jurisdiction.name_zh,
            Inspection.checklist_key,
            User.username,
            failed,
            _money("fiscal_deduction"),
            _money("statutory_fine"),
        )
        .join(User, User.id == Inspection.created_by_id)
        .order_by(Inspection.change_seq)
    )


def finding_rows(paths: Sequence[str] | None, flt: QueueFilter) -> Select[Any]:
    return (
        _inspections(paths, flt)
        .with_only_columns(
            func.cast(Inspection.id, type_=Site.name.type),
            _local(_moment(), "YYYY-MM-DD"),
            Site.id,
            Site.name,
            Jurisdiction.code,
            Finding.checklist_key,
            Finding.item_key,
            Finding.verdict,
            Finding.value,
            Finding.severity,
        )
        .join(
            Finding,
            and_(Finding.inspection_id == Inspection.id, Finding.submission_no == Inspection.submission_count),
        )
        .order_by(Inspection.change_seq, Finding.id)
    )


def penalty_line_rows(paths: Sequence[str] | None, flt: QueueFilter) -> Select[Any]:
    return (
        _inspections(paths, flt)
        .with_only_columns(
            func.cast(Inspection.id, type_=Site.name.type),
            _local(_moment(), "YYYY-MM-DD"),
            Site.id,
            Site.name,
            Jurisdiction.code,
            PenaltyLineRow.rule_key,
            PenaltyLineRow.kind,
            PenaltyLineRow.status,
            PenaltyLineRow.payer_type,
            PenaltyLineRow.amount_fen,
        )
        .join(PenaltyLineRow, PenaltyLineRow.inspection_id == Inspection.id)
        .join(
            PenaltyComputation,
            and_(PenaltyComputation.id == PenaltyLineRow.computation_id, PenaltyComputation.is_current),
        )
        .order_by(Inspection.change_seq, PenaltyLineRow.id)
    )


ROW_QUERIES = {"inspections": inspection_rows, "findings": finding_rows, "penalty-lines": penalty_line_rows}


def count_rows(session: Session, stmt: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
