"""Security review: roles, jurisdiction scope (404 for what the caller may not see), tokens, audit rows for
state changes (none for refused ones) and evidence immutability, tried endpoint by endpoint.

World: the `tree` fixture with square boundaries (tests/factories_geo.py), one construction site in 焦东街道
(山阳区 410811), a submitted inspection there by ``insp.owner`` with computed penalty lines, a draft by the
same inspector, and users of 山阳区 and 博爱县 (410822) in every role.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.audit.models import AuditEntry
from app.auth.models import AuthSession, User
from app.penalties.computation import compute_penalties_for_inspection
from app.penalties.models import PenaltyLineRow
from app.photos.models import Photo
from tests.factories import bearer, issue_tokens, login, make_user
from tests.factories_catalogue import install_shipped_penalty_rules
from tests.factories_geo import CREDIT_CODE, collection, feature, square
from tests.factories_penalties import dust_failures, make_construction_site, make_inspection, make_penalty_world
from tests.factories_photos import photo_bytes, put_photo, sha256_hex, temporary_photo_store

PHOTO = "derived__gps_fractional_seconds.jpg"
OTHER_PHOTO = "derived__gps_fractional_seconds_2.jpg"
USERS = {
    "insp.owner": ("inspector", ["410811"]),
    "insp.peer": ("inspector", ["410811"]),
    "insp.ba": ("inspector", ["410822"]),
    "sup.sy": ("supervisor", ["410811"]),
    "sup.jd": ("supervisor", ["410811001"]),
    "sup.ba": ("supervisor", ["410822"]),
    "admin.sy": ("admin", ["410811"]),
    "admin.ba": ("admin", ["410822"]),
}


@pytest.fixture()
def w(session, tree, client):  # noqa: ANN001, ANN201
    make_penalty_world(session)
    install_shipped_penalty_rules(session)
    users = {name: make_user(session, name, role, codes) for name, (role, codes) in USERS.items()}
    users["both"] = make_user(session, "both.districts", "supervisor", ["410811", "410822"])
    site = make_construction_site(session)
    submitted = make_inspection(
        session, site, dust_failures("hoarding", "material_cover"), created_by=users["insp.owner"].id
    )
    compute_penalties_for_inspection(session, submitted)
    draft = make_inspection(session, site, [], state="draft", created_by=users["insp.owner"].id)
    session.commit()
    line_id = session.scalars(select(PenaltyLineRow.id).where(PenaltyLineRow.inspection_id == submitted.id)).first()
    return {
        "site": site.id,
        "submitted": str(submitted.id),
        "draft": str(draft.id),
        "line": line_id,
        "ids": {name: u.id for name, u in users.items()},
        "h": {name: bearer(issue_tokens(session, name)) for name in USERS},
    }


@pytest.fixture()
def store(app, tmp_path):  # noqa: ANN001, ANN201
    with temporary_photo_store(app, tmp_path / "photos") as s:
        yield s


def committed(session):  # noqa: ANN001, ANN201
    """Forget what a refused request left unflushed/uncommitted in the shared test session (requests made while
    the ``session`` fixture's app context is active reuse it; in production each request has its own)."""
    session.rollback()
    return session


def audit_count(session) -> int:  # noqa: ANN001
    """Committed audit entries other than logins."""
    return committed(session).scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action != "auth.login")
    )


def audit_actions(session, after: int = 0) -> list[str]:  # noqa: ANN001
    """Committed audit actions (logins left out) with id > ``after``."""
    return list(
        committed(session).scalars(
            select(AuditEntry.action)
            .where(AuditEntry.action != "auth.login", AuditEntry.id > after)
            .order_by(AuditEntry.id)
        )
    )


def audit_mark(session) -> int:  # noqa: ANN001
    return committed(session).scalar(select(func.coalesce(func.max(AuditEntry.id), 0)))


def assert_not_found(response) -> None:  # noqa: ANN001
    assert response.status_code == 404, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.content_type == "application/problem+json"


def put_body(w: dict[str, Any], officer_ids: list[int]) -> dict[str, Any]:
    return {
        "site_id": w["site"],
        "checklist_key": "test.checklist",
        "checklist_version": "1",
        "officers": officer_ids,
        "started_at": "2026-11-20T09:00:00+08:00",
        "ended_at": "2026-11-20T10:00:00+08:00",
        "alert_level": "none",
        "answers": {},
    }


