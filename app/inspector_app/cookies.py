"""How the inspector app keeps its refresh token: an HttpOnly cookie a script cannot read.

Pure module (no Flask, no SQLAlchemy): names and attributes only, so routes and tests agree on them.
The cookie is ``HttpOnly`` (an injected script cannot read it), ``SameSite=Strict`` and limited to the
app's session endpoints (``Path=/app/session``), so it is never sent with API calls or other pages.
Every request that uses it must also carry ``X-Lantian-App: 1``: a custom header a cross-site form or
image cannot send, so a forged request cannot rotate or end the session (CSRF).
"""

from __future__ import annotations

from dataclasses import dataclass

COOKIE_NAME = "lantian_app_refresh"
COOKIE_PATH = "/app/session"
CSRF_HEADER = "X-Lantian-App"
CSRF_VALUE = "1"


@dataclass(frozen=True)
class CookieAttributes:
    """Arguments for ``Response.set_cookie`` of the refresh token."""

    max_age: int
    secure: bool
    httponly: bool = True
    samesite: str = "Strict"
    path: str = COOKIE_PATH


def refresh_cookie(ttl_seconds: int, *, over_https: bool) -> CookieAttributes:
    """The refresh cookie lives as long as the refresh token; ``Secure`` whenever the request came over HTTPS."""
    return CookieAttributes(max_age=ttl_seconds, secure=over_https)


def csrf_header_ok(value: str | None) -> bool:
    """Whether the custom header the app sends (and a cross-site form cannot) is present."""
    return (value or "").strip() == CSRF_VALUE
