"""POST /api/v1/inspections/{uuid}/amendments: a reviewer changes, adds or waives a finding with a reason; the
inspector's answer stays beside it; findings and penalties are recomputed (overrides kept or the amendment
refused); the response carries a diff; retries are idempotent; the phone's feed shows the amended state."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError

from app.audit.models import AuditEntry
from app.inspections.models import Finding, InspectionAmendment
from app.review.risk_store import pending_inspections, refresh_dirty, stored_scores_trusted
from app.wiring import wiring
from tests.factories_catalogue import install_shipped_penalty_rules
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

PHOTO = "derived__gps_fractional_seconds.jpg"
FINE = "fine.henan_76_construction_dust"
REASON = "现场照片显示东侧围挡缺失"


@pytest.fixture()
def store(app, tmp_path):  # noqa: ANN001, ANN201
    with temporary_photo_store(app, tmp_path / "photos") as s:
        yield s


def _submitted(client, session, world, overrides: dict | None = None, **body: Any) -> str:  # noqa: ANN001
    """A submitted inspection (version 3, every item passing unless ``overrides``) created by insp_a."""
    iid = new_id()
    assert put(client, world.headers["insp_a"], iid, put_body(world, **body)).status_code == 201
    answers = {i["key"]: passing_answer(i) for i in applicable_items(session, iid)}
    session.rollback()
    answers.update(overrides or {})
    put(client, world.headers["insp_a"], iid, put_body(world, answers=answers, **body), if_match='"1"')
    response = submit(client, world.headers["insp_a"], iid, '"2"')
    assert response.status_code == 200, response.get_json()
    return iid


def _upload(client, headers) -> str:  # noqa: ANN001
    pid = new_id()
    response = put_photo(client, headers, pid, photo_bytes(PHOTO))
    assert response.status_code in (200, 201), response.get_json()
    return pid


def _amend(client, headers, iid: str, body: dict[str, Any], if_match: str | None = '"3"'):  # noqa: ANN001, ANN202
    extra = {"If-Match": if_match} if if_match is not None else {}
    return client.post(f"/api/v1/inspections/{iid}/amendments", json=body, headers={**headers, **extra})


def _add_hoarding(pid: str, amendment_id: str | None = None) -> dict[str, Any]:
    return {
        "id": amendment_id or new_id(),
        "item_key": "hoarding",
        "kind": "add_finding",
        "answer": {"verdict": "fail", "note": "东侧缺失"},
        "photos": [pid],
        "reason": REASON,
    }


def _audit(session, action: str) -> list[AuditEntry]:  # noqa: ANN001
    session.rollback()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _penalties(client, headers, iid: str) -> dict[str, Any]:  # noqa: ANN001
    response = client.get(f"/api/v1/inspections/{iid}/penalties", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture()
def world(session, client, tree):  # noqa: ANN001, ANN201
    w = make_world(session, client)
    install_shipped_penalty_rules(session)
    session.commit()
    return w


def test_an_added_finding_is_evaluated_recorded_priced_and_shown_beside_the_inspectors_answer(
    client, session, world, store
):  # noqa: ANN001
    iid = _submitted(client, session, world)
    assert not [l for l in _penalties(client, world.headers["sup_sy"], iid)["lines"] if l["rule_key"] == FINE]
    pid = _upload(client, world.headers["sup_sy"])
    response = _amend(client, world.headers["sup_sy"], iid, _add_hoarding(pid))
    assert response.status_code == 200, response.get_json()
    assert response.headers["ETag"] == '"4"'
    body = response.get_json()
    diff = body["diff"]
    assert diff["findings"]["added"] == ["hoarding"] and diff["findings"]["removed"] == []
    [changed] = diff["findings"]["changed"]
    assert (changed["before"]["verdict"], changed["after"]["verdict"]) == ("pass", "fail")
    assert diff["items"] == [
        {"item_key": "hoarding", "before": {"verdict": "pass"}, "after": {"verdict": "fail", "note": "东侧缺失"}}
    ]
    fine = [l for l in diff["penalties"]["lines"] if l["rule_key"] == FINE]
    assert fine and fine[0]["amount_before_fen"] is None and fine[0]["line_id_after"] is not None
    inspection = body["inspection"]
    assert inspection["state"] == "submitted" and inspection["version"] == 4
    assert inspection["answers"]["hoarding"]["verdict"] == "fail"
    assert inspection["answers"]["hoarding"]["photos"] == [pid]
    assert inspection["original_answers"] == {"hoarding": {"verdict": "pass"}}
    [amendment] = inspection["amendments"]
    assert amendment["reason"] == REASON and amendment["by"] == world.supervisor
    assert amendment["original_answer"] == {"verdict": "pass"} and amendment["photos"] == [pid]
    hoarding = next(f for f in inspection["findings"] if f["item_key"] == "hoarding")
    assert hoarding["verdict"] == "fail" and hoarding["photo_ids"] == [pid] and hoarding["waiver"] is None
    assert [l for l in _penalties(client, world.headers["sup_sy"], iid)["lines"] if l["rule_key"] == FINE]
    # the submitted findings are kept beside the amended set
    session.rollback()
    revisions = session.scalars(
        select(Finding.revision).where(Finding.inspection_id == uuid.UUID(iid), Finding.item_key == "hoarding")
    ).all()
    assert sorted(revisions) == [0, 1]
    [entry] = _audit(session, "inspection.amend")
    assert entry.actor_id == world.supervisor and entry.after["reason"] == REASON
    assert entry.after["answer_before"] == {"verdict": "pass"} and entry.after["kind"] == "add_finding"


def test_the_inspector_sees_the_amended_state_and_the_reviewers_photo_in_the_feed(client, session, world, store):  # noqa: ANN001
    iid = _submitted(client, session, world)
    cursor = client.get("/api/v1/inspections", headers=world.headers["insp_a"]).get_json()["next_cursor"]
    pid = _upload(client, world.headers["sup_sy"])
    assert _amend(client, world.headers["sup_sy"], iid, _add_hoarding(pid)).status_code == 200
    [item] = client.get(
        "/api/v1/inspections", query_string={"updated_since": cursor}, headers=world.headers["insp_a"]
    ).get_json()["items"]
    assert item["id"] == iid and item["answers"]["hoarding"]["verdict"] == "fail"
    assert item["original_answers"]["hoarding"] == {"verdict": "pass"}
    assert item["amendments"][0]["reason"] == REASON
    assert client.get(f"/api/v1/photos/{pid}", headers=world.headers["insp_a"]).status_code == 200
    # an inspector who took no part sees neither
    assert client.get(f"/api/v1/photos/{pid}", headers=world.headers["insp_c"]).status_code == 404


def test_a_retried_amendment_answers_the_same_diff_and_amends_once(client, session, world, store):  # noqa: ANN001
    iid = _submitted(client, session, world)
    pid = _upload(client, world.headers["sup_sy"])
    body = _add_hoarding(pid)
    first = _amend(client, world.headers["sup_sy"], iid, body)
    again = _amend(client, world.headers["sup_sy"], iid, body)  # the same If-Match: the response was lost
    assert first.status_code == again.status_code == 200
    assert again.get_json()["diff"] == first.get_json()["diff"] and again.headers["ETag"] == '"4"'
    assert len(_audit(session, "inspection.amend")) == 1
    reused = _amend(client, world.headers["sup_sy"], iid, {**body, "reason": "另一理由"}, '"4"')
    assert reused.status_code == 409 and reused.get_json()["code"] == "amendment_id_reused"


def test_a_change_of_a_reading_is_re_evaluated_on_the_server(client, session, world, store):  # noqa: ANN001
    card = _upload(client, world.headers["insp_a"])
    overrides = {
        "machines.0.years_in_use": {"values": [3], "unit": "a", "verdict": "pass"},
        "machines.0.info_card_posted": {"verdict": "pass", "photos": [card]},
    }
    iid = _submitted(client, session, world, overrides, checklist=NRMM)
    session.rollback()
    measure = next(i for i in applicable_items(session, iid) if i["key"] == "machines.0.years_in_use")
    session.rollback()
    worse = measure["range"]["max"]
    values = [worse] * measure["readings"]["min_count"]
    body = {
        "id": new_id(),
        "item_key": measure["key"],
        "kind": "change",
        "answer": {"values": values},
        "reason": "复核读数",
    }
    response = _amend(client, world.headers["sup_sy"], iid, body)
    assert response.status_code == 200, response.get_json()
    finding = next(f for f in response.get_json()["inspection"]["findings"] if f["item_key"] == measure["key"])
    assert finding["verdict"] == "fail" and finding["value"] == pytest.approx(worse)
    [changed] = response.get_json()["diff"]["findings"]["changed"]
    assert changed["item_key"] == measure["key"] and changed["after"]["value"] == pytest.approx(worse)
    # the phone's verdict field is not what decides: a reading out of range is refused by the server
    out_of_range = {**body, "id": new_id(), "answer": {"values": [measure["range"]["max"] + 1000]}}
    refused = _amend(client, world.headers["sup_sy"], iid, out_of_range, '"4"')
    assert refused.status_code == 422 and refused.get_json()["code"] == "amendment_invalid"


def test_a_waiver_keeps_the_verdict_and_removes_the_penalty(client, session, world, store):  # noqa: ANN001
    iid = _submitted(client, session, world)
    pid = _upload(client, world.headers["sup_sy"])
    assert _amend(client, world.headers["sup_sy"], iid, _add_hoarding(pid)).status_code == 200
    waive = {"id": new_id(), "item_key": "hoarding", "kind": "waive", "reason": "情节轻微并已当场改正"}
    response = _amend(client, world.headers["sup_sy"], iid, waive, '"4"')
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["diff"]["findings"]["removed"] == ["hoarding"]
    hoarding = next(f for f in body["inspection"]["findings"] if f["item_key"] == "hoarding")
    assert hoarding["verdict"] == "fail" and hoarding["waiver"]["reason"] == "情节轻微并已当场改正"
    assert not [l for l in _penalties(client, world.headers["sup_sy"], iid)["lines"] if l["rule_key"] == FINE]
    # nothing left to waive
    again = _amend(client, world.headers["sup_sy"], iid, {**waive, "id": new_id()}, '"5"')
    assert again.status_code == 422 and "nothing_to_waive" in {e["code"] for e in again.get_json()["errors"]}


def test_an_amendment_that_would_drop_an_override_is_refused_naming_it(client, session, world, store):  # noqa: ANN001
    iid = _submitted(client, session, world)
    pid = _upload(client, world.headers["sup_sy"])
    assert _amend(client, world.headers["sup_sy"], iid, _add_hoarding(pid)).status_code == 200
    line = next(l for l in _penalties(client, world.headers["sup_sy"], iid)["lines"] if l["rule_key"] == FINE)
    low, _high = line["legal_total_range_fen"]
    overridden = client.post(
        f"/api/v1/inspections/{iid}/penalties/{line['id']}/override",
        headers=world.headers["sup_sy"],
        json={"amount_fen": low, "reason": "当事人积极整改"},
    )
    assert overridden.status_code == 200, overridden.get_json()
    waive = {"id": new_id(), "item_key": "hoarding", "kind": "waive", "reason": "情节轻微并已当场改正"}
    response = _amend(client, world.headers["sup_sy"], iid, waive, '"4"')
    assert response.status_code == 409, response.get_json()
    problem = response.get_json()
    assert problem["code"] == "overrides_no_longer_fit"
    assert [o["line_id"] for o in problem["overrides"]] == [line["id"]]
    session.rollback()
    assert (
        session.scalars(select(InspectionAmendment).where(InspectionAmendment.id == uuid.UUID(waive["id"]))).first()
        is None
    )
    now = client.get(f"/api/v1/inspections/{iid}", headers=world.headers["sup_sy"])
    assert now.headers["ETag"] == '"4"' and len(now.get_json()["amendments"]) == 1


def test_the_two_person_rule_applies_to_amendments(client, session, world):  # noqa: ANN001
    iid = _submitted(client, session, world, officers=[world.inspector, world.supervisor])
    body = {"id": new_id(), "item_key": "hoarding", "kind": "change", "answer": {"note": "补记"}, "reason": "补记"}
    response = _amend(client, world.headers["sup_sy"], iid, body)
    assert response.status_code == 403 and response.get_json()["code"] == "own_inspection"


def test_who_when_and_how_an_amendment_may_be_asked(client, session, world):  # noqa: ANN001
    iid = _submitted(client, session, world)
    body = {"id": new_id(), "item_key": "hoarding", "kind": "change", "answer": {"note": "补记"}, "reason": "补记"}
    assert _amend(client, world.headers["insp_a"], iid, body).status_code == 403  # inspectors: role
    assert _amend(client, world.headers["sup_ba"], iid, body).status_code == 404  # other county: not found
    assert _amend(client, world.headers["sup_sy"], iid, body, None).status_code == 428
    stale = _amend(client, world.headers["sup_sy"], iid, body, '"2"')
    assert stale.status_code == 412 and stale.get_json()["current"]["version"] == 3
    no_reason = _amend(client, world.headers["sup_sy"], iid, {**body, "reason": "  "})
    assert no_reason.status_code == 422
    unknown = _amend(client, world.headers["sup_sy"], iid, {**body, "item_key": "no_such_item"})
    assert unknown.status_code == 422 and "item_not_applicable" in {e["code"] for e in unknown.get_json()["errors"]}
    missing_photo = _amend(
        client, world.headers["sup_sy"], iid, {**body, "kind": "add_finding", "answer": {"verdict": "fail"}}
    )
    assert missing_photo.status_code == 422
    assert "evidence_required" in {e["code"] for e in missing_photo.get_json()["errors"]}
    assert _audit(session, "inspection.amend") == []
    # a draft is not under review
    draft = new_id()
    assert put(client, world.headers["insp_a"], draft, put_body(world)).status_code == 201
    response = _amend(client, world.headers["sup_sy"], draft, body, '"1"')
    assert response.status_code == 409 and response.get_json()["code"] == "invalid_state_transition"


def test_a_reviewers_put_on_a_submitted_inspection_points_to_amendments(client, session, world):  # noqa: ANN001
    iid = _submitted(client, session, world)
    response = put(client, world.headers["sup_sy"], iid, put_body(world), if_match='"3"')
    assert response.status_code == 403 and response.get_json()["code"] == "amend_instead"
    assert client.get(f"/api/v1/inspections/{iid}", headers=world.headers["sup_sy"]).status_code == 200


def test_an_amendment_can_be_neither_changed_nor_removed(client, session, world, store, owner_database_url):  # noqa: ANN001
    iid = _submitted(client, session, world)
    pid = _upload(client, world.headers["sup_sy"])
    assert _amend(client, world.headers["sup_sy"], iid, _add_hoarding(pid)).status_code == 200
    session.rollback()
    for statement in ("UPDATE inspection_amendments SET reason = 'x'", "DELETE FROM inspection_amendments"):
        with pytest.raises(DBAPIError, match="permission denied for table inspection_amendments"):
            session.execute(text(statement))  # the runtime role: INSERT and SELECT only
        session.rollback()
    engine = create_engine(owner_database_url)
    try:
        for statement in ("UPDATE inspection_amendments SET reason = 'x'", "DELETE FROM inspection_amendments"):
            with engine.connect() as conn, pytest.raises(DBAPIError, match="amendments are evidence"):
                conn.execute(text(statement))  # even the owner: the trigger
    finally:
        engine.dispose()


def test_a_return_hands_the_amended_answers_to_the_inspector_and_a_resubmission_keeps_them(
    client, session, world, store
):  # noqa: ANN001
    iid = _submitted(client, session, world)
    pid = _upload(client, world.headers["sup_sy"])
    assert _amend(client, world.headers["sup_sy"], iid, _add_hoarding(pid)).status_code == 200
    returned = client.post(
        f"/api/v1/inspections/{iid}/return",
        json={"comment": "请核对东侧围挡"},
        headers={**world.headers["sup_sy"], "If-Match": '"4"'},
    )
    assert returned.status_code == 200, returned.get_json()
    body = returned.get_json()
    assert body["state"] == "returned"
    assert body["answers"]["hoarding"] == {"verdict": "fail", "note": "东侧缺失", "photos": [pid]}
    assert body["amendments"][0]["original_answer"] == {"verdict": "pass"}
    [entry] = _audit(session, "inspection.return")
    assert entry.after["amendments_folded"] == [body["amendments"][0]["id"]]
    # resubmitted as returned, without an edit: the reviewer's finding is not lost
    response = submit(client, world.headers["insp_a"], iid, '"5"')
    assert response.status_code == 200, response.get_json()
    hoarding = next(f for f in response.get_json()["findings"] if f["item_key"] == "hoarding")
    assert hoarding["verdict"] == "fail" and hoarding["photo_ids"] == [pid]
    assert response.get_json()["original_answers"] == {}  # a new submission: nothing amended in it yet


def test_the_review_queue_counts_the_reviewers_evidence_as_a_photo(client, session, world, store):  # noqa: ANN001
    iid = _submitted(client, session, world)
    pid = _upload(client, world.headers["sup_sy"])
    assert _amend(client, world.headers["sup_sy"], iid, _add_hoarding(pid)).status_code == 200
    queue = client.get("/api/v1/review/queue", headers=world.headers["sup_sy"]).get_json()
    [item] = [i for i in queue["items"] if i["id"] == iid]
    assert "failed_item_without_photo" not in [r["code"] for r in item["risk"]["reasons"]]
    # without evidence the same failure is a risk reason: a change to "fail" on an item needing no photo
    session.rollback()
    item_key = next(i["key"] for i in applicable_items(session, iid) if i["kind"] == "check" and not i.get("evidence"))
    session.rollback()
    change = {"id": new_id(), "item_key": item_key, "kind": "change", "answer": {"verdict": "fail"}, "reason": "复核"}
    assert _amend(client, world.headers["sup_sy"], iid, change, '"4"').status_code == 200
    queue = client.get("/api/v1/review/queue", headers=world.headers["sup_sy"]).get_json()
    [item] = [i for i in queue["items"] if i["id"] == iid]
    assert "failed_item_without_photo" in [r["code"] for r in item["risk"]["reasons"]]


def test_an_amendment_shows_in_the_stored_review_risk(client, session, world, store):  # noqa: ANN001
    """The queue's stored risk (app/review/risk_store.py) after a reviewer's amendment: the amended inspection is
    dirty, so the queue computes it live at once, and the refresh stores the same."""
    iid = _submitted(client, session, world)
    settings = wiring(client.application).risk_settings

    def refresh() -> None:
        while not refresh_dirty(session, settings).done:
            session.commit()
        session.commit()
        assert pending_inspections(session) == 0 and stored_scores_trusted(session, settings)

    def codes() -> list[str]:
        queue = client.get("/api/v1/review/queue", headers=world.headers["sup_sy"]).get_json()
        [item] = [i for i in queue["items"] if i["id"] == iid]
        return [r["code"] for r in item["risk"]["reasons"]]

    refresh()
    before = codes()
    assert "failed_item_without_photo" not in before
    item_key = next(i["key"] for i in applicable_items(session, iid) if i["kind"] == "check" and not i.get("evidence"))
    session.rollback()
    change = {"id": new_id(), "item_key": item_key, "kind": "change", "answer": {"verdict": "fail"}, "reason": "复核"}
    assert _amend(client, world.headers["sup_sy"], iid, change).status_code == 200
    assert pending_inspections(session) >= 1
    assert "failed_item_without_photo" in codes()  # dirty: computed live
    refresh()
    assert "failed_item_without_photo" in codes()  # stored
    stored = session.execute(
        text("SELECT failed_without_photo, has_failed FROM review_risk WHERE inspection_id = :i"), {"i": iid}
    ).one()
    assert stored.failed_without_photo >= 1 and stored.has_failed


def test_a_submission_shows_in_the_stored_review_queue_at_once(client, session, world, store):  # noqa: ANN001
    """Stored risk trusted and nothing dirty, then an inspection is submitted: it is in the queue at once (dirty,
    computed live) and, after the refresh, the same from its stored row."""
    settings = wiring(client.application).risk_settings
    while not refresh_dirty(session, settings).done:
        session.commit()
    session.commit()
    assert stored_scores_trusted(session, settings)
    iid = _submitted(client, session, world)

    def item() -> dict[str, Any]:
        queue = client.get("/api/v1/review/queue", headers=world.headers["sup_sy"]).get_json()
        [found] = [i for i in queue["items"] if i["id"] == iid]
        return {"risk": found["risk"], "submitted": queue["counts"]["submitted"]}

    live = item()
    while not refresh_dirty(session, settings).done:
        session.commit()
    session.commit()
    assert pending_inspections(session) == 0
    assert item() == live
    assert session.execute(text("SELECT state FROM review_risk WHERE inspection_id = :i"), {"i": iid}).scalar_one() == (
        "submitted"
    )
