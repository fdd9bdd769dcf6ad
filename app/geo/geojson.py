"""Validate GeoJSON FeatureCollections of jurisdictions or zones for import (issue 4 §3).

Pure module: no Flask, no SQLAlchemy. It turns a FeatureCollection into a list of
``ImportedFeature`` (WGS-84 MultiPolygons, repaired where that is safe) plus per-feature
``FieldError``s addressed like ``features[3].geometry``. The database layer re-checks each
geometry with PostGIS ``ST_IsValid``/``ST_MakeValid`` and makes the import all-or-nothing.

Each feature needs ``properties.code`` and ``properties.name``; optional properties are
``name_en``, ``parent_code``, ``level`` (jurisdictions), ``kind``, ``valid_from``,
``valid_to``, ``designated_by`` and ``jurisdiction_code`` (zones: the owning jurisdiction).
Every other property is kept in ``ImportedFeature.properties``.

Geometry rules:

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

Large files: ``iter_features`` / ``validate_stream`` read the file incrementally with
``ijson``, one feature at a time. A district's sub-district boundaries are a few MB, but a
province's town boundaries exceed 100 MB of JSON, which ``json.load`` would inflate to
gigabytes of Python objects; streaming keeps memory at one feature plus the results.
"""
from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.polygon import orient
from shapely.validation import explain_validity

from app.errors import FieldError, ValidationFailed
from app.geo.crs import WGS84, parse_crs, to_wgs84
from app.vocabulary import JURISDICTION_LEVELS

Mode = Literal["jurisdictions", "zones"]
MODES: tuple[str, ...] = ("jurisdictions", "zones")

# Zone kinds of issue 4 §2. The list is extensible: callers pass their own ``allowed_kinds``.
ZONE_KINDS: tuple[str, ...] = ("built_up_area", "fireworks_ban", "fuel_ban", "nrmm_control", "industrial_cluster")

MAX_ERRORS = 500  # beyond this an import is hopeless; stop listing so the problem+json stays readable

_CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.\-]{0,63}$")
_KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_MAX_NAME = 200


@dataclass(frozen=True)
class ImportedFeature:
    """One accepted feature, geometry already in WGS-84 and normalised to a MultiPolygon."""

    index: int
    code: str
    name: str
    geometry: dict[str, Any]
    name_en: str | None = None
    parent_code: str | None = None
    level: str | None = None
    kind: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    designated_by: str | None = None
    jurisdiction_code: str | None = None
    repaired: bool = False
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def wkt(self) -> str:
        """WKT of the geometry, for ``ST_GeomFromText(:wkt, 4326)``."""
        return shape(self.geometry).wkt


@dataclass
class FeatureResult:
    """What validating one feature produced: the feature (None when rejected), errors, notices."""

    index: int
    feature: ImportedFeature | None
    errors: list[FieldError] = field(default_factory=list)
    notices: list[FieldError] = field(default_factory=list)


@dataclass
class ImportReport:
    """All features of a file; ``errors`` reject the import, ``notices`` report repairs."""

    features: list[ImportedFeature] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    notices: list[FieldError] = field(default_factory=list)
    feature_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise ``ValidationFailed`` listing every error (repair notices ride along in ``repairs``)."""
        if self.errors:
            raise ValidationFailed(
                f"GeoJSON 导入被拒绝：{self.feature_count} 个要素中有错误，共 {len(self.errors)} 处，整批未导入",
                f"GeoJSON import rejected: {len(self.errors)} error(s) in {self.feature_count} feature(s); nothing was imported",
                errors=self.errors,
                extra={"repairs": [n.to_dict() for n in self.notices]},
                code="geojson_invalid",
            )


# --- helpers ----------------------------------------------------------------------------

def _err(path: str, code: str, zh: str, en: str) -> FieldError:
    return FieldError(path, code, zh, en)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _as_code(value: Any) -> str | None:
    """Codes may come as JSON numbers (e.g. adcode 410811); bools and floats are not codes."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


# --- geometry ---------------------------------------------------------------------------

class _Reject(Exception):
    def __init__(self, error: FieldError) -> None:
        self.error = error


