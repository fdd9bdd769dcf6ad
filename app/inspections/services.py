"""Inspections: idempotent capture, optimistic concurrency, sync feed, submission, evidence flags (issue 5).

Entry points (routes, CLI, tests) call one function here and then commit. Nothing here commits.

Change order for the sync feed (issue 5 §2.4) — why an advisory lock:
    ``change_seq`` comes from a PostgreSQL sequence. Sequence values are handed out when ``nextval`` runs,
    but become visible when their transaction commits, so commits can land out of order: T1 takes 41,
    T2 takes 42 and commits first; a phone reading then gets 42, stores cursor 42, and never sees 41.
    We take the value *last* in every changing transaction, under a transaction-scoped advisory lock
    (``bump_change``). The lock is held until commit, so the transaction holding seq N has committed (and
    is visible: PostgreSQL releases locks after the commit is visible) before anyone can take N+1. Readers
    therefore never see a seq while a smaller one is still in flight, and need no special handling.
    The cost is that inspection writes serialise for the few milliseconds between ``bump_change`` and
    COMMIT; services call it as their final step so that window stays short. (The alternative — a reader
    that only hands out seqs below the oldest in-flight writer's — needs a registry of in-flight
    transactions; the lock is simpler and easy to test.)
"""
from __future__ import annotations

import base64
import binascii
import importlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from flask import current_app
from geoalchemy2 import Geography
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy import cast, exists, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.models import User
from app.auth.principal import Principal
from app.checklists.applicability import resolve_checklist
from app.checklists.evaluation import evaluate_answer
from app.checklists.models import ChecklistVersion
from app.checklists.spec import ChecklistSpec, ItemSpec
from app.errors import FieldError, NotFound, PreconditionFailed, ValidationFailed
from app.geo.crs import to_wgs84
from app.inspections import rules
from app.inspections.models import (CHANGE_SEQ, Finding, Inspection, InspectionAnswer, InspectionOfficer,
                                    InspectionPhotoLink)
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.photos.evidence import DEFAULT_MAX_DISTANCE_M, evidence_flags
from app.photos.models import Photo
from app.photos.services import WatermarkContext, set_photo_scope
from app.sites.models import Site
from app.vocabulary import SUPERVISING_ROLES

# Arbitrary constant naming the feed's advisory lock ("LTIN" in ASCII).
FEED_LOCK_KEY = 0x4C54494E
PENALTY_HOOK = ("app.penalties.services", "compute_penalties_for_inspection")


@dataclass(frozen=True)
class Settings:
    min_officers: int = 2
    photo_max_distance_m: float = DEFAULT_MAX_DISTANCE_M
    photo_max_distance_by_kind: dict[str, int] | None = None
    photo_time_tolerance: timedelta = timedelta(seconds=1800)
    feed_max_limit: int = 500

    @classmethod
    def from_app(cls) -> Settings:
        cfg = current_app.config
        return cls(min_officers=int(cfg.get("MIN_OFFICERS", 2)),
                   photo_max_distance_m=float(cfg.get("PHOTO_MAX_DISTANCE_M", DEFAULT_MAX_DISTANCE_M)),
                   photo_max_distance_by_kind=dict(cfg.get("PHOTO_MAX_DISTANCE_BY_KIND") or {}),
                   photo_time_tolerance=timedelta(seconds=int(cfg.get("PHOTO_TIME_TOLERANCE_S", 1800))),
                   feed_max_limit=int(cfg.get("INSPECTION_FEED_MAX_LIMIT", 500)))

    def max_distance_for(self, site_kind: str) -> float:
        # issue 5 §7: N per site kind, default 300 m. No source gives per-kind values: configuration only.
        return float((self.photo_max_distance_by_kind or {}).get(site_kind, self.photo_max_distance_m))


@dataclass(frozen=True)
class PutResult:
    inspection: Inspection
    created: bool


# ============================================================================ scope

def can_see(principal: Principal, inspection: Inspection) -> bool:
    """Inspectors: inspections they created or took part in as an officer. Supervisors/admins: inspections
    at sites in their jurisdictions."""
    if principal.role in SUPERVISING_ROLES:
        return principal.covers(inspection.site.jurisdiction.path)
    return is_participant(principal, inspection)


def _took_part(inspection: Inspection, user_id: int) -> bool:
    """The user created the inspection or is one of its officers."""
    return inspection.created_by_id == user_id or any(o.user_id == user_id for o in inspection.officers)


def is_participant(principal: Principal, inspection: Inspection) -> bool:
    return _took_part(inspection, principal.user_id)


def _not_found() -> NotFound:
    return NotFound("检查记录不存在或不在您的权限范围内。", "Inspection not found in your scope.",
                    code="inspection_not_found")


def _load_for_update(session: Session, inspection_id: uuid.UUID) -> Inspection | None:
    return session.scalars(select(Inspection).where(Inspection.id == inspection_id)
                           .with_for_update(of=Inspection).execution_options(populate_existing=True)).first()


