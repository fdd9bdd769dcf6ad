"""The nginx front of ``make run``: slow clients cannot starve others, and its own errors are problems too.

Everything runs on loopback against nginx + gunicorn (2 workers × 4 threads) + the test run's PostGIS,
started by the same functions as ``make run``.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import socket
import threading
import time
import uuid
from pathlib import Path

from PIL import Image
from sqlalchemy import text

from app.config import max_request_body_bytes
from tests.e2e.conftest import Front
from tests.factories import PASSWORD, make_user

LOOPBACK = "127.0.0.1"
SLOW_CLIENTS = 200
SLOW_SECONDS = 10
NORMAL_REQUESTS = 100
MIB = 1024 * 1024


def _request(
    front: Front,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(LOOPBACK, front.port, timeout=timeout)
    try:
        conn.request(method, path, body, headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def _raw(front: Front, head: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send a raw request head; parse the answer (the front closes or answers before any body)."""
    with socket.create_connection((LOOPBACK, front.port), timeout=30) as sock:
        sock.sendall(head)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def _assert_problem(status: int, headers: dict[str, str], body: bytes, expected_status: int, code: str) -> None:
    assert status == expected_status, body[:300]
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == expected_status
    assert problem["code"] == code
    assert problem["type"].endswith(code)
    assert problem["title"] and problem["message_zh"] and problem["message_en"]
    assert "/" not in headers.get("server", "")  # no version


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the listening TCP sockets on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


# ============================================================================ slow clients


class SlowClients:
    """``count`` raw connections that each send one byte per second and never finish their request.

    Half trickle a request head (the front ends those after its header timeout), half send a complete head
    announcing a body and trickle the body (the front holds those while bytes keep coming).
    """

    def __init__(self, port: int, count: int) -> None:
        self.socks: list[socket.socket] = []
        self.connected = 0
        self.alive_after: dict[int, int] = {}  # second -> connections still accepting bytes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._pending: list[bytes] = []
        for i in range(count):
            s = socket.socket()
            s.settimeout(5)
            try:
                s.connect((LOOPBACK, port))
            except OSError:
                s.close()
                continue
            self.connected += 1
            if i % 2:
                s.sendall(
                    b"POST /api/v1/auth/token HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 100000\r\n\r\n"
                )
                self._pending.append(b"{")
            else:
                self._pending.append(b"GET /readyz HTTP/1.1\r\nHost: slow\r\nX-Slow: " + b"a" * 10000)
            s.setblocking(False)
            self.socks.append(s)

    def __enter__(self) -> SlowClients:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for s in self.socks:
            s.close()

    def _trickle(self) -> None:
        open_ = [True] * len(self.socks)
        second = 0
        while not self._stop.is_set():
            for i, s in enumerate(self.socks):
                if not open_[i]:
                    continue
                data = self._pending[i]
                byte = data[second % len(data) :][:1] if len(data) > 1 else b"a"
                try:
                    s.send(byte)
                except OSError:
                    open_[i] = False
            second += 1
            self.alive_after[second] = sum(open_)
            self._stop.wait(1.0)


def test_slow_clients_from_one_host_do_not_starve_other_clients(front: Front) -> None:
    with SlowClients(front.port, SLOW_CLIENTS) as slow:
        ok, failures = 0, []
        started = time.monotonic()
        for i in range(NORMAL_REQUESTS):
            try:
                # an answer later than 10 s counts as a failure (bare gunicorn: 77 of 100 within 5 s)
                status, _, _ = _request(front, "GET", "/readyz", timeout=10)
                ok += status == 200
                if status != 200:
                    failures.append(status)
            except OSError as exc:
                failures.append(repr(exc))
            # spread the requests over the slow clients' lifetime
            time.sleep(max(0.0, started + (i + 1) * SLOW_SECONDS / NORMAL_REQUESTS - time.monotonic()))
        held = dict(slow.alive_after)
    rate = ok / NORMAL_REQUESTS
    print(
        f"\nslow clients connected {slow.connected}/{SLOW_CLIENTS}, still sending after 5 s: {held.get(5)}; "
        f"normal client {ok}/{NORMAL_REQUESTS} ok ({rate:.0%})"
    )
    assert slow.connected == SLOW_CLIENTS  # the front took every slow connection ...
    assert held.get(5, 0) >= SLOW_CLIENTS * 0.9  # ... and held them while the normal client was served
    assert rate >= 0.99, failures


# ============================================================================ the front's own errors


def test_oversized_body_gets_a_problem_from_the_front(front: Front) -> None:
    too_big = max_request_body_bytes() + 1
    head = (
        f"PUT /api/v1/photos/{uuid.uuid4()} HTTP/1.1\r\nHost: test\r\nContent-Type: image/jpeg\r\n"
        f"Content-Length: {too_big}\r\n\r\n"
    ).encode()
    _assert_problem(*_raw(front, head), 413, "payload_too_large")


def test_over_long_url_gets_a_problem_from_the_front(front: Front) -> None:
    _assert_problem(*_request(front, "GET", "/api/v1/sites?q=" + "x" * 9000), 414, "uri_too_long")


def test_over_long_header_gets_a_problem_from_the_front(front: Front) -> None:
    _assert_problem(
        *_request(front, "GET", "/healthz", headers={"X-Big": "x" * 9000}), 431, "request_header_fields_too_large"
    )


