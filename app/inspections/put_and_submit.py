"""One request for a phone with a good connection: the inspection's PUT and its submission in one transaction.

The two-step path (PUT drafts while offline, then POST …/submit) stays for edits made over time; this one saves a
round trip over the network and a transaction for the common case of an inspection finished on site. It is the two
use cases run in order, so every rule of each holds (idempotent create, If-Match for an update, the server's
re-evaluation, findings, penalties, audit) — and all or nothing: a submission refused (422) creates nothing.

A new inspection (the common case) is built and judged in memory first, then written once: one INSERT per table,
the inspection already submitted with its feed position, and its audit rows together. An inspection
that exists, or one linking photos (whose evidence flags are computed from the stored links), takes the PUT's
path and then the submission's, as two requests would.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.inspections.access import inspection_not_found, is_participant, load_for_update
from app.inspections.capture import PutResult, created_audit_after, insert_new, new_draft, put_locked
from app.inspections.models import Inspection
from app.inspections.settings import Settings
from app.inspections.submission import apply_submission, record_submit_audit, submit_locked
from app.inspections.versions import ShowCurrent
from app.notified_cache import NotifiedCache
from app.penalties.computation import record_penalty_audit, store_submission_penalties
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
    reference_cache: NotifiedCache | None = None,
    checklists: NotifiedCache | None = None,
) -> PutResult:
    """PUT ``payload`` (create, or update with ``if_match``), then submit at the version the PUT left.

    A retry of a request that succeeded (same body) finds the body already applied and the inspection already
    submitted from that version: both steps are no-ops and the answer is the same inspection (``created`` False).
    """
    inspection = load_for_update(session, inspection_id)
    if inspection is None and not _links_photos(payload):
        created = _create_submitted(
            session, principal, inspection_id, payload, settings, evidence, reference_cache, checklists
        )
        if created is not None:
            return PutResult(created, True, created_without_photos=True)
        inspection = load_for_update(session, inspection_id)  # a concurrent request created it first
    put = put_locked(
        session, principal, inspection_id, inspection, payload, if_match, settings, show_current, evidence, checklists
    )
    # The version the PUT left; on a replay the inspection is already submitted at it, which submit answers
    # as its own retry (no change).
    version = f'"{put.inspection.version}"'
    if not is_participant(principal, put.inspection):
        raise inspection_not_found()  # as submit answers anyone who is not one of its officers
    # put_locked returned the row locked FOR UPDATE with its collections: no second lock and load.
    submitted = submit_locked(session, principal, put.inspection, version, settings, show_current, reference_cache)
    return PutResult(submitted, put.created)


def _links_photos(payload: dict[str, Any]) -> bool:
    return any(answer.get("photos") for answer in payload.get("answers", {}).values())


def _create_submitted(
    session: Session,
    principal: Principal,
    inspection_id: uuid.UUID,
    payload: dict[str, Any],
    settings: Settings,
    evidence: EvidenceLinks,
    reference_cache: NotifiedCache | None,
    checklists: NotifiedCache | None,
) -> Inspection | None:
    """Create the inspection already submitted: the PUT's draft and the submission applied in memory (every
    check of both, in the same order: 422 and 404 before anything is written), then written once. None when a
    concurrent request created the id meanwhile (nothing written: the caller takes the existing row's path)."""
    inspection = new_draft(session, principal, inspection_id, payload, settings, evidence, checklists)
    created = created_audit_after(inspection)
    if not is_participant(principal, inspection):
        raise inspection_not_found()
    before, _findings = apply_submission(session, principal, inspection, inspection.version, settings, reference_cache)
    if not insert_new(session, inspection):
        return None
    penalties = store_submission_penalties(session, inspection, principal, created_now=True, cache=reference_cache)
    # The three audit rows of the two steps, in their order, written in one INSERT at the commit.
    record_audit(session, "inspection.create", "inspection", inspection.id, after=created)
    record_penalty_audit(session, inspection, penalties)
    record_submit_audit(session, inspection, before)
    return inspection