def get_inspection(session: Session, principal: Principal, inspection_id: uuid.UUID) -> Inspection:
    """The inspection if the caller may see it; otherwise NotFound (404, never 403)."""
    inspection = session.get(Inspection, inspection_id)
    if inspection is None or not can_see(principal, inspection):
        raise _not_found()
    return inspection


# ============================================================================ change sequence

def bump_change(session: Session, inspection: Inspection) -> None:
    """Give the inspection the next feed position. MUST be the last write before COMMIT (module docstring)."""
    session.flush()
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK_KEY})
    inspection.change_seq = session.execute(select(CHANGE_SEQ.next_value())).scalar_one()
    session.flush()


# ============================================================================ representation

def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


def _uploaded_photos(session: Session, photo_ids: list[uuid.UUID]) -> dict[uuid.UUID, Photo]:
    """The photos among ``photo_ids`` that have arrived, by id (one query)."""
    return {p.id: p for p in session.scalars(select(Photo).where(Photo.id.in_(photo_ids)))} if photo_ids else {}


def inspection_representation(session: Session, inspection: Inspection, principal: Principal | None,
                              photos: dict[uuid.UUID, Photo] | None = None) -> dict[str, Any]:
    """The inspection as the API shows it (plain values; dumped by schemas.InspectionSchema).

    ``answers[key].photos`` lists every photo linked to the item (the merge rule never drops one);
    ``photos`` lists the links with upload state and, for supervisors and admins, the evidence flags.
    ``photos`` (the arrived photos by id, possibly of more inspections) saves the look-up when the caller
    has made it for a whole page.
    """
    show_flags = principal is None or principal.role in SUPERVISING_ROLES
    links_by_item: dict[str, list[str]] = {}
    for link in inspection.photo_links:
        links_by_item.setdefault(link.item_key, []).append(str(link.photo_id))
    if photos is None:
        photos = _uploaded_photos(session, [link.photo_id for link in inspection.photo_links])
    answers = {}
    for answer in inspection.answers:
        answers[answer.item_key] = {**answer.data, "photos": links_by_item.get(answer.item_key, [])}
    location = None
    if inspection.location is not None:
        point = to_shape(inspection.location)
        assert isinstance(point, Point)  # a Geometry("POINT") column; to_shape is typed BaseGeometry
        location = {"lon": point.x, "lat": point.y, "accuracy_m": inspection.location_accuracy_m,
                    "crs": "wgs84", "crs_sent": inspection.location_crs}
    review = None
    if inspection.review_comment is not None or inspection.reviewed_at is not None:
        review = {"comment": inspection.review_comment, "at": _iso(inspection.reviewed_at),
                  "by": inspection.reviewed_by_id}
    site = inspection.site
    return {
        "id": inspection.id,
        "state": inspection.state,
        "version": inspection.version,
        "etag": inspection.etag,
        "site": {"id": site.id, "name": site.name, "kind": site.kind, "jurisdiction": site.jurisdiction.code},
        "checklist": {"key": inspection.checklist_key, "version": inspection.checklist_version,
                      "hash": inspection.checklist_hash},
        "officers": [{"user_id": o.user_id, "badge_number": o.badge_number, "name": o.name}
                     for o in inspection.officers],
        "started_at": inspection.started_at,
        "ended_at": inspection.ended_at,
        "location": location,
        "alert_level": inspection.alert_level,
        "note": inspection.note,
        "answers": answers,
        "photos": [{
            "photo_id": link.photo_id, "item_key": link.item_key, "position": link.position,
            "linked_at": link.linked_at, "uploaded": link.photo_id in photos,
            "derivatives_state": photos[link.photo_id].derivatives_state if link.photo_id in photos else None,
            "flags": visible_flags(session, link.flags, principal) if show_flags else None,
        } for link in inspection.photo_links],
        "findings": [{
            "id": f.id, "item_key": f.item_key, "checklist_key": f.checklist_key,
            "checklist_version": f.checklist_version, "checklist_hash": f.checklist_hash, "verdict": f.verdict,
            "phone_verdict": f.phone_verdict, "explanation": f.explanation, "value": f.value,
            "severity": f.severity, "source_refs": f.source_refs, "penalty_keys": f.penalty_keys,
            "photo_ids": f.photo_ids,
        } for f in inspection.current_findings],
        "review": review,
        "reinspection_of": inspection.reinspection_of_id,
        "submitted_at": inspection.submitted_at,
        "submission_count": inspection.submission_count,
        "created_by": inspection.created_by_id,
        "created_at": inspection.created_at,
        "updated_at": inspection.updated_at,
    }


