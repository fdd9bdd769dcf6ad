"""Chinese coordinate systems: WGS-84, GCJ-02 and BD-09.

Phones report coordinates in different systems: GPS gives WGS-84, Gaode/Tencent maps
use GCJ-02 ("Mars coordinates"), Baidu uses BD-09 (GCJ-02 plus a further offset).
Mixing them puts a point several hundred metres off (about 580 m in 焦作).
Storage is always WGS-84; this module converts at the edges.

The formulas come from the ``prcoords`` library (CC0/GPLv3+). Our API takes and returns
``(lon, lat)``; prcoords works with ``Coords(lat, lon)`` tuples, so every call below swaps.

"Outside China" is what the transform itself defines: prcoords' ``sanity_in_china_p``,
the rough bounding box lat 0.8293..55.8271, lon 72.004..137.8347 shared by the common
implementations (eviltransform, coordtransform, geoChina). Outside it GCJ-02 equals
WGS-84. The box is deliberately coarse (it contains e.g. Hanoi and Seoul); that is
the de-facto definition the map vendors' SDKs follow, so we do not refine it.

BD-09 is applied on top of GCJ-02 everywhere, as prcoords does (outside the box the
GCJ-02 step is the identity, the BD-09 step is not).

Inverses use prcoords' iterative ("bored", Caijun 2014) functions: round trips are at
the millimetre level inside China (tested < 1 m).
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from typing import Any

import prcoords

from app.errors import FieldError, ValidationFailed

WGS84 = "wgs84"
GCJ02 = "gcj02"
BD09 = "bd09"
CRS_CHOICES: tuple[str, ...] = (WGS84, GCJ02, BD09)
DEFAULT_CRS = WGS84

_CRS_LABELS = {
    WGS84: ("WGS-84（GPS 原始坐标）", "WGS-84 (raw GPS)"),
    GCJ02: ("GCJ-02（高德/腾讯地图）", "GCJ-02 (Gaode/Tencent maps)"),
    BD09: ("BD-09（百度地图）", "BD-09 (Baidu maps)"),
}


def crs_label(crs: str) -> tuple[str, str]:
    """Human labels (zh, en) of a coordinate system."""
    return _CRS_LABELS[parse_crs(crs)]


def parse_crs(value: str | None, *, path: str = "crs") -> str:
    """Normalise a client-supplied ``crs`` value; ``None``/empty means WGS-84.

    Accepts the three names case-insensitively, with or without a hyphen
    (``WGS-84``, ``gcj-02``). Raises ``ValidationFailed`` otherwise.
    """
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return DEFAULT_CRS
    if isinstance(value, str):
        key = value.strip().lower().replace("-", "").replace("_", "")
        if key in CRS_CHOICES:
            return key
    choices = " | ".join(CRS_CHOICES)
    raise ValidationFailed(
        f"不支持的坐标系：{value!r}，可选 {choices}",
        f"Unsupported coordinate system {value!r}; use one of {choices}",
        errors=[
            FieldError(
                path,
                "unknown_crs",
                f"坐标系须为 {choices} 之一",
                f"crs must be one of {choices}",
            )
        ],
        code="unknown_crs",
    )


def in_china(lon: float, lat: float) -> bool:
    """True where GCJ-02 applies (prcoords' own bounding box, see module docstring)."""
    return bool(prcoords.sanity_in_china_p(prcoords.Coords(lat, lon)))


def check_lon_lat(lon: Any, lat: Any, *, path_lon: str = "lon", path_lat: str = "lat") -> tuple[float, float]:
    """Validate one coordinate pair (finite numbers within ±180/±90) and return floats."""
    errors: list[FieldError] = []
    out: list[float] = []
    for value, path, limit, name_zh in ((lon, path_lon, 180.0, "经度"), (lat, path_lat, 90.0, "纬度")):
        number: float | None = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        if number is None or not math.isfinite(number) or abs(number) > limit:
            errors.append(
                FieldError(
                    path,
                    "coordinate_out_of_range",
                    f"{name_zh}须为 -{limit:g} 到 {limit:g} 之间的数值",
                    f"{path} must be a number between -{limit:g} and {limit:g}",
                )
            )
        else:
            out.append(number)
    if errors:
        raise ValidationFailed("坐标无效", "Invalid coordinates", errors=errors, code="invalid_coordinates")
    return out[0], out[1]


# --- point transforms --------------------------------------------------------------


def _wgs_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    if not in_china(lon, lat):
        return lon, lat
    c = prcoords.wgs_gcj(prcoords.Coords(lat, lon), check_china=False)
    return c.lon, c.lat


def _gcj_to_wgs(lon: float, lat: float) -> tuple[float, float]:
    # The box test is made on the GCJ-02 input, as prcoords' own gcj_wgs does.
    if not in_china(lon, lat):
        return lon, lat
    with warnings.catch_warnings():
        # rev_bored's first rough guess re-checks the box and could warn at its very edge.
        warnings.simplefilter("ignore")
        c = prcoords.gcj_wgs_bored(prcoords.Coords(lat, lon))
    return c.lon, c.lat


def _gcj_to_bd(lon: float, lat: float) -> tuple[float, float]:
    c = prcoords.gcj_bd(prcoords.Coords(lat, lon))
    return c.lon, c.lat


def _bd_to_gcj(lon: float, lat: float) -> tuple[float, float]:
    c = prcoords.bd_gcj_bored(prcoords.Coords(lat, lon))
    return c.lon, c.lat


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Convert a point given in ``crs`` to WGS-84. Returns ``(lon, lat)``."""
    crs = parse_crs(crs)
    lon, lat = check_lon_lat(lon, lat)
    if crs == WGS84:
        return lon, lat
    if crs == GCJ02:
        return _gcj_to_wgs(lon, lat)
    return _gcj_to_wgs(*_bd_to_gcj(lon, lat))


def from_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Convert a WGS-84 point to ``crs``. Returns ``(lon, lat)``."""
    crs = parse_crs(crs)
    lon, lat = check_lon_lat(lon, lat)
    if crs == WGS84:
        return lon, lat
    gcj = _wgs_to_gcj(lon, lat)
    if crs == GCJ02:
        return gcj
    return _gcj_to_bd(*gcj)


def transform_point(lon: float, lat: float, from_crs: str, to_crs: str) -> tuple[float, float]:
    """Convert a point between any two of the three systems (through WGS-84)."""
    from_crs, to_crs = parse_crs(from_crs), parse_crs(to_crs)
    if from_crs == to_crs:
        return check_lon_lat(lon, lat)
    return from_wgs84(*to_wgs84(lon, lat, from_crs), to_crs)


# --- GeoJSON geometries ------------------------------------------------------------

_NESTING = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}