# ----------------------------------------------------------------------------------------------- tokens


def test_refresh_token_is_not_an_access_token(client, w):  # noqa: ANN001
    tokens = login(client, "sup.sy")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert response.status_code == 401 and response.content_type == "application/problem+json"


def test_access_token_is_not_a_refresh_token(client, w):  # noqa: ANN001
    tokens = login(client, "sup.sy")
    response = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]})
    assert response.status_code == 401 and response.get_json()["code"] == "refresh_token_invalid"


def test_token_of_a_user_disabled_behind_the_apis_back_is_refused(client, session, w):  # noqa: ANN001
    tokens = login(client, "sup.sy")
    session.execute(text("UPDATE users SET is_active = false WHERE username = 'sup.sy'"))
    session.commit()
    response = client.get("/api/v1/me", headers=bearer(tokens))
    assert response.status_code == 401 and response.get_json()["code"] == "account_disabled"
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401


def test_role_claim_in_the_token_is_not_trusted(client, session, w):  # noqa: ANN001
    """Demoting a user takes effect on its existing tokens: the role comes from the database."""
    headers = w["h"]["admin.sy"]
    session.execute(text("UPDATE users SET role = 'inspector' WHERE username = 'admin.sy'"))
    session.commit()
    assert client.get("/api/v1/users", headers=headers).status_code == 403


# ------------------------------------------------------------------------------------------------ users


def test_admin_cannot_read_or_edit_users_of_another_district(client, session, w):  # noqa: ANN001
    target = w["ids"]["sup.ba"]
    before = audit_count(session)
    assert_not_found(client.get(f"/api/v1/users/{target}", headers=w["h"]["admin.sy"]))
    assert_not_found(
        client.patch(
            f"/api/v1/users/{target}", headers=w["h"]["admin.sy"], json={"role": "admin", "password": "taken-over-now"}
        )
    )
    assert_not_found(client.patch(f"/api/v1/users/{target}", headers=w["h"]["admin.sy"], json={"is_active": False}))
    assert audit_count(session) == before
    committed(session)
    user = session.get(User, target)
    assert user.role == "supervisor" and user.is_active


def test_admin_cannot_take_over_a_user_who_also_serves_another_district(client, session, w):  # noqa: ANN001
    """A user bound to 山阳区 and 博爱县 is managed only by an admin covering both: 山阳区's admin must not reset
    the password, make it admin, or strip 博爱县 from it."""
    mark = audit_mark(session)
    target = w["ids"]["both"]
    listed = {u["username"] for u in client.get("/api/v1/users", headers=w["h"]["admin.sy"]).get_json()}
    assert "both.districts" not in listed
    assert_not_found(client.get(f"/api/v1/users/{target}", headers=w["h"]["admin.sy"]))
    for change in (
        {"password": "taken-over-now"},
        {"role": "admin"},
        {"jurisdictions": ["410811"]},
        {"is_active": False},
    ):
        assert_not_found(client.patch(f"/api/v1/users/{target}", headers=w["h"]["admin.sy"], json=change))
    committed(session)
    user = session.get(User, target)
    assert user.role == "supervisor" and user.is_active
    assert sorted(j.code for j in user.jurisdictions) == ["410811", "410822"]
    assert "user.update" not in audit_actions(session, mark)


def test_admin_cannot_grant_a_jurisdiction_above_its_scope(client, session, w):  # noqa: ANN001
    before = audit_count(session)
    target = w["ids"]["insp.peer"]
    response = client.patch(
        f"/api/v1/users/{target}", headers=w["h"]["admin.sy"], json={"role": "admin", "jurisdictions": ["410800"]}
    )
    assert response.status_code == 403 and response.get_json()["code"] == "out_of_scope"
    created = client.post(
        "/api/v1/users",
        headers=w["h"]["admin.sy"],
        json={"username": "new.city.admin", "password": "long-enough-pw", "role": "admin", "jurisdictions": ["410800"]},
    )
    assert created.status_code == 403
    committed(session)
    assert session.get(User, target).role == "inspector"
    assert session.scalar(select(User).where(User.username == "new.city.admin")) is None
    assert audit_count(session) == before