def _check_position(pos: Any, path: str, notes: set[str]) -> tuple[float, float]:
    if not isinstance(pos, list) or not all(_is_number(v) for v in pos):
        raise _Reject(_err(path, "wrong_dimension", "坐标位置应为 [经度, 纬度] 数值数组（嵌套层级可能有误）",
                           "A position must be an array of numbers [lon, lat] (nesting depth may be wrong)"))
    if len(pos) not in (2, 3):
        raise _Reject(_err(path, "wrong_dimension", f"坐标位置应有 2 或 3 个数值，实际 {len(pos)} 个",
                           f"A position has 2 or 3 numbers, got {len(pos)}"))
    if len(pos) == 3:
        notes.add("altitude")
    lon, lat = float(pos[0]), float(pos[1])
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lon) > 180 or abs(lat) > 90:
        hint_zh = hint_en = ""
        if abs(lat) > 90 >= abs(lon):
            hint_zh, hint_en = "（经纬度顺序可能颠倒，GeoJSON 为 [经度, 纬度]）", " (lon/lat may be swapped: GeoJSON is [lon, lat])"
        raise _Reject(_err(path, "coordinate_out_of_range",
                           f"坐标超出范围：[{pos[0]}, {pos[1]}]，经度须在 ±180、纬度须在 ±90 之内{hint_zh}",
                           f"Coordinate out of range: [{pos[0]}, {pos[1]}]; longitude must be within ±180, latitude within ±90{hint_en}"))
    return lon, lat


def _check_ring(ring: Any, path: str, notes: set[str]) -> list[tuple[float, float]]:
    if not isinstance(ring, list):
        raise _Reject(_err(path, "wrong_dimension", "环应为坐标位置数组", "A ring must be an array of positions"))
    pts = [_check_position(p, f"{path}[{k}]", notes) for k, p in enumerate(ring)]
    if len(pts) < 4:
        raise _Reject(_err(path, "ring_too_short", f"环至少需要 4 个坐标位置（首尾相同），实际 {len(pts)} 个",
                           f"A ring needs at least 4 positions (first = last), got {len(pts)}"))
    if pts[0] != pts[-1]:
        raise _Reject(_err(path, "ring_not_closed", "环未闭合：最后一个坐标必须与第一个相同",
                           "Ring not closed: the last position must equal the first"))
    return pts


def _check_polygon(rings: Any, path: str, notes: set[str]) -> list[list[tuple[float, float]]]:
    if not isinstance(rings, list):
        raise _Reject(_err(path, "wrong_dimension", "面应为环的数组", "A polygon must be an array of rings"))
    if not rings:
        raise _Reject(_err(path, "geometry_empty", "面没有任何环", "The polygon has no rings"))
    return [_check_ring(r, f"{path}[{k}]", notes) for k, r in enumerate(rings)]


def _structural_polygons(geometry: Any, path: str, notes: set[str]) -> list[list[list[tuple[float, float]]]]:
    if geometry is None:
        raise _Reject(_err(path, "geometry_missing", "要素缺少几何图形", "The feature has no geometry"))
    if not isinstance(geometry, dict):
        raise _Reject(_err(path, "geometry_malformed", "几何图形应为 GeoJSON 对象", "The geometry must be a GeoJSON object"))
    gtype = geometry.get("type")
    if gtype not in ("Polygon", "MultiPolygon"):
        raise _Reject(_err(f"{path}.type", "geometry_type_unsupported",
                           f"几何类型须为 Polygon 或 MultiPolygon，实际为 {gtype}",
                           f"Geometry type must be Polygon or MultiPolygon, got {gtype}"))
    coords = geometry.get("coordinates")
    cpath = f"{path}.coordinates"
    if gtype == "Polygon":
        return [_check_polygon(coords, cpath, notes)]
    if not isinstance(coords, list):
        raise _Reject(_err(cpath, "wrong_dimension", "MultiPolygon 坐标应为面的数组", "MultiPolygon coordinates must be an array of polygons"))
    if not coords:
        raise _Reject(_err(cpath, "geometry_empty", "MultiPolygon 不含任何面", "The MultiPolygon has no polygons"))
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


@dataclass
class GeometryCheck:
    """Result of ``validate_geometry``: a WGS-84 MultiPolygon (None when rejected)."""

    geometry: dict[str, Any] | None
    repaired: bool = False
    errors: list[FieldError] = field(default_factory=list)
    notices: list[FieldError] = field(default_factory=list)


