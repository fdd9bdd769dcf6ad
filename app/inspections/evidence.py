"""Photos as evidence in inspections: link flags, the photo's scope, and the four answers the photos
feature asks of inspections (wired in ``create_app``): ``flags_for_photo``, ``refresh_flags_for_photo``,
``participant_may_view_photo`` and ``watermark_context_for_photo``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import cast, exists, func, select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.inspections.access import can_see, is_participant, took_part
from app.inspections.models import Inspection, InspectionAmendment, InspectionPhotoLink
from app.inspections.settings import Settings
from app.photos.access import set_photo_scope
from app.photos.evidence import evidence_flags
from app.photos.evidence_links import WatermarkContext
from app.photos.models import Photo
from app.sites.models import Site


def uploaded_photos(session: Session, photo_ids: list[uuid.UUID]) -> dict[uuid.UUID, Photo]:
    """The photos among ``photo_ids`` that have arrived, by id (one query)."""
    return {p.id: p for p in session.scalars(select(Photo).where(Photo.id.in_(photo_ids)))} if photo_ids else {}


# ============================================================================ link flags


def _window(inspection: Inspection) -> tuple[datetime, datetime] | None:
    if inspection.started_at is None:
        return None
    end = inspection.ended_at or max(inspection.started_at, datetime.now(UTC))
    return inspection.started_at, end


def compute_link_flags(
    session: Session, inspection: Inspection, photo: Photo, settings: Settings
) -> list[dict[str, Any]]:
    """Evidence flags of one linked photo; never blocking."""
    distance = None
    if photo.location is not None:
        # PostGIS geography distance in metres between the photo's GPS point and the site geometry.
        distance = session.scalar(
            select(func.ST_Distance(cast(Photo.location, Geography), cast(Site.geom, Geography)))
            .select_from(Photo)
            .join(Site, Site.id == inspection.site_id)
            .where(Photo.id == photo.id)
        )
    others = sorted(
        {
            str(i)
            for i in session.scalars(
                select(InspectionPhotoLink.inspection_id)
                .join(Photo, Photo.id == InspectionPhotoLink.photo_id)
                .where(Photo.sha256 == photo.sha256, InspectionPhotoLink.inspection_id != inspection.id)
            )
        }
    )
    window = _window(inspection)
    assert window is not None
    flags = evidence_flags(
        photo,
        site_distance_m=float(distance) if distance is not None else None,
        max_distance_m=settings.max_distance_for(inspection.site.kind),
        window_start=window[0],
        window_end=window[1],
        tolerance=settings.photo_time_tolerance,
        reused_in_other_inspection=bool(others),
        other_inspections=others,
    )
    return [f.to_dict() for f in flags]


def refresh_link_flags(
    session: Session, inspection: Inspection, *, settings: Settings, only_missing: bool = False
) -> None:
    """(Re)compute the flags of every link whose photo has arrived; links to photos not yet uploaded keep
    ``flags = None``. Also narrows each linked photo's visibility to the inspection's jurisdiction."""
    ids = [lk.photo_id for lk in inspection.photo_links if not (only_missing and lk.flags is not None)]
    if not ids:
        return
    photos = uploaded_photos(session, ids)
    now = datetime.now(UTC)
    for link in inspection.photo_links:
        photo = photos.get(link.photo_id)
        if photo is None:
            continue
        link.flags = compute_link_flags(session, inspection, photo, settings)
        link.flags_computed_at = now
    session.flush()
    for photo in photos.values():
        sync_photo_scope(session, photo)


def visible_flags(
    session: Session, flags: list[dict[str, Any]] | None, principal: Principal | None
) -> list[dict[str, Any]] | None:
    """Flags as ``principal`` may read them: ``reused_photo`` names only the other inspections the viewer may
    see and counts the rest (``other_inspections_hidden``). ``principal=None`` (internal use): unchanged."""
    if flags is None or principal is None:
        return flags
    out = []
    for flag in flags:
        others = (flag.get("details") or {}).get("other_inspections")
        if flag.get("code") == "reused_photo" and others is not None:
            shown = [str(raw) for raw in others if _may_see_other(session, principal, raw)]
            flag = {
                **flag,
                "details": {
                    **flag["details"],
                    "other_inspections": shown,
                    "other_inspections_hidden": len(others) - len(shown),
                },
            }
        out.append(flag)
    return out


def _may_see_other(session: Session, principal: Principal, raw: object) -> bool:
    try:
        other = session.get(Inspection, uuid.UUID(str(raw)))
    except ValueError:
        return False
    return other is not None and can_see(principal, other)


# ============================================================================ photo scope and visibility


def _evidence_inspections(session: Session, photo: Photo) -> list[Inspection]:
    """Inspections a photo is evidence in: linked, and the photo's uploader took part (creator or officer).

    A link made by someone who did not take the photo still gets flags, but widens nobody's access: knowing
    a photo id must not be a way to see it.
    """
    inspections = session.scalars(
        select(Inspection)
        .join(InspectionPhotoLink, InspectionPhotoLink.inspection_id == Inspection.id)
        .where(InspectionPhotoLink.photo_id == photo.id)
        .distinct()
    ).all()
    return [i for i in inspections if took_part(i, photo.uploader_id)]


def sync_photo_scope(session: Session, photo: Photo) -> None:
    """Once a photo is evidence in inspections, its scope is their sites' jurisdictions (narrowed from the
    uploader's jurisdictions, or extended to them), so supervisors there can view it; the inspections'
    officers view it through ``participant_may_view_photo``. Audited by ``set_photo_scope`` when it changes."""
    paths = sorted({i.site.jurisdiction.path for i in _evidence_inspections(session, photo)})
    if paths and paths != sorted(photo.scope_paths or []):
        set_photo_scope(session, photo, paths)


# ============================================================================ answers to the photos feature


def flags_for_photo(session: Session, photo: Photo, principal: Principal | None) -> list[dict[str, Any]]:
    """Flag provider for GET /api/v1/photos/{id}: the stored flags of every link of the photo, each tagged
    with its inspection and item — only links of inspections the viewer may see, and ``reused_photo``
    redacted for the viewer (``visible_flags``). ``principal=None`` (internal use): nothing is hidden."""
    out = []
    for link in session.scalars(
        select(InspectionPhotoLink).where(InspectionPhotoLink.photo_id == photo.id).order_by(InspectionPhotoLink.id)
    ):
        if principal is not None and not can_see(principal, link.inspection):
            continue
        for flag in visible_flags(session, link.flags, principal) or []:
            out.append({**flag, "inspection_id": str(link.inspection_id), "item_key": link.item_key})
    return out


def photo_is_linked(session: Session, photo_id: uuid.UUID) -> bool:
    """Whether any inspection already names this photo id as evidence (asked by an upload before its arrival
    hook: most photos arrive before the inspection that names them)."""
    return bool(session.scalar(select(exists().where(InspectionPhotoLink.photo_id == photo_id))))


def refresh_flags_for_photo(session: Session, photo_id: uuid.UUID, *, settings: Settings) -> int:
    """Compute flags on every link of a photo that just arrived and set its scope (the photos feature's
    arrival hook, wired in create_app: runs in the upload's transaction, right after the row is inserted, so
    row and flags commit together). Returns the number of links updated. Flags are not a feed change.

    Race: a link committed by a concurrent PUT after this ran, whose own flag computation ran before the
    photo row committed, stays without flags until the next edit or the submission (which recomputes every
    link's flags and refuses links whose photo has not arrived)."""
    photo = session.get(Photo, photo_id)
    if photo is None:
        return 0
    links = list(session.scalars(select(InspectionPhotoLink).where(InspectionPhotoLink.photo_id == photo_id)))
    for link in links:
        link.flags = compute_link_flags(session, link.inspection, photo, settings)
        link.flags_computed_at = datetime.now(UTC)
    session.flush()
    if links:
        sync_photo_scope(session, photo)
    return len(links)


def watermark_context_for_photo(session: Session, photo: Photo) -> WatermarkContext | None:
    """Site, address, officers and inspection for the notice copy of a photo, from the earliest inspection
    the photo is evidence in; None when it is in none."""
    inspections = sorted(_evidence_inspections(session, photo), key=lambda i: i.created_at)
    if not inspections:
        return None
    inspection = inspections[0]
    site = inspection.site
    officers = tuple(o.name or str(o.user_id) for o in inspection.officers)
    return WatermarkContext(
        site_name=site.name, site_address=site.address, officers=officers, inspection_ref=str(inspection.id)
    )


def participant_may_view_photo(session: Session, principal: Principal, photo: Photo) -> bool:
    """View grant given to the photos feature: the creator and officers of an inspection the photo is
    evidence in may view it (supervisors are covered by the photo's scope), including the evidence a
    reviewer added to the inspection with an amendment (the inspector sees what the finding rests on)."""
    if any(is_participant(principal, i) for i in _evidence_inspections(session, photo)):
        return True
    amended = session.scalars(
        select(Inspection)
        .join(InspectionAmendment, InspectionAmendment.inspection_id == Inspection.id)
        .where(InspectionAmendment.photo_ids.contains([str(photo.id)]))
        .distinct()
    ).all()
    return any(is_participant(principal, i) for i in amended)