def test_admin_may_promote_within_its_scope_and_it_is_audited(client, session, w):  # noqa: ANN001
    target = w["ids"]["insp.peer"]
    response = client.patch(f"/api/v1/users/{target}", headers=w["h"]["admin.sy"], json={"role": "supervisor"})
    assert response.status_code == 200, response.get_json()
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.update")).one()
    assert (entry.before["role"], entry.after["role"], entry.actor_username) == ("inspector", "supervisor", "admin.sy")


def test_admin_cannot_disable_itself(client, session, w):  # noqa: ANN001
    before = audit_count(session)
    me = w["ids"]["admin.sy"]
    response = client.patch(f"/api/v1/users/{me}", headers=w["h"]["admin.sy"], json={"is_active": False})
    assert response.status_code == 409 and response.get_json()["code"] == "cannot_disable_self"
    assert client.get("/api/v1/me", headers=w["h"]["admin.sy"]).status_code == 200
    assert audit_count(session) == before


def test_disabling_a_user_revokes_its_sessions_and_is_audited(client, session, w):  # noqa: ANN001
    mark = audit_mark(session)
    target = w["ids"]["insp.peer"]
    tokens = login(client, "insp.peer")
    response = client.patch(f"/api/v1/users/{target}", headers=w["h"]["admin.sy"], json={"is_active": False})
    assert response.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 401
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    committed(session)
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuthSession)
            .where(AuthSession.user_id == target, AuthSession.revoked_at.is_(None))
        )
        == 0
    )
    assert audit_actions(session, mark) == ["user.update"]


# ------------------------------------------------------------------------------------------------ audit


def test_audit_log_of_one_district_is_not_readable_by_another_districts_admin(client, session, w):  # noqa: ANN001
    client.patch(f"/api/v1/users/{w['ids']['insp.peer']}", headers=w["h"]["admin.sy"], json={"display_name": "改名"})
    client.patch(f"/api/v1/users/{w['ids']['insp.ba']}", headers=w["h"]["admin.ba"], json={"display_name": "改名"})
    seen_by_ba = client.get("/api/v1/audit", headers=w["h"]["admin.ba"]).get_json()
    assert all(e["actor_username"] != "admin.sy" for e in seen_by_ba)
    assert str(w["ids"]["insp.peer"]) not in {e["entity_id"] for e in seen_by_ba if e["entity_type"] == "user"}
    assert str(w["ids"]["insp.ba"]) in {e["entity_id"] for e in seen_by_ba if e["entity_type"] == "user"}
    seen_by_sy = client.get("/api/v1/audit", headers=w["h"]["admin.sy"]).get_json()
    assert str(w["ids"]["insp.peer"]) in {e["entity_id"] for e in seen_by_sy if e["entity_type"] == "user"}
    assert all(e["actor_username"] != "admin.ba" for e in seen_by_sy)


def test_province_admin_reads_the_whole_audit_log(client, session, w):  # noqa: ANN001
    make_user(session, "admin.prov", "admin", ["410000"])
    session.commit()
    client.patch(f"/api/v1/users/{w['ids']['insp.ba']}", headers=w["h"]["admin.ba"], json={"display_name": "改名"})
    entries = client.get(
        "/api/v1/audit?entity_type=user", headers=bearer(issue_tokens(session, "admin.prov"))
    ).get_json()
    assert str(w["ids"]["insp.ba"]) in {e["entity_id"] for e in entries}


# ------------------------------------------------------------------------------------------------ sites


def test_sites_of_another_district_do_not_exist_for_the_caller(client, session, w):  # noqa: ANN001
    before = audit_count(session)
    url = f"/api/v1/sites/{w['site']}"
    for who in ("sup.ba", "insp.ba", "admin.ba"):
        assert_not_found(client.get(url, headers=w["h"][who]))
        assert_not_found(client.get(f"{url}/checklist", headers=w["h"][who]))
        assert w["site"] not in {s["id"] for s in client.get("/api/v1/sites", headers=w["h"][who]).get_json()["items"]}
    assert_not_found(client.patch(url, headers=w["h"]["sup.ba"], json={"name": "改掉"}))
    assert_not_found(client.patch(url, headers=w["h"]["admin.ba"], json={"name": "改掉"}))
    assert client.get(url, headers=w["h"]["insp.owner"]).status_code == 200
    assert client.get(url, headers=w["h"]["sup.jd"]).status_code == 200  # 焦东街道 covers the site
    assert audit_count(session) == before


