"""Low-zoom tiles from the rollup (migration 0032, app/maplayers/rollup.py) on generated data: the same counts as
the live computation from the base tables, decoded with a real MVT decoder; scope; how stale they can be."""

from __future__ import annotations

import math
from typing import Any

import mapbox_vector_tile
import pytest
from sqlalchemy import event, text

from app.extensions import db
from app.jobs.queue import queue
from app.maplayers.rollup import MAX_STALENESS_SECONDS, pending_sites, rebuild_all, refresh_dirty
from app.maplayers.tasks import REFRESH_MAP_LAYERS
from tests.factories import bearer, issue_tokens
from tests.factories_bulk import load_generated

# A filter the rollup cannot answer, which excludes nothing here (every generated inspection has a start):
# the same tile, computed live from the base tables.
LIVE = "&inspected_from=2000-01-01"


@pytest.fixture()
def generated(session, owner_database_url):  # noqa: ANN001, ANN201
    result = load_generated(session, owner_database_url)
    rebuild_all(session)  # after a bulk load, as `flask map rebuild` does
    session.commit()
    return result


def _get(client, session, username: str, url: str, **headers: str):  # noqa: ANN001, ANN202
    return client.get(url, headers=bearer(issue_tokens(session, username)) | headers)


def _tile_of(session, code: str, z: int) -> tuple[int, int]:  # noqa: ANN001
    """The tile of the site in ``code`` (or below) with the most submitted inspections."""
    lon, lat = session.execute(
        text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(s.geom) AS p, count(*) AS n FROM sites s"
            " JOIN jurisdictions j ON j.id = s.jurisdiction_id JOIN inspections i ON i.site_id = s.id"
            " WHERE j.code LIKE :c || '%' AND i.state = 'submitted' GROUP BY s.id ORDER BY n DESC, s.id LIMIT 1) x"
        ),
        {"c": code},
    ).one()
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def _features(body: bytes, layer: str) -> list[tuple[Any, ...]]:
    """(x, y, count, sites) of every feature, sorted: a tile's content, whatever the encoding order."""
    if not body:
        return []
    decoded = mapbox_vector_tile.decode(body)
    assert decoded[layer]["extent"] == 256
    return sorted(
        (*f["geometry"]["coordinates"], f["properties"]["count"], f["properties"]["sites"])
        for f in decoded[layer]["features"]
    )


def _expected_total(session, layer: str, z: int, x: int, y: int, states: list[str], scope: str, crs: str) -> int:  # noqa: ANN001, PLR0913
    """Inspections (or failed findings of their current submission and revision) of sites whose point is drawn
    in the tile, in scope, straight from the base tables."""
    measure = (
        "count(*)"
        if layer == "inspections"
        else "sum((SELECT count(*) FROM findings f WHERE f.inspection_id = i.id AND f.verdict = 'fail'"
        " AND f.submission_no = i.submission_count AND f.revision = i.findings_revision))"
    )
    return int(
        session.execute(
            text(
                f"SELECT COALESCE({measure}, 0) FROM inspections i JOIN sites s ON s.id = i.site_id"
                " JOIN jurisdictions j ON j.id = s.jurisdiction_id"
                " WHERE i.state = ANY(:states)"
                " AND j.path LIKE (SELECT path FROM jurisdictions WHERE code = :scope) || '%'"
                " AND ST_AsMVTGeom(ST_Transform(lantian_to_crs(ST_PointOnSurface(s.geom), :crs), 3857),"
                " ST_TileEnvelope(:z, :x, :y), 256, 0, true) IS NOT NULL"
            ),
            {"states": states, "scope": scope, "crs": crs, "z": z, "x": x, "y": y},
        ).scalar_one()
    )


@pytest.mark.parametrize(
    ("layer", "z", "states", "crs"),
    [
        ("inspections", 6, "approved", "wgs84"),
        ("findings", 7, "approved,submitted", "gcj02"),
        ("inspections", 8, "approved,submitted,returned", "bd09"),
        ("findings", 6, "approved", "wgs84"),
        ("inspections", 10, "approved,submitted", "gcj02"),
    ],
)
def test_an_aggregated_tile_has_the_live_counts(client, session, generated, layer, z, states, crs) -> None:  # noqa: ANN001
    x, y = _tile_of(session, "410822", z)
    url = f"/api/v1/tiles/{layer}/{z}/{x}/{y}.mvt?state={states}&crs={crs}"
    rollup = _get(client, session, "sup.henan", url)
    live = _get(client, session, "sup.henan", url + LIVE)
    assert rollup.headers["X-Tile-Source"] == "rollup" and live.headers["X-Tile-Source"] == "live"
    aggregated = _features(rollup.get_data(), layer)
    assert aggregated == _features(live.get_data(), layer)
    total = _expected_total(session, layer, z, x, y, states.split(","), "410000", crs)
    assert sum(f[2] for f in aggregated) == total > 0
    assert sum(f[3] for f in aggregated) >= len(aggregated) > (1 if z < 10 else 0)


