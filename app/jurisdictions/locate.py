"""Locate a point: the jurisdiction chain and the zones that cover it, within the caller's scope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Float,
    String,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY

from app import read_only
from app.errors import NotFound
from app.geo.crs import to_wgs84
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.services import chain_codes
from app.localtime import today_local
from app.zones.models import Zone, designation_in_force
from app.zones.queries import SRID

_SRID: ColumnElement[Any] = literal_column(str(SRID))  # part of the statement's text, not a parameter


@cache
def _located_statement(scoped: bool) -> read_only.ReadStatement:
    """One statement, built and compiled once per scope shape (bound ``lon``, ``lat`` and ``scope``): the
    in-scope chain of the smallest in-scope jurisdiction covering the point (``part`` 'j', with that
    jurisdiction's ``leaf_path``) and the in-scope zones covering it (``part`` 'z', ``ord`` = position by kind
    then code). Only the columns shown are read: no boundary or zone polygon leaves the database, no ORM object
    is built."""
    j, z = Jurisdiction, Zone
    pt = func.ST_SetSRID(func.ST_MakePoint(bindparam("lon", type_=Float), bindparam("lat", type_=Float)), _SRID)
    # scope_clause's meaning (at or below one of the caller's jurisdictions), the prefixes bound as one array.
    in_scope = j.path.like(any_(bindparam("scope", type_=ARRAY(String)))) if scoped else true()
    # zones.queries.jurisdictions_covering's order: smallest first (longest path), then by code.
    leaf = (
        select(j.path)
        .where(j.boundary.is_not(None), func.ST_Covers(j.boundary, pt), in_scope)
        .order_by(func.length(j.path).desc(), j.code)
        .limit(1)
        .scalar_subquery()
    )
    chain = select(
        literal_column("'j'").label("part"), j.code, j.name_zh, j.name_en, j.level.label("kind"),
        cast(null(), Date).label("valid_from"), cast(null(), Date).label("valid_to"),
        leaf.label("leaf_path"), cast(null(), BigInteger).label("ord"),
    ).where(
        j.code == any_(func.string_to_array(func.btrim(leaf, literal_column("'/'")), literal_column("'/'"))), in_scope
    )  # fmt: skip
    zones = (
        select(
            literal_column("'z'"),
            z.code,
            z.name_zh,
            z.name_en,
            z.kind,
            z.valid_from,
            z.valid_to,
            cast(null(), String),
            func.row_number().over(order_by=(z.kind, z.code)),
        )  # fmt: skip
        .join(j, z.jurisdiction_id == j.id)
        .where(func.ST_Covers(z.geom, pt), in_scope)
    )
    return read_only.ReadStatement.compile(union_all(chain, zones))


class _Located(NamedTuple):
    part: str
    code: str
    name_zh: str
    name_en: str | None
    kind: str
    valid_from: date | None
    valid_to: date | None
    leaf_path: str | None
    ord: int | None


def _located(
    reads: read_only.ReadOnlyDatabase, wlon: float, wlat: float, paths: Sequence[str] | None
) -> list[_Located]:
    """``_located_statement``'s rows: one statement on the read-only pool (no transaction: one snapshot)."""
    params: dict[str, Any] = {"lon": wlon, "lat": wlat}
    if paths is not None:
        params["scope"] = [f"{p}%" for p in paths]
    return [_Located._make(row) for row in reads.all(_located_statement(paths is not None), params)]


def locate(
    reads: read_only.ReadOnlyDatabase,
    lon: float,
    lat: float,
    crs: str,
    paths: Sequence[str] | None,
    on: date | None = None,
) -> dict[str, Any]:
    """Jurisdiction chain (root first → smallest) and zones covering a point, within ``paths``.

    Jurisdictions and zones outside the caller's scope are left out; ancestors above the
    caller's own jurisdictions (e.g. the province for a district supervisor) too. A point
    no in-scope jurisdiction covers is NotFound. ``ST_Covers``: points on an edge count.
    """
    wlon, wlat = to_wgs84(lon, lat, crs)
    rows = _located(reads, wlon, wlat, paths)
    found = [r for r in rows if r.part == "j"]
    if not found:  # the leaf itself is in scope, so no chain row means no covering jurisdiction
        raise NotFound(
            "该位置不在您辖区内任何行政区划的边界范围内。",
            "The point lies in none of your jurisdictions' boundaries.",
            code="location_out_of_scope",
        )
    codes = chain_codes(found[0].leaf_path or "")
    chain = sorted(found, key=lambda r: codes.index(r.code))
    on = on or today_local()
    zones = sorted((r for r in rows if r.part == "z"), key=lambda r: r.ord or 0)
    return {
        "input": {"lon": lon, "lat": lat, "crs": crs},
        "wgs84": {"lon": wlon, "lat": wlat},
        "jurisdictions": [{"code": r.code, "name_zh": r.name_zh, "name_en": r.name_en, "level": r.kind} for r in chain],
        "jurisdiction_order": "root_first",
        "zones": [
            {
                "code": r.code,
                "kind": r.kind,
                "name_zh": r.name_zh,
                "name_en": r.name_en,
                # ISO 8601 dates, as /geo/zones.geojson gives them (not the JSON provider's HTTP dates).
                "valid_from": r.valid_from.isoformat() if r.valid_from else None,
                "valid_to": r.valid_to.isoformat() if r.valid_to else None,
                "in_force": designation_in_force(r.valid_from, r.valid_to, on),
            }
            for r in zones
        ],
    }
