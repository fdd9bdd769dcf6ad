"""The OpenAPI document says what the service sends: problem+json errors, real image types, real bodies."""
from __future__ import annotations

from typing import Any

import pytest

from app.api import PROBLEM_MIMETYPE

PROBLEM = {"schema": {"$ref": "#/components/schemas/Problem"}}


@pytest.fixture()
def spec(client) -> dict[str, Any]:
    return client.get("/api/openapi.json").get_json()


def _resolve(spec: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    ref = response.get("$ref")
    return spec["components"]["responses"][ref.rsplit("/", 1)[-1]] if ref else response


def _operations(spec: dict[str, Any]):  # noqa: ANN202
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield f"{method.upper()} {path}", operation


def test_every_error_response_is_documented_as_problem_json(spec) -> None:
    wrong = []
    for name, operation in _operations(spec):
        for status, response in operation["responses"].items():
            if status == "default" or status[0] in "45":
                content = _resolve(spec, response).get("content")
                if content != {PROBLEM_MIMETYPE: PROBLEM}:
                    wrong.append(f"{name} {status}: {content}")
    assert not wrong, "\n".join(wrong)
    for name, component in spec["components"]["responses"].items():
        if "content" in component:
            assert component["content"] == {PROBLEM_MIMETYPE: PROBLEM}, name

