"""Photo use cases: idempotent upload, scoped look-ups, derivatives, watermarks, gc.

Services take a ``Session`` and a ``PhotoStore`` and never commit (the route, CLI command
or worker loop owns the transaction). PIL stays in ``processing`` (STYLE §4).

Upload order (issue 5 §6, §8): stream the body to the store (temp file, fsync, link under
its hash, fsync dir) while hashing → hash verified → metadata read without decoding (plus a
decode proof when the file looks truncated) → ``INSERT … ON CONFLICT DO NOTHING`` → the
caller commits and answers. Derivatives come later (``process_next_pending`` in the worker,
or ``ensure_derivatives`` when a derivative is requested first). A crash between the store
write and the commit leaves an original without a row, which ``find_orphans`` reports.
"""
from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.principal import Principal
from app.errors import AppError, Conflict, NotFound
from app.localtime import LOCAL_TZ
from app.photos import processing
from app.photos.errors import ImageTooManyPixels, ImageUndecodable, UnsupportedImageFormat
from app.photos.evidence_links import EvidenceLinks, WatermarkContext
from app.photos.metadata import OriginalInfo
from app.photos.models import Photo
from app.photos.storage import FilesystemPhotoStore, PhotoStore, StoredOriginal
from app.vocabulary import SUPERVISING_ROLES

log = logging.getLogger(__name__)