def test_supervisor_cannot_move_a_site_out_of_or_create_one_outside_its_scope(client, session, w):  # noqa: ANN001
    before = audit_count(session)
    url = f"/api/v1/sites/{w['site']}"
    moved = client.patch(
        url, headers=w["h"]["sup.sy"], json={"geometry": {"type": "Point", "coordinates": [113.05, 35.25]}}
    )  # 博爱县
    assert moved.status_code == 422 and moved.get_json()["errors"][0]["code"] == "outside_scope"
    created = client.post(
        "/api/v1/sites",
        headers=w["h"]["sup.sy"],
        json={
            "kind": "construction_site",
            "name": "越界工地",
            "address": "博爱县",
            "operator": {"type": "company", "name": "某公司", "credit_code": CREDIT_CODE},
            "geometry": {"type": "Point", "coordinates": [113.05, 35.25]},
            "attributes": {"floor_area_m2": 6000},
        },
    )
    assert created.status_code == 422 and created.get_json()["errors"][0]["code"] == "outside_scope"
    # a sub-district supervisor cannot move a site into the other sub-district either
    sideways = client.patch(
        url, headers=w["h"]["sup.jd"], json={"geometry": {"type": "Point", "coordinates": [113.22, 35.25]}}
    )  # 焦西
    assert sideways.status_code == 422
    assert audit_count(session) == before


def test_inspectors_cannot_write_sites(client, w):  # noqa: ANN001
    response = client.patch(f"/api/v1/sites/{w['site']}", headers=w["h"]["insp.owner"], json={"name": "改掉"})
    assert response.status_code == 403 and response.content_type == "application/problem+json"


# ------------------------------------------------------------------------------------------ inspections


@pytest.mark.parametrize("who", ["insp.peer", "insp.ba", "sup.ba", "admin.ba"])
def test_inspection_reads_outside_scope_are_404(client, w, who):  # noqa: ANN001
    for iid in (w["submitted"], w["draft"]):
        assert_not_found(client.get(f"/api/v1/inspections/{iid}", headers=w["h"][who]))
        assert_not_found(client.get(f"/api/v1/inspections/{iid}/penalties", headers=w["h"][who]))
    feed = client.get("/api/v1/inspections", headers=w["h"][who]).get_json()
    assert not {i["id"] for i in feed["items"]} & {w["submitted"], w["draft"]}


def test_same_district_inspector_cannot_edit_or_submit_anothers_inspection(client, session, w):  # noqa: ANN001
    body = put_body(w, [w["ids"]["insp.peer"], w["ids"]["insp.owner"]])
    before = audit_count(session)
    assert_not_found(
        client.put(f"/api/v1/inspections/{w['draft']}", headers={**w["h"]["insp.peer"], "If-Match": '"2"'}, json=body)
    )
    assert_not_found(
        client.post(f"/api/v1/inspections/{w['draft']}/submit", headers={**w["h"]["insp.peer"], "If-Match": '"2"'})
    )
    # even the district's supervisor: only the officers write an inspection
    assert_not_found(
        client.put(f"/api/v1/inspections/{w['draft']}", headers={**w["h"]["sup.sy"], "If-Match": '"2"'}, json=body)
    )
    assert audit_count(session) == before


def test_inspection_cannot_be_created_on_a_site_outside_scope(client, session, w):  # noqa: ANN001
    before = audit_count(session)
    body = put_body(w, [w["ids"]["insp.ba"], w["ids"]["sup.ba"]])
    response = client.put(f"/api/v1/inspections/{uuid.uuid4()}", headers=w["h"]["insp.ba"], json=body)
    assert response.status_code == 422
    assert "site_not_found" in {e["code"] for e in response.get_json()["errors"]}
    assert audit_count(session) == before


def test_return_is_for_the_districts_supervisors_and_audited(client, session, w):  # noqa: ANN001
    mark = audit_mark(session)
    url = f"/api/v1/inspections/{w['submitted']}/return"
    payload = {"comment": "照片不清晰，请补拍"}
    assert client.post(url, headers={**w["h"]["insp.owner"], "If-Match": '"2"'}, json=payload).status_code == 403
    assert_not_found(client.post(url, headers={**w["h"]["sup.ba"], "If-Match": '"2"'}, json=payload))
    assert_not_found(client.post(url, headers={**w["h"]["admin.ba"], "If-Match": '"2"'}, json=payload))
    assert "inspection.return" not in audit_actions(session, mark)
    ok = client.post(url, headers={**w["h"]["sup.sy"], "If-Match": '"2"'}, json=payload)
    assert ok.status_code == 200, ok.get_json()
    retry = client.post(url, headers={**w["h"]["sup.sy"], "If-Match": '"2"'}, json=payload)
    assert retry.status_code == 200  # a retry whose response was lost: same result, no second change
    assert audit_actions(session, mark).count("inspection.return") == 1


