"""Repeatable groups through the API: one NRMM inspection covers several machines (000#14), each with its own
label, code, stage and photos; findings and per-machine fines come per machine (app/checklists/groups.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.stats.rollup import refresh_dirty
from tests.factories_checklists import catalogue_copy, edit_checklist, sync
from tests.factories_inspections import (
    NRMM,
    applicable_items,
    make_world,
    new_id,
    passing_answer,
    put,
    put_body,
    submit,
)
from tests.factories_photos import photo_bytes, put_photo, temporary_photo_store

LABELS = ["1号挖掘机", "2号装载机", "3号压路机"]


@pytest.fixture()
def store(app, tmp_path):  # noqa: ANN001, ANN201
    with temporary_photo_store(app, tmp_path / "photos") as s:
        yield s


def _upload(client, headers) -> str:  # noqa: ANN001
    pid = new_id()
    response = put_photo(client, headers, pid, photo_bytes("derived__gps_fractional_seconds.jpg"))
    assert response.status_code in (200, 201), response.get_json()
    return pid


def _machines(session, client, world, n: int, photo: str) -> tuple[str, dict[str, Any]]:  # noqa: ANN001
    """A draft with ``n`` machines, every applicable item passing (the info card photographed)."""
    iid = new_id()
    keys = {f"machines.{m}.label": {"text": LABELS[m]} for m in range(n)}
    assert put(client, world.headers["insp_a"], iid, put_body(world, checklist=NRMM, answers=keys)).status_code == 201
    answers: dict[str, Any] = {}
    for item in applicable_items(session, iid, with_answers=True):
        answer = passing_answer(item)
        if (item.get("evidence") or {}).get("always"):
            answer["photos"] = [photo]
        answers[item["key"]] = answer
    session.rollback()
    for m in range(n):
        answers[f"machines.{m}.label"] = {"text": LABELS[m]}
        answers[f"machines.{m}.years_in_use"] = {"values": [3], "unit": "a"}  # 15 years or more: phase-out
    return iid, answers


def _put_and_submit(client, world, iid: str, answers: dict[str, Any]):  # noqa: ANN001, ANN202
    response = put(client, world.headers["insp_a"], iid, put_body(world, checklist=NRMM, answers=answers), '"1"')
    assert response.status_code == 200, response.get_json()
    return submit(client, world.headers["insp_a"], iid, '"2"')


def test_two_machines_one_failing_is_one_finding_for_that_machine_with_its_label_000_14(client, session, tree, store):  # noqa: ANN001
    world = make_world(session, client)
    photo = _upload(client, world.headers["insp_a"])
    iid, answers = _machines(session, client, world, 2, photo)
    # 000#14: China II machines may not be used — the second machine is one
    answers["machines.1.emission_stage"] = {"choice": "china_2", "photos": [photo]}
    response = _put_and_submit(client, world, iid, answers)
    assert response.status_code == 200, response.get_json()
    findings = response.get_json()["findings"]
    failed = [f for f in findings if f["verdict"] == "fail"]
    assert [f["item_key"] for f in failed] == ["machines.1.emission_stage"]
    assert failed[0]["object"]["group"] == "machines" and failed[0]["object"]["index"] == 1
    assert failed[0]["object"]["label"] == "2号装载机"
    first = next(f for f in findings if f["item_key"] == "machines.0.emission_stage")
    assert first["verdict"] == "pass" and first["object"]["label"] == "1号挖掘机"
    # every machine's own items were evaluated, each once
    assert {f["item_key"] for f in findings} >= {f"machines.{m}.info_card_posted" for m in range(2)}
    assert next(f for f in findings if f["item_key"] == "usage_ledger")["object"] is None
    # statistics by item count the machines' findings under the group item
    refresh_dirty(session)
    session.commit()
    rows = client.get("/api/v1/stats/items?limit=1000", headers=world.headers["sup_sy"]).get_json()["rows"]
    stage = next(r for r in rows if r["item_key"] == "machines.*.emission_stage")
    assert (stage["findings"], stage["failed"]) == (2, 1)
    assert not [r for r in rows if r["item_key"].startswith("machines.0.")]
    # The sync feed (built from Core rows) shows each finding's object exactly as GET one does.
    headers = world.headers["insp_a"]
    feed = client.get("/api/v1/inspections", query_string={"limit": 100}, headers=headers).get_json()["items"]
    (item,) = [i for i in feed if i["id"] == iid]
    one = client.get(f"/api/v1/inspections/{iid}", headers=headers).get_json()
    assert json.dumps(item, ensure_ascii=False) == json.dumps(one, ensure_ascii=False)


def test_per_machine_fine_counts_each_failing_machine_and_names_it(client, session, tree, store):  # noqa: ANN001
    world = make_world(session, client)
    photo = _upload(client, world.headers["insp_a"])
    iid, answers = _machines(session, client, world, 3, photo)
    # 大气污染防治法第一百一十四条第一款: 5,000 yuan per machine whose emissions fail — machines 1 and 3 here
    for m in (0, 2):
        answers[f"machines.{m}.emission_test_passed"] = {"verdict": "fail", "photos": [photo]}
    response = _put_and_submit(client, world, iid, answers)
    assert response.status_code == 200, response.get_json()
    penalties = client.get(f"/api/v1/inspections/{iid}/penalties", headers=world.headers["insp_a"]).get_json()
    fine = next(line for line in penalties["lines"] if line["rule_key"] == "fine.air_law_114_nrmm_noncompliant")
    assert fine["counted_units"] == 2
    assert fine["amount_fen"] == 2 * 500_000
    zh = "\n".join(fine["explanation"]["zh"])
    en = "\n".join(fine["explanation"]["en"])
    assert "第1台「1号挖掘机」" in zh and "第3台「3号压路机」" in zh and "2号装载机" not in zh
    assert "machine #1 '1号挖掘机'" in en and "machine #3 '3号压路机'" in en


def test_a_group_below_its_minimum_or_with_a_gap_is_refused_at_submission(client, session, tree, store):  # noqa: ANN001
    world = make_world(session, client)
    photo = _upload(client, world.headers["insp_a"])
    iid, answers = _machines(session, client, world, 1, photo)
    only_site_items = {k: v for k, v in answers.items() if not k.startswith("machines.")}
    response = _put_and_submit(client, world, iid, only_site_items)
    assert response.status_code == 422
    found = {(e["path"], e["code"]) for e in response.get_json()["errors"]}
    assert ("answers.machines", "group_min") in found
    error = next(e for e in response.get_json()["errors"] if e["code"] == "group_min")
    assert error["message_zh"] and error["message_en"]

    gap_id, gap = _machines(session, client, world, 1, photo)
    gap["machines.2.label"] = {"text": "3号"}  # machine index 1 skipped
    response = _put_and_submit(client, world, gap_id, gap)
    assert response.status_code == 422
    found = {(e["path"], e["code"]) for e in response.get_json()["errors"]}
    assert ("answers.machines.1", "group_object_missing") in found
    # the third machine's own missing answers are named by its index
    assert ("answers.machines.2.info_card_posted", "answer_missing") in found


def test_more_objects_than_the_group_allows_or_an_unknown_group_item_is_refused_on_put(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    too_many = {"machines.100.label": {"text": "第101台"}}  # nrmm_labels: at most 100 machines
    response = put(client, world.headers["insp_a"], new_id(), put_body(world, checklist=NRMM, answers=too_many))
    assert response.status_code == 422
    assert ("answers.machines", "group_max") in {(e["path"], e["code"]) for e in response.get_json()["errors"]}
    unknown = {"machines.0.no_such_item": {"verdict": "pass"}, "trucks.0.label": {"text": "x"}}
    response = put(client, world.headers["insp_a"], new_id(), put_body(world, checklist=NRMM, answers=unknown))
    assert response.status_code == 422
    found = {(e["path"], e["code"]) for e in response.get_json()["errors"]}
    assert {("answers.machines.0.no_such_item", "unknown_item"), ("answers.trucks.0.label", "unknown_item")} <= found


def test_an_inspection_on_a_version_before_groups_keeps_its_flat_items(client, session, tree, store, tmp_path):  # noqa: ANN001
    """Checklist versions are immutable: a draft begun on the one-machine-per-sheet shape is still judged by it
    after the grouped version became current."""
    world = make_world(session, client)
    photo = _upload(client, world.headers["insp_a"])
    copy = catalogue_copy(tmp_path)

    def flatten(doc: dict[str, Any]) -> None:
        group = doc.pop("groups")[0]
        doc["items"] += [{**i, "section": "machines"} for i in group["items"]]
        doc["version"] = "3-flat"

    edit_checklist(copy, NRMM, flatten)
    sync(session, copy)
    iid = new_id()
    body = put_body(world, checklist=NRMM, checklist_version="3-flat")
    assert put(client, world.headers["insp_a"], iid, body).status_code == 201
    answers = {i["key"]: passing_answer(i) for i in applicable_items(session, iid)}
    session.rollback()
    answers["years_in_use"] = {"values": [3], "unit": "a"}
    answers["info_card_posted"] = {"verdict": "pass", "photos": [photo]}
    answers["emission_stage"] = {"choice": "china_2", "photos": [photo]}
    body["answers"] = answers
    assert put(client, world.headers["insp_a"], iid, body, '"1"').status_code == 200
    sync(session)  # the shipped, grouped version is current again
    response = submit(client, world.headers["insp_a"], iid, '"2"')
    assert response.status_code == 200, response.get_json()
    inspection = response.get_json()
    assert inspection["checklist"]["version"] == "3-flat"
    failed = [f for f in inspection["findings"] if f["verdict"] == "fail"]
    assert [(f["item_key"], f["object"]) for f in failed] == [("emission_stage", None)]


def _approve(client, world, iid: str) -> None:  # noqa: ANN001
    version = client.get(f"/api/v1/inspections/{iid}", headers=world.headers["sup_sy"]).headers["ETag"]
    response = client.post(
        f"/api/v1/inspections/{iid}/approve", json={}, headers={**world.headers["sup_sy"], "If-Match": version}
    )
    assert response.status_code == 200, response.get_json()


def _ordered_case(session, client, world, photo: str) -> tuple[str, int]:  # noqa: ANN001
    """2号装载机 (listed second) is China II (000#14); the case records an order to correct it."""
    iid, answers = _machines(session, client, world, 2, photo)
    answers["machines.1.emission_stage"] = {"choice": "china_2", "photos": [photo]}
    assert _put_and_submit(client, world, iid, answers).status_code == 200
    _approve(client, world, iid)
    (case,) = client.get(f"/api/v1/cases?inspection_id={iid}", headers=world.headers["sup_sy"]).get_json()["items"]
    order = client.post(
        f"/api/v1/cases/{case['id']}/orders",
        json={"decided_on": "2026-11-20", "deadline": "2026-11-25"},
        headers={**world.headers["sup_sy"], "If-Match": f'"{case["version"]}"'},
    )
    assert order.status_code == 200, order.get_json()
    assert order.get_json()["orders"][0]["item_keys"] == ["machines.1.emission_stage"]
    return iid, case["id"]


def _reinspect(session, client, world, earlier: str, labels: list[str], failing: int, photo: str) -> str:  # noqa: ANN001
    """A re-inspection listing machines by ``labels`` (in that order), the one at ``failing`` still China II."""
    iid, answers = _machines(session, client, world, len(labels), photo)
    for m, label in enumerate(labels):
        answers[f"machines.{m}.label"] = {"text": label}
    answers[f"machines.{failing}.emission_stage"] = {"choice": "china_2", "photos": [photo]}
    later = {"started_at": "2026-11-27T09:00:00+08:00", "ended_at": "2026-11-27T10:00:00+08:00"}
    body = put_body(world, checklist=NRMM, answers=answers, reinspection_of=earlier, **later)
    response = put(client, world.headers["insp_a"], iid, body, '"1"')
    assert response.status_code == 200, response.get_json()
    assert submit(client, world.headers["insp_a"], iid, '"2"').status_code == 200
    _approve(client, world, iid)
    return iid


def test_a_reinspection_matches_the_ordered_machine_by_its_label_not_its_place_in_the_list(
    client, session, tree, store
) -> None:  # noqa: ANN001
    world = make_world(session, client)
    photo = _upload(client, world.headers["insp_a"])
    earlier, case_id = _ordered_case(session, client, world, photo)
    # Listed first this time, 2号装载机 is still China II: the order was not obeyed (拒不改正), although the
    # machine listed second (1号挖掘机, key machines.1.*) passes.
    again = _reinspect(session, client, world, earlier, ["2号装载机", "1号挖掘机"], 0, photo)
    case = client.get(f"/api/v1/cases/{case_id}", headers=world.headers["sup_sy"]).get_json()
    assert case["orders"][0]["status"] == "refused" and case["orders"][0]["reinspection_id"] == again
    context = client.get(f"/api/v1/inspections/{again}/penalties", headers=world.headers["sup_sy"]).get_json()
    assert context["computation"]["context"]["reinspection"]["continuing_items"] == ["machines.0.emission_stage"]


def test_another_machine_failing_in_the_ordered_machines_place_is_not_a_refusal(client, session, tree, store) -> None:  # noqa: ANN001
    world = make_world(session, client)
    photo = _upload(client, world.headers["insp_a"])
    earlier, case_id = _ordered_case(session, client, world, photo)
    # 2号装载机 was replaced (now listed first, China IV); a newly arrived 3号压路机, listed second, is China II: a
    # new violation, not the ordered one continuing.
    _reinspect(session, client, world, earlier, ["2号装载机", "3号压路机"], 1, photo)
    case = client.get(f"/api/v1/cases/{case_id}", headers=world.headers["sup_sy"]).get_json()
    assert case["orders"][0]["status"] == "complied"


def _trucks(session, client, world, plates: list[str], unsealed: int, photo: str, when: dict[str, str]) -> str:  # noqa: ANN001
    """A construction-site inspection listing muck trucks by plate, the one at ``unsealed`` not sealed (Art. 116),
    everything else passing; submitted."""
    iid = new_id()
    draft = {f"vehicles.{v}.plate": {"text": plate} for v, plate in enumerate(plates)}
    assert put(client, world.headers["insp_a"], iid, put_body(world, answers=draft, **when)).status_code == 201
    answers: dict[str, Any] = {}
    for item in applicable_items(session, iid, with_answers=True):
        answer = passing_answer(item)
        if (item.get("evidence") or {}).get("always"):
            answer["photos"] = [photo]
        answers[item["key"]] = answer
    session.rollback()
    answers.update(draft)
    answers[f"vehicles.{unsealed}.muck_sealed_transport"] = {"verdict": "fail", "photos": [photo]}
    response = put(client, world.headers["insp_a"], iid, put_body(world, answers=answers, **when), '"1"')
    assert response.status_code == 200, response.get_json()
    assert submit(client, world.headers["insp_a"], iid, '"2"').status_code == 200
    return iid


def test_any_truck_failing_the_same_item_again_is_a_repeat_offence_of_the_site(client, session, tree, store) -> None:  # noqa: ANN001
    world = make_world(session, client, attributes={"floor_area_m2": 3000, "hauls_muck": True})
    photo = _upload(client, world.headers["insp_a"])
    _trucks(session, client, world, ["豫H11111", "豫H22222"], 1, photo, {})
    # A week later another truck, listed first, is not sealed: the party at the site repeats the violation
    # (the discretion's repeat factor), whichever truck it is this time.
    week = {"started_at": "2026-11-27T09:00:00+08:00", "ended_at": "2026-11-27T10:00:00+08:00"}
    later = _trucks(session, client, world, ["豫H33333"], 0, photo, week)
    body = client.get(f"/api/v1/inspections/{later}/penalties", headers=world.headers["sup_sy"]).get_json()
    fine = next(line for line in body["lines"] if line["rule_key"] == "fine.air_law_116_bulk_vehicle")
    repeat = [f for f in fine["factors"] if f["name"] == "repeat_offence"]
    assert repeat and repeat[0]["level"].startswith("1 prior"), fine["factors"]