__all__ = [
    "DISPLAY",
    "THUMBNAIL",
    "GcReport",
    "PhotoUpload",
    "can_view_photo",
    "ensure_derivatives",
    "find_orphans",
    "get_visible_photo",
    "delete_orphans",
    "open_derivative",
    "photo_view",
    "photo_store_from_config",
    "process_next_pending",
    "put_photo",
    "append_photo_chunk",
    "resumable_offset",
    "render_watermarked",
    "set_photo_scope",
    "watermark_lines_for",
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


# --------------------------------------------------------------------------- store


@runtime_checkable
class LocalPathStore(Protocol):
    """A store that can hand processing a local path instead of bytes (no copy in memory)."""

    def original_path(self, sha256: str) -> Path: ...


def photo_store_from_config(config: Any) -> PhotoStore:
    """The configured store: ``PHOTO_STORAGE=filesystem`` under PHOTO_ROOT, or ``s3`` in
    PHOTO_S3_BUCKET (PHOTO_S3_PREFIX, PHOTO_S3_ENDPOINT_URL, …; temp files and resumable
    partials then stay under PHOTO_ROOT). Credentials: boto3's own chain."""
    kind = config.get("PHOTO_STORAGE", "filesystem")
    if kind == "filesystem":
        return FilesystemPhotoStore(config["PHOTO_ROOT"])
    if kind == "s3":
        from app.photos.s3 import S3PhotoStore, s3_client

        client = s3_client(endpoint_url=config.get("PHOTO_S3_ENDPOINT_URL"),
                           addressing_style=config.get("PHOTO_S3_ADDRESSING_STYLE") or "auto",
                           region_name=config.get("PHOTO_S3_REGION"))
        return S3PhotoStore(client, config.get("PHOTO_S3_BUCKET") or "", prefix=config.get("PHOTO_S3_PREFIX") or "",
                            local_root=config["PHOTO_ROOT"],
                            conditional_put=bool(config.get("PHOTO_S3_CONDITIONAL_PUT", True)))
    raise RuntimeError(f"PHOTO_STORAGE={kind!r} is not supported ('filesystem' or 's3')")


def _source(store: PhotoStore, sha256: str) -> processing.Source:
    if isinstance(store, LocalPathStore):
        return store.original_path(sha256)
    return store.read_original(sha256)


# --------------------------------------------------------------------------- scope


def can_view_photo(principal: Principal, photo: Photo) -> bool:
    """The uploader, and supervisors/admins whose jurisdictions cover the photo's scope."""
    if principal.user_id == photo.uploader_id:
        return True
    if principal.role not in SUPERVISING_ROLES:
        return False
    return any(principal.covers(path) for path in photo.scope_paths)


def _run_arrival_hook(session: Session, links: EvidenceLinks, photo_id: uuid.UUID) -> None:
    # Never refuse an upload because the hook failed: it runs in a savepoint; a failure is logged and its
    # work is redone later (submission recomputes every link's flags).
    try:
        with session.begin_nested():
            links.on_arrival(session, photo_id)
    except Exception:  # noqa: BLE001 - the original is evidence: keep it whatever the hook does
        log.exception("photo %s: arrival hook failed", photo_id)


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


# --------------------------------------------------------------------------- upload


@dataclass(frozen=True)
class PhotoUpload:
    photo: Photo
    created: bool  # False: an idempotent repeat of an earlier PUT


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
        raise _uuid_taken(photo, sha256) if photo.uploader_id == principal.user_id else Conflict(
            "该照片编号已被占用；请生成新的编号。", "This photo id is taken; generate a new id.",
            code="photo_id_conflict", extra={"photo_id": str(photo.id)})
    return PhotoUpload(photo, created=False)


def _clip(value: str | None, length: int = 200) -> str | None:
    return value[:length] if value else value


def _row_values(photo_id: uuid.UUID, principal: Principal, sha256: str, size: int, info: OriginalInfo) -> dict[str, Any]:
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
    """Create photo ``photo_id`` from ``body`` (idempotent; issue 5 §6).

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

    stored = store.store_stream(body, sha256, max_bytes)
    return _register_original(session, store, principal, photo_id, stored, max_pixels, links)


def _register_original(session: Session, store: PhotoStore, principal: Principal, photo_id: uuid.UUID,
                       stored: StoredOriginal, max_pixels: int, links: EvidenceLinks) -> PhotoUpload:
    """The original is durable and its hash verified: read its metadata, insert the row."""
    sha256 = stored.sha256
    try:
        source = _source(store, sha256)
        info = processing.inspect_original(source, max_pixels=max_pixels)
        if info.suspect_truncated:
            # Refuse a broken file while the phone still has it (a retry may fix it).
            processing.verify_decodes(source, max_pixels=max_pixels)
    except PERMANENT_DERIVATIVE_ERRORS:
        _discard_refused(session, store, sha256, stored.created)
        raise

    values = _row_values(photo_id, principal, sha256, stored.size, info)
    inserted = session.execute(
        insert(Photo).values(**values).on_conflict_do_nothing(index_elements=[Photo.id]).returning(Photo.id)
    ).scalar_one_or_none()
    if inserted is None:
        # A parallel PUT of the same id committed first (ON CONFLICT waited for it).
        session.expire_all()
        winner = session.get(Photo, photo_id)
        if winner is None:  # pragma: no cover - the conflicting row cannot vanish (no DELETE)
            raise Conflict(code="photo_id_conflict")
        return _existing(winner, principal, sha256)
    photo = session.get(Photo, photo_id)
    assert photo is not None
    record_audit(
        session, "photo.create", "photo", photo_id,
        after={"sha256": sha256, "size_bytes": stored.size, "uploader_id": principal.user_id,
               "format": info.format, "original_was_new": stored.created},
    )
    _run_arrival_hook(session, links, photo_id)
    session.refresh(photo)
    return PhotoUpload(photo, created=True)


# --------------------------------------------------------------------------- resumable upload


def _upload_id(principal: Principal, photo_id: uuid.UUID) -> str:
    # One partial per (uploader, photo id): another user cannot append to it.
    return f"u{principal.user_id}-{photo_id.hex}"


def resumable_offset(store: PhotoStore, principal: Principal, photo_id: uuid.UUID) -> int:
    """Bytes of ``photo_id`` already received from this uploader (0 when none)."""
    return store.partial_offset(_upload_id(principal, photo_id))


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
) -> tuple[int, PhotoUpload | None]:
    """Resumable upload: append ``chunk`` at ``offset`` (409 ``upload_offset_mismatch`` with
    ``current_offset`` otherwise); with ``complete`` verify the whole hash and register the
    photo exactly like ``put_photo``. → (offset now, the upload when complete)."""
    sha256 = sha256.lower()
    existing = session.get(Photo, photo_id)
    if existing is not None:  # finished earlier; the phone lost the answer
        return existing.size_bytes, _existing(existing, principal, sha256)
    upload_id = _upload_id(principal, photo_id)
    new_offset = store.append_partial(upload_id, offset, chunk, max_bytes)
    if not complete:
        return new_offset, None
    stored = store.complete_partial(upload_id, sha256, max_bytes)
    return stored.size, _register_original(session, store, principal, photo_id, stored, max_pixels, links)


# --------------------------------------------------------------------------- derivatives


def _make_and_store(session: Session, store: PhotoStore, photo: Photo, max_pixels: int) -> tuple[int, int]:
    """Make display + thumbnail, or reuse those already made for identical bytes → display size."""
    if store.derivative_exists(photo.sha256, DISPLAY) and store.derivative_exists(photo.sha256, THUMBNAIL):
        done = session.execute(
            select(Photo.display_width, Photo.display_height)
            .where(Photo.sha256 == photo.sha256, Photo.derivatives_state == "ready",
                   Photo.display_width.is_not(None), Photo.display_height.is_not(None))
            .limit(1)
        ).first()
        if done is not None:
            return done[0], done[1]
    result = processing.make_derivatives(_source(store, photo.sha256), max_pixels=max_pixels)
    store.put_derivative(photo.sha256, THUMBNAIL, result.thumbnail)
    store.put_derivative(photo.sha256, DISPLAY, result.display)  # last: its presence means "both done"
    return result.display_size


def _run_derivatives(session: Session, store: PhotoStore, photo: Photo, max_pixels: int) -> None:
    """Make the derivatives of a row locked by the caller and record the outcome."""
    now = datetime.now(timezone.utc)
    photo.derivatives_attempts = (photo.derivatives_attempts or 0) + 1
    photo.derivatives_updated_at = now
    try:
        photo.display_width, photo.display_height = _make_and_store(session, store, photo, max_pixels)
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


def process_next_pending(session: Session, store: PhotoStore, *, max_pixels: int,
                         skip: set[uuid.UUID] | None = None) -> Photo | None:
    """Worker step: lock the oldest pending photo nobody else holds (``FOR UPDATE SKIP
    LOCKED``), make its derivatives, record the state. None when the queue is empty.
    The caller commits (one photo per transaction keeps row locks short)."""
    query = (
        select(Photo)
        .where(Photo.derivatives_state == "pending")
        .order_by(Photo.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if skip:
        query = query.where(Photo.id.not_in(skip))
    photo = session.scalars(query).first()
    if photo is None:
        return None
    _run_derivatives(session, store, photo, max_pixels)
    return photo


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
            "预览图暂时无法生成，请稍后重试", "The derivative could not be made now; try again later",
            code="derivative_retry_later", extra={"photo_id": str(locked.id)})
    return locked


def open_derivative(session: Session, store: PhotoStore, photo: Photo, name: str, *, max_pixels: int) -> bytes:
    """Bytes of ``display.jpg`` / ``thumb.jpg``, made now if the worker has not yet."""
    ensure_derivatives(session, store, photo, max_pixels=max_pixels)
    return store.read_derivative(photo.sha256, name)


# --------------------------------------------------------------------------- watermark + flags


def _fmt_taken(photo: Photo) -> str:
    taken = photo.taken_at
    if taken is None:
        return "拍摄时间：未记录 / Taken: unknown"
    if taken.tzinfo is None:
        return f"拍摄时间 / Taken: {taken.strftime('%Y-%m-%d %H:%M:%S')}（相机本地时间 / camera local time）"
    # People read the notice: show the instant in Beijing time, whatever offset the camera used.
    local = taken.astimezone(LOCAL_TZ)
    return f"拍摄时间 / Taken: {local.strftime('%Y-%m-%d %H:%M:%S')} 北京时间 / Beijing time (UTC+8)"


def watermark_lines_for(photo: Photo, context: WatermarkContext | None = None) -> list[str]:
    """Text band of the notice copy: capture time and coordinates always; site, address,
    officers and inspection when the linked inspection supplies them."""
    lines = [_fmt_taken(photo)]
    lon_lat = photo.lon_lat
    if lon_lat is None:
        lines.append(f"坐标：无定位（{photo.gps_problem or 'missing'}）/ GPS: none")
    else:
        lon, lat = lon_lat
        acc = f" ±{photo.gps_accuracy_m:.0f} m" if photo.gps_accuracy_m is not None else ""
        lines.append(f"坐标 / GPS (WGS-84): {lat:.6f}, {lon:.6f}{acc}")
    if context is not None:
        if context.site_name:
            lines.append(f"检查对象 / Site: {context.site_name}")
        if context.site_address:
            lines.append(f"地址 / Address: {context.site_address}")
        if context.officers:
            lines.append(f"执法人员 / Officers: {'、'.join(context.officers)}")
        if context.inspection_ref:
            lines.append(f"检查编号 / Inspection: {context.inspection_ref}")
        lines.extend(context.extra_lines)
    lines.append(f"照片 / Photo: {photo.id}  SHA-256: {photo.sha256[:16]}…")
    return lines


def render_watermarked(
    session: Session, store: PhotoStore, photo: Photo, links: EvidenceLinks, *, max_pixels: int,
    context: WatermarkContext | None = None, font_path: str | None = None,
) -> bytes:
    """The notice copy for ``context`` (or the one the evidence feature gives), cached per text."""
    if photo.derivatives_state == "failed":
        raise DerivativeUnavailable(extra={"error_code": photo.derivatives_error, "photo_id": str(photo.id)})
    lines = watermark_lines_for(photo, context if context is not None else links.notice_context(session, photo))
    name = "wm-" + hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16] + ".jpg"
    if store.derivative_exists(photo.sha256, name):
        return store.read_derivative(photo.sha256, name)
    try:
        data = processing.make_watermarked(_source(store, photo.sha256), lines, font_path=font_path,
                                           max_pixels=max_pixels)
    except PERMANENT_DERIVATIVE_ERRORS as exc:
        raise DerivativeUnavailable(extra={"error_code": exc.code, "photo_id": str(photo.id)}) from exc
    store.put_derivative(photo.sha256, name, data)
    return data


# --------------------------------------------------------------------------- gc


@dataclass
class GcReport:
    originals_without_rows: list[str] = field(default_factory=list)
    rows_without_originals: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    derivatives_without_rows: list[tuple[str, str]] = field(default_factory=list)
    temp_leftovers: list[str] = field(default_factory=list)
    stale_partials: list[tuple[str, int]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.originals_without_rows or self.rows_without_originals or self.derivatives_without_rows
                    or self.temp_leftovers or self.stale_partials)

    def lines(self) -> list[str]:
        out = [
            f"originals without a row: {len(self.originals_without_rows)}",
            *(f"  orphan original {sha}" for sha in self.originals_without_rows),
            f"rows without an original (EVIDENCE MISSING): {len(self.rows_without_originals)}",
            *(f"  photo {pid} expects {sha}" for pid, sha in self.rows_without_originals),
            f"derivatives without a row: {len(self.derivatives_without_rows)}",
            *(f"  orphan derivative {sha}/{name}" for sha, name in self.derivatives_without_rows),
            f"temp leftovers: {len(self.temp_leftovers)}",
            *(f"  temp {path}" for path in self.temp_leftovers),
            f"stale partial uploads: {len(self.stale_partials)}",
            *(f"  partial {uid} ({size} bytes)" for uid, size in self.stale_partials),
        ]
        return out


def _old_enough(store: PhotoStore, sha256: str, min_age: timedelta) -> bool:
    """Skip originals younger than ``min_age``: an upload may be between publish and commit."""
    if not min_age:
        return True
    mtime = store.original_modified_at(sha256)
    if mtime is None:  # deleted meanwhile
        return False
    return datetime.now(timezone.utc).timestamp() - mtime >= min_age.total_seconds()


def find_orphans(session: Session, store: PhotoStore, *, min_age: timedelta = timedelta(hours=1),
                 partial_age: timedelta = timedelta(days=7)) -> GcReport:
    """Files and rows that disagree (issue 5 §8), plus crash leftovers. Reads only."""
    referenced = set(session.scalars(select(Photo.sha256).distinct()))
    report = GcReport()
    on_disk: set[str] = set()
    for sha in store.iter_originals():
        on_disk.add(sha)
        if sha not in referenced and _old_enough(store, sha, min_age):
            report.originals_without_rows.append(sha)
    missing = referenced - on_disk
    if missing:
        report.rows_without_originals = [
            (pid, sha) for pid, sha in session.execute(
                select(Photo.id, Photo.sha256).where(Photo.sha256.in_(missing)).order_by(Photo.created_at))
        ]
    # Derivatives are only made for committed rows, so no grace period is needed here.
    report.derivatives_without_rows = [(sha, name) for sha, name in store.iter_derivatives() if sha not in referenced]
    report.temp_leftovers = [str(p) for p in store.iter_temp_leftovers(min_age)]
    report.stale_partials = list(store.iter_partials(partial_age))
    return report


def delete_orphans(store: PhotoStore, report: GcReport) -> int:
    """Delete the files a report lists (never rows: rows are evidence). → files removed."""
    removed = 0
    for sha in report.originals_without_rows:
        store.delete_original(sha)
        removed += 1
    for sha, name in report.derivatives_without_rows:
        store.delete_derivative(sha, name)
        removed += 1
    for path in report.temp_leftovers:
        Path(path).unlink(missing_ok=True)
        removed += 1
    for upload_id, _ in report.stale_partials:
        store.abort_partial(upload_id)
        removed += 1
    return removed


@dataclass(frozen=True)
class PhotoView:
    """A photo plus what other features know about it (evidence flags), for the schema."""

    photo: Photo
    flags: list[dict[str, Any]] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.photo, name)


def photo_view(session: Session, principal: Principal, photo: Photo, links: EvidenceLinks) -> PhotoView:
    """The photo with the evidence flags ``principal`` may see, for PhotoSchema."""
    return PhotoView(photo, links.flags(session, photo, principal))