# ------------------------------------------------------------------------------------------- penalties


def test_penalty_writes_outside_scope_are_404_and_leave_no_trace(client, session, w):  # noqa: ANN001
    base = f"/api/v1/inspections/{w['submitted']}/penalties"
    before = audit_count(session)
    mark = audit_mark(session)
    for who in ("sup.ba", "admin.ba"):
        assert_not_found(client.post(f"{base}/recompute", headers=w["h"][who], json={"reason": "越权重新计算"}))
        assert_not_found(
            client.post(
                f"{base}/{w['line']}/override", headers=w["h"][who], json={"amount_fen": 0, "reason": "越权改判为零"}
            )
        )
    for who in ("insp.owner", "insp.peer"):
        assert client.post(f"{base}/recompute", headers=w["h"][who], json={"reason": "越权重新计算"}).status_code == 403
    assert audit_count(session) == before
    ok = client.post(f"{base}/recompute", headers=w["h"]["sup.sy"], json={"reason": "规则文件更新后重算"})
    assert ok.status_code == 200
    assert audit_actions(session, mark)[-1] == "penalty.recompute"


def test_penalty_line_of_another_inspection_cannot_be_overridden_through_mine(client, session, w):  # noqa: ANN001
    """The line id must belong to the inspection in the URL (scope is checked on the URL's inspection)."""
    other_site = make_construction_site(session, at=(113.05, 35.25), name="博爱工地")
    other = make_inspection(session, other_site, dust_failures("hoarding"), created_by=w["ids"]["insp.ba"])
    compute_penalties_for_inspection(session, other)
    session.commit()
    foreign_line = session.scalars(select(PenaltyLineRow.id).where(PenaltyLineRow.inspection_id == other.id)).first()
    before = audit_count(session)
    response = client.post(
        f"/api/v1/inspections/{w['submitted']}/penalties/{foreign_line}/override",
        headers=w["h"]["sup.sy"],
        json={"amount_fen": 0, "reason": "借道改判他区处罚"},
    )
    assert_not_found(response)
    assert audit_count(session) == before


def test_penalty_settings_of_another_jurisdiction_are_404(client, session, w):  # noqa: ANN001
    before = audit_count(session)
    for code in ("410822", "410800", "410000"):
        assert_not_found(client.get(f"/api/v1/penalties/settings/{code}", headers=w["h"]["admin.sy"]))
        assert_not_found(
            client.put(
                f"/api/v1/penalties/settings/{code}",
                headers=w["h"]["admin.sy"],
                json={"discretion": {"repeat_window_days": 1}},
            )
        )
    assert client.get("/api/v1/penalties/settings/410811001", headers=w["h"]["admin.sy"]).status_code == 200
    assert client.get("/api/v1/penalties/rules?jurisdiction=410822", headers=w["h"]["sup.sy"]).status_code == 404
    assert audit_count(session) == before


def test_computed_penalty_line_cannot_be_rewritten_in_the_database(session, w):  # noqa: ANN001
    with pytest.raises(DBAPIError, match="penalty_lines"):
        session.execute(text("UPDATE penalty_lines SET amount_fen = 1 WHERE id = :id"), {"id": w["line"]})
    session.rollback()
    with pytest.raises(DBAPIError, match="penalty_lines"):
        session.execute(
            text("UPDATE penalty_lines SET rule_key = 'forged', override = '{\"by\": \"x\"}'::jsonb WHERE id = :id"),
            {"id": w["line"]},
        )
    session.rollback()
    with pytest.raises(DBAPIError, match="penalty_lines"):
        session.execute(text("DELETE FROM penalty_lines WHERE id = :id"), {"id": w["line"]})
    session.rollback()
    with pytest.raises(DBAPIError, match="penalty_computations"):
        session.execute(text("UPDATE penalty_computations SET reason = 'forged'"))
    session.rollback()
    with pytest.raises(DBAPIError, match="penalty_computations"):
        session.execute(text("DELETE FROM penalty_computations"))
    session.rollback()


