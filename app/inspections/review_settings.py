"""Review settings per jurisdiction: whether the two-person rule applies to decisions there.

Inherited downwards: the nearest jurisdiction (the site's own, then its parents) that has a row decides;
with no row anywhere the rule applies. Only admins change a row, always with a reason, and every change is
audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.inspections.models import ReviewSettings
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.services import chain_codes, get_jurisdiction_in_scope


@dataclass(frozen=True)
class EffectiveReviewSettings:
    two_person_rule: bool
    source: str | None  # code of the jurisdiction whose row decided; None: the default


@dataclass(frozen=True)
class JurisdictionReviewSettings:
    jurisdiction: Jurisdiction
    row: ReviewSettings | None
    effective: EffectiveReviewSettings


def effective_review_settings(session: Session, jurisdiction_path: str) -> EffectiveReviewSettings:
    """What applies at a jurisdiction: its own row, else its nearest parent's, else the rule in force."""
    codes = chain_codes(jurisdiction_path)
    rows = dict(
        session.execute(
            select(Jurisdiction.code, ReviewSettings.two_person_rule)
            .join(ReviewSettings, ReviewSettings.jurisdiction_id == Jurisdiction.id)
            .where(Jurisdiction.code.in_(codes))
        )
        .tuples()
        .all()
    )
    for code in reversed(codes):
        if code in rows:
            return EffectiveReviewSettings(rows[code], code)
    return EffectiveReviewSettings(True, None)


def _own_row(session: Session, jurisdiction: Jurisdiction) -> ReviewSettings | None:
    return session.scalar(select(ReviewSettings).where(ReviewSettings.jurisdiction_id == jurisdiction.id))


def get_review_settings(session: Session, principal: Principal, code: str) -> JurisdictionReviewSettings:
    """A jurisdiction's own review settings (None: never set) and what applies there."""
    jurisdiction = get_jurisdiction_in_scope(session, code, principal)
    return JurisdictionReviewSettings(
        jurisdiction, _own_row(session, jurisdiction), effective_review_settings(session, jurisdiction.path)
    )


def put_review_settings(
    session: Session, principal: Principal, code: str, two_person_rule: bool, reason: str
) -> JurisdictionReviewSettings:
    """Set whether the two-person rule applies in a jurisdiction (and below it), with a reason (audited)."""
    jurisdiction = get_jurisdiction_in_scope(session, code, principal)
    # Two admins setting the same jurisdiction take turns: the second sees the first's row, never inserts a second.
    session.execute(select(Jurisdiction.id).where(Jurisdiction.id == jurisdiction.id).with_for_update())
    row = _own_row(session, jurisdiction)
    before = None if row is None else {"two_person_rule": row.two_person_rule, "reason": row.reason}
    if row is None:
        row = ReviewSettings(
            jurisdiction_id=jurisdiction.id,
            two_person_rule=two_person_rule,
            reason=reason,
            updated_by_id=principal.user_id,
        )
        session.add(row)
    row.two_person_rule = two_person_rule
    row.reason = reason
    row.updated_by_id = principal.user_id
    row.updated_at = datetime.now(UTC)
    session.flush()
    record_audit(
        session,
        "review_settings.update",
        "jurisdiction",
        jurisdiction.code,
        before=before,
        after={"two_person_rule": two_person_rule, "reason": reason},
    )
    return JurisdictionReviewSettings(jurisdiction, row, effective_review_settings(session, jurisdiction.path))
