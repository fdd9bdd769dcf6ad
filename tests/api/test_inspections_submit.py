"""POST /api/v1/inspections/{uuid}/submit: completeness, server verdicts, findings, evidence flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from app.inspections.models import Inspection
from tests.factories_checklists import shipped_version
from tests.factories_inspections import (
    DUST,
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

GPS_PHOTO = "derived__gps_fractional_seconds.jpg"  # GPS 43.4674483 N, 11.8851267 E
PHOTO_LON, PHOTO_LAT = 11.8851267, 43.4674483


@pytest.fixture()
def store(app, tmp_path):  # noqa: ANN001, ANN201
    with temporary_photo_store(app, tmp_path / "photos") as s:
        yield s


def _upload(client, headers, name: str = GPS_PHOTO) -> str:  # noqa: ANN001
    pid = new_id()
    response = put_photo(client, headers, pid, photo_bytes(name))
    assert response.status_code in (200, 201), response.get_json()
    return pid


def _draft(
    client,
    session,
    world,
    checklist: str = DUST,
    overrides: dict | None = None,  # noqa: ANN001
    photos: dict | None = None,
) -> tuple[str, dict]:
    """A draft whose applicable items are all answered to pass, then overridden."""
    iid = new_id()
    assert put(client, world.headers["insp_a"], iid, put_body(world, checklist=checklist)).status_code == 201
    answers = {i["key"]: passing_answer(i) for i in applicable_items(session, iid)}
    session.rollback()
    answers.update(overrides or {})
    for key, pids in (photos or {}).items():
        answers[key] = {**answers[key], "photos": pids}
    response = put(
        client, world.headers["insp_a"], iid, put_body(world, checklist=checklist, answers=answers), if_match='"1"'
    )
    assert response.status_code == 200, response.get_json()
    return iid, answers


def test_submit_without_evidence_lists_every_missing_piece(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid, answers = _draft(client, session, world, overrides={"hoarding": {"verdict": "fail"}})
    answers.pop("material_cover")
    put(client, world.headers["insp_a"], iid, put_body(world, answers=answers), if_match='"2"')
    response = submit(client, world.headers["insp_a"], iid, '"3"')
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["code"] == "inspection_incomplete"
    found = {(e["path"], e["code"]) for e in problem["errors"]}
    assert ("answers.hoarding.photos", "evidence_required") in found
    assert ("answers.material_cover", "answer_missing") in found
    assert all(e["message_zh"] and e["message_en"] for e in problem["errors"])
    state = client.get(f"/api/v1/inspections/{iid}", headers=world.headers["insp_a"]).get_json()
    assert state["state"] == "draft" and state["findings"] == []


def test_linked_photo_not_uploaded_blocks_submission(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    missing = new_id()
    iid, _ = _draft(client, session, world, overrides={"hoarding": {"verdict": "fail"}}, photos={"hoarding": [missing]})
    response = submit(client, world.headers["insp_a"], iid, '"2"')
    assert response.status_code == 422
    found = {(e["path"], e["code"]) for e in response.get_json()["errors"]}
    assert ("answers.hoarding.photos", "photo_not_uploaded") in found
    assert ("answers.hoarding.photos", "evidence_required") in found


def test_server_verdict_overrides_the_phone_verdict(client, session, tree, store):  # noqa: ANN001
    world = make_world(session, client)
    pid = _upload(client, world.headers["insp_a"])
    iid, _ = _draft(
        client,
        session,
        world,
        checklist=NRMM,
        overrides={
            # 20 years in use, limit ≤ 15: the phone claims "pass".
            "machines.0.years_in_use": {"values": [20], "unit": "a", "verdict": "pass"}
        },
        photos={"machines.0.info_card_posted": [pid]},
    )
    response = submit(client, world.headers["insp_a"], iid, '"2"')
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["state"] == "submitted" and response.headers["ETag"] == '"3"'
    finding = next(f for f in body["findings"] if f["item_key"] == "machines.0.years_in_use")
    assert finding["verdict"] == "fail" and finding["phone_verdict"] == "pass"
    assert finding["checklist_key"] == NRMM and finding["source_refs"]
    assert "20" in finding["explanation"]["en"]
    info = next(f for f in body["findings"] if f["item_key"] == "machines.0.info_card_posted")
    assert info["verdict"] == "pass" and info["photo_ids"] == [pid]


def test_failed_item_with_evidence_becomes_a_failed_finding_with_penalty_keys(client, session, tree, store):  # noqa: ANN001
    world = make_world(session, client)
    pid = _upload(client, world.headers["insp_a"])
    iid, _ = _draft(
        client,
        session,
        world,
        overrides={"hoarding": {"verdict": "fail", "note": "东侧缺失"}},
        photos={"hoarding": [pid]},
    )
    body = submit(client, world.headers["insp_a"], iid, '"2"').get_json()
    hoarding = next(f for f in body["findings"] if f["item_key"] == "hoarding")
    assert hoarding["verdict"] == "fail"
    assert "fiscal.dust_measure_failed" in hoarding["penalty_keys"]
    assert hoarding["source_refs"] == ["002#18", "000§五(二)"]
    assert hoarding["checklist_version"] == shipped_version(DUST) and len(hoarding["checklist_hash"]) == 64


def test_resubmitting_an_unchanged_inspection_is_a_no_op(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid, _ = _draft(client, session, world)
    first = submit(client, world.headers["insp_a"], iid, '"2"')
    assert first.status_code == 200
    lost_response_retry = submit(client, world.headers["insp_a"], iid, '"2"')
    again = submit(client, world.headers["insp_a"], iid, '"3"')
    for response in (lost_response_retry, again):
        assert response.status_code == 200
        assert response.headers["ETag"] == '"3"'
        assert response.get_json()["findings"] == first.get_json()["findings"]


def test_submit_requires_if_match(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid, _ = _draft(client, session, world)
    assert submit(client, world.headers["insp_a"], iid, None).status_code == 428
    assert submit(client, world.headers["insp_a"], iid, '"1"').status_code == 412


def test_submitted_inspection_cannot_be_edited(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid, answers = _draft(client, session, world)
    submit(client, world.headers["insp_a"], iid, '"2"')
    response = put(client, world.headers["insp_a"], iid, put_body(world, answers=answers, note="late"), if_match='"3"')
    assert response.status_code == 409
    assert response.get_json()["code"] == "invalid_state_transition"


def test_photo_two_km_from_the_site_is_flagged_for_supervisors_only(client, session, tree, store):  # noqa: ANN001
    # The site lies 0.018° (≈ 2 km) north of where the photo was taken.
    world = make_world(session, client, at=(PHOTO_LON, PHOTO_LAT + 0.018))
    pid = _upload(client, world.headers["insp_a"])
    iid, _ = _draft(client, session, world, overrides={"hoarding": {"verdict": "fail"}}, photos={"hoarding": [pid]})
    assert submit(client, world.headers["insp_a"], iid, '"2"').status_code == 200
    supervisor_view = client.get(f"/api/v1/inspections/{iid}", headers=world.headers["sup_sy"]).get_json()
    flags = {f["code"]: f for f in supervisor_view["photos"][0]["flags"]}
    assert 1900 < flags["far_from_site"]["details"]["distance_m"] < 2100
    assert "time_outside_window" in flags  # taken in 2008, inspected in 2026
    inspector_view = client.get(f"/api/v1/inspections/{iid}", headers=world.headers["insp_a"]).get_json()
    assert inspector_view["photos"][0]["flags"] is None


def test_same_photo_in_two_inspections_is_flagged_as_reused(client, session, tree, store):  # noqa: ANN001
    world = make_world(session, client)
    pid = _upload(client, world.headers["insp_a"])
    first, _ = _draft(client, session, world, photos={"hoarding": [pid]})
    second, _ = _draft(client, session, world, photos={"hoarding": [pid]})
    view = client.get(f"/api/v1/inspections/{second}", headers=world.headers["sup_sy"]).get_json()
    reused = next(f for f in view["photos"][0]["flags"] if f["code"] == "reused_photo")
    assert reused["details"]["other_inspections"] == [first]


def test_a_draft_whose_end_time_has_not_come_cannot_be_submitted(client, session, tree):  # noqa: ANN001
    # The end time of a draft saved earlier may still lie ahead (e.g. a device clock set a day on): submitting it
    # would compute penalties (and a daily penalty) for a day that has not come.
    world = make_world(session, client)
    iid, _ = _draft(client, session, world)
    session.execute(
        update(Inspection).where(Inspection.id == iid).values(ended_at=datetime.now(UTC) + timedelta(days=1))
    )
    session.commit()
    response = submit(client, world.headers["insp_a"], iid, '"2"')
    assert response.status_code == 422
    assert ("ended_at", "time_in_future") in {(e["path"], e["code"]) for e in response.get_json()["errors"]}


def test_optional_item_left_empty_or_absent_is_not_answered_and_yields_no_finding(client, session, tree):  # noqa: ANN001
    # construction_dust.henan `strong_wind_controls` (002#18, 大风天气) is `required: false`: an empty answer ({}
    # or a null verdict) and an absent one are both "not answered" — no answer_missing/verdict_missing, no
    # finding, no money.
    world = make_world(session, client)
    for empty in ({}, {"verdict": None, "note": ""}, None):
        iid, answers = _draft(client, session, world, overrides={"strong_wind_controls": empty or {}})
        if empty is None:
            del answers["strong_wind_controls"]
            response = put(client, world.headers["insp_a"], iid, put_body(world, answers=answers), if_match='"2"')
            assert response.status_code == 200, response.get_json()
        version = '"3"' if empty is None else '"2"'
        response = submit(client, world.headers["insp_a"], iid, version)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert "strong_wind_controls" not in {f["item_key"] for f in body["findings"]}
        session.rollback()
        stored = session.get(Inspection, iid)
        assert "strong_wind_controls" in stored.site_context["not_answered_items"]
