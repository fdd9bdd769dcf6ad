"""Map-layer read services: locate a point, export jurisdictions and zones as GeoJSON."""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnClause, literal_column, select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.geo.crs import WGS84, to_wgs84, transform_geometry
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.jurisdictions.services import chain_codes
from app.localtime import today_local
from app.zones.models import Zone
from app.zones.queries import jurisdictions_covering, point, zones_covering


def _jurisdiction_ref(j: Jurisdiction) -> dict[str, Any]:
    return {"code": j.code, "name_zh": j.name_zh, "name_en": j.name_en, "level": j.level}


def locate(session: Session, lon: float, lat: float, crs: str, paths: Sequence[str] | None,
           on: date | None = None) -> dict[str, Any]:
    """Jurisdiction chain (root first → smallest) and zones covering a point, within ``paths``.

    Jurisdictions and zones outside the caller's scope are left out; ancestors above the
    caller's own jurisdictions (e.g. the province for a district supervisor) too. A point
    no in-scope jurisdiction covers is NotFound. ``ST_Covers``: points on an edge count.
    """
    wlon, wlat = to_wgs84(lon, lat, crs)
    pt = point(wlon, wlat)
    covering = jurisdictions_covering(session, pt, paths)
    if not covering:
        raise NotFound("该位置不在您辖区内任何行政区划的边界范围内。",
                       "The point lies in none of your jurisdictions' boundaries.", code="location_out_of_scope")
    leaf = covering[0]
    codes = chain_codes(leaf.path)
    by_code = {j.code: j for j in session.scalars(select(Jurisdiction).where(Jurisdiction.code.in_(codes)))}
    chain = [by_code[c] for c in codes if c in by_code
             and (paths is None or any(by_code[c].path.startswith(p) for p in paths))]
    on = on or today_local()
    zones = zones_covering(session, pt, paths)
    return {
        "input": {"lon": lon, "lat": lat, "crs": crs},
        "wgs84": {"lon": wlon, "lat": wlat},
        "jurisdictions": [_jurisdiction_ref(j) for j in chain],
        "jurisdiction_order": "root_first",
        "zones": [{"code": z.code, "kind": z.kind, "name_zh": z.name_zh, "name_en": z.name_en,
                   "valid_from": z.valid_from, "valid_to": z.valid_to, "in_force": z.in_force(on)} for z in zones],
    }


_J = Jurisdiction.__table__.alias("j")
_P = Jurisdiction.__table__.alias("p")
_Z = Zone.__table__.alias("z")

# The FeatureCollection is built by PostGIS in one row; the FROM/WHERE around it are SQLAlchemy
# (scope through ``scope_clause``), so the aliases j, p, z below name the tables above.
_JURISDICTIONS_FC: ColumnClause[str] = literal_column("""
json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(json_build_object(
    'type', 'Feature', 'id', j.code,
    'properties', json_build_object('code', j.code, 'name', j.name_zh, 'name_en', j.name_en,
                                    'level', j.level, 'parent_code', p.code),
    'geometry', ST_AsGeoJSON(j.boundary)::json) ORDER BY j.path), '[]'::json))::text
""")

_ZONES_FC: ColumnClause[str] = literal_column("""
json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(json_build_object(
    'type', 'Feature', 'id', z.code,
    'properties', json_build_object('code', z.code, 'name', z.name_zh, 'name_en', z.name_en, 'kind', z.kind,
                                    'jurisdiction_code', j.code, 'designated_by', z.designated_by,
                                    'valid_from', z.valid_from, 'valid_to', z.valid_to, 'demo', z.is_demo),
    'geometry', ST_AsGeoJSON(z.geom)::json) ORDER BY z.kind, z.code), '[]'::json))::text
""")


def _convert(doc_text: str, crs: str) -> str:
    if crs == WGS84:
        return doc_text
    doc = json.loads(doc_text)
    for f in doc["features"]:
        f["geometry"] = transform_geometry(f["geometry"], WGS84, crs)
    return json.dumps(doc, ensure_ascii=False)


def export_jurisdictions(session: Session, paths: Sequence[str] | None, crs: str = WGS84) -> str:
    """FeatureCollection (text) of jurisdictions with a boundary, in scope; re-importable as-is."""
    stmt = (select(_JURISDICTIONS_FC).select_from(_J.outerjoin(_P, _P.c.id == _J.c.parent_id))
            .where(_J.c.boundary.is_not(None), scope_clause(paths, _J.c.path)))
    return _convert(session.execute(stmt).scalar_one(), crs)


def export_zones(session: Session, paths: Sequence[str] | None, crs: str = WGS84, kind: str | None = None) -> str:
    """FeatureCollection (text) of zones owned by in-scope jurisdictions; re-importable as-is."""
    stmt = (select(_ZONES_FC).select_from(_Z.join(_J, _J.c.id == _Z.c.jurisdiction_id))
            .where(scope_clause(paths, _J.c.path)))
    if kind:
        stmt = stmt.where(_Z.c.kind == kind)
    return _convert(session.execute(stmt).scalar_one(), crs)
