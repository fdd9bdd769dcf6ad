"""Answers sent before the body is read must not break the phone's connection."""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import uuid

from PIL import Image

from tests.e2e.lossy_proxy import Gunicorn
from tests.factories import PASSWORD, make_user


def _jpeg(size: tuple[int, int] = (1600, 1200)) -> bytes:
    buffer = io.BytesIO()
    Image.radial_gradient("L").resize(size).convert("RGB").save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def test_repeated_photo_upload_on_one_keepalive_connection(server: Gunicorn, session, tree) -> None:  # noqa: ANN001
    make_user(session, "keep.alive", "inspector", ["410811"])
    session.commit()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request(
        "POST",
        "/api/v1/auth/token",
        json.dumps({"username": "keep.alive", "password": PASSWORD}),
        {"Content-Type": "application/json"},
    )
    token = json.loads(conn.getresponse().read())["access_token"]
    photo = _jpeg()
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "image/jpeg",
        "X-Content-SHA256": hashlib.sha256(photo).hexdigest(),
    }
    path = f"/api/v1/photos/{uuid.uuid4()}"
    statuses = []
    for _ in range(4):  # the first creates; the repeats are answered without needing the body
        conn.request("PUT", path, photo, headers)
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)
    conn.request("GET", "/healthz")
    assert conn.getresponse().status == 200
    assert statuses == [201, 200, 200, 200]