def _stale(session: Session, inspection: Inspection, principal: Principal, sent_version: int) -> PreconditionFailed:
    """412 whose body carries the current state, so the phone can merge (issue 5 §3)."""
    from app.inspections.schemas import InspectionSchema

    current = InspectionSchema().dump(inspection_representation(session, inspection, principal))
    return PreconditionFailed(
        f"检查记录已被修改（您的版本 {sent_version}，当前版本 {inspection.version}），请合并后重试。",
        f"The inspection changed (your version {sent_version}, current {inspection.version}); merge and retry.",
        code="version_stale",
        extra={"current": current, "current_version": inspection.version,
               "_headers": {"ETag": inspection.etag}})


# ============================================================================ PUT

@dataclass(frozen=True)
class _Refs:
    site: Site
    checklist: ChecklistVersion
    officers: list[User]
    reinspection_of: Inspection | None = None


#: States of an earlier inspection that a re-inspection may refer to (its findings are on record).
REINSPECTABLE_STATES = ("submitted", "approved")


def _reinspection_errors(session: Session, principal: Principal, payload: dict[str, Any], site: Site | None,
                         inspection_id: uuid.UUID | None) -> tuple[Inspection | None, list[FieldError]]:
    """The earlier inspection named by ``reinspection_of`` (issue 6 §5), or the reasons it cannot be used.

    In scope = the earlier inspection's site lies in the caller's jurisdictions (a re-inspection is often
    made by another team than the first visit); anything else reads as "not found" (no existence leak).
    """
    earlier_id = payload.get("reinspection_of")
    if earlier_id is None:
        return None, []
    path = "reinspection_of"
    if earlier_id == inspection_id:
        return None, [FieldError(path, "reinspection_of_self", "检查不能复查其自身",
                                 "an inspection cannot be a re-inspection of itself")]
    earlier = session.get(Inspection, earlier_id)
    if earlier is None or not principal.covers(earlier.site.jurisdiction.path):
        return None, [FieldError(path, "reinspection_not_found", "被复查的检查不存在或不在您的辖区内",
                                 "the inspection to re-inspect was not found in your jurisdictions")]
    errors = []
    if site is not None and earlier.site_id != site.id:
        errors.append(FieldError(path, "reinspection_other_site", "复查须针对同一场所",
                                 "a re-inspection must be of the same site"))
    if earlier.state not in REINSPECTABLE_STATES:
        errors.append(FieldError(path, "reinspection_not_submitted", "被复查的检查须已提交或已审核",
                                 "the inspection to re-inspect must be submitted or approved"))
    return earlier, errors


def _named_checklist_version(session: Session, payload: dict[str, Any],
                             site: Site | None) -> tuple[ChecklistVersion | None, list[FieldError]]:
    """The checklist version a PUT names, or why it does not fit the site or the answers sent."""
    errors: list[FieldError] = []
    key = payload["checklist_key"]
    stmt = select(ChecklistVersion).where(ChecklistVersion.key == key)
    if payload.get("checklist_hash"):
        stmt = stmt.where(ChecklistVersion.content_hash == payload["checklist_hash"])
    if payload.get("checklist_version"):
        stmt = stmt.where(ChecklistVersion.version == payload["checklist_version"])
    checklist = session.scalars(stmt).first()
    if checklist is None:
        errors.append(FieldError("checklist_version", "checklist_not_found",
                                 f"检查表 {key} 的该版本不存在", f"checklist {key} has no such version"))
    elif site is not None and site.kind not in (checklist.site_kinds or []):
        errors.append(FieldError("checklist_key", "checklist_not_for_site_kind",
                                 f"检查表 {key} 不适用于场所类别 {site.kind}",
                                 f"checklist {key} does not cover site kind {site.kind}"))
    if checklist is not None:
        item_keys = {i["key"] for i in checklist.content.get("items", [])}
        for answer_key in payload.get("answers", {}):
            if answer_key not in item_keys:
                errors.append(FieldError(f"answers.{answer_key}", "unknown_item",
                                         f"检查表中没有此检查项：{answer_key}",
                                         f"the checklist has no item {answer_key}"))
    return checklist, errors


def _resolve_officers(session: Session, refs: list[dict[str, Any]],
                      site: Site | None) -> tuple[list[User], list[FieldError]]:
    """The officers a PUT names (by user id or badge number), in order, or why each cannot be named."""
    officers: list[User] = []
    errors: list[FieldError] = []
    for i, ref in enumerate(refs):
        if ref["user_id"] is not None:
            user = session.get(User, ref["user_id"])
        else:
            user = session.scalars(select(User).where(User.badge_number == ref["badge_number"])).first()
        if user is None or not user.is_active:
            what = ref["user_id"] if ref["user_id"] is not None else ref["badge_number"]
            errors.append(FieldError(f"officers.{i}", "officer_not_found", f"执法人员不存在：{what}",
                                     f"no such enforcement officer: {what}"))
        elif user in officers:
            errors.append(FieldError(f"officers.{i}", "officer_duplicate", "执法人员重复", "officer listed twice"))
        elif site is not None and not any(site.jurisdiction.path.startswith(j.path) for j in user.jurisdictions):
            # Naming an officer grants them the inspection and its evidence: only officers with
            # jurisdiction over the site may be named.
            errors.append(FieldError(f"officers.{i}", "officer_out_of_jurisdiction",
                                     f"执法人员 {user.display_name or user.username} 对该场所无管辖权",
                                     f"officer {user.username} has no jurisdiction over this site"))
        else:
            officers.append(user)
    return officers, errors


