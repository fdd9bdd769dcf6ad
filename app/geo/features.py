"""Validate GeoJSON FeatureCollections of jurisdictions or zones for import.

Pure module: no Flask, no SQLAlchemy. It turns a FeatureCollection into a list of
``ImportedFeature`` (WGS-84 MultiPolygons, repaired where that is safe, see ``app.geo.geometry``)
plus per-feature ``FieldError``s addressed like ``features[3].geometry``. The database layer
(``app.geo.importer``) re-checks each geometry with PostGIS and makes the import all-or-nothing.

Each feature needs ``properties.code`` and ``properties.name``; optional properties are
``name_en``, ``parent_code``, ``level`` (jurisdictions), ``kind``, ``valid_from``,
``valid_to``, ``designated_by`` and ``jurisdiction_code`` (zones: the owning jurisdiction).
Every other property is kept in ``ImportedFeature.properties``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any, Literal

from app.errors import FieldError
from app.geo.crs import WGS84, parse_crs
from app.geo.divisions import normalise_division_properties, read_level
from app.geo.geometry import validate_geometry
from app.geo.limits import Deadline, ImportLimits, count_positions, too_many_vertices
from app.geo.properties import MAX_NAME, optional_code, optional_text, read_code, read_name, read_period
from app.geo.report import FeatureResult, ImportedFeature, ImportReport, collect
from app.geo.zone_properties import ZONE_KINDS, read_zone_kind
from app.vocabulary import JURISDICTION_LEVELS

Mode = Literal["jurisdictions", "zones"]
MODES: tuple[str, ...] = ("jurisdictions", "zones")

_CRS84_NAMES = {
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:EPSG::4326",
    "EPSG:4326",
    "urn:ogc:def:crs:OGC::CRS84",
}

NOT_A_FEATURE_COLLECTION = FieldError(
    "type",
    "not_feature_collection",
    "文件须为 GeoJSON FeatureCollection",
    "The file must be a GeoJSON FeatureCollection",
)
FEATURES_MISSING = FieldError("features", "features_missing", "缺少 features 数组", "The features array is missing")


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
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return FeatureResult(
            index,
            None,
            [
                FieldError(
                    f"{base}.type",
                    "not_a_feature",
                    "每个元素须为 GeoJSON Feature",
                    "Each element must be a GeoJSON Feature",
                )
            ],
        )
    errors: list[FieldError] = []
    ppath = f"{base}.properties"
    props = feature.get("properties")
    if not isinstance(props, dict):
        errors.append(
            FieldError(
                ppath,
                "properties_missing",
                "要素缺少 properties（须含 code 与 name）",
                "The feature has no properties (code and name are required)",
            )
        )
        props = {}
    elif mode == "jurisdictions":
        props = normalise_division_properties(props)
    values = _read_properties(
        props, ppath, errors, mode=mode, kind=kind, allowed_kinds=allowed_kinds, allowed_levels=allowed_levels
    )
    check = validate_geometry(feature.get("geometry"), path=f"{base}.geometry", crs=crs)
    errors.extend(check.errors)
    if errors or check.geometry is None:
        return FeatureResult(index, None, errors, check.notices)
    accepted = ImportedFeature(
        index=index, geometry=check.geometry, repaired=check.repaired, properties=dict(props), **values
    )
    return FeatureResult(index, accepted, [], check.notices)


def _read_properties(
    props: dict[str, Any],
    ppath: str,
    errors: list[FieldError],
    *,
    mode: Mode,
    kind: str | None,
    allowed_kinds: Collection[str],
    allowed_levels: Collection[str],
) -> dict[str, Any]:
    """The ``ImportedFeature`` fields read from ``properties``, in the order their errors are reported."""
    code = read_code(props, ppath, errors)
    name = read_name(props, ppath, errors)
    values: dict[str, Any] = {
        "code": code or "",
        "name": (name or "").strip(),
        "name_en": optional_text(props, "name_en", ppath, errors, MAX_NAME),
        "parent_code": optional_code(props, "parent_code", ppath, errors),
        "jurisdiction_code": optional_code(props, "jurisdiction_code", ppath, errors),
        "designated_by": optional_text(props, "designated_by", ppath, errors),
        "level": read_level(props, code, ppath, errors, allowed_levels) if mode == "jurisdictions" else None,
    }
    if mode == "zones":
        values["kind"] = read_zone_kind(props, kind, ppath, errors, allowed_kinds)
    else:
        values["kind"] = props.get("kind") if isinstance(props.get("kind"), str) else None
    values["valid_from"], values["valid_to"] = read_period(props, ppath, errors)
    return values


def validate_features(
    features: Iterable[Any],
    *,
    mode: Mode,
    kind: str | None = None,
    crs: str = WGS84,
    allowed_kinds: Collection[str] = ZONE_KINDS,
    allowed_levels: Collection[str] = JURISDICTION_LEVELS,
    deadline: Deadline | None = None,
    limits: ImportLimits | None = None,
) -> Iterator[FeatureResult]:
    """Validate features one by one (streaming); also flags codes repeated within the file.

    ``deadline`` bounds the time spent; ``limits`` bounds the vertices of already-parsed features
    (a stream is counted while it is read, see ``app.geo.streaming``).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    crs = parse_crs(crs)
    seen: dict[str, int] = {}
    total = 0
    for index, feature in enumerate(features):
        if deadline is not None:
            deadline.check(f"features[{index}]")
        if limits is not None:
            total += _check_parsed_vertices(feature, index, total, limits)
        result = validate_feature(
            feature, index, mode=mode, kind=kind, crs=crs, allowed_kinds=allowed_kinds, allowed_levels=allowed_levels
        )
        if result.feature is not None:
            code = result.feature.code
            if code in seen:
                result.errors.append(
                    FieldError(
                        f"features[{index}].properties.code",
                        "duplicate_code",
                        f"代码 {code} 与 features[{seen[code]}] 重复",
                        f"Code {code} repeats features[{seen[code]}]",
                    )
                )
                result.feature = None
            else:
                seen[code] = index
        yield result


