"""Debian's Chromium driven by Playwright for the browser tests of the console and the inspector app.

Nothing downloads a browser: Playwright's Python package brings only its driver, and the browser is the
``chromium`` Debian package that ``make test``'s setup installs. As root, Chromium needs ``--no-sandbox``; the
background-networking flags keep it from calling home on a closed network.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
)

# Where the browser tests write their screenshots (README: "Screenshots"); var/ is never committed.
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def chromium_path() -> str | None:
    """The system Chromium (``LANTIAN_CHROMIUM`` overrides), or None when it is not installed."""
    configured = os.environ.get("LANTIAN_CHROMIUM")
    if configured:
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot_path(name: str) -> Path:
    """A file under SCREENSHOT_DIR for one named screenshot (the folder is made on first use)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR / f"{name}.png"
