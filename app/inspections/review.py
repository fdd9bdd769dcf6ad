"""Review: a supervisor returns a submitted inspection with comments, or decides on it (approve/reject).

Every review action needs the inspection's current version in ``If-Match``, so two supervisors acting at
once cannot both win: the row is locked (``load_for_update``), the first bumps the version, the second
gets 412 with the state the first left. Decisions respect the two-person rule (rules.check_two_person_rule)
unless the jurisdiction's admin waived it (review_settings).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.cases.opening import open_or_join_case
from app.errors import ValidationFailed
from app.inspections import amending, rules
from app.inspections.access import can_see, inspection_not_found, load_for_update
from app.inspections.amending import amendment_photos
from app.inspections.amendments import views
from app.inspections.feed import bump_change
from app.inspections.models import Inspection, InspectionAnswer, InspectionPhotoLink
from app.inspections.review_settings import effective_review_settings
from app.inspections.versions import ShowCurrent, stale_version
from app.vocabulary import SUPERVISING_ROLES

#: {"item_key": ..., "comment": ...} as validated by schemas.ItemCommentSchema.
ItemComments = Sequence[dict[str, str]]


def _load_for_review(session: Session, principal: Principal, inspection_id: uuid.UUID) -> Inspection:
    inspection = load_for_update(session, inspection_id)
    if inspection is None or principal.role not in SUPERVISING_ROLES or not can_see(principal, inspection):
        raise inspection_not_found()
    return inspection


def _check_item_comments(inspection: Inspection, item_comments: ItemComments) -> list[dict[str, str]]:
    """The comments as stored, after checking each names an item of this inspection (422 otherwise)."""
    known = {a.item_key for a in inspection.answers} | {f.item_key for f in inspection.current_findings}
    errors = rules.item_comment_errors(item_comments, known)
    if errors:
        raise ValidationFailed(
            "逐项意见所指的检查项不在本检查记录中。",
            "An item comment names an item this inspection does not have.",
            errors=rules.sorted_errors(errors),
        )
    return [{"item_key": c["item_key"], "comment": c["comment"]} for c in item_comments]


def return_inspection(
    session: Session,
    principal: Principal,
    inspection_id: uuid.UUID,
    comment: str,
    if_match: str | None,
    show_current: ShowCurrent,
    item_comments: ItemComments = (),
) -> Inspection:
    """A supervisor sends a submitted inspection back to the inspector with comments (submitted → returned)."""
    inspection = _load_for_review(session, principal, inspection_id)
    sent_version = rules.require_if_match(if_match)
    comments = [dict(c) for c in item_comments]
    if (
        inspection.state == rules.RETURNED
        and sent_version == inspection.version - 1
        and inspection.review_comment == comment
        and inspection.reviewed_by_id == principal.user_id
        and (inspection.review_item_comments or []) == comments
    ):
        return inspection  # retry of the return whose response was lost
    if sent_version != inspection.version:
        raise stale_version(inspection, sent_version, show_current)
    target = rules.next_state("return", inspection.state)
    stored = _check_item_comments(inspection, item_comments)
    before = {"state": inspection.state, "version": inspection.version}
    inspection.state = target
    inspection.review_comment = comment
    inspection.review_item_comments = stored or None
    inspection.reviewed_at = datetime.now(UTC)
    inspection.reviewed_by_id = principal.user_id
    inspection.version += 1
    session.flush()  # returned: the answers and links are the inspector's to edit again (0010)
    folded = fold_amendments(inspection)
    record_audit(
        session,
        "inspection.return",
        "inspection",
        inspection.id,
        before=before,
        after={
            "state": inspection.state,
            "version": inspection.version,
            "comment": comment,
            "item_comments": stored,
            "amendments_folded": folded,
        },
    )
    bump_change(session, inspection)
    return inspection


def fold_amendments(inspection: Inspection) -> list[str]:
    """On a return, the reviewer's amendments of the submission become the answers the inspector continues
    from (and their evidence photos links of the item), so a resubmission without edits keeps them; the
    amendment records keep the inspector's original answers. Returns the amendment ids folded."""
    amendments = inspection.current_amendments
    if not amendments:
        return []
    rows = {a.item_key: a for a in inspection.answers}
    effective = amending.effective_answers({k: a.data for k, a in rows.items()}, views(amendments))
    for item_key in sorted({a.item_key for a in amendments}):
        data = effective.get(item_key)
        if data is None:
            continue
        row = rows.get(item_key)
        if row is None:
            inspection.answers.append(InspectionAnswer(item_key=item_key, data=data, phone_verdict=None))
        elif row.data != data:
            row.data = data
    linked = {(lk.item_key, str(lk.photo_id)) for lk in inspection.photo_links}
    for item_key, photo_ids in amendment_photos(views(amendments)).items():
        position = sum(1 for lk in inspection.photo_links if lk.item_key == item_key)
        for photo_id in photo_ids:
            if (item_key, photo_id) not in linked:
                inspection.photo_links.append(
                    InspectionPhotoLink(item_key=item_key, photo_id=uuid.UUID(photo_id), position=position)
                )
                position += 1
    return [str(a.id) for a in amendments]


