"""Derivatives (display image, thumbnail): made by a ``make_derivatives`` job (``app.photos.tasks``) after
the response, or on demand when one is requested first. Services never commit; PIL stays in ``processing``
(STYLE §4)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import AppError
from app.photos import processing
from app.photos.errors import (
    ImageTooManyPixels,
    ImageUndecodable,
    UnsupportedImageFormat,
)
from app.photos.models import Photo
from app.photos.storage import LocalPathStore, PhotoStore

log = logging.getLogger(__name__)

__all__ = [
    "DISPLAY",
    "MAX_DERIVATIVE_ATTEMPTS",
    "PERMANENT_DERIVATIVE_ERRORS",
    "THUMBNAIL",
    "DerivativeUnavailable",
    "ensure_derivatives",
    "open_derivative",
    "make_pending_derivatives",
    "original_source",
]

DISPLAY = "display.jpg"
THUMBNAIL = "thumb.jpg"
# Errors that mean "these bytes will never make a derivative" (vs. a transient failure).
PERMANENT_DERIVATIVE_ERRORS = (ImageUndecodable, ImageTooManyPixels, UnsupportedImageFormat)
MAX_DERIVATIVE_ATTEMPTS = 3  # our choice: transient failures (disk full, OOM kill) retried this often


class DerivativeUnavailable(AppError):
    status = 422
    code = "derivative_unavailable"
    title_zh = "无法为该照片生成预览图"
    title_en = "No derivative can be made of this photo"


def original_source(store: PhotoStore, sha256: str) -> processing.Source:
    """The original for processing: a local path when the store has one (no copy in memory), else bytes."""
    if isinstance(store, LocalPathStore):
        return store.original_path(sha256)
    return store.read_original(sha256)


def _make_and_store(session: Session, store: PhotoStore, photo: Photo, max_pixels: int) -> tuple[int, int, int]:
    """Make display + thumbnail, or reuse those already made for identical bytes → display size and the
    perceptual hash (identical bytes have the same hash)."""
    if store.derivative_exists(photo.sha256, DISPLAY) and store.derivative_exists(photo.sha256, THUMBNAIL):
        done = session.execute(
            select(Photo.display_width, Photo.display_height, Photo.phash)
            .where(
                Photo.sha256 == photo.sha256,
                Photo.derivatives_state == "ready",
                Photo.display_width.is_not(None),
                Photo.display_height.is_not(None),
            )
            .order_by(Photo.phash.is_(None))  # one that has its hash first
            .limit(1)
        ).first()
        if done is not None:
            phash = done[2]
            if phash is None:  # made before hashes were kept
                phash = processing.perceptual_hash(original_source(store, photo.sha256), max_pixels)
            return done[0], done[1], phash
    # make_derivatives also refuses a JPEG scan cut and closed with an end marker (image_truncated).
    result = processing.make_derivatives(original_source(store, photo.sha256), max_pixels=max_pixels)
    store.put_derivative(photo.sha256, THUMBNAIL, result.thumbnail)
    store.put_derivative(photo.sha256, DISPLAY, result.display)  # last: its presence means "both done"
    return result.display_size[0], result.display_size[1], result.phash


def _run_derivatives(session: Session, store: PhotoStore, photo: Photo, max_pixels: int) -> None:
    """Make the derivatives of a row locked by the caller and record the outcome."""
    now = datetime.now(UTC)
    photo.derivatives_attempts = (photo.derivatives_attempts or 0) + 1
    photo.derivatives_updated_at = now
    try:
        photo.display_width, photo.display_height, photo.phash = _make_and_store(session, store, photo, max_pixels)
    except PERMANENT_DERIVATIVE_ERRORS as exc:
        photo.derivatives_state, photo.derivatives_error = "failed", exc.code
        log.warning("photo %s: derivatives failed (%s)", photo.id, exc.code)
    except Exception:  # noqa: BLE001 - a worker must survive one bad photo; state records it
        log.exception("photo %s: derivative attempt %s failed", photo.id, photo.derivatives_attempts)
        if photo.derivatives_attempts >= MAX_DERIVATIVE_ATTEMPTS:
            photo.derivatives_state, photo.derivatives_error = "failed", "derivative_error"
        else:
            photo.derivatives_error = "derivative_error_retrying"
    else:
        photo.derivatives_state, photo.derivatives_error = "ready", None
    session.flush()


def make_pending_derivatives(
    session: Session, store: PhotoStore, photo_id: uuid.UUID, *, max_pixels: int
) -> Photo | None:
    """Job step: lock photo ``photo_id`` and, if it still waits, make its derivatives and record the
    state (``ready``; ``failed`` for bytes that will never decode or after ``MAX_DERIVATIVE_ATTEMPTS``;
    still ``pending`` after a transient failure). A photo already made (on demand, or by an earlier
    run of the same job) is left as it is. None when there is no such photo. The caller commits."""
    photo = session.scalars(
        select(Photo).where(Photo.id == photo_id).with_for_update().execution_options(populate_existing=True)
    ).first()
    if photo is None or photo.derivatives_state != "pending":
        return photo
    _run_derivatives(session, store, photo, max_pixels)
    return photo


def reopen_failed_derivatives(session: Session, photo_id: uuid.UUID) -> bool:
    """An operator retries a failed derivative job: the photo waits again, with its attempts counted afresh
    (otherwise the retried job would find it failed and skip it). False when the photo had not failed."""
    photo = session.scalars(select(Photo).where(Photo.id == photo_id).with_for_update()).first()
    if photo is None or photo.derivatives_state != "failed":
        return False
    photo.derivatives_state, photo.derivatives_error, photo.derivatives_attempts = "pending", None, 0
    session.flush()
    return True


def ensure_derivatives(session: Session, store: PhotoStore, photo: Photo, *, max_pixels: int) -> Photo:
    """On demand: a derivative was requested before the worker got to the photo. Takes the
    row lock (waits for a worker already on it, then sees its result)."""
    if photo.derivatives_state == "ready" and store.derivative_exists(photo.sha256, DISPLAY):
        return photo
    if photo.derivatives_state == "failed":
        raise DerivativeUnavailable(extra={"error_code": photo.derivatives_error, "photo_id": str(photo.id)})
    locked = session.scalars(
        select(Photo).where(Photo.id == photo.id).with_for_update().execution_options(populate_existing=True)
    ).one()
    if locked.derivatives_state != "ready" or not store.derivative_exists(locked.sha256, DISPLAY):
        locked.derivatives_state = "pending"
        _run_derivatives(session, store, locked, max_pixels)
    if locked.derivatives_state == "failed":
        raise DerivativeUnavailable(extra={"error_code": locked.derivatives_error, "photo_id": str(locked.id)})
    if locked.derivatives_state != "ready":
        raise DerivativeUnavailable(
            "预览图暂时无法生成，请稍后重试",
            "The derivative could not be made now; try again later",
            code="derivative_retry_later",
            extra={"photo_id": str(locked.id)},
        )
    return locked


def open_derivative(session: Session, store: PhotoStore, photo: Photo, name: str, *, max_pixels: int) -> bytes:
    """Bytes of ``display.jpg`` / ``thumb.jpg``, made now if the worker has not yet."""
    ensure_derivatives(session, store, photo, max_pixels=max_pixels)
    return store.read_derivative(photo.sha256, name)
