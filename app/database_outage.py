"""While PostgreSQL cannot be reached, or a transaction lost a deadlock: 503 problem+json with Retry-After, and a
teardown that never raises.

Recovery needs nothing from the app. Every checkout of a pooled connection looks at its socket first
(app/db_liveness.py, no round trip); a connection the server closed invalidates the whole pool and is replaced
by a fresh one, and a disconnect seen during a statement invalidates the pool as well. So a
connection that died with the server is never handed to a request again: the first request after the
server is back gets a fresh connection.

What is left to the app: the answer while the server is down (a client retries later; a 500 would say our
code is broken), and ending the request's session without raising. Rolling back over a connection that died
after its last statement raises, and a teardown that raises leaves the WSGI server to answer with its own
HTML page.
"""

from __future__ import annotations

import logging

import psycopg
from flask import Flask, Response, current_app
from sqlalchemy import exc as sa_exc

from app.api import render_app_error
from app.errors import AppError
from app.extensions import api, db

log = logging.getLogger(__name__)

# SQLSTATEs that say "the server is not there for you now", not "your statement is wrong":
# connection exceptions (class 08), admin/crash shutdown and "cannot connect now" (the server is starting
# or stopping), and too many connections.
_UNAVAILABLE_SQLSTATE_CLASSES = ("08",)
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


class DatabaseUnavailable(AppError):
    """The database cannot be reached right now; the same request may succeed later."""

    status = 503
    code = "database_unavailable"
    title_zh = "数据库暂时不可用"
    title_en = "Database unavailable"


def is_database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database could not be reached (rather than a refused statement)."""
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection became free within pool_timeout
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:  # SQLAlchemy saw the connection die under the statement
        return True
    orig = error.orig
    if isinstance(orig, psycopg.OperationalError):
        sqlstate = orig.sqlstate
        # No SQLSTATE: the failure is the connection's own (refused, lost, closed by the server),
        # not an error the server reported about a statement.
        return (
            sqlstate is None or sqlstate.startswith(_UNAVAILABLE_SQLSTATE_CLASSES) or sqlstate in _UNAVAILABLE_SQLSTATES
        )
    return False


# The transaction was chosen as a deadlock's victim or could not be serialised: it was rolled back whole, so
# nothing was saved and the same request (idempotent by its ids) may simply be sent again.
_CONFLICT_SQLSTATES = frozenset({"40P01", "40001"})


class TransactionConflict(AppError):
    """Another request changed the same records at the same moment; nothing was saved."""

    status = 503
    code = "transaction_conflict"
    title_zh = "与同时进行的操作冲突"
    title_en = "Conflict with a concurrent change"


def is_transaction_conflict(error: BaseException) -> bool:
    return isinstance(error, sa_exc.DBAPIError) and getattr(error.orig, "sqlstate", None) in _CONFLICT_SQLSTATES


def transaction_conflict() -> TransactionConflict:
    return TransactionConflict(
        "与同时进行的其他操作冲突，本次未保存任何内容，请重试。",
        "This request collided with a concurrent change and nothing was saved; send it again.",
        extra={"_headers": {"Retry-After": "1"}},
    )


def database_unavailable(retry_after_seconds: int) -> DatabaseUnavailable:
    """The problem a client sees while the database is down, telling it when to try again."""
    return DatabaseUnavailable(
        f"数据库暂时无法连接，请在 {retry_after_seconds} 秒后重试。",
        f"The database cannot be reached right now; retry in {retry_after_seconds} seconds.",
        extra={"_headers": {"Retry-After": str(retry_after_seconds)}},
    )


def retry_after_seconds() -> int:
    return int(current_app.config.get("DATABASE_RETRY_AFTER_SECONDS", 5))


def discard_session() -> None:
    """End the current app context's session without ever raising.

    ``close()`` rolls back over the session's connection; when that connection died, the rollback raises.
    The session is then invalidated (its connections are dropped without a rollback, and the pool forgets
    them) and removed from the registry all the same, so the next use starts a new session.
    """
    registry = db.session.registry
    if not registry.has():
        return
    session = registry()
    try:
        session.close()
    except Exception as exc:  # a dead connection: log and drop it, never fail the request over it
        log.warning(
            "database session could not be closed cleanly; its connection is discarded: %s",
            type(exc).__name__,
            extra={"error": str(exc).strip()[:500]},
        )
        try:
            session.invalidate()
        except Exception as again:  # nothing more to do: the session is dropped below
            log.warning("database session could not be invalidated: %s", type(again).__name__)
    finally:
        registry.clear()


def register_database_outage_handling(app: Flask) -> None:
    """503 problem+json while the database is unreachable; a session teardown that never raises.

    Call after ``db.init_app``: teardown functions run in reverse order of registration, so this one
    ends the session before Flask-SQLAlchemy's own ``session.remove()``, which then finds nothing to do.
    """

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    @app.errorhandler(sa_exc.TimeoutError)
    def _unavailable(error: Exception) -> Response:
        if is_transaction_conflict(error):
            log.warning(
                "transaction conflict, rolled back: %s",
                type(error).__name__,
                extra={"error": str(getattr(error, "orig", None) or error).strip()[:500]},
            )
            discard_session()
            return render_app_error(transaction_conflict())
        if not is_database_unavailable(error):
            # Registered on these classes only to pick out outages; anything else stays a 500.
            return api.handle_unexpected(error)
        log.warning(
            "database unavailable: %s",
            type(error).__name__,
            extra={"error": str(getattr(error, "orig", None) or error).strip()[:500]},
        )
        discard_session()
        return render_app_error(database_unavailable(retry_after_seconds()))

    @app.teardown_appcontext
    def _end_session(_error: BaseException | None) -> None:
        discard_session()
