"""PUT /api/v1/inspections/{uuid}: idempotent create, If-Match, lost-response replays, merge rules."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.geo.crs import to_wgs84
from app.inspections.models import Inspection, InspectionAnswer
from tests.factories_inspections import make_world, new_id, put, put_body


def _count(session) -> int:  # noqa: ANN001
    session.rollback()
    return session.scalar(select(func.count()).select_from(Inspection))


def test_put_creates_a_draft_with_an_etag(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = new_id()
    response = put(client, world.headers["insp_a"], iid, put_body(world, answers={"hoarding": {"verdict": "pass"}}))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["ETag"] == '"1"'
    assert body["state"] == "draft" and body["version"] == 1 and body["id"] == iid
    assert [o["user_id"] for o in body["officers"]] == [world.inspector, world.colleague]
    assert body["answers"]["hoarding"] == {"verdict": "pass", "photos": []}


def test_same_put_five_times_sequentially_is_one_inspection(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid, body = new_id(), put_body(world, answers={"hoarding": {"verdict": "pass"}})
    responses = [put(client, world.headers["insp_a"], iid, body) for _ in range(5)]
    assert [r.status_code for r in responses] == [201, 200, 200, 200, 200]
    assert {r.headers["ETag"] for r in responses} == {'"1"'}
    assert {r.get_json()["version"] for r in responses} == {1}
    assert _count(session) == 1


def test_same_put_five_times_in_parallel_is_one_inspection(app, client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid, body = new_id(), put_body(world, answers={"hoarding": {"verdict": "pass"}})
    statuses: list[int] = []
    barrier = threading.Barrier(5)

    def send() -> None:
        own = app.test_client()
        barrier.wait()
        statuses.append(put(own, world.headers["insp_a"], iid, body).status_code)

    threads = [threading.Thread(target=send) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 200, 200, 200, 201]
    assert _count(session) == 1
    assert session.get(Inspection, __import__("uuid").UUID(iid)).version == 1


def test_update_without_if_match_is_428(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = new_id()
    put(client, world.headers["insp_a"], iid, put_body(world))
    response = put(client, world.headers["insp_a"], iid, put_body(world, note="changed"))
    assert response.status_code == 428
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "precondition_required"


def test_stale_if_match_is_412_with_the_current_state(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = new_id()
    put(client, world.headers["insp_a"], iid, put_body(world))
    assert (
        put(client, world.headers["insp_a"], iid, put_body(world, note="first edit"), if_match='"1"').status_code == 200
    )
    response = put(client, world.headers["insp_a"], iid, put_body(world, note="edit from an old copy"), if_match='"1"')
    assert response.status_code == 412
    problem = response.get_json()
    assert problem["code"] == "version_stale"
    assert response.headers["ETag"] == '"2"'
    assert problem["current"]["version"] == 2 and problem["current"]["note"] == "first edit"


def test_replay_of_last_put_with_now_stale_if_match_returns_current_state(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = new_id()
    put(client, world.headers["insp_a"], iid, put_body(world))
    edit = put_body(world, answers={"hoarding": {"verdict": "fail", "note": "东侧围挡缺失"}})
    first = put(client, world.headers["insp_a"], iid, edit, if_match='"1"')
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    # The response was lost; the phone retries exactly the same request.
    retry = put(client, world.headers["insp_a"], iid, edit, if_match='"1"')
    assert retry.status_code == 200
    assert retry.headers["ETag"] == '"2"'
    assert retry.get_json() == first.get_json()


def test_an_older_body_with_a_stale_if_match_is_still_412(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = new_id()
    original = put_body(world)
    put(client, world.headers["insp_a"], iid, original)
    put(client, world.headers["insp_a"], iid, put_body(world, note="newer"), if_match='"1"')
    assert put(client, world.headers["insp_a"], iid, original, if_match='"1"').status_code == 412


def test_edit_replaces_answers_but_keeps_photo_links(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid, p1, p2, p3 = new_id(), new_id(), new_id(), new_id()
    put(
        client,
        world.headers["insp_a"],
        iid,
        put_body(
            world,
            answers={
                "hoarding": {"verdict": "fail", "photos": [p1]},
                "material_cover": {"verdict": "pass", "photos": [p3]},
            },
        ),
    )
    response = put(
        client,
        world.headers["insp_a"],
        iid,
        put_body(world, answers={"hoarding": {"verdict": "fail", "photos": [p2]}}),
        if_match='"1"',
    )
    assert response.status_code == 200
    body = response.get_json()
    assert set(body["answers"]) == {"hoarding"}
    assert body["answers"]["hoarding"]["photos"] == [p2, p1]
    assert {(p["item_key"], p["photo_id"]) for p in body["photos"]} == {
        ("hoarding", p1),
        ("hoarding", p2),
        ("material_cover", p3),
    }
    assert all(p["uploaded"] is False for p in body["photos"])


def test_fewer_officers_than_required_is_422(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    response = put(client, world.headers["insp_a"], new_id(), put_body(world, officers=[world.inspector]))
    assert response.status_code == 422
    assert [e["code"] for e in response.get_json()["errors"]] == ["too_few_officers"]
    assert "第四十二条" in response.get_json()["errors"][0]["message_zh"]


def test_unknown_officer_site_and_item_are_all_listed(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    body = put_body(
        world, officers=[world.inspector, "NO-SUCH-BADGE"], site_id=999999, answers={"not_an_item": {"verdict": "pass"}}
    )
    response = put(client, world.headers["insp_a"], new_id(), body)
    assert response.status_code == 422
    codes = {(e["path"], e["code"]) for e in response.get_json()["errors"]}
    assert {
        ("site_id", "site_not_found"),
        ("officers.1", "officer_not_found"),
        ("answers.not_an_item", "unknown_item"),
    } <= codes


def test_phone_location_in_gcj02_is_stored_as_wgs84(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    body = put_body(world, location={"lon": 113.2511, "lat": 35.2138, "accuracy_m": 5, "crs": "gcj02"})
    loc = put(client, world.headers["insp_a"], new_id(), body).get_json()["location"]
    assert loc["crs"] == "wgs84" and loc["crs_sent"] == "gcj02"
    lon, lat = to_wgs84(113.2511, 35.2138, "gcj02")
    assert (round(loc["lon"], 7), round(loc["lat"], 7)) == (round(lon, 7), round(lat, 7))
    assert abs(loc["lon"] - 113.2511) > 0.003  # GCJ-02 is several hundred metres off in 焦作


def test_another_inspector_cannot_edit_or_see_it(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = new_id()
    put(client, world.headers["insp_a"], iid, put_body(world))
    assert put(client, world.headers["insp_c"], iid, put_body(world, note="x"), if_match='"1"').status_code == 404
    assert client.get(f"/api/v1/inspections/{iid}", headers=world.headers["insp_c"]).status_code == 404


def test_an_id_that_is_not_a_uuid_matches_no_route(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    for method, path in (("get", "/api/v1/inspections/not-a-uuid"), ("post", "/api/v1/inspections/1/submit")):
        response = getattr(client, method)(path, headers=world.headers["insp_a"])
        assert response.status_code == 404
        assert response.content_type == "application/problem+json"
        assert response.get_json()["code"] == "not_found"


def test_officer_colleague_may_edit(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = new_id()
    put(client, world.headers["insp_a"], iid, put_body(world))
    response = put(client, world.headers["insp_b"], iid, put_body(world, note="补充"), if_match='"1"')
    assert response.status_code == 200 and response.headers["ETag"] == '"2"'
    session.rollback()
    assert session.scalar(select(func.count()).select_from(InspectionAnswer)) == 0


def test_an_officer_without_jurisdiction_over_the_site_is_refused(client, session, tree):  # noqa: ANN001
    # Naming an officer grants them the inspection and its photos: a 博爱县 user cannot be named
    # on a 山阳区 site.
    world = make_world(session, client)
    response = put(
        client, world.headers["insp_a"], new_id(), put_body(world, officers=[world.inspector, world.other_supervisor])
    )
    assert response.status_code == 422
    assert [(e["path"], e["code"]) for e in response.get_json()["errors"]] == [
        ("officers.1", "officer_out_of_jurisdiction")
    ]


def test_start_or_end_time_in_the_future_is_refused(client, session, tree):  # noqa: ANN001
    # A day that has not come cannot have been inspected (nor start a daily penalty): beyond the clock skew
    # (INSPECTION_CLOCK_SKEW_S) the PUT is refused with a stable code.
    world = make_world(session, client)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    body = put_body(world, started_at=tomorrow.isoformat(), ended_at=(tomorrow + timedelta(hours=1)).isoformat())
    response = put(client, world.headers["insp_a"], new_id(), body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert {(e["path"], e["code"]) for e in response.get_json()["errors"]} == {
        ("started_at", "time_in_future"),
        ("ended_at", "time_in_future"),
    }
    assert _count(session) == 0


def test_times_within_the_clock_skew_are_accepted(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    now = datetime.now(UTC)
    body = put_body(
        world, started_at=(now - timedelta(hours=1)).isoformat(), ended_at=(now + timedelta(seconds=60)).isoformat()
    )
    assert put(client, world.headers["insp_a"], new_id(), body).status_code == 201