def _resolve_refs(session: Session, principal: Principal, payload: dict[str, Any], settings: Settings,
                  inspection_id: uuid.UUID | None = None) -> _Refs:
    """Site, checklist version and officers named by a PUT; every problem listed at once (422)."""
    errors: list[FieldError] = []
    site = session.get(Site, payload["site_id"])
    if site is None or not principal.covers(site.jurisdiction.path):
        errors.append(FieldError("site_id", "site_not_found", "场所不存在或不在您的辖区内",
                                 "site not found in your jurisdictions"))
    checklist, checklist_errors = _named_checklist_version(session, payload, site)
    errors += checklist_errors
    officers, officer_errors = _resolve_officers(session, payload["officers"], site)
    errors += officer_errors
    if not errors:
        errors += rules.officer_errors(len(officers), settings.min_officers)
    if payload.get("ended_at") is not None:
        errors += [e for e in rules.window_errors(payload["started_at"], payload["ended_at"])
                   if e.code == "ends_before_start"]
    earlier, reinspection_errors = _reinspection_errors(session, principal, payload, site, inspection_id)
    errors += reinspection_errors
    if errors:
        raise ValidationFailed("检查记录有字段未通过校验，详见 errors。", "Some fields are invalid; see errors.",
                               errors=errors)
    assert site is not None and checklist is not None
    return _Refs(site, checklist, officers, earlier)


def _location(payload: dict[str, Any]) -> tuple[Any, float | None, str | None]:
    loc = payload.get("location")
    if not loc:
        return None, None, None
    lon, lat = to_wgs84(loc["lon"], loc["lat"], loc.get("crs") or "wgs84")
    return from_shape(Point(lon, lat), srid=4326), loc.get("accuracy_m"), loc.get("crs") or "wgs84"


def _apply_put(inspection: Inspection, payload: dict[str, Any], refs: _Refs) -> None:
    """Copy a PUT body onto the inspection."""
    inspection.site_id = refs.site.id
    inspection.site = refs.site
    inspection.checklist_version_id = refs.checklist.id
    inspection.checklist_key = refs.checklist.key
    inspection.checklist_version = refs.checklist.version
    inspection.checklist_hash = refs.checklist.content_hash
    inspection.started_at = payload["started_at"]
    inspection.ended_at = payload.get("ended_at")
    inspection.location, inspection.location_accuracy_m, inspection.location_crs = _location(payload)
    inspection.alert_level = payload.get("alert_level") or "none"
    inspection.note = payload.get("note")
    inspection.reinspection_of_id = refs.reinspection_of.id if refs.reinspection_of is not None else None

    # Officers: all of them are recorded, in the order sent (行政处罚法 Art. 42 needs >= MIN_OFFICERS).
    wanted = [(u.id, u.badge_number, u.display_name or u.username) for u in refs.officers]
    current = {o.user_id: o for o in inspection.officers}
    inspection.officers[:] = [current.get(uid) or InspectionOfficer(user_id=uid) for uid, _, _ in wanted]
    for pos, (officer, (_, badge, name)) in enumerate(zip(inspection.officers, wanted, strict=True)):
        officer.position, officer.badge_number, officer.name = pos, badge, name

    # Answers: the set is replaced as sent (the If-Match proves the phone saw the current one; the audit
    # entry keeps the previous set). Photo links are merged, never dropped (rules.merge_photo_links).
    answers = payload.get("answers", {})
    by_key = {a.item_key: a for a in inspection.answers}
    new_answers = []
    for key in sorted(answers):
        data = {k: v for k, v in answers[key].items() if k != "photos" and v is not None}
        row = by_key.get(key) or InspectionAnswer(item_key=key)
        row.data = data
        row.phone_verdict = data.get("verdict")
        new_answers.append(row)
    inspection.answers[:] = new_answers

    existing: dict[str, list[str]] = {}
    for lk in inspection.photo_links:
        existing.setdefault(lk.item_key, []).append(str(lk.photo_id))
    sent = {k: [str(p) for p in a.get("photos") or []] for k, a in answers.items()}
    merged = rules.merge_photo_links(existing, sent)
    links = {(lk.item_key, str(lk.photo_id)): lk for lk in inspection.photo_links}
    for key, pids in merged.items():
        for pos, pid in enumerate(pids):
            link = links.get((key, pid))
            if link is None:
                link = InspectionPhotoLink(item_key=key, photo_id=uuid.UUID(pid), position=pos)
                inspection.photo_links.append(link)
            link.position = pos


