"""JSON bodies ready to send: canonical bytes, their gzip and the hash used as ETag, cached per content hash.

Content per hash never changes, so an encoded body can be kept for the life of the process.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.checklists.canonical import canonical_json
from app.checklists.files import SCHEMA_PATH
from app.checklists.models import ChecklistVersion
from app.errors import NotFound


@dataclass(frozen=True)
class EncodedBody:
    """A JSON document ready to send: canonical bytes, their gzip, and the hash used as ETag."""

    digest: str
    raw: bytes
    gzipped: bytes


def encode_body(doc: Any, digest: str | None = None) -> EncodedBody:
    raw = canonical_json(doc)
    return EncodedBody(digest or hashlib.sha256(raw).hexdigest(), raw, gzip.compress(raw, compresslevel=9, mtime=0))


class _BodyCache:
    """Bounded in-process LRU of encoded bodies keyed by content hash: safe forever, content is immutable."""

    def __init__(self, size: int = 128) -> None:
        self._items: OrderedDict[str, EncodedBody] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, digest: str) -> EncodedBody | None:
        with self._lock:
            body = self._items.get(digest)
            if body is not None:
                self._items.move_to_end(digest)
            return body

    def put(self, body: EncodedBody) -> None:
        with self._lock:
            self._items[body.digest] = body
            self._items.move_to_end(body.digest)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_bodies = _BodyCache()


def encoded_checklist(session: Session, digest: str) -> EncodedBody:
    """The stored content with hash ``digest`` as canonical JSON (+ gzip); loaded and encoded once per process."""
    cached = _bodies.get(digest)
    if cached is not None:
        return cached
    content = session.scalar(select(ChecklistVersion.content).where(ChecklistVersion.content_hash == digest))
    if content is None:
        raise NotFound("检查表版本不存在。", "Checklist version not found.", code="checklist_version_not_found")
    body = encode_body(content, digest)
    _bodies.put(body)
    return body


_schema_cache: dict[tuple[str, float], EncodedBody] = {}


def encoded_checklist_schema(path: Path = SCHEMA_PATH) -> EncodedBody:
    """The checklist JSON Schema as served at /api/v1/schemas/checklist (re-read when the file changes)."""
    stamp = (str(path), path.stat().st_mtime)
    body = _schema_cache.get(stamp)
    if body is None:
        body = encode_body(json.loads(path.read_text(encoding="utf-8")))
        _schema_cache.clear()
        _schema_cache[stamp] = body
    return body
