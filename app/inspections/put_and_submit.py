"""One request for a phone with a good connection: the inspection's PUT and its submission in one transaction.

The two-step path (PUT drafts while offline, then POST …/submit) stays for edits made over time; this one saves a
round trip over the network and a transaction for the common case of an inspection finished on site. It is the two
use cases run in order, so every rule of each holds (idempotent create, If-Match for an update, the server's
re-evaluation, findings, penalties, audit) — and all or nothing: a submission refused (422) creates nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.inspections.access import inspection_not_found, is_participant
from app.inspections.capture import PutResult, put_inspection
from app.inspections.settings import Settings
from app.inspections.submission import submit_locked
from app.inspections.versions import ShowCurrent
from app.photos.evidence_links import EvidenceLinks


def put_and_submit(
    session: Session,
    principal: Principal,
    inspection_id: uuid.UUID,
    payload: dict[str, Any],
    if_match: str | None,
    settings: Settings,
    show_current: ShowCurrent,
    evidence: EvidenceLinks,
) -> PutResult:
    """PUT ``payload`` (create, or update with ``if_match``), then submit at the version the PUT left.

    A retry of a request that succeeded (same body) finds the body already applied and the inspection already
    submitted from that version: both steps are no-ops and the answer is the same inspection (``created`` False).
    """
    put = put_inspection(session, principal, inspection_id, payload, if_match, settings, show_current, evidence)
    # The version the PUT left; on a replay the inspection is already submitted at it, which submit answers
    # as its own retry (no change).
    version = f'"{put.inspection.version}"'
    if not is_participant(principal, put.inspection):
        raise inspection_not_found()  # as submit answers anyone who is not one of its officers
    # put_inspection returned the row locked FOR UPDATE with its collections: no second lock and load.
    submitted = submit_locked(session, principal, put.inspection, version, settings, show_current)
    return PutResult(submitted, put.created)
