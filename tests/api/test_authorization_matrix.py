"""Role × endpoint matrix and jurisdiction scope, over every /api/v1 endpoint the app registers."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.factories import bearer, issue_tokens, make_user

PUBLIC = {"/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/auth/browser/token", "/api/v1/auth/browser/refresh"}


SAMPLE_BY_CONVERTER = {"int": "1", "uuid": "00000000-0000-4000-8000-000000000001", "float": "1.0"}


def _sample_value(match: re.Match[str]) -> str:
    return SAMPLE_BY_CONVERTER.get(match.group(1) or "", "x")


def protected_endpoints(app: Flask) -> list[tuple[str, str, tuple[str, ...]]]:
    """(method, url, allowed roles) for every /api/v1 rule, read from the views' require() marks."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.rule in PUBLIC:
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            target = getattr(view_class, method.lower()) if view_class else view
            roles = getattr(target, "_lantian_roles", None)
            assert roles is not None, f"{method} {rule.rule} has no authorisation decorator"
            url = re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", _sample_value, rule.rule)
            out.append((method, url, roles))
    return out


def test_every_api_endpoint_declares_its_roles(app) -> None:
    assert protected_endpoints(app)


def test_every_protected_endpoint_refuses_anonymous_callers(app, client) -> None:
    for method, url, _ in protected_endpoints(app):
        response = client.open(url, method=method, json={})
        assert response.status_code == 401, (method, url)
        assert response.content_type == "application/problem+json"


@pytest.mark.parametrize("role", ["inspector", "supervisor", "admin"])
def test_roles_outside_an_endpoints_list_get_403_problem(app, client, session, tree, role) -> None:
    make_user(session, f"user.{role}", role, ["410811"])
    session.commit()
    headers = bearer(issue_tokens(session, f"user.{role}"))
    checked = 0
    for method, url, roles in protected_endpoints(app):
        if role in roles:
            continue
        response = client.open(url, method=method, json={}, headers=headers)
        assert response.status_code == 403, (role, method, url, response.get_json())
        assert response.get_json()["code"] == "role_forbidden"
        checked += 1
    if role == "inspector":
        assert checked > 0  # inspectors must be shut out of something (admin endpoints at least)


def test_admin_of_one_district_cannot_see_users_of_another(client, session, tree) -> None:
    make_user(session, "admin.shanyang", "admin", ["410811"])
    other = make_user(session, "insp.boai", "inspector", ["410822"])
    session.commit()
    headers = bearer(issue_tokens(session, "admin.shanyang"))
    assert client.get(f"/api/v1/users/{other.id}", headers=headers).status_code == 404
    listed = [u["username"] for u in client.get("/api/v1/users", headers=headers).get_json()]
    assert "insp.boai" not in listed and "admin.shanyang" in listed


def test_admin_cannot_grant_jurisdictions_outside_its_scope(client, session, tree) -> None:
    make_user(session, "admin.shanyang", "admin", ["410811"])
    session.commit()
    response = client.post(
        "/api/v1/users",
        headers=bearer(issue_tokens(session, "admin.shanyang")),
        json={"username": "new.one", "password": "long-enough-pw", "role": "inspector", "jurisdictions": ["410822"]},
    )
    assert response.status_code == 403
    assert response.get_json()["code"] == "out_of_scope"


def test_supervisor_sees_own_district_and_its_subdistricts_only(client, session, tree) -> None:
    make_user(session, "sup.shanyang", "supervisor", ["410811"])
    session.commit()
    headers = bearer(issue_tokens(session, "sup.shanyang"))
    codes = [j["code"] for j in client.get("/api/v1/jurisdictions", headers=headers).get_json()]
    assert codes == ["410811", "410811001", "410811002"]
    assert client.get("/api/v1/jurisdictions/410811001", headers=headers).status_code == 200
    assert client.get("/api/v1/jurisdictions/410822", headers=headers).status_code == 404
    assert client.get("/api/v1/jurisdictions/410800", headers=headers).status_code == 404


def test_a_county_admin_cannot_reach_another_countys_checklist_parameters(client, session, tree) -> None:
    make_user(session, "admin.boai", "admin", ["410822"])
    session.commit()
    headers = bearer(issue_tokens(session, "admin.boai"))
    assert client.get("/api/v1/checklist-parameters/410822", headers=headers).status_code == 200
    assert client.get("/api/v1/checklist-parameters/410811", headers=headers).status_code == 404
    put = client.put(
        "/api/v1/checklist-parameters/410811/construction_dust.henan/monitoring_min_floor_area_m2",
        headers=headers,
        json={"value": 1, "reason": "r"},
    )
    assert put.status_code == 404 and put.get_json()["code"] == "jurisdiction_not_found"


def test_a_county_admin_sees_no_system_jobs(client, session, tree) -> None:
    from tests.factories_jobs import system_job

    queued = system_job(session)
    make_user(session, "admin.boai", "admin", ["410822"])
    make_user(session, "admin.hn", "admin", ["410000"])
    session.commit()
    county = bearer(issue_tokens(session, "admin.boai"))
    province = bearer(issue_tokens(session, "admin.hn"))
    assert queued not in {j["id"] for j in client.get("/api/v1/jobs", headers=county).get_json()["items"]}
    assert client.post(f"/api/v1/jobs/{queued}/cancel", headers=county, json={"reason": "r"}).status_code == 404
    assert queued in {j["id"] for j in client.get("/api/v1/jobs", headers=province).get_json()["items"]}
