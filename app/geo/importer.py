"""Import GeoJSON FeatureCollections of jurisdiction boundaries or zones into PostGIS (issue 4 §3).

``import_geojson`` is the one entry point for the CLI (``flask geo import``) and the admin API
(``POST /api/v1/geo/import``). It never commits: the caller commits once, so an import is
all-or-nothing.

Steps:

1. ``app.geo.geojson`` validates the file feature by feature while streaming it (structure,
   properties, coordinates, CRS conversion to WGS-84) and repairs invalid rings with
   shapely/GEOS ``make_valid`` where that yields a polygon with area.
2. Every accepted geometry is checked again by PostGIS: ``ST_IsValid``; when PostGIS disagrees
   the geometry is repaired with ``ST_MakeValid`` + ``ST_CollectionExtract(…, 3)`` (polygons
   only) and the repair is reported; an empty result rejects the feature.
3. References are resolved (parent jurisdictions — in the database or earlier/later in the same
   file —, zone owners) and, when the caller is scoped, every feature must lie within scope.
4. Only when no feature has an error is anything written. Jurisdictions go through
   ``upsert_jurisdiction`` (names/level/parent, audited), then their boundary is replaced
   (audited as ``jurisdiction.boundary_replace`` with digests of the old and new shapes, skipped
   when the shape is unchanged). Zones are created or replaced by code (audited).
5. Sites follow: jurisdictions of sites are re-derived after boundary imports; zone memberships
   of sites are re-derived for the imported zones.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.errors import FieldError, ValidationFailed
from app.geo.geojson import (BinaryReader, ImportedFeature, ImportReport, inferred_parent_code,
                             validate_feature_collection, validate_stream)
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.services import upsert_jurisdiction
from app.zones.models import ZONE_KINDS, Zone
from app.zones.queries import rederive_site_jurisdictions, rederive_site_zones, smallest_jurisdiction_covering

MODES = ("jurisdictions", "zones")


@dataclass
class ImportResult:
    """What an import did; ``repairs`` lists every geometry that was repaired (shapely or PostGIS)."""

    mode: str
    crs: str
    kind: str | None
    feature_count: int = 0
    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    repairs: list[dict[str, str]] = field(default_factory=list)
    notices: list[dict[str, str]] = field(default_factory=list)
    sites_moved: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode, "crs": self.crs, "kind": self.kind, "feature_count": self.feature_count,
            "created": self.created, "replaced": self.replaced, "unchanged": self.unchanged,
            "repairs": self.repairs, "notices": self.notices, "sites_moved": self.sites_moved,
        }


@dataclass
class _Checked:
    feature: ImportedFeature
    wkb: bytes
    digest: str


def geometry_digest(wkb: bytes | None) -> str | None:
    return hashlib.sha256(wkb).hexdigest() if wkb is not None else None


_POSTGIS_CHECK = text("""
    SELECT ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason,
           ST_IsEmpty(fixed) AS empty, ST_Area(fixed::geography) AS area_m2, ST_AsBinary(fixed) AS wkb
    FROM (SELECT g, CASE WHEN ST_IsValid(g) THEN ST_Multi(g)
                         ELSE ST_Multi(ST_CollectionExtract(ST_MakeValid(g), 3)) END AS fixed
          FROM (SELECT ST_GeomFromText(:wkt, 4326) AS g) s) t
