"""Canonical JSON of a checklist document and its content hash (the version id and the ETag).

Pure module (no Flask, no SQLAlchemy). Changing either function changes every stored hash and every ETag
phones hold: both are part of the wire format.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(doc: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, compact separators, UTF-8, no ASCII escaping."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_hash(doc: Any) -> str:
    """sha256 hex of ``canonical_json(doc)`` (the ETag / version id)."""
    return hashlib.sha256(canonical_json(doc)).hexdigest()
