"""What a viewer sees of a photo beyond its row: the evidence flags the evidence feature shows them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.photos.evidence_links import EvidenceLinks
from app.photos.models import Photo

__all__ = ["evidence_flags_for_viewer"]


def evidence_flags_for_viewer(
    session: Session, principal: Principal, photo: Photo, links: EvidenceLinks
) -> list[dict[str, Any]]:
    """Evidence flags of the photo's links that ``principal`` may see."""
    return links.flags(session, photo, principal)
