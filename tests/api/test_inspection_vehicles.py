"""Muck trucks as a repeatable group (construction_dust.henan v3, group ``vehicles``): each truck is checked on its
own, labelled by its plate; 大气污染防治法第一百一十六条 fines count the unsealed trucks and name their plates."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories_inspections import (
    applicable_items,
    make_world,
    new_id,
    passing_answer,
    put,
    put_body,
    submit,
)
from tests.factories_photos import photo_bytes, put_photo, temporary_photo_store

PLATES = ["豫H12345", "豫H23456", "豫H34567"]
MUCK_SITE = {"floor_area_m2": 3000, "hauls_muck": True}


@pytest.fixture()
def store(app, tmp_path):  # noqa: ANN001, ANN201
    with temporary_photo_store(app, tmp_path / "photos") as s:
        yield s


def _upload(client, headers) -> str:  # noqa: ANN001
    pid = new_id()
    response = put_photo(client, headers, pid, photo_bytes("derived__gps_fractional_seconds.jpg"))
    assert response.status_code in (200, 201), response.get_json()
    return pid


def _trucks(session, client, world, n: int) -> tuple[str, dict[str, Any]]:  # noqa: ANN001
    """A draft with ``n`` trucks, every applicable item passing."""
    iid = new_id()
    plates = {f"vehicles.{v}.plate": {"text": PLATES[v]} for v in range(n)}
    assert put(client, world.headers["insp_a"], iid, put_body(world, answers=plates)).status_code == 201
    answers = {item["key"]: passing_answer(item) for item in applicable_items(session, iid, with_answers=True)}
    session.rollback()
    answers.update(plates)
    return iid, answers


def _put_and_submit(client, world, iid: str, answers: dict[str, Any]):  # noqa: ANN001, ANN202
    response = put(client, world.headers["insp_a"], iid, put_body(world, answers=answers), '"1"')
    assert response.status_code == 200, response.get_json()
    return submit(client, world.headers["insp_a"], iid, '"2"')


def test_two_trucks_one_unsealed_is_one_finding_for_that_truck_with_its_plate_art_116(client, session, tree, store):  # noqa: ANN001
    world = make_world(session, client, attributes=MUCK_SITE)
    photo = _upload(client, world.headers["insp_a"])
    iid, answers = _trucks(session, client, world, 2)
    assert {"vehicles.0.muck_sealed_transport", "vehicles.1.muck_truck_licensed"} <= set(answers)
    assert "muck_sealed_transport" not in answers  # no longer a single site-level check
    answers["vehicles.1.muck_sealed_transport"] = {"verdict": "fail", "photos": [photo]}
    response = _put_and_submit(client, world, iid, answers)
    assert response.status_code == 200, response.get_json()
    inspection = response.get_json()
    assert inspection["checklist"]["version"] == "3"
    failed = [f for f in inspection["findings"] if f["verdict"] == "fail"]
    assert [f["item_key"] for f in failed] == ["vehicles.1.muck_sealed_transport"]
    assert failed[0]["object"]["group"] == "vehicles" and failed[0]["object"]["index"] == 1
    assert failed[0]["object"]["label"] == "豫H23456"
    assert failed[0]["object"]["object_name"] == {"zh": "辆", "en": "vehicle"}
    first = next(f for f in inspection["findings"] if f["item_key"] == "vehicles.0.muck_sealed_transport")
    assert first["verdict"] == "pass" and first["object"]["label"] == "豫H12345"
    penalties = client.get(f"/api/v1/inspections/{iid}/penalties", headers=world.headers["insp_a"]).get_json()
    fine = next(line for line in penalties["lines"] if line["rule_key"] == "fine.air_law_116_bulk_vehicle")
    assert fine["counted_units"] == 1


def test_three_trucks_two_unsealed_count_two_vehicles_and_name_both_plates_art_116(client, session, tree, store):  # noqa: ANN001
    world = make_world(session, client, attributes=MUCK_SITE)
    photo = _upload(client, world.headers["insp_a"])
    iid, answers = _trucks(session, client, world, 3)
    for v in (0, 2):
        answers[f"vehicles.{v}.muck_sealed_transport"] = {"verdict": "fail", "photos": [photo]}
    response = _put_and_submit(client, world, iid, answers)
    assert response.status_code == 200, response.get_json()
    penalties = client.get(f"/api/v1/inspections/{iid}/penalties", headers=world.headers["insp_a"]).get_json()
    fine = next(line for line in penalties["lines"] if line["rule_key"] == "fine.air_law_116_bulk_vehicle")
    assert fine["counted_units"] == 2
    zh = "\n".join(fine["explanation"]["zh"])
    en = "\n".join(fine["explanation"]["en"])
    assert "第1辆「豫H12345」" in zh and "第3辆「豫H34567」" in zh and "豫H23456" not in zh
    assert "vehicle #1 '豫H12345'" in en and "vehicle #3 '豫H34567'" in en
    # 000§五(二) stacks the fiscal deduction per failed dust measure: two unsealed trucks are one measure
    fiscal = [line for line in penalties["lines"] if line["rule_key"] == "fiscal.dust_measure_failed"]
    assert [line["counted_units"] for line in fiscal] == [1]


def test_a_site_not_hauling_muck_has_no_truck_items_and_needs_no_trucks(client, session, tree, store):  # noqa: ANN001
    world = make_world(session, client, attributes={"floor_area_m2": 3000, "hauls_muck": False})
    iid, answers = _trucks(session, client, world, 0)
    assert not [k for k in answers if k.startswith("vehicles.") or k.startswith("muck_")]
    response = _put_and_submit(client, world, iid, answers)
    assert response.status_code == 200, response.get_json()
    assert not [f for f in response.get_json()["findings"] if f["item_key"].startswith("vehicles.")]
