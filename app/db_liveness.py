"""Find pooled connections the server has closed without asking it: a look at the socket, not a ping.

``pool_pre_ping`` costs every request a ``SELECT 1`` round trip. A connection the server ended (a restart, an
administrator's ``pg_terminate_backend``, an idle timeout) is visible without one: the server sends its last
message and closes, so the idle socket becomes readable. An idle connection in the pool has nothing to read
otherwise, so a readable socket at checkout means "do not use this one": SQLAlchemy is told the connection is
gone (``InvalidatePoolError``) and connects anew, invalidating the pool's older connections with it.

What this cannot see: a server that vanished without closing (a cut cable, a frozen host). A statement then
fails with a connection error, SQLAlchemy invalidates the pool, and the request answers 503 (app/database_outage);
the next request connects anew. TCP keepalives (libpq's defaults) bound how long such a connection looks alive.
"""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import InvalidatePoolError


def socket_has_news(fileno: int) -> bool:
    """True when the socket has something to read (or has been closed) right now; never waits."""
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def _refuse_closed_connections(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    try:
        news = dbapi_connection.closed or socket_has_news(dbapi_connection.fileno())
    except Exception:  # fileno() of a connection psycopg already knows is broken raises
        news = True
    if news:
        raise InvalidatePoolError("the server closed this pooled connection")


def watch_pool(engine: Engine) -> None:
    """Install the checkout check on ``engine``'s pool (called once per engine by create_app)."""
    event.listen(engine, "checkout", _refuse_closed_connections)
