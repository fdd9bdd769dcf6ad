"""Uploads: the idempotent PUT by content hash and the resumable upload. Services never commit.

Upload order (PUT): stream the body to a temp file in the store while hashing → hash verified → the file's
fsync started on another thread → metadata read without decoding (plus, for a JPEG, a walk over its markers
that refuses bytes stopping before the end marker; for a PNG or WebP that looks truncated, a decode) → ``INSERT
… ON CONFLICT DO NOTHING`` + a ``make_derivatives`` job deferred in the same transaction → the original
published (fsync joined, link under its hash, fsync dir) → the caller commits and answers. Refused bytes are
never published. What only a decode finds in a JPEG (a scan cut and closed with an end marker, corrupt markers
inside the scan) is the job's: the photo's derivatives end ``failed`` (``processing`` module doc). Derivatives
come later (the job, run by ``flask jobs worker``, or ``ensure_derivatives`` when a derivative is requested
first). A crash between the publish and the commit leaves an original without a row,
which ``gc.find_orphans`` reports.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import ExecutableReturnsRows

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.errors import Conflict
from app.photos import processing
from app.photos.derivatives import PERMANENT_DERIVATIVE_ERRORS, original_source
from app.photos.errors import UploadQuotaExceeded
from app.photos.evidence_links import EvidenceLinks
from app.photos.metadata import OriginalInfo
from app.photos.models import Photo
from app.photos.storage import PhotoStore, StoredOriginal, complete_partial
from app.photos.tasks import defer_derivatives

log = logging.getLogger(__name__)

__all__ = ["PartialQuota", "PhotoUpload", "append_photo_chunk", "put_photo", "resumable_offset"]


def _run_arrival_hook(session: Session, links: EvidenceLinks, photo_id: uuid.UUID) -> bool:
    """Run the evidence feature's arrival hook when evidence names the photo already → whether it does."""
    # Most photos arrive before any inspection names them: one question, and no savepoint, no hook.
    if not links.linked(session, photo_id):
        return False
    # Never refuse an upload because the hook failed: it runs in a savepoint; a failure is logged and its
    # work is redone later (submission recomputes every link's flags).
    try:
        with session.begin_nested():
            links.on_arrival(session, photo_id)
    except Exception:  # noqa: BLE001 - the original is evidence: keep it whatever the hook does
        log.exception("photo %s: arrival hook failed", photo_id)
    return True


@dataclass(frozen=True)
class PhotoUpload:
    photo: Photo
    created: bool  # False: an idempotent repeat of an earlier PUT
    # False: a new photo no evidence names yet, so it has no evidence flags (nothing to read to answer).
    linked: bool = True


def _uuid_taken(photo: Photo, sha256: str) -> Conflict:
    return Conflict(
        "该照片编号已用于另一张照片（内容不同）；请为新照片生成新的编号。",
        "This photo id already holds a different photo; generate a new id for a new photo.",
        code="photo_id_conflict",
        extra={"photo_id": str(photo.id), "existing_sha256": photo.sha256, "sent_sha256": sha256},
    )


def _existing(photo: Photo, principal: Principal, sha256: str) -> PhotoUpload:
    if photo.sha256 != sha256 or photo.uploader_id != principal.user_id:
        # Another uploader's uuid: refuse without serving its content.
        raise (
            _uuid_taken(photo, sha256)
            if photo.uploader_id == principal.user_id
            else Conflict(
                "该照片编号已被占用；请生成新的编号。",
                "This photo id is taken; generate a new id.",
                code="photo_id_conflict",
                extra={"photo_id": str(photo.id)},
            )
        )
    return PhotoUpload(photo, created=False)


def _clip(value: str | None, length: int = 200) -> str | None:
    return value[:length] if value else value


