"""Checking, repairing and normalising one Polygon/MultiPolygon of an imported feature.

Pure module: no Flask, no SQLAlchemy.

* rejected: missing or empty geometry; a type other than Polygon/MultiPolygon; positions
  that are not 2 or 3 numbers or are nested at the wrong depth ("wrong dimension");
  coordinates outside ±180/±90 or not finite; rings with fewer than 4 positions; rings
  whose last position differs from the first (unclosed); an invalid geometry that
  ``shapely.make_valid`` cannot turn into a polygonal geometry of non-zero area.
* repaired, with a notice: an invalid geometry (bow-tie, self-touching ring, overlapping
  parts …) that ``make_valid`` turns into a (Multi)Polygon of non-zero area. The notice
  quotes ``explain_validity`` and says when non-areal leftovers (lines, points) were dropped.
* normalised: every geometry becomes a MultiPolygon, exterior rings counter-clockwise
  (RFC 7946 §3.1.6), altitudes dropped (with a notice).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.polygon import orient
from shapely.validation import explain_validity

from app.errors import FieldError
from app.geo.crs import WGS84, parse_crs, to_wgs84

Ring = list[tuple[float, float]]


@dataclass
class GeometryCheck:
    """Result of ``validate_geometry``: a WGS-84 MultiPolygon (None when rejected)."""

    geometry: dict[str, Any] | None
    repaired: bool = False
    errors: list[FieldError] = field(default_factory=list)
    notices: list[FieldError] = field(default_factory=list)


class _Reject(Exception):
    def __init__(self, error: FieldError) -> None:
        self.error = error


def is_number(v: Any) -> bool:
    """A JSON number (bools are not numbers here)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def validate_geometry(geometry: Any, *, path: str = "geometry", crs: str = WGS84) -> GeometryCheck:
    """Check one Polygon/MultiPolygon given in ``crs``; the result is always WGS-84."""
    crs = parse_crs(crs)
    notes: set[str] = set()
    try:
        polygons = _structural_polygons(geometry, path, notes)
    except _Reject as r:
        return GeometryCheck(None, errors=[r.error])
    notices: list[FieldError] = []
    if "altitude" in notes:
        notices.append(
            FieldError(
                path, "altitude_dropped", "已忽略高程（第三个坐标值）", "Altitudes (third ordinate) were dropped"
            )
        )

    def conv(p: tuple[float, float]) -> tuple[float, float]:
        return to_wgs84(p[0], p[1], crs) if crs != WGS84 else p

    shp = MultiPolygon(
        [Polygon([conv(p) for p in poly[0]], [[conv(p) for p in r] for r in poly[1:]]) for poly in polygons]
    )
    repaired = False
    if not shp.is_valid:
        fixed, message = _repair(shp, path)
        if fixed is None:
            return GeometryCheck(None, errors=[message], notices=notices)
        notices.append(message)
        shp, repaired = fixed, True
    elif shp.area <= 0:
        return GeometryCheck(
            None,
            errors=[FieldError(path, "geometry_empty", "几何图形面积为零", "The geometry has zero area")],
            notices=notices,
        )
    shp = MultiPolygon([orient(p, sign=1.0) for p in shp.geoms])
    gj = {"type": "MultiPolygon", "coordinates": _lists(mapping(shp)["coordinates"])}
    return GeometryCheck(gj, repaired, [], notices)


def _repair(shp: MultiPolygon, path: str) -> tuple[MultiPolygon | None, FieldError]:
    """``make_valid`` an invalid shape: the repaired shape and its notice, or None and the rejection."""
    reason = explain_validity(shp)
    fixed = shapely.make_valid(shp)
    parts = _polygonal_parts(fixed)
    result = MultiPolygon(parts) if parts else None
    if result is None or result.is_empty or result.area <= 0:
        return None, FieldError(
            path,
            "geometry_unrepairable",
            f"几何图形无效且无法修复为有面积的面：{reason}",
            f"Invalid geometry that cannot be repaired into a polygon with area: {reason}",
        )
    dropped = _has_non_areal(fixed)
    extra_zh = "；已丢弃修复产生的线、点部分" if dropped else ""
    extra_en = "; line/point leftovers of the repair were dropped" if dropped else ""
    return result, FieldError(
        path,
        "geometry_repaired",
        f"几何图形无效（{reason}），已自动修复为 {len(parts)} 个面{extra_zh}",
        f"Invalid geometry ({reason}) repaired into {len(parts)} polygon(s){extra_en}",
    )


