"""Export zones as a GeoJSON FeatureCollection that ``flask geo import`` takes back."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnClause, literal_column, select
from sqlalchemy.orm import Session

from app.geo.crs import WGS84, feature_collection_from_wgs84
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.zones.models import Zone

_Z = Zone.__table__.alias("z")
_J = Jurisdiction.__table__.alias("j")

# The FeatureCollection is built by PostGIS in one row; the FROM/WHERE around it are SQLAlchemy
# (scope through ``scope_clause``), so the aliases z, j below name the tables above.
_ZONES_FC: ColumnClause[str] = literal_column("""
json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(json_build_object(
    'type', 'Feature', 'id', z.code,
    'properties', json_build_object('code', z.code, 'name', z.name_zh, 'name_en', z.name_en, 'kind', z.kind,
                                    'jurisdiction_code', j.code, 'designated_by', z.designated_by,
                                    'valid_from', z.valid_from, 'valid_to', z.valid_to, 'demo', z.is_demo),
    'geometry', ST_AsGeoJSON(z.geom)::json) ORDER BY z.kind, z.code), '[]'::json))::text
""")


def export_zones(session: Session, paths: Sequence[str] | None, crs: str = WGS84, kind: str | None = None) -> str:
    """FeatureCollection (text) of zones owned by in-scope jurisdictions; re-importable as-is."""
    stmt = (
        select(_ZONES_FC)
        .select_from(_Z.join(_J, _J.c.id == _Z.c.jurisdiction_id))
        .where(scope_clause(paths, _J.c.path))
    )
    if kind:
        stmt = stmt.where(_Z.c.kind == kind)
    return feature_collection_from_wgs84(session.execute(stmt).scalar_one(), crs)
