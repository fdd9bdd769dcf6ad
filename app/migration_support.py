"""What Alembic should compare: our tables, not PostGIS's or procrastinate's, with geoalchemy2's spatial-index handling."""

from __future__ import annotations

from typing import Any

from geoalchemy2 import alembic_helpers

# Tables that PostGIS owns, never ours to migrate.
POSTGIS_TABLES = {"spatial_ref_sys", "layer", "topology"}
# The job queue's tables (procrastinate_jobs, _workers, _events, _periodic_defers) are procrastinate's schema,
# applied from its own SQL by migration 0009: not SQLAlchemy models.
JOB_QUEUE_TABLE_PREFIX = "procrastinate_"


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if type_ == "table" and name in POSTGIS_TABLES:
        return False
    if type_ == "table" and name is not None and name.startswith(JOB_QUEUE_TABLE_PREFIX):
        return False
    return bool(alembic_helpers.include_object(obj, name, type_, reflected, compare_to))
