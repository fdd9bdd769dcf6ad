"""The sync feed's page built from Core rows (inspections.feed_presenter) shows each inspection exactly as
GET /inspections/{id} does (the ORM presenter and InspectionSchema): same keys in the same order, same values
and types, for rich inspections (answers, findings with a waiver, photo links with evidence flags, amendments
applied and folded, a return's comments, a decision) and for each kind of viewer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.factories_catalogue import install_shipped_penalty_rules
from tests.factories_inspections import applicable_items, make_world, new_id, passing_answer, put, put_body, submit
from tests.factories_photos import photo_bytes, put_photo, temporary_photo_store

GPS_PHOTO = "derived__gps_fractional_seconds.jpg"


@pytest.fixture()
def store(app, tmp_path):  # noqa: ANN001, ANN201
    with temporary_photo_store(app, tmp_path / "photos") as s:
        yield s


@pytest.fixture()
def world(session, client, tree):  # noqa: ANN001, ANN201
    w = make_world(session, client)
    install_shipped_penalty_rules(session)
    session.commit()
    return w


def _upload(client, headers) -> str:  # noqa: ANN001
    pid = new_id()
    response = put_photo(client, headers, pid, photo_bytes(GPS_PHOTO))
    assert response.status_code in (200, 201), response.get_json()
    return pid


def _submitted(client, session, world, overrides: dict[str, Any]) -> str:  # noqa: ANN001
    iid = new_id()
    assert put(client, world.headers["insp_a"], iid, put_body(world)).status_code == 201
    answers = {i["key"]: passing_answer(i) for i in applicable_items(session, iid)}
    session.rollback()
    answers.update(overrides)
    assert (
        put(client, world.headers["insp_a"], iid, put_body(world, answers=answers), if_match='"1"').status_code == 200
    )
    response = submit(client, world.headers["insp_a"], iid, '"2"')
    assert response.status_code == 200, response.get_json()
    return iid


def _post(client, headers, url: str, body: dict[str, Any], if_match: str) -> None:  # noqa: ANN001
    response = client.post(url, json=body, headers={**headers, "If-Match": if_match})
    assert response.status_code == 200, response.get_json()


def _rich_inspections(client, session, world) -> dict[str, str]:  # noqa: ANN001
    sup = world.headers["sup_sy"]
    evidence = _upload(client, world.headers["insp_a"])
    failing = {"hoarding": {"verdict": "fail", "note": "东侧缺失", "photos": [evidence]}}
    # Under review with amendments applied: a waiver of the failure, a change, the reviewer's evidence.
    amended = _submitted(client, session, world, failing)
    reviewer_photo = _upload(client, sup)
    url = f"/api/v1/inspections/{amended}/amendments"
    _post(client, sup, url, {"id": new_id(), "item_key": "hoarding", "kind": "waive", "reason": "已当场整改"}, '"3"')
    session.rollback()
    other_item = next(
        i["key"] for i in applicable_items(session, amended) if i["kind"] == "check" and i["key"] != "hoarding"
    )
    session.rollback()
    change = {
        "id": new_id(),
        "item_key": other_item,
        "kind": "change",
        "answer": {"verdict": "fail", "note": "复核不合格"},
        "photos": [reviewer_photo],
        "reason": "照片显示未覆盖",
    }
    _post(client, sup, url, change, '"4"')
    # Returned after an amendment: the amendments folded, the return's comments shown.
    returned = _submitted(client, session, world, failing)
    _post(
        client,
        sup,
        f"/api/v1/inspections/{returned}/amendments",
        {"id": new_id(), "item_key": "hoarding", "kind": "waive", "reason": "已整改"},
        '"3"',
    )
    _post(
        client,
        sup,
        f"/api/v1/inspections/{returned}/return",
        {"comment": "请补拍围挡照片", "item_comments": [{"item_key": "hoarding", "comment": "东侧"}]},
        '"4"',
    )
    # Decided: approved with a reason.
    approved = _submitted(client, session, world, {})
    _post(client, sup, f"/api/v1/inspections/{approved}/approve", {"reason": "符合要求"}, '"3"')
    # A draft reusing the same photo (a reused_photo flag naming the other inspections).
    draft = new_id()
    assert put(client, world.headers["insp_a"], draft, put_body(world, answers=failing)).status_code == 201
    return {"amended": amended, "returned": returned, "approved": approved, "draft": draft}


def _feed_items(client, headers) -> list[dict[str, Any]]:  # noqa: ANN001
    response = client.get("/api/v1/inspections", query_string={"limit": 100}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/json"
    assert list(response.get_json()) == ["items", "tasks", "next_cursor", "has_more"]
    return response.get_json()["items"]


def _one(client, headers, iid: str) -> dict[str, Any]:  # noqa: ANN001
    response = client.get(f"/api/v1/inspections/{iid}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("viewer", ["insp_a", "insp_b", "sup_sy"])
def test_each_feed_item_is_the_inspection_as_get_one_shows_it(client, session, world, store, viewer):  # noqa: ANN001
    ids = _rich_inspections(client, session, world)
    headers = world.headers[viewer]
    items = {item["id"]: item for item in _feed_items(client, headers)}
    assert set(ids.values()) <= set(items)
    for iid in items:
        # Same keys in the same order, same values and JSON types: compare the serialised text.
        assert json.dumps(items[iid], ensure_ascii=False) == json.dumps(_one(client, headers, iid), ensure_ascii=False)
    # The comparison covered what makes an inspection rich.
    amended = items[ids["amended"]]
    assert [a["kind"] for a in amended["amendments"]] == ["waive", "change"]
    assert set(amended["original_answers"]) == {"hoarding", amended["amendments"][1]["item_key"]}
    assert next(f for f in amended["findings"] if f["item_key"] == "hoarding")["waiver"] is not None
    assert amended["photos"] and amended["photos"][0]["uploaded"] is True
    returned = items[ids["returned"]]
    assert returned["review"]["item_comments"] == [{"item_key": "hoarding", "comment": "东侧"}]
    assert returned["original_answers"] == {} and returned["amendments"]
    assert items[ids["approved"]]["decision"]["reason"] == "符合要求"
    flags = items[ids["draft"]]["photos"][0]["flags"]
    if viewer == "sup_sy":
        reused = next(f for f in flags if f["code"] == "reused_photo")
        assert reused["details"]["other_inspections"]
    else:
        assert flags is None  # flags are for supervisors and admins
