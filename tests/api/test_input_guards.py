"""Hostile request input is a clean 4xx problem, refused before any view runs.

JSON bodies: bounded nesting, valid Unicode, no bidi controls, strict JSON (no NaN, no duplicate keys, finite
numbers), and the JSON content type required. Query strings: unknown parameters are refused, not ignored.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.penalties.catalogue import sync_penalty_rules
from tests.factories import bearer, login, make_user
from tests.factories_geo import make_geography, make_site, site_data

PROBLEM = "application/problem+json"
INSPECTION_ID = "0b6f3c2e-9a41-4c55-8d7e-2f1a6b3c4d5e"
DOCUMENT_ID = "00000000-0000-4000-8000-0000000000d0"
PARAMETER = "construction_dust.henan/monitoring_min_floor_area_m2"


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == PROBLEM
    body = response.get_json()
    assert body["code"] == code, body
    assert body["message_zh"] and body["message_en"]
    return body


@pytest.fixture()
def geo(session, admin) -> None:  # noqa: ANN001
    """Boundaries and zones, for tests that create sites."""
    make_geography(session)
    session.commit()


def paths_of(body: dict[str, Any]) -> dict[str, str]:
    return {e["path"]: e["code"] for e in body.get("errors", [])}


def send(
    client: FlaskClient,
    method: str,
    url: str,
    body: str | bytes,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Any:
    return client.open(url, method=method, data=body, content_type=content_type, headers=headers or {})


def nested(depth: int) -> str:
    return '{"username": ' + "[" * depth + "]" * depth + ', "password": "x"}'


@pytest.fixture()
def admin(session, tree, client) -> dict[str, str]:  # noqa: ANN001
    """An administrator of the whole province (every role-restricted JSON endpoint accepts it)."""
    make_user(session, "admin.hn", "admin", ["410000"])
    session.commit()
    return bearer(login(client, "admin.hn"))


# Every endpoint that declares a JSON request body, with its path parameters filled in. The guards run before
# the view, so the ids need not exist.
JSON_ENDPOINTS = [
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/browser/token"),
    ("POST", "/api/v1/users"),
    ("PATCH", "/api/v1/users/1"),
    ("POST", "/api/v1/sites"),
    ("PATCH", "/api/v1/sites/1"),
    ("PUT", f"/api/v1/inspections/{INSPECTION_ID}"),
    ("POST", f"/api/v1/inspections/{INSPECTION_ID}/submission"),
    ("POST", f"/api/v1/inspections/{INSPECTION_ID}/return"),
    ("POST", f"/api/v1/inspections/{INSPECTION_ID}/approve"),
    ("POST", f"/api/v1/inspections/{INSPECTION_ID}/reject"),
    ("POST", f"/api/v1/inspections/{INSPECTION_ID}/amendments"),
    ("PUT", "/api/v1/inspections/review-settings/410811"),
    ("PUT", "/api/v1/penalties/settings/410811"),
    ("POST", f"/api/v1/inspections/{INSPECTION_ID}/penalties/recompute"),
    ("POST", f"/api/v1/inspections/{INSPECTION_ID}/penalties/1/override"),
    ("POST", "/api/v1/cases/1/transitions"),
    ("PATCH", "/api/v1/cases/1/party"),
    ("POST", "/api/v1/cases/1/orders"),
    ("PUT", "/api/v1/cases/settings/410811"),
    ("POST", "/api/v1/fiscal-deductions/1/notify"),
    ("POST", "/api/v1/fiscal-deductions/1/settle"),
    ("POST", "/api/v1/documents"),
    ("POST", "/api/v1/documents/preview"),
    ("POST", f"/api/v1/documents/{DOCUMENT_ID}/void"),
    ("PUT", "/api/v1/documents/settings/410811"),
    ("POST", f"/api/v1/documents/signatures/{INSPECTION_ID}"),
    ("POST", "/api/v1/alerts"),
    ("PUT", f"/api/v1/checklist-parameters/410811/{PARAMETER}"),
    ("POST", "/api/v1/jobs/1/retry"),
    ("POST", "/api/v1/jobs/1/cancel"),
]


def test_the_endpoint_list_covers_every_json_body_in_the_openapi_document(client) -> None:
    spec = client.get("/api/openapi.json").get_json()
    declared = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if isinstance(op, dict) and "application/json" in op.get("requestBody", {}).get("content", {})
    }
    filled = {
        (
            m,
            p.replace("1/override", "{line_id}/override")
            .replace("users/1", "users/{user_id}")
            .replace("sites/1", "sites/{site_id}")
            .replace(INSPECTION_ID, "{inspection_id}")
            .replace(DOCUMENT_ID, "{document_id}")
            .replace("410811", "{code}")
            .replace("cases/1/", "cases/{case_id}/")
            .replace("fiscal-deductions/1/", "fiscal-deductions/{deduction_id}/")
            .replace(PARAMETER, "{checklist_key}/{name}")
            .replace("jobs/1/", "jobs/{job_id}/"),
        )
        for m, p in JSON_ENDPOINTS
    }
    assert filled == declared


def test_json_bodies_document_400_413_and_415(client) -> None:
    spec = client.get("/api/openapi.json").get_json()
    for path, ops in spec["paths"].items():
        for op in ops.values():
            if isinstance(op, dict) and "application/json" in op.get("requestBody", {}).get("content", {}):
                assert {"400", "413", "415", "422"} <= set(op["responses"]), path


# --- 1. depth, Unicode, bidi --------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/auth/token", "/api/v1/auth/refresh"])
def test_json_nested_a_thousand_deep_is_422_not_500(client, url: str) -> None:
    body = assert_problem(send(client, "POST", url, nested(1000)), 422, "json_too_deep")
    assert body["errors"][0]["code"] == "json_too_deep"


def test_json_nested_beyond_the_recursion_limit_is_422(client) -> None:
    assert_problem(send(client, "POST", "/api/v1/auth/token", nested(100_000)), 422, "json_too_deep")


def test_nesting_limit_is_the_configured_depth(client, app) -> None:
    limit = app.config["JSON_MAX_DEPTH"]
    assert limit == 64
    # The body object is level 1: ``limit - 1`` arrays inside it are accepted by the parser (the schema then
    # refuses a list as a username), one more is refused as too deep.
    at_limit = send(client, "POST", "/api/v1/auth/token", nested(limit - 1))
    assert_problem(at_limit, 422, "validation_failed")
    assert_problem(send(client, "POST", "/api/v1/auth/token", nested(limit)), 422, "json_too_deep")


def test_post_site_nested_deep_is_422(client, admin) -> None:
    response = send(
        client, "POST", "/api/v1/sites", '{"name": "x", "attributes": ' + "[" * 900 + "]" * 900 + "}", admin
    )
    body = assert_problem(response, 422, "json_too_deep")
    assert body["errors"][0]["path"].startswith("attributes")


@pytest.mark.parametrize("field", ["username", "password"])
def test_unpaired_surrogate_in_login_is_422_invalid_unicode(client, field: str) -> None:
    credentials = {"username": "someone", "password": "long-enough-password"}
    text = json.dumps(credentials).replace(credentials[field], "a\\ud800b")
    body = assert_problem(send(client, "POST", "/api/v1/auth/token", text), 422, "invalid_unicode")
    assert paths_of(body) == {field: "invalid_unicode"}


def test_unpaired_surrogate_in_a_site_name_is_422(client, admin) -> None:
    text = json.dumps(site_data(113.26, 35.25, name="PLACEHOLDER")).replace("PLACEHOLDER", "工地\\udc00")
    body = assert_problem(send(client, "POST", "/api/v1/sites", text, admin), 422, "invalid_unicode")
    assert paths_of(body) == {"name": "invalid_unicode"}


def test_unpaired_surrogates_in_inspection_note_answer_text_and_answer_key_are_422(client, admin) -> None:
    text = (
        '{"note": "\\ud800", "answers": {"dust_fence": {"value": "ok", "note": "x\\udfff"}, '
        '"k\\ud801": {"value": "y"}}}'
    )
    body = assert_problem(
        send(client, "PUT", f"/api/v1/inspections/{INSPECTION_ID}", text, admin), 422, "invalid_unicode"
    )
    assert paths_of(body) == {
        "note": "invalid_unicode",
        "answers.dust_fence.note": "invalid_unicode",
        "answers.k\\ud801": "invalid_unicode",
    }


def test_unpaired_surrogate_in_a_user_display_name_is_422(client, admin) -> None:
    text = (
        '{"username": "new.user", "password": "long-enough-password", "role": "inspector", '
        '"jurisdictions": ["410811"], "display_name": "\\ud83d"}'
    )
    body = assert_problem(send(client, "POST", "/api/v1/users", text, admin), 422, "invalid_unicode")
    assert paths_of(body) == {"display_name": "invalid_unicode"}


def test_a_paired_surrogate_escape_is_an_ordinary_character(client, admin, geo) -> None:
    text = json.dumps(site_data(113.26, 35.25, name="PLACEHOLDER")).replace("PLACEHOLDER", "工地\\ud83c\\udfd7")
    response = send(client, "POST", "/api/v1/sites", text, admin)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["name"] == "工地\U0001f3d7"


BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_every_bidi_control_in_a_site_name_is_422_naming_the_field(client, admin) -> None:
    for control in BIDI_CONTROLS:
        data = site_data(113.26, 35.25, name=f"某工地{control}司公限有")
        body = assert_problem(client.post("/api/v1/sites", json=data, headers=admin), 422, "bidi_control_character")
        assert paths_of(body) == {"name": "bidi_control_character"}, hex(ord(control))


def test_bidi_controls_in_operator_and_address_are_listed_with_their_paths(client, admin) -> None:
    data = site_data(113.26, 35.25, address="测试路\u202e1号")
    data["operator"]["name"] = "\u2067测试公司"
    body = assert_problem(client.post("/api/v1/sites", json=data, headers=admin), 422, "bidi_control_character")
    assert paths_of(body) == {"address": "bidi_control_character", "operator.name": "bidi_control_character"}


@pytest.mark.parametrize(
    ("method", "url", "data", "path"),
    [
        ("POST", f"/api/v1/inspections/{INSPECTION_ID}/return", {"comment": "请补拍\u202e照片"}, "comment"),
        ("POST", f"/api/v1/inspections/{INSPECTION_ID}/penalties/recompute", {"reason": "\u2066x"}, "reason"),
        ("PATCH", "/api/v1/users/1", {"display_name": "王\u202d五"}, "display_name"),
        ("PUT", f"/api/v1/inspections/{INSPECTION_ID}", {"answers": {"a": {"text": "\u2069"}}}, "answers.a.text"),
    ],
)
def test_bidi_controls_in_free_text_are_422(
    client, admin, method: str, url: str, data: dict[str, Any], path: str
) -> None:
    body = assert_problem(client.open(url, method=method, json=data, headers=admin), 422, "bidi_control_character")
    assert paths_of(body) == {path: "bidi_control_character"}


def test_nul_in_a_site_name_is_422_not_500(client, admin) -> None:
    body = assert_problem(
        client.post("/api/v1/sites", json=site_data(113.26, 35.25, name="工\x00地"), headers=admin),
        422,
        "control_character",
    )
    assert paths_of(body) == {"name": "control_character"}


def test_tabs_and_newlines_in_free_text_are_accepted(client, admin, geo) -> None:
    response = client.post(
        "/api/v1/sites", json=site_data(113.26, 35.25, address="测试路 1 号\n东门\t北侧"), headers=admin
    )
    assert response.status_code == 201, response.get_json()


# --- 2. the JSON content type ---------------------------------------------------------------------------


def test_form_encoded_penalty_settings_are_415_and_leave_the_policy_alone(client, session, admin) -> None:
    sync_penalty_rules(session)
    session.commit()
    url = "/api/v1/penalties/settings/410811"
    assert (
        client.put(url, json={"policy": {"construction_dust_basis": "air_law_115"}}, headers=admin).status_code == 200
    )
    response = client.put(url, data={"policy": "x"}, headers=admin)
    assert_problem(response, 415, "unsupported_media_type")
    got = client.get(url, headers=admin).get_json()
    assert got["effective"]["policy"]["construction_dust_basis"] == "air_law_115"


def test_patch_site_with_a_non_json_body_is_415_and_changes_nothing(client, session, admin, geo) -> None:
    site_id = make_site(session, 113.26, 35.25).id
    session.commit()
    response = send(
        client,
        "PATCH",
        f"/api/v1/sites/{site_id}",
        '{"name": "新名称"}',
        {**admin, "If-Match": '"1"'},
        content_type="text/plain",
    )
    assert_problem(response, 415, "unsupported_media_type")
    site = client.get(f"/api/v1/sites/{site_id}", headers=admin).get_json()
    assert site["name"] == "测试工地" and site["version"] == 1


NOT_JSON = ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data", "application/xml", None]


@pytest.mark.parametrize(("method", "url"), JSON_ENDPOINTS)
def test_every_json_endpoint_requires_the_json_content_type(client, admin, method: str, url: str) -> None:
    for content_type in NOT_JSON:
        response = client.open(
            url,
            method=method,
            data=b'{"reason": "x"}' if content_type else b"",
            headers=admin,
            content_type=content_type,
        )
        assert_problem(response, 415, "unsupported_media_type")


def test_json_with_a_charset_parameter_is_accepted(client, session) -> None:
    make_user(session, "someone", "inspector", [])
    session.commit()
    response = send(
        client,
        "POST",
        "/api/v1/auth/token",
        json.dumps({"username": "someone", "password": "correct-horse-battery"}),
        content_type="application/json; charset=utf-8",
    )
    assert response.status_code == 200, response.get_json()


def test_photo_uploads_still_take_raw_bytes(client, admin) -> None:
    # Not a JSON endpoint: the content-type rule does not reach it (it answers on its own terms, never 415 JSON).
    response = client.put(
        f"/api/v1/photos/{INSPECTION_ID}", data=b"not an image", headers=admin, content_type="image/jpeg"
    )
    assert response.status_code != 415
    assert response.status_code < 500


# --- 3. unknown query parameters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/inspections?state=submitted", "state"),
        ("/api/v1/inspections?limit=5&bogus=1", "bogus"),
        ("/api/v1/sites?kinds=construction_site", "kinds"),
        ("/api/v1/sites/1?verbose=1", "verbose"),
        ("/api/v1/audit?action=site.create", "action"),
        ("/api/v1/penalties/rules?jurisdiction_code=410811", "jurisdiction_code"),
        ("/api/v1/sites/1/checklist?level=orange", "level"),
        ("/api/v1/geo/locate?lon=113.2&lat=35.2&x=1", "x"),
        ("/api/v1/geo/jurisdictions.geojson?bogus=1", "bogus"),
        ("/api/v1/geo/zones.geojson?bogus=1", "bogus"),
        ("/api/v1/jobs?state=failed", "state"),
    ],
)
def test_unknown_query_parameter_is_422_naming_it(client, admin, url: str, param: str) -> None:
    body = assert_problem(client.get(url, headers=admin), 422, "validation_failed")
    assert paths_of(body)[param] == "unknown_field"


def test_known_query_parameters_still_work(client, admin) -> None:
    assert client.get("/api/v1/inspections?limit=5", headers=admin).status_code == 200
    assert client.get("/api/v1/sites?limit=5&kind=construction_site", headers=admin).status_code == 200


# --- more hostile bodies against every JSON endpoint -----------------------------------------------------


def test_a_json_body_beyond_its_own_limit_is_413_before_parsing(client, app) -> None:
    limit = app.config["JSON_MAX_BODY_BYTES"]
    assert limit < app.config["MAX_CONTENT_LENGTH"]
    body = '{"username": "' + "x" * limit + '", "password": "x"}'
    assert_problem(send(client, "POST", "/api/v1/auth/token", body), 413, "payload_too_large")


def test_numbers_beyond_any_column_are_422_naming_them(client) -> None:
    text = '{"username": 1e400, "password": -' + "9" * 60 + ', "x": [1.5, 12345678901234567890]}'
    body = assert_problem(send(client, "POST", "/api/v1/auth/token", text), 422, "number_out_of_range")
    assert paths_of(body) == {"username": "number_out_of_range", "password": "number_out_of_range"}


HOSTILE_BODIES = [
    ("huge exponent", '{"reason": 1e999}', 422, "number_out_of_range"),
    ("negative huge exponent", '{"reason": -1e999}', 422, "number_out_of_range"),
    ("five thousand digits", '{"reason": ' + "9" * 5000 + "}", 422, "number_out_of_range"),
    ("NaN", '{"reason": NaN}', 400, "invalid_json"),
    ("Infinity", '{"reason": -Infinity}', 400, "invalid_json"),
    ("duplicate keys", '{"reason": "a", "reason": "b"}', 422, "duplicate_key"),
    ("empty body", "", 400, "invalid_json"),
    ("only whitespace", "  \n", 400, "invalid_json"),
    ("truncated", '{"reason": "a"', 400, "invalid_json"),
    ("trailing garbage", '{"reason": "a"} x', 400, "invalid_json"),
    ("invalid UTF-8", b'{"reason": "\xff\xfe"}', 422, "invalid_unicode"),
    ("lone surrogate", '{"reason": "\\udc80"}', 422, "invalid_unicode"),
    ("surrogate key", '{"\\ud800": 1}', 422, "invalid_unicode"),
    ("bidi key", '{"a\u202eb": 1}', 422, "bidi_control_character"),
    ("deep", "[" * 5000 + "]" * 5000, 422, "json_too_deep"),
]


NOT_AN_OBJECT = ["[]", '[{"reason": "x"}]', '"text"', "42", "null", "true"]


@pytest.mark.parametrize(("method", "url"), JSON_ENDPOINTS)
def test_hostile_json_bodies_are_clean_4xx_before_the_view(client, admin, method: str, url: str) -> None:
    # One test per endpoint (a login per test is the expensive part); every body is refused before the view,
    # so no id in the URL needs to exist.
    for name, text, status, code in HOSTILE_BODIES:
        response = send(client, method, url, text, admin)
        assert (response.status_code, response.content_type) == (status, PROBLEM), name
        assert response.get_json()["code"] == code, name
    for text in NOT_AN_OBJECT:
        response = send(client, method, url, text, admin)
        assert (response.status_code, response.content_type) == (422, PROBLEM), text
        assert response.get_json()["code"] == "validation_failed", text
