"""``make run``: local PostGIS (unless DATABASE_URL is set), migrations, checklists, demo data, gunicorn
and the job worker (``flask jobs worker``: photo derivatives, periodic upkeep).

Runs in the foreground; the worker is supervised (restarted with a backoff if it dies). Ctrl-C or SIGTERM
stops gunicorn and the worker, then the local cluster.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

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
        port = env.get("PORT", "8000")
        print_banner(port)
        workers = env.get("WEB_CONCURRENCY", "4")
        server = subprocess.Popen(
            [str(REPO / ".venv" / "bin" / "gunicorn"), "wsgi:app", "--bind", f"0.0.0.0:{port}",
             "--workers", workers, "--worker-class", "gthread", "--threads", "4", "--reuse-port",
             "--no-control-socket", "--timeout", "60", "--access-logfile", "-"],
            cwd=REPO, env=env)

        # Background jobs (photo derivatives after the upload is acknowledged) run in this process.
        worker = Supervised([str(REPO / ".venv" / "bin" / "flask"), "jobs", "worker"], env=env)
        worker.start()

        def forward(signum: int, _frame: object) -> None:
            worker.stop()
            server.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        try:
            return server.wait()
        finally:
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
]


def print_banner(port: str) -> None:
    from app.demo.seed import DEMO_PASSWORD, DEMO_USERS

    print("\n蓝天巡查 Lantian is starting on http://localhost:%s  (docs: /api/docs)" % port)
    print("DEMO ONLY — these accounts exist for local trials; never use them in production:")
    for username, role, codes, _ in DEMO_USERS:
        print(f"  {username:24s} {role:11s} jurisdictions {','.join(codes):10s} password {DEMO_PASSWORD}")
    print(flush=True)


if __name__ == "__main__":
    sys.exit(main())