def _check_position(pos: Any, path: str, notes: set[str]) -> tuple[float, float]:
    if not isinstance(pos, list) or not all(is_number(v) for v in pos):
        raise _Reject(
            FieldError(
                path,
                "wrong_dimension",
                "坐标位置应为 [经度, 纬度] 数值数组（嵌套层级可能有误）",
                "A position must be an array of numbers [lon, lat] (nesting depth may be wrong)",
            )
        )
    if len(pos) not in (2, 3):
        raise _Reject(
            FieldError(
                path,
                "wrong_dimension",
                f"坐标位置应有 2 或 3 个数值，实际 {len(pos)} 个",
                f"A position has 2 or 3 numbers, got {len(pos)}",
            )
        )
    if len(pos) == 3:
        notes.add("altitude")
    lon, lat = float(pos[0]), float(pos[1])
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lon) > 180 or abs(lat) > 90:
        hint_zh = hint_en = ""
        if abs(lat) > 90 >= abs(lon):
            hint_zh, hint_en = (
                "（经纬度顺序可能颠倒，GeoJSON 为 [经度, 纬度]）",
                " (lon/lat may be swapped: GeoJSON is [lon, lat])",
            )
        raise _Reject(
            FieldError(
                path,
                "coordinate_out_of_range",
                f"坐标超出范围：[{pos[0]}, {pos[1]}]，经度须在 ±180、纬度须在 ±90 之内{hint_zh}",
                f"Coordinate out of range: [{pos[0]}, {pos[1]}]; longitude must be within ±180, latitude within ±90{hint_en}",
            )
        )
    return lon, lat


def _check_ring(ring: Any, path: str, notes: set[str]) -> Ring:
    if not isinstance(ring, list):
        raise _Reject(FieldError(path, "wrong_dimension", "环应为坐标位置数组", "A ring must be an array of positions"))
    pts = [_check_position(p, f"{path}[{k}]", notes) for k, p in enumerate(ring)]
    if len(pts) < 4:
        raise _Reject(
            FieldError(
                path,
                "ring_too_short",
                f"环至少需要 4 个坐标位置（首尾相同），实际 {len(pts)} 个",
                f"A ring needs at least 4 positions (first = last), got {len(pts)}",
            )
        )
    if pts[0] != pts[-1]:
        raise _Reject(
            FieldError(
                path,
                "ring_not_closed",
                "环未闭合：最后一个坐标必须与第一个相同",
                "Ring not closed: the last position must equal the first",
            )
        )
    return pts


def _check_polygon(rings: Any, path: str, notes: set[str]) -> list[Ring]:
    if not isinstance(rings, list):
        raise _Reject(FieldError(path, "wrong_dimension", "面应为环的数组", "A polygon must be an array of rings"))
    if not rings:
        raise _Reject(FieldError(path, "geometry_empty", "面没有任何环", "The polygon has no rings"))
    return [_check_ring(r, f"{path}[{k}]", notes) for k, r in enumerate(rings)]


def _structural_polygons(geometry: Any, path: str, notes: set[str]) -> list[list[Ring]]:
    if geometry is None:
        raise _Reject(FieldError(path, "geometry_missing", "要素缺少几何图形", "The feature has no geometry"))
    if not isinstance(geometry, dict):
        raise _Reject(
            FieldError(path, "geometry_malformed", "几何图形应为 GeoJSON 对象", "The geometry must be a GeoJSON object")
        )
    gtype = geometry.get("type")
    if gtype not in ("Polygon", "MultiPolygon"):
        raise _Reject(
            FieldError(
                f"{path}.type",
                "geometry_type_unsupported",
                f"几何类型须为 Polygon 或 MultiPolygon，实际为 {gtype}",
                f"Geometry type must be Polygon or MultiPolygon, got {gtype}",
            )
        )
    coords = geometry.get("coordinates")
    cpath = f"{path}.coordinates"
    if gtype == "Polygon":
        return [_check_polygon(coords, cpath, notes)]
    if not isinstance(coords, list):
        raise _Reject(
            FieldError(
                cpath,
                "wrong_dimension",
                "MultiPolygon 坐标应为面的数组",
                "MultiPolygon coordinates must be an array of polygons",
            )
        )
    if not coords:
        raise _Reject(
            FieldError(cpath, "geometry_empty", "MultiPolygon 不含任何面", "The MultiPolygon has no polygons")
        )
    return [_check_polygon(p, f"{cpath}[{k}]", notes) for k, p in enumerate(coords)]


def _polygonal_parts(geom: Any) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom] if not geom.is_empty else []
    if hasattr(geom, "geoms"):
        out: list[Polygon] = []
        for g in geom.geoms:
            out.extend(_polygonal_parts(g))
        return out
    return []


def _has_non_areal(geom: Any) -> bool:
    if isinstance(geom, (Polygon, MultiPolygon)):
        return False
    if hasattr(geom, "geoms"):
        return any(_has_non_areal(g) for g in geom.geoms)
    return not geom.is_empty


def _lists(x: Any) -> Any:
    """shapely's mapping() yields nested tuples; GeoJSON (and JSON round trips) want lists."""
    if isinstance(x, (list, tuple)):
        if x and is_number(x[0]):
            return [float(v) for v in x]
        return [_lists(v) for v in x]
    return x
