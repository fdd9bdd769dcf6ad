"""PostGIS's second opinion on each geometry shapely accepted: ``ST_IsValid``, else ``ST_MakeValid``."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.errors import FieldError
from app.geo.import_result import CheckedFeature
from app.geo.report import ImportedFeature

# When PostGIS disagrees with shapely the geometry is repaired with ST_MakeValid +
# ST_CollectionExtract(…, 3) (polygons only); an empty result rejects the feature.
_POSTGIS_CHECK = text("""
    SELECT ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason,
           ST_IsEmpty(fixed) AS empty, ST_Area(fixed::geography) AS area_m2, ST_AsBinary(fixed) AS wkb
    FROM (SELECT g, CASE WHEN ST_IsValid(g) THEN ST_Multi(g)
                         ELSE ST_Multi(ST_CollectionExtract(ST_MakeValid(g), 3)) END AS fixed
          FROM (SELECT ST_GeomFromText(:wkt, 4326) AS g) s) t
""")


def postgis_check(
    session: Session, feature: ImportedFeature, errors: list[FieldError], repairs: list[dict[str, str]]
) -> CheckedFeature | None:
    """The feature as PostGIS will store it; None (and an error) when PostGIS cannot repair it."""
    path = f"features[{feature.index}].geometry"
    row = session.execute(_POSTGIS_CHECK, {"wkt": feature.wkt}).one()
    if row.empty or not row.area_m2:
        errors.append(
            FieldError(
                path,
                "geometry_unrepairable",
                f"PostGIS 认为几何图形无效且 ST_MakeValid 无法修复：{row.reason}",
                f"PostGIS finds the geometry invalid and ST_MakeValid cannot repair it: {row.reason}",
            )
        )
        return None
    if not row.valid:
        repairs.append(
            FieldError(
                path,
                "geometry_repaired_postgis",
                f"PostGIS 判定几何图形无效（{row.reason}），已用 ST_MakeValid 修复",
                f"PostGIS found the geometry invalid ({row.reason}); repaired with ST_MakeValid",
            ).to_dict()
        )
    wkb = bytes(row.wkb)
    return CheckedFeature(feature, wkb, hashlib.sha256(wkb).hexdigest())


def current_wkb(session: Session, geom_col: Any, id_col: Any, row_id: int) -> bytes | None:
    """The stored geometry of one row as WKB (None when it has none)."""
    value = session.scalar(select(func.ST_AsBinary(geom_col)).where(id_col == row_id))
    return bytes(value) if value is not None else None
