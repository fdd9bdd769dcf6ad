"""PURE evidence checks on a photo. No PIL, no Flask, no SQLAlchemy.

Flags inform the supervisor's review; they never block an upload.
The caller supplies what needs the database: the PostGIS geography distance between the
photo's GPS point and the site (``ST_Distance(geography, geography)``), the site kind's
distance limit, the inspection window and whether the same hash is linked to another
inspection.

Codes (stable):

- ``no_gps``              no usable GPS position (absent, malformed, no hemisphere,
                          void, or exactly 0,0 "null island"); ``details.reason`` says which.
- ``far_from_site``       photo GPS farther than ``max_distance_m`` from the site
                          (N per site kind, default 300 m).
- ``time_outside_window`` capture time before ``window_start - tolerance`` or after
                          ``window_end + tolerance``.
- ``no_capture_time``     (added) no readable EXIF capture time, so the window cannot be checked.
- ``reused_photo``        the same original (hash) is linked to another inspection.
- ``edited_by_software``  see below.

``edited_by_software`` — decision:

1. The EXIF Software tag names an editing application (``EDITOR_SIGNATURES``: Photoshop,
   Lightroom, Adobe Bridge/Camera Raw, GIMP, Snapseed, 美图秀秀/Meitu, 醒图, PicsArt, VSCO,
   …). Phones write their firmware version there ("14.4.2", "fw 05.15 …") and transfer
   tools ("Nikon Transfer") write their name; neither is an editor, so a bare non-empty
   Software tag is *not* enough.
2. Or IFD0 DateTime (last change) is later than DateTimeOriginal by more than
   ``modified_tolerance`` (default 60 s — our own choice, no plan gives a number;
   configurable). Cameras and phones write the two equal; a later DateTime means some
   program rewrote the file. This also catches copy tools such as Nikon Transfer, which
   do rewrite EXIF — correct for "EXIF edited by software", and ``details.reasons``
   tells the supervisor which rule fired.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol

from app.localtime import LOCAL_TZ
from app.photos.metadata import GpsFix

__all__ = [
    "DEFAULT_MAX_DISTANCE_M",
    "DEFAULT_MODIFIED_TOLERANCE",
    "EDITOR_SIGNATURES",
    "Flag",
    "PhotoMeta",
    "edited_by_software_reasons",
    "evidence_flags",
]

DEFAULT_MAX_DISTANCE_M = 300.0  # default 300 m, configurable per site kind
DEFAULT_MODIFIED_TOLERANCE = timedelta(seconds=60)  # our choice; no source gives one
DEFAULT_NAIVE_TZ = LOCAL_TZ  # EXIF without OffsetTime*: assume China time

# Case-insensitive substrings of the EXIF Software tag that name an image editor.
EDITOR_SIGNATURES: tuple[str, ...] = (
    "photoshop",
    "lightroom",
    "adobe",  # Bridge, Camera Raw, Express: all rewrite metadata
    "gimp",
    "snapseed",
    "meitu",
    "美图",
    "醒图",
    "xingtu",
    "picsart",
    "vsco",
    "pixelmator",
    "affinity photo",
    "paint.net",
    "acdsee",
    "picasa",
    "facetune",
    "beautycam",
    "美颜",
    "黄油相机",
    "polarr",
    "exiftool",
    "exiv2",
)

_GPS_REASON_TEXT = {
    "missing": ("照片未记录定位信息", "the photo has no GPS position"),
    "malformed": ("照片定位数据格式异常", "the photo's GPS data is malformed"),
    "bad_ref": ("照片定位缺少南北纬/东西经标识", "the photo's GPS lacks the N/S or E/W reference"),
    "null_island": ("照片定位为 0,0（未定位）", "the photo's GPS is exactly 0,0 (no fix)"),
    "void": ("照片定位状态为无效", "the photo's GPS status is void"),
}


class PhotoMeta(Protocol):
    """What the checks read; ``metadata.OriginalInfo`` satisfies it, and so can a DB row."""

    @property
    def taken_at(self) -> datetime | None: ...

    @property
    def modified_at(self) -> datetime | None: ...

    @property
    def gps(self) -> GpsFix | None: ...

    @property
    def gps_problem(self) -> str | None: ...

    @property
    def software(self) -> str | None: ...


@dataclass(frozen=True)
class Flag:
    code: str
    message_zh: str
    message_en: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "details": self.details,
        }


def _aware(dt: datetime, assume_tz: tzinfo) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=assume_tz)


def edited_by_software_reasons(
    software: str | None,
    taken_at: datetime | None,
    modified_at: datetime | None,
    *,
    modified_tolerance: timedelta | None = DEFAULT_MODIFIED_TOLERANCE,
) -> list[dict[str, Any]]:
    """The reasons (possibly none) to believe an editor rewrote the file."""
    reasons: list[dict[str, Any]] = []
    if software:
        lowered = software.lower()
        hit = next((sig for sig in EDITOR_SIGNATURES if sig in lowered), None)
        if hit:
            reasons.append({"rule": "software_tag", "software": software, "matched": hit})
    if modified_tolerance is not None and taken_at is not None and modified_at is not None:
        # DateTime has no offset tag of its own in most files: compare as wall times.
        delta = modified_at.replace(tzinfo=None) - taken_at.replace(tzinfo=None)
        if delta > modified_tolerance:
            reasons.append(
                {
                    "rule": "modified_after_capture",
                    "taken_at": taken_at.isoformat(),
                    "modified_at": modified_at.isoformat(),
                    "seconds_after": int(delta.total_seconds()),
                }
            )
    return reasons


def _position_flag(photo_meta: PhotoMeta, site_distance_m: float | None, max_distance_m: float) -> Flag | None:
    if photo_meta.gps is None:
        reason = photo_meta.gps_problem or "missing"
        zh, en = _GPS_REASON_TEXT.get(reason, _GPS_REASON_TEXT["malformed"])
        return Flag("no_gps", zh, en, {"reason": reason})
    if site_distance_m is None or site_distance_m <= max_distance_m:
        return None
    return Flag(
        "far_from_site",
        f"照片拍摄位置距检查对象约 {site_distance_m:.0f} 米，超过 {max_distance_m:.0f} 米",
        f"photo taken about {site_distance_m:.0f} m from the site (limit {max_distance_m:.0f} m)",
        {
            "distance_m": round(site_distance_m, 1),
            "max_distance_m": max_distance_m,
            "lat": photo_meta.gps.lat,
            "lon": photo_meta.gps.lon,
            "accuracy_m": photo_meta.gps.accuracy_m,
        },
    )


def _time_flag(
    taken: datetime | None, window_start: datetime, window_end: datetime, tolerance: timedelta, assume_tz: tzinfo
) -> Flag | None:
    if taken is None:
        return Flag("no_capture_time", "照片未记录拍摄时间", "the photo has no capture time")
    naive = taken.tzinfo is None
    taken_aware = _aware(taken, assume_tz)
    lo, hi = window_start - tolerance, window_end + tolerance
    if lo <= taken_aware <= hi:
        return None
    details: dict[str, Any] = {
        "taken_at": taken_aware.isoformat(),
        "window_start": window_start.isoformat(),
        "window_end": window_end.isoformat(),
        "tolerance_s": int(tolerance.total_seconds()),
        "timezone_assumed": naive,
    }
    if naive:
        details["assumed_tz"] = str(assume_tz)
    before = taken_aware < lo
    return Flag(
        "time_outside_window",
        "照片拍摄时间早于本次检查" if before else "照片拍摄时间晚于本次检查",
        "photo taken before the inspection" if before else "photo taken after the inspection",
        details,
    )


def _reuse_flag(reused_in_other_inspection: bool, other_inspections: Sequence[str]) -> Flag | None:
    if not reused_in_other_inspection:
        return None
    return Flag(
        "reused_photo",
        "同一张照片已用于其他检查",
        "the same photo is linked to another inspection",
        {"other_inspections": list(other_inspections)},
    )


def _editing_flag(photo_meta: PhotoMeta, modified_tolerance: timedelta | None) -> Flag | None:
    reasons = edited_by_software_reasons(
        photo_meta.software, photo_meta.taken_at, photo_meta.modified_at, modified_tolerance=modified_tolerance
    )
    if not reasons:
        return None
    return Flag(
        "edited_by_software",
        "照片元数据显示曾被软件编辑",
        "photo metadata shows it was edited by software",
        {"reasons": reasons},
    )


def evidence_flags(
    photo_meta: PhotoMeta,
    *,
    site_distance_m: float | None,
    max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    window_start: datetime,
    window_end: datetime,
    tolerance: timedelta,
    reused_in_other_inspection: bool,
    other_inspections: Sequence[str] = (),
    assume_tz: tzinfo = DEFAULT_NAIVE_TZ,
    modified_tolerance: timedelta | None = DEFAULT_MODIFIED_TOLERANCE,
) -> list[Flag]:
    """Evidence flags for one photo linked to one inspection: position, capture time, reuse, editing.

    ``site_distance_m``: PostGIS geography distance photo GPS ↔ site, computed by the
    caller; None when there is no GPS or no site geometry (no ``far_from_site`` then).
    ``window_start``/``window_end``: aware datetimes of the inspection (client start/end).
    ``tolerance``: allowed slack either side; required because no plan gives a value.
    A naive EXIF time (no OffsetTimeOriginal) is read in ``assume_tz`` (Asia/Shanghai).
    """
    if window_start.tzinfo is None or window_end.tzinfo is None:
        raise ValueError("window_start and window_end must be timezone-aware")
    flags = [
        _position_flag(photo_meta, site_distance_m, max_distance_m),
        _time_flag(photo_meta.taken_at, window_start, window_end, tolerance, assume_tz),
        _reuse_flag(reused_in_other_inspection, other_inspections),
        _editing_flag(photo_meta, modified_tolerance),
    ]
    return [flag for flag in flags if flag is not None]
