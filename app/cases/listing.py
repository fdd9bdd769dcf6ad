"""The cases list: newest first, filtered, in keyset pages (a bureau's cases outgrow any fixed cap)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import cursors
from app.auth.principal import Principal
from app.cases.models import Case, CaseInspection
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class CaseFilter:
    stage: str | None = None
    site_id: int | None = None
    inspection_id: uuid.UUID | None = None

    def fingerprint(self) -> str:
        return f"{self.stage or ''}|{self.site_id or ''}|{self.inspection_id or ''}"


@dataclass(frozen=True)
class CasePage:
    items: list[Case]
    next_cursor: str | None


def _encode(flt: CaseFilter, last_id: int) -> str:
    return cursors.encode_cursor(f"{flt.fingerprint()}#{last_id}")


def _decode(flt: CaseFilter, cursor: str) -> int:
    try:
        fingerprint, _, last_id = cursors.decode_cursor(cursor).rpartition("#")
        if fingerprint != flt.fingerprint():
            raise ValueError("cursor belongs to another query")
        return int(last_id)
    except ValueError as exc:  # MalformedCursor is a ValueError
        raise cursors.invalid_cursor() from exc


def list_cases(
    session: Session,
    principal: Principal,
    flt: CaseFilter,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> CasePage:
    """One page of the cases in the caller's jurisdictions, newest first, and the next page's cursor (None on the
    last page). A case opened while paging appears on no later page (ids only grow), never twice."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    stmt = (
        select(Case)
        .join(Jurisdiction, Jurisdiction.id == Case.jurisdiction_id)
        .where(scope_clause(principal.jurisdiction_paths))
        .order_by(Case.id.desc())
        .limit(limit + 1)
    )
    if cursor:
        stmt = stmt.where(Case.id < _decode(flt, cursor))
    if flt.stage:
        stmt = stmt.where(Case.stage == flt.stage)
    if flt.site_id is not None:
        stmt = stmt.where(Case.site_id == flt.site_id)
    if flt.inspection_id is not None:
        stmt = stmt.where(
            Case.id.in_(select(CaseInspection.case_id).where(CaseInspection.inspection_id == flt.inspection_id))
        )
    rows = list(session.scalars(stmt).unique())
    if len(rows) > limit:
        rows = rows[:limit]
        return CasePage(rows, _encode(flt, rows[-1].id))
    return CasePage(rows, None)
