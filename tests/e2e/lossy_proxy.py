"""A lossy loopback HTTP proxy, a real gunicorn, and a phone that retries (stdlib only; 127.0.0.1 only).

``LossyProxy`` sits between a client and a server. For every accepted connection it decides, from a seeded
``random.Random`` (so a run is reproducible), one of:

- ``forward``  – pass the request on and the whole response back;
- ``drop``     – read the request, then close without forwarding it (the server never sees it);
- ``lost``     – forward the request, wait for the server's COMPLETE response (the server has committed),
                 then close without returning a byte of it ("response lost after commit");
- ``truncate`` – forward the request, wait for the complete response, return only a prefix of it.

One request per connection: the client must send ``Connection: close`` and a ``Content-Length`` body
(no chunked uploads), and the server closes after answering, which marks the end of the response.
The proxy handles at most ``max_connections`` connections and is stopped with ``close()``.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"
MODES = ("forward", "drop", "lost", "truncate")
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


# ============================================================================ proxy


@dataclass
class ConnectionRecord:
    index: int
    mode: str
    request_line: str = ""
    head: str = ""  # request line and headers as received
    upstream_status: int | None = None  # status the server answered (None: not forwarded / unreadable)
    sent_bytes: int = 0  # response bytes given to the client
    forced: bool = False  # mode set by a guarantee rather than drawn


def _read_request(sock: socket.socket) -> bytes:
    """One HTTP/1.1 request (headers + Content-Length body) from ``sock``; b"" if the client went away."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
        if len(data) > 1 << 20:
            raise ValueError("request head too large")
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"transfer-encoding":
            raise ValueError("chunked requests are not supported by the lossy proxy")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(min(1 << 20, length - len(body)))
        if not chunk:
            return b""
        body += chunk
    return head + b"\r\n\r\n" + body


def _read_until_eof(sock: socket.socket) -> bytes:
    parts = []
    while True:
        try:
            chunk = sock.recv(1 << 20)
        except ConnectionResetError:
            break
        if not chunk:
            break
        parts.append(chunk)
    return b"".join(parts)


