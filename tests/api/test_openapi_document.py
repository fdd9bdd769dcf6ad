"""The OpenAPI document says what the service sends: problem+json errors, real image types, real bodies."""

from __future__ import annotations

from typing import Any

import pytest

from app.api import PROBLEM_MIMETYPE
from tests.factories import bearer, issue_tokens, make_user
from tests.factories_photos import new_id, photo_bytes, put_photo, sha256_hex, temporary_photo_store

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns on some sample EXIF

PROBLEM = {"schema": {"$ref": "#/components/schemas/Problem"}}
PHOTO = "derived__gps_fractional_seconds.jpg"


@pytest.fixture()
def spec(client) -> dict[str, Any]:
    return client.get("/api/openapi.json").get_json()


@pytest.fixture()
def inspector(client, session, tree) -> dict[str, str]:
    make_user(session, "sun.qi", "inspector", ["410811"])
    session.commit()
    return bearer(issue_tokens(session, "sun.qi"))


@pytest.fixture()
def store(app, tmp_path):
    with temporary_photo_store(app, tmp_path / "photos") as s:
        yield s


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


def test_original_bytes_are_documented_as_the_image_types_served(spec, client, inspector, store) -> None:
    documented = spec["paths"]["/api/v1/photos/{photo_id}/original"]["get"]["responses"]["200"]["content"]
    assert "application/octet-stream" not in documented
    assert {"image/jpeg", "image/png", "image/webp", "image/heic"} <= set(documented)
    pid = new_id()
    assert put_photo(client, inspector, pid, photo_bytes(PHOTO)).status_code == 201
    served = client.get(f"/api/v1/photos/{pid}/original", headers=inspector)
    assert served.mimetype in documented


def test_starting_a_resumable_upload_answers_json_as_documented(spec, client, inspector, store) -> None:
    documented = spec["paths"]["/api/v1/photos/{photo_id}/uploads"]["post"]["responses"]
    for status in ("200", "201"):
        assert documented[status]["content"] == {
            "application/json": {"schema": {"$ref": "#/components/schemas/UploadStatus"}}
        }
        assert {"Upload-Offset", "Location"} <= set(documented[status]["headers"])
    data, pid = photo_bytes(PHOTO), new_id()
    start = client.post(f"/api/v1/photos/{pid}/uploads", headers=inspector)
    assert start.status_code == 201 and start.mimetype == "application/json"
    assert start.get_json() == {"photo_id": pid, "offset": 0}
    assert start.headers["Upload-Offset"] == "0"
    chunk = client.patch(
        f"/api/v1/photos/{pid}/uploads",
        data=data[:1000],
        headers={**inspector, "Upload-Offset": "0", "X-Content-SHA256": sha256_hex(data)},
    )
    assert chunk.status_code == 204
    resumed = client.post(f"/api/v1/photos/{pid}/uploads", headers=inspector)
    assert resumed.status_code == 200 and resumed.get_json() == {"photo_id": pid, "offset": 1000}
    assert resumed.headers["Upload-Offset"] == "1000"
