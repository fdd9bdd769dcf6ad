"""``make bench``: measure the API on a real gunicorn + PostGIS and print the figures.

Compare with ../shared/PERFORMANCE.md (floors measured on this kind of machine). Each
scenario is bounded in request count and time; traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import uuid

from bench.harness import Result, Server, load, running_server


def scenarios(server: Server) -> list[Result]:
    token = server.login("demo.inspector", "lantian-demo-2026")
    auth = {"Authorization": f"Bearer {token}"}
    results = [
        load(server, "GET /healthz (no database)", lambda i: ("GET", "/healthz", None, {})),
        load(server, "GET /api/v1/me (token + session check)", lambda i: ("GET", "/api/v1/me", None, auth)),
    ]

    status, headers, body = server.request("GET", "/api/v1/checklists", headers=auth)
    if status == 200:
        index = json.loads(body)
        items = index["items"] if isinstance(index, dict) and "items" in index else index
        key = max(items, key=lambda c: len(json.dumps(c)))["key"]
        path = f"/api/v1/checklists/{key}"
        status, headers, body = server.request("GET", path, headers=auth)
        etag = headers.get("ETag") or headers.get("etag")
        print(f"checklist {key}: {len(body)} bytes, ETag {etag}")
        results.append(load(server, f"GET checklist {key} (200, full body)", lambda i: ("GET", path, None, auth)))
        results.append(
            load(
                server,
                f"GET checklist {key} (304, If-None-Match)",
                lambda i: ("GET", path, None, auth | {"If-None-Match": etag or ""}),
            )
        )
        results.append(
            load(
                server, f"GET checklist {key} (gzip)", lambda i: ("GET", path, None, auth | {"Accept-Encoding": "gzip"})
            )
        )

    near = "/api/v1/sites?near=113.25,35.22&radius_m=3000&limit=20"
    if server.request("GET", near, headers=auth)[0] == 200:
        results.append(load(server, "GET sites near a point (3 km, 20 nearest)", lambda i: ("GET", near, None, auth)))

    photo = _photo_bytes()
    digest = hashlib.sha256(photo).hexdigest()
    probe = f"/api/v1/photos/{uuid.uuid4()}"
    photo_headers = auth | {"Content-Type": "image/jpeg", "X-Content-SHA256": digest}
    if server.request("PUT", probe, photo, photo_headers)[0] in (200, 201):
        results.append(
            load(
                server,
                f"PUT photo, new uuid each ({len(photo) // 1024} KiB JPEG, same bytes)",
                lambda i: ("PUT", f"/api/v1/photos/{uuid.uuid4()}", photo, photo_headers),
                total=300,
            )
        )
        results.append(
            load(
                server,
                "PUT photo, same uuid retried (idempotent)",
                lambda i: ("PUT", probe, photo, photo_headers),
                total=300,
            )
        )
    return results


def _photo_bytes() -> bytes:
    """A 12-megapixel JPEG made with Pillow (the size of a phone photo)."""
    from PIL import Image

    image = Image.radial_gradient("L").resize((4000, 3000)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def main() -> int:
    with running_server() as server:
        print(f"gunicorn on 127.0.0.1:{server.port} (2 workers × 4 threads), PostGIS local cluster\n")
        for result in scenarios(server):
            print(result.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
