"""Checklist parameters through the API (admins): listed with their source (set here, inherited, default,
unset), set with the CLI's checks and a reason (audited), seen by resolution; scoped to the admin's
jurisdictions; problem+json for every refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.checklists.parameters import set_checklist_parameter
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_catalogue import install_shipped_checklists
from tests.factories_geo import make_geography, make_site

DUST = "construction_dust.henan"
FLOOR = "monitoring_min_floor_area_m2"
NRMM = "nrmm_labels"
PATTERN = "nrmm_registration_code_pattern"
PROBLEM = "application/problem+json"


@pytest.fixture()
def synced(session, tree) -> None:  # noqa: ANN001
    install_shipped_checklists(session)
    session.commit()


def _headers(session, username: str, role: str, codes: list[str]) -> dict[str, str]:  # noqa: ANN001
    make_user(session, username, role, codes)
    session.commit()
    return bearer(issue_tokens(session, username))


def _param(body: dict, key: str, name: str) -> dict:
    (found,) = [p for p in body["items"] if p["checklist_key"] == key and p["name"] == name]
    return found


def test_parameters_list_their_declaration_and_source(client, session, synced) -> None:  # noqa: ANN001
    set_checklist_parameter(session, "410800", DUST, FLOOR, 8000)  # 焦作市 sets it for the city
    session.commit()
    admin = _headers(session, "admin.sy", "admin", ["410811"])

    response = client.get("/api/v1/checklist-parameters/410811", headers=admin)

    assert response.status_code == 200, response.get_json()
    floor = _param(response.get_json(), DUST, FLOOR)
    assert floor["type"] == "number" and floor["unit"] == "m2" and floor["default"] is None
    assert floor["description"]["zh"] and floor["sources"] == ["000#17"]
    assert (floor["own"], floor["inherited"], floor["inherited_from"]) == (None, 8000, "410800")
    assert (floor["effective"], floor["source"]) == (8000, "inherited")
    pattern = _param(response.get_json(), NRMM, PATTERN)
    assert (pattern["effective"], pattern["source"]) == (None, "unset")


def test_admin_sets_a_parameter_with_a_reason_and_resolution_uses_it(client, session, synced) -> None:  # noqa: ANN001
    make_geography(session)
    site = make_site(session, 113.25, 35.22, kind="construction_site", attributes={"floor_area_m2": 6000})
    session.commit()
    admin = _headers(session, "admin.hn", "admin", ["410000"])

    response = client.put(
        f"/api/v1/checklist-parameters/410811/{DUST}/{FLOOR}",
        headers=admin,
        json={"value": 5000, "reason": "山环攻坚办〔2026〕1号：5000平方米以上须在线监测"},
    )

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["own"], body["effective"], body["source"]) == (5000, 5000, "jurisdiction")
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "checklist.parameter_set"))
    assert audit.after["value"] == 5000 and audit.after["reason"].startswith("山环攻坚办")
    assert audit.actor_username == "admin.hn"
    resolved = client.get(f"/api/v1/sites/{site.id}/checklist?key={DUST}", headers=admin).get_json()
    (dust,) = resolved["checklists"]
    assert dust["parameters"][FLOOR] == 5000


@pytest.mark.parametrize(
    ("url", "body", "status", "code", "path"),
    [
        (f"410811/{DUST}/{FLOOR}", {"value": "5000", "reason": "r"}, 422, "validation_failed", "value"),
        (f"410811/{DUST}/{FLOOR}", {"value": True, "reason": "r"}, 422, "validation_failed", "value"),
        (f"410811/{NRMM}/{PATTERN}", {"value": 12, "reason": "r"}, 422, "validation_failed", "value"),
        (f"410811/{NRMM}/{PATTERN}", {"value": "  ", "reason": "r"}, 422, "validation_failed", "value"),
        (f"410811/{DUST}/made_up", {"value": 1, "reason": "r"}, 422, "validation_failed", "name"),
        (f"410811/{DUST}/{FLOOR}", {"value": 1, "reason": " "}, 422, "validation_failed", "reason"),
        (f"410811/{DUST}/{FLOOR}", {"value": 1}, 422, "validation_failed", "reason"),
        (f"410811/no.such/{FLOOR}", {"value": 1, "reason": "r"}, 404, "checklist_not_found", None),
        (f"999999/{DUST}/{FLOOR}", {"value": 1, "reason": "r"}, 404, "jurisdiction_not_found", None),
    ],
)
def test_invalid_settings_are_problems_and_change_nothing(
    client, session, synced, url: str, body: dict, status: int, code: str, path: str | None
) -> None:  # noqa: ANN001
    admin = _headers(session, "admin.hn", "admin", ["410000"])
    response = client.put(f"/api/v1/checklist-parameters/{url}", headers=admin, json=body)
    assert response.status_code == status, response.get_json()
    assert response.content_type == PROBLEM
    problem = response.get_json()
    assert problem["code"] == code and problem["message_zh"] and problem["message_en"]
    if path:
        assert path in {e["path"] for e in problem["errors"]}
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "checklist.parameter_set")) is None


def test_an_admin_of_another_county_cannot_see_or_set_shanyangs_parameters(client, session, synced) -> None:  # noqa: ANN001
    boai = _headers(session, "admin.boai", "admin", ["410822"])
    assert client.get("/api/v1/checklist-parameters/410822", headers=boai).status_code == 200
    seen = client.get("/api/v1/checklist-parameters/410811", headers=boai)
    assert seen.status_code == 404 and seen.get_json()["code"] == "jurisdiction_not_found"
    put = client.put(
        f"/api/v1/checklist-parameters/410811/{DUST}/{FLOOR}", headers=boai, json={"value": 1, "reason": "r"}
    )
    assert put.status_code == 404
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "checklist.parameter_set")) is None


def test_supervisors_may_not_read_or_set_parameters(client, session, synced) -> None:  # noqa: ANN001
    sup = _headers(session, "sup.sy", "supervisor", ["410811"])
    assert client.get("/api/v1/checklist-parameters/410811", headers=sup).status_code == 403
    response = client.put(
        f"/api/v1/checklist-parameters/410811/{DUST}/{FLOOR}", headers=sup, json={"value": 1, "reason": "r"}
    )
    assert response.status_code == 403 and response.get_json()["code"] == "role_forbidden"


def test_clearing_a_value_brings_back_the_one_above_and_is_audited(client, session, synced) -> None:  # noqa: ANN001
    set_checklist_parameter(session, "410800", DUST, FLOOR, 8000)
    set_checklist_parameter(session, "410811", DUST, FLOOR, 5000)
    session.commit()
    admin = _headers(session, "admin.hn", "admin", ["410000"])
    url = f"/api/v1/checklist-parameters/410811/{DUST}/{FLOOR}"

    response = client.put(url, headers=admin, json={"value": None, "reason": "改按市级标准执行"})

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["own"], body["effective"], body["source"], body["inherited_from"]) == (
        None,
        8000,
        "inherited",
        "410800",
    )
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "checklist.parameter_cleared"))
    assert audit.before == {"value": 5000} and audit.after["reason"] == "改按市级标准执行"
    unknown = client.put(
        f"/api/v1/checklist-parameters/410811/{DUST}/made_up", headers=admin, json={"value": None, "reason": "r"}
    )
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["path"] == "name"
