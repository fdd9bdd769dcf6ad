"""Map layers on generated data: GeoJSON by bbox (WGS-84, GCJ-02, BD-09), scope, truncation, vector tiles, ETags."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import text

from app.geo.crs import from_wgs84
from app.maplayers.rollup import rebuild_all
from tests.factories import bearer, issue_tokens
from tests.factories_bulk import load_generated


@pytest.fixture()
def generated(session, owner_database_url):  # noqa: ANN001, ANN201
    return load_generated(session, owner_database_url)


def _get(client, session, username: str, url: str, **headers: str):  # noqa: ANN001, ANN202
    return client.get(url, headers=bearer(issue_tokens(session, username)) | headers)


def _box(session, code: str) -> tuple[float, float, float, float]:  # noqa: ANN001
    row = session.execute(
        text(
            "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT boundary::box2d AS b"
            " FROM jurisdictions WHERE code = :c) x"
        ),
        {"c": code},
    ).one()
    return tuple(float(v) for v in row)  # type: ignore[return-value]


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_inspections_in_a_bbox_are_every_matching_inspection_positioned_there(client, session, generated) -> None:
    x1, y1, x2, y2 = _box(session, "410822")
    url = f"/api/v1/map/inspections.geojson?bbox={x1},{y1},{x2},{y2}&state=approved,submitted&limit=50000"
    response = _get(client, session, "sup.henan", url)
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    doc = response.get_json()
    expected = session.execute(
        text(
            "SELECT count(*) FROM inspections WHERE state IN ('approved', 'submitted')"
            " AND location && ST_MakeEnvelope(:x1, :y1, :x2, :y2, 4326)"
        ),
        {"x1": x1, "y1": y1, "x2": x2, "y2": y2},
    ).scalar_one()
    assert len(doc["features"]) == expected > 0
    assert doc["lantian"]["truncated"] is False and doc["lantian"]["crs"] == "wgs84"
    for feature in doc["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert x1 <= lon <= x2 and y1 <= lat <= y2
        assert feature["properties"]["state"] in ("approved", "submitted")


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_coordinates_come_in_the_system_asked_for(client, session, generated, crs: str) -> None:
    x1, y1, x2, y2 = _box(session, "410822")
    base = f"/api/v1/map/sites.geojson?bbox={x1},{y1},{x2},{y2}"
    wgs = {f["id"]: f for f in _get(client, session, "sup.henan", base).get_json()["features"]}
    converted = _get(client, session, "sup.henan", f"{base}&crs={crs}").get_json()
    assert converted["lantian"]["crs"] == crs
    assert len(converted["features"]) == len(wgs) > 0
    for feature in converted["features"]:
        original = wgs[feature["id"]]["geometry"]
        if original["type"] != "Point":
            continue
        expected = from_wgs84(*original["coordinates"], crs)
        got = feature["geometry"]["coordinates"]
        assert abs(got[0] - expected[0]) < 1e-6 and abs(got[1] - expected[1]) < 1e-6


def test_a_boai_supervisor_sees_only_boai_on_the_map(client, session, generated) -> None:
    x1, y1, x2, y2 = _box(session, "410800")
    for layer in ("sites", "findings"):
        url = f"/api/v1/map/{layer}.geojson?bbox={x1},{y1},{x2},{y2}&state=approved&limit=50000"
        boai = _get(client, session, "sup.boai", url).get_json()["features"]
        everyone = _get(client, session, "sup.henan", url).get_json()["features"]
        assert 0 < len(boai) < len(everyone)
    site_codes = {
        f["properties"]["jurisdiction_code"][:6]
        for f in _get(client, session, "sup.boai", f"/api/v1/map/sites.geojson?bbox={x1},{y1},{x2},{y2}").get_json()[
            "features"
        ]
    }
    assert site_codes == {"410822"}


def test_past_the_limit_the_answer_says_it_is_truncated(client, session, generated) -> None:
    x1, y1, x2, y2 = _box(session, "410000")
    response = _get(client, session, "sup.henan", f"/api/v1/map/sites.geojson?bbox={x1},{y1},{x2},{y2}&limit=5")
    doc = response.get_json()
    assert len(doc["features"]) == 5
    assert doc["lantian"]["truncated"] is True and response.headers["X-Truncated"] == "true"
    assert _get(client, session, "sup.henan", "/api/v1/map/sites.geojson").status_code == 422  # bbox required


def test_tiles_have_features_where_the_data_is_and_revalidate_with_304(client, session, generated) -> None:
    rebuild_all(session)  # the low-zoom rollup after the bulk load (tests/api/test_map_tiles_rollup.py)
    session.commit()
    x1, y1, x2, y2 = _box(session, "410822")
    z = 9
    x, y = _tile_of((x1 + x2) / 2, (y1 + y2) / 2, z)
    url = f"/api/v1/tiles/inspections/{z}/{x}/{y}.mvt?state=approved"
    first = _get(client, session, "sup.henan", url)
    assert first.status_code == 200
    assert first.mimetype == "application/vnd.mapbox-vector-tile"
    assert b"inspections" in first.get_data() and len(first.get_data()) > 50
    etag = first.headers["ETag"]
    again = _get(client, session, "sup.henan", url, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    # close up (points with attributes): a new inspection change moves the data version
    zx, zy = _tile_of((x1 + x2) / 2, (y1 + y2) / 2, 12)
    close = f"/api/v1/tiles/findings/12/{zx}/{zy}.mvt"
    close_etag = _get(client, session, "sup.henan", close).headers["ETag"]
    assert _get(client, session, "sup.henan", close, **{"If-None-Match": close_etag}).status_code == 304
    session.execute(text("SELECT nextval('inspection_change_seq')"))
    session.execute(
        text(
            "UPDATE inspections SET change_seq = nextval('inspection_change_seq')"
            " WHERE id = (SELECT id FROM inspections ORDER BY id LIMIT 1)"
        )
    )
    session.commit()
    assert _get(client, session, "sup.henan", close, **{"If-None-Match": close_etag}).status_code == 200
    # the sites layer (content ETag)
    sites = _get(client, session, "sup.henan", f"/api/v1/tiles/sites/{z}/{x}/{y}.mvt")
    assert sites.status_code == 200 and b"sites" in sites.get_data()
    cached = _get(
        client, session, "sup.henan", f"/api/v1/tiles/sites/{z}/{x}/{y}.mvt", **{"If-None-Match": sites.headers["ETag"]}
    )
    assert cached.status_code == 304


def test_empty_and_impossible_tiles(client, session, generated) -> None:
    empty = _get(client, session, "sup.henan", "/api/v1/tiles/inspections/12/100/100.mvt")
    assert empty.status_code == 200 and empty.get_data() == b""
    assert _get(client, session, "sup.henan", "/api/v1/tiles/inspections/3/9/1.mvt").status_code == 404
    # a supervisor's tile over another county is empty, not an error
    x1, y1, x2, y2 = _box(session, "410811")
    x, y = _tile_of((x1 + x2) / 2, (y1 + y2) / 2, 14)
    assert _get(client, session, "sup.boai", f"/api/v1/tiles/sites/14/{x}/{y}.mvt").get_data() == b""
    assert _get(client, session, "insp.boai", "/api/v1/tiles/sites/14/1/1.mvt").status_code == 403
