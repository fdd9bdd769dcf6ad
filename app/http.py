"""Small HTTP helpers shared by routes: client IP, request ids, JSON logging."""

from __future__ import annotations

import logging
import random
import re
import sys
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask, Request, Response, current_app, g, request
from flask.sessions import NullSession, SessionInterface, SessionMixin
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.exc import DataError

from app.api import render_app_error
from app.context import RequestInfo, set_request_info
from app.database_outage import discard_session
from app.errors import AppError
from app.extensions import db

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
log = logging.getLogger(__name__)
access_log = logging.getLogger("lantian.access")


def new_request_id() -> str:
    """32 random hex digits, like a UUID4's: from the process's PRNG (reseeded in each forked worker), not the
    OS's random source: a request id needs to be unique, not secret, and ``uuid4()``'s system call was ~6 % of an
    authenticated 304."""
    return f"{random.getrandbits(128):032x}"


def client_ip() -> str:
    return _client_ip(request.environ, bool(current_app.config.get("TRUST_PROXY_HEADERS")))


def _client_ip(environ: Mapping[str, Any], trust_proxy_headers: bool) -> str:
    # Read from the WSGI environ: what ``request.headers`` and ``remote_addr`` return, without their layers.
    forwarded = environ.get("HTTP_X_FORWARDED_FOR") if trust_proxy_headers else None
    if forwarded:
        return str(forwarded).split(",")[0].strip()[:64]
    return str(environ.get("REMOTE_ADDR") or "unknown")[:64]


class NoFlaskSession(SessionInterface):
    """Lantian keeps no Flask session: the API authenticates by bearer token and the browser's refresh cookie is
    set by hand (app/console/session_routes.py). Flask's default cookie session still built a signing
    serializer for every request (~2 % of an authenticated 304). A write to ``flask.session`` now
    fails loudly (``NullSession``) instead of setting a cookie nobody reads. Every write to a ``NullSession``
    raises, so one empty instance serves every request instead of a new one each time."""

    _null = NullSession()

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return self._null

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        return None


def register_request_hooks(app: Flask) -> None:
    """Request id on every response, request info for the audit log, one JSON access-log line; no Flask session."""
    app.session_interface = NoFlaskSession()

    @app.before_request
    def _begin() -> None:
        # Runs on every request: the headers are read from the environ, the config from ``app``.
        environ = request.environ
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID_OK.match(incoming) else new_request_id()
        g.request_id = request_id
        g.started = time.perf_counter()
        ip = _client_ip(environ, bool(app.config.get("TRUST_PROXY_HEADERS")))
        set_request_info(RequestInfo(request_id=request_id, ip=ip, user_agent=environ.get("HTTP_USER_AGENT")))

    @app.after_request
    def _finish(response: Response) -> Response:
        _drain_unread_body(response)
        request_id = getattr(g, "request_id", None) or new_request_id()
        response.headers["X-Request-ID"] = request_id
        # The line's fields are gathered only when it will be written (LOG_LEVEL above INFO: never).
        if access_log.isEnabledFor(logging.INFO):
            principal = getattr(g, "principal", None)
            access_log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - getattr(g, "started", time.perf_counter())) * 1000, 1),
                    "user": principal.username if principal else None,
                },
            )
        return response


def _drain_unread_body(response: Response) -> None:
    """Consume a request body the view did not read (an idempotent repeat, an early refusal).

    Answering before the body is read makes the server close the connection while the phone
    is still sending; the phone then sees a reset instead of the answer and retries forever.
    A body larger than the configured limit is not drained: the connection is closed instead.
    """
    if not request.environ.get("CONTENT_LENGTH"):  # no body declared (every GET): skip parsing the headers
        return
    length = request.content_length
    if not length:
        return
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and length > limit:
        response.headers["Connection"] = "close"
        return
    stream = request.stream
    while stream.read(64 * 1024):
        pass


def configure_logging(app: Flask) -> None:
    """JSON logs on stderr (times in UTC, ISO 8601)."""
    handler = logging.StreamHandler(sys.stderr)
    formatter = JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level"},
        datefmt="%Y-%m-%dT%H:%M:%SZ",
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if app.testing:
        logging.getLogger("lantian.access").setLevel(logging.WARNING)


def register_database_error_handler(app: Flask) -> None:
    """A value the database refuses (e.g. a number beyond bigint) is the client's fault: 422, nothing written."""

    @app.errorhandler(DataError)
    def _refused(error: DataError) -> Response:
        log.warning("database refused a value: %s", error.orig)
        # The transaction is aborted: end it here, so nothing else in this app context runs into it.
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the database went away meanwhile: drop the session instead
            discard_session()
        problem = AppError(
            "请求中的某个值超出允许范围或格式无效。",
            "A value in the request is out of range or malformed.",
            code="invalid_value",
        )
        problem.status = 422
        return render_app_error(problem)
