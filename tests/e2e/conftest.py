"""A real gunicorn on loopback for the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.lossy_proxy import Gunicorn, running_gunicorn


@pytest.fixture(scope="package")
def server(app, database_url: str, data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    """gunicorn on 127.0.0.1 against the run's database (the ``app`` fixture ran the migrations)."""
    env = {
        "DATABASE_URL": database_url,
        "LANTIAN_DATA_DIR": str(data_dir),
        "SECRET_KEY": app.config["SECRET_KEY"],
        "LOG_LEVEL": "WARNING",
    }
    with running_gunicorn(env, tmp_path_factory.mktemp("gunicorn") / "gunicorn.log") as g:
        yield g
