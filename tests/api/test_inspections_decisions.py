"""POST /api/v1/inspections/{uuid}/approve|reject: supervisors' final decisions, the two-person rule and its
waiver (PUT /api/v1/inspections/review-settings/{code}), per-item review comments, concurrent decisions."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import select

from app.audit.models import AuditEntry
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_inspections import applicable_items, make_world, new_id, passing_answer, put, put_body, submit


def _submitted(client, session, world, **body: Any) -> str:  # noqa: ANN001
    """A submitted inspection (version 3) created by insp_a."""
    iid = new_id()
    put(client, world.headers["insp_a"], iid, put_body(world, **body))
    answers = {i["key"]: passing_answer(i) for i in applicable_items(session, iid)}
    session.rollback()
    put(client, world.headers["insp_a"], iid, put_body(world, answers=answers, **body), if_match='"1"')
    response = submit(client, world.headers["insp_a"], iid, '"2"')
    assert response.status_code == 200, response.get_json()
    return iid


def _item_keys(client, world, iid: str) -> list[str]:  # noqa: ANN001
    return sorted(client.get(f"/api/v1/inspections/{iid}", headers=world.headers["sup_sy"]).get_json()["answers"])


def _decide(
    client,
    headers: dict[str, str],
    iid: str,
    action: str,
    body: dict[str, Any] | None = None,  # noqa: ANN001
    if_match: str | None = '"3"',
):  # noqa: ANN202
    extra = {"If-Match": if_match} if if_match is not None else {}
    return client.post(
        f"/api/v1/inspections/{iid}/{action}", json=body if body is not None else {}, headers={**headers, **extra}
    )


def _feed(client, headers, cursor: str | None = None) -> dict[str, Any]:  # noqa: ANN001
    response = client.get(
        "/api/v1/inspections", query_string={"updated_since": cursor} if cursor else {}, headers=headers
    )
    assert response.status_code == 200
    return response.get_json()


def _audit(session, action: str) -> list[AuditEntry]:  # noqa: ANN001
    session.rollback()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _admin(session, name: str = "admin_sy", code: str = "410811") -> dict[str, str]:  # noqa: ANN001
    make_user(session, name, "admin", [code])
    session.commit()
    return bearer(issue_tokens(session, name))


# ------------------------------------------------------------------------------------------- transitions


def test_approve_reaches_the_phone_with_the_decision(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = _submitted(client, session, world)
    cursor = _feed(client, world.headers["insp_a"])["next_cursor"]
    response = _decide(client, world.headers["sup_sy"], iid, "approve", {"reason": "材料齐全"})
    assert response.status_code == 200, response.get_json()
    assert response.headers["ETag"] == '"4"'
    body = response.get_json()
    assert body["state"] == "approved"
    assert body["decision"]["action"] == "approve" and body["decision"]["by"] == world.supervisor
    assert body["decision"]["reason"] == "材料齐全" and body["decision"]["at"]
    page = _feed(client, world.headers["insp_a"], cursor)
    assert [(i["id"], i["state"], i["decision"]["action"]) for i in page["items"]] == [(iid, "approved", "approve")]
    [entry] = _audit(session, "inspection.approve")
    assert entry.actor_id == world.supervisor and entry.after["state"] == "approved"


def test_approve_needs_no_reason(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = _submitted(client, session, world)
    response = _decide(client, world.headers["sup_sy"], iid, "approve")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["decision"]["reason"] is None


def test_reject_with_item_comments_reaches_the_phone(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = _submitted(client, session, world)
    key = _item_keys(client, world, iid)[0]
    cursor = _feed(client, world.headers["insp_a"])["next_cursor"]
    comments = [{"item_key": key, "comment": "照片与现场不符"}]
    response = _decide(
        client, world.headers["sup_sy"], iid, "reject", {"reason": "证据不足", "item_comments": comments}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "rejected"
    [item] = _feed(client, world.headers["insp_a"], cursor)["items"]
    assert item["state"] == "rejected"
    assert item["decision"]["action"] == "reject" and item["decision"]["reason"] == "证据不足"
    assert item["decision"]["item_comments"] == comments
    [entry] = _audit(session, "inspection.reject")
    assert entry.after["item_comments"] == comments and entry.after["reason"] == "证据不足"


def test_a_lost_response_retry_of_a_decision_changes_nothing(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = _submitted(client, session, world)
    for _ in range(2):
        response = _decide(client, world.headers["sup_sy"], iid, "approve", {"reason": "同意"})
        assert response.status_code == 200 and response.headers["ETag"] == '"4"'
    assert len(_audit(session, "inspection.approve")) == 1


def test_return_with_item_comments_still_works_and_is_resubmittable(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = _submitted(client, session, world)
    key = _item_keys(client, world, iid)[0]
    comments = [{"item_key": key, "comment": "请补拍"}]
    response = client.post(
        f"/api/v1/inspections/{iid}/return",
        json={"comment": "退回补充", "item_comments": comments},
        headers={**world.headers["sup_sy"], "If-Match": '"3"'},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["state"] == "returned" and body["decision"] is None
    assert body["review"]["comment"] == "退回补充" and body["review"]["item_comments"] == comments
    phone = client.get(f"/api/v1/inspections/{iid}", headers=world.headers["insp_a"]).get_json()
    assert phone["review"]["item_comments"] == comments
    assert submit(client, world.headers["insp_a"], iid, '"4"').status_code == 200
    assert _decide(client, world.headers["sup_sy"], iid, "approve", if_match='"5"').status_code == 200


def test_item_comment_on_an_unknown_item_is_422_and_changes_nothing(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = _submitted(client, session, world)
    bad = [{"item_key": "no_such_item", "comment": "?"}]
    response = _decide(client, world.headers["sup_sy"], iid, "reject", {"reason": "x", "item_comments": bad})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["code"] == "unknown_item"
    returned = client.post(
        f"/api/v1/inspections/{iid}/return",
        json={"comment": "x", "item_comments": bad},
        headers={**world.headers["sup_sy"], "If-Match": '"3"'},
    )
    assert returned.status_code == 422
    assert client.get(f"/api/v1/inspections/{iid}", headers=world.headers["sup_sy"]).get_json()["state"] == "submitted"


# ------------------------------------------------------------------------------------------- refusals


def test_inspectors_are_refused_by_role(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = _submitted(client, session, world)
    for action, body in (("approve", {}), ("reject", {"reason": "x"})):
        response = _decide(client, world.headers["insp_a"], iid, action, body)
        assert response.status_code == 403
        assert response.get_json()["code"] == "role_forbidden"


def test_supervisor_of_another_county_gets_404(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = _submitted(client, session, world)
    for action, body in (("approve", {}), ("reject", {"reason": "x"})):
        response = _decide(client, world.headers["sup_ba"], iid, action, body)
        assert response.status_code == 404
        assert response.content_type == "application/problem+json"
    assert _decide(client, _admin(session, "admin_ba", "410822"), iid, "approve").status_code == 404


def test_decisions_only_from_submitted_are_409(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    draft = new_id()
    put(client, world.headers["insp_a"], draft, put_body(world))
    response = _decide(client, world.headers["sup_sy"], draft, "approve", if_match='"1"')
    assert response.status_code == 409
    assert response.get_json()["code"] == "invalid_state_transition"
    iid = _submitted(client, session, world)
    assert _decide(client, world.headers["sup_sy"], iid, "approve").status_code == 200
    response = _decide(client, world.headers["sup_sy"], iid, "reject", {"reason": "改判"}, if_match='"4"')
    assert response.status_code == 409
    assert response.get_json()["state"] == "approved"


def test_stale_if_match_is_412_with_the_current_state(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = _submitted(client, session, world)
    response = _decide(client, world.headers["sup_sy"], iid, "approve", if_match='"2"')
    assert response.status_code == 412
    body = response.get_json()
    assert body["code"] == "version_stale" and body["current_version"] == 3
    assert body["current"]["state"] == "submitted"
    assert response.headers["ETag"] == '"3"'


def test_missing_if_match_is_428(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = _submitted(client, session, world)
    for action, body in (("approve", {}), ("reject", {"reason": "x"})):
        assert _decide(client, world.headers["sup_sy"], iid, action, body, if_match=None).status_code == 428


def test_reject_reason_is_required_non_blank_and_bounded(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = _submitted(client, session, world)
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "长" * 2001}):
        response = _decide(client, world.headers["sup_sy"], iid, "reject", body)
        assert response.status_code == 422, body
        assert response.content_type == "application/problem+json"
    assert not _audit(session, "inspection.reject")


def test_an_officer_of_the_inspection_may_not_decide_on_it(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    iid = _submitted(client, session, world, officers=[world.inspector, world.supervisor])
    for action, body in (("approve", {}), ("reject", {"reason": "x"})):
        response = _decide(client, world.headers["sup_sy"], iid, action, body)
        assert response.status_code == 403, response.get_json()
        problem = response.get_json()
        assert problem["code"] == "own_inspection" and problem["message_zh"] and problem["message_en"]
    # Another supervisor of the district may.
    other = make_user(session, "sup_sy2", "supervisor", ["410811"])
    session.commit()
    response = _decide(client, bearer(issue_tokens(session, "sup_sy2")), iid, "approve")
    assert response.status_code == 200
    assert response.get_json()["decision"]["by"] == other.id


def test_the_creator_may_not_decide_on_it(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    admin = _admin(session)
    iid = new_id()
    assert put(client, admin, iid, put_body(world)).status_code == 201
    answers = {i["key"]: passing_answer(i) for i in applicable_items(session, iid)}
    session.rollback()
    put(client, admin, iid, put_body(world, answers=answers), if_match='"1"')
    assert submit(client, admin, iid, '"2"').status_code == 200
    response = _decide(client, admin, iid, "approve")
    assert response.status_code == 403 and response.get_json()["code"] == "own_inspection"


# ------------------------------------------------------------------------------------------- the waiver


def test_admin_waiver_lets_a_participant_decide_and_is_audited(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    admin = _admin(session)
    iid = _submitted(client, session, world, officers=[world.inspector, world.supervisor])
    response = client.put(
        "/api/v1/inspections/review-settings/410811",
        headers=admin,
        json={"two_person_rule": False, "reason": "本区审核人员仅一人（临时）"},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["effective"] == {"two_person_rule": False, "source": "410811"}
    # Inherited by the sub-district the site is in.
    below = client.get("/api/v1/inspections/review-settings/410811001", headers=admin).get_json()
    assert below["own"] is None and below["effective"]["two_person_rule"] is False
    [entry] = _audit(session, "review_settings.update")
    assert entry.after == {"two_person_rule": False, "reason": "本区审核人员仅一人（临时）"}
    assert _decide(client, world.headers["sup_sy"], iid, "approve").status_code == 200


def test_a_nearer_setting_restores_the_rule(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    admin = _admin(session)
    iid = _submitted(client, session, world, officers=[world.inspector, world.supervisor])
    for code, rule in (("410811", False), ("410811001", True)):
        assert (
            client.put(
                f"/api/v1/inspections/review-settings/{code}",
                headers=admin,
                json={"two_person_rule": rule, "reason": "调整"},
            ).status_code
            == 200
        )
    assert _decide(client, world.headers["sup_sy"], iid, "approve").status_code == 403


def test_review_settings_are_for_admins_in_scope_with_a_reason(client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    admin = _admin(session)
    url = "/api/v1/inspections/review-settings/410811"
    waiver = {"two_person_rule": False, "reason": "人手不足"}
    assert client.put(url, headers=world.headers["sup_sy"], json=waiver).status_code == 403
    assert client.put("/api/v1/inspections/review-settings/410822", headers=admin, json=waiver).status_code == 404
    for body in ({"two_person_rule": False}, {"two_person_rule": False, "reason": " "}):
        assert client.put(url, headers=admin, json=body).status_code == 422
    assert not _audit(session, "review_settings.update")
    assert client.get(url, headers=admin).get_json()["effective"] == {"two_person_rule": True, "source": None}


# ------------------------------------------------------------------------------------------- concurrency


def test_concurrent_decisions_one_wins_the_other_gets_412(app, client, session, tree):  # noqa: ANN001
    world = make_world(session, client)
    admin = _admin(session)
    iid = _submitted(client, session, world)
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def send(who: str, headers: dict[str, str], action: str, body: dict[str, Any]) -> None:
        own = app.test_client()
        barrier.wait()
        response = _decide(own, headers, iid, action, body)
        results[who] = (response.status_code, response.get_json())

    threads = [
        threading.Thread(target=send, args=("approve", world.headers["sup_sy"], "approve", {})),
        threading.Thread(target=send, args=("reject", admin, "reject", {"reason": "不予通过"})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(status for status, _ in results.values())
    assert statuses == [200, 412], results
    winner = next(a for a, (status, _) in results.items() if status == 200)
    _, lost = next(r for r in results.values() if r[0] == 412)
    assert lost["current"]["state"] == {"approve": "approved", "reject": "rejected"}[winner]
    assert lost["current"]["decision"]["action"] == winner
    assert len(_audit(session, "inspection.approve") + _audit(session, "inspection.reject")) == 1
