"""Notice copies: the photo with a text band (capture time, coordinates, and what the linked inspection
names), cached per text. Services never commit; PIL stays in ``processing`` (STYLE §4)."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from app.localtime import LOCAL_TZ
from app.photos import processing
from app.photos.derivatives import (
    PERMANENT_DERIVATIVE_ERRORS,
    DerivativeUnavailable,
    original_source,
)
from app.photos.evidence_links import EvidenceLinks, WatermarkContext
from app.photos.models import Photo
from app.photos.storage import PhotoStore

__all__ = ["render_watermarked", "watermark_lines_for"]


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
    session: Session,
    store: PhotoStore,
    photo: Photo,
    links: EvidenceLinks,
    *,
    max_pixels: int,
    context: WatermarkContext | None = None,
    font_path: str | None = None,
) -> bytes:
    """The notice copy for ``context`` (or the one the evidence feature gives), cached per text."""
    if photo.derivatives_state == "failed":
        raise DerivativeUnavailable(extra={"error_code": photo.derivatives_error, "photo_id": str(photo.id)})
    lines = watermark_lines_for(photo, context if context is not None else links.notice_context(session, photo))
    name = "wm-" + hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16] + ".jpg"
    if store.derivative_exists(photo.sha256, name):
        return store.read_derivative(photo.sha256, name)
    try:
        data = processing.make_watermarked(
            original_source(store, photo.sha256), lines, font_path=font_path, max_pixels=max_pixels
        )
    except PERMANENT_DERIVATIVE_ERRORS as exc:
        raise DerivativeUnavailable(extra={"error_code": exc.code, "photo_id": str(photo.id)}) from exc
    store.put_derivative(photo.sha256, name, data)
    return data
