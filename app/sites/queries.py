"""Site look-ups on PostGIS: scope, nearby (geography, metres), bbox, text search, keyset pages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    ColumnExpressionArgument,
    Row,
    and_,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.types import UserDefinedType

from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.sites.models import Site, SiteZone
from app.zones.models import Zone
from app.zones.queries import point


class _Geography(UserDefinedType[Any]):
    """Plain ``geography`` (no typmod), so ``CAST(geom AS geography)`` matches the ``ix_sites_geog`` index."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "geography"


def geography(expr: ColumnExpressionArgument[Any]) -> ColumnElement[Any]:
    return cast(expr, _Geography())


@dataclass(frozen=True)
class SiteFilter:
    near: tuple[float, float] | None = None  # WGS-84 lon, lat
    radius_m: float | None = None
    bbox: tuple[float, float, float, float] | None = None  # WGS-84 minlon, minlat, maxlon, maxlat
    q: str | None = None
    kind: str | None = None


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _zones_json(site_id: ColumnElement[int]) -> ColumnElement[Any]:
    """The site's zones (``site_zones``) as a JSON array of {code, kind, name_zh, name_en}, by kind then code."""
    zone = func.json_build_object(
        literal_column("'code'"), Zone.code, literal_column("'kind'"), Zone.kind,
        literal_column("'name_zh'"), Zone.name_zh, literal_column("'name_en'"), Zone.name_en,
    )  # fmt: skip
    return type_coerce(
        select(func.json_agg(aggregate_order_by(zone, Zone.kind, Zone.code)))
        .select_from(SiteZone)
        .join(Zone, Zone.id == SiteZone.zone_id)
        .where(SiteZone.site_id == site_id)
        .scalar_subquery(),
        JSON,
    )


def search_sites(
    session: Session,
    paths: Sequence[str] | None,
    flt: SiteFilter,
    *,
    limit: int,
    after: tuple[float | None, int] | None = None,
) -> list[Row[Any]]:
    """Sites in scope matching ``flt``: nearest first (then id) with ``near``, else by id, as Core rows of the
    site's columns, its jurisdiction's (``j_code``, ``j_name_zh``, ``j_name_en``, ``j_level``), ``distance_m``
    (None without ``near``) and ``zones`` (JSON array, see ``_zones_json``): one statement, no ORM objects.

    ``after`` is the keyset position ``(distance_m or None, id)`` of the last row of the previous page.
    Distances are ``ST_Distance`` on geography (spheroid, metres); ``radius_m`` filters with
    ``ST_DWithin`` on geography, which the ``ix_sites_geog`` expression index serves.
    """
    conds: list[ColumnElement[bool]] = [scope_clause(paths)]
    distance: ColumnElement[Any] | None = None
    if flt.near is not None:
        here = geography(point(*flt.near))
        distance = func.ST_Distance(geography(Site.geom), here)
        if flt.radius_m is not None:
            conds.append(func.ST_DWithin(geography(Site.geom), here, flt.radius_m))
    if flt.bbox is not None:
        conds.append(func.ST_Intersects(Site.geom, func.ST_MakeEnvelope(*flt.bbox, 4326)))
    if flt.kind:
        conds.append(Site.kind == flt.kind)
    if flt.q:
        q = flt.q.strip()
        conds.append(
            or_(
                Site.name.ilike(f"%{_escape_like(q)}%", escape="\\"),
                Site.operator_credit_code == q.upper(),
                func.upper(Site.code) == q.upper(),
            )
        )
    if after is not None:
        last_d, last_id = after
        if distance is not None and last_d is not None:
            conds.append(or_(distance > last_d, and_(distance == last_d, Site.id > last_id)))
        else:
            conds.append(Site.id > last_id)
    distance_m = (distance if distance is not None else null()).label("distance_m")
    page = (
        select(
            Site.id,
            Site.code,
            Site.kind,
            Site.name,
            Site.operator_type,
            Site.operator_name,
            Site.operator_credit_code,
            Site.address,
            Site.geom,
            Site.attributes,
            Site.is_demo,
            Site.version,
            Site.created_at,
            Site.updated_at,
            Jurisdiction.code.label("j_code"),
            Jurisdiction.name_zh.label("j_name_zh"),
            Jurisdiction.name_en.label("j_name_en"),
            Jurisdiction.level.label("j_level"),
            distance_m,
        )  # fmt: skip
        .join(Jurisdiction, Site.jurisdiction_id == Jurisdiction.id)
        .where(*conds)
        .order_by(*((distance, Site.id) if distance is not None else (Site.id,)))
        .limit(limit)
        .subquery("page")
    )
    # The zones are looked up for the page's rows only (after the limit), not for every match.
    order = (page.c.distance_m, page.c.id) if distance is not None else (page.c.id,)
    return list(session.execute(select(page, _zones_json(page.c.id).label("zones")).order_by(*order)))


def zones_by_site(session: Session, site_ids: Sequence[int]) -> dict[int, list[Zone]]:
    """The zones each site lies in (from ``site_zones``), ordered by kind and code."""
    out: dict[int, list[Zone]] = defaultdict(list)
    if not site_ids:
        return out
    rows = session.execute(
        select(SiteZone.site_id, Zone)
        .join(Zone, Zone.id == SiteZone.zone_id)
        .where(SiteZone.site_id.in_(list(site_ids)))
        .order_by(Zone.kind, Zone.code)
    )
    for site_id, zone in rows:
        out[site_id].append(zone)
    return out


def site_in_scope(session: Session, site_id: int, paths: Sequence[str] | None) -> Site | None:
    return session.scalar(
        select(Site)
        .join(Jurisdiction, Site.jurisdiction_id == Jurisdiction.id)
        .options(contains_eager(Site.jurisdiction))
        .where(Site.id == site_id, scope_clause(paths))
    )
