"""Amendments: a supervisor corrects one item of a submitted inspection under review, with a written reason.

The inspector's answer stays as submitted (``inspection_answers`` is frozen once submitted, migration 0010);
each amendment is an append-only row (``inspection_amendments``, migration 0012) holding the item's answer
before and after, the reviewer's evidence photos, the reason, who and when. The effective answers (the
inspector's with the amendments applied, ``app.inspections.amending``) are evaluated on the server exactly as
at submission, a new set of findings is written (the next findings revision; the earlier sets are kept), and
the penalties are recomputed through ``app.penalties.computation``: a supervisor's amount override is carried
when it still fits, otherwise nothing is written and the 409 ``overrides_no_longer_fit`` names it.

Concurrency and retries: the inspection's ETag in ``If-Match`` (the row is locked, the version bumped); the
client chooses the amendment id, so a retry whose response was lost finds its amendment and answers the
same diff instead of amending twice. The two-person rule of decisions applies (rules.check_two_person_rule).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.in_force import items_for
from app.audit.services import record_audit
from app.auth.principal import Principal
from app.errors import Conflict, ValidationFailed
from app.inspections import amending, rules
from app.inspections.access import can_see, inspection_not_found, load_for_update
from app.inspections.amending import AmendmentView, FindingState
from app.inspections.feed import bump_change
from app.inspections.models import Finding, Inspection, InspectionAmendment
from app.inspections.review_settings import effective_review_settings
from app.inspections.submission import AnswerIn, LinkedPhotos, check_against_checklist, linked_photos, record_findings
from app.inspections.versions import ShowCurrent, stale_version
from app.penalties.computation import recompute_inspection_penalties
from app.penalties.presenters import recompute_diff
from app.photos.access import get_visible_photo
from app.photos.evidence_links import EvidenceLinks
from app.photos.models import Photo
from app.vocabulary import SUPERVISING_ROLES


@dataclass(frozen=True)
class AmendmentRequest:
    """One amendment as the route validated it (``schemas.AmendmentPostSchema``)."""

    id: uuid.UUID
    item_key: str
    kind: str
    answer: Mapping[str, Any] | None
    photo_ids: tuple[uuid.UUID, ...]
    reason: str

    def fingerprint(self) -> str:
        return rules.canonical_hash(
            {
                "item_key": self.item_key,
                "kind": self.kind,
                "answer": dict(self.answer) if self.answer is not None else None,
                "photos": [str(p) for p in self.photo_ids],
                "reason": self.reason,
            }
        )


@dataclass(frozen=True)
class AmendmentOutcome:
    inspection: Inspection
    amendment: InspectionAmendment
    replayed: bool


def views(amendments: Sequence[InspectionAmendment]) -> list[AmendmentView]:
    """The stored amendments as ``amending`` reads them."""
    return [
        AmendmentView(
            a.item_key,
            a.kind,
            a.answer_after,
            tuple(str(p) for p in a.photo_ids),
            _waiver_of(a) if a.kind == amending.WAIVE else None,
        )
        for a in amendments
    ]


def _waiver_of(a: InspectionAmendment) -> dict[str, Any]:
    return {
        "amendment_id": str(a.id),
        "reason": a.reason,
        "by": a.by_id,
        "at": a.created_at.isoformat() if a.created_at else None,
    }


def applied_amendments(inspection: Inspection) -> list[InspectionAmendment]:
    """The amendments that shape the inspection's answers now: those of the current submission while it is
    under review or decided. Once returned they are folded into the answers (review.fold_amendments), and
    the inspector's edits are the answers again."""
    return [] if inspection.state in rules.EDITABLE_STATES else inspection.current_amendments


def effective_answers(inspection: Inspection) -> dict[str, dict[str, Any]]:
    """The inspector's answers with the reviewer's applied amendments (``applied_amendments``)."""
    return amending.effective_answers(
        {a.item_key: a.data for a in inspection.answers}, views(applied_amendments(inspection))
    )


def _finding_states(findings: Sequence[Finding]) -> dict[str, FindingState]:
    return {f.item_key: FindingState(f.verdict, f.value, f.waiver is not None) for f in findings}


def _amendment_id_reused() -> Conflict:
    return Conflict(
        "该修改编号已用于另一项修改，请为新的修改生成新的编号。",
        "This amendment id was used for a different amendment; generate a new id for a new amendment.",
        code="amendment_id_reused",
    )


def _check_photos(
    session: Session, principal: Principal, photo_ids: Sequence[uuid.UUID], evidence: EvidenceLinks
) -> None:
    """Evidence photos must have arrived and be the reviewer's to view (the photo endpoint's 404 otherwise)."""
    for photo_id in photo_ids:
        get_visible_photo(session, principal, photo_id, evidence)


def _with_amendment_photos(
    photos: LinkedPhotos, extra: Mapping[str, list[str]], arrived: set[uuid.UUID]
) -> LinkedPhotos:
    by_item = {k: list(v) for k, v in photos.by_item.items()}
    for item_key, pids in extra.items():
        linked = by_item.setdefault(item_key, [])
        linked += [uuid.UUID(p) for p in pids if uuid.UUID(p) not in linked]
    return LinkedPhotos(by_item, photos.uploaded | frozenset(arrived))


