"""Response headers that keep answers out of shared caches and HTML out of frames and injected scripts.

- ``Cache-Control: no-store`` on every response that does not choose its own caching: tokens (RFC 6749
  §5.1), every authenticated JSON answer, every problem+json error. Endpoints that cache on purpose set
  their own header and keep it: checklists (``private, no-cache`` plus ETag, so phones revalidate with a
  304; ``private, max-age=…, immutable`` for a fixed version, plan text that never changes), photo bytes
  (``private, max-age=PHOTO_CACHE_MAX_AGE_SECONDS``), Swagger UI's static files.
- ``Content-Security-Policy``: the API's answers are data, never pages, so by default nothing may load,
  run or frame them. The docs page (``app.docs_ui``) sets its own, narrower-than-needed policy.
- ``X-Content-Type-Options: nosniff`` on every response.
- No ``Server`` header comes from the app. gunicorn writes its own (``Server: gunicorn``, no version; it
  cannot be turned off without patching gunicorn); the nginx front does not pass it on and, with
  ``server_tokens off``, names no version either.
"""

from __future__ import annotations

from flask import Flask, Response

NO_STORE = "no-store"

# For data: nothing may be loaded, run, framed or submitted from an API answer opened as a document.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def register_security_headers(app: Flask) -> None:
    """Default caching, CSP and nosniff on every response that does not set its own; no ``Server``."""

    @app.after_request
    def _security_headers(response: Response) -> Response:
        # One pass over the names: werkzeug's ``in``/``setdefault``/``pop`` raise and catch an exception for
        # every absent header, which was most of this hook's cost on a 304.
        headers = response.headers
        present = {name.lower() for name, _ in headers}
        if "cache-control" not in present:
            headers.add("Cache-Control", NO_STORE)
        if "content-security-policy" not in present:
            headers.add("Content-Security-Policy", API_CSP)
        if "x-content-type-options" not in present:
            headers.add("X-Content-Type-Options", "nosniff")
        if "server" in present:
            headers.remove("Server")
        return response
