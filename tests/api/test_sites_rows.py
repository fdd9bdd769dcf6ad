"""The sites page and /geo/locate built from Core rows in one statement each answer what the ORM
and marshmallow path answers: each listed site as GET-one's representation (``SiteSchema`` of
``site_output``) plus its distance, and locate's chain and zones as the ORM queries of zones.queries find them.
The page's zones may come from the reference cache production runs with (app/reference_cache.py): the same
bytes, and a designation change is seen once its notification arrives."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from app.change_notices import ChangeListener
from app.demo.seed import DEMO_PASSWORD, load_demo_data
from app.extensions import db
from app.geo.crs import from_wgs84 as to_crs
from app.jurisdictions.models import Jurisdiction
from app.notified_cache import NotifiedCache
from app.reference_cache import CHANNEL as REFERENCE_CHANNEL
from app.sites.models import Site
from app.sites.schemas import SiteSchema, site_output
from app.sites.services import site_zones
from app.wiring import wiring
from app.zones.models import Zone
from app.zones.queries import jurisdictions_covering, point, zones_covering
from tests.factories import login

CENTRE = (113.25, 35.22)


@pytest.fixture()
def headers(client, session):  # noqa: ANN001, ANN201
    load_demo_data(session)
    session.commit()
    return {"Authorization": "Bearer " + login(client, "demo.inspector", DEMO_PASSWORD)["access_token"]}


@pytest.mark.parametrize(
    "query",
    [
        {"near": "113.25,35.22", "radius_m": 3000, "limit": 20},
        {"near": "113.25,35.22", "limit": 5},
        {"near": "113.256,35.221", "crs": "gcj02", "limit": 20},
        {"bbox": "113.0,35.0,113.5,35.5", "limit": 50},
        {"limit": 200},
    ],
)
def test_each_listed_site_is_its_orm_representation(client, session, headers, query) -> None:  # noqa: ANN001
    response = client.get("/api/v1/sites", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert list(body) == ["items", "next_cursor"] and body["items"]
    crs = query.get("crs", "wgs84")
    for item in body["items"]:
        site = session.get(Site, item["id"])
        assert site is not None
        expected = SiteSchema().dump(site_output(site, crs, site_zones(session, site), item.get("distance_m")))
        assert json.dumps(item, ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)
        assert ("distance_m" in item) == ("near" in query)
    assert any(item["zones"] for item in body["items"])  # the comparison covered zones


@pytest.mark.parametrize("crs", ["wgs84", "gcj02"])
def test_an_item_with_awkward_values_is_its_orm_representation(client, session, headers, crs) -> None:  # noqa: ANN001
    """The item PostgreSQL writes (app/sites/queries.py ``_item_json``) against Python's dump of the ORM site:
    escapes, non-ASCII, nulls, JSONB numbers, a zero distance, whole-second and fractional timestamps."""
    site_id, lon, lat = session.execute(
        select(Site.id, func.ST_X(Site.geom), func.ST_Y(Site.geom))
        .where(func.GeometryType(Site.geom) == "POINT")
        .order_by(Site.id)
        .limit(1)
    ).one()
    session.execute(
        update(Site)
        .where(Site.id == site_id)
        .values(
            name='引号 "quoted" \\ back\nslash\ttab\x01 \u2028 🌫',
            code=None,
            address=None,
            operator_credit_code=None,
            attributes={"z": 1.5, "a": [1e-05, 100, 0.1, 'é"\\\n\x1f'], "n": None, "big": 1e20, "t": True, "o": {}},
            created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            updated_at=datetime(2026, 1, 2, 3, 4, 5, 100, tzinfo=UTC),
        )
    )
    session.commit()
    session.expire_all()
    near = ",".join(repr(v) for v in (to_crs(lon, lat, crs) if crs != "wgs84" else (lon, lat)))
    response = client.get("/api/v1/sites", query_string={"near": near, "crs": crs, "limit": 3}, headers=headers)
    assert response.status_code == 200, response.get_json()
    items = response.get_json()["items"]
    assert items[0]["id"] == site_id
    if crs == "wgs84":
        assert items[0]["distance_m"] == 0.0 and isinstance(items[0]["distance_m"], float)
    for item in items:
        site = session.get(Site, item["id"])
        assert site is not None
        expected = SiteSchema().dump(site_output(site, crs, site_zones(session, site), item["distance_m"]))
        assert json.dumps(item, ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)


def test_pages_of_nearby_sites_follow_on_without_gaps(client, session, headers) -> None:  # noqa: ANN001
    everything = client.get("/api/v1/sites", query_string={"near": "113.25,35.22", "limit": 200}, headers=headers)
    expected = [i["id"] for i in everything.get_json()["items"]]
    seen: list[int] = []
    cursor = None
    while True:
        query = {"near": "113.25,35.22", "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/sites", query_string=query, headers=headers).get_json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected and len(seen) > 3


@pytest.mark.parametrize("user", ["demo.inspector", "demo.admin"])
def test_locate_names_the_chain_and_zones_the_orm_queries_find(client, session, headers, user) -> None:  # noqa: ANN001
    token = login(client, user, DEMO_PASSWORD)["access_token"]
    response = client.get(
        "/api/v1/geo/locate",
        query_string={"lon": CENTRE[0], "lat": CENTRE[1]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    codes = [j["code"] for j in me["jurisdictions"]]
    paths = list(session.scalars(select(Jurisdiction.path).where(Jurisdiction.code.in_(codes))))
    assert paths
    pt = point(*CENTRE)
    covering = jurisdictions_covering(session, pt, paths)
    # the leaf is the smallest covering jurisdiction; the chain runs from the highest in scope down to it
    assert body["jurisdictions"][-1]["code"] == covering[0].code
    assert [j["code"] for j in body["jurisdictions"]] == sorted(
        (j["code"] for j in body["jurisdictions"]), key=lambda c: covering[0].path.index(c)
    )
    assert [(z["code"], z["kind"]) for z in body["zones"]] == [
        (z.code, z.kind) for z in zones_covering(session, pt, paths)
    ]
    assert body["zones"]  # the comparison covered zones


@pytest.fixture()
def reference_cache(app: Flask, database_url: str) -> Iterator[NotifiedCache]:
    """The reference cache as production wires it (on by default, off in TestConfig), following its channel."""
    listener = ChangeListener(database_url.replace("postgresql+psycopg://", "postgresql://"))
    wired = wiring(app)
    saved = wired.reference_cache
    wired.reference_cache = NotifiedCache(REFERENCE_CHANNEL, ttl=60, listener=listener)
    assert listener.wait_listening(10)
    yield wired.reference_cache
    wired.reference_cache = saved


NEARBY_PAGES = [
    {"near": "113.25,35.22", "radius_m": 3000, "limit": 20},
    {"near": "113.256,35.221", "crs": "gcj02", "limit": 20},
    {"bbox": "113.0,35.0,113.5,35.5", "limit": 50},
]


@pytest.mark.parametrize("query", NEARBY_PAGES)
def test_zones_from_the_reference_cache_make_the_same_page(app, client, headers, query) -> None:  # noqa: ANN001
    without = client.get("/api/v1/sites", query_string=query, headers=headers)
    assert without.status_code == 200 and any(item["zones"] for item in without.get_json()["items"])
    wired = wiring(app)
    saved = wired.reference_cache
    wired.reference_cache = cache = NotifiedCache(REFERENCE_CHANNEL, ttl=60)
    cache.set_listening(True)  # no listener: nothing changes during the test
    try:
        cold = client.get("/api/v1/sites", query_string=query, headers=headers)
        warm = client.get("/api/v1/sites", query_string=query, headers=headers)
    finally:
        wired.reference_cache = saved
    assert cold.data == without.data and warm.data == without.data


def _statements_on_reads(app: Flask, fn: Callable[[], object]) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement: str, *_args: object) -> None:  # noqa: ANN001
        seen.append(statement)

    engine = wiring(app).reads.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_with_the_zones_kept_a_page_is_one_statement_without_zones(app, client, headers, reference_cache) -> None:  # noqa: ANN001
    """The zones sub-select was ~0.5 ms of PostgreSQL per page of 20: with the zones kept per
    process, the page's one statement does not read them."""
    url = "/api/v1/sites?near=113.25,35.22&radius_m=3000&limit=20"
    first = _statements_on_reads(app, lambda: client.get(url, headers=headers))
    assert len(first) == 2 and "site_zones" in first[1]  # the page, then the zones of its sites
    again = _statements_on_reads(app, lambda: client.get(url, headers=headers))
    assert len(again) == 1 and "site_zones" not in again[0]


def test_a_zone_renamed_elsewhere_is_seen_by_the_next_page(client, session, headers, reference_cache) -> None:  # noqa: ANN001
    url = "/api/v1/sites?near=113.25,35.22&radius_m=3000&limit=20"

    def names() -> set[str]:
        items = client.get(url, headers=headers).get_json()["items"]
        return {zone["name_zh"] for item in items for zone in item["zones"]}

    before = names()
    code = session.scalar(select(Zone.code).where(Zone.name_zh.in_(before)).order_by(Zone.code).limit(1))
    assert code is not None and names() == before  # kept
    with Session(db.engine) as admin:  # another process renames the zone
        admin.execute(update(Zone).where(Zone.code == code).values(name_zh="改名后的区域"))
        admin.commit()
    deadline = time.monotonic() + 2.0
    while "改名后的区域" not in names():
        assert time.monotonic() < deadline, "the notification did not reach the cache (TTL 60 s)"
        time.sleep(0.02)