def _audit_after(inspection: Inspection) -> dict[str, Any]:
    return {"state": inspection.state, "version": inspection.version, "site_id": inspection.site_id,
            "checklist": [inspection.checklist_key, inspection.checklist_version],
            "officers": [o.user_id for o in inspection.officers],
            "answers": {a.item_key: a.data for a in inspection.answers},
            "photos": [[lk.item_key, str(lk.photo_id)] for lk in inspection.photo_links],
            "reinspection_of": str(inspection.reinspection_of_id) if inspection.reinspection_of_id else None}


def put_inspection(session: Session, principal: Principal, inspection_id: uuid.UUID, payload: dict[str, Any],
                   if_match: str | None, settings: Settings | None = None) -> PutResult:
    """Create or update a draft (or returned) inspection from the phone; idempotent (issue 5 §2-3).

    - unknown id: created (no If-Match needed); a concurrent create of the same id waits on the primary key
      (``INSERT … ON CONFLICT DO NOTHING``) and then takes the existing-row path under ``FOR UPDATE``;
    - the same body as the last successful PUT (hash match): 200 with the current state, whatever If-Match
      says — a retry whose response was lost must not become a 412 or a second change;
    - otherwise an update: If-Match required (428), must name the current version (412 + current state),
      the state must be draft or returned (409).
    """
    settings = settings or Settings.from_app()
    body_hash = rules.canonical_hash(payload)
    inspection = _load_for_update(session, inspection_id)
    if inspection is None:
        refs = _resolve_refs(session, principal, payload, settings, inspection_id)
        inserted = session.execute(
            pg_insert(Inspection).values(
                id=inspection_id, site_id=refs.site.id, checklist_version_id=refs.checklist.id,
                checklist_key=refs.checklist.key, checklist_version=refs.checklist.version,
                checklist_hash=refs.checklist.content_hash, state=rules.DRAFT, version=1,
                change_seq=CHANGE_SEQ.next_value(), created_by_id=principal.user_id,
                started_at=payload["started_at"], last_put_hash=body_hash, last_put_version=1,
            ).on_conflict_do_nothing(index_elements=["id"]).returning(Inspection.id)
        ).scalar()
        inspection = _load_for_update(session, inspection_id)
        assert inspection is not None
        if inserted is not None:
            _apply_put(inspection, payload, refs)
            session.flush()
            refresh_link_flags(session, inspection, settings=settings)
            record_audit(session, "inspection.create", "inspection", inspection.id, after=_audit_after(inspection))
            bump_change(session, inspection)
            return PutResult(inspection, True)

    if not is_participant(principal, inspection):
        raise _not_found()
    if body_hash == inspection.last_put_hash:
        return PutResult(inspection, False)  # replay of the last successful PUT: same result, no change
    sent_version = rules.require_if_match(if_match)
    if sent_version != inspection.version:
        raise _stale(session, inspection, principal, sent_version)
    rules.next_state("edit", inspection.state)
    refs = _resolve_refs(session, principal, payload, settings, inspection_id)
    before = _audit_after(inspection)
    _apply_put(inspection, payload, refs)
    inspection.version += 1
    inspection.last_put_hash = body_hash
    inspection.last_put_version = inspection.version
    session.flush()
    refresh_link_flags(session, inspection, settings=settings)
    record_audit(session, "inspection.update", "inspection", inspection.id, before=before,
                 after=_audit_after(inspection))
    bump_change(session, inspection)
    return PutResult(inspection, False)


# ============================================================================ evidence flags

def _window(inspection: Inspection) -> tuple[datetime, datetime] | None:
    if inspection.started_at is None:
        return None
    end = inspection.ended_at or max(inspection.started_at, datetime.now(timezone.utc))
    return inspection.started_at, end


def compute_link_flags(session: Session, inspection: Inspection, photo: Photo,
                       settings: Settings) -> list[dict[str, Any]]:
    """Evidence flags of one linked photo (issue 5 §7); never blocking."""
    distance = None
    if photo.location is not None:
        # PostGIS geography distance in metres between the photo's GPS point and the site geometry.
        distance = session.scalar(
            select(func.ST_Distance(cast(Photo.location, Geography), cast(Site.geom, Geography)))
            .select_from(Photo).join(Site, Site.id == inspection.site_id).where(Photo.id == photo.id))
    others = sorted({str(i) for i in session.scalars(
        select(InspectionPhotoLink.inspection_id)
        .join(Photo, Photo.id == InspectionPhotoLink.photo_id)
        .where(Photo.sha256 == photo.sha256, InspectionPhotoLink.inspection_id != inspection.id))})
    window = _window(inspection)
    assert window is not None
    flags = evidence_flags(
        photo, site_distance_m=float(distance) if distance is not None else None,
        max_distance_m=settings.max_distance_for(inspection.site.kind),
        window_start=window[0], window_end=window[1], tolerance=settings.photo_time_tolerance,
        reused_in_other_inspection=bool(others), other_inspections=others)
    return [f.to_dict() for f in flags]


