"""Opaque page cursors: text a feature chooses, carried as unpadded URL-safe base64.

Pure. Each listing decides what its cursor holds (the sync feed: the last change sequence; the sites
list: the query's fingerprint and the last row's sort key); this module only makes it opaque and reads it
back, so every cursor in the API looks and fails alike.
"""

from __future__ import annotations

import base64
import binascii


class MalformedCursor(ValueError):
    """The cursor was not made by ``encode_cursor``."""


def encode_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise MalformedCursor(cursor) from exc
