"""Spatial questions about jurisdictions and zones, answered by PostGIS on the GiST indexes.

Conventions:

* "covers" is ``ST_Covers``: a point on a boundary belongs to the polygon (a site on the
  edge of the fireworks ban area is in it).
* a site's reference point is ``ST_PointOnSurface(geom)``: the point itself, or a point on
  a road segment's line. The site's jurisdiction is the smallest jurisdiction (longest
  path: township before county) whose boundary covers that point; ties on a shared edge
  go to the lowest code, so the answer is deterministic.
* a site is in a zone when its geometry intersects the zone (``ST_Intersects``): a point on
  the edge counts, and a road segment that passes through a ban area is subject to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Table, and_, delete, func, insert, select, true
from sqlalchemy.orm import Session

from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.sites.models import Site, SiteZone
from app.zones.models import Zone

SRID = 4326


def point(lon: float, lat: float) -> ColumnElement[Any]:
    """A WGS-84 point expression."""
    return func.ST_SetSRID(func.ST_MakePoint(lon, lat), SRID)


def jurisdictions_covering(
    session: Session, geom: ColumnElement[Any], paths: Sequence[str] | None = None
) -> list[Jurisdiction]:
    """Jurisdictions whose boundary covers ``geom``, smallest first (longest path), then by code."""
    stmt = (
        select(Jurisdiction)
        .where(Jurisdiction.boundary.is_not(None), func.ST_Covers(Jurisdiction.boundary, geom), scope_clause(paths))
        .order_by(func.length(Jurisdiction.path).desc(), Jurisdiction.code)
    )
    return list(session.scalars(stmt))


def smallest_jurisdiction_covering(
    session: Session, geom: ColumnElement[Any], paths: Sequence[str] | None = None
) -> Jurisdiction | None:
    found = jurisdictions_covering(session, geom, paths)
    return found[0] if found else None


def zones_covering(session: Session, geom: ColumnElement[Any], paths: Sequence[str] | None = None) -> list[Zone]:
    """Zones whose polygon covers ``geom`` (owned by a jurisdiction within ``paths``), by kind then code."""
    stmt = (
        select(Zone)
        .join(Jurisdiction, Zone.jurisdiction_id == Jurisdiction.id)
        .where(func.ST_Covers(Zone.geom, geom), scope_clause(paths))
        .order_by(Zone.kind, Zone.code)
    )
    return list(session.scalars(stmt))


def rederive_site_zones(
    session: Session, *, site_ids: Iterable[int] | None = None, zone_ids: Iterable[int] | None = None
) -> None:
    """Recompute ``site_zones`` rows for the given sites or zones (both None = everything)."""
    site_ids = list(site_ids) if site_ids is not None else None
    zone_ids = list(zone_ids) if zone_ids is not None else None
    cond_del = []
    cond_ins: list[ColumnElement[bool]] = []
    if site_ids is not None:
        cond_del.append(SiteZone.site_id.in_(site_ids))
        cond_ins.append(Site.id.in_(site_ids))
    if zone_ids is not None:
        cond_del.append(SiteZone.zone_id.in_(zone_ids))
        cond_ins.append(Zone.id.in_(zone_ids))
    if (site_ids is not None and not site_ids) or (zone_ids is not None and not zone_ids):
        return
    session.execute(delete(SiteZone).where(*cond_del))
    session.execute(
        insert(SiteZone).from_select(
            ["site_id", "zone_id"],
            select(Site.id, Zone.id)
            .join(Zone, func.ST_Intersects(Zone.geom, Site.geom))
            .where(and_(true(), *cond_ins)),
        )
    )


def smallest_jurisdiction_for_site() -> Any:
    """Scalar subquery, correlated to ``Site``: the id of the smallest jurisdiction covering the site."""
    inner = Jurisdiction.__table__.alias("j")
    return (
        select(inner.c.id)
        .where(inner.c.boundary.is_not(None), func.ST_Covers(inner.c.boundary, func.ST_PointOnSurface(Site.geom)))
        .order_by(func.length(inner.c.path).desc(), inner.c.code)
        .limit(1)
        .correlate(Site)
        .scalar_subquery()
    )


def rederive_site_jurisdictions(session: Session, *, site_ids: Iterable[int] | None = None) -> int:
    """Re-point sites to the smallest jurisdiction covering them (after boundaries change).

    Sites that no boundary covers keep their jurisdiction. Returns the number of sites moved.
    """
    sub = smallest_jurisdiction_for_site()
    # Core UPDATE of the table (no ORM session synchronisation). Declarative types __table__ as a
    # FromClause; a class mapped with mapped_column() always has a Table there.
    stmt = (
        cast(Table, Site.__table__)
        .update()
        .where(sub.is_not(None), Site.jurisdiction_id.is_distinct_from(sub))
        .values(jurisdiction_id=sub, version=Site.version + 1)
    )
    if site_ids is not None:
        stmt = stmt.where(Site.id.in_(list(site_ids)))
    # Session.execute is typed Result; for an UPDATE it returns a CursorResult (SQLAlchemy docs).
    result = cast(CursorResult[Any], session.execute(stmt))
    return int(result.rowcount or 0)


__all__ = [
    "point",
    "jurisdictions_covering",
    "smallest_jurisdiction_covering",
    "zones_covering",
    "rederive_site_zones",
    "smallest_jurisdiction_for_site",
    "rederive_site_jurisdictions",
]


def area_outside_jurisdiction(
    session: Session, geom: ColumnElement[Any], jurisdiction_id: int, tolerance_m: float
) -> float | None:
    """How much of ``geom`` (m²) lies outside the jurisdiction's boundary, or None when ``geom`` lies
    within it. A part no farther than ``tolerance_m`` outside the boundary counts as inside: zones and
    boundaries are drawn from different sources and their shared edges never match exactly. Raises
    ``LookupError`` when the jurisdiction has no boundary (nothing to check against)."""
    boundary = Jurisdiction.boundary
    within = func.ST_CoveredBy(geom, boundary) | func.ST_CoveredBy(
        geom, func.geometry(func.ST_Buffer(func.geography(boundary), tolerance_m))
    )
    row = session.execute(
        select(
            boundary.is_(None).label("missing"),
            within.label("within"),
            func.ST_Area(func.geography(func.ST_Difference(geom, boundary))).label("outside_m2"),
        ).where(Jurisdiction.id == jurisdiction_id)
    ).one()
    if row.missing:
        raise LookupError(jurisdiction_id)
    return None if row.within else float(row.outside_m2)
