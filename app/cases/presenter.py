"""Cases, tasks and fiscal deductions as the API shows them (plain dicts the schemas dump)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.cases.actions import case_lines
from app.cases.models import Case, CaseSettings, CorrectionOrder, FiscalDeduction
from app.cases.party import party_dict, party_of
from app.cases.schedule import case_deadlines
from app.cases.settings import SETTING_FIELDS, EffectiveCaseSettings
from app.cases.timeline import document_summary
from app.cases.transitions import STAGE_NAMES, allowed_actions
from app.documents.queries import case_documents
from app.jurisdictions.models import Jurisdiction
from app.localtime import today_local


def present_case_summary(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "stage": case.stage,
        "stage_zh": STAGE_NAMES[case.stage][0],
        "round": case.round,
        "version": case.version,
        "site": {"id": case.site.id, "name": case.site.name, "address": case.site.address},
        "jurisdiction": case.jurisdiction.code,
        "party": party_dict(party_of(case), masked=True),
        "opened_at": case.created_at,
    }


def present_order(order: CorrectionOrder) -> dict[str, Any]:
    return {
        "id": order.id,
        "inspection_id": order.inspection_id,
        "item_keys": list(order.item_keys),
        "decided_on": order.decided_on,
        "served_on": order.served_on,
        "deadline": order.deadline,
        "status": order.status,
        "reinspection_id": order.reinspection_id,
        "outcome_on": order.outcome_on,
    }


def present_case(session: Session, case: Case, viewer: Principal) -> dict[str, Any]:
    totals: dict[str, int] = {}
    for line in case_lines(session, case):
        if line.amount_fen is not None:
            totals[line.kind] = totals.get(line.kind, 0) + line.amount_fen
    today = today_local()
    return present_case_summary(case) | {
        "party": party_dict(party_of(case), masked=False),
        "stages": {
            "filed_on": case.filed_on,
            "notice_served_on": case.notice_served_on,
            "hearing_requested_on": case.hearing_requested_on,
            "decided_on": case.decided_on,
            "decision_served_on": case.decision_served_on,
            "paid_on": case.paid_on,
            "closed_on": case.closed_on,
        },
        "proposed_fine_fen": case.proposed_fine_fen,
        "hearing_right": case.hearing_right,
        "rights_waived": case.rights_waived,
        "decided_fine_fen": case.decided_fine_fen,
        "decided_measures": case.decided_measures,
        "paid_fen": case.paid_fen,
        "close_reason": case.close_reason,
        "penalty_totals_fen": totals,
        "inspections": [{"inspection_id": m.inspection_id, "role": m.role} for m in case.inspections],
        "orders": [present_order(o) for o in case.orders],
        "deadlines": [asdict(d) | {"passed": d.passed(today)} for d in case_deadlines(session, case)],
        "allowed_actions": allowed_actions(case.stage, viewer.role),
        "documents": [document_summary(d) for d in case_documents(session, case.id)],
    }


def present_fiscal_deduction(row: FiscalDeduction) -> dict[str, Any]:
    return {
        "id": row.id,
        "subdistrict": {"code": row.subdistrict.code, "name": row.subdistrict.name_zh},
        "inspection_id": row.inspection_id,
        "amount_fen": row.amount_fen,
        "lines": row.lines,
        "status": row.status,
        "notified_on": row.notified_on,
        "settled_on": row.settled_on,
        "version": row.version,
        "basis": "000§五(二)",
    }


def present_case_settings(
    jurisdiction: Jurisdiction, row: CaseSettings | None, effective: EffectiveCaseSettings
) -> dict[str, Any]:
    period = effective.statement_period
    return {
        "jurisdiction": jurisdiction.code,
        "own": None if row is None else {name: getattr(row, name) for name in SETTING_FIELDS} | {"reason": row.reason},
        "effective": {
            "statement_period_days": period.days if period else None,
            "statement_period_unit": period.unit if period else None,
            "hearing_threshold_unit_fen": effective.hearing_threshold_unit_fen,
            "hearing_threshold_individual_fen": effective.hearing_threshold_individual_fen,
            "sources": effective.sources,
        },
    }
