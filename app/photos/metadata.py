"""PURE photo metadata: dataclasses and EXIF value parsing (no PIL).

``processing`` reads raw tag values with Pillow and hands them to the parsers here, so
the fiddly parts (DMS → decimal, hemisphere refs, 0/0 rationals, garbage dates) are
unit-testable with plain numbers, and ``evidence`` can use the dataclasses without
importing PIL.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

__all__ = [
    "GPS_BAD_REF",
    "GPS_MALFORMED",
    "GPS_MISSING",
    "GPS_NULL_ISLAND",
    "GPS_VOID",
    "GpsFix",
    "GpsResult",
    "OriginalInfo",
    "clean_text",
    "dms_to_decimal",
    "parse_exif_datetime",
    "parse_exif_offset",
    "parse_gps",
]

# Reasons why a photo has no usable GPS fix (OriginalInfo.gps_problem).
GPS_MISSING = "missing"  # no GPS IFD, or no latitude/longitude in it
GPS_MALFORMED = "malformed"  # values present but not a valid coordinate
GPS_BAD_REF = "bad_ref"  # N/S or E/W reference missing or not one of those letters
GPS_NULL_ISLAND = "null_island"  # exactly 0,0: phones write it when they had no fix
GPS_VOID = "void"  # GPSStatus = 'V' (measurement void)


@dataclass(frozen=True)
class GpsFix:
    """A WGS-84 position read from EXIF (EXIF GPS is WGS-84 by definition; ``datum``
    records what the camera claims in GPSMapDatum)."""

    lat: float
    lon: float
    accuracy_m: float | None = None  # GPSHPositioningError, when the phone wrote it
    datum: str | None = None
    time_utc: datetime | None = None  # GPSDateStamp + GPSTimeStamp (UTC by definition)
    notes: tuple[str, ...] = ()  # e.g. ("nan_component_ignored",)


@dataclass(frozen=True)
class GpsResult:
    fix: GpsFix | None
    problem: str | None


@dataclass(frozen=True)
class OriginalInfo:
    """What a cheap look at an original (no pixel decode) tells us."""

    format: str  # "JPEG" | "PNG" | "WEBP" | "HEIF" (detected from content)
    mime: str
    width: int  # as stored, before orientation
    height: int
    orientation: int | None  # raw EXIF Orientation (1–8; 0/other values are invalid → treated as 1)
    taken_at: datetime | None  # aware if OffsetTime* was present, else naive camera-local time
    taken_at_source: str | None  # "DateTimeOriginal" | "DateTimeDigitized" | None
    modified_at: datetime | None  # IFD0 DateTime (last metadata/file change by the camera or an app)
    gps: GpsFix | None
    gps_problem: str | None  # one of GPS_* when gps is None; None when gps is set
    make: str | None
    model: str | None
    software: str | None
    exif_problem: str | None = None  # "unreadable" when the EXIF block could not be parsed
    suspect_truncated: bool = False  # cheap structural hint; only a decode proves it

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def oriented_size(self) -> tuple[int, int]:
        """(width, height) as a viewer shows it after applying the orientation."""
        if self.orientation in (5, 6, 7, 8):
            return self.height, self.width
        return self.width, self.height

    @property
    def taken_at_is_naive(self) -> bool:
        """True when the capture time has no UTC offset (camera-local wall time)."""
        return self.taken_at is not None and self.taken_at.tzinfo is None


def clean_text(value: Any) -> str | None:
    """EXIF ASCII → stripped str; bytes decoded leniently; empty/NUL-only → None."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value or None


def _to_float(value: Any) -> float | None:
    try:
        f = float(value)  # IFDRational, int, float; 0/0 rationals give nan
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return f


def dms_to_decimal(value: Any, max_degrees: float) -> tuple[float | None, tuple[str, ...]]:
    """(degrees, minutes, seconds) rationals → unsigned decimal degrees.

    Accepts 1–3 components (some writers put the fraction in the minutes and leave
    seconds 0 or 0/0). A NaN minutes/seconds component (a 0/0 rational, e.g. the Nikon
    D5000 sample) is ignored and noted; NaN/infinite degrees, negative components,
    minutes/seconds ≥ 60 or a result beyond ``max_degrees`` → None.
    """
    if not isinstance(value, (tuple, list)) or not 1 <= len(value) <= 3:
        return None, ()
    parts = [_to_float(v) for v in value]
    if any(p is None for p in parts):
        return None, ()
    notes: list[str] = []
    degrees = parts[0]
    assert degrees is not None
    if not math.isfinite(degrees) or degrees < 0:
        return None, ()
    total = degrees
    for divisor, part in zip((60.0, 3600.0), parts[1:]):
        assert part is not None
        if math.isnan(part):
            notes.append("nan_component_ignored")
            continue
        if not math.isfinite(part) or part < 0 or part >= 60:
            return None, ()
        total += part / divisor
    if total > max_degrees:
        return None, ()
    return total, tuple(notes)


