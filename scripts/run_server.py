"""``make run``: local PostGIS (unless DATABASE_URL is set), migrations, checklists, demo data, gunicorn
behind the buffering nginx front (``scripts/front.py``), and the job worker (``flask jobs worker``: photo
derivatives, periodic upkeep).

Runs in the foreground; the worker is supervised (restarted with a backoff if it dies). Ctrl-C or SIGTERM
stops the front, gunicorn and the worker, then the local cluster.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from app.config import max_request_body_bytes
from scripts.front import NginxFront
from scripts.localpg import LocalCluster

REPO = Path(__file__).resolve().parent.parent


def flask(*args: str, env: dict[str, str]) -> None:
    subprocess.run([str(REPO / ".venv" / "bin" / "flask"), *args], cwd=REPO, env=env, check=True)


def main() -> int:
    env = dict(os.environ)
    data_dir = Path(env.get("LANTIAN_DATA_DIR", REPO / "var")).resolve()
    env["LANTIAN_DATA_DIR"] = str(data_dir)
    cluster = None
    if not env.get("DATABASE_URL"):
        cluster = LocalCluster(data_dir / "pg")
        print(f"starting the local PostGIS cluster in {cluster.base} …", flush=True)
        cluster.start()
        cluster.ensure_database()
    try:
        # `flask db upgrade` connects as the owner role (DATABASE_OWNER_URL; locally lantian_owner) and grants
        # the runtime role; everything after it, gunicorn included, connects as the runtime role (DATABASE_URL;
        # locally lantian_app), which owns nothing (app/db_roles.py).
        flask("db", "upgrade", "heads", env=env)
        for command in BOOT_COMMANDS:
            flask(*command, env=env)
        front, server = start_serving(env, data_dir)
        print_banner(front.host, front.port)

        # Background jobs (photo derivatives after the upload is acknowledged) run in this process.
        worker = Supervised([str(REPO / ".venv" / "bin" / "flask"), "jobs", "worker"], env=env)
        worker.start()

        def forward(signum: int, _frame: object) -> None:
            worker.stop()
            front.terminate()
            server.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        try:
            return server.wait()
        finally:
            front.stop()
            worker.stop()
            worker.join()
    finally:
        if cluster is not None:
            print("stopping the local PostGIS cluster …", flush=True)
            cluster.stop()


class Supervised:
    """A child process kept running: restarted when it exits, after a backoff that doubles (1 s … 30 s)
    while it keeps dying young; ``stop`` sends SIGTERM and waits (SIGKILL after 30 s)."""

    MIN_BACKOFF, MAX_BACKOFF, HEALTHY_AFTER = 1.0, 30.0, 60.0

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.argv, self.env = argv, env
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.RLock()  # stop() also runs in a signal handler, maybe inside join()
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        backoff = self.MIN_BACKOFF
        while not self._stopping.is_set():
            with self._lock:
                if self._stopping.is_set():
                    return
                self.process = subprocess.Popen(self.argv, cwd=REPO, env=self.env)
            started = time.monotonic()
            code = self.process.wait()
            if self._stopping.is_set():
                return
            backoff = self.MIN_BACKOFF if time.monotonic() - started > self.HEALTHY_AFTER else backoff
            print(f"{self.argv[-2]} {self.argv[-1]} exited with {code}; restarting in {backoff:.0f} s", flush=True)
            if self._stopping.wait(backoff):
                return
            backoff = min(backoff * 2, self.MAX_BACKOFF)

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)

    def join(self) -> None:
        with self._lock:
            process = self.process
        if process is not None:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._thread.join(timeout=5)


# Run on every start, each idempotent.
BOOT_COMMANDS: list[tuple[str, ...]] = [
    ("penalties", "sync"),
    ("checklists", "sync"),
    ("demo", "load"),
    ("demo", "cases"),
]


def front_for(env: Mapping[str, str], data_dir: Path) -> NginxFront:
    """The nginx front on HOST:PORT (127.0.0.1:8000 unless set), its files under ``<data folder>/front``."""
    return NginxFront(
        data_dir / "front",
        host=env.get("HOST", "127.0.0.1"),
        port=int(env.get("PORT", "8000")),
        max_body_bytes=max_request_body_bytes(env),
    )


# gunicorn answers only the front, whose limits are stricter (8 KiB request and header lines): these keep
# gunicorn's own plain-text 400/414/431 out of every client's sight.
APP_SERVER_LIMITS = [
    "--limit-request-line",
    "8190",
    "--limit-request-fields",
    "32768",
    "--limit-request-field_size",
    "16384",
]


# gunicorn's default, with the client address the front reports (the peer is always the front).
ACCESS_LOG_FORMAT = '%({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'


def app_server_command(env: Mapping[str, str], socket_path: Path, wsgi_app: str = "wsgi:app") -> list[str]:
    """gunicorn (gthread) on the unix socket the front proxies to (``wsgi_app``: the bench serves its floors)."""
    return [
        str(REPO / ".venv" / "bin" / "gunicorn"),
        wsgi_app,
        "--bind",
        f"unix:{socket_path}",
        "--workers",
        env.get("WEB_CONCURRENCY", "4"),
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--no-control-socket",
        "--timeout",
        "60",
        "--graceful-timeout",
        "20",
        *APP_SERVER_LIMITS,
    ]


def start_app_server(
    env: Mapping[str, str], socket_path: Path, *, access_log: str = "-", wsgi_app: str = "wsgi:app", **popen: object
) -> subprocess.Popen[bytes]:
    """Start gunicorn behind the front; the app takes the client address from the front's X-Forwarded-For."""
    socket_path.unlink(missing_ok=True)  # left by a killed run
    access = ["--access-logfile", access_log, "--access-logformat", ACCESS_LOG_FORMAT]
    return subprocess.Popen(
        [*app_server_command(env, socket_path, wsgi_app), *access],
        cwd=REPO,
        env={**env, "TRUST_PROXY_HEADERS": "1"},
        **popen,
    )  # type: ignore[call-overload]


