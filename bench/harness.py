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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scripts.localpg import LocalCluster

if TYPE_CHECKING:
    from scripts.run_server import Supervised

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
    # Where the CPU goes: part ("app", "jobs", "front", "database") → the process whose tree it is.
    parts: Callable[[], dict[str, int]] = lambda: {}

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
def running_bench() -> Iterator[Bench]:
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
        floor_parts = cpu_parts(floor_server.pid, base / "floor-serving", postmaster_pid(env["DATABASE_URL"]))
        bench = Bench(lantian, Server(floor_front.port, floor_env, floor_server.pid, floor_parts), env, data_dir)
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
    parts = cpu_parts(server.pid, data_dir, postmaster_pid(env["DATABASE_URL"]), worker)
    return Server(front.port, lantian_env, server.pid, parts)


def cpu_parts(
    app_pid: int, data_dir: Path, database_pid: int, worker: Supervised | None = None
) -> Callable[[], dict[str, int]]:
    """The parts whose CPU a figure reports: gunicorn (``app_pid``), the job worker (restarted: asked each time),
    PostgreSQL and the nginx front that ``start_serving`` put under ``data_dir``."""
    front_pid = data_dir / "front" / "nginx.pid"

    def parts() -> dict[str, int]:
        found = {"app": app_pid, "database": database_pid}
        if worker is not None and worker.process is not None:
            found["jobs"] = worker.process.pid
        if front_pid.exists():
            found["front"] = int(front_pid.read_text().split()[0])
        return {part: pid for part, pid in found.items() if pid}

    return parts


def postmaster_pid(database_url: str) -> int:
    """The local PostgreSQL's postmaster (the parent of a backend), or 0 when the server is not on this machine."""
    import psycopg  # noqa: PLC0415 — only the bench's CPU accounting needs it here

    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        parent = _process_table()[0].get(backend, 0)  # while the backend lives
    try:
        local = Path(f"/proc/{parent}/comm").read_text().strip() == "postgres"
    except OSError:
        local = False
    return parent if local else 0


def _process_table() -> tuple[dict[int, int], dict[int, float]]:
    """Every process's parent, and the CPU seconds it and its reaped children used (utime + stime + cutime +
    cstime: a backend or a worker that exited is counted in its parent)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        cpu[pid] = sum(int(f) for f in fields[11:15]) / tick
    return parents, cpu


def cpu_seconds(parts: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each part's process tree, and by this process (the client)."""
    parents, cpu = _process_table()
    root_of = {pid: part for part, pid in parts.items()}
    used = dict.fromkeys(parts, 0.0)
    for pid, seconds in cpu.items():
        ancestor = pid
        while ancestor > 1 and ancestor not in root_of:
            ancestor = parents.get(ancestor, 0)
        if ancestor in root_of:
            used[root_of[ancestor]] += seconds
    mine = os.times()
    used["client"] = mine.user + mine.system
    return used


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
    # CPU milliseconds per request by part (app, jobs, front, database, client): all on the same cores, so their
    # sum bounds the rate the machine can reach (cores × 1000 / sum).
    cpu_ms: dict[str, float] = field(default_factory=dict)

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

    parts = server.parts()
    cpu_before = cpu_seconds(parts)
    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    cpu_after = cpu_seconds(parts)
    per_request = {
        part: round((cpu_after[part] - cpu_before[part]) * 1000 / max(len(latencies), 1), 2) for part in cpu_after
    }
    return Result(name, concurrency, len(latencies), seconds, latencies, statuses, per_request)
