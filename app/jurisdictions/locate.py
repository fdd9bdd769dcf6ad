"""Locate a point: the jurisdiction chain and the zones that cover it, within the caller's scope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.geo.crs import to_wgs84
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.services import chain_codes
from app.localtime import today_local
from app.zones.queries import jurisdictions_covering, point, zones_covering


def locate(
    session: Session, lon: float, lat: float, crs: str, paths: Sequence[str] | None, on: date | None = None
) -> dict[str, Any]:
    """Jurisdiction chain (root first → smallest) and zones covering a point, within ``paths``.

    Jurisdictions and zones outside the caller's scope are left out; ancestors above the
    caller's own jurisdictions (e.g. the province for a district supervisor) too. A point
    no in-scope jurisdiction covers is NotFound. ``ST_Covers``: points on an edge count.
    """
    wlon, wlat = to_wgs84(lon, lat, crs)
    pt = point(wlon, wlat)
    covering = jurisdictions_covering(session, pt, paths)
    if not covering:
        raise NotFound(
            "该位置不在您辖区内任何行政区划的边界范围内。",
            "The point lies in none of your jurisdictions' boundaries.",
            code="location_out_of_scope",
        )
    leaf = covering[0]
    codes = chain_codes(leaf.path)
    by_code = {j.code: j for j in session.scalars(select(Jurisdiction).where(Jurisdiction.code.in_(codes)))}
    chain = [
        by_code[c]
        for c in codes
        if c in by_code and (paths is None or any(by_code[c].path.startswith(p) for p in paths))
    ]
    on = on or today_local()
    zones = zones_covering(session, pt, paths)
    return {
        "input": {"lon": lon, "lat": lat, "crs": crs},
        "wgs84": {"lon": wlon, "lat": wlat},
        "jurisdictions": [_jurisdiction_ref(j) for j in chain],
        "jurisdiction_order": "root_first",
        "zones": [
            {
                "code": z.code,
                "kind": z.kind,
                "name_zh": z.name_zh,
                "name_en": z.name_en,
                # ISO 8601 dates, as /geo/zones.geojson gives them (not the JSON provider's HTTP dates).
                "valid_from": z.valid_from.isoformat() if z.valid_from else None,
                "valid_to": z.valid_to.isoformat() if z.valid_to else None,
                "in_force": z.in_force(on),
            }
            for z in zones
        ],
    }


def _jurisdiction_ref(j: Jurisdiction) -> dict[str, Any]:
    return {"code": j.code, "name_zh": j.name_zh, "name_en": j.name_en, "level": j.level}
