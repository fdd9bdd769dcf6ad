"""Review: a supervisor returns a submitted inspection to the inspector with comments."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.inspections import rules
from app.inspections.access import can_see, inspection_not_found, load_for_update
from app.inspections.feed import bump_change
from app.inspections.models import Inspection
from app.inspections.versions import ShowCurrent, stale_version
from app.vocabulary import SUPERVISING_ROLES


def return_inspection(
    session: Session,
    principal: Principal,
    inspection_id: uuid.UUID,
    comment: str,
    if_match: str | None,
    show_current: ShowCurrent,
) -> Inspection:
    """A supervisor sends a submitted inspection back to the inspector with comments (submitted → returned)."""
    inspection = load_for_update(session, inspection_id)
    if inspection is None or principal.role not in SUPERVISING_ROLES or not can_see(principal, inspection):
        raise inspection_not_found()
    sent_version = rules.require_if_match(if_match)
    if (
        inspection.state == rules.RETURNED
        and sent_version == inspection.version - 1
        and inspection.review_comment == comment
        and inspection.reviewed_by_id == principal.user_id
    ):
        return inspection  # retry of the return whose response was lost
    if sent_version != inspection.version:
        raise stale_version(inspection, sent_version, show_current)
    target = rules.next_state("return", inspection.state)
    before = {"state": inspection.state, "version": inspection.version}
    inspection.state = target
    inspection.review_comment = comment
    inspection.reviewed_at = datetime.now(UTC)
    inspection.reviewed_by_id = principal.user_id
    inspection.version += 1
    record_audit(
        session,
        "inspection.return",
        "inspection",
        inspection.id,
        before=before,
        after={"state": inspection.state, "version": inspection.version, "comment": comment},
    )
    bump_change(session, inspection)
    return inspection