""")


def _postgis_check(session: Session, feature: ImportedFeature, errors: list[FieldError],
                   result: ImportResult) -> _Checked | None:
    path = f"features[{feature.index}].geometry"
    row = session.execute(_POSTGIS_CHECK, {"wkt": feature.wkt}).one()
    if row.empty or not row.area_m2:
        errors.append(FieldError(path, "geometry_unrepairable",
                                 f"PostGIS 认为几何图形无效且 ST_MakeValid 无法修复：{row.reason}",
                                 f"PostGIS finds the geometry invalid and ST_MakeValid cannot repair it: {row.reason}"))
        return None
    if not row.valid:
        result.repairs.append(FieldError(path, "geometry_repaired_postgis",
                                         f"PostGIS 判定几何图形无效（{row.reason}），已用 ST_MakeValid 修复",
                                         f"PostGIS found the geometry invalid ({row.reason}); repaired with ST_MakeValid").to_dict())
    wkb = bytes(row.wkb)
    return _Checked(feature, wkb, hashlib.sha256(wkb).hexdigest())


def _outside_scope(index: int, code: str) -> FieldError:
    return FieldError(f"features[{index}].properties.code", "outside_scope",
                      f"{code} 不在您的辖区内，不能导入", f"{code} is outside your jurisdictions and cannot be imported")


def _boundary_summary(wkb: bytes | None) -> dict[str, Any]:
    return {"boundary_sha256": geometry_digest(wkb), "has_boundary": wkb is not None}


def _current_wkb(session: Session, geom_col: Any, id_col: Any, row_id: int) -> bytes | None:
    value = session.scalar(select(func.ST_AsBinary(geom_col)).where(id_col == row_id))
    return bytes(value) if value is not None else None


def _import_jurisdictions(session: Session, checked: list[_Checked], scope: Sequence[str] | None,
                          errors: list[FieldError], result: ImportResult) -> None:
    in_file = {c.feature.code: c for c in checked}
    _infer_missing_parents(session, checked, in_file)
    existing = {j.code: j for j in session.scalars(
        select(Jurisdiction).where(Jurisdiction.code.in_(list(in_file) + [c.feature.parent_code for c in checked
                                                                          if c.feature.parent_code])))}
    # Check every reference before writing anything.
    for c in checked:
        f = c.feature
        cur = existing.get(f.code)
        base = f"features[{f.index}].properties"
        if cur is None and f.level is None:
            errors.append(FieldError(f"{base}.level", "missing_property", "新建行政区划须提供级别 level",
                                     "A new jurisdiction needs a level"))
        if f.parent_code and f.parent_code not in existing and f.parent_code not in in_file:
            errors.append(FieldError(f"{base}.parent_code", "unknown_parent",
                                     f"上级行政区划 {f.parent_code} 不存在（数据库与本文件中均无）",
                                     f"Parent jurisdiction {f.parent_code} exists neither in the database nor in this file"))
        if f.parent_code == f.code:
            errors.append(FieldError(f"{base}.parent_code", "invalid_parent", "上级不能是自身", "A jurisdiction cannot be its own parent"))
        if scope is not None:
            parent_path = None
            if f.parent_code:
                parent = existing.get(f.parent_code)
                parent_path = parent.path if parent is not None else None
            elif cur is not None and cur.parent is not None:
                parent_path = cur.parent.path
            path: str | None = (cur.path if cur is not None and not f.parent_code else (parent_path or "/") + f.code + "/")
            # a parent that arrives in the same file: judge by the parent's own scope check
            if f.parent_code in in_file and f.parent_code not in existing:
                path = None
            if path is not None and not any(path.startswith(p) for p in scope):
                errors.append(_outside_scope(f.index, f.code))
    if errors:
        return
    # Parents before children: repeat passes until every feature is placed.
    pending = list(checked)
    done: set[str] = set()
    while pending:
        progress = False
        for c in list(pending):
            f = c.feature
            if f.parent_code and f.parent_code in in_file and f.parent_code not in done and f.parent_code != f.code:
                continue
            _write_jurisdiction(session, c, existing.get(f.code), result)
            done.add(f.code)
            pending.remove(c)
            progress = True
        if not progress:
            for c in pending:
                errors.append(FieldError(f"features[{c.feature.index}].properties.parent_code", "parent_cycle",
                                         "上级关系成环", "Parent references form a cycle"))
            return
    if scope is not None:
        written = {j.code: j for j in session.scalars(select(Jurisdiction).where(Jurisdiction.code.in_(list(in_file))))}
        for c in checked:
            j = written.get(c.feature.code)
            if j is not None and not any(j.path.startswith(p) for p in scope):
                errors.append(_outside_scope(c.feature.index, c.feature.code))


def _sites_kept_in_scope(session: Session, scope: Sequence[str], errors: list[FieldError]) -> None:
    """A scoped admin's boundaries must not pull a site across the scope's edge: a small new sub-district
    drawn over another district's site would otherwise move that site (and its inspections) into the
    admin's scope. Refused (422, nothing imported) when a site would move from or to outside the scope."""
    from app.sites.models import Site
    from app.zones.queries import _smallest_for_site_subquery

    new_id = _smallest_for_site_subquery()
    current = select(Jurisdiction.path).where(Jurisdiction.id == Site.jurisdiction_id).scalar_subquery()
    target = select(Jurisdiction.path).where(Jurisdiction.id == new_id).scalar_subquery()

    rows = session.execute(
        select(Site.id, current, target)
        .where(new_id.is_not(None), Site.jurisdiction_id.is_distinct_from(new_id))).all()
    crossing = sum(1 for _, cur_path, new_path in rows
                   if not any(cur_path.startswith(p) for p in scope)
                   or not any((new_path or "").startswith(p) for p in scope))
    if crossing:  # no ids: the sites outside the scope do not exist for the caller
        errors.append(FieldError("features", "boundary_crosses_scope",
                                 "导入的边界会使辖区外的场所移入（或辖区内的场所移出）您的辖区，整批拒绝",
                                 "The boundaries would move sites across the edge of your jurisdictions; "
                                 "nothing was imported"))