def test_checklist_and_kind_filters_are_answered_by_the_rollup_exactly(client, session, generated) -> None:
    kind, checklist = session.execute(
        text(
            "SELECT s.kind, i.checklist_key FROM inspections i JOIN sites s ON s.id = i.site_id"
            " JOIN jurisdictions j ON j.id = s.jurisdiction_id WHERE j.code LIKE '410822%' AND i.state = 'approved'"
            " ORDER BY i.id LIMIT 1"
        )
    ).one()
    x, y = _tile_of(session, "410822", 7)
    for extra in (f"&site_kind={kind}", f"&checklist={checklist}", "&jurisdiction=410822"):
        url = f"/api/v1/tiles/inspections/7/{x}/{y}.mvt?state=approved,submitted{extra}"
        rollup = _get(client, session, "sup.henan", url)
        assert rollup.headers["X-Tile-Source"] == "rollup"
        features = _features(rollup.get_data(), "inspections")
        assert features and features == _features(
            _get(client, session, "sup.henan", url + LIVE).get_data(), "inspections"
        )


def test_a_boai_supervisors_tile_excludes_shanyang(client, session, generated) -> None:
    z = next(z for z in range(11, 0, -1) if _tile_of(session, "410811", z) == _tile_of(session, "410822", z))
    x, y = _tile_of(session, "410822", z)  # one tile over both
    url = f"/api/v1/tiles/inspections/{z}/{x}/{y}.mvt?state=approved"
    boai = _features(_get(client, session, "sup.boai", url).get_data(), "inspections")
    henan = _features(_get(client, session, "sup.henan", url).get_data(), "inspections")
    assert sum(f[2] for f in boai) == _expected_total(session, "inspections", z, x, y, ["approved"], "410822", "wgs84")
    shanyang = _expected_total(session, "inspections", z, x, y, ["approved"], "410811", "wgs84")
    assert shanyang > 0
    assert sum(f[2] for f in boai) + shanyang <= sum(f[2] for f in henan)
    assert boai == _features(_get(client, session, "sup.boai", url + LIVE).get_data(), "inspections")


