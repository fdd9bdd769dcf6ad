"""Import GeoJSON FeatureCollections of jurisdiction boundaries or zones into PostGIS.

``import_geojson`` is the one entry point for the CLI (``flask geo import``), the admin API
(``POST /api/v1/geo/import``) and the demo loader. It never commits: the caller commits once,
so an import is all-or-nothing.

Steps:

1. ``app.geo.streaming`` / ``app.geo.features`` validate the file feature by feature while
   streaming it (structure, properties, coordinates, CRS conversion to WGS-84) and
   ``app.geo.geometry`` repairs invalid rings with shapely/GEOS ``make_valid`` where that
   yields a polygon with area.
2. ``app.geo.postgis_check`` has PostGIS check every accepted geometry again (``ST_IsValid``,
   repairing with ``ST_MakeValid`` when it disagrees) and reports each repair.
3. ``app.geo.import_jurisdictions`` / ``app.geo.import_zones`` resolve references and scope,
   then, only when no feature has an error, write (audited) and re-derive the sites' jurisdictions
   or zone memberships.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from app.errors import FieldError, ValidationFailed
from app.geo.features import MODES, validate_feature_collection
from app.geo.import_jurisdictions import import_jurisdictions
from app.geo.import_result import ImportResult
from app.geo.import_zones import import_zones
from app.geo.limits import Deadline, ImportLimits
from app.geo.postgis_check import postgis_check
from app.geo.report import ImportReport
from app.geo.streaming import BinaryReader, validate_stream
from app.geo.zone_properties import ZONE_KINDS


def import_geojson(
    session: Session,
    source: BinaryReader | dict[str, Any],
    *,
    mode: str,
    kind: str | None = None,
    crs: str = "wgs84",
    scope: Sequence[str] | None = None,
    is_demo: bool = False,
    limits: ImportLimits | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> ImportResult:
    """Validate and import a FeatureCollection (a binary stream, read incrementally, or parsed JSON).

    ``scope``: the caller's jurisdiction paths (API); ``None`` = unrestricted (CLI, demo loader).
    ``limits`` (default: ``app.geo.limits``' defaults) bound depth, vertices and time (``app.geo.limits``; 413/422 ``geojson_too_deep``,
    ``too_many_vertices``, ``import_too_slow``); ``clock`` measures the time.
    Raises ``ValidationFailed`` (code ``geojson_invalid``) listing every per-feature error; nothing
    is written in that case (and the caller must not commit).
    """
    _check_options(mode, kind)
    limits = limits or ImportLimits()
    deadline = Deadline(limits.max_seconds, clock)
    options: dict[str, Any] = {
        "mode": mode,
        "kind": kind if mode == "zones" else None,
        "crs": crs,
        "allowed_kinds": ZONE_KINDS,
        "deadline": deadline,
    }
    report: ImportReport = (
        validate_feature_collection(source, limits=limits, **options)
        if isinstance(source, dict)
        else validate_stream(source, limits=limits, **options)
    )
    result = ImportResult(mode=mode, crs=crs, kind=kind, feature_count=report.feature_count)
    result.repairs = [n.to_dict() for n in report.notices if n.code == "geometry_repaired"]
    result.notices = [n.to_dict() for n in report.notices if n.code != "geometry_repaired"]
    report.raise_for_errors()

    errors: list[FieldError] = []
    checked = []
    for f in report.features:
        deadline.check(f"features[{f.index}] (PostGIS)")
        c = postgis_check(session, f, errors, result.repairs)
        if c is not None:
            checked.append(c)
    deadline.check("writing")
    if not errors:
        if mode == "jurisdictions":
            import_jurisdictions(session, checked, scope, errors, result)
        else:
            import_zones(session, checked, scope, errors, result, is_demo)
    if errors:
        raise ValidationFailed(
            f"GeoJSON 导入被拒绝：{len(errors)} 处错误，整批未导入",
            f"GeoJSON import rejected: {len(errors)} error(s); nothing was imported",
            errors=errors,
            extra={"repairs": result.repairs},
            code="geojson_invalid",
        )
    session.flush()
    return result


def _check_options(mode: str, kind: str | None) -> None:
    """``mode`` and ``kind`` come from the caller, not the file: reject unknown values before reading it."""
    if mode not in MODES:
        raise ValidationFailed(
            f"导入类型须为 {' | '.join(MODES)}",
            f"'as' must be one of {' | '.join(MODES)}",
            errors=[FieldError("as", "invalid_mode", "导入类型无效", "Invalid import type")],
            code="invalid_mode",
        )
    if mode == "zones" and kind is not None and kind not in ZONE_KINDS:
        raise ValidationFailed(
            f"未知的区域类别 {kind}",
            f"Unknown zone kind {kind}",
            errors=[
                FieldError(
                    "kind", "invalid_kind", f"可选 {' | '.join(ZONE_KINDS)}", f"use one of {' | '.join(ZONE_KINDS)}"
                )
            ],
            code="invalid_kind",
        )