def _infer_missing_parents(session: Session, checked: list[_Checked], in_file: dict[str, _Checked]) -> None:
    """A new division without ``parent_code`` hangs under the division its GB/T 2260 code implies,
    when that one exists (in the database or the same file); otherwise it stays a root."""
    candidates = {c.feature.code: inferred_parent_code(c.feature.code) for c in checked if not c.feature.parent_code}
    wanted = [p for p in candidates.values() if p]
    if not wanted:
        return
    known = set(session.scalars(select(Jurisdiction.code).where(Jurisdiction.code.in_(wanted + list(candidates)))))
    for c in checked:
        parent = candidates.get(c.feature.code)
        if parent and c.feature.code not in known and (parent in known or parent in in_file):
            c.feature = replace(c.feature, parent_code=parent)


def _write_jurisdiction(session: Session, c: _Checked, cur: Jurisdiction | None, result: ImportResult) -> None:
    f = c.feature
    parent_code = f.parent_code
    if parent_code is None and cur is not None and cur.parent is not None:
        parent_code = cur.parent.code
    j = upsert_jurisdiction(session, code=f.code, name_zh=f.name, level=f.level or (cur.level if cur else ""),
                            parent_code=parent_code, name_en=f.name_en if f.name_en is not None else (cur.name_en if cur else None))
    before = _current_wkb(session, Jurisdiction.boundary, Jurisdiction.id, j.id) if cur is not None else None
    if before is not None and geometry_digest(before) == c.digest:
        result.unchanged.append(f.code)
        return
    j.boundary = WKBElement(c.wkb, srid=4326)
    session.flush()
    record_audit(session, "jurisdiction.boundary_replace", "jurisdiction", f.code,
                 before=_boundary_summary(before), after=_boundary_summary(c.wkb))
    (result.replaced if before is not None else result.created).append(f.code)


def _zone_summary(z: Zone, wkb: bytes | None) -> dict[str, Any]:
    return {"code": z.code, "kind": z.kind, "name_zh": z.name_zh, "name_en": z.name_en,
            "jurisdiction_id": z.jurisdiction_id, "designated_by": z.designated_by,
            "valid_from": z.valid_from, "valid_to": z.valid_to, "geom_sha256": geometry_digest(wkb)}


