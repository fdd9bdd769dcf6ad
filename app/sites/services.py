"""Sites registry: create/update (validated, located by PostGIS, audited), scoped reads, and the
context other features need (checklists: ``site_context``; penalties: ``responsible_subdistrict``).

Location is derived on every save:

* ``jurisdiction_id`` = the smallest jurisdiction whose boundary covers the site's reference
  point (``app.zones.queries``); when no boundary covers it (boundaries not imported yet) the
  client's ``jurisdiction_code`` is used; when both exist the derived one must lie within it.
* ``site_zones`` = zones the site geometry intersects, re-derived on save and whenever zones
  are imported (``app.geo.importer``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from geoalchemy2 import WKBElement
from geoalchemy2.shape import from_shape, to_shape
from jsonschema import Draft202012Validator
from shapely.geometry import mapping, shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import cursors
from app.audit.services import record_audit
from app.auth.principal import Principal
from app.checklists.files import DEFAULT_CHECKLISTS_DIR
from app.checklists.site_kinds import load_site_kinds, site_kinds_path
from app.errors import FieldError, NotFound, PreconditionFailed, ValidationFailed
from app.etags import version_etag
from app.geo.crs import WGS84, parse_crs, transform_geometry
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.services import chain_codes
from app.localtime import today_local
from app.notified_cache import NotifiedCache
from app.read_only import ReadOnlyDatabase
from app.sites.credit_code import credit_code_error, normalize_credit_code
from app.sites.models import LINE_KINDS, PARTY_TYPES, Site
from app.sites.queries import SiteFilter, SiteItemRow, search_sites, site_in_scope, zones_by_site
from app.zones.models import Zone, designation_in_force
from app.zones.queries import rederive_site_zones, smallest_jurisdiction_covering

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


# ------------------------------------------------------------------------------ site kinds


def site_kinds(checklists_dir: str | Path = DEFAULT_CHECKLISTS_DIR) -> dict[str, Any]:
    """``kinds`` of ``<checklists_dir>/site_kinds.yaml`` (owned by the checklist feature; the entry point
    passes its configured ``CHECKLISTS_DIR``), loaded once per file change."""
    return dict(load_site_kinds(site_kinds_path(checklists_dir)).get("kinds", {}))


@lru_cache(maxsize=64)
def _validator(kind: str, schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json))


def attribute_errors(kind: str, attributes: Any, kinds: dict[str, Any]) -> list[FieldError]:
    """Check ``attributes`` against the JSON Schema of ``kind`` in ``kinds`` (see ``site_kinds``)."""
    spec = kinds.get(kind) or {}
    schema = spec.get("attributes") or {"type": "object"}
    validator = _validator(kind, json.dumps(schema, sort_keys=True))
    out = []
    for err in sorted(validator.iter_errors(attributes), key=lambda e: list(e.absolute_path)):
        path = ".".join(["attributes", *[str(p) for p in err.absolute_path]])
        if err.validator == "additionalProperties":
            out.append(
                FieldError(
                    path,
                    "unknown_attribute",
                    f"该类场所没有此属性：{err.message}",
                    f"Not an attribute of {kind}: {err.message}",
                )
            )
        else:
            out.append(FieldError(path, "invalid_attribute", f"属性取值无效：{err.message}", err.message))
    return out


# ------------------------------------------------------------------------------ validation


def _geometry_errors(kind: str, geometry: Any, crs: str) -> tuple[dict[str, Any] | None, list[FieldError]]:
    """Validate a GeoJSON geometry for ``kind`` and convert it to WGS-84."""
    want = "LineString" if kind in LINE_KINDS else "Point"
    if not isinstance(geometry, dict) or geometry.get("type") != want:
        got = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        return None, [
            FieldError(
                "geometry.type",
                "geometry_type_mismatch",
                f"{kind} 的几何类型须为 {want}，实际为 {got}",
                f"A {kind} needs a {want}, got {got}",
            )
        ]
    try:
        wgs = transform_geometry(geometry, crs, WGS84)
    except ValidationFailed as exc:
        return None, [FieldError(f"geometry.{e.path}", e.code, e.message_zh, e.message_en) for e in exc.errors]
    shp = shape(wgs)
    if want == "LineString" and (len(wgs["coordinates"]) < 2 or shp.length == 0):
        return None, [
            FieldError(
                "geometry.coordinates",
                "line_too_short",
                "线段至少需要两个不同的点",
                "A line needs at least two distinct positions",
            )
        ]
    return wgs, []


def _operator_errors(operator: Any) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(operator, dict):
        return [FieldError("operator", "missing_property", "缺少经营者信息", "operator is required")]
    if operator.get("type") not in PARTY_TYPES:
        errors.append(
            FieldError(
                "operator.type",
                "invalid_party_type",
                f"经营者类型须为 {' | '.join(PARTY_TYPES)}",
                f"operator.type must be one of {' | '.join(PARTY_TYPES)}",
            )
        )
    if not (isinstance(operator.get("name"), str) and operator["name"].strip()):
        errors.append(FieldError("operator.name", "missing_property", "缺少经营者名称", "operator.name is required"))
    code = operator.get("credit_code")
    if code in (None, ""):
        if operator.get("type") == "company":
            errors.append(
                FieldError(
                    "operator.credit_code",
                    "missing_property",
                    "单位须提供统一社会信用代码",
                    "A company needs its unified social credit code",
                )
            )
    else:
        err = credit_code_error(code, path="operator.credit_code")
        if err is not None:
            errors.append(err)
    return errors


def _locate(
    session: Session, geom_wgs: dict[str, Any], jurisdiction_code: str | None, principal: Principal | None
) -> tuple[Jurisdiction | None, list[FieldError]]:
    ewkb = from_shape(shape(geom_wgs), srid=4326)
    derived = smallest_jurisdiction_covering(session, func.ST_PointOnSurface(ewkb))
    given: Jurisdiction | None = None
    if jurisdiction_code:
        given = session.scalar(select(Jurisdiction).where(Jurisdiction.code == jurisdiction_code))
        if given is None:
            return None, [
                FieldError(
                    "jurisdiction_code",
                    "unknown_jurisdiction",
                    f"行政区划 {jurisdiction_code} 不存在",
                    f"No jurisdiction {jurisdiction_code}",
                )
            ]
    if derived is not None and given is not None and not derived.path.startswith(given.path):
        return None, [
            FieldError(
                "jurisdiction_code",
                "location_mismatch",
                f"场所位置在 {derived.name_zh}（{derived.code}），不在 {given.name_zh}（{given.code}）",
                f"The location lies in {derived.code}, not in {given.code}",
            )
        ]
    found = derived or given
    if found is None:
        return None, [
            FieldError(
                "geometry",
                "no_jurisdiction",
                "没有行政区划边界覆盖该位置，请提供 jurisdiction_code",
                "No jurisdiction boundary covers this location; give jurisdiction_code",
            )
        ]
    if principal is not None and not principal.covers(found.path):
        return None, [
            FieldError(
                "geometry",
                "outside_scope",
                f"该位置（{found.code}）不在您的辖区内",
                f"This location ({found.code}) is outside your jurisdictions",
            )
        ]
    return found, []


# ------------------------------------------------------------------------------ presentation helpers


def geometry_geojson(geom: WKBElement, crs: str = WGS84) -> dict[str, Any]:
    """GeoJSON of a stored (WGS-84) geometry, converted to ``crs``."""
    gj = json.loads(json.dumps(mapping(to_shape(geom))))  # tuples -> lists
    return transform_geometry(gj, WGS84, crs) if crs != WGS84 else gj


def site_summary(site: Site) -> dict[str, Any]:
    """Audit snapshot of a site."""
    return {
        "code": site.code,
        "kind": site.kind,
        "name": site.name,
        "operator_type": site.operator_type,
        "operator_name": site.operator_name,
        "operator_credit_code": site.operator_credit_code,
        "address": site.address,
        "geometry": geometry_geojson(site.geom) if site.geom is not None else None,
        "attributes": site.attributes,
        "jurisdiction_id": site.jurisdiction_id,
        "version": site.version,
    }


# ------------------------------------------------------------------------------ create / update

_FIELDS = ("kind", "name", "operator", "address", "geometry", "attributes")


def _apply(
    session: Session,
    site: Site,
    data: dict[str, Any],
    principal: Principal | None,
    *,
    creating: bool,
    kinds: dict[str, Any],
) -> None:
    crs = parse_crs(data.get("crs"))
    kind = data.get("kind", site.kind)
    errors: list[FieldError] = []
    if kind not in kinds:
        errors.append(
            FieldError(
                "kind",
                "invalid_kind",
                f"未知的场所类别 {kind}，可选 {' | '.join(kinds)}",
                f"Unknown site kind {kind}; use one of {' | '.join(kinds)}",
            )
        )
    if "name" in data and not (isinstance(data["name"], str) and data["name"].strip()):
        errors.append(FieldError("name", "missing_property", "名称不能为空", "name must not be empty"))
    if "operator" in data:
        errors.extend(_operator_errors(data["operator"]))
    geom_wgs = None
    if "geometry" in data or (not creating and "kind" in data and kind in kinds):
        if "geometry" in data:
            raw = data["geometry"]
        else:  # kind changed: the stored geometry must still fit the new kind
            raw, crs = geometry_geojson(site.geom), WGS84
        if kind in kinds:
            geom_wgs, gerrs = _geometry_errors(kind, raw, crs)
            errors.extend(gerrs)
    attributes = data.get("attributes", {} if creating else site.attributes)
    if kind in kinds and ("attributes" in data or "kind" in data):
        errors.extend(attribute_errors(kind, attributes, kinds))
    jurisdiction = None
    if geom_wgs is not None and not errors and "geometry" in data:
        jurisdiction, lerrs = _locate(session, geom_wgs, data.get("jurisdiction_code"), principal)
        errors.extend(lerrs)
    if errors:
        raise ValidationFailed("场所信息未通过校验", "Site data is invalid", errors=errors, code="site_invalid")
    site.kind = kind
    if "name" in data:
        site.name = data["name"].strip()
    if "address" in data:
        site.address = data["address"]
    if "operator" in data:
        op = data["operator"]
        site.operator_type, site.operator_name = op["type"], op["name"].strip()
        cc = op.get("credit_code")
        site.operator_credit_code = normalize_credit_code(cc) if cc else None
    if "attributes" in data:
        site.attributes = dict(attributes)
    if "code" in data and creating:
        site.code = data["code"]
    if jurisdiction is not None and geom_wgs is not None:
        site.geom = from_shape(shape(geom_wgs), srid=4326)
        site.jurisdiction_id = jurisdiction.id
        site.jurisdiction = jurisdiction


def create_site(
    session: Session,
    data: dict[str, Any],
    *,
    principal: Principal | None,
    is_demo: bool = False,
    checklists_dir: str | Path = DEFAULT_CHECKLISTS_DIR,
) -> Site:
    """Create a site from validated input (``kind``, ``name``, ``operator``, ``geometry`` [+ ``crs``],
    ``address``, ``attributes``, optional ``jurisdiction_code`` and ``code``). Audited as ``site.create``.
    Kinds and their attributes come from ``<checklists_dir>/site_kinds.yaml``."""
    missing = [f for f in ("kind", "name", "operator", "geometry") if f not in data]
    if missing:
        raise ValidationFailed(
            "缺少必填字段",
            "Missing required fields",
            code="site_invalid",
            errors=[
                FieldError(f, "missing_property", "缺少必填字段", "Missing data for required field.") for f in missing
            ],
        )
    site = Site(is_demo=is_demo, version=1, attributes={})
    _apply(session, site, data, principal, creating=True, kinds=site_kinds(checklists_dir))
    session.add(site)
    session.flush()
    rederive_site_zones(session, site_ids=[site.id])
    record_audit(session, "site.create", "site", site.id, after=site_summary(site))
    return site


def update_site(
    session: Session,
    site: Site,
    data: dict[str, Any],
    *,
    principal: Principal | None,
    expected_version: int | None = None,
    checklists_dir: str | Path = DEFAULT_CHECKLISTS_DIR,
) -> Site:
    """Change some fields of a site (``If-Match`` → ``expected_version``; stale → 412). Audited as ``site.update``."""
    if expected_version is not None and expected_version != site.version:
        raise PreconditionFailed(
            f"场所已被修改（当前版本 {site.version}）",
            f"The site changed (current version {site.version})",
            extra={"current_version": site.version, "_headers": {"ETag": version_etag(site.version)}},
        )
    before = site_summary(site)
    _apply(session, site, data, principal, creating=False, kinds=site_kinds(checklists_dir))
    after = site_summary(site)
    if after != before:
        site.version += 1
        session.flush()
        if after["geometry"] != before["geometry"]:
            rederive_site_zones(session, site_ids=[site.id])
        record_audit(session, "site.update", "site", site.id, before=before, after=site_summary(site))
    return site


# ------------------------------------------------------------------------------ reads


def get_site(session: Session, site_id: int, principal: Principal) -> Site:
    """The site if it lies in the caller's jurisdictions; otherwise NotFound (404, never 403)."""
    site = site_in_scope(session, site_id, principal.jurisdiction_paths)
    if site is None:
        raise NotFound("场所不存在或不在您的辖区内。", "Site not found in your jurisdictions.", code="site_not_found")
    return site


