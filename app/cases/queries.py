"""Case look-ups shared by the use cases (and the one other features import: ``order_for_inspection``)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.cases.models import Case, CaseInspection, CorrectionOrder, FiscalDeduction
from app.errors import NotFound
from app.vocabulary import SUPERVISING_ROLES


def case_not_found() -> NotFound:
    return NotFound("案件不存在或不在您的权限范围内。", "Case not found in your scope.", code="case_not_found")


def get_case(session: Session, principal: Principal, case_id: int, *, for_update: bool = False) -> Case:
    """The case if the caller supervises its jurisdiction; otherwise 404 (never 403)."""
    stmt = select(Case).where(Case.id == case_id)
    if for_update:
        stmt = stmt.with_for_update(of=Case).execution_options(populate_existing=True)
    case = session.scalars(stmt).first()
    if case is None or principal.role not in SUPERVISING_ROLES or not principal.covers(case.jurisdiction.path):
        raise case_not_found()
    return case


def order_for_inspection(session: Session, inspection_id: uuid.UUID) -> CorrectionOrder | None:
    """The latest order to correct recorded on an inspection's findings (by decision date), if any."""
    return session.scalars(
        select(CorrectionOrder)
        .where(CorrectionOrder.inspection_id == inspection_id)
        .order_by(CorrectionOrder.decided_on.desc(), CorrectionOrder.id.desc())
        .limit(1)
    ).first()


def case_of_inspection(session: Session, inspection_id: uuid.UUID) -> Case | None:
    return session.scalars(
        select(Case)
        .join(CaseInspection, CaseInspection.case_id == Case.id)
        .where(CaseInspection.inspection_id == inspection_id)
    ).first()


def fiscal_deduction_not_found() -> NotFound:
    return NotFound(
        "财政扣缴记录不存在或不在您的权限范围内。",
        "Fiscal deduction not found in your scope.",
        code="fiscal_deduction_not_found",
    )


def get_fiscal_deduction(
    session: Session, principal: Principal, deduction_id: int, *, for_update: bool = False
) -> FiscalDeduction:
    stmt = select(FiscalDeduction).where(FiscalDeduction.id == deduction_id)
    if for_update:
        stmt = stmt.with_for_update(of=FiscalDeduction).execution_options(populate_existing=True)
    row = session.scalars(stmt).first()
    if row is None or principal.role not in SUPERVISING_ROLES or not principal.covers(row.subdistrict.path):
        raise fiscal_deduction_not_found()
    return row
