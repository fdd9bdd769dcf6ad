"""Locate a point: the jurisdiction chain and the zones that cover it, within the caller's scope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Date, Row, String, any_, cast, func, literal, null, select, union_all
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.geo.crs import to_wgs84
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.jurisdictions.services import chain_codes
from app.localtime import today_local
from app.zones.models import Zone, designation_in_force
from app.zones.queries import point


def _located(session: Session, wlon: float, wlat: float, paths: Sequence[str] | None) -> list[Row[Any]]:
    """One statement: the in-scope chain of the smallest in-scope jurisdiction covering the point (``part``
    'j', with that jurisdiction's ``leaf_path``) and the in-scope zones covering it (``part`` 'z', ``ord`` =
    position by kind then code). Only the columns shown are read: no boundary or zone polygon leaves the
    database, no ORM object is built."""
    j, z = Jurisdiction, Zone
    pt = point(wlon, wlat)
    # zones.queries.jurisdictions_covering's order: smallest first (longest path), then by code.
    leaf = (
        select(j.path)
        .where(j.boundary.is_not(None), func.ST_Covers(j.boundary, pt), scope_clause(paths))
        .order_by(func.length(j.path).desc(), j.code)
        .limit(1)
        .scalar_subquery()
    )
    chain = select(
        literal("j").label("part"), j.code, j.name_zh, j.name_en, j.level.label("kind"),
        cast(null(), Date).label("valid_from"), cast(null(), Date).label("valid_to"),
        leaf.label("leaf_path"), cast(null(), BigInteger).label("ord"),
    ).where(
        j.code == any_(func.string_to_array(func.btrim(leaf, "/"), "/")), scope_clause(paths)
    )  # fmt: skip
    zones = (
        select(
            literal("z"),
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
        .where(func.ST_Covers(z.geom, pt), scope_clause(paths))
    )
    return list(session.execute(union_all(chain, zones)))


def locate(
    session: Session, lon: float, lat: float, crs: str, paths: Sequence[str] | None, on: date | None = None
) -> dict[str, Any]:
    """Jurisdiction chain (root first → smallest) and zones covering a point, within ``paths``.

    Jurisdictions and zones outside the caller's scope are left out; ancestors above the
    caller's own jurisdictions (e.g. the province for a district supervisor) too. A point
    no in-scope jurisdiction covers is NotFound. ``ST_Covers``: points on an edge count.
    """
    wlon, wlat = to_wgs84(lon, lat, crs)
    rows = _located(session, wlon, wlat, paths)
    found = [r for r in rows if r.part == "j"]
    if not found:  # the leaf itself is in scope, so no chain row means no covering jurisdiction
        raise NotFound(
            "该位置不在您辖区内任何行政区划的边界范围内。",
            "The point lies in none of your jurisdictions' boundaries.",
            code="location_out_of_scope",
        )
    codes = chain_codes(found[0].leaf_path)
    chain = sorted(found, key=lambda r: codes.index(r.code))
    on = on or today_local()
    zones = sorted((r for r in rows if r.part == "z"), key=lambda r: int(r.ord))
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