def _has_non_areal(geom: Any) -> bool:
    if isinstance(geom, (Polygon, MultiPolygon)):
        return False
    if hasattr(geom, "geoms"):
        return any(_has_non_areal(g) for g in geom.geoms)
    return not geom.is_empty


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
        notices.append(_err(path, "altitude_dropped", "已忽略高程（第三个坐标值）", "Altitudes (third ordinate) were dropped"))

    def conv(p: tuple[float, float]) -> tuple[float, float]:
        return to_wgs84(p[0], p[1], crs) if crs != WGS84 else p

    shp = MultiPolygon([Polygon([conv(p) for p in poly[0]], [[conv(p) for p in r] for r in poly[1:]]) for poly in polygons])
    repaired = False
    if not shp.is_valid:
        reason = explain_validity(shp)
        fixed = shapely.make_valid(shp)
        parts = _polygonal_parts(fixed)
        result = MultiPolygon(parts) if parts else None
        if result is None or result.is_empty or result.area <= 0:
            return GeometryCheck(None, errors=[_err(path, "geometry_unrepairable",
                                                    f"几何图形无效且无法修复为有面积的面：{reason}",
                                                    f"Invalid geometry that cannot be repaired into a polygon with area: {reason}")], notices=notices)
        dropped = _has_non_areal(fixed)
        extra_zh = "；已丢弃修复产生的线、点部分" if dropped else ""
        extra_en = "; line/point leftovers of the repair were dropped" if dropped else ""
        notices.append(_err(path, "geometry_repaired",
                            f"几何图形无效（{reason}），已自动修复为 {len(parts)} 个面{extra_zh}",
                            f"Invalid geometry ({reason}) repaired into {len(parts)} polygon(s){extra_en}"))
        shp = result
        repaired = True
    elif shp.area <= 0:
        return GeometryCheck(None, errors=[_err(path, "geometry_empty", "几何图形面积为零", "The geometry has zero area")], notices=notices)
    shp = MultiPolygon([orient(p, sign=1.0) for p in shp.geoms])
    gj = {"type": "MultiPolygon", "coordinates": _lists(mapping(shp)["coordinates"])}
    return GeometryCheck(gj, repaired, [], notices)


def _lists(x: Any) -> Any:
    """shapely's mapping() yields nested tuples; GeoJSON (and JSON round trips) want lists."""
    if isinstance(x, (list, tuple)):
        if x and _is_number(x[0]):
            return [float(v) for v in x]
        return [_lists(v) for v in x]
    return x


# --- properties -------------------------------------------------------------------------

def _parse_date(value: Any, path: str, errors: list[FieldError]) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors.append(_err(path, "invalid_date", f"日期格式应为 YYYY-MM-DD，实际为 {value!r}", f"Dates are YYYY-MM-DD, got {value!r}"))
    return None


def _optional_text(props: dict[str, Any], key: str, path: str, errors: list[FieldError], max_len: int = _MAX_NAME * 5) -> str | None:
    value = props.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > max_len:
        errors.append(_err(f"{path}.{key}", "invalid_property", f"{key} 应为不超过 {max_len} 字的文本",
                           f"{key} must be text of at most {max_len} characters"))
        return None
    return value.strip()


def _optional_code(props: dict[str, Any], key: str, path: str, errors: list[FieldError]) -> str | None:
    value = props.get(key)
    if value is None or value == "":
        return None
    code = _as_code(value)
    if code is None or not _CODE_RE.match(code):
        errors.append(_err(f"{path}.{key}", "invalid_code", f"{key} 应为字母数字代码", f"{key} must be an alphanumeric code"))
        return None
    return code


# Administrative-division files in common circulation (e.g. DataV GeoAtlas exports) name the
# division code ``adcode``, the parent ``parent: {"adcode": …}`` and levels district/street.
_LEVEL_ALIASES = {"district": "county", "street": "township", "town": "township"}


def _normalise_division_properties(props: dict[str, Any]) -> dict[str, Any]:
    """Accept adcode-style properties as well as ours; our own names win when both are present."""
    out = dict(props)
    if out.get("code") in (None, "") and out.get("adcode") not in (None, ""):
        out["code"] = out["adcode"]
    parent = out.get("parent")
    if out.get("parent_code") in (None, "") and isinstance(parent, dict) and parent.get("adcode") not in (None, ""):
        out["parent_code"] = parent["adcode"]
    if isinstance(out.get("level"), str):
        out["level"] = _LEVEL_ALIASES.get(out["level"], out["level"])
    return out


