"""Marshmallow fields for the HTTP edge: GeoJSON geometries, coordinate systems, ``lon,lat`` pairs, bboxes."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from app.errors import ValidationFailed
from app.geo.crs import CRS_CHOICES, parse_crs

# RFC 7946 §12: the media type of GeoJSON bodies, in and out.
GEOJSON_MIMETYPE = "application/geo+json"


class GeoJSONGeometry(ma.fields.Dict):
    """A GeoJSON geometry object (shape only: ``type`` and ``coordinates``; services check the rest)."""

    def __init__(self, types: tuple[str, ...] = ("Point", "LineString"), **kwargs: Any) -> None:
        self.types = types
        kwargs.setdefault("metadata", {})
        kwargs["metadata"].setdefault("description", f"GeoJSON geometry ({' | '.join(types)}), [lon, lat] in `crs`")
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any]:
        out = super()._deserialize(value, attr, data, **kwargs)
        if out.get("type") not in self.types:
            raise ma.ValidationError(f"Geometry type must be one of {', '.join(self.types)}.")
        if not isinstance(out.get("coordinates"), list):
            raise ma.ValidationError("Geometry coordinates must be an array.")
        return out


class Crs(ma.fields.String):
    """``wgs84`` (default) | ``gcj02`` | ``bd09``, case-insensitive, hyphens allowed."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("load_default", "wgs84")
        kwargs.setdefault(
            "metadata", {"description": "wgs84 (GPS) | gcj02 (Gaode/Tencent) | bd09 (Baidu)", "enum": list(CRS_CHOICES)}
        )
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_crs(raw)
        except ValidationFailed as exc:
            raise ma.ValidationError(f"Must be one of: {', '.join(CRS_CHOICES)}.") from exc


class NumberList(ma.fields.String):
    """Comma-separated numbers in the query string, e.g. ``near=113.2,35.2`` or a 4-number bbox."""

    def __init__(self, count: int, **kwargs: Any) -> None:
        self.count = count
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[float, ...]:
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            numbers = tuple(float(p) for p in raw.split(","))
        except ValueError as exc:
            raise ma.ValidationError(f"Expected {self.count} comma-separated numbers.") from exc
        if len(numbers) != self.count or any(n != n or n in (float("inf"), float("-inf")) for n in numbers):
            raise ma.ValidationError(f"Expected {self.count} comma-separated numbers.")
        return numbers
