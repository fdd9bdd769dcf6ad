"""A small PostgreSQL cluster of its own, for tests that stop and start the database.

The session-wide cluster keeps serving every other test; these tests stop, restart and starve only this one.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade

from app.config import TestConfig
from app.extensions import db
from app.factory import create_app
from scripts.localpg import APP_ROLE, LocalCluster
from tests.factories import issue_tokens, make_tree, make_user

DATABASE = "lantian_outage"
USERNAME = "outage.inspector"


@contextmanager
def dedicated_cluster() -> Iterator[LocalCluster]:
    """A throwaway cluster in a temporary folder, always stopped and removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="lantian-outage-pg-"))
    base.chmod(0o711)  # the cluster runs as the unprivileged postgres user when we are root
    cluster = LocalCluster(base / "pg", fast_unsafe=True)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def migrated_app(cluster: LocalCluster, data_dir: Path, **settings: object) -> Flask:
    """An app on ``cluster``'s database (migrated on first use), with ``settings`` over TestConfig."""
    # Migrated by the owner role, served as the runtime role, as in production (app/db_roles.py).
    config = TestConfig(cluster.ensure_database(DATABASE), str(data_dir), owner_url=cluster.owner_url_for(DATABASE))
    for key, value in settings.items():
        setattr(config, key, value)
    application = create_app(config)
    with application.app_context():
        upgrade(revision="heads")
    return application


def seed_user(application: Flask) -> dict[str, str]:
    """The jurisdiction tree and one inspector; returns the inspector's tokens."""
    with application.app_context():
        make_tree(db.session)
        make_user(db.session, USERNAME, "inspector", ["410811"])
        db.session.commit()
        return issue_tokens(db.session, USERNAME)


def terminate_app_connections(cluster: LocalCluster) -> int:
    """What an administrator's ``pg_terminate_backend`` does to every connection of the app role, waiting (up to
    5 s each) until each backend has exited: the signal alone returns before a busy machine's backend has closed its
    socket, and a request checking a connection out in that instant meets it alive and dies with its first
    statement (503) — the race a real administrator's kill can also hit, not the behaviour this models."""
    with cluster.connect() as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            " WHERE usename = %s AND pid <> pg_backend_pid()",
            (APP_ROLE,),
        ).fetchall()
    return len(rows)
