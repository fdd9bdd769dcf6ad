"""Every error is application/problem+json with a stable code and zh/en messages; no HTML, no traces."""

from __future__ import annotations

import pytest
from flask import Flask

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.content_type == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(code)
    for key in ("title", "detail", "message_zh", "message_en", "title_zh"):
        assert body[key], key
    assert "Traceback" not in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True).lower()
    return body


def test_unknown_url_is_404_problem(client) -> None:
    assert_problem(client.get("/api/v1/does-not-exist"), 404, "not_found")


def test_wrong_method_is_405_problem_with_allow_header(client) -> None:
    response = client.delete("/api/v1/auth/token")
    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_oversized_body_is_413_problem(client, app) -> None:
    body = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert_problem(response, 413, "payload_too_large")


def test_non_json_body_is_415_or_422_problem(client) -> None:
    response = client.post("/api/v1/auth/token", data="username=a", content_type="text/plain")
    assert response.status_code in (415, 422)
    assert response.content_type == PROBLEM


def test_validation_error_lists_field_paths_in_both_languages(client) -> None:
    body = assert_problem(client.post("/api/v1/auth/token", json={"username": 5}), 422, "validation_failed")
    paths = {e["path"]: e for e in body["errors"]}
    assert set(paths) == {"username", "password"}
    assert paths["password"]["message_zh"] == "缺少必填字段。"
    assert paths["password"]["message_en"] == "Missing data for required field."


def test_unexpected_exception_is_500_problem_without_trace(app: Flask) -> None:
    # A throwaway route on a copy of the app config that raises: the client sees a bare 500 problem.
    from app.config import TestConfig
    from app.factory import create_app

    other = create_app(TestConfig(app.config["SQLALCHEMY_DATABASE_URI"], app.config["DATA_DIR"]))

    @other.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    response = other.test_client().get("/boom")
    body = assert_problem(response, 500, "internal_error")
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert body["request_id"]


def test_every_response_carries_a_request_id(client) -> None:
    assert client.get("/healthz").headers["X-Request-ID"]
    echoed = client.get("/healthz", headers={"X-Request-ID": "phone-abc-12345"})
    assert echoed.headers["X-Request-ID"] == "phone-abc-12345"


@pytest.mark.parametrize("bad_id", ["short", "has spaces in it!!", "x" * 100])
def test_unsafe_request_ids_are_replaced(client, bad_id: str) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": bad_id}).headers["X-Request-ID"] != bad_id


def test_an_id_beyond_the_database_integer_range_is_404_not_500(client) -> None:
    response = client.get("/api/v1/users/10000000000000")
    assert response.status_code in (401, 404)  # no route matches, before authentication
    assert response.content_type == "application/problem+json"


def test_a_query_number_beyond_bigint_is_422(client, session, tree) -> None:
    from tests.factories import bearer, issue_tokens, make_user

    make_user(session, "admin.wang", "admin", ["410000"])
    session.commit()
    response = client.get(
        "/api/v1/audit?before_id=177744187011355707429978374144", headers=bearer(issue_tokens(session, "admin.wang"))
    )
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
