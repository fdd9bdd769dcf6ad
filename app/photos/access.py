"""Who may see a photo, and narrowing that scope. Services never commit."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.errors import NotFound
from app.photos.evidence_links import EvidenceLinks
from app.photos.models import Photo
from app.vocabulary import SUPERVISING_ROLES

__all__ = ["can_view_photo", "get_visible_photo", "set_photo_scope"]


def can_view_photo(principal: Principal, photo: Photo) -> bool:
    """The uploader, and supervisors/admins whose jurisdictions cover the photo's scope."""
    if principal.user_id == photo.uploader_id:
        return True
    if principal.role not in SUPERVISING_ROLES:
        return False
    return any(principal.covers(path) for path in photo.scope_paths)


def get_visible_photo(session: Session, principal: Principal, photo_id: uuid.UUID, links: EvidenceLinks) -> Photo:
    """The photo if the caller may see it (uploader, supervisors covering its scope, or whom the evidence
    feature lets see it), else ``NotFound`` (404, never 403)."""
    photo = session.get(Photo, photo_id)
    if photo is None or not (can_view_photo(principal, photo) or links.may_view(session, principal, photo)):
        raise NotFound("照片不存在或不在您的辖区内。", "Photo not found in your jurisdictions.")
    return photo


def set_photo_scope(session: Session, photo: Photo, jurisdiction_paths: list[str]) -> Photo:
    """Narrow (or set) who may see a photo, e.g. to the jurisdiction of the inspection it is
    linked to. Evidence columns stay untouched; audited."""
    before = {"scope_paths": list(photo.scope_paths)}
    photo.scope_paths = list(jurisdiction_paths)
    session.flush()
    record_audit(session, "photo.scope", "photo", photo.id, before=before, after={"scope_paths": photo.scope_paths})
    return photo
