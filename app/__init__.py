"""Lantian (蓝天巡查): field-inspection backend for air-pollution enforcement."""
from __future__ import annotations

from importlib import import_module
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter, Map

from app.config import Config


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` limited to PostgreSQL's integer range."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


# Feature blueprints, registered in this order.
BLUEPRINT_MODULES = (
    "app.auth.routes",
    "app.jurisdictions.routes",
    "app.audit.routes",
    "app.geo.routes",
    "app.sites.routes",
    "app.checklists.routes",
    "app.photos.routes",
    "app.inspections.routes",
    "app.penalties.routes",
)


def create_app(config: object | None = None) -> Flask:
    """Build the application: extensions, blueprints, error handlers, CLI, logging."""
    app = Flask(__name__)
    app.config.from_object(config or Config())
    assert isinstance(app.json, DefaultJSONProvider)  # Flask's own; app.json is typed as the JSONProvider base
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    # Ids are PostgreSQL integers: a larger number in a URL matches no route (404) instead of
    # reaching the database as an out-of-range value.
    app.url_map.converters["int"] = BoundedIntConverter
    register_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    return app


def register_logging(app: Flask) -> None:
    from app.http import configure_logging, register_request_hooks

    configure_logging(app)
    register_request_hooks(app)


def register_extensions(app: Flask) -> None:
    from app.auth.passwords import configure_hasher
    from app.extensions import api, db, migrate

    configure_hasher(app.config.get("PASSWORD_HASH_PARAMETERS"))
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.config.get("MIGRATIONS_DIR") or _migrations_dir()))
    api.init_app(app, spec_kwargs={
        "info": {"description": "蓝天巡查 — 大气污染防治现场检查 API / Lantian field-inspection API. "
                                "All errors are application/problem+json (RFC 9457)."},
    })
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})


def register_blueprints(app: Flask) -> None:
    from app.extensions import api
    from app.health.routes import blp as health_blp

    app.register_blueprint(health_blp)
    for module_name in BLUEPRINT_MODULES:
        api.register_blueprint(import_module(module_name).blp)


def register_commands(app: Flask) -> None:
    from app.cli import register

    register(app)


def _migrations_dir() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / "migrations")
