"""Version ETags of editable records (inspections, sites) and the ``If-Match`` header that names one.

Pure: the caller turns a malformed header into its own problem (428 for inspections, 422 for sites).
"""

from __future__ import annotations

import re

_VERSION_TAG = re.compile(r'^\s*(?:W/)?"(\d{1,18})"\s*$')


class MalformedIfMatch(ValueError):
    """``If-Match`` names no single version: a list, ``*`` or something that is not a version tag."""


def version_etag(version: int) -> str:
    """Strong ETag of a record version: ``"3"``."""
    return f'"{version}"'


def parse_if_match(header: str | None) -> int | None:
    """The version named by an ``If-Match`` header (``"3"`` or ``W/"3"``); None when absent.

    A list of tags or ``*`` is refused: an edit must say which version it was based on, otherwise a stale
    phone could overwrite a newer state.
    """
    if header is None or not header.strip():
        return None
    match = _VERSION_TAG.match(header)
    if match is None:
        raise MalformedIfMatch(header)
    return int(match.group(1))