def _status_of(response: bytes) -> int | None:
    try:
        return int(response.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


class LossyProxy:
    """Loopback proxy with seeded, per-connection loss (see module docstring)."""

    def __init__(
        self,
        upstream_port: int,
        *,
        seed: int,
        weights: Mapping[str, float],
        guarantee: Iterable[tuple[Callable[[str], bool], str]] = (),
        max_connections: int = 1000,
        timeout: float = 30.0,
    ) -> None:
        """``guarantee``: (predicate on the request head, mode) pairs; the first request whose head matches
        and that drew ``forward`` gets ``mode`` instead (once per pair), so every loss mode is sure to hit
        the requests that matter whatever the seed draws."""
        unknown = (set(weights) | {m for _, m in guarantee}) - set(MODES)
        if unknown:
            raise ValueError(f"unknown modes {unknown}")
        self._guarantee = list(guarantee)
        self.upstream = (LOOPBACK, upstream_port)
        self._rng = random.Random(seed)
        self._modes = list(weights)
        self._weights = [weights[m] for m in self._modes]
        self.max_connections = max_connections
        self.timeout = timeout
        self.records: list[ConnectionRecord] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server((LOOPBACK, 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept_loop, name="lossy-proxy", daemon=True)
        self._acceptor.start()

    # ---------------------------------------------------------------- public

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(r.mode for r in self.records)

    def close(self) -> None:
        self._stop.set()
        self._acceptor.join(timeout=5)
        self._listener.close()
        for t in list(self._threads):
            t.join(timeout=self.timeout)

    def __enter__(self) -> LossyProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- internals

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                if len(self.records) >= self.max_connections:
                    break
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            with self._lock:
                # Drawn in accept order: with one sequential client the sequence of modes is reproducible.
                record = ConnectionRecord(len(self.records), self._rng.choices(self._modes, self._weights)[0])
                cut_fraction = self._rng.random()
                self.records.append(record)
            t = threading.Thread(target=self._serve, args=(client, record, cut_fraction), daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, client: socket.socket, record: ConnectionRecord, cut_fraction: float) -> None:
        client.settimeout(self.timeout)
        try:
            request = _read_request(client)
            record.head = request.partition(b"\r\n\r\n")[0].decode("latin-1")
            record.request_line = record.head.split("\r\n", 1)[0]
            with self._lock:
                if record.mode == "forward":
                    for i, (matches, mode) in enumerate(self._guarantee):
                        if matches(record.head):
                            record.mode = mode
                            record.forced = True
                            del self._guarantee[i]
                            break
            if not request or record.mode == "drop":
                return
            with socket.create_connection(self.upstream, timeout=self.timeout) as upstream:
                upstream.sendall(request)
                upstream.shutdown(socket.SHUT_WR)
                response = _read_until_eof(upstream)
            record.upstream_status = _status_of(response)
            if record.mode == "forward":
                out = response
            elif record.mode == "truncate" and len(response) > 1:
                out = response[: 1 + int(cut_fraction * (len(response) - 1))]  # 1 .. len-1 bytes
            else:  # lost
                out = b""
            client.sendall(out)
            record.sent_bytes = len(out)
        except OSError as exc:
            with self._lock:
                self.errors.append(f"#{record.index} {record.mode} {record.request_line}: {exc!r}")
        finally:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            client.close()


# ============================================================================ gunicorn


@dataclass
class Gunicorn:
    port: int
    env: dict[str, str]
    log_path: Path


@contextmanager
def running_gunicorn(
    env: Mapping[str, str], log_path: Path, *, workers: int = 2, threads: int = 4, startup_timeout: float = 30.0
) -> Iterator[Gunicorn]:
    """A real gunicorn (gthread) on 127.0.0.1:<free port>; always terminated (SIGTERM, then SIGKILL)."""
    port = free_port()
    full_env = {**os.environ, **env}
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [
            str(REPO / ".venv" / "bin" / "gunicorn"),
            "wsgi:app",
            "--bind",
            f"{LOOPBACK}:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--no-control-socket",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}: {log_path.read_text(errors='replace')}")
            try:
                conn = http.client.HTTPConnection(LOOPBACK, port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
                conn.close()
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer /healthz: {log_path.read_text(errors='replace')}")
            time.sleep(0.1)
        yield Gunicorn(port, dict(env), log_path)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # our own process group (start_new_session)
                proc.wait(timeout=5)
        log.close()


# ============================================================================ the phone


class GaveUp(AssertionError):
    pass


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any  # parsed JSON (every endpoint the phone uses answers JSON)

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")


@dataclass
class Phone:
    """A scripted phone speaking plain ``http.client``: every request is retried with the SAME method, path,
    headers and body until a definitive answer arrives (any 2xx/4xx whose JSON body arrived whole)."""

    port: int
    max_tries: int = 20
    timeout: float = 15.0
    token: str | None = None
    tries: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> Answer:
        sent = {"Connection": "close", "Accept": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            sent["Content-Length"] = str(len(body))
        for attempt in range(1, self.max_tries + 1):
            self.tries[f"{method} {path}"] += 1
            conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=self.timeout)
            try:
                conn.request(method, path, body=body, headers=sent)
                resp = conn.getresponse()
                raw = resp.read()  # IncompleteRead when the body is cut short of Content-Length
                if resp.status >= 500:
                    raise OSError(f"server error {resp.status}")
                parsed = json.loads(raw) if raw else None  # a cut head leaves no/partial body: not JSON
                if parsed is None:
                    raise ValueError("empty body")
                return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, parsed)
            except (OSError, http.client.HTTPException, ValueError) as exc:
                self.failures.append(f"{method} {path} try {attempt}: {type(exc).__name__}: {exc}")
                time.sleep(0.01)
            finally:
                conn.close()
        raise GaveUp(f"{method} {path}: no definitive answer after {self.max_tries} tries")

    def json(self, method: str, path: str, payload: Any = None, headers: Mapping[str, str] | None = None) -> Answer:
        body = None if payload is None else json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        extra = {"Content-Type": "application/json"} if body is not None else {}
        return self.request(method, path, body=body, headers={**extra, **(headers or {})})

    def login(self, username: str, password: str) -> None:
        answer = self.json("POST", "/api/v1/auth/token", {"username": username, "password": password})
        assert answer.status == 200, answer.body
        self.token = answer.body["access_token"]
