"""The inspection as the API shows it to one viewer: plain values that ``schemas.InspectionSchema`` and
``schemas.FeedSchema`` dump. Called from routes only; services return models.

What depends on the viewer is explicit: evidence flags are shown to supervisors and admins only, and only
for photos they may view (``viewer=None``, internal use, shows them unredacted), and ``reused_photo`` names
only inspections the viewer may see (``evidence.visible_flags``).
"""

from __future__ import annotations

import uuid
from typing import Any

from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.inspections.amending import amendment_photos
from app.inspections.amendments import AmendmentOutcome, applied_amendments, effective_answers, views
from app.inspections.evidence import participant_may_view_photo, uploaded_photos, visible_flags
from app.inspections.models import Inspection, InspectionAmendment
from app.inspections.review_settings import JurisdictionReviewSettings
from app.inspections.schemas import InspectionSchema
from app.inspections.versions import ShowCurrent
from app.photos.access import can_view_photo
from app.photos.models import Photo
from app.vocabulary import SUPERVISING_ROLES


def _answers(inspection: Inspection) -> dict[str, Any]:
    """The effective answers: as sent, with a reviewer's amendments of the current submission applied;
    ``photos`` lists every photo linked to the item (the merge rule never drops one), then the reviewer's
    evidence."""
    photos_by_item: dict[str, list[str]] = {}
    for link in inspection.photo_links:
        photos_by_item.setdefault(link.item_key, []).append(str(link.photo_id))
    for item_key, pids in amendment_photos(views(applied_amendments(inspection))).items():
        photos = photos_by_item.setdefault(item_key, [])
        photos += [p for p in pids if p not in photos]
    return {key: {**data, "photos": photos_by_item.get(key, [])} for key, data in effective_answers(inspection).items()}


def _original_answer(inspection: Inspection, amendment: InspectionAmendment) -> dict[str, Any] | None:
    """The inspector's answer to the amendment's item as submitted: what the first amendment of the item in
    that submission started from (the answer rows may since carry the amendments, folded in at a return)."""
    first = next(
        a
        for a in inspection.amendments
        if a.submission_no == amendment.submission_no and a.item_key == amendment.item_key
    )
    return dict(first.answer_before) if first.answer_before is not None else None


def _original_answers(inspection: Inspection) -> dict[str, Any]:
    """The inspector's answers, as submitted, of the items a reviewer amended (shown beside the amendment)."""
    out: dict[str, Any] = {}
    for amendment in applied_amendments(inspection):
        out.setdefault(amendment.item_key, _original_answer(inspection, amendment))
    return out


def present_amendment(inspection: Inspection, amendment: InspectionAmendment) -> dict[str, Any]:
    """One amendment with the inspector's original answer of its item beside it."""
    original = _original_answer(inspection, amendment)
    return {
        "id": amendment.id,
        "seq": amendment.seq,
        "submission_no": amendment.submission_no,
        "findings_revision": amendment.findings_revision,
        "item_key": amendment.item_key,
        "kind": amendment.kind,
        "original_answer": original,
        "answer_before": amendment.answer_before,
        "answer_after": amendment.answer_after,
        "photos": list(amendment.photo_ids),
        "reason": amendment.reason,
        "by": amendment.by_id,
        "at": amendment.created_at,
    }


def _location(inspection: Inspection) -> dict[str, Any] | None:
    if inspection.location is None:
        return None
    point = to_shape(inspection.location)
    assert isinstance(point, Point)  # a Geometry("POINT") column; to_shape is typed BaseGeometry
    return {
        "lon": point.x,
        "lat": point.y,
        "accuracy_m": inspection.location_accuracy_m,
        "crs": "wgs84",
        "crs_sent": inspection.location_crs,
    }


def _review(inspection: Inspection) -> dict[str, Any] | None:
    """The last return (kept after resubmission, so the inspector can still read what was asked)."""
    if inspection.review_comment is None and inspection.reviewed_at is None:
        return None
    return {
        "comment": inspection.review_comment,
        "at": inspection.reviewed_at,
        "by": inspection.reviewed_by_id,
        "item_comments": list(inspection.review_item_comments or []),
    }


def _decision(inspection: Inspection) -> dict[str, Any] | None:
    """The supervisor's final decision, as the phone's sync feed shows it."""
    if inspection.decision is None:
        return None
    return {
        "action": inspection.decision,
        "by": inspection.decided_by_id,
        "at": inspection.decided_at,
        "reason": inspection.decision_reason,
        "item_comments": list(inspection.decision_item_comments or []),
    }


def may_see_flags(session: Session, viewer: Principal | None, photo: Photo | None) -> bool:
    """Flags describe the photo (GPS, capture time, editing history): shown to supervisors and admins who may
    view the photo itself (the photos feature's rule plus the evidence grant). A link made before the photo
    arrived may end up naming a photo someone outside the viewer's scope uploaded."""
    if viewer is None:
        return True
    if viewer.role not in SUPERVISING_ROLES or photo is None:
        return False
    return can_view_photo(viewer, photo) or participant_may_view_photo(session, viewer, photo)