def _import_zones(session: Session, checked: list[_Checked], scope: Sequence[str] | None,
                  errors: list[FieldError], result: ImportResult, is_demo: bool) -> list[int]:
    owners: dict[int, Jurisdiction] = {}
    named = {j.code: j for j in session.scalars(select(Jurisdiction).where(
        Jurisdiction.code.in_({c.feature.jurisdiction_code for c in checked if c.feature.jurisdiction_code})))}
    for c in checked:
        f = c.feature
        base = f"features[{f.index}].properties"
        owner: Jurisdiction | None
        if f.jurisdiction_code:
            owner = named.get(f.jurisdiction_code)
            if owner is None:
                errors.append(FieldError(f"{base}.jurisdiction_code", "unknown_jurisdiction",
                                         f"所属行政区划 {f.jurisdiction_code} 不存在",
                                         f"Owning jurisdiction {f.jurisdiction_code} does not exist"))
                continue
        else:
            owner = smallest_jurisdiction_covering(session, func.ST_GeomFromWKB(c.wkb, 4326), scope)
            if owner is None:
                errors.append(FieldError(f"{base}.jurisdiction_code", "missing_property",
                                         "区域须有所属行政区划 jurisdiction_code（且无行政区划边界完整覆盖该区域）",
                                         "A zone needs jurisdiction_code (no jurisdiction boundary covers it entirely)"))
                continue
        if scope is not None and not any(owner.path.startswith(p) for p in scope):
            errors.append(_outside_scope(f.index, f.code))
            continue
        owners[f.index] = owner
    if errors:
        return []
    touched: list[int] = []
    # codes are unique within a file (geojson: duplicate_code), so one look-up serves every feature
    stored = {z.code: z for z in session.scalars(select(Zone).where(Zone.code.in_([c.feature.code for c in checked])))}
    for c in checked:
        f = c.feature
        owner = owners[f.index]
        zone = stored.get(f.code)
        before_wkb = _current_wkb(session, Zone.geom, Zone.id, zone.id) if zone is not None else None
        before = _zone_summary(zone, before_wkb) if zone is not None else None
        if zone is None:
            zone = Zone(code=f.code, kind=f.kind or "", name_zh=f.name, jurisdiction_id=owner.id, geom=WKBElement(c.wkb, srid=4326))
            session.add(zone)
        zone.kind, zone.name_zh, zone.name_en = f.kind or zone.kind, f.name, f.name_en
        zone.jurisdiction_id, zone.designated_by = owner.id, f.designated_by
        zone.valid_from, zone.valid_to, zone.is_demo = f.valid_from, f.valid_to, is_demo
        if before_wkb is None or geometry_digest(before_wkb) != c.digest:
            zone.geom = WKBElement(c.wkb, srid=4326)
        session.flush()
        after = _zone_summary(zone, c.wkb)
        if before is None:
            record_audit(session, "zone.create", "zone", f.code, after=after)
            result.created.append(f.code)
        elif before != after:
            record_audit(session, "zone.update", "zone", f.code, before=before, after=after)
            result.replaced.append(f.code)
        else:
            result.unchanged.append(f.code)
            continue
        touched.append(zone.id)
    return touched


def import_geojson(session: Session, source: BinaryReader | dict[str, Any], *, mode: str, kind: str | None = None,
                   crs: str = "wgs84", scope: Sequence[str] | None = None, is_demo: bool = False) -> ImportResult:
    """Validate and import a FeatureCollection (a binary stream, read incrementally, or parsed JSON).

    ``scope``: the caller's jurisdiction paths (API); ``None`` = unrestricted (CLI, demo loader).
    Raises ``ValidationFailed`` (code ``geojson_invalid``) listing every per-feature error; nothing
    is written in that case (and the caller must not commit).
    """
    if mode not in MODES:
        raise ValidationFailed(f"导入类型须为 {' | '.join(MODES)}", f"'as' must be one of {' | '.join(MODES)}",
                               errors=[FieldError("as", "invalid_mode", "导入类型无效", "Invalid import type")], code="invalid_mode")
    if mode == "zones" and kind is not None and kind not in ZONE_KINDS:
        raise ValidationFailed(f"未知的区域类别 {kind}", f"Unknown zone kind {kind}",
                               errors=[FieldError("kind", "invalid_kind", f"可选 {' | '.join(ZONE_KINDS)}",
                                                  f"use one of {' | '.join(ZONE_KINDS)}")], code="invalid_kind")
    options = {"mode": mode, "kind": kind if mode == "zones" else None, "crs": crs, "allowed_kinds": ZONE_KINDS}
    report: ImportReport = (validate_feature_collection(source, **options) if isinstance(source, dict)
                            else validate_stream(source, **options))
    result = ImportResult(mode=mode, crs=crs, kind=kind, feature_count=report.feature_count)
    result.repairs = [n.to_dict() for n in report.notices if n.code == "geometry_repaired"]
    result.notices = [n.to_dict() for n in report.notices if n.code != "geometry_repaired"]
    report.raise_for_errors()

    errors: list[FieldError] = []
    checked = [c for c in (_postgis_check(session, f, errors, result) for f in report.features) if c is not None]
    if not errors:
        if mode == "jurisdictions":
            _import_jurisdictions(session, checked, scope, errors, result)
            if not errors:
                session.flush()
                if scope is not None:
                    _sites_kept_in_scope(session, scope, errors)
            if not errors:
                result.sites_moved = rederive_site_jurisdictions(session)
        else:
            touched = _import_zones(session, checked, scope, errors, result, is_demo)
            if not errors:
                rederive_site_zones(session, zone_ids=touched)
    if errors:
        raise ValidationFailed(
            f"GeoJSON 导入被拒绝：{len(errors)} 处错误，整批未导入",
            f"GeoJSON import rejected: {len(errors)} error(s); nothing was imported",
            errors=errors, extra={"repairs": result.repairs}, code="geojson_invalid")
    session.flush()
    return result
