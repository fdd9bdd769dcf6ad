"""The Swagger UI page at /api/docs, under a Content-Security-Policy that allows no inline script.

flask-smorest's own page starts Swagger UI from an inline ``<script>``; here the same start-up code is a
served file (``/api/docs/swagger-initializer.js``), as in Swagger UI's own distribution, so the page's
policy allows scripts from this origin only. What Swagger UI 4 needs besides:
- ``style-src 'unsafe-inline'``: it renders style attributes and inline SVG styles (swagger-api/swagger-ui
  #3370 and #10655); styles cannot run code, scripts stay strict.
- ``img-src data: blob:``: icons are data: URIs in its CSS; "Try it out" shows image answers from blob: URLs.
- ``connect-src 'self'``: it fetches /api/openapi.json and sends "Try it out" requests here.
The online validator badge is turned off (``validatorUrl: null``): it would send the document's address to
validator.swagger.io.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from flask import Response

DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)

INITIALIZER_NAME = "swagger-initializer.js"

_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
  <head>
    <meta charset="utf-8">
    <title>{title}</title>
    <link href="{assets}swagger-ui.css" rel="stylesheet" type="text/css">
  </head>
  <body>
    <div id="swagger-ui-container"></div>
    <script src="{assets}swagger-ui-bundle.js"></script>
    <script src="{initializer}"></script>
  </body>
</html>
"""


def swagger_ui_page(title: str, assets_url: str, initializer_url: str) -> Response:
    """The docs page: Swagger UI's files and our start-up script, nothing inline."""
    html = _PAGE.format(title=escape(title), assets=escape(assets_url), initializer=escape(initializer_url))
    resp = Response(html, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = DOCS_CSP
    return resp


def swagger_ui_initializer(spec_url: str, overrides: dict[str, Any]) -> Response:
    """Swagger UI's start-up script: the document's URL plus ``OPENAPI_SWAGGER_UI_CONFIG``."""
    config = {"url": spec_url, "dom_id": "#swagger-ui-container", "validatorUrl": None, **overrides}
    script = (
        "window.onload = function () {\n"
        f"  window.ui = SwaggerUIBundle({json.dumps(config, ensure_ascii=False)});\n"
        "};\n"
    )
    return Response(script, mimetype="text/javascript")
