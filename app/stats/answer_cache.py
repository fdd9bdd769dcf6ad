"""Finished statistics answers: cached per process and revalidated with a strong ETag.

An answer depends on the rollups' state (their version, advanced by every refresh that rewrote a group and by a
rebuild: app/stats/rollup.py, and the groups still pending, which the answer reports), on the caller's scope
(role and jurisdictions: a 博爱县 supervisor's key never equals 山阳区's), on the query and on the Asia/Shanghai
day (case stages and overdue orders are "as of" it). The ETag is an HMAC of exactly those under the app's secret
key, so a client cannot forge a tag for an answer it was never given; ``If-None-Match`` with it costs one small
query and no serialisation (304). A 200 for a tag already built is the stored bytes (no SQL beyond the state,
no marshmallow): by jurisdiction at township level for a province is 2,512 rows and about 1 MiB of JSON to
build, and is built once per rollup version and scope. The pending groups change with every submission while
the figures change only at a refresh, so the bytes are kept per rollup version with the pending count left
open and filled in per request (a busy hour's submissions do not throw the built answer away). Entries are
evicted least recently used past ``MAX_BYTES`` per process. Names (jurisdictions, inspectors) in a cached answer
follow at the next refresh.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from flask import Response, current_app, request
from marshmallow import Schema

from app.auth.authz import current_principal
from app.extensions import current_session
from app.localtime import today_local
from app.stats.rollup import rollup_state

MAX_BYTES = 64 << 20
CACHE_CONTROL = "private, no-cache"  # behind auth; may be kept but revalidated on every use (a 304)


class AnswerCache:
    """Key → JSON bytes around the open pending count (before, after), least recently used first out past
    ``max_bytes`` (thread-safe)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[bytes, bytes]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def get(self, key: str) -> tuple[bytes, bytes] | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def put(self, key: str, body: tuple[bytes, bytes]) -> None:
        size = len(body[0]) + len(body[1])
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            self._size += size - (len(old[0]) + len(old[1]) if old is not None else 0)
            self._entries[key] = body
            while self._size > self.max_bytes:
                _, (before, after) = self._entries.popitem(last=False)
                self._size -= len(before) + len(after)

    def get_or_build(self, key: str, build: Callable[[], tuple[bytes, bytes]]) -> tuple[bytes, bytes]:
        """The kept bytes, else built once: threads asking for the same key meanwhile wait for that build
        instead of building it too (eight connections asking the province's townships at once build it once
        per process, not eight times on two cores)."""
        body = self.get(key)
        if body is not None:
            return body
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            body = self.get(key)
            if body is None:
                body = build()
                self.put(key, body)
        with self._lock:
            if self._building.get(key) is building:
                del self._building[key]
        return body


_CACHE = AnswerCache(MAX_BYTES)
_OPEN = -7_192_837_465  # stands for the pending count in a kept body (no figure is ever this negative)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def answer_etag(secret: bytes, parts: list[Any]) -> str:
    message = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:40]


def _built(schema: Schema, compute: Callable[[], Any]) -> tuple[bytes, bytes]:
    data = schema.dump(compute())
    data["freshness"]["pending_groups"] = _OPEN
    body = current_app.json.dumps(data).encode()
    before, _, after = body.partition(str(_OPEN).encode())
    return before, after


def cached_answer(name: str, args: Mapping[str, Any], schema: Schema, compute: Callable[[], Any]) -> Response:
    """304 when ``If-None-Match`` names the current answer's tag; else its bytes, built at most once per rollup
    version (and scope, query, day), with the current pending count."""
    principal = current_principal()
    version, pending = rollup_state(current_session())
    parts = [
        name,
        version,
        principal.role,
        sorted(principal.jurisdiction_paths),
        sorted((k, _plain(v)) for k, v in args.items()),
        today_local().isoformat(),
    ]
    secret = str(current_app.config["SECRET_KEY"]).encode()
    key = answer_etag(secret, parts)
    etag = answer_etag(secret, [key, pending])
    headers = {"ETag": f'"{etag}"', "Cache-Control": CACHE_CONTROL}
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    before, after = _CACHE.get_or_build(key, lambda: _built(schema, compute))
    return Response(before + str(pending).encode() + after, status=200, mimetype="application/json", headers=headers)
