"""A project-managed PostgreSQL + PostGIS cluster under a data folder.

Used by ``make run`` (a persistent cluster in ``var/pg``) and by the test run
(a throwaway cluster in a temporary folder). The server listens on a unix
socket inside the folder only (no TCP), so nothing outside this machine can
reach it. PostgreSQL refuses to run as root, so as root the cluster is owned
by and run as the unprivileged ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

# Two roles (see README, "Database roles"): the owner runs the migrations and owns every table, function and
# trigger; the application connects as the runtime role, which only gets the DML the migrations grant it.
OWNER_ROLE = "lantian_owner"
APP_ROLE = "lantian_app"
APP_DATABASE = "lantian"
# The single role of clusters made before the split; its objects are handed to OWNER_ROLE.
LEGACY_ROLE = "lantian"


def find_bindir() -> Path:
    """The newest /usr/lib/postgresql/N/bin that has initdb, else the one on PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise SystemExit("PostgreSQL server binaries not found (initdb). Install: apt-get install postgresql postgis")


class LocalCluster:
    def __init__(self, base: Path, *, fast_unsafe: bool = False) -> None:
        self.base = Path(base).resolve()
        self.data = self.base / "data"
        self.run = self.base / "run"
        self.log = self.base / "postgresql.log"
        self.fast_unsafe = fast_unsafe  # tests: fsync off (the data is thrown away)
        self.bindir = find_bindir()
        self.run_as = "postgres" if os.geteuid() == 0 else None

    # -- process helpers -------------------------------------------------
    def _cmd(self, *args: str) -> list[str]:
        if self.run_as:
            return ["runuser", "-u", self.run_as, "--", *args]
        return list(args)

    def _chown(self, path: Path) -> None:
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            os.chown(path, pw.pw_uid, pw.pw_gid)
            for root, dirs, files in os.walk(path):
                os.chown(root, pw.pw_uid, pw.pw_gid)
                for name in dirs + files:
                    os.chown(os.path.join(root, name), pw.pw_uid, pw.pw_gid)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{APP_ROLE}@/{APP_DATABASE}?host={self.run}&port=5432"

    def url_for(self, dbname: str, user: str = APP_ROLE) -> str:
        return f"postgresql+psycopg://{user}@/{dbname}?host={self.run}&port=5432"

    def owner_url_for(self, dbname: str = APP_DATABASE) -> str:
        """URL of the owner role (migrations)."""
        return self.url_for(dbname, OWNER_ROLE)

    def connect(self, dbname: str = "postgres", user: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(host=str(self.run), port=5432, dbname=dbname, user=user, autocommit=True)

    # -- lifecycle -------------------------------------------------------
    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def init(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        self.run.mkdir(exist_ok=True)
        os.chmod(self.base, 0o700)
        self._chown(self.base)
        subprocess.run(
            self._cmd(
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        settings = [
            "listen_addresses = ''",
            f"unix_socket_directories = '{self.run}'",
            "unix_socket_permissions = 0700",
            "port = 5432",
            "timezone = 'UTC'",
            "log_timezone = 'UTC'",
            "max_connections = 100",
        ]
        if self.fast_unsafe:
            settings += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\n# Lantian project-managed cluster\n" + "\n".join(settings) + "\n")

    def running(self) -> bool:
        return (
            subprocess.run(
                self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "status"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ).returncode
            == 0
        )

    def start(self) -> None:
        if not self.initialised():
            self.init()
        if self.running():
            return
        if self.run_as:  # the log file must be writable by the cluster's user
            self.log.touch(exist_ok=True)
            self._chown(self.log)
        subprocess.run(
            self._cmd(
                str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start"
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.initialised() and self.running():
            subprocess.run(
                self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"),
                check=False,
                stdout=subprocess.DEVNULL,
            )

    def ensure_database(self, dbname: str = APP_DATABASE) -> str:
        """Create the owner and runtime roles and the database (owned by the owner) with PostGIS; returns the
        runtime role's SQLAlchemy URL (``owner_url_for`` gives the owner's). The migrations grant the runtime
        role its privileges."""
        for _ in range(50):
            try:
                conn = self.connect()
                break
            except psycopg.OperationalError:
                time.sleep(0.1)
        else:
            raise SystemExit(f"cannot connect to the local cluster; see {self.log}")
        with conn:
            for role in (OWNER_ROLE, APP_ROLE):
                if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
                    conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone() is None:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(dbname), sql.Identifier(OWNER_ROLE))
                )
            legacy = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (LEGACY_ROLE,)).fetchone()
        with self.connect(dbname) as conn:
            # PostGIS is not a trusted extension: the superuser creates it, the roles use it.
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            if legacy is not None:
                # A cluster from before the role split: its one role owned everything; the owner takes over
                # (the database too), and the next `flask db upgrade` grants the runtime role.
                conn.execute(
                    sql.SQL("REASSIGN OWNED BY {} TO {}").format(
                        sql.Identifier(LEGACY_ROLE), sql.Identifier(OWNER_ROLE)
                    )
                )
        return self.url_for(dbname)


def main(argv: list[str]) -> int:
    """``python -m scripts.localpg start|stop|status DIR``."""
    if len(argv) != 3 or argv[1] not in {"start", "stop", "status"}:
        print("usage: python -m scripts.localpg start|stop|status DIR", file=sys.stderr)
        return 2
    cluster = LocalCluster(Path(argv[2]))
    if argv[1] == "start":
        cluster.start()
        print(cluster.ensure_database())
    elif argv[1] == "stop":
        cluster.stop()
    else:
        print("running" if cluster.initialised() and cluster.running() else "stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
