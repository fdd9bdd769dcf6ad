"""Geography builders for map-layer tests: square boundaries on the `tree` fixture's codes, zones, sites.

Layout (WGS-84, degrees):

    山阳区 410811      lon 113.20–113.30, lat 35.20–35.30
      焦西 410811002   lon 113.20–113.25   (west half)
      焦东 410811001   lon 113.25–113.30   (east half; the halves share the edge lon = 113.25)
    博爱县 410822      lon 113.00–113.10, lat 35.20–35.30, with 410822001 the same square
    fireworks ban SY-FWB (owner 410811)  lon 113.22–113.28, lat 35.22–35.28
    fuel ban BA-FUEL (owner 410822)      lon 113.02–113.08, lat 35.22–35.28
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.geo.importer import import_geojson
from app.sites.models import Site
from app.sites.services import create_site

CREDIT_CODE = "91410811LTDM00010A"  # valid GB 32100 code (from the demo generator)


def square(x1: float, y1: float, x2: float, y2: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]]}


def feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


JURISDICTION_BOUNDARIES = collection(
    feature(square(113.20, 35.20, 113.30, 35.30), code="410811", name="山阳区", level="county", parent_code="410800"),
    feature(
        square(113.25, 35.20, 113.30, 35.30), code="410811001", name="焦东街道", level="township", parent_code="410811"
    ),
    feature(
        square(113.20, 35.20, 113.25, 35.30), code="410811002", name="焦西街道", level="township", parent_code="410811"
    ),
    feature(square(113.00, 35.20, 113.10, 35.30), code="410822", name="博爱县", level="county", parent_code="410800"),
    feature(
        square(113.00, 35.20, 113.10, 35.30),
        code="410822001",
        name="清化镇街道",
        level="township",
        parent_code="410822",
    ),
)

ZONES = collection(
    feature(
        square(113.22, 35.22, 113.28, 35.28),
        code="SY-FWB",
        name="山阳区烟花爆竹禁燃区",
        kind="fireworks_ban",
        jurisdiction_code="410811",
        designated_by="测试通告",
        valid_from="2020-01-01",
    ),
    feature(
        square(113.02, 35.22, 113.08, 35.28),
        code="BA-FUEL",
        name="博爱县禁燃区",
        kind="fuel_ban",
        jurisdiction_code="410822",
    ),
)


def make_geography(session: Session) -> None:
    """Boundaries and zones on top of the `tree` fixture (call after it)."""
    import_geojson(session, JURISDICTION_BOUNDARIES, mode="jurisdictions")
    import_geojson(session, ZONES, mode="zones")
    session.flush()


def site_data(lon: float, lat: float, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "construction_site",
        "name": "测试工地",
        "operator": {"type": "company", "name": "测试建设有限公司", "credit_code": CREDIT_CODE},
        "address": "测试路 1 号",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "attributes": {"floor_area_m2": 6000},
    }
    data.update(overrides)
    return data


def make_site(session: Session, lon: float, lat: float, **overrides: Any) -> Site:
    return create_site(session, site_data(lon, lat, **overrides), principal=None)
