"""Benchmark harness: a real gunicorn + PostGIS on loopback, bounded request loops, printed figures.

Nothing here asserts speed; it measures and prints. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scripts.localpg import LocalCluster

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    port: int
    env: dict[str, str]
    pid: int = 0  # gunicorn's master (its workers are its children)

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        conn = self.connection()
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def login(self, username: str, password: str) -> str:
        status, _, body = self.request(
            "POST",
            "/api/v1/auth/token",
            json.dumps({"username": username, "password": password}).encode(),
            {"Content-Type": "application/json"},
        )
        assert status == 200, body
        return json.loads(body)["access_token"]


@contextmanager
def running_server(workers: int = 2, threads: int = 4) -> Iterator[Server]:
    """Throwaway PostGIS cluster (or DATABASE_URL), migrations, demo data, gunicorn on loopback."""
    base = Path(tempfile.mkdtemp(prefix="lantian-bench-"))
    base.chmod(0o711)
    env = dict(os.environ, LANTIAN_DATA_DIR=str(base / "data"), LOG_LEVEL="WARNING", LOGIN_MAX_FAILURES_PER_IP="100000")
    cluster = None
    if not env.get("DATABASE_URL"):
        cluster = LocalCluster(base / "pg", fast_unsafe=False)
        cluster.start()
        env["DATABASE_URL"] = cluster.ensure_database("lantian_bench")
    flask = str(REPO / ".venv" / "bin" / "flask")
    subprocess.run([flask, "db", "upgrade", "heads"], cwd=REPO, env=env, check=True, capture_output=True)
    from scripts.run_server import BOOT_COMMANDS

    for command in BOOT_COMMANDS:
        subprocess.run([flask, *command], cwd=REPO, env=env, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen(
        [
            str(REPO / ".venv" / "bin" / "gunicorn"),
            "wsgi:app",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--reuse-port",
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server(port, env, proc.pid)
    try:
        for _ in range(100):
            try:
                if server.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield server
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]

    def line(self) -> str:
        lat = sorted(self.latencies_ms)
        p50 = statistics.median(lat)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        return (
            f"{self.name:48s} {self.requests / self.seconds:9.0f} req/s   p50 {p50:6.2f} ms   "
            f"p99 {p99:6.2f} ms   statuses {dict(sorted(self.statuses.items()))}"
        )


def load(
    server: Server,
    name: str,
    make_request: Callable[[int], tuple[str, str, bytes | None, dict[str, str]]],
    *,
    total: int = 2000,
    concurrency: int = 8,
    max_seconds: float = 60.0,
) -> Result:
    """Send ``total`` requests over ``concurrency`` keep-alive connections (bounded in count and time)."""
    counter = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        conn = server.connection()
        while time.monotonic() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            method, path, body, headers = make_request(i)
            t0 = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(dt)
                statuses[resp.status] = statuses.get(resp.status, 0) + 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Result(name, len(latencies), time.perf_counter() - started, latencies, statuses)
