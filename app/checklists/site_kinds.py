"""``checklists/site_kinds.yaml``: site kinds with their attribute schemas, zone kinds and alert levels.

Pure module (no Flask, no SQLAlchemy). The file is owned by the checklist feature (conditions read site
attributes by these names); the sites feature validates site attributes against it. Callers pass the
checklists folder they were configured with (``CHECKLISTS_DIR``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from app.checklists.files import DEFAULT_CHECKLISTS_DIR, SITE_KINDS_FILE, load_data


def site_kinds_path(checklists_dir: str | Path = DEFAULT_CHECKLISTS_DIR) -> Path:
    """Where ``site_kinds.yaml`` lives in a checklists folder."""
    return Path(checklists_dir) / SITE_KINDS_FILE


@lru_cache(maxsize=8)
def _load_site_kinds_cached(path: str, mtime: float) -> dict[str, Any]:
    data: dict[str, Any] = load_data(Path(path))
    return data


def load_site_kinds(path: str | Path | None = None) -> dict[str, Any]:
    """The whole file (``kinds``, ``zones``, ``alert_levels``), re-read only when it changes."""
    p = Path(path) if path is not None else site_kinds_path()
    return _load_site_kinds_cached(str(p), p.stat().st_mtime)