def test_override_still_works_with_the_line_guard(client, session, w):  # noqa: ANN001
    mark = audit_mark(session)
    base = f"/api/v1/inspections/{w['submitted']}/penalties"
    fine = next(
        l
        for l in client.get(base, headers=w["h"]["sup.sy"]).get_json()["lines"]
        if l["rule_key"] == "fine.henan_76_construction_dust"
    )
    response = client.post(
        f"{base}/{fine['id']}/override",
        headers=w["h"]["sup.sy"],
        json={"amount_fen": fine["range_fen"][0], "reason": "当事人积极整改"},
    )
    assert response.status_code == 200, response.get_json()
    assert audit_actions(session, mark)[-1] == "penalty.override"


# ---------------------------------------------------------------------------------------------- photos


def _upload(client, headers, name=PHOTO) -> str:  # noqa: ANN001
    pid = str(uuid.uuid4())
    response = put_photo(client, headers, pid, photo_bytes(name))
    assert response.status_code == 201, response.get_json()
    return pid


@pytest.mark.parametrize("who", ["insp.peer", "insp.ba", "sup.ba", "admin.ba"])
def test_photos_outside_scope_are_404_in_every_form(client, w, store, who):  # noqa: ANN001
    pid = _upload(client, w["h"]["insp.owner"])
    for suffix in ("", "/original", "/display", "/thumbnail", "/watermarked"):
        assert_not_found(client.get(f"/api/v1/photos/{pid}{suffix}", headers=w["h"][who]))
    assert client.get(f"/api/v1/photos/{pid}/original", headers=w["h"]["sup.sy"]).status_code == 200


def test_someone_elses_photo_id_cannot_be_overwritten_or_probed(client, session, w, store):  # noqa: ANN001
    pid = _upload(client, w["h"]["insp.owner"])
    original = photo_bytes(PHOTO)
    other = photo_bytes(OTHER_PHOTO)
    before = audit_count(session)
    for who in ("insp.peer", "sup.ba"):
        for data in (other, original):  # other bytes, or the very same bytes (would confirm the content)
            response = put_photo(client, w["h"][who], pid, data)
            assert response.status_code == 409 and response.content_type == "application/problem+json"
            assert "existing_sha256" not in response.get_json()
    chunk = client.patch(
        f"/api/v1/photos/{pid}/uploads",
        data=other,
        headers={
            **w["h"]["insp.peer"],
            "Upload-Offset": "0",
            "Upload-Complete": "?1",
            "X-Content-SHA256": sha256_hex(other),
            "Content-Type": "application/offset+octet-stream",
        },
    )
    assert chunk.status_code == 409
    assert audit_count(session) == before
    got = client.get(f"/api/v1/photos/{pid}/original", headers=w["h"]["insp.owner"])
    assert got.status_code == 200 and got.data == original


def test_conflicting_put_leaves_the_original_unchanged(client, session, w, store):  # noqa: ANN001
    mark = audit_mark(session)
    pid = _upload(client, w["h"]["insp.owner"])
    original = photo_bytes(PHOTO)
    response = put_photo(client, w["h"]["insp.owner"], pid, photo_bytes(OTHER_PHOTO))
    assert response.status_code == 409 and response.get_json()["code"] == "photo_id_conflict"
    got = client.get(f"/api/v1/photos/{pid}/original", headers=w["h"]["insp.owner"])
    assert got.data == original and got.headers["ETag"].strip('"') == sha256_hex(original)
    assert store.read_original(sha256_hex(original)) == original
    assert audit_actions(session, mark) == ["photo.create"]
    repeat = put_photo(client, w["h"]["insp.owner"], pid, original)
    assert repeat.status_code == 200  # idempotent repeat: no second row, no second audit entry
    assert audit_actions(session, mark) == ["photo.create"]


def test_stored_photo_hash_cannot_be_rewritten_in_the_database(client, session, w, store):  # noqa: ANN001
    pid = _upload(client, w["h"]["insp.owner"])
    with pytest.raises(DBAPIError, match="immutable"):
        session.execute(text("UPDATE photos SET sha256 = :h WHERE id = :id"), {"h": "0" * 64, "id": pid})
    session.rollback()
    with pytest.raises(DBAPIError, match="DELETE refused"):
        session.execute(text("DELETE FROM photos WHERE id = :id"), {"id": pid})
    session.rollback()
    assert session.get(Photo, uuid.UUID(pid)).sha256 == sha256_hex(photo_bytes(PHOTO))