def _map_positions(coords: Any, depth: int, fn: Callable[[float, float], tuple[float, float]]) -> Any:
    if depth == 0:
        lon, lat = fn(coords[0], coords[1])
        # keep any extra ordinates (altitude) untouched
        return [lon, lat, *list(coords[2:])]
    return [_map_positions(c, depth - 1, fn) for c in coords]


def transform_geometry(geometry: dict[str, Any], from_crs: str, to_crs: str) -> dict[str, Any]:
    """Return a copy of a GeoJSON geometry with every position converted.

    Handles all seven RFC 7946 geometry types (GeometryCollection recursively).
    Altitudes are kept; a ``bbox`` member is dropped (it would be stale). The input is
    not modified. Raises ``ValidationFailed`` for an unknown type, malformed positions
    or coordinates outside ±180/±90.
    """
    from_crs, to_crs = parse_crs(from_crs), parse_crs(to_crs)
    gtype = geometry.get("type") if isinstance(geometry, dict) else None
    out = (
        {k: v for k, v in geometry.items() if k not in ("coordinates", "geometries", "bbox")}
        if isinstance(geometry, dict)
        else {}
    )
    if gtype == "GeometryCollection":
        out["geometries"] = [transform_geometry(g, from_crs, to_crs) for g in geometry.get("geometries") or []]
        return out
    if gtype not in _NESTING:
        raise ValidationFailed(
            f"不支持的几何类型：{gtype!r}",
            f"Unsupported geometry type {gtype!r}",
            errors=[FieldError("type", "geometry_type_unsupported", "不支持的几何类型", "Unsupported geometry type")],
            code="invalid_geometry",
        )

    def convert(lon: Any, lat: Any) -> tuple[float, float]:
        return transform_point(lon, lat, from_crs, to_crs)

    try:
        out["coordinates"] = _map_positions(geometry["coordinates"], _NESTING[gtype], convert)
    except (KeyError, IndexError, TypeError) as exc:
        raise ValidationFailed(
            "几何坐标结构有误",
            "Malformed geometry coordinates",
            errors=[FieldError("coordinates", "coordinates_malformed", "坐标结构有误", "Malformed coordinates")],
            code="invalid_geometry",
        ) from exc
    return out


def feature_collection_from_wgs84(doc_text: str, crs: str) -> str:
    """A FeatureCollection (JSON text, WGS-84) with every feature's geometry in ``crs``."""
    if crs == WGS84:
        return doc_text
    doc = json.loads(doc_text)
    for f in doc["features"]:
        f["geometry"] = transform_geometry(f["geometry"], WGS84, crs)
    return json.dumps(doc, ensure_ascii=False)
