"""A real gunicorn on loopback for the end-to-end tests, alone or behind the nginx front of ``make run``."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from scripts.front import NginxFront
from scripts.run_server import start_serving
from tests.e2e.browser import CHROMIUM_FLAGS, chromium_path
from tests.e2e.lossy_proxy import Gunicorn, free_port, running_gunicorn


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


@dataclass
class Front:
    """``make run``'s serving pair on loopback: the nginx front and the gunicorn behind it."""

    nginx: NginxFront
    gunicorn_log: Path

    @property
    def port(self) -> int:
        return self.nginx.port


@pytest.fixture(scope="package")
def front(app, database_url: str, data_dir: Path) -> Iterator[Front]:
    """nginx + gunicorn started by the functions ``make run`` uses (HOST left unset: the default bind)."""
    if shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin") is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light): it is the front of make run")
    base = Path(tempfile.mkdtemp(prefix="lantian-front-"))
    base.chmod(0o711)  # nginx's workers run as www-data when we are root
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LANTIAN_DATA_DIR": str(data_dir),
        "SECRET_KEY": app.config["SECRET_KEY"],
        "LOG_LEVEL": "WARNING",
        "PORT": str(free_port()),
        "WEB_CONCURRENCY": "2",
    }
    env.pop("HOST", None)
    log_path = base / "gunicorn.log"
    with log_path.open("wb") as log:
        nginx, gunicorn = start_serving(env, base, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield Front(nginx, log_path)
        finally:
            nginx.stop()
            gunicorn.send_signal(signal.SIGTERM)
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(gunicorn.pid, signal.SIGKILL)  # our own process group (start_new_session)
                gunicorn.wait(timeout=5)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    """One headless Debian Chromium for the browser tests; each test opens its own context (fresh storage).

    Package-scoped: Playwright's sync API keeps an asyncio loop running in the main thread while it is open,
    and later tests that call ``asyncio.run()`` (the job worker's) would fail if it outlived tests/e2e."""
    executable = chromium_path()
    if executable is None:
        pytest.fail("Chromium is not installed (apt-get install chromium): make test's setup installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=list(CHROMIUM_FLAGS))
        try:
            yield browser
        finally:
            browser.close()