def _photo_links(
    session: Session, inspection: Inspection, viewer: Principal | None, photos: dict[uuid.UUID, Photo]
) -> list[dict[str, Any]]:
    """The links with upload state and, for supervisors and admins who may view the photo, the evidence
    flags."""
    return [
        {
            "photo_id": link.photo_id,
            "item_key": link.item_key,
            "position": link.position,
            "linked_at": link.linked_at,
            "uploaded": link.photo_id in photos,
            "derivatives_state": photos[link.photo_id].derivatives_state if link.photo_id in photos else None,
            "flags": (
                visible_flags(session, link.flags, viewer)
                if may_see_flags(session, viewer, photos.get(link.photo_id))
                else None
            ),
        }
        for link in inspection.photo_links
    ]


def _findings(inspection: Inspection) -> list[dict[str, Any]]:
    return [
        {
            "id": f.id,
            "item_key": f.item_key,
            "checklist_key": f.checklist_key,
            "checklist_version": f.checklist_version,
            "checklist_hash": f.checklist_hash,
            "verdict": f.verdict,
            "phone_verdict": f.phone_verdict,
            "explanation": f.explanation,
            "value": f.value,
            "severity": f.severity,
            "source_refs": f.source_refs,
            "penalty_keys": f.penalty_keys,
            "photo_ids": f.photo_ids,
            "waiver": f.waiver,
            "object": f.object_ref,
        }
        for f in inspection.current_findings
    ]


def present_inspection(
    session: Session, inspection: Inspection, viewer: Principal | None, photos: dict[uuid.UUID, Photo] | None = None
) -> dict[str, Any]:
    """The inspection as ``viewer`` sees it. ``photos`` (the arrived photos by id, possibly of more
    inspections) saves the look-up when the caller has made it for a whole page."""
    if photos is None:
        photos = uploaded_photos(session, [link.photo_id for link in inspection.photo_links])
    site = inspection.site
    return {
        "id": inspection.id,
        "state": inspection.state,
        "version": inspection.version,
        "etag": inspection.etag,
        "site": {"id": site.id, "name": site.name, "kind": site.kind, "jurisdiction": site.jurisdiction.code},
        "checklist": {
            "key": inspection.checklist_key,
            "version": inspection.checklist_version,
            "hash": inspection.checklist_hash,
        },
        "officers": [
            {"user_id": o.user_id, "badge_number": o.badge_number, "name": o.name} for o in inspection.officers
        ],
        "started_at": inspection.started_at,
        "ended_at": inspection.ended_at,
        "location": _location(inspection),
        "alert_level": inspection.alert_level,
        "note": inspection.note,
        "answers": _answers(inspection),
        "original_answers": _original_answers(inspection),
        "amendments": [present_amendment(inspection, a) for a in inspection.amendments],
        "photos": _photo_links(session, inspection, viewer, photos),
        "findings": _findings(inspection),
        "review": _review(inspection),
        "decision": _decision(inspection),
        "reinspection_of": inspection.reinspection_of_id,
        "submitted_at": inspection.submitted_at,
        "submission_count": inspection.submission_count,
        "created_by": inspection.created_by_id,
        "created_at": inspection.created_at,
        "updated_at": inspection.updated_at,
    }


def current_state_for(session: Session, viewer: Principal) -> ShowCurrent:
    """The current state as a 412 body shows it to ``viewer`` (the same dump as a 200 response)."""

    def show(inspection: Inspection) -> dict[str, Any]:
        dumped: dict[str, Any] = InspectionSchema().dump(present_inspection(session, inspection, viewer))
        return dumped

    return show


def present_amendment_result(session: Session, outcome: AmendmentOutcome, viewer: Principal) -> dict[str, Any]:
    """The amendment, the diff it made (as recorded, so a retry shows the same) and the inspection now."""
    return {
        "amendment": present_amendment(outcome.inspection, outcome.amendment),
        "diff": outcome.amendment.diff,
        "inspection": present_inspection(session, outcome.inspection, viewer),
    }


def present_review_settings(settings: JurisdictionReviewSettings) -> dict[str, Any]:
    """A jurisdiction's review settings as ``schemas.ReviewSettingsSchema`` dumps them."""
    row = settings.row
    return {
        "jurisdiction": settings.jurisdiction.code,
        "own": None
        if row is None
        else {
            "two_person_rule": row.two_person_rule,
            "reason": row.reason,
            "updated_by": row.updated_by_id,
            "updated_at": row.updated_at,
        },
        "effective": {"two_person_rule": settings.effective.two_person_rule, "source": settings.effective.source},
    }