def refresh_link_flags(session: Session, inspection: Inspection, *, settings: Settings | None = None,
                       only_missing: bool = False) -> None:
    """(Re)compute the flags of every link whose photo has arrived; links to photos not yet uploaded keep
    ``flags = None``. Also narrows each linked photo's visibility to the inspection's jurisdiction."""
    settings = settings or Settings.from_app()
    ids = [lk.photo_id for lk in inspection.photo_links if not (only_missing and lk.flags is not None)]
    if not ids:
        return
    photos = _uploaded_photos(session, ids)
    now = datetime.now(timezone.utc)
    for link in inspection.photo_links:
        photo = photos.get(link.photo_id)
        if photo is None:
            continue
        link.flags = compute_link_flags(session, inspection, photo, settings)
        link.flags_computed_at = now
    session.flush()
    for photo in photos.values():
        sync_photo_scope(session, photo)


# ============================================================================ photo visibility

def _evidence_inspections(session: Session, photo: Photo) -> list[Inspection]:
    """Inspections a photo is evidence in: linked, and the photo's uploader took part (creator or officer).

    A link made by someone who did not take the photo still gets flags, but widens nobody's access: knowing
    a photo id must not be a way to see it.
    """
    inspections = session.scalars(
        select(Inspection).join(InspectionPhotoLink, InspectionPhotoLink.inspection_id == Inspection.id)
        .where(InspectionPhotoLink.photo_id == photo.id).distinct()).all()
    return [i for i in inspections if _took_part(i, photo.uploader_id)]


def sync_photo_scope(session: Session, photo: Photo) -> None:
    """Once a photo is evidence in inspections, its scope is their sites' jurisdictions (narrowed from the
    uploader's jurisdictions, or extended to them), so supervisors there can view it; the inspections'
    officers view it through ``participant_may_view_photo``. Audited by ``set_photo_scope`` when it changes."""
    paths = sorted({i.site.jurisdiction.path for i in _evidence_inspections(session, photo)})
    if paths and paths != sorted(photo.scope_paths or []):
        set_photo_scope(session, photo, paths)


def watermark_context_for_photo(session: Session, photo: Photo) -> WatermarkContext | None:
    """Site, address, officers and inspection for the notice copy of a photo (issue 5 §6), from the
    earliest inspection the photo is evidence in; None when it is in none."""
    inspections = sorted(_evidence_inspections(session, photo), key=lambda i: i.created_at)
    if not inspections:
        return None
    inspection = inspections[0]
    site = inspection.site
    officers = tuple(o.name or str(o.user_id) for o in inspection.officers)
    return WatermarkContext(site_name=site.name, site_address=site.address, officers=officers,
                            inspection_ref=str(inspection.id))


def participant_may_view_photo(session: Session, principal: Principal, photo: Photo) -> bool:
    """View grant registered with the photos feature: the creator and officers of an inspection the photo is
    evidence in may view it (supervisors are covered by the photo's scope)."""
    return any(is_participant(principal, i) for i in _evidence_inspections(session, photo))


def visible_flags(session: Session, flags: list[dict[str, Any]] | None,
                  principal: Principal | None) -> list[dict[str, Any]] | None:
    """Flags as ``principal`` may read them: ``reused_photo`` names only the other inspections the viewer may
    see and counts the rest (``other_inspections_hidden``). ``principal=None`` (internal use): unchanged."""
    if flags is None or principal is None:
        return flags
    out = []
    for flag in flags:
        others = (flag.get("details") or {}).get("other_inspections")
        if flag.get("code") == "reused_photo" and others is not None:
            shown = []
            for raw in others:
                try:
                    other = session.get(Inspection, uuid.UUID(str(raw)))
                except ValueError:
                    other = None
                if other is not None and can_see(principal, other):
                    shown.append(str(raw))
            flag = {**flag, "details": {**flag["details"], "other_inspections": shown,
                                        "other_inspections_hidden": len(others) - len(shown)}}
        out.append(flag)
    return out


def flags_for_photo(session: Session, photo: Photo, principal: Principal | None) -> list[dict[str, Any]]:
    """Flag provider for GET /api/v1/photos/{id} (registered with the photos feature): the stored flags of
    every link of the photo, each tagged with its inspection and item — only links of inspections the viewer
    may see, and ``reused_photo`` redacted for the viewer (``visible_flags``). ``principal=None`` (internal
    use): nothing is hidden."""
    out = []
    for link in session.scalars(select(InspectionPhotoLink).where(InspectionPhotoLink.photo_id == photo.id)
                                .order_by(InspectionPhotoLink.id)):
        if principal is not None and not can_see(principal, link.inspection):
            continue
        for flag in visible_flags(session, link.flags, principal) or []:
            out.append({**flag, "inspection_id": str(link.inspection_id), "item_key": link.item_key})
    return out


