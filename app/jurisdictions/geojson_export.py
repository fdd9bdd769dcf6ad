"""Export jurisdiction boundaries as a GeoJSON FeatureCollection that ``flask geo import`` takes back."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnClause, literal_column, select
from sqlalchemy.orm import Session

from app.geo.crs import WGS84, feature_collection_from_wgs84
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause

_J = Jurisdiction.__table__.alias("j")
_P = Jurisdiction.__table__.alias("p")

# The FeatureCollection is built by PostGIS in one row; the FROM/WHERE around it are SQLAlchemy
# (scope through ``scope_clause``), so the aliases j, p below name the tables above.
_JURISDICTIONS_FC: ColumnClause[str] = literal_column("""
json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(json_build_object(
    'type', 'Feature', 'id', j.code,
    'properties', json_build_object('code', j.code, 'name', j.name_zh, 'name_en', j.name_en,
                                    'level', j.level, 'parent_code', p.code),
    'geometry', ST_AsGeoJSON(j.boundary)::json) ORDER BY j.path), '[]'::json))::text
""")


def export_jurisdictions(session: Session, paths: Sequence[str] | None, crs: str = WGS84) -> str:
    """FeatureCollection (text) of jurisdictions with a boundary, in scope; re-importable as-is."""
    stmt = (
        select(_JURISDICTIONS_FC)
        .select_from(_J.outerjoin(_P, _P.c.id == _J.c.parent_id))
        .where(_J.c.boundary.is_not(None), scope_clause(paths, _J.c.path))
    )
    return feature_collection_from_wgs84(session.execute(stmt).scalar_one(), crs)
