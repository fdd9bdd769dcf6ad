"""GET /api/v1/inspections?updated_since=: change-ordered sync feed with an opaque cursor, scoped."""

from __future__ import annotations

from tests.factories_inspections import applicable_items, make_world, new_id, passing_answer, put, put_body, submit


def _feed(client, headers, cursor: str | None = None, limit: int = 2):  # noqa: ANN001, ANN202
    params = {"limit": limit, **({"updated_since": cursor} if cursor else {})}
    response = client.get("/api/v1/inspections", query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _catch_up(client, headers, cursor: str | None, limit: int = 2) -> tuple[list[tuple[str, int, str]], str]:  # noqa: ANN001
    seen: list[tuple[str, int, str]] = []
    while True:
        page = _feed(client, headers, cursor, limit)
        seen += [(i["id"], i["version"], i["state"]) for i in page["items"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return seen, cursor


def _submitted(client, session, world) -> str:  # noqa: ANN001
    iid = new_id()
    put(client, world.headers["insp_a"], iid, put_body(world))
    answers = {i["key"]: passing_answer(i) for i in applicable_items(session, iid)}
    session.rollback()
    put(client, world.headers["insp_a"], iid, put_body(world, answers=answers), if_match='"1"')
    assert submit(client, world.headers["insp_a"], iid, '"2"').status_code == 200
    return iid


def test_catch_up_delivers_each_change_exactly_once_across_pages(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    ids = [new_id() for _ in range(3)]
    for iid in ids:
        put(client, world.headers["insp_a"], iid, put_body(world))
    seen, cursor = _catch_up(client, world.headers["insp_a"], None)
    assert seen == [(ids[0], 1, "draft"), (ids[1], 1, "draft"), (ids[2], 1, "draft")]
    # Nothing new: an empty page and the same position.
    page = _feed(client, world.headers["insp_a"], cursor)
    assert page["items"] == [] and page["has_more"] is False and page["next_cursor"] == cursor
    # An edit moves the inspection to the end of the feed.
    put(client, world.headers["insp_a"], ids[0], put_body(world, note="更新"), if_match='"1"')
    seen, cursor = _catch_up(client, world.headers["insp_a"], cursor)
    assert seen == [(ids[0], 2, "draft")]


def test_server_side_return_reaches_the_phone_with_its_comment(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = _submitted(client, session, world)
    other = new_id()
    put(client, world.headers["insp_a"], other, put_body(world))
    _, cursor = _catch_up(client, world.headers["insp_a"], None)
    response = client.post(
        f"/api/v1/inspections/{iid}/return",
        json={"comment": "请补拍围挡照片"},
        headers={**world.headers["sup_sy"], "If-Match": '"3"'},
    )
    assert response.status_code == 200, response.get_json()
    assert response.headers["ETag"] == '"4"'
    page = _feed(client, world.headers["insp_a"], cursor)
    assert [(i["id"], i["state"]) for i in page["items"]] == [(iid, "returned")]
    assert page["items"][0]["review"]["comment"] == "请补拍围挡照片"
    # The returned inspection is editable again and can be resubmitted.
    assert put(client, world.headers["insp_a"], iid, put_body(world, note="补拍"), if_match='"4"').status_code == 200


def test_whole_history_in_one_catch_up_lists_every_inspection_once(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = _submitted(client, session, world)
    client.post(
        f"/api/v1/inspections/{iid}/return",
        json={"comment": "退回"},
        headers={**world.headers["sup_sy"], "If-Match": '"3"'},
    )
    drafts = [new_id(), new_id()]
    for d in drafts:
        put(client, world.headers["insp_b"], d, put_body(world))
    seen, _ = _catch_up(client, world.headers["insp_a"], None, limit=1)
    assert seen == [(iid, 4, "returned"), (drafts[0], 1, "draft"), (drafts[1], 1, "draft")]


def test_inspector_sees_only_own_and_officer_inspections(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    mine = new_id()
    put(client, world.headers["insp_a"], mine, put_body(world))
    assert _feed(client, world.headers["insp_c"])["items"] == []
    assert [i["id"] for i in _feed(client, world.headers["insp_b"])["items"]] == [mine]  # listed as officer
    assert client.get(f"/api/v1/inspections/{mine}", headers=world.headers["insp_b"]).status_code == 200


def test_supervisor_of_another_district_gets_404_and_an_empty_feed(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = new_id()
    put(client, world.headers["insp_a"], iid, put_body(world))
    assert client.get(f"/api/v1/inspections/{iid}", headers=world.headers["sup_ba"]).status_code == 404
    assert _feed(client, world.headers["sup_ba"])["items"] == []
    assert [i["id"] for i in _feed(client, world.headers["sup_sy"])["items"]] == [iid]


def test_supervisor_of_another_district_cannot_return(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = _submitted(client, session, world)
    response = client.post(
        f"/api/v1/inspections/{iid}/return",
        json={"comment": "x"},
        headers={**world.headers["sup_ba"], "If-Match": '"3"'},
    )
    assert response.status_code == 404


def test_invalid_cursor_is_422(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    response = client.get(
        "/api/v1/inspections", query_string={"updated_since": "bm9wZQ"}, headers=world.headers["insp_a"]
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["code"] == "invalid_cursor"