def _decide(
    session: Session,
    principal: Principal,
    inspection_id: uuid.UUID,
    action: str,
    reason: str | None,
    item_comments: ItemComments,
    if_match: str | None,
    show_current: ShowCurrent,
) -> Inspection:
    inspection = _load_for_review(session, principal, inspection_id)
    sent_version = rules.require_if_match(if_match)
    comments = [dict(c) for c in item_comments]
    if (
        inspection.decision == action
        and sent_version == inspection.version - 1
        and inspection.decided_by_id == principal.user_id
        and inspection.decision_reason == reason
        and (inspection.decision_item_comments or []) == comments
    ):
        return inspection  # retry of the decision whose response was lost
    # Before the version check: whoever took part can never decide, however fresh their copy.
    rules.check_two_person_rule(
        principal.user_id,
        inspection.created_by_id,
        [o.user_id for o in inspection.officers],
        effective_review_settings(session, inspection.site.jurisdiction.path).two_person_rule,
    )
    if sent_version != inspection.version:
        raise stale_version(inspection, sent_version, show_current)
    target = rules.next_state(action, inspection.state)
    stored = _check_item_comments(inspection, item_comments)
    before: dict[str, Any] = {"state": inspection.state, "version": inspection.version}
    inspection.state = target
    inspection.decision = action
    inspection.decided_at = datetime.now(UTC)
    inspection.decided_by_id = principal.user_id
    inspection.decision_reason = reason
    inspection.decision_item_comments = stored or None
    inspection.version += 1
    record_audit(
        session,
        f"inspection.{action}",
        "inspection",
        inspection.id,
        before=before,
        after={"state": inspection.state, "version": inspection.version, "reason": reason, "item_comments": stored},
    )
    bump_change(session, inspection)
    return inspection


def approve_inspection(
    session: Session,
    principal: Principal,
    inspection_id: uuid.UUID,
    reason: str | None,
    if_match: str | None,
    show_current: ShowCurrent,
) -> Inspection:
    """A supervisor approves a submitted inspection (submitted → approved, final); failed findings open a case
    or join the party's open case at the site, in the same transaction (cases.opening)."""
    inspection = _decide(session, principal, inspection_id, "approve", reason, (), if_match, show_current)
    # After bump_change: the feed lock is held to COMMIT either way; a lost-response retry finds the case made.
    open_or_join_case(session, principal, inspection)
    return inspection


def reject_inspection(
    session: Session,
    principal: Principal,
    inspection_id: uuid.UUID,
    reason: str,
    item_comments: ItemComments,
    if_match: str | None,
    show_current: ShowCurrent,
) -> Inspection:
    """A supervisor rejects a submitted inspection with a reason (submitted → rejected, final)."""
    return _decide(session, principal, inspection_id, "reject", reason, item_comments, if_match, show_current)
