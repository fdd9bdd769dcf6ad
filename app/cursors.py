"""Opaque page cursors: text a feature chooses, carried as unpadded URL-safe base64.

Pure. Each listing decides what its cursor holds (the sync feed: the last change sequence; the sites
list: the query's fingerprint and the last row's sort key); this module only makes it opaque and reads it
back, so every cursor in the API looks and fails alike.
"""

from __future__ import annotations

import base64
import binascii

from app.errors import FieldError, ValidationFailed


class MalformedCursor(ValueError):
    """The cursor was not made by ``encode_cursor``."""


def encode_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise MalformedCursor(cursor) from exc


def invalid_cursor() -> ValidationFailed:
    """What every listing answers to a cursor it did not make, or made for other filters (422 ``invalid_cursor``)."""
    return ValidationFailed(
        "翻页游标无效或与查询条件不符",
        "Invalid cursor, or a cursor from a different query",
        errors=[FieldError("cursor", "invalid_cursor", "游标无效", "Invalid cursor")],
        code="invalid_cursor",
    )