def refresh_flags_for_photo(session: Session, photo_id: uuid.UUID) -> int:
    """Compute flags on every link of a photo that just arrived and set its scope (registered as the photos
    feature's arrival hook: runs in the upload's transaction, right after the row is inserted, so row and
    flags commit together). Returns the number of links updated. Flags are not a feed change.

    Race: a link committed by a concurrent PUT after this ran, whose own flag computation ran before the
    photo row committed, stays without flags until the next edit or the submission (which recomputes every
    link's flags and refuses links whose photo has not arrived)."""
    settings = Settings.from_app()
    photo = session.get(Photo, photo_id)
    if photo is None:
        return 0
    links = list(session.scalars(select(InspectionPhotoLink).where(InspectionPhotoLink.photo_id == photo_id)))
    for link in links:
        link.flags = compute_link_flags(session, link.inspection, photo, settings)
        link.flags_computed_at = datetime.now(timezone.utc)
    session.flush()
    if links:
        sync_photo_scope(session, photo)
    return len(links)


# ============================================================================ submission

def inspection_context(session: Session, inspection: Inspection) -> dict[str, Any]:
    """Checklist context at inspection time: the site (zones in force on the inspection date), the date,
    the alert level the phone reported and the jurisdiction's parameter values."""
    from app.checklists.parameters import checklist_parameters_for
    from app.sites.services import site_context

    on = inspection.local_date
    ctx = dict(site_context(session, inspection.site, on))
    ctx["date"] = on.isoformat()
    ctx["alert_level"] = inspection.alert_level or "none"
    ctx["params"] = checklist_parameters_for(session, list(ctx.get("jurisdictions") or []), inspection.checklist_key)
    return ctx


def _penalty_hook() -> Callable[[Session, Inspection], Any] | None:
    module_name, attr = PENALTY_HOOK
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name in (module_name, "app.penalties"):
            return None
        raise
    return getattr(module, attr, None)


def _submission_errors(session: Session, inspection: Inspection, resolved: dict[str, Any],
                       settings: Settings) -> tuple[list[FieldError], list[tuple[dict, InspectionAnswer, Any, list[str]]]]:
    errors: list[FieldError] = []
    if not resolved.get("applies"):
        for reason in resolved.get("reasons_not_applicable", []):
            errors.append(FieldError("checklist_key", "checklist_not_applicable", reason["zh"], reason["en"]))
    errors += rules.officer_errors(len(inspection.officers), settings.min_officers)
    errors += rules.window_errors(inspection.started_at, inspection.ended_at)
    answers = {a.item_key: a for a in inspection.answers}
    links: dict[str, list[uuid.UUID]] = {}
    for link in inspection.photo_links:
        links.setdefault(link.item_key, []).append(link.photo_id)
    all_ids = [lk.photo_id for lk in inspection.photo_links]
    uploaded = set(session.scalars(select(Photo.id).where(Photo.id.in_(all_ids)))) if all_ids else set()
    evaluated = []
    for item in resolved.get("items", []):
        key = item["key"]
        answer = answers.get(key)
        if answer is None:
            errors.append(rules.missing_answer_error(key, item.get("prompt")))
            continue
        for pid in links.get(key, []):
            if pid not in uploaded:
                errors.append(rules.photo_not_uploaded_error(key, str(pid)))
        evidence = [str(p) for p in links.get(key, []) if p in uploaded]
        # The server's verdict: evaluate_answer recomputes measure/choice/code/count from the values.
        evaluation = evaluate_answer(ItemSpec.from_doc(item), {**answer.data, "photos": evidence}, params=resolved.get("parameters"))
        errors += evaluation.errors
        evaluated.append((item, answer, evaluation, evidence))
    return rules.sorted_errors(errors), evaluated


