"""Site look-ups on PostGIS: scope, nearby (geography, metres), bbox, text search, keyset pages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, NamedTuple

from sqlalchemy import (
    JSON,
    ColumnElement,
    ColumnExpressionArgument,
    Float,
    Integer,
    String,
    Text,
    and_,
    any_,
    bindparam,
    case,
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
from app.geo.crs import WGS84
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.notified_cache import NotifiedCache
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


def _zones_agg() -> ColumnElement[Any]:
    """``json_agg`` of zones as {code, kind, name_zh, name_en}, by kind then code (over ``site_zones`` ⋈ ``zones``)."""
    zone = func.json_build_object(
        literal_column("'code'"), Zone.code, literal_column("'kind'"), Zone.kind,
        literal_column("'name_zh'"), Zone.name_zh, literal_column("'name_en'"), Zone.name_en,
    )  # fmt: skip
    return func.json_agg(aggregate_order_by(zone, Zone.kind, Zone.code))


def _zones_json(site_id: ColumnElement[int]) -> ColumnElement[Any]:
    """The site's zones (``site_zones``) as a JSON array of {code, kind, name_zh, name_en}, by kind then code."""
    return type_coerce(
        select(_zones_agg())
        .select_from(SiteZone)
        .join(Zone, Zone.id == SiteZone.zone_id)
        .where(SiteZone.site_id == site_id)
        .scalar_subquery(),
        JSON,
    )


class SiteItemRow(NamedTuple):
    """One row of ``search_sites``: the site's page item as JSON text (``SiteSchema``'s dump of ``site_output``,
    geometry in WGS-84) and its keyset position."""

    item_json: str
    distance_m: float | None
    id: int


def join_item(head: str, zones: str, tail: str) -> str:
    """The page item from PostgreSQL's two objects around its zones: ``{…"jurisdiction" : {…}}`` and
    ``{"is_demo" : …}`` with ``"zones" : […]`` between them, as one ``json_build_object`` of every key writes
    it (``json_build_object`` always writes ``{``, ``}`` and ``", "`` between pairs)."""
    return f'{head[:-1]}, "zones" : {zones}, {tail[1:]}'


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
    zones: bool = True  # False: the caller adds each site's zones from the reference cache (``search_sites``)


@cache
def _search_statement(shape: _Shape) -> read_only.ReadStatement:
    """The site search for ``shape``, built and compiled once with bound parameters: a
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
    head, tail = _item_json(page, near=distance is not None)
    zones = cast(func.coalesce(_zones_json(page.c.id), _lit("'[]'::json")), Text) if shape.zones else null()
    return read_only.ReadStatement.compile(
        select(
            cast(head, Text).label("head"),
            zones.label("zones"),
            cast(tail, Text).label("tail"),
            page.c.distance_m,
            page.c.id,
        ).order_by(*order)
    )


@cache
def _zones_json_statement() -> read_only.ReadStatement:
    """Each site's zones as the page item writes them, for sites whose zones the reference cache does not hold
    yet; a site in no zone has no row. Compiled on first use, not at import: compiling configures the mappers,
    and this module is imported (by the job worker) before every model is."""
    return read_only.ReadStatement.compile(
        select(SiteZone.site_id, cast(_zones_agg(), Text))
        .join(Zone, Zone.id == SiteZone.zone_id)
        .where(SiteZone.site_id == any_(bindparam("ids", type_=ARRAY(Integer))))
        .group_by(SiteZone.site_id)
    )


def _lit(sql: str) -> ColumnElement[Any]:
    """A constant written into the statement's text (not a bound parameter)."""
    return literal_column(sql)


def _iso_timestamp(ts: ColumnElement[Any]) -> ColumnElement[Any]:
    """``datetime.isoformat()`` of a timestamptz as psycopg hands it to Python (in the session's time zone):
    ``2026-12-01T09:47:07.704513+08:00``, without the fraction when it is zero, as Python writes it."""
    text = func.to_char(ts, _lit("""'YYYY-MM-DD"T"HH24:MI:SS.USTZH:TZM'"""))
    return func.replace(text, _lit("'.000000'"), _lit("''"))


