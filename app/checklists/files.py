"""The checklist files under ``checklists/``: where they are, and reading them into plain JSON data.

Pure module (no Flask, no SQLAlchemy). YAML dates stay strings, so the data read from a file equals the
JSON served to phones (and hashed; see ``canonical.content_hash``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHECKLISTS_DIR = REPO_ROOT / "checklists"
SCHEMA_PATH = DEFAULT_CHECKLISTS_DIR / "schema" / "checklist.schema.json"
SITE_KINDS_FILE = "site_kinds.yaml"
CHECKLIST_SUFFIXES = (".yaml", ".yml", ".json")
NON_CHECKLIST_FILES = {SITE_KINDS_FILE}


class _NoDatesLoader(yaml.SafeLoader):
    """SafeLoader that keeps ``2018-10-01`` as a string so the file data equals the served JSON."""


_NoDatesLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_data(path: str | Path) -> Any:
    """A YAML or JSON data file as plain JSON-compatible data (YAML dates kept as strings)."""
    text = Path(path).read_text(encoding="utf-8")
    if Path(path).suffix == ".json":
        return json.loads(text)
    return yaml.load(text, Loader=_NoDatesLoader)  # noqa: S506 - SafeLoader subclass


def load_checklist_file(path: str | Path) -> dict[str, Any]:
    """Read one checklist file (YAML or JSON) into plain JSON-compatible data."""
    data = load_data(Path(path))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a checklist file must hold one mapping")
    return data


def checklist_files(checklists_dir: str | Path) -> list[Path]:
    """Checklist files directly under ``checklists_dir`` (sub-folders hold schema, seeds and penalties)."""
    root = Path(checklists_dir)
    return sorted(
        p
        for p in root.iterdir()
        if p.is_file() and p.suffix in CHECKLIST_SUFFIXES and p.name not in NON_CHECKLIST_FILES
    )


def load_catalogue(checklists_dir: str | Path = DEFAULT_CHECKLISTS_DIR) -> list[dict[str, Any]]:
    """All checklists, sorted by key (not validated: call ``validation.validate_catalogue`` for that)."""
    docs = [load_checklist_file(p) for p in checklist_files(checklists_dir)]
    return sorted(docs, key=lambda d: str(d.get("key", "")))


def load_schema(path: str | Path = SCHEMA_PATH) -> dict[str, Any]:
    """The checklist JSON Schema (draft 2020-12)."""
    schema: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return schema