def inferred_division_level(code: str) -> str | None:
    """GB/T 2260: ``PP0000`` province, ``PPCC00`` city, other six-digit codes county; 9+ digits township."""
    if not code.isdigit():
        return None
    if len(code) == 6:
        if code.endswith("0000"):
            return "province"
        return "city" if code.endswith("00") else "county"
    return "township" if len(code) in (9, 12) else None


def inferred_parent_code(code: str) -> str | None:
    """The enclosing division of a GB/T 2260 code (a county's city, a city's province)."""
    level = inferred_division_level(code)
    if level == "city":
        return code[:2] + "0000"
    if level == "county":
        return code[:4] + "00"
    if level == "township":
        return code[:6]
    return None


def validate_feature(
    feature: Any,
    index: int,
    *,
    mode: Mode,
    kind: str | None = None,
    crs: str = WGS84,
    allowed_kinds: Collection[str] = ZONE_KINDS,
    allowed_levels: Collection[str] = JURISDICTION_LEVELS,
) -> FeatureResult:
    """Validate the feature at ``features[index]`` (properties and geometry)."""
    base = f"features[{index}]"
    errors: list[FieldError] = []
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return FeatureResult(index, None, [_err(f"{base}.type", "not_a_feature", "每个元素须为 GeoJSON Feature", "Each element must be a GeoJSON Feature")])
    ppath = f"{base}.properties"
    props = feature.get("properties")
    if not isinstance(props, dict):
        errors.append(_err(ppath, "properties_missing", "要素缺少 properties（须含 code 与 name）", "The feature has no properties (code and name are required)"))
        props = {}
    elif mode == "jurisdictions":
        props = _normalise_division_properties(props)

    code = _as_code(props.get("code"))
    if props.get("code") in (None, ""):
        errors.append(_err(f"{ppath}.code", "missing_property", "缺少代码 code", "Property code is required"))
    elif code is None or not _CODE_RE.match(code):
        errors.append(_err(f"{ppath}.code", "invalid_code", "code 应为 1-64 位字母、数字、点、横线或下划线",
                           "code must be 1-64 letters, digits, dots, hyphens or underscores"))
        code = None
    name = props.get("name")
    if name is None or (isinstance(name, str) and not name.strip()):
        errors.append(_err(f"{ppath}.name", "missing_property", "缺少名称 name", "Property name is required"))
        name = None
    elif not isinstance(name, str) or len(name) > _MAX_NAME:
        errors.append(_err(f"{ppath}.name", "invalid_property", f"name 应为不超过 {_MAX_NAME} 字的文本", f"name must be text of at most {_MAX_NAME} characters"))
        name = None
    name_en = _optional_text(props, "name_en", ppath, errors, _MAX_NAME)
    parent_code = _optional_code(props, "parent_code", ppath, errors)
    jurisdiction_code = _optional_code(props, "jurisdiction_code", ppath, errors)
    designated_by = _optional_text(props, "designated_by", ppath, errors)

    level = props.get("level")
    if level is None and mode == "jurisdictions" and code is not None:
        level = inferred_division_level(code)
    if level is not None and (mode != "jurisdictions" or level not in allowed_levels):
        if mode == "jurisdictions":
            errors.append(_err(f"{ppath}.level", "invalid_level", f"level 须为 {' | '.join(allowed_levels)} 之一",
                               f"level must be one of {' | '.join(allowed_levels)}"))
        level = None

    feature_kind = props.get("kind")
    if mode == "zones":
        if feature_kind is not None and kind is not None and feature_kind != kind:
            errors.append(_err(f"{ppath}.kind", "kind_mismatch", f"要素类别 {feature_kind} 与导入指定的类别 {kind} 不一致",
                               f"Feature kind {feature_kind} differs from the import's kind {kind}"))
        feature_kind = feature_kind if feature_kind is not None else kind
        if feature_kind is None:
            errors.append(_err(f"{ppath}.kind", "missing_property", "区域须有类别 kind（或在导入时指定 --kind）",
                               "A zone needs a kind (in properties or via --kind)"))
        elif not isinstance(feature_kind, str) or not _KIND_RE.match(feature_kind) or feature_kind not in allowed_kinds:
            errors.append(_err(f"{ppath}.kind", "invalid_kind", f"未知的区域类别 {feature_kind!r}，可选 {' | '.join(allowed_kinds)}",
                               f"Unknown zone kind {feature_kind!r}; use one of {' | '.join(allowed_kinds)}"))
            feature_kind = None
    else:
        feature_kind = feature_kind if isinstance(feature_kind, str) else None

    valid_from = _parse_date(props.get("valid_from"), f"{ppath}.valid_from", errors)
    valid_to = _parse_date(props.get("valid_to"), f"{ppath}.valid_to", errors)
    if valid_from and valid_to and valid_to < valid_from:
        errors.append(_err(f"{ppath}.valid_to", "invalid_period", "失效日期早于生效日期", "valid_to is before valid_from"))

    check = validate_geometry(feature.get("geometry"), path=f"{base}.geometry", crs=crs)
    errors.extend(check.errors)
    notices = check.notices
    if errors or check.geometry is None:
        return FeatureResult(index, None, errors, notices)
    geometry, repaired = check.geometry, check.repaired
    return FeatureResult(
        index,
        ImportedFeature(
            index=index,
            code=code or "",
            name=(name or "").strip(),
            geometry=geometry,
            name_en=name_en,
            parent_code=parent_code,
            level=level,
            kind=feature_kind,
            valid_from=valid_from,
            valid_to=valid_to,
            designated_by=designated_by,
            jurisdiction_code=jurisdiction_code,
            repaired=repaired,
            properties=dict(props),
        ),
        [],
        notices,
    )