def _ref(value: Any, allowed: str) -> str | None:
    text = clean_text(value)
    if text is None:
        return None
    text = text.upper()[:1]
    return text if text in allowed else None


def parse_gps(gps_ifd: dict[int, Any] | None) -> GpsResult:
    """GPS IFD (tag number → raw value) → a WGS-84 fix, or None with the reason."""
    if not gps_ifd:
        return GpsResult(None, GPS_MISSING)
    lat_raw, lon_raw = gps_ifd.get(2), gps_ifd.get(4)
    if lat_raw is None or lon_raw is None:
        # A latitude alone (or garbage such as the 4294967295 of Pillow's exif_gps.jpg
        # without any longitude) is not a position.
        return GpsResult(None, GPS_MISSING if lat_raw is None and lon_raw is None else GPS_MALFORMED)
    lat, lat_notes = dms_to_decimal(lat_raw, 90.0)
    lon, lon_notes = dms_to_decimal(lon_raw, 180.0)
    if lat is None or lon is None:
        return GpsResult(None, GPS_MALFORMED)
    lat_ref, lon_ref = _ref(gps_ifd.get(1), "NS"), _ref(gps_ifd.get(3), "EW")
    if lat_ref is None or lon_ref is None:
        # Without the hemisphere the point may be on the wrong side of the globe.
        return GpsResult(None, GPS_BAD_REF)
    if _ref(gps_ifd.get(9), "AV") == "V":
        return GpsResult(None, GPS_VOID)
    if lat == 0.0 and lon == 0.0:
        return GpsResult(None, GPS_NULL_ISLAND)
    if lat_ref == "S":
        lat = -lat
    if lon_ref == "W":
        lon = -lon
    accuracy = _to_float(gps_ifd.get(31)) if gps_ifd.get(31) is not None else None
    if accuracy is not None and (not math.isfinite(accuracy) or accuracy < 0):
        accuracy = None
    fix = GpsFix(
        lat=lat,
        lon=lon,
        accuracy_m=accuracy,
        datum=clean_text(gps_ifd.get(18)),
        time_utc=_gps_time(gps_ifd.get(29), gps_ifd.get(7)),
        notes=tuple(dict.fromkeys(lat_notes + lon_notes)),
    )
    return GpsResult(fix, None)


def _gps_time(date_stamp: Any, time_stamp: Any) -> datetime | None:
    day = parse_exif_datetime(f"{clean_text(date_stamp)} 00:00:00") if clean_text(date_stamp) else None
    if day is None or not isinstance(time_stamp, (tuple, list)) or len(time_stamp) != 3:
        return None
    h, m, s = (_to_float(v) for v in time_stamp)
    if h is None or m is None or s is None:
        return None
    if any(not math.isfinite(v) or v < 0 for v in (h, m, s)):
        return None
    if h >= 24 or m >= 60 or s >= 61:
        return None
    return day.replace(tzinfo=UTC) + timedelta(hours=h, minutes=m, seconds=s)


_EXIF_DT = re.compile(r"^\s*(\d{4})[:\-/](\d{2})[:\-/](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$")


def parse_exif_datetime(value: Any) -> datetime | None:
    """'YYYY:MM:DD HH:MM:SS' → naive datetime; blanks, zeros and garbage
    ('1999:99:99 99:99:99', '0000:00:00 00:00:00') → None."""
    text = clean_text(value)
    if text is None:
        return None
    m = _EXIF_DT.match(text)
    if not m:
        return None
    try:
        year, month, day, hour, minute, second = (int(g) for g in m.groups())
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def parse_exif_offset(value: Any) -> timezone | None:
    """OffsetTime* '+08:00' / '-05:00' → timezone; anything else → None."""
    text = clean_text(value)
    if text is None:
        return None
    m = _OFFSET.match(text)
    if not m:
        return None
    sign, hh, mm = m.groups()
    minutes = int(hh) * 60 + int(mm)
    if int(hh) > 14 or int(mm) >= 60:
        return None
    return timezone(timedelta(minutes=-minutes if sign == "-" else minutes))