def _row_values(
    photo_id: uuid.UUID, principal: Principal, sha256: str, size: int, info: OriginalInfo
) -> dict[str, Any]:
    taken = info.taken_at
    offset_min = None
    if taken is not None and taken.tzinfo is not None:
        delta = taken.utcoffset()
        offset_min = int(delta.total_seconds() // 60) if delta is not None else None
    location = None
    if info.gps is not None:
        location = from_shape(Point(info.gps.lon, info.gps.lat), srid=4326)
    return {
        "id": photo_id,
        "sha256": sha256,
        "uploader_id": principal.user_id,
        "scope_paths": list(principal.jurisdiction_paths),
        "size_bytes": size,
        "format": info.format,
        "mime": info.mime,
        "width": info.width,
        "height": info.height,
        "orientation": info.orientation if info.orientation is not None and 0 <= info.orientation < 32768 else None,
        "taken_at_local": taken.replace(tzinfo=None) if taken is not None else None,
        "taken_at_offset_min": offset_min,
        "taken_at_source": info.taken_at_source,
        "modified_at_local": info.modified_at.replace(tzinfo=None) if info.modified_at else None,
        "location": location,
        "gps_accuracy_m": info.gps.accuracy_m if info.gps else None,
        "gps_time_utc": info.gps.time_utc if info.gps else None,
        "gps_problem": info.gps_problem,
        "make": _clip(info.make),
        "model": _clip(info.model),
        "software": _clip(info.software),
        "exif_problem": _clip(info.exif_problem, 32),
        "derivatives_state": "pending",
    }


@functools.cache
def _insert_new_photo(columns: tuple[str, ...]) -> ExecutableReturnsRows:
    """``INSERT … ON CONFLICT (id) DO NOTHING RETURNING`` the whole row, as text with typed parameters:
    SQLAlchemy caches the compilation of a text statement, never of the PostgreSQL ``insert()`` (its class
    opts out of the statement cache: it was compiled anew on every upload, ~2 ms of CPU)."""
    table = Photo.__table__
    returned = list(table.columns)
    return select(Photo).from_statement(
        text(
            f"INSERT INTO photos ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
            f" ON CONFLICT (id) DO NOTHING RETURNING {', '.join(c.name for c in returned)}"
        )
        .bindparams(*(bindparam(c, type_=table.c[c].type) for c in columns))
        .columns(*returned)
    )


def _discard_refused(session: Session, store: PhotoStore, sha256: str, created: bool) -> None:
    """Refused bytes are not evidence: remove the original we just published, unless a row
    already uses it (a limit lowered since) or it was there before this request."""
    if not created:
        return
    if session.scalar(select(Photo.id).where(Photo.sha256 == sha256).limit(1)) is None:
        store.delete_original(sha256)


def put_photo(
    session: Session,
    store: PhotoStore,
    principal: Principal,
    photo_id: uuid.UUID,
    body: IO[bytes],
    sha256: str,
    *,
    max_bytes: int | None,
    max_pixels: int,
    links: EvidenceLinks,
) -> PhotoUpload:
    """Create photo ``photo_id`` from ``body`` (idempotent).

    Same id + same hash → the existing photo (``created=False``, no audit, body not read).
    Same id + other hash → 409 ``photo_id_conflict``. Otherwise the body is streamed to the
    store (413 over ``max_bytes``, 422 ``checksum_mismatch``), its real format and metadata
    read (422 ``unsupported_image_format`` / ``image_too_many_pixels`` / ``image_undecodable``)
    and one row inserted; concurrent PUTs of the same id end with one row.
    """
    sha256 = sha256.lower()
    existing = session.get(Photo, photo_id)
    if existing is not None:
        return _existing(existing, principal, sha256)

    # The image checks read the received file while another thread fsyncs it (fsync releases the GIL), and the
    # row is written meanwhile: the PUT waits for the disk once, at publish, instead of before all of that.
    # Refused bytes are never published. (Decoding beside the write was measured slower, bench/README.md,
    # 2026-12-01: the decode was the cost; a JPEG is no longer decoded here.)
    with store.receive(body, sha256, max_bytes) as received:
        info = _checked_image(received.path, max_pixels)
        return _register_original(
            session, principal, photo_id, received.sha256, received.size, info, received.publish, links
        )


def _checked_image(source: processing.Source, max_pixels: int) -> OriginalInfo:
    """The image's metadata, or a 422 for what a phone should not send as evidence."""
    info = processing.inspect_original(source, max_pixels=max_pixels)
    # Refuse a file cut short while the phone still has it (a retry may fix it). A JPEG is judged by its
    # structure: decoding it here was most of the PUT's time (bench/README.md, "Photo PUT: ...").
    if info.format == "JPEG":
        processing.verify_jpeg_not_cut_short(source)
    elif info.suspect_truncated:
        processing.verify_decodes(source, max_pixels=max_pixels)
    return info


def _register_original(
    session: Session,
    principal: Principal,
    photo_id: uuid.UUID,
    sha256: str,
    size: int,
    info: OriginalInfo,
    publish: Callable[[], StoredOriginal],
    links: EvidenceLinks,
) -> PhotoUpload:
    """The bytes are verified and accepted: insert the row, then ``publish`` the original (durable before the
    caller commits; not published when a parallel PUT of the same id won)."""
    values = _row_values(photo_id, principal, sha256, size, info)
    # The new row comes back whole from the INSERT (RETURNING): no second statement to read it.
    photo = session.scalars(_insert_new_photo(tuple(values)), values).one_or_none()
    if photo is None:
        # A parallel PUT of the same id committed first (ON CONFLICT waited for it).
        session.expire_all()
        winner = session.get(Photo, photo_id)
        if winner is None:  # pragma: no cover - the conflicting row cannot vanish (no DELETE)
            raise Conflict(code="photo_id_conflict")
        return _existing(winner, principal, sha256)
    linked = _run_arrival_hook(session, links, photo_id)
    # In this transaction: the row and its derivatives job commit together (never a photo without a job).
    defer_derivatives(session, photo_id)
    stored = publish()  # last: the statements above ran while the bytes went to disk
    record_audit(
        session,
        "photo.create",
        "photo",
        photo_id,
        after={
            "sha256": sha256,
            "size_bytes": size,
            "uploader_id": principal.user_id,
            "format": info.format,
            "original_was_new": stored.created,
        },
    )
    # No refresh here: the entry point answers with the row the INSERT returned (a refresh before the commit
    # was a statement whose result nobody read).
    return PhotoUpload(photo, created=True, linked=linked)


# --------------------------------------------------------------------------- resumable upload


def _upload_prefix(principal: Principal) -> str:
    return f"u{principal.user_id}-"


def _upload_id(principal: Principal, photo_id: uuid.UUID) -> str:
    # One partial per (uploader, photo id): another user cannot append to it.
    return f"{_upload_prefix(principal)}{photo_id.hex}"


@dataclass(frozen=True)
class PartialQuota:
    """What one uploader may park in unfinished resumable uploads (None = no cap)."""

    max_open: int | None
    max_bytes: int | None


def _quota_exceeded(limit: str, maximum: int, current: int) -> UploadQuotaExceeded:
    if limit == "open_partials":
        zh, en = (
            f"未完成的分段上传已达 {maximum} 个上限，请先完成已有的上传",
            f"You have {current} unfinished resumable uploads (limit {maximum}); finish those first",
        )
    else:
        zh, en = (
            f"未完成的分段上传合计超过 {maximum} 字节上限，请先完成已有的上传",
            f"Unfinished resumable uploads would hold more than {maximum} bytes; finish those first",
        )
    return UploadQuotaExceeded(zh, en, extra={"limit": limit, "max": maximum, "current": current})


def _check_quota(
    store: PhotoStore, principal: Principal, upload_id: str, offset: int, chunk_len: int, quota: PartialQuota
) -> None:
    """Refuse a chunk that would open one partial too many or park too many bytes (429). Finished
    uploads free their share at once; stale ones when the worker expires them."""
    current = store.spool.partial_offset(upload_id)
    if offset != current:
        return  # a resent or misplaced chunk: the spool answers 409 with the offset to resume from
    count, total = store.spool.partials_usage(_upload_prefix(principal))
    if current == 0 and quota.max_open is not None and count >= quota.max_open:
        raise _quota_exceeded("open_partials", quota.max_open, count)
    if quota.max_bytes is not None and total + chunk_len > quota.max_bytes:
        raise _quota_exceeded("partial_bytes", quota.max_bytes, total)


def resumable_offset(store: PhotoStore, principal: Principal, photo_id: uuid.UUID) -> int:
    """Bytes of ``photo_id`` already received from this uploader (0 when none)."""
    return store.spool.partial_offset(_upload_id(principal, photo_id))


def append_photo_chunk(
    session: Session,
    store: PhotoStore,
    principal: Principal,
    photo_id: uuid.UUID,
    *,
    offset: int,
    chunk: bytes,
    sha256: str,
    complete: bool,
    max_bytes: int | None,
    max_pixels: int,
    links: EvidenceLinks,
    quota: PartialQuota = PartialQuota(None, None),
) -> tuple[int, PhotoUpload | None]:
    """Resumable upload: append ``chunk`` at ``offset`` (409 ``upload_offset_mismatch`` with
    ``current_offset`` otherwise; 429 ``upload_quota_exceeded`` past the uploader's ``quota``);
    with ``complete`` verify the whole hash and register the photo exactly like ``put_photo``.
    → (offset now, the upload when complete)."""
    sha256 = sha256.lower()
    existing = session.get(Photo, photo_id)
    if existing is not None:  # finished earlier; the phone lost the answer
        return existing.size_bytes, _existing(existing, principal, sha256)
    upload_id = _upload_id(principal, photo_id)
    if chunk:
        _check_quota(store, principal, upload_id, offset, len(chunk), quota)
    new_offset = store.spool.append_partial(upload_id, offset, chunk, max_bytes)
    if not complete:
        return new_offset, None
    stored = complete_partial(store, upload_id, sha256, max_bytes)
    try:
        info = _checked_image(original_source(store, stored.sha256), max_pixels)
    except PERMANENT_DERIVATIVE_ERRORS:
        # Includes any unexpected decoder failure (processing reports those as image_undecodable):
        # a clean 422 and nothing left behind, never a 500 the phone retries forever.
        _discard_refused(session, store, stored.sha256, stored.created)
        raise
    return stored.size, _register_original(
        session, principal, photo_id, stored.sha256, stored.size, info, lambda: stored, links
    )