def submit_inspection(session: Session, principal: Principal, inspection_id: uuid.UUID, if_match: str | None,
                      settings: Settings | None = None) -> Inspection:
    """Validate, re-evaluate on the server, create findings and call the penalty hook — one transaction.

    Re-submitting an inspection that is already submitted with If-Match naming the current version or the
    version it was submitted from (a retry whose response was lost) is a no-op success.
    """
    settings = settings or Settings.from_app()
    inspection = _load_for_update(session, inspection_id)
    if inspection is None or not is_participant(principal, inspection):
        raise _not_found()
    sent_version = rules.require_if_match(if_match)
    if inspection.state == rules.SUBMITTED and sent_version in (inspection.version,
                                                                inspection.submitted_from_version):
        return inspection
    if sent_version != inspection.version:
        raise _stale(session, inspection, principal, sent_version)
    target = rules.next_state("submit", inspection.state)
    context = inspection_context(session, inspection)
    resolved = resolve_checklist(ChecklistSpec.from_doc(inspection.checklist.content), context)
    errors, evaluated = _submission_errors(session, inspection, resolved, settings)
    if errors:
        raise ValidationFailed(
            f"检查记录不完整或有误，共 {len(errors)} 处，详见 errors。",
            f"The inspection is incomplete or invalid in {len(errors)} place(s); see errors.",
            code="inspection_incomplete", errors=errors)

    before = {"state": inspection.state, "version": inspection.version}
    inspection.submission_count += 1
    for item, answer, evaluation, evidence in evaluated:
        session.add(Finding(
            inspection=inspection, submission_no=inspection.submission_count, item_key=item["key"],
            checklist_key=inspection.checklist_key, checklist_version=inspection.checklist_version,
            checklist_hash=inspection.checklist_hash,
            verdict=rules.finding_verdict(evaluation.verdict, evaluation.not_applicable),
            phone_verdict=answer.phone_verdict, explanation=dict(evaluation.explanation), value=evaluation.value,
            severity=item.get("severity"), source_refs=list(item.get("source") or []),
            penalty_keys=list(item.get("penalties") or []),
            answer={**answer.data, "photos": evidence}))
    inspection.state = target
    inspection.submitted_at = datetime.now(timezone.utc)
    inspection.submitted_by_id = principal.user_id
    inspection.submitted_from_version = sent_version
    inspection.site_context = {
        "context": context, "parameters": resolved.get("parameters"),
        "applicable_items": [i["key"] for i in resolved.get("items", [])],
        "not_applicable_items": [i["key"] for i in resolved.get("not_applicable", [])]}
    inspection.version += 1
    session.flush()
    session.expire(inspection, ["findings"])
    refresh_link_flags(session, inspection, settings=settings)
    hook = _penalty_hook()
    if hook is not None:
        hook(session, inspection)
    record_audit(session, "inspection.submit", "inspection", inspection.id, before=before, after={
        "state": inspection.state, "version": inspection.version, "submission": inspection.submission_count,
        "findings": {f.item_key: f.verdict for f in inspection.current_findings}})
    bump_change(session, inspection)
    return inspection


# ============================================================================ review

def return_inspection(session: Session, principal: Principal, inspection_id: uuid.UUID, comment: str,
                      if_match: str | None) -> Inspection:
    """A supervisor sends a submitted inspection back to the inspector with comments (submitted → returned)."""
    inspection = _load_for_update(session, inspection_id)
    if inspection is None or principal.role not in SUPERVISING_ROLES or not can_see(principal, inspection):
        raise _not_found()
    sent_version = rules.require_if_match(if_match)
    if (inspection.state == rules.RETURNED and sent_version == inspection.version - 1
            and inspection.review_comment == comment and inspection.reviewed_by_id == principal.user_id):
        return inspection  # retry of the return whose response was lost
    if sent_version != inspection.version:
        raise _stale(session, inspection, principal, sent_version)
    target = rules.next_state("return", inspection.state)
    before = {"state": inspection.state, "version": inspection.version}
    inspection.state = target
    inspection.review_comment = comment
    inspection.reviewed_at = datetime.now(timezone.utc)
    inspection.reviewed_by_id = principal.user_id
    inspection.version += 1
    record_audit(session, "inspection.return", "inspection", inspection.id, before=before,
                 after={"state": inspection.state, "version": inspection.version, "comment": comment})
    bump_change(session, inspection)
    return inspection


# ============================================================================ sync feed

_CURSOR_PREFIX = "isq1:"


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(_CURSOR_PREFIX):
            raise ValueError(raw)
        seq = int(raw[len(_CURSOR_PREFIX):])
        if seq < 0:
            raise ValueError(raw)
        return seq
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValidationFailed("同步游标无效", "Invalid sync cursor", errors=[
            FieldError("updated_since", "invalid_cursor", "同步游标无效，请使用上次响应中的 next_cursor",
                       "invalid cursor: pass next_cursor from the previous response")]) from None


def _scope_clause(principal: Principal) -> Any:
    if principal.role in SUPERVISING_ROLES:
        return scope_clause(principal.jurisdiction_paths)
    return or_(Inspection.created_by_id == principal.user_id,
               exists().where(InspectionOfficer.inspection_id == Inspection.id,
                              InspectionOfficer.user_id == principal.user_id))


def inspection_feed(session: Session, principal: Principal, updated_since: str | None, limit: int,
                    settings: Settings | None = None) -> dict[str, Any]:
    """Inspections the caller may see whose last change is after the cursor, in change order.

    Each change gives the inspection a new ``change_seq`` (edits, submissions, returns, reviews), so a phone
    following ``next_cursor`` receives every change it may see exactly once, at its latest state.
    """
    settings = settings or Settings.from_app()
    limit = max(1, min(limit, settings.feed_max_limit))
    after = decode_cursor(updated_since)
    rows = list(session.scalars(
        select(Inspection).join(Site, Site.id == Inspection.site_id)
        .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
        .where(Inspection.change_seq > after, _scope_clause(principal))
        .order_by(Inspection.change_seq).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].change_seq if rows else after
    # One photo look-up for the page, not one per inspection.
    photos = _uploaded_photos(session, [link.photo_id for r in rows for link in r.photo_links])
    return {"items": [inspection_representation(session, r, principal, photos) for r in rows],
            "next_cursor": encode_cursor(last), "has_more": has_more}