# --- collections ------------------------------------------------------------------------

_CRS84_NAMES = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326", "EPSG:4326", "urn:ogc:def:crs:OGC::CRS84"}


def _check_legacy_crs(member: Any) -> FieldError | None:
    """GeoJSON 2008's ``crs`` member: accept only names meaning WGS-84 lon/lat."""
    if member is None:
        return None
    name = member.get("properties", {}).get("name") if isinstance(member, dict) else None
    if name in _CRS84_NAMES:
        return None
    return _err("crs", "unsupported_crs_member", f"不支持文件声明的坐标参考系 {name!r}；请使用 WGS-84 经纬度并用 --crs 指定 wgs84/gcj02/bd09",
                f"Unsupported crs member {name!r}; supply lon/lat and choose wgs84|gcj02|bd09 with --crs")


def validate_features(
    features: Iterable[Any],
    *,
    mode: Mode,
    kind: str | None = None,
    crs: str = WGS84,
    allowed_kinds: Collection[str] = ZONE_KINDS,
    allowed_levels: Collection[str] = JURISDICTION_LEVELS,
) -> Iterator[FeatureResult]:
    """Validate features one by one (streaming); also flags codes repeated within the file."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    crs = parse_crs(crs)
    seen: dict[str, int] = {}
    for index, feature in enumerate(features):
        result = validate_feature(feature, index, mode=mode, kind=kind, crs=crs, allowed_kinds=allowed_kinds, allowed_levels=allowed_levels)
        if result.feature is not None:
            code = result.feature.code
            if code in seen:
                result.errors.append(_err(f"features[{index}].properties.code", "duplicate_code",
                                          f"代码 {code} 与 features[{seen[code]}] 重复", f"Code {code} repeats features[{seen[code]}]"))
                result.feature = None
            else:
                seen[code] = index
        yield result


def _collect(results: Iterable[FeatureResult], report: ImportReport) -> ImportReport:
    for r in results:
        report.feature_count += 1
        report.notices.extend(r.notices)
        if r.feature is not None:
            report.features.append(r.feature)
        for e in r.errors:
            if len(report.errors) < MAX_ERRORS:
                report.errors.append(e)
            elif len(report.errors) == MAX_ERRORS:
                report.errors.append(_err("features", "too_many_errors", f"错误超过 {MAX_ERRORS} 处，其余未列出",
                                          f"More than {MAX_ERRORS} errors; the rest are not listed"))
    if report.feature_count == 0 and not report.errors:
        report.errors.append(_err("features", "no_features", "文件不含任何要素", "The file contains no features"))
    return report


def validate_feature_collection(doc: Any, **options: Any) -> ImportReport:
    """Validate an already-parsed FeatureCollection (``mode``, ``kind``, ``crs`` … as in ``validate_feature``)."""
    report = ImportReport()
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        report.errors.append(_err("type", "not_feature_collection", "文件须为 GeoJSON FeatureCollection", "The file must be a GeoJSON FeatureCollection"))
        return report
    crs_error = _check_legacy_crs(doc.get("crs"))
    if crs_error:
        report.errors.append(crs_error)
        return report
    features = doc.get("features")
    if not isinstance(features, list):
        report.errors.append(_err("features", "features_missing", "缺少 features 数组", "The features array is missing"))
        return report
    return _collect(validate_features(features, **options), report)


# --- streaming --------------------------------------------------------------------------

class _Top:
    def __init__(self) -> None:
        self.type: Any = None
        self.crs: Any = None
        self.saw_features = False


class BinaryReader(Protocol):
    """All the streaming parser needs from a body: ``read(size) -> bytes`` (a file, BytesIO, a request reader)."""

    def read(self, size: int = -1, /) -> bytes: ...


def iter_features(fp: BinaryReader, top: _Top | None = None) -> Iterator[Any]:
    """Yield the elements of ``features`` of a FeatureCollection read incrementally from ``fp``.

    Raises ``ValidationFailed`` (code ``invalid_json``) on malformed JSON. ``top`` (internal)
    receives the top-level ``type`` and ``crs`` members as they stream past.
    """
    import ijson  # local: only the streaming path needs it

    top = top or _Top()
    builder: Any = None
    member: str | None = None  # "crs" while building that member
    try:
        for prefix, event, value in ijson.parse(fp, use_float=True):
            if builder is not None:
                builder.event(event, value)
                if prefix == ("features.item" if member is None else member) and event in ("end_map", "end_array"):
                    if member is None:
                        yield builder.value
                    else:
                        top.crs = builder.value
                        member = None
                    builder = None
                continue
            if prefix == "type" and event == "string":
                top.type = value
            elif prefix == "features" and event == "start_array":
                top.saw_features = True
            elif prefix == "features.item":
                if event in ("start_map", "start_array"):
                    builder = ijson.ObjectBuilder()
                    builder.event(event, value)
                else:  # a scalar element (e.g. null): let validation reject it
                    yield value
            elif prefix == "crs" and event == "start_map":
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
                member = "crs"
    except ijson.JSONError as exc:
        raise ValidationFailed(
            "文件不是有效的 JSON", f"The file is not valid JSON: {exc}",
            errors=[_err("", "invalid_json", "JSON 语法错误", f"JSON syntax error: {exc}")], code="invalid_json",
        ) from exc


def iter_validated(fp: BinaryReader, report: ImportReport | None = None, **options: Any) -> Iterator[FeatureResult]:
    """Stream-validate ``fp``; yields one ``FeatureResult`` per feature.

    After the generator is exhausted, ``report`` (if given) holds top-level errors found
    while streaming (not a FeatureCollection, unsupported ``crs`` member). A caller that
    inserts rows as it goes must still check ``report`` before committing.
    """
    top = _Top()
    yield from validate_features(iter_features(fp, top), **options)
    if report is not None:
        if top.type != "FeatureCollection":
            report.errors.insert(0, _err("type", "not_feature_collection", "文件须为 GeoJSON FeatureCollection", "The file must be a GeoJSON FeatureCollection"))
        elif not top.saw_features:
            report.errors.insert(0, _err("features", "features_missing", "缺少 features 数组", "The features array is missing"))
        crs_error = _check_legacy_crs(top.crs)
        if crs_error:
            report.errors.insert(0, crs_error)


def validate_stream(fp: BinaryReader, **options: Any) -> ImportReport:
    """Like ``validate_feature_collection`` but reading ``fp`` incrementally."""
    report = ImportReport()
    top_errors = ImportReport()
    _collect(iter_validated(fp, top_errors, **options), report)
    if top_errors.errors:
        # a file that is not a FeatureCollection has no meaningful per-feature errors
        report.errors = top_errors.errors + [e for e in report.errors if e.code != "no_features"]
    return report
