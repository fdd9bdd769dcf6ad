"""Sites registry API: create/read/update with CRS, derived location, search, pages, and scoping."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from app.audit.models import AuditEntry
from app.extensions import current_session
from app.geo.crs import from_wgs84
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_geo import CREDIT_CODE, make_geography, make_site, site_data


@pytest.fixture()
def geo(session, tree):
    make_geography(session)
    make_user(session, "sy.sup", "supervisor", ["410811"])
    make_user(session, "sy.insp", "inspector", ["410811"])
    make_user(session, "ba.sup", "supervisor", ["410822"])
    session.commit()


def _auth(client, username):
    return bearer(issue_tokens(current_session(), username))


def test_supervisor_creates_a_site_located_by_postgis(client, session, geo) -> None:
    response = client.post("/api/v1/sites", json=site_data(113.26, 35.25), headers=_auth(client, "sy.sup"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["jurisdiction"]["code"] == "410811001"
    assert [z["kind"] for z in body["zones"]] == ["fireworks_ban"]
    assert response.headers["ETag"] == '"1"'
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "site.create")) == 1


def test_gcj02_input_lands_at_the_right_wgs84_place(client, geo) -> None:
    gcj = from_wgs84(113.26, 35.25, "gcj02")
    headers = _auth(client, "sy.sup")
    created = client.post("/api/v1/sites", json=site_data(*gcj, crs="gcj02"), headers=headers).get_json()
    wgs = client.get(f"/api/v1/sites/{created['id']}", headers=headers).get_json()["geometry"]["coordinates"]
    assert wgs == pytest.approx([113.26, 35.25], abs=1e-7)
    back = client.get(f"/api/v1/sites/{created['id']}?crs=gcj02", headers=headers).get_json()["geometry"]["coordinates"]
    assert back == pytest.approx(list(gcj), abs=1e-7)
    assert created["geometry"]["coordinates"] == pytest.approx(list(gcj), abs=1e-7)


def test_inspector_cannot_create_sites(client, geo) -> None:
    response = client.post("/api/v1/sites", json=site_data(113.26, 35.25), headers=_auth(client, "sy.insp"))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("override", "path", "code"),
    [
        (
            {"operator": {"type": "company", "name": "某公司", "credit_code": CREDIT_CODE[:-1] + "B"}},
            "operator.credit_code",
            "credit_code_check",
        ),
        ({"operator": {"type": "company", "name": "某公司"}}, "operator.credit_code", "missing_property"),
        ({"attributes": {"floor_area_m2": -1}}, "attributes.floor_area_m2", "invalid_attribute"),
        ({"attributes": {"seats": 3}}, "attributes", "unknown_attribute"),
        ({"kind": "road_segment", "attributes": {}}, "geometry.type", "geometry_type_mismatch"),
        ({"kind": "spaceport"}, "kind", "invalid_kind"),
    ],
)
def test_invalid_site_is_rejected_with_field_errors(client, geo, override, path, code) -> None:
    response = client.post("/api/v1/sites", json=site_data(113.26, 35.25, **override), headers=_auth(client, "sy.sup"))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert (path, code) in [(e["path"], e["code"]) for e in response.get_json()["errors"]]


def test_road_segment_is_a_linestring(client, geo) -> None:
    data = site_data(
        0,
        0,
        kind="road_segment",
        attributes={"road_class": "main", "length_m": 800},
        geometry={"type": "LineString", "coordinates": [[113.21, 35.21], [113.29, 35.21]]},
    )
    response = client.post("/api/v1/sites", json=data, headers=_auth(client, "sy.sup"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["geometry"]["type"] == "LineString"


def test_individual_operator_needs_no_credit_code(client, geo) -> None:
    data = site_data(
        113.26, 35.25, kind="restaurant", attributes={"seats": 20}, operator={"type": "individual", "name": "张三"}
    )
    assert client.post("/api/v1/sites", json=data, headers=_auth(client, "sy.sup")).status_code == 201


def test_near_is_nearest_first_with_geography_distances(client, session, geo) -> None:
    for i, lon in enumerate([113.29, 113.21, 113.26, 113.255]):
        make_site(session, lon, 35.25, name=f"工地{i}")
    session.commit()
    response = client.get("/api/v1/sites?near=113.25,35.25", headers=_auth(client, "sy.insp"))
    items = response.get_json()["items"]
    distances = [i["distance_m"] for i in items]
    assert distances == sorted(distances) and len(items) == 4
    for item in items:
        expected = session.execute(
            text(
                "SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(113.25, 35.25), 4326)::geography) "
                "FROM sites WHERE id = :id"
            ),
            {"id": item["id"]},
        ).scalar_one()
        assert item["distance_m"] == pytest.approx(expected, abs=0.01)
    assert items[0]["distance_m"] == pytest.approx(455.6, abs=1.0)  # 0.005° of longitude at 35.25° N


def test_near_with_radius_keeps_only_sites_within_it(client, session, geo) -> None:
    make_site(session, 113.255, 35.25)
    make_site(session, 113.29, 35.25)
    session.commit()
    items = client.get("/api/v1/sites?near=113.25,35.25&radius_m=1000", headers=_auth(client, "sy.insp")).get_json()[
        "items"
    ]
    assert len(items) == 1 and items[0]["distance_m"] < 1000


def test_near_in_gcj02_measures_from_the_converted_point(client, session, geo) -> None:
    make_site(session, 113.255, 35.25)
    session.commit()
    gcj = from_wgs84(113.25, 35.25, "gcj02")
    item = client.get(f"/api/v1/sites?near={gcj[0]},{gcj[1]}&crs=gcj02", headers=_auth(client, "sy.insp")).get_json()[
        "items"
    ][0]
    assert item["distance_m"] == pytest.approx(455.6, abs=1.0)


def test_bbox_q_and_kind_filter(client, session, geo) -> None:
    make_site(session, 113.21, 35.21, name="北区工地", code="SY-CS-0001")
    make_site(session, 113.29, 35.29, name="南区工地")
    make_site(
        session,
        113.29,
        35.21,
        name="小饭馆",
        kind="restaurant",
        attributes={"seats": 10},
        operator={"type": "company", "name": "饭馆公司", "credit_code": "91410811LTDM000297"},
    )
    session.commit()
    headers = _auth(client, "sy.insp")
    names = lambda url: [i["name"] for i in client.get(url, headers=headers).get_json()["items"]]  # noqa: E731
    assert names("/api/v1/sites?bbox=113.20,35.20,113.22,35.22") == ["北区工地"]
    assert names("/api/v1/sites?q=工地") == ["北区工地", "南区工地"]
    assert names("/api/v1/sites?q=91410811ltdm000297") == ["小饭馆"]
    assert names("/api/v1/sites?kind=restaurant") == ["小饭馆"]
    assert names("/api/v1/sites?q=sy-cs-0001") == ["北区工地"]  # the registry code, as on the site's sign
    assert names("/api/v1/sites?q=%25") == []  # LIKE wildcards are literal


@pytest.mark.parametrize("near", [None, "113.25,35.25"])
def test_cursor_pages_are_stable_and_complete(client, session, geo, near) -> None:
    ids = [make_site(session, 113.21 + 0.01 * (i % 4), 35.25, name=f"工地{i}").id for i in range(7)]
    session.commit()
    headers = _auth(client, "sy.insp")
    base = "/api/v1/sites?limit=3" + (f"&near={near}" if near else "")
    everything = [i["id"] for i in client.get(base.replace("limit=3", "limit=50"), headers=headers).get_json()["items"]]
    seen, cursor = [], None
    while True:
        page = client.get(base + (f"&cursor={cursor}" if cursor else ""), headers=headers).get_json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything and sorted(seen) == sorted(ids)


def test_cursor_from_another_query_is_rejected(client, session, geo) -> None:
    for i in range(3):
        make_site(session, 113.26, 35.25, name=f"工地{i}")
    session.commit()
    headers = _auth(client, "sy.insp")
    cursor = client.get("/api/v1/sites?limit=1", headers=headers).get_json()["next_cursor"]
    response = client.get(f"/api/v1/sites?limit=1&kind=restaurant&cursor={cursor}", headers=headers)
    assert response.status_code == 422 and response.get_json()["code"] == "invalid_cursor"


def test_patch_moves_site_rederives_location_and_is_audited(client, session, geo) -> None:
    site_id = make_site(session, 113.26, 35.25).id
    session.commit()
    headers = _auth(client, "sy.sup")
    response = client.patch(
        f"/api/v1/sites/{site_id}",
        json={"geometry": {"type": "Point", "coordinates": [113.21, 35.29]}},
        headers={**headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["jurisdiction"]["code"] == "410811002" and body["zones"] == [] and body["version"] == 2
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "site.update")) == 1


def test_patch_with_stale_if_match_is_412(client, session, geo) -> None:
    site_id = make_site(session, 113.26, 35.25).id
    session.commit()
    response = client.patch(
        f"/api/v1/sites/{site_id}", json={"name": "新名称"}, headers={**_auth(client, "sy.sup"), "If-Match": '"7"'}
    )
    assert response.status_code == 412


def test_boai_supervisor_cannot_list_read_update_or_locate_shanyang_sites(client, session, geo) -> None:
    site_id = make_site(session, 113.26, 35.25).id
    session.commit()
    headers = _auth(client, "ba.sup")
    assert client.get("/api/v1/sites", headers=headers).get_json()["items"] == []
    assert client.get("/api/v1/sites?near=113.26,35.25", headers=headers).get_json()["items"] == []
    assert client.get(f"/api/v1/sites/{site_id}", headers=headers).status_code == 404
    assert client.patch(f"/api/v1/sites/{site_id}", json={"name": "x"}, headers=headers).status_code == 404
    assert client.get("/api/v1/geo/locate?lon=113.26&lat=35.25", headers=headers).status_code == 404


def test_boai_supervisor_cannot_create_a_site_in_shanyang(client, geo) -> None:
    response = client.post("/api/v1/sites", json=site_data(113.26, 35.25), headers=_auth(client, "ba.sup"))
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["code"] == "outside_scope"


def test_site_outside_every_boundary_needs_a_jurisdiction_code(client, geo) -> None:
    headers = _auth(client, "sy.sup")
    response = client.post("/api/v1/sites", json=site_data(113.5, 35.5), headers=headers)
    assert response.status_code == 422 and response.get_json()["errors"][0]["code"] == "no_jurisdiction"
    response = client.post("/api/v1/sites", json=site_data(113.5, 35.5, jurisdiction_code="410811"), headers=headers)
    assert response.status_code == 201 and response.get_json()["jurisdiction"]["code"] == "410811"


def test_jurisdiction_code_must_contain_the_derived_location(client, geo) -> None:
    response = client.post(
        "/api/v1/sites", json=site_data(113.26, 35.25, jurisdiction_code="410811002"), headers=_auth(client, "sy.sup")
    )
    assert response.status_code == 422 and response.get_json()["errors"][0]["code"] == "location_mismatch"