def test_unparseable_request_gets_a_problem_from_the_front(front: Front) -> None:
    _assert_problem(*_raw(front, b"GET /healthz HTTP/1.1\r\nHost: test\r\nBroken header\r\n\r\n"), 400, "bad_request")


def test_requests_within_the_fronts_limits_reach_the_app(front: Front) -> None:
    """gunicorn's own defaults (4094-byte request line, 100 headers) would refuse these in plain text."""
    status, headers, body = _request(front, "GET", "/api/v1/no-such-thing?q=" + "x" * 6000)
    assert status == 404 and headers["content-type"] == "application/problem+json"
    assert json.loads(body)["request_id"] == headers["x-request-id"]  # the app's problem, not the front's
    many = {f"X-Extra-{i}": "1" for i in range(150)}
    assert _request(front, "GET", "/healthz", headers=many)[0] == 200


def test_front_binds_loopback_by_default(front: Front) -> None:
    assert front.nginx.host == "127.0.0.1"
    assert _listening_addresses(front.port) == {"0100007F"}  # 127.0.0.1, and nothing else


def test_front_hides_its_version(front: Front) -> None:
    _, headers, _ = _request(front, "GET", "/healthz")
    assert "/" not in headers.get("server", "")


# ============================================================================ photos through the front


def _padded_jpeg(size: int) -> bytes:
    """A valid JPEG of exactly ``size`` bytes (a small image padded with comment segments)."""
    buffer = io.BytesIO()
    Image.radial_gradient("L").resize((800, 600)).convert("RGB").save(buffer, "JPEG", quality=90)
    image = buffer.getvalue()
    missing = size - len(image)
    count = -(-missing // 65537)  # a segment is 4 bytes of marker and length, then at most 65533 bytes
    totals = [missing // count + (i < missing % count) for i in range(count)]
    segments = [b"\xff\xfe" + (t - 2).to_bytes(2, "big") + b"\0" * (t - 4) for t in totals]
    data = image[:2] + b"".join(segments) + image[2:]
    assert len(data) == size
    return data


def _login(front: Front, username: str) -> str:
    status, _, body = _request(
        front,
        "POST",
        "/api/v1/auth/token",
        json.dumps({"username": username, "password": PASSWORD}).encode(),
        {"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"},
    )
    assert status == 200, body
    return json.loads(body)["access_token"]


def test_photo_of_the_largest_size_and_a_resumable_upload_pass_the_front(front: Front, session, tree) -> None:  # noqa: ANN001
    make_user(session, "front.inspector", "inspector", ["410811"])
    session.commit()
    auth = {"Authorization": f"Bearer {_login(front, 'front.inspector')}"}

    # one PUT of a photo of exactly MAX_UPLOAD_BYTES, then its original read back through the front
    photo = _padded_jpeg(20 * MIB)
    headers = {**auth, "Content-Type": "image/jpeg", "X-Content-SHA256": hashlib.sha256(photo).hexdigest()}
    photo_id = uuid.uuid4()
    status, _, body = _request(front, "PUT", f"/api/v1/photos/{photo_id}", photo, headers)
    assert status == 201, body[:500]
    status, _, body = _request(front, "GET", f"/api/v1/photos/{photo_id}/original", headers=auth)
    assert status == 200 and body == photo

    # a resumable upload in two chunks
    other = _padded_jpeg(3 * MIB)
    path = f"/api/v1/photos/{uuid.uuid4()}/uploads"
    status, answer, _ = _request(front, "POST", path, headers=auth)
    assert status == 201 and answer["upload-offset"] == "0"
    chunk = {
        **auth,
        "Content-Type": "application/offset+octet-stream",
        "X-Content-SHA256": hashlib.sha256(other).hexdigest(),
    }
    status, answer, body = _request(front, "PATCH", path, other[:MIB], {**chunk, "Upload-Offset": "0"})
    assert status == 204 and answer["upload-offset"] == str(MIB), body
    status, _, body = _request(
        front, "PATCH", path, other[MIB:], {**chunk, "Upload-Offset": str(MIB), "Upload-Complete": "?1"}
    )
    assert status == 201, body

    # the app saw the client's address as the front reported it, not one the client claimed
    ips = set(session.execute(text("SELECT DISTINCT ip FROM audit_log WHERE request_id IS NOT NULL")).scalars())
    assert ips == {LOOPBACK}


def test_an_export_passes_the_front_unbuffered_with_its_own_read_timeout(front: Front, session, tree) -> None:  # noqa: ANN001
    # No row cap: an XLSX sends nothing until its workbook is closed (minutes at 1 M rows), so exports have their
    # own location; nginx accepts it and the workbook arrives whole.
    make_user(session, "front.supervisor", "supervisor", ["410811"])
    session.commit()
    auth = {"Authorization": f"Bearer {_login(front, 'front.supervisor')}"}
    status, _, body = _request(front, "GET", "/api/v1/exports/inspections.xlsx", headers=auth)
    assert status == 200 and body.startswith(b"PK")
    status, _, body = _request(front, "GET", "/api/v1/exports/inspections.csv", headers=auth)
    assert status == 200 and body.startswith("\ufeff".encode())
    config = front.nginx.config_path.read_text(encoding="utf-8")
    exports = config[config.index("location ^~ /api/v1/exports/") :]
    exports = exports[: exports.index("}")]
    assert "proxy_buffering off;" in exports and "proxy_read_timeout 1800s;" in exports