def _float_json(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """A float8 as the JSON number Python writes for the same float: PostgreSQL's shortest text (as ``repr``),
    with ``.0`` added to an integral value (``0`` → ``0.0``), so a client still reads a float."""
    text = cast(value, Text)
    return cast(case((text.regexp_match(_lit("'[.e]'")), text), else_=text.concat(_lit("'.0'"))), JSON)


def _item_json(page: Any, *, near: bool) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """The page item of one site as PostgreSQL's ``json``: ``SiteSchema``'s keys, in its order, with the values
    ``site_output`` dumps (tests/api/test_sites_rows.py compares them). Building it here saves decoding three
    JSON values per row and encoding the page again in Python (~20 % of a nearby-sites request).

    Two objects, the keys before ``zones`` and those after it: ``join_item`` puts the zones between them, from
    the statement or from the reference cache (``search_sites``)."""
    c = page.c
    head: list[tuple[str, ColumnElement[Any]]] = [
        ("id", c.id),
        ("code", c.code),
        ("kind", c.kind),
        ("name", c.name),
        ("operator", func.json_build_object(
            _lit("'type'"), c.operator_type, _lit("'name'"), c.operator_name,
            _lit("'credit_code'"), c.operator_credit_code,
        )),
        ("address", c.address),
        ("geometry", c.geometry),
        ("crs", _lit(f"'{WGS84}'")),
        ("attributes", c.attributes),
        ("jurisdiction", func.json_build_object(
            _lit("'code'"), c.j_code, _lit("'name_zh'"), c.j_name_zh, _lit("'name_en'"), c.j_name_en,
            _lit("'level'"), c.j_level,
        )),
    ]  # fmt: skip
    tail: list[tuple[str, ColumnElement[Any]]] = [
        ("is_demo", c.is_demo),
        ("version", c.version),
        ("created_at", _iso_timestamp(c.created_at)),
        ("updated_at", _iso_timestamp(c.updated_at)),
    ]
    if near:
        tail.append(("distance_m", _float_json(c.distance_m)))
    return _json_object(head), _json_object(tail)


def _json_object(fields: list[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
    return func.json_build_object(*(arg for key, value in fields for arg in (_lit(f"'{key}'"), value)))


def search_sites(
    reads: read_only.ReadOnlyDatabase,
    paths: Sequence[str] | None,
    flt: SiteFilter,
    *,
    limit: int,
    after: tuple[float | None, int] | None = None,
    zones_cache: NotifiedCache | None = None,
) -> list[SiteItemRow]:
    """Sites in scope matching ``flt``: nearest first (then id) with ``near``, else by id, as ``SiteItemRow``s:
    each site's page item as JSON text made by PostgreSQL (``_item_json``; geometry in WGS-84), ``distance_m``
    (None without ``near``) and id: one statement, no ORM objects, no transaction (``read_only``: the page is
    one statement, so one snapshot).

    With ``zones_cache`` (the reference cache, app/reference_cache.py: emptied when sites, site_zones or zones
    change) each site's zones come from it instead of a sub-select per row (~0.5 ms of PostgreSQL
    per page of 20, more than the rest of the statement); those it does not hold yet are read in one more
    statement and kept. They are then as fresh as every other cached reference datum: up to the notification's
    delivery, at worst the cache's TTL.

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
        zones=zones_cache is None,
    )
    rows = reads.all(_search_statement(shape), params)
    if zones_cache is None:
        return [SiteItemRow(join_item(head, zones, tail), d, site_id) for head, zones, tail, d, site_id in rows]
    zones_of = zones_cache.get_or_load_many(
        [("zones_json", row[-1]) for row in rows], lambda keys: _load_zones_json(reads, keys)
    )
    return [
        SiteItemRow(join_item(head, zones_of[("zones_json", site_id)], tail), d, site_id)
        for head, _none, tail, d, site_id in rows
    ]


def _load_zones_json(reads: read_only.ReadOnlyDatabase, keys: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """The zones (JSON text) of the sites ``("zones_json", site_id)`` names: ``[]`` for a site in none."""
    found: dict[int, str] = dict(reads.all(_zones_json_statement(), {"ids": [site_id for _, site_id in keys]}))
    return {key: found.get(key[1], "[]") for key in keys}


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
