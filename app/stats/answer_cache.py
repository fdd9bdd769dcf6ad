"""Finished statistics answers: kept per process and shared between processes, revalidated with a strong ETag.

An answer depends on the rollups' state (their version, advanced by every refresh that rewrote a group and by a
rebuild: app/stats/rollup.py, and the groups still pending, which the answer reports), on the caller's scope
(role and jurisdictions: a 博爱县 supervisor's key never equals 山阳区's), on the query and on the Asia/Shanghai
day (case stages and overdue orders are "as of" it). The ETag is an HMAC of exactly those under the app's secret
key, so a client cannot forge a tag for an answer it was never given; ``If-None-Match`` with it costs one small
query and no serialisation (304). A 200 for a tag already built is the stored bytes (no SQL beyond the state,
no marshmallow): by jurisdiction at township level a province has 2,512 rows to read and sort for each page
(app/stats/paging.py). It is built once per rollup version and scope, by the first worker or app server asked:
the bytes go to ``stats_answers`` (migration 0039), where the others read them instead of building again. The
pending groups change with every submission while the figures change only at a refresh, so the bytes are kept per
rollup version with the pending count left open and filled in per request (a busy hour's submissions do not throw
the built answer away). Each process keeps what it used, least recently used out past ``MAX_BYTES``
(app/kept_bytes.py). Names (jurisdictions, inspectors) in a kept answer follow at the next refresh.

A client that accepts gzip (every browser and phone HTTP stack does) gets the answer gzipped, compressed once per
process for each tag (the pending count is part of it) and kept like the plain bytes: a page of 500 townships is
about 200 KiB of JSON and a tenth of that gzipped, which matters on a phone's network (on the bench's loopback,
where the client decompresses on the server's own cores, it does not: bench/README.md). The gzipped answer has
its own strong ETag (the tag plus ``-gzip``, RFC 9110 §8.8.3, as the checklists do) and either tag revalidates.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from flask import Response, current_app, request
from marshmallow import Schema
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.auth.authz import current_principal
from app.content_coding import GZIP_SUFFIX, coded_etag, wants_gzip
from app.extensions import current_session
from app.kept_bytes import KeptBytes
from app.localtime import today_local
from app.stats.models import StatsAnswer
from app.stats.rollup import rollup_state

MAX_BYTES = 64 << 20
CACHE_CONTROL = "private, no-cache"  # behind auth; may be kept but revalidated on every use (a 304)
GZIP_LEVEL = 6  # built once per tag: the smaller body is worth more than the few milliseconds of a faster level


def _pair_size(body: tuple[bytes, bytes]) -> int:
    return len(body[0]) + len(body[1])


def answer_cache(max_bytes: int) -> KeptBytes[tuple[bytes, bytes]]:
    """Key → JSON bytes around the open pending count (before, after)."""
    return KeptBytes(max_bytes, _pair_size)


_CACHE = answer_cache(MAX_BYTES)
_GZIPPED: KeptBytes[bytes] = KeptBytes(MAX_BYTES // 4, len)  # tag → the gzipped answer
_OPEN = -7_192_837_465  # stands for the pending count in a kept body (no figure is ever this negative)


def _plain(value: Any) -> Any:
    if isinstance(value, list):  # repeated query parameters (keys): their order changes nothing in the answer
        return sorted(value)
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


def _shared(key: str, version: int, build: Callable[[], tuple[bytes, bytes]]) -> tuple[bytes, bytes]:
    """The answer another worker or app server already built for ``key`` (migration 0039), else built here and
    stored for them. The insert is committed at once: it is a cache fill, not part of anything the request
    changes (a GET changes nothing else), so it is not audited; two builders at once keep the first."""
    session = current_session()
    row = session.execute(select(StatsAnswer.before, StatsAnswer.after).where(StatsAnswer.key == key)).first()
    if row is not None:
        return bytes(row.before), bytes(row.after)
    before, after = build()
    session.execute(
        pg_insert(StatsAnswer)
        .values(key=key, rollup_version=version, before=before, after=after)
        .on_conflict_do_nothing(index_elements=[StatsAnswer.key])
    )
    session.commit()
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
    gzipped = wants_gzip()
    headers = {
        "ETag": coded_etag(etag, gzipped),
        "Cache-Control": CACHE_CONTROL,
        "Vary": "Accept-Encoding",
    }
    tags = request.if_none_match
    if tags.contains(etag) or tags.contains(etag + GZIP_SUFFIX):
        return Response(status=304, headers=headers)

    def plain() -> bytes:
        before, after = _CACHE.get_or_build(key, lambda: _shared(key, version, lambda: _built(schema, compute)))
        return before + str(pending).encode() + after

    if not gzipped:
        return Response(plain(), status=200, mimetype="application/json", headers=headers)
    body = _GZIPPED.get_or_build(etag, lambda: gzip.compress(plain(), compresslevel=GZIP_LEVEL, mtime=0))
    headers["Content-Encoding"] = "gzip"
    return Response(body, status=200, mimetype="application/json", headers=headers)
