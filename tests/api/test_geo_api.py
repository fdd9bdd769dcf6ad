"""Map-layer API: locate (edges, CRS, scope), GeoJSON import (admin, all-or-nothing, audit), scoped export."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.extensions import current_session
from app.geo.crs import from_wgs84
from app.jurisdictions.models import Jurisdiction
from app.zones.models import Zone
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_geo import JURISDICTION_BOUNDARIES, ZONES, collection, feature, make_geography, make_site, square


@pytest.fixture()
def geo(session, tree):
    make_geography(session)
    make_user(session, "sy.sup", "supervisor", ["410811"])
    make_user(session, "ba.sup", "supervisor", ["410822"])
    make_user(session, "root", "admin", ["410000"])
    make_user(session, "ba.admin", "admin", ["410822"])
    session.commit()


@pytest.fixture()
def bare(session, tree):
    make_user(session, "root", "admin", ["410000"])
    make_user(session, "sy.sup", "supervisor", ["410811"])
    session.commit()


def _auth(client, username):
    return bearer(issue_tokens(current_session(), username))


def _locate(client, username, lon, lat, crs=None):
    url = f"/api/v1/geo/locate?lon={lon!r}&lat={lat!r}" + (f"&crs={crs}" if crs else "")
    return client.get(url, headers=_auth(client, username))


def test_locate_returns_root_first_chain_and_zones(client, geo) -> None:
    body = _locate(client, "root", 113.26, 35.25).get_json()
    assert [j["code"] for j in body["jurisdictions"]] == ["410000", "410800", "410811", "410811001"]
    assert body["jurisdiction_order"] == "root_first"
    assert [(z["code"], z["in_force"]) for z in body["zones"]] == [("SY-FWB", True)]


def test_locate_and_zone_export_give_zone_dates_in_one_iso_8601_format(client, geo) -> None:
    located = _locate(client, "root", 113.26, 35.25).get_json()["zones"][0]
    exported = client.get("/api/v1/geo/zones.geojson", headers=_auth(client, "root")).get_json(force=True)
    props = next(f["properties"] for f in exported["features"] if f["properties"]["code"] == "SY-FWB")
    assert located["valid_from"] == props["valid_from"] == "2020-01-01"
    assert located["valid_to"] is None


def test_locate_in_gcj02_lands_where_the_wgs84_point_is(client, geo) -> None:
    lon, lat = from_wgs84(113.2799, 35.25, "gcj02")  # 9 m inside the zone's east edge
    body = _locate(client, "sy.sup", lon, lat, "gcj02").get_json()
    assert body["wgs84"]["lon"] == pytest.approx(113.2799, abs=1e-7)
    assert [z["code"] for z in body["zones"]] == ["SY-FWB"]
    # the same numbers read as WGS-84 are ~500 m off, outside the zone
    assert _locate(client, "sy.sup", lon, lat).get_json()["zones"] == []


@pytest.mark.parametrize(
    ("lon", "inside"),
    [
        (113.22, True),  # exactly on the west edge
        (113.2200001, True),  # 1 cm inside
        (113.2199999, False),  # 1 cm outside
    ],
)
def test_points_on_and_near_a_zone_edge(client, geo, lon, inside) -> None:
    zones = _locate(client, "sy.sup", lon, 35.25).get_json()["zones"]
    assert bool(zones) is inside


def test_zone_corner_counts_as_inside(client, geo) -> None:
    assert [z["code"] for z in _locate(client, "sy.sup", 113.22, 35.22).get_json()["zones"]] == ["SY-FWB"]


def test_point_on_a_shared_township_edge_goes_to_the_lowest_code(client, geo) -> None:
    body = _locate(client, "sy.sup", 113.25, 35.25).get_json()
    assert body["jurisdictions"][-1]["code"] == "410811001"


def test_locate_leaves_out_jurisdictions_above_the_callers_scope(client, geo) -> None:
    body = _locate(client, "sy.sup", 113.21, 35.25).get_json()
    assert [j["code"] for j in body["jurisdictions"]] == ["410811", "410811002"]


def test_locate_outside_scope_is_404_problem(client, geo) -> None:
    response = _locate(client, "ba.sup", 113.26, 35.25)
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert _locate(client, "ba.sup", 113.05, 35.25).get_json()["zones"][0]["code"] == "BA-FUEL"


def test_locate_rejects_an_unknown_crs(client, geo) -> None:
    assert _locate(client, "sy.sup", 113.26, 35.25, "epsg3857").status_code == 422


def _import(client, username, doc, query):
    return client.post(
        f"/api/v1/geo/import?{query}",
        data=json.dumps(doc),
        content_type="application/geo+json",
        headers=_auth(client, username),
    )


def test_admin_imports_boundaries_and_zones(client, session, bare) -> None:
    response = _import(client, "root", JURISDICTION_BOUNDARIES, "as=jurisdictions")
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["created"]) == 5
    response = _import(client, "root", ZONES, "as=zones")
    assert response.status_code == 200, response.get_json()
    assert session.scalar(select(func.count()).select_from(Zone)) == 2
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"jurisdiction.boundary_replace", "zone.create"} <= actions


def test_supervisor_cannot_import(client, bare) -> None:
    assert _import(client, "sy.sup", JURISDICTION_BOUNDARIES, "as=jurisdictions").status_code == 403


def test_import_with_one_bad_feature_writes_nothing_and_lists_errors(client, session, bare) -> None:
    doc = json.loads(json.dumps(JURISDICTION_BOUNDARIES))
    doc["features"][2]["geometry"]["coordinates"][0][0] = [113.2, 95.0]  # lat out of range
    doc["features"][3]["properties"].pop("name")
    response = _import(client, "root", doc, "as=jurisdictions")
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    paths = [e["path"] for e in response.get_json()["errors"]]
    assert "features[2].geometry.coordinates[0][0]" in paths and "features[3].properties.name" in paths
    assert session.scalar(select(func.count()).select_from(Jurisdiction).where(Jurisdiction.boundary.is_not(None))) == 0
    assert (
        session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "jurisdiction.boundary_replace")
        )
        == 0
    )


def test_repaired_geometry_is_reported_in_the_response(client, bare) -> None:
    bow_tie = {
        "type": "Polygon",
        "coordinates": [[[113.2, 35.2], [113.3, 35.3], [113.3, 35.2], [113.2, 35.3], [113.2, 35.2]]],
    }
    response = _import(client, "root", collection(feature(bow_tie, code="410811", name="山阳区")), "as=jurisdictions")
    assert response.status_code == 200
    assert response.get_json()["repairs"][0]["code"] == "geometry_repaired"


def test_admin_cannot_import_outside_their_scope(client, geo) -> None:
    doc = collection(feature(square(113.2, 35.2, 113.3, 35.3), code="410811", name="山阳区"))
    response = _import(client, "ba.admin", doc, "as=jurisdictions")
    assert response.status_code == 422 and response.get_json()["errors"][0]["code"] == "outside_scope"


def test_zone_import_rederives_site_memberships(client, session, geo) -> None:
    site = make_site(session, 113.29, 35.29)
    session.commit()
    assert client.get(f"/api/v1/sites/{site.id}", headers=_auth(client, "root")).get_json()["zones"] == []
    doc = collection(
        feature(square(113.28, 35.28, 113.30, 35.30), code="SY-NRMM", name="非道路", jurisdiction_code="410811")
    )
    assert _import(client, "root", doc, "as=zones&kind=nrmm_control").status_code == 200
    zones = client.get(f"/api/v1/sites/{site.id}", headers=_auth(client, "root")).get_json()["zones"]
    assert [z["code"] for z in zones] == ["SY-NRMM"]


def test_boundary_import_rederives_site_jurisdiction(client, session, geo) -> None:
    site = make_site(session, 113.24, 35.25)  # 焦西
    session.commit()
    doc = collection(feature(square(113.23, 35.20, 113.30, 35.30), code="410811001", name="焦东街道"))
    response = _import(client, "root", doc, "as=jurisdictions")
    assert response.get_json()["sites_moved"] == 1
    body = client.get(f"/api/v1/sites/{site.id}", headers=_auth(client, "root")).get_json()
    assert body["jurisdiction"]["code"] == "410811001"


def test_export_is_scoped_and_reimportable(client, session, geo) -> None:
    response = client.get("/api/v1/geo/jurisdictions.geojson", headers=_auth(client, "ba.sup"))
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    doc = response.get_json(force=True)
    assert [f["properties"]["code"] for f in doc["features"]] == ["410822", "410822001"]
    assert doc["features"][0]["properties"]["parent_code"] == "410800"
    zones = client.get("/api/v1/geo/zones.geojson", headers=_auth(client, "ba.sup")).get_json(force=True)
    assert [f["properties"]["code"] for f in zones["features"]] == ["BA-FUEL"]
    again = _import(client, "root", doc, "as=jurisdictions")
    assert sorted(again.get_json()["unchanged"]) == ["410822", "410822001"]


def test_export_in_gcj02_round_trips_through_import(client, session, geo) -> None:
    doc = client.get("/api/v1/geo/zones.geojson?crs=gcj02", headers=_auth(client, "root")).get_json(force=True)
    ring = doc["features"][0]["geometry"]["coordinates"][0][0]
    assert ring[0][0] != pytest.approx(113.22, abs=1e-4)  # really shifted
    response = _import(client, "root", doc, "as=zones&crs=gcj02")
    assert response.status_code == 200
    xmin = session.scalar(select(func.ST_XMin(Zone.geom)).where(Zone.code == "SY-FWB"))
    assert xmin == pytest.approx(113.22, abs=1e-6)


def test_import_refuses_non_json_bodies(client, bare) -> None:
    response = client.post(
        "/api/v1/geo/import?as=zones", data="x", content_type="text/plain", headers=_auth(client, "root")
    )
    assert response.status_code == 415


def test_too_deeply_nested_import_is_a_422_problem(client, bare) -> None:
    body = b'{"type": "FeatureCollection", "features": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
    response = client.post(
        "/api/v1/geo/import?as=jurisdictions",
        data=body,
        content_type="application/geo+json",
        headers=_auth(client, "root"),
    )
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "geojson_too_deep"


def test_import_over_the_configured_vertex_limit_is_a_413_problem(app, client, session, bare, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "GEO_IMPORT_MAX_VERTICES_PER_FEATURE", 4)
    doc = collection(
        feature(
            {
                "type": "Polygon",
                "coordinates": [
                    [[113.2, 35.2], [113.3, 35.2], [113.3, 35.3], [113.25, 35.32], [113.2, 35.3], [113.2, 35.2]]
                ],
            },
            code="410811",
            name="山阳区",
        )
    )
    response = _import(client, "root", doc, "as=jurisdictions")
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == "too_many_vertices" and body["errors"][0]["path"] == "features[0].geometry"
    assert session.scalar(select(func.count()).select_from(Jurisdiction).where(Jurisdiction.boundary.is_not(None))) == 0
