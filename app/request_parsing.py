"""The webargs parser behind every ``@blp.arguments``: strict JSON bodies and strict query strings.

- A JSON body is read only when the request says it is JSON (``application/json`` or ``application/*+json``);
  anything else is 415, never "no fields given" (a form-encoded PUT once replaced a penalty policy with
  defaults, and a PATCH changed nothing yet answered 200).
- A JSON body larger than ``JSON_MAX_BODY_BYTES`` is 413 before it is parsed.
- The body goes through ``app.json_body.load_json_body``: bounded nesting, valid Unicode, no bidi controls,
  finite numbers, no duplicate keys — refused before any view runs.
- Unknown query parameters are 422 naming the parameter: a misspelt filter must not silently return
  everything (webargs' default for the query string is to drop them).
"""

from __future__ import annotations

from typing import Any

import flask
import marshmallow as ma
from webargs import core
from webargs.flaskparser import FlaskParser

from app.errors import PayloadTooLarge, UnsupportedMediaType
from app.json_body import load_json_body

DEFAULT_JSON_MAX_DEPTH = 64
DEFAULT_JSON_MAX_BODY_BYTES = 4 * 1024 * 1024


class LantianParser(FlaskParser):
    """FlaskParser with strict JSON bodies and unknown query parameters refused."""

    DEFAULT_UNKNOWN_BY_LOCATION: dict[str, str | None] = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }

    def load_json(self, req: flask.Request, schema: ma.Schema) -> Any:
        """The request's JSON body, strictly parsed; 415 when the request does not declare JSON."""
        if not core.is_json(req.mimetype):
            raise UnsupportedMediaType(
                f"请求体须为 JSON（Content-Type: application/json），收到的是 {req.mimetype or '（无）'}。",
                f"The request body must be JSON (Content-Type: application/json), not {req.mimetype or '(none)'}.",
            )
        config = flask.current_app.config
        # Bounded well below MAX_CONTENT_LENGTH (sized for photos): checking every value of a body costs time.
        limit = config.get("JSON_MAX_BODY_BYTES", DEFAULT_JSON_MAX_BODY_BYTES)
        if req.content_length is not None and req.content_length > limit:
            raise _json_too_large(limit)
        data = req.get_data(cache=True)
        if len(data) > limit:
            raise _json_too_large(limit)
        return load_json_body(data, max_depth=config.get("JSON_MAX_DEPTH", DEFAULT_JSON_MAX_DEPTH))


def _json_too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"JSON 请求体超过 {limit} 字节。", f"The JSON body is larger than {limit} bytes.")