def amend_inspection(
    session: Session,
    principal: Principal,
    inspection_id: uuid.UUID,
    request: AmendmentRequest,
    if_match: str | None,
    show_current: ShowCurrent,
    evidence: EvidenceLinks,
) -> AmendmentOutcome:
    """Amend one item of a submitted inspection: new findings, penalties recomputed, a diff recorded."""
    inspection = load_for_update(session, inspection_id)
    if inspection is None or principal.role not in SUPERVISING_ROLES or not can_see(principal, inspection):
        raise inspection_not_found()
    fingerprint = request.fingerprint()
    existing = session.get(InspectionAmendment, request.id)
    if existing is not None:
        if existing.inspection_id != inspection.id or existing.request_hash != fingerprint:
            raise _amendment_id_reused()
        return AmendmentOutcome(inspection, existing, True)  # retry of an amendment whose response was lost
    rules.check_two_person_rule(
        principal.user_id,
        inspection.created_by_id,
        [o.user_id for o in inspection.officers],
        effective_review_settings(session, inspection.site.jurisdiction.path).two_person_rule,
    )
    sent_version = rules.require_if_match(if_match)
    if sent_version != inspection.version:
        raise stale_version(inspection, sent_version, show_current)
    rules.next_state("amend", inspection.state)

    stored_context = inspection.site_context or {}
    before_findings = _finding_states(inspection.current_findings)
    current = before_findings.get(request.item_key)
    errors = amending.request_errors(
        request.kind,
        request.item_key,
        request.answer,
        [str(p) for p in request.photo_ids],
        stored_context.get("applicable_items") or [],
        current,
    )
    if errors:
        raise ValidationFailed(
            "修改请求有误，详见 errors。", "The amendment is invalid; see errors.", errors=rules.sorted_errors(errors)
        )
    _check_photos(session, principal, request.photo_ids, evidence)

    earlier = views(inspection.current_amendments)
    answers_before = amending.effective_answers({a.item_key: a.data for a in inspection.answers}, earlier)
    answer_before = answers_before.get(request.item_key)
    answer_after = (
        None if request.kind == amending.WAIVE else amending.amended_answer(answer_before, request.answer or {})
    )
    now = datetime.now(UTC)
    new_view = AmendmentView(
        request.item_key,
        request.kind,
        answer_after,
        tuple(str(p) for p in request.photo_ids),
        {"amendment_id": str(request.id), "reason": request.reason, "by": principal.user_id, "at": now.isoformat()}
        if request.kind == amending.WAIVE
        else None,
    )
    all_views = [*earlier, new_view]
    answers = amending.effective_answers({a.item_key: a.data for a in inspection.answers}, all_views)
    phone = {a.item_key: a.phone_verdict for a in inspection.answers}
    extra = amending.amendment_photos(all_views)
    arrived = set(
        session.scalars(select(Photo.id).where(Photo.id.in_([uuid.UUID(p) for v in extra.values() for p in v])))
    )
    photos = _with_amendment_photos(linked_photos(session, inspection), extra, arrived)
    check = check_against_checklist(
        inspection,
        dict(stored_context.get("context") or {}),
        photos,
        {k: AnswerIn(v, phone.get(k)) for k, v in answers.items()},
        # The reduction-list measure items the submission was checked against (the level in force then).
        alert_items=items_for(
            session, inspection.site, inspection.alert_level_in_force or "none", inspection.local_date
        ).items,
    )
    evaluated = {item.key: item for item in check.evaluated}
    target = evaluated.get(request.item_key)
    verdict_after = (
        rules.finding_verdict(target.evaluation.verdict, target.evaluation.not_applicable) if target else None
    )
    errors = [e for e in check.errors if e.path.startswith(f"answers.{request.item_key}")]
    errors += amending.outcome_errors(request.kind, request.item_key, verdict_after)
    if errors:
        raise ValidationFailed(
            "修改后的答案未通过服务器校验，详见 errors。",
            "The amended answer does not pass the server's checks; see errors.",
            code="amendment_invalid",
            errors=rules.sorted_errors(errors),
        )

    before_state = {"version": inspection.version, "findings_revision": inspection.findings_revision}
    inspection.findings_revision += 1
    inspection.version += 1
    session.flush()
    record_findings(session, inspection, check, amending.waivers(all_views))
    session.flush()
    session.expire(inspection, ["findings"])
    after_findings = _finding_states(inspection.current_findings)
    penalties = recompute_inspection_penalties(
        session,
        inspection,
        f"审核修改 / amendment {request.id} ({request.kind} {request.item_key}): {request.reason}",
        by=principal,
    )
    diff = {
        "items": [{"item_key": request.item_key, "before": answer_before, "after": answers.get(request.item_key)}],
        "evidence_added": [str(p) for p in request.photo_ids],
        "findings": amending.findings_diff(before_findings, after_findings),
        "penalties": recompute_diff(penalties),
    }
    amendment = InspectionAmendment(
        id=request.id,
        inspection_id=inspection.id,
        submission_no=inspection.submission_count,
        seq=len(inspection.amendments) + 1,
        findings_revision=inspection.findings_revision,
        item_key=request.item_key,
        kind=request.kind,
        answer_before=answer_before,
        answer_after=answer_after,
        photo_ids=[str(p) for p in request.photo_ids],
        reason=request.reason,
        request_hash=fingerprint,
        diff=diff,
        by_id=principal.user_id,
        created_at=now,
    )
    session.add(amendment)
    session.flush()
    session.expire(inspection, ["amendments"])
    record_audit(
        session,
        "inspection.amend",
        "inspection",
        inspection.id,
        before=before_state,
        after={
            "version": inspection.version,
            "findings_revision": inspection.findings_revision,
            "amendment_id": str(amendment.id),
            "kind": request.kind,
            "item_key": request.item_key,
            "reason": request.reason,
            "answer_before": answer_before,
            "answer_after": answer_after,
            "photos": amendment.photo_ids,
            "findings": diff["findings"],
        },
    )
    bump_change(session, inspection)
    return AmendmentOutcome(inspection, amendment, False)
