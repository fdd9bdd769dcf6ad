"""Site look-ups on PostGIS: scope, nearby (geography, metres), bbox, text search, keyset pages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal, NamedTuple

from sqlalchemy import (
    JSON,
    ColumnElement,
    ColumnExpressionArgument,
    Float,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.types import UserDefinedType

from app import read_only
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.sites.models import Site, SiteZone
from app.zones.models import Zone
from app.zones.queries import SRID


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


class SiteRow(NamedTuple):
    """One row of ``search_sites``: the site's columns, its jurisdiction's, its distance and zones."""

    id: int
    code: str | None
    kind: str
    name: str
    operator_type: str
    operator_name: str | None
    operator_credit_code: str | None
    address: str | None
    geometry: dict[str, Any]  # the stored (WGS-84) geometry as GeoJSON, see _GEOJSON_DIGITS
    attributes: dict[str, Any]
    is_demo: bool
    version: int
    created_at: datetime
    updated_at: datetime
    j_code: str
    j_name_zh: str
    j_name_en: str | None
    j_level: str
    distance_m: float | None
    zones: list[dict[str, Any]] | None


_SRID: ColumnElement[Any] = literal_column(str(SRID))  # part of the statement's text, not a parameter
# GeoJSON made by PostGIS, parsed by psycopg (no Shapely object and no JSON round trip per site). 15 decimals: PostGIS
# (≥ 3.1) writes the shortest text that reads back as the same double, as Python's repr does, and a longitude
# or latitude (≥ 1° in magnitude here) never needs more than 15 decimals for it: the same numbers as
# ``services.geometry_geojson`` (tests/api/test_sites_rows.py compares them).
_GEOJSON_DIGITS: ColumnElement[Any] = literal_column("15")


@dataclass(frozen=True)
class _Shape:
    """Which conditions a site search has: one compiled statement per shape (``_search_statement``)."""

    scoped: bool
    near: bool
    radius: bool
    bbox: bool
    kind: bool
    q: bool
    after: Literal["none", "distance", "id"]


@cache
def _search_statement(shape: _Shape) -> read_only.ReadStatement:
    """The site search for ``shape``, built and compiled once with bound parameters (issue #17, goal 3): a
    request only binds its values. At most 2 × 2 × 2 × 2 × 2 × 2 × 3 shapes."""
    conds: list[ColumnElement[bool]] = []
    if shape.scoped:
        # At or below one of the caller's jurisdictions (``scope_clause``), the prefixes bound as one array.
        conds.append(Jurisdiction.path.like(any_(bindparam("scope", type_=ARRAY(String)))))
    distance: ColumnElement[Any] | None = None
    if shape.near:
        here = geography(
            func.ST_SetSRID(func.ST_MakePoint(bindparam("lon", type_=Float), bindparam("lat", type_=Float)), _SRID)
        )
        distance = func.ST_Distance(geography(Site.geom), here)
        if shape.radius:
            conds.append(func.ST_DWithin(geography(Site.geom), here, bindparam("radius_m", type_=Float)))
    if shape.bbox:
        box = [bindparam(name, type_=Float) for name in ("minlon", "minlat", "maxlon", "maxlat")]
        conds.append(func.ST_Intersects(Site.geom, func.ST_MakeEnvelope(*box, _SRID)))
    if shape.kind:
        conds.append(Site.kind == bindparam("kind", type_=String))
    if shape.q:
        q_upper = bindparam("q_upper", type_=String)
        conds.append(
            or_(
                Site.name.ilike(bindparam("q_like", type_=String), escape="\\"),
                Site.operator_credit_code == q_upper,
                func.upper(Site.code) == q_upper,
            )
        )
    if shape.after == "distance" and distance is not None:
        last_d, last_id = bindparam("after_d", type_=Float), bindparam("after_id", type_=Integer)
        conds.append(or_(distance > last_d, and_(distance == last_d, Site.id > last_id)))
    elif shape.after != "none":
        conds.append(Site.id > bindparam("after_id", type_=Integer))
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
            cast(func.ST_AsGeoJSON(Site.geom, _GEOJSON_DIGITS), JSON).label("geometry"),
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
        .limit(bindparam("limit", type_=Integer))
        .subquery("page")
    )
    # The zones are looked up for the page's rows only (after the limit), not for every match.
    order = (page.c.distance_m, page.c.id) if distance is not None else (page.c.id,)
    return read_only.ReadStatement.compile(select(page, _zones_json(page.c.id).label("zones")).order_by(*order))


def search_sites(
    reads: read_only.ReadOnlyDatabase,
    paths: Sequence[str] | None,
    flt: SiteFilter,
    *,
    limit: int,
    after: tuple[float | None, int] | None = None,
) -> list[SiteRow]:
    """Sites in scope matching ``flt``: nearest first (then id) with ``near``, else by id, as ``SiteRow``s of the
    site's columns, its jurisdiction's (``j_code``, ``j_name_zh``, ``j_name_en``, ``j_level``), ``distance_m``
    (None without ``near``) and ``zones`` (JSON array, see ``_zones_json``): one statement, no ORM objects, no
    transaction (``read_only``: the page is one statement, so one snapshot).

    ``after`` is the keyset position ``(distance_m or None, id)`` of the last row of the previous page.
    Distances are ``ST_Distance`` on geography (spheroid, metres); ``radius_m`` filters with
    ``ST_DWithin`` on geography, which the ``ix_sites_geog`` expression index serves.
    """
    params: dict[str, Any] = {"limit": limit}
    if paths is not None:
        params["scope"] = [f"{_escape_like(p)}%" for p in paths]
    if flt.near is not None:
        params["lon"], params["lat"] = flt.near
        if flt.radius_m is not None:
            params["radius_m"] = flt.radius_m
    if flt.bbox is not None:
        params["minlon"], params["minlat"], params["maxlon"], params["maxlat"] = flt.bbox
    if flt.kind:
        params["kind"] = flt.kind
    q = flt.q.strip() if flt.q else ""
    if flt.q:
        params["q_like"], params["q_upper"] = f"%{_escape_like(q)}%", q.upper()
    after_kind: Literal["none", "distance", "id"] = "none"
    if after is not None:
        last_d, params["after_id"] = after
        if flt.near is not None and last_d is not None:
            after_kind, params["after_d"] = "distance", last_d
        else:
            after_kind = "id"
    shape = _Shape(
        scoped=paths is not None,
        near=flt.near is not None,
        radius=flt.near is not None and flt.radius_m is not None,
        bbox=flt.bbox is not None,
        kind=bool(flt.kind),
        q=bool(flt.q),
        after=after_kind,
    )
    return [SiteRow._make(row) for row in reads.all(_search_statement(shape), params)]


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
