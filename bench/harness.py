"""Benchmark harness: a real gunicorn + PostGIS on loopback, bounded request loops, printed figures.

Nothing here asserts speed; it measures and prints. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import gzip
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
SERVER_LOG = REPO / "var" / "bench" / "lantian-server.log"


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


def _run_or_explain(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command[1:])} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")


@dataclass
class Bench:
    """What ``make run`` runs (nginx front → gunicorn → PostGIS, the job worker) and the floor app beside it."""

    lantian: Server
    floor: Server
    env: dict[str, str]
    data_dir: Path


@contextmanager
def running_bench(web_concurrency: str = "2") -> Iterator[Bench]:
    """A throwaway PostGIS cluster (or DATABASE_URL), migrations as the owner, the boot commands of ``make run``,
    then Lantian served exactly as ``make run`` serves it, and the floors (bench/floors.py) through the same
    front and gunicorn configuration on another port."""
    from scripts.run_server import BOOT_COMMANDS, start_serving

    base = Path(tempfile.mkdtemp(prefix="lantian-bench-"))
    base.chmod(0o711)  # nginx's workers run as www-data when we are root
    data_dir = base / "data"
    env = dict(
        os.environ,
        LANTIAN_DATA_DIR=str(data_dir),
        LOG_LEVEL="WARNING",
        LOGIN_MAX_FAILURES_PER_IP="100000",
        WEB_CONCURRENCY=web_concurrency,
    )
    cluster = None
    if not env.get("DATABASE_URL"):
        cluster = LocalCluster(base / "pg", fast_unsafe=False)  # durable settings, as in production
        cluster.start()
        env["DATABASE_URL"] = cluster.ensure_database("lantian_bench")
        env["DATABASE_OWNER_URL"] = cluster.owner_url_for("lantian_bench")
    flask = str(REPO / ".venv" / "bin" / "flask")
    stack: list[Callable[[], None]] = []
    try:
        _run_or_explain([flask, "db", "upgrade", "heads"], env)
        for command in BOOT_COMMANDS:
            _run_or_explain([flask, *command], env)
        lantian = stack_lantian(stack, env, data_dir)
        floor_dir = base / "floor"
        floor_dir.mkdir()
        floor_env = dict(
            env,
            PORT=str(free_port()),
            FLOOR_DIR=str(floor_dir),
            DATABASE_URL=env["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://"),
        )
        floor_front, floor_server = start_serving(
            floor_env,
            base / "floor-serving",
            access_log="/dev/null",
            wsgi_app="bench.floors:app",
            stdout=subprocess.DEVNULL,
        )
        stack.append(lambda: _stop(floor_front, floor_server))
        bench = Bench(lantian, Server(floor_front.port, floor_env), env, data_dir)
        for s in (bench.lantian, bench.floor):
            _wait_ready(s)
        yield bench
    finally:
        for stop in reversed(stack):
            stop()
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def stack_lantian(stack: list[Callable[[], None]], env: dict[str, str], data_dir: Path) -> Server:
    """Start Lantian as ``make run`` serves it (front, gunicorn, the job worker) on a free port; each stop is
    pushed on ``stack`` (the caller runs them in reverse)."""
    from scripts.run_server import Supervised, start_serving

    lantian_env = dict(env, PORT=str(free_port()))
    # The server's own log (errors with their traceback) is kept: a 5xx seen by the bench must be explainable.
    SERVER_LOG.parent.mkdir(parents=True, exist_ok=True)
    log = SERVER_LOG.open("wb")
    front, server = start_serving(lantian_env, data_dir, access_log="/dev/null", stdout=log, stderr=log)
    stack.append(log.close)
    stack.append(lambda: _stop(front, server))
    worker = Supervised([str(REPO / ".venv" / "bin" / "flask"), "jobs", "worker"], env=env)
    worker.start()
    stack.append(lambda: (worker.stop(), worker.join()))
    return Server(front.port, lantian_env, server.pid)


@contextmanager
def running_lantian(env: dict[str, str], data_dir: Path) -> Iterator[Server]:
    """Lantian served as ``make run`` serves it, on a database already migrated and filled (``env``)."""
    stack: list[Callable[[], None]] = []
    try:
        server = stack_lantian(stack, env, data_dir)
        _wait_ready(server)
        yield server
    finally:
        for stop in reversed(stack):
            stop()


def _stop(front: object, server: subprocess.Popen[bytes]) -> None:
    front.stop()  # type: ignore[attr-defined]
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def _wait_ready(server: Server) -> None:
    for _ in range(200):
        try:
            if server.request("GET", "/healthz")[0] in (200, 404):
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"bench: nothing answers on 127.0.0.1:{server.port}")


@dataclass
class Result:
    name: str
    concurrency: int
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        lat = sorted(self.latencies_ms)
        return lat[min(len(lat) - 1, int(len(lat) * q))] if lat else float("nan")

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")


Flow = Callable[[http.client.HTTPConnection, int], int]


def request_flow(make_request: Callable[[int], tuple[str, str, bytes | None, dict[str, str]]]) -> Flow:
    """One request per iteration, as ``make_request(i)`` describes it; the flow returns its status. A gzipped
    answer is decompressed, as the browser or phone that asked for it would (its cost is the client's)."""

    def flow(conn: http.client.HTTPConnection, i: int) -> int:
        method, path, body, headers = make_request(i)
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        if resp.getheader("Content-Encoding") == "gzip":
            gzip.decompress(data)
        return resp.status

    return flow


def load(
    server: Server,
    name: str,
    flow: Flow,
    *,
    concurrency: int = 8,
    total: int = 2000,
    max_seconds: float = 10.0,
) -> Result:
    """Run ``flow`` ``total`` times over ``concurrency`` keep-alive connections (bounded in count and time).

    A flow may make several requests (create, then submit); its latency is the whole flow's. The status
    counted is the flow's last one.
    """
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
            t0 = time.perf_counter()
            try:
                status = flow(conn, i)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = server.connection()
                status = 0
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(dt)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Result(name, concurrency, len(latencies), time.perf_counter() - started, latencies, statuses)
