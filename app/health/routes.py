"""/healthz (process up) and /readyz (database, PostGIS, migrations at head)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import swagger_ui_bundle
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import Blueprint, jsonify, send_from_directory
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from app.database_outage import discard_session, is_database_unavailable, retry_after_seconds
from app.extensions import db

blp = Blueprint("health", __name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


@cache
def migration_heads() -> frozenset[str]:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


@blp.get("/api/docs/assets/<path:filename>")
def docs_assets(filename: str) -> ResponseReturnValue:
    """Swagger UI's files, served by the app so the docs work without reaching a CDN."""
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)


@blp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is up."""
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Ready when the database answers, PostGIS is installed and migrations are at head."""
    checks: dict[str, object] = {}
    ready = True
    try:
        checks["postgres"] = db.session.execute(text("SHOW server_version")).scalar()
        checks["postgis"] = db.session.execute(text("SELECT postgis_lib_version()")).scalar()
        current = set(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())
        heads = migration_heads()
        checks["migrations"] = {"current": sorted(current), "head": sorted(heads), "at_head": current == heads}
        ready = current == heads
    except Exception as exc:  # readiness reports, never raises
        discard_session()
        if is_database_unavailable(exc):
            seconds = retry_after_seconds()
            body = {
                "status": "unavailable",
                "database": "unreachable",
                "error": type(exc).__name__,
                "retry_after": seconds,
            }
            return jsonify(body), 503, {"Retry-After": str(seconds)}
        checks["error"] = type(exc).__name__
        ready = False
    finally:
        discard_session()  # a connection that died since the last check must not make the probe raise
    body = {"status": "ready" if ready else "not_ready", **checks}
    return jsonify(body), (200 if ready else 503)
