"""The application factory: configuration, extensions, blueprints, commands — every feature wired here."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from functools import partial
from inspect import iscoroutinefunction
from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter, Map

from app import cli
from app.alerts.routes import blp as alerts_blp
from app.audit.routes import blp as audit_blp
from app.auth.passwords import configure_hasher
from app.auth.routes import blp as auth_blp
from app.auth.session_cache import session_cache_from_config
from app.cases.routes import blp as cases_blp
from app.cases.routes import fiscal_blp, tasks_blp
from app.change_notices import change_listener_from_config
from app.checklists.hash_cache import checklist_hash_cache_from_config
from app.checklists.routes import blp as checklists_blp
from app.checklists.versions import checklist_versions_cache_from_config
from app.config import Config
from app.console.routes import register_console
from app.console.session_routes import blp as browser_session_blp
from app.database_outage import register_database_outage_handling
from app.db_liveness import watch_pool
from app.documents.routes import blp as documents_blp
from app.documents.routes import verify_blp
from app.exports.routes import blp as exports_blp
from app.extensions import api, db, migrate
from app.geo.routes import blp as geo_blp
from app.health.routes import blp as health_blp
from app.http import configure_logging, register_database_error_handler, register_request_hooks
from app.inspections import evidence as inspection_evidence
from app.inspections.routes import blp as inspections_blp
from app.inspections.settings import Settings as InspectionSettings
from app.inspector_app.routes import blp as inspector_app_blp
from app.jobs.routes import blp as jobs_blp
from app.jurisdictions.routes import blp as jurisdictions_blp
from app.maplayers.routes import blp as map_layers_blp
from app.maplayers.routes import tiles_blp as map_tiles_blp
from app.penalties.routes import blp as penalties_blp
from app.photos.evidence_links import EvidenceLinks
from app.photos.routes import blp as photos_blp
from app.photos.stores import photo_store_from_config
from app.read_only import ReadOnlyDatabase
from app.reference_cache import reference_cache_from_config
from app.review.routes import blp as review_blp
from app.review.settings import risk_settings
from app.security_headers import register_security_headers
from app.sites.routes import blp as sites_blp
from app.stats.routes import blp as stats_blp
from app.wiring import EXTENSION_KEY, Wiring


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` limited to PostgreSQL's integer range."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


class LantianFlask(Flask):
    """Flask, with ``ensure_sync``'s answer remembered per function.

    Flask asks ``inspect.iscoroutinefunction`` about every hook, view and flask-smorest wrapper it calls: 14
    times per authenticated request, ~7 % of a checklist 304 in process. Whether a function is a
    coroutine function never changes, so it is asked once per function (a bound method by its function:
    MethodView binds a new one per request). Weakly keyed: a callable made per request (an
    ``after_this_request`` closure) is forgotten with it, so the table holds only what is alive.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._is_coroutine: weakref.WeakKeyDictionary[Callable[..., Any], bool] = weakref.WeakKeyDictionary()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        key = getattr(func, "__func__", func)
        try:
            is_coroutine = self._is_coroutine.get(key)
            if is_coroutine is None:
                is_coroutine = self._is_coroutine[key] = iscoroutinefunction(func)
        except TypeError:  # unhashable or not weakly referable: ask every time, as Flask does
            return super().ensure_sync(func)
        return self.async_to_sync(func) if is_coroutine else func


# Feature blueprints of the API, registered (and listed in the OpenAPI document) in this order.
API_BLUEPRINTS = (
    auth_blp,
    browser_session_blp,
    jurisdictions_blp,
    audit_blp,
    geo_blp,
    sites_blp,
    checklists_blp,
    photos_blp,
    inspections_blp,
    penalties_blp,
    review_blp,
    cases_blp,
    tasks_blp,
    fiscal_blp,
    documents_blp,
    verify_blp,
    alerts_blp,
    stats_blp,
    exports_blp,
    map_layers_blp,
    map_tiles_blp,
    jobs_blp,
)


def create_app(config: object | None = None) -> Flask:
    """Build the application: extensions, blueprints, error handlers, CLI, logging."""
    app = LantianFlask(__name__)
    app.config.from_object(config or Config())
    assert isinstance(app.json, DefaultJSONProvider)  # Flask's own; app.json is typed as the JSONProvider base
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    # Ids are PostgreSQL integers: a larger number in a URL matches no route (404) instead of
    # reaching the database as an out-of-range value.
    app.url_map.converters["int"] = BoundedIntConverter
    register_logging(app)
    register_extensions(app)
    register_database_error_handler(app)
    register_database_outage_handling(app)  # after db.init_app: its teardown must run before Flask-SQLAlchemy's
    register_services(app)
    register_blueprints(app)
    register_commands(app)
    return app


def register_logging(app: Flask) -> None:
    configure_logging(app)
    register_request_hooks(app)
    register_security_headers(app)


def register_extensions(app: Flask) -> None:
    configure_hasher(app.config.get("PASSWORD_HASH_PARAMETERS"))
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            watch_pool(engine)
    migrate.init_app(app, db, directory=str(app.config.get("MIGRATIONS_DIR") or _migrations_dir()))
    api.init_app(
        app,
        spec_kwargs={
            "info": {
                "description": "蓝天巡查 — 大气污染防治现场检查 API / Lantian field-inspection API. "
                "All errors are application/problem+json (RFC 9457)."
            },
        },
    )
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})


def register_services(app: Flask) -> None:
    """Settings and adapters handed to services as parameters, and how features answer each other."""
    inspection_settings = InspectionSettings.from_config(app.config)
    listener = change_listener_from_config(app.config)  # one LISTEN connection per process for every cache
    app.extensions[EXTENSION_KEY] = Wiring(
        photo_store=photo_store_from_config(app.config),
        # Photos are evidence in inspections: the photos feature asks the inspections feature for a photo's
        # evidence flags, whether an arriving photo is linked already and what to do then, who else may view it and what its notice
        # copy names.
        photo_evidence=EvidenceLinks(
            flags=inspection_evidence.flags_for_photo,
            on_arrival=partial(inspection_evidence.refresh_flags_for_photo, settings=inspection_settings),
            linked=inspection_evidence.photo_is_linked,
            may_view=inspection_evidence.participant_may_view_photo,
            notice_context=inspection_evidence.watermark_context_for_photo,
        ),
        inspection_settings=inspection_settings,
        risk_settings=risk_settings(app.config, inspection_settings),
        reads=ReadOnlyDatabase.from_config(
            app.config["SQLALCHEMY_DATABASE_URI"], app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
        ),
        session_cache=session_cache_from_config(app.config, listener),
        checklist_hashes=checklist_hash_cache_from_config(app.config, listener),
        checklist_versions=checklist_versions_cache_from_config(app.config, listener),
        reference_cache=reference_cache_from_config(app.config, listener),
    )


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(health_blp)
    app.register_blueprint(inspector_app_blp)  # the inspector app under /app/ (pages, not API)
    for blueprint in API_BLUEPRINTS:
        api.register_blueprint(blueprint)
    register_console(app)


def register_commands(app: Flask) -> None:
    cli.register(app)


def _migrations_dir() -> str:
    return str(Path(__file__).resolve().parent.parent / "migrations")
