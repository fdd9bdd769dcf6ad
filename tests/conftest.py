"""Test fixtures: a throwaway PostGIS cluster for the whole run, schema built by the migrations.

Isolation: every test starts from empty tables. After each test the tables are
truncated by the cluster's superuser with triggers disabled (the audit log's
append-only trigger refuses TRUNCATE to everyone else). Truncation rather than
savepoint rollback because several tests need real commits from parallel
requests (idempotent PUTs under concurrent retries).

Layers: every test gets one marker by its folder (``unit``, ``e2e``; ``integration`` for
tests/integration, tests/api and the tests directly in tests/), so ``pytest -m unit`` and
the ``make test-unit|test-integration|test-e2e`` targets pick one layer.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.config import TestConfig
from app.factory import create_app
from scripts.localpg import LocalCluster

KEEP_TABLES = {"alembic_version", "spatial_ref_sys"}
TESTS_DIR = Path(__file__).resolve().parent
LAYER_BY_FOLDER = {"unit": "unit", "integration": "integration", "api": "integration", "e2e": "e2e"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its layer, from the folder it lives in (tests/*.py: integration)."""
    for item in items:
        try:
            top = Path(item.path).resolve().relative_to(TESTS_DIR).parts[0]
        except ValueError:  # not under tests/
            continue
        item.add_marker(getattr(pytest.mark, LAYER_BY_FOLDER.get(top, "integration")))


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[LocalCluster]:
    base = Path(tempfile.mkdtemp(prefix="lantian-pg-"))
    base.chmod(0o711)  # the cluster runs as the unprivileged postgres user when we are root
    cluster = LocalCluster(base / "pg", fast_unsafe=True)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(pg_cluster: LocalCluster) -> str:
    return pg_cluster.ensure_database("lantian_test")


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="lantian-data-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def app(database_url: str, data_dir: Path) -> Iterator[Flask]:
    from flask_migrate import upgrade

    application = create_app(TestConfig(database_url, str(data_dir)))
    with application.app_context():
        upgrade(revision="heads")
    yield application


def _truncate_tables(cluster: LocalCluster, application: Flask) -> None:
    from app.extensions import db

    with application.app_context():
        db.session.remove()
    with cluster.connect("lantian_test") as conn:
        tables = [
            r[0]
            for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
            if r[0] not in KEEP_TABLES
        ]
        if tables:
            conn.execute("SET session_replication_role = replica")
            conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    _truncate_tables(request.getfixturevalue("pg_cluster"), request.getfixturevalue("app"))


@pytest.fixture()
def truncate_tables(pg_cluster: LocalCluster, app: Flask) -> Callable[[], None]:
    """Empty every table now, as after each test (the session of the test's app context is discarded, so
    its open transaction does not block TRUNCATE: commit first)."""
    from flask import has_app_context

    from app.extensions import db

    def truncate() -> None:
        if has_app_context():
            db.session.remove()
        _truncate_tables(pg_cluster, app)

    return truncate


@pytest.fixture()
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app


@pytest.fixture()
def session(app_ctx: Flask):  # noqa: ANN201
    """The app's SQLAlchemy session inside an app context (tests commit like an entry point)."""
    from app.extensions import db

    yield db.session
    db.session.rollback()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def tree(session):  # noqa: ANN001, ANN201
    """The demo jurisdiction tree: 河南省 → 焦作市 → 山阳区 (+ sub-districts), 博爱县, 孟州市."""
    from tests.factories import make_tree

    codes = make_tree(session)
    session.commit()
    return codes