def _check_parsed_vertices(feature: Any, index: int, total: int, limits: ImportLimits) -> int:
    """The positions of a parsed feature's geometry; raises ``too_many_vertices`` past either limit."""
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    n = count_positions(coords, limits.max_vertices_per_feature)
    if limits.max_vertices_per_feature is not None and n > limits.max_vertices_per_feature:
        raise too_many_vertices(f"features[{index}].geometry", limits.max_vertices_per_feature, whole_file=False)
    if limits.max_vertices is not None and total + n > limits.max_vertices:
        raise too_many_vertices("features", limits.max_vertices, whole_file=True)
    return n


def check_legacy_crs(member: Any) -> FieldError | None:
    """GeoJSON 2008's ``crs`` member: accept only names meaning WGS-84 lon/lat."""
    if member is None:
        return None
    name = member.get("properties", {}).get("name") if isinstance(member, dict) else None
    if name in _CRS84_NAMES:
        return None
    return FieldError(
        "crs",
        "unsupported_crs_member",
        f"不支持文件声明的坐标参考系 {name!r}；请使用 WGS-84 经纬度并用 --crs 指定 wgs84/gcj02/bd09",
        f"Unsupported crs member {name!r}; supply lon/lat and choose wgs84|gcj02|bd09 with --crs",
    )


def validate_feature_collection(doc: Any, **options: Any) -> ImportReport:
    """Validate an already-parsed FeatureCollection (``mode``, ``kind``, ``crs`` … as in ``validate_feature``)."""
    report = ImportReport()
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        report.errors.append(NOT_A_FEATURE_COLLECTION)
        return report
    crs_error = check_legacy_crs(doc.get("crs"))
    if crs_error:
        report.errors.append(crs_error)
        return report
    features = doc.get("features")
    if not isinstance(features, list):
        report.errors.append(FEATURES_MISSING)
        return report
    return collect(validate_features(features, **options), report)