# ------------------------------------------------------------------------------------ jurisdictions/geo


def test_jurisdictions_outside_scope_are_404_and_not_listed(client, w):  # noqa: ANN001
    assert_not_found(client.get("/api/v1/jurisdictions/410822", headers=w["h"]["sup.sy"]))
    assert_not_found(client.get("/api/v1/jurisdictions/410800", headers=w["h"]["sup.sy"]))
    assert_not_found(client.get("/api/v1/jurisdictions/410811002", headers=w["h"]["sup.jd"]))
    codes = {j["code"] for j in client.get("/api/v1/jurisdictions", headers=w["h"]["sup.sy"]).get_json()}
    assert codes == {"410811", "410811001", "410811002"}


def test_geo_export_and_locate_stay_in_scope(client, w):  # noqa: ANN001
    body = client.get("/api/v1/geo/jurisdictions.geojson", headers=w["h"]["sup.sy"]).get_data(as_text=True)
    assert {f["properties"]["code"] for f in json.loads(body)["features"]} == {"410811", "410811001", "410811002"}
    zones = json.loads(client.get("/api/v1/geo/zones.geojson", headers=w["h"]["sup.sy"]).get_data(as_text=True))
    assert {f["properties"]["code"] for f in zones["features"]} == {"SY-FWB"}
    assert_not_found(client.get("/api/v1/geo/locate?lon=113.05&lat=35.25", headers=w["h"]["sup.sy"]))
    inside = client.get("/api/v1/geo/locate?lon=113.27&lat=35.25", headers=w["h"]["sup.jd"]).get_json()
    assert [j["code"] for j in inside["jurisdictions"]] == ["410811001"]


def test_admin_cannot_import_boundaries_or_zones_of_another_district(client, session, w):  # noqa: ANN001
    before = audit_count(session)
    other = collection(
        feature(square(113.0, 35.2, 113.1, 35.3), code="410822", name="博爱县", level="county", parent_code="410800")
    )
    response = client.post(
        "/api/v1/geo/import?as=jurisdictions",
        headers=w["h"]["admin.sy"],
        data=json.dumps(other),
        content_type="application/geo+json",
    )
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    zone = collection(
        feature(
            square(113.02, 35.22, 113.08, 35.28),
            code="BA-FUEL",
            name="博爱县禁燃区",
            kind="fuel_ban",
            jurisdiction_code="410822",
        )
    )
    response = client.post(
        "/api/v1/geo/import?as=zones&kind=fuel_ban",
        headers=w["h"]["admin.sy"],
        data=json.dumps(zone),
        content_type="application/geo+json",
    )
    assert response.status_code == 422
    assert audit_count(session) == before


def test_admin_cannot_claim_another_districts_site_by_drawing_a_sub_district_over_it(client, session, w):  # noqa: ANN001
    other_site = make_construction_site(session, at=(113.05, 35.25), name="博爱工地")
    session.commit()
    mark = audit_mark(session)
    enclave = collection(
        feature(
            square(113.04, 35.24, 113.06, 35.26), code="410811099", name="飞地", level="township", parent_code="410811"
        )
    )
    response = client.post(
        "/api/v1/geo/import?as=jurisdictions",
        headers=w["h"]["admin.sy"],
        data=json.dumps(enclave),
        content_type="application/geo+json",
    )
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert "boundary_crosses_scope" in {e["code"] for e in response.get_json()["errors"]}
    assert_not_found(client.get(f"/api/v1/sites/{other_site.id}", headers=w["h"]["admin.sy"]))
    assert client.get(f"/api/v1/sites/{other_site.id}", headers=w["h"]["admin.ba"]).status_code == 200
    assert audit_actions(session, mark) == []
    # a sub-district inside its own territory is still fine
    inside = collection(
        feature(
            square(113.26, 35.26, 113.27, 35.27),
            code="410811098",
            name="新街道",
            level="township",
            parent_code="410811",
        )
    )
    ok = client.post(
        "/api/v1/geo/import?as=jurisdictions",
        headers=w["h"]["admin.sy"],
        data=json.dumps(inside),
        content_type="application/geo+json",
    )
    assert ok.status_code == 200, ok.get_json()