def _fingerprint(flt: SiteFilter) -> str:
    raw = json.dumps([flt.near, flt.radius_m, flt.bbox, flt.q, flt.kind], default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def encode_cursor(flt: SiteFilter, distance_m: float | None, site_id: int) -> str:
    return cursors.encode_cursor(
        json.dumps({"f": _fingerprint(flt), "d": distance_m, "id": site_id}, separators=(",", ":"))
    )


def decode_cursor(flt: SiteFilter, cursor: str) -> tuple[float | None, int]:
    try:
        raw = json.loads(cursors.decode_cursor(cursor))
        if raw["f"] != _fingerprint(flt):
            raise ValueError("cursor belongs to another query")
        return (float(raw["d"]) if raw["d"] is not None else None), int(raw["id"])
    except (ValueError, KeyError, TypeError) as exc:  # MalformedCursor and JSONDecodeError are ValueErrors
        raise cursors.invalid_cursor() from exc


def list_sites(
    reads: ReadOnlyDatabase,
    principal: Principal,
    flt: SiteFilter,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
    cache: NotifiedCache | None = None,
) -> tuple[list[SiteItemRow], str | None]:
    """One page of sites in scope (``queries.search_sites`` rows, each item's JSON made by PostgreSQL: one
    statement on the read-only pool; the zones from ``cache``, app/reference_cache.py, when given), and the
    cursor of the next page (None on the last page)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    after = decode_cursor(flt, cursor) if cursor else None
    rows = search_sites(reads, principal.jurisdiction_paths, flt, limit=limit + 1, after=after, zones_cache=cache)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(flt, last.distance_m, last.id)
    return rows, next_cursor


def site_zones(session: Session, site: Site, on: date | None = None) -> list[Zone]:
    """Zones the site lies in; with ``on``, only those in force that day."""
    zones = zones_by_site(session, [site.id]).get(site.id, [])
    return [z for z in zones if on is None or z.in_force(on)]


def _zone_kinds_in_force(session: Session, site: Site, on: date, cache: NotifiedCache | None) -> set[str]:
    """The kinds of the zones the site lies in that are in force on ``on``; with ``cache`` (app/reference_cache.py)
    each zone's kind and designation period are kept per site."""
    if cache is None:
        return {z.kind for z in site_zones(session, site, on)}
    spans: tuple[tuple[str, date | None, date | None], ...] = cache.get_or_load(
        ("zones", site.id), lambda: tuple((z.kind, z.valid_from, z.valid_to) for z in site_zones(session, site))
    )
    return {kind for kind, valid_from, valid_to in spans if designation_in_force(valid_from, valid_to, on)}


def site_context(
    session: Session, site: Site, on: date | None = None, cache: NotifiedCache | None = None
) -> dict[str, Any]:
    """What checklist applicability needs about a site (zones in force on ``on``, default today).

    ``{"site": {"kind", "attributes"}, "zones": [zone kinds, sorted, unique],
    "jurisdictions": [chain codes root → leaf]}``
    """
    on = on or today_local()
    kinds = sorted(_zone_kinds_in_force(session, site, on, cache))
    return {
        "site": {"kind": site.kind, "attributes": dict(site.attributes or {})},
        "zones": kinds,
        "jurisdictions": chain_codes(site.jurisdiction.path),
    }


def responsible_subdistrict_ref(
    session: Session, site: Site, cache: NotifiedCache | None = None
) -> tuple[str, str] | None:
    """``responsible_subdistrict``'s code and Chinese name, kept per site in ``cache`` (app/reference_cache.py)."""
    if cache is None:
        found = responsible_subdistrict(session, site)
        return (found.code, found.name_zh) if found is not None else None

    def load() -> tuple[str, str] | tuple[()]:
        found = responsible_subdistrict(session, site)
        return (found.code, found.name_zh) if found is not None else ()

    cached: tuple[str, str] | tuple[()] = cache.get_or_load(("subdistrict", site.id), load)
    return cached if cached else None


def responsible_subdistrict(session: Session, site: Site) -> Jurisdiction | None:
    """The township/sub-district whose polygon contains the site (000§五(二): it bears the fiscal
    deduction), or None when no township boundary covers it. Points on a shared edge go to the
    lowest code (deterministic)."""
    ref = func.ST_PointOnSurface(Site.geom)
    return session.scalar(
        select(Jurisdiction)
        .join(Site, Site.id == site.id)
        .where(
            Jurisdiction.level == "township",
            Jurisdiction.boundary.is_not(None),
            func.ST_Covers(Jurisdiction.boundary, ref),
        )
        .order_by(Jurisdiction.code)
        .limit(1)
    )
