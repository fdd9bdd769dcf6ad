"""What the photos feature asks of the feature that uses photos as evidence (inspections).

Photos know nothing of inspections. ``create_app`` builds one ``EvidenceLinks`` from the inspections
feature's functions, and the photo routes pass it to the photo services that need it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.photos.models import Photo


@dataclass(frozen=True)
class WatermarkContext:
    """What an inspection knows about a photo, printed on notice copies: site, address, officers, inspection."""

    site_name: str | None = None
    site_address: str | None = None
    officers: tuple[str, ...] = ()
    inspection_ref: str | None = None
    extra_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvidenceLinks:
    """The five questions photos ask of the evidence feature."""

    # Evidence flags of the photo's links as the viewer may see them (None: internal use, nothing hidden).
    flags: Callable[[Session, Photo, Principal | None], list[dict[str, Any]]]
    # Runs in the upload's transaction right after a new photo row is inserted (e.g. flags of links made
    # before the photo arrived), so the row and what this writes commit together.
    on_arrival: Callable[[Session, uuid.UUID], Any]
    # Whether any evidence already names this photo id (links made before the photo arrived). An upload asks
    # first: when nothing does, the arrival hook has nothing to do and the new photo has no flags to show.
    linked: Callable[[Session, uuid.UUID], bool]
    # Widens viewing beyond uploader + supervising scope (e.g. the officers of the photo's inspection).
    may_view: Callable[[Session, Principal, Photo], bool]
    # Site, address and officers for the notice copy; None when the photo is in no inspection.
    notice_context: Callable[[Session, Photo], WatermarkContext | None]


def _no_flags(session: Session, photo: Photo, viewer: Principal | None) -> list[dict[str, Any]]:
    return []


def _nothing_on_arrival(session: Session, photo_id: uuid.UUID) -> None:
    return None


def _never_linked(session: Session, photo_id: uuid.UUID) -> bool:
    return False


def _no_one_else(session: Session, principal: Principal, photo: Photo) -> bool:
    return False


def _no_context(session: Session, photo: Photo) -> WatermarkContext | None:
    return None


# Photos used as evidence nowhere: for tools and tests that handle photos alone.
NO_EVIDENCE_LINKS = EvidenceLinks(
    flags=_no_flags,
    on_arrival=_nothing_on_arrival,
    linked=_never_linked,
    may_view=_no_one_else,
    notice_context=_no_context,
)
