"""Who is asking and from where, for logs and the audit trail.

A context variable rather than ``flask.g`` so services and CLI commands can
read it without importing Flask.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    request_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    actor_id: int | None = None
    actor_username: str | None = None


_current: ContextVar[RequestInfo] = ContextVar("lantian_request_info", default=RequestInfo())  # noqa: B039 - frozen


def current_request_info() -> RequestInfo:
    return _current.get()


def set_request_info(info: RequestInfo) -> None:
    _current.set(info)


def set_actor(actor_id: int | None, username: str | None) -> None:
    # Every field named: ``dataclasses.replace`` was ~1 % of an authenticated 304.
    info = _current.get()
    _current.set(
        RequestInfo(
            request_id=info.request_id,
            ip=info.ip,
            user_agent=info.user_agent,
            actor_id=actor_id,
            actor_username=username,
        )
    )
