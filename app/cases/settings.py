"""A jurisdiction's case settings: the 陈述申辩 period and the 听证 thresholds (no statute here fixes them).

The nearest jurisdiction with a value wins, field by field. Only an admin sets them, with a reason (audited).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.cases.deadlines import StatementPeriod
from app.cases.models import CaseSettings
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.services import chain_codes, get_jurisdiction_in_scope

SETTING_FIELDS = (
    "statement_period_days",
    "statement_period_unit",
    "hearing_threshold_unit_fen",
    "hearing_threshold_individual_fen",
)


@dataclass(frozen=True)
class EffectiveCaseSettings:
    statement_period: StatementPeriod | None
    hearing_threshold_unit_fen: int | None
    hearing_threshold_individual_fen: int | None
    sources: dict[str, str]  # field -> jurisdiction code it comes from

    def hearing_threshold(self, party_kind: str) -> int | None:
        return self.hearing_threshold_unit_fen if party_kind == "unit" else self.hearing_threshold_individual_fen


def effective_case_settings(session: Session, jurisdiction_path: str) -> EffectiveCaseSettings:
    codes = chain_codes(jurisdiction_path)
    rows: dict[str, CaseSettings] = dict(
        session.execute(
            select(Jurisdiction.code, CaseSettings)
            .join(CaseSettings, CaseSettings.jurisdiction_id == Jurisdiction.id)
            .where(Jurisdiction.code.in_(codes))
        )
        .tuples()
        .all()
    )
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for code in reversed(codes):  # nearest first
        row = rows.get(code)
        if row is None:
            continue
        for name in SETTING_FIELDS:
            if name not in values and getattr(row, name) is not None:
                values[name] = getattr(row, name)
                sources[name] = code
    days, unit = values.get("statement_period_days"), values.get("statement_period_unit")
    period = StatementPeriod(int(days), str(unit)) if days is not None and unit is not None else None
    return EffectiveCaseSettings(
        period, values.get("hearing_threshold_unit_fen"), values.get("hearing_threshold_individual_fen"), sources
    )


def get_case_settings(session: Session, principal: Principal, code: str) -> tuple[Jurisdiction, CaseSettings | None]:
    jurisdiction = get_jurisdiction_in_scope(session, code, principal)
    row = session.scalar(select(CaseSettings).where(CaseSettings.jurisdiction_id == jurisdiction.id))
    return jurisdiction, row


def put_case_settings(
    session: Session, principal: Principal, code: str, data: dict[str, Any]
) -> tuple[Jurisdiction, CaseSettings]:
    """An admin sets the case settings of a jurisdiction in scope (and below), with a reason; audited."""
    jurisdiction = get_jurisdiction_in_scope(session, code, principal)
    session.execute(select(Jurisdiction.id).where(Jurisdiction.id == jurisdiction.id).with_for_update())
    row = session.scalar(select(CaseSettings).where(CaseSettings.jurisdiction_id == jurisdiction.id))
    before = None if row is None else {name: getattr(row, name) for name in SETTING_FIELDS} | {"reason": row.reason}
    if row is None:
        row = CaseSettings(jurisdiction_id=jurisdiction.id, reason=data["reason"], updated_by_id=principal.user_id)
        session.add(row)
    for name in SETTING_FIELDS:
        setattr(row, name, data.get(name))
    row.reason = data["reason"]
    row.updated_by_id = principal.user_id
    row.updated_at = datetime.now(UTC)
    session.flush()
    after = {name: getattr(row, name) for name in SETTING_FIELDS} | {"reason": row.reason}
    record_audit(session, "case.settings_set", "jurisdiction", jurisdiction.code, before=before, after=after)
    return jurisdiction, row