def start_serving(
    env: Mapping[str, str], data_dir: Path, *, access_log: str = "-", wsgi_app: str = "wsgi:app", **popen: object
) -> tuple[NginxFront, subprocess.Popen[bytes]]:
    """gunicorn on its socket, then the front before it; nothing left running if either fails to start."""
    front = front_for(env, data_dir)
    front.prepare()
    server = start_app_server(env, front.upstream_socket, access_log=access_log, wsgi_app=wsgi_app, **popen)
    try:
        wait_for_socket(server, front.upstream_socket)
        front.start()
    except BaseException:
        server.terminate()
        server.wait()
        raise
    return front, server


def wait_for_socket(server: subprocess.Popen[bytes], socket_path: Path, timeout: float = 60.0) -> None:
    """Until gunicorn listens on ``socket_path``."""
    deadline = time.monotonic() + timeout
    while not socket_path.is_socket():
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        if time.monotonic() > deadline:
            server.terminate()
            raise SystemExit(f"gunicorn did not listen on {socket_path}")
        time.sleep(0.05)


def print_banner(host: str, port: int) -> None:
    from app.demo.seed import DEMO_PASSWORD, DEMO_USERS

    print(f"\n蓝天巡查 Lantian is starting on http://{host}:{port}  (docs: /api/docs)")
    if host not in ("127.0.0.1", "::1", "localhost"):
        print(f"WARNING: HOST={host} serves the network, and the demo accounts below with it.")
    print("DEMO ONLY — these accounts exist for local trials; never use them in production:")
    for username, role, codes, _ in DEMO_USERS:
        print(f"  {username:24s} {role:11s} jurisdictions {','.join(codes):10s} password {DEMO_PASSWORD}")
    print(flush=True)


if __name__ == "__main__":
    sys.exit(main())
