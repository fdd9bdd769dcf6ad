"""``make run``: local PostGIS (unless DATABASE_URL is set), migrations, checklists, demo data, gunicorn
and the photo derivative worker (``flask photos worker``).

Runs in the foreground; Ctrl-C or SIGTERM stops gunicorn and then the local cluster.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
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

        # Photo derivatives are made after the upload is acknowledged, by this process.
        worker = subprocess.Popen([str(REPO / ".venv" / "bin" / "flask"), "photos", "worker"], cwd=REPO, env=env)

        def forward(signum: int, _frame: object) -> None:
            server.send_signal(signal.SIGTERM)
            worker.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        try:
            return server.wait()
        finally:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    finally:
        if cluster is not None:
            print("stopping the local PostGIS cluster …", flush=True)
            cluster.stop()


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
