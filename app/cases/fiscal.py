"""Fiscal deductions (财政扣缴, 000§五(二)): charged to the sub-district that contains the site, recorded apart
from the party's case (it is an internal fiscal measure, not an administrative penalty), with their own
notice (notified) and settlement."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.cases.models import FiscalDeduction
from app.cases.queries import get_fiscal_deduction
from app.cases.transitions import require_acting_role
from app.errors import Conflict, PreconditionFailed, PreconditionRequired
from app.etags import MalformedIfMatch, parse_if_match
from app.inspections.models import Inspection
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.localtime import today_local
from app.penalties.records import current_computation

FISCAL_STEPS = {"notify": ("open", "notified"), "settle": ("notified", "settled")}


def open_fiscal_deduction(session: Session, inspection: Inspection) -> FiscalDeduction | None:
    """Open the deduction record of an approved inspection whose computation charges a sub-district."""
    existing = session.scalar(select(FiscalDeduction).where(FiscalDeduction.inspection_id == inspection.id))
    computation = current_computation(session, inspection.id)
    if existing is not None or computation is None:
        return existing
    lines = [
        l
        for l in computation.lines
        if l.kind == "fiscal_deduction" and l.payer_type == "responsible_jurisdiction" and (l.amount_fen or 0) > 0
    ]
    codes = sorted({l.payer_code for l in lines if l.payer_code})
    if not codes:
        return None
    # A site lies in one sub-district: every fiscal line of an inspection names the same payer.
    subdistrict = session.scalar(select(Jurisdiction).where(Jurisdiction.code == codes[0]))
    if subdistrict is None:
        return None
    mine = [l for l in lines if l.payer_code == subdistrict.code]
    row = FiscalDeduction(
        subdistrict_id=subdistrict.id,
        inspection_id=inspection.id,
        amount_fen=sum(l.amount_fen or 0 for l in mine),
        lines=[{"rule_key": l.rule_key, "amount_fen": l.amount_fen, "penalty_line_id": l.id} for l in mine],
    )
    session.add(row)
    session.flush()
    record_audit(
        session,
        "fiscal_deduction.open",
        "fiscal_deduction",
        row.id,
        after={"subdistrict": subdistrict.code, "inspection": str(inspection.id), "amount_fen": row.amount_fen},
    )
    return row


def list_fiscal_deductions(session: Session, principal: Principal, status: str | None) -> list[FiscalDeduction]:
    stmt = (
        select(FiscalDeduction)
        .join(Jurisdiction, Jurisdiction.id == FiscalDeduction.subdistrict_id)
        .where(scope_clause(principal.jurisdiction_paths))
        .order_by(FiscalDeduction.id.desc())
    )
    if status:
        stmt = stmt.where(FiscalDeduction.status == status)
    return list(session.scalars(stmt))


def step_fiscal_deduction(
    session: Session, principal: Principal, deduction_id: int, step: str, on_date: date | None, if_match: str | None
) -> FiscalDeduction:
    """notify (open → notified: the notice was sent) or settle (notified → settled); If-Match; audited."""
    row = get_fiscal_deduction(session, principal, deduction_id, for_update=True)
    require_acting_role(principal.role, "财政扣缴", "Fiscal deduction step")
    try:
        sent = parse_if_match(if_match)
    except MalformedIfMatch:
        sent = None
    if sent is None:
        raise PreconditionRequired("须携带 If-Match 版本头。", "If-Match required.", code="if_match_required")
    source, target = FISCAL_STEPS[step]
    if sent == row.version - 1 and row.status == target:
        return row  # retry of the step whose response was lost
    if sent != row.version:
        raise PreconditionFailed(
            f"记录已被修改（您的版本 {sent}，当前版本 {row.version}）。",
            f"The record changed (your version {sent}, current {row.version}).",
            code="version_stale",
            extra={"current_version": row.version, "_headers": {"ETag": row.etag}},
        )
    if row.status != source:
        raise Conflict(
            f"财政扣缴记录状态为 {row.status}，不能执行 {step}。",
            f"The fiscal deduction is {row.status}; '{step}' is not possible.",
            code="fiscal_deduction_wrong_state",
        )
    day = on_date or today_local()
    before: dict[str, Any] = {"status": row.status, "version": row.version}
    row.status = target
    if step == "notify":
        row.notified_on = day
    else:
        row.settled_on = day
    row.version += 1
    session.flush()
    record_audit(
        session,
        f"fiscal_deduction.{step}",
        "fiscal_deduction",
        row.id,
        before=before,
        after={"status": row.status, "version": row.version, "on": day.isoformat()},
    )
    return row
