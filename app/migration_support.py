"""What Alembic should compare: our tables, not PostGIS's own, with geoalchemy2's spatial-index handling."""

from __future__ import annotations

from typing import Any

from geoalchemy2 import alembic_helpers

# Tables that PostGIS owns, never ours to migrate.
POSTGIS_TABLES = {"spatial_ref_sys", "layer", "topology"}


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if type_ == "table" and name in POSTGIS_TABLES:
        return False
    return bool(alembic_helpers.include_object(obj, name, type_, reflected, compare_to))
