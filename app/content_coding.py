"""gzip for JSON answers that are built once and kept (checklists, statistics): whether the client accepts it,
and the ETag of the gzipped variant (RFC 9110 §8.8.3: a strong validator differs per content coding, so the
gzipped body's tag is the plain one plus ``-gzip``; either revalidates)."""

from __future__ import annotations

from functools import lru_cache

from flask import request
from werkzeug.http import parse_accept_header

GZIP_SUFFIX = "-gzip"


@lru_cache(maxsize=64)
def _accepts_gzip(accept_encoding: str) -> bool:
    """Parsed once per distinct header value: a phone sends the same one with every request."""
    return parse_accept_header(accept_encoding)["gzip"] > 0


def wants_gzip() -> bool:
    """Whether this request's ``Accept-Encoding`` accepts gzip (``gzip;q=0`` refuses it)."""
    accept_encoding = request.environ.get("HTTP_ACCEPT_ENCODING")
    return bool(accept_encoding) and _accepts_gzip(accept_encoding)


def coded_etag(tag: str, gzipped: bool) -> str:
    """The quoted ETag of the plain or gzipped variant of the answer tagged ``tag``."""
    return f'"{tag}{GZIP_SUFFIX if gzipped else ""}"'
