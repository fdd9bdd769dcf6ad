"""The Blueprint every feature uses: flask-smorest's, plus authorisation and problem+json documentation.

Its own module so that the dependency runs one way: blueprint → auth → extensions → api (the Api subclass
and error rendering), never back.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask_smorest import Blueprint as SmorestBlueprint

from app.api import ProblemSchema
from app.auth.authz import require
from app.request_parsing import LantianParser


class Blueprint(SmorestBlueprint):
    """Blueprint documenting problem+json for the errors every endpoint can return."""

    # Strict JSON bodies (415 unless declared JSON; depth, Unicode, numbers checked) and strict query strings.
    ARGUMENTS_PARSER = LantianParser()

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Any:
        """flask-smorest's ``arguments``; a JSON body also documents its 400, 413 and 415."""
        declare = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return declare

        def decorator(view: Any) -> Any:
            view = declare(view)
            responses = view._apidoc.setdefault("arguments", {}).setdefault("responses", {})
            for status in (400, 413, 415):  # malformed, too large (JSON_MAX_BODY_BYTES), not JSON
                responses[status] = HTTPStatus(status).name
            return view

        return decorator

    def binary_content(self, status: int, content_type: str, description: str) -> Any:
        """Document a response whose body is bytes (a photo, a GeoJSON file), not a JSON schema."""
        schema = {"type": "string", "format": "binary"} if not content_type.endswith("json") else {"type": "object"}
        return self.doc(
            responses={str(status): {"description": description, "content": {content_type: {"schema": schema}}}}
        )

    def problem(self, status: int, description: str) -> Any:
        """Document an error answer of this endpoint: ``status`` with a problem+json body."""
        return self.alt_response(status, schema=ProblemSchema, description=description)

    def auth(self, *roles: str) -> Any:
        """Require a token (and one of ``roles``) and document it: bearer security, 401 and 403."""

        def decorator(view: Any) -> Any:
            view = require(*roles)(view)
            view = self.doc(security=[{"bearerAuth": []}])(view)
            view = self.problem(401, "未登录 / Authentication required")(view)
            view = self.problem(403, "无权限 / Forbidden")(view)
            return view

        return decorator