def test_a_change_shows_after_the_next_refresh_and_the_etag_moves(client, session, generated) -> None:
    # the refresh runs every minute: the bound on how stale an aggregated tile can be
    periodic = {task.task.name: task.cron for task in queue.periodic_registry.periodic_tasks.values()}
    assert periodic[REFRESH_MAP_LAYERS] == "* * * * *" and MAX_STALENESS_SECONDS == 60
    x, y = _tile_of(session, "410822", 10)
    url = f"/api/v1/tiles/inspections/10/{x}/{y}.mvt?state=approved"
    before = _get(client, session, "sup.henan", url)
    counted = sum(f[2] for f in _features(before.get_data(), "inspections"))
    session.execute(
        text(
            "UPDATE inspections SET state = 'approved', decision = 'approve', decided_at = now() WHERE id = (SELECT i.id FROM inspections i"
            " JOIN sites s ON s.id = i.site_id JOIN jurisdictions j ON j.id = s.jurisdiction_id"
            " WHERE i.state = 'submitted' AND j.code LIKE '410822%'"
            " AND ST_Intersects(ST_Transform(ST_PointOnSurface(s.geom), 3857), ST_TileEnvelope(10, :x, :y))"
            " ORDER BY i.id LIMIT 1)"
        ),
        {"x": x, "y": y},
    )
    session.commit()
    assert pending_sites(session) == 1  # marked by the trigger in the writer's transaction
    stale = _get(client, session, "sup.henan", url, **{"If-None-Match": before.headers["ETag"]})
    assert stale.status_code == 304  # not yet refreshed: the rollup is what it was
    live = _features(_get(client, session, "sup.henan", url + LIVE).get_data(), "inspections")
    assert sum(f[2] for f in live) == counted + 1
    assert refresh_dirty(session) == 1
    session.commit()
    assert pending_sites(session) == 0
    after = _get(client, session, "sup.henan", url, **{"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert _features(after.get_data(), "inspections") == live


def test_an_empty_tile_and_a_tile_outside_the_scope_are_empty(client, session, generated) -> None:
    for layer in ("sites", "inspections", "findings"):
        far = _get(client, session, "sup.henan", f"/api/v1/tiles/{layer}/8/10/10.mvt")
        assert far.status_code == 200 and far.get_data() == b""
        again = _get(
            client, session, "sup.henan", f"/api/v1/tiles/{layer}/8/10/10.mvt", **{"If-None-Match": far.headers["ETag"]}
        )
        assert again.status_code == 304
    # 山阳区 seen by 博爱县's supervisor, close enough that the tile holds only 山阳区
    x, y = _tile_of(session, "410811", 12)
    for layer in ("sites", "inspections"):
        response = _get(client, session, "sup.boai", f"/api/v1/tiles/{layer}/11/{x // 2}/{y // 2}.mvt?state=approved")
        assert response.status_code == 200
        assert all(f[2] >= 1 for f in _features(response.get_data(), layer))


def test_a_site_given_another_kind_moves_between_kind_filters_after_the_refresh(client, session, generated) -> None:
    site_id, kind = session.execute(
        text(
            "SELECT s.id, s.kind FROM sites s JOIN inspections i ON i.site_id = s.id JOIN jurisdictions j"
            " ON j.id = s.jurisdiction_id WHERE j.code LIKE '410822%' AND i.state = 'approved'"
            " ORDER BY s.id LIMIT 1"
        )
    ).one()
    other = session.scalar(text("SELECT kind FROM sites WHERE kind <> :k ORDER BY id LIMIT 1"), {"k": kind})
    x, y = _tile_of(session, "410822", 7)
    url = f"/api/v1/tiles/sites/7/{x}/{y}.mvt?site_kind={other}"
    before = sum(f[2] for f in _features(_get(client, session, "sup.henan", url).get_data(), "sites"))
    session.execute(text("UPDATE sites SET kind = :k WHERE id = :id"), {"k": other, "id": site_id})
    session.commit()
    assert pending_sites(session) == 1
    while refresh_dirty(session):
        session.commit()
    after = _get(client, session, "sup.henan", url)
    assert after.headers["X-Tile-Source"] == "rollup"
    assert sum(f[2] for f in _features(after.get_data(), "sites")) == before + 1


def test_a_moved_jurisdiction_marks_its_sites_and_scope_follows_after_the_refresh(client, session, generated) -> None:
    x, y = _tile_of(session, "410822", 8)
    url = f"/api/v1/tiles/inspections/8/{x}/{y}.mvt?state=approved"
    before = _features(_get(client, session, "sup.boai", url).get_data(), "inspections")
    assert before
    # 博爱县 moved directly under the province (what app/jurisdictions/services.py does to a subtree's paths)
    old = session.scalar(text("SELECT path FROM jurisdictions WHERE code = '410822'"))
    session.execute(
        text(
            "UPDATE jurisdictions SET path = '/410000/410822/' || substr(path, length(:old) + 1) WHERE path LIKE :old || '%'"
        ),
        {"old": old},
    )
    session.commit()
    assert pending_sites(session) > 0
    while refresh_dirty(session):
        session.commit()
    moved = _get(client, session, "sup.boai", url)
    assert _features(moved.get_data(), "inspections") == before
    assert before == _features(_get(client, session, "sup.boai", url + LIVE).get_data(), "inspections")


def test_a_rollup_tile_is_built_once_and_then_served_from_the_kept_bytes(client, session, generated, app) -> None:  # noqa: ANN001
    x, y = _tile_of(session, "410822", 8)
    url = f"/api/v1/tiles/findings/8/{x}/{y}.mvt?state=approved,submitted"
    first = _get(client, session, "sup.henan", url)
    assert first.status_code == 200 and first.headers["X-Tile-Source"] == "rollup" and first.get_data()
    sent: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        sent.append(statement)

    headers = bearer(issue_tokens(session, "sup.henan"))
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        again = client.get(url, headers=headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    assert sent and not [s for s in sent if "ST_AsMVT" in s]  # the rollup's version read, no tile built
    # 博爱县's supervisor asks the same tile: other scope, other bytes (never the province's kept ones)
    county = _get(client, session, "sup.boai", url)
    assert county.headers["ETag"] != first.headers["ETag"]
    assert sum(f[2] for f in _features(county.get_data(), "findings")) < sum(
        f[2] for f in _features(first.get_data(), "findings")
    )


def test_a_kept_live_tile_is_rebuilt_after_the_next_inspection_change(client, session, generated) -> None:  # noqa: ANN001
    # Close up, inspections are drawn one by one where the phone stood (else at the site).
    inspection, lon, lat = session.execute(
        text(
            "SELECT i.id, ST_X(p), ST_Y(p) FROM inspections i JOIN sites s ON s.id = i.site_id"
            " JOIN jurisdictions j ON j.id = s.jurisdiction_id"
            " CROSS JOIN LATERAL (SELECT COALESCE(i.location, ST_PointOnSurface(s.geom)) AS p) AS x"
            " WHERE i.state = 'submitted' AND j.code LIKE '410822%' ORDER BY i.id LIMIT 1"
        )
    ).one()
    n = 2**12
    x, y = int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    url = f"/api/v1/tiles/inspections/12/{x}/{y}.mvt?state=approved"

    def drawn(body: bytes) -> int:
        return len(mapbox_vector_tile.decode(body)["inspections"]["features"]) if body else 0

    before = _get(client, session, "sup.henan", url)
    assert before.headers["X-Tile-Source"] == "live"
    assert _get(client, session, "sup.henan", url).get_data() == before.get_data()  # kept: the same bytes
    session.execute(
        text(
            "UPDATE inspections SET state = 'approved', decision = 'approve', decided_at = now(),"
            " change_seq = nextval('inspection_change_seq') WHERE id = :id"
        ),
        {"id": inspection},
    )
    session.commit()
    after = _get(client, session, "sup.henan", url)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert drawn(after.get_data()) == drawn(before.get_data()) + 1
