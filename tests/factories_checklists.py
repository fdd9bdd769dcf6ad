"""Builders for checklist tests: a private copy of the catalogue to edit, syncing, and sites in zones."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.checklists.files import DEFAULT_CHECKLISTS_DIR, load_catalogue, load_checklist_file
from app.checklists.sync import SyncReport, sync_checklists
from app.jurisdictions.services import get_jurisdiction_by_code

# A 1 km square in 山阳区 (WGS-84) used as the zone polygon; sites inside / outside it.
ZONE_BOX = (113.24, 35.21, 113.25, 35.22)
INSIDE = (113.245, 35.215)
OUTSIDE = (113.30, 35.26)


def catalogue_copy(tmp_path: Path) -> Path:
    """A private, editable copy of checklists/ (data, schema, sources, penalties, site kinds)."""
    target = tmp_path / "checklists"
    shutil.copytree(DEFAULT_CHECKLISTS_DIR, target)
    return target


def checklist_path(checklists_dir: Path, key: str) -> Path:
    for path in sorted(checklists_dir.glob("*.yaml")):
        if path.name != "site_kinds.yaml" and load_checklist_file(path).get("key") == key:
            return path
    raise LookupError(key)


def edit_checklist(checklists_dir: Path, key: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Load checklist ``key`` from the copy, apply ``change`` to its data, write it back; returns the new data."""
    path = checklist_path(checklists_dir, key)
    doc = load_checklist_file(path)
    change(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_checklist_file(path)


def sync(session: Session, checklists_dir: Path | str = DEFAULT_CHECKLISTS_DIR) -> SyncReport:
    report = sync_checklists(session, checklists_dir)
    session.commit()
    return report


def make_zone(
    session: Session,
    kind: str,
    *,
    code: str | None = None,
    bounds: tuple[float, float, float, float] = ZONE_BOX,
    jurisdiction_code: str = "410811",
) -> Any:
    from app.zones.models import Zone

    zone = Zone(
        code=code or f"T-{kind}",
        kind=kind,
        name_zh=f"测试{kind}",
        jurisdiction_id=get_jurisdiction_by_code(session, jurisdiction_code).id,
        geom=from_shape(MultiPolygon([box(*bounds)]), srid=4326),
    )
    session.add(zone)
    session.flush()
    _rederive_memberships(session)
    return zone


def make_site(
    session: Session,
    kind: str,
    attributes: dict[str, Any],
    *,
    at: tuple[float, float] = INSIDE,
    jurisdiction_code: str = "410811001",
    name: str = "测试场所",
) -> Any:
    """A site stored directly (jurisdiction given, zone membership derived by PostGIS like the geo feature does)."""
    from app.sites.models import Site

    site = Site(
        kind=kind,
        name=name,
        operator_type="company",
        operator_name="测试公司",
        attributes=attributes,
        geom=from_shape(Point(*at), srid=4326),
        jurisdiction_id=get_jurisdiction_by_code(session, jurisdiction_code).id,
    )
    session.add(site)
    session.flush()
    _rederive_memberships(session)
    return site


def _rederive_memberships(session: Session) -> None:
    session.execute(text("DELETE FROM site_zones"))
    session.execute(
        text(
            "INSERT INTO site_zones (site_id, zone_id) SELECT s.id, z.id FROM sites s JOIN zones z "
            "ON ST_Intersects(z.geom, s.geom)"
        )
    )
    session.flush()


@cache
def _shipped_versions() -> dict[str, str]:
    return {doc["key"]: str(doc["version"]) for doc in load_catalogue(DEFAULT_CHECKLISTS_DIR)}


def shipped_version(key: str) -> str:
    """The version string of a shipped checklist file (tests must not pin it: data gets corrected)."""
    return _shipped_versions()[key]
