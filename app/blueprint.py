"""The Blueprint every feature uses: flask-smorest's, plus authorisation and problem+json documentation.

Its own module so that the dependency runs one way: blueprint → auth → extensions → api (the Api subclass
and error rendering), never back.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from flask_smorest import Blueprint as SmorestBlueprint

from app.api import PROBLEM_MIMETYPE, ProblemSchema
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

    def alt_response(self, status_code: Any, response: Any = None, **kwargs: Any) -> Any:
        """flask-smorest's ``alt_response``; an error (4xx, 5xx) is documented as what it is: problem+json."""
        if response is None and int(status_code) >= 400:
            kwargs.setdefault("schema", ProblemSchema)
            kwargs.setdefault("content_type", PROBLEM_MIMETYPE)
        return _documentation_only(super().alt_response(status_code, response, **kwargs))

    def doc(self, **kwargs: Any) -> Any:
        """flask-smorest's ``doc``: documentation only, no call layer (see ``_documentation_only``)."""
        return _documentation_only(SmorestBlueprint.doc(**kwargs))

    def binary_content(self, status: int, content_type: str | tuple[str, ...], description: str) -> Any:
        """Document a response whose body is bytes (a photo, a GeoJSON file), not a JSON schema."""
        types = (content_type,) if isinstance(content_type, str) else content_type
        content = {
            t: {"schema": {"type": "string", "format": "binary"} if not t.endswith("json") else {"type": "object"}}
            for t in types
        }
        return self.doc(responses={str(status): {"description": description, "content": content}})

    def problem(self, status: int, description: str) -> Any:
        """Document an error answer of this endpoint: ``status`` with a problem+json body."""
        return self.alt_response(status, description=description)

    def auth(self, *roles: str) -> Any:
        """Require a token (and one of ``roles``) and document it: bearer security, 401 and 403."""

        def decorator(view: Any) -> Any:
            view = require(*roles)(view)
            view = self.doc(security=[{"bearerAuth": []}])(view)
            view = self.problem(401, "未登录 / Authentication required")(view)
            view = self.problem(403, "无权限 / Forbidden")(view)
            return view

        return decorator


def _documentation_only(declare: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A flask-smorest decorator that only documents (``doc``, ``alt_response``), without its call layer.

    flask-smorest wraps the view in a function whose only work is ``current_app.ensure_sync(view)(...)`` and
    hangs the documentation on that wrapper. With the auth decorator's two problem responses, its ``doc`` and
    an endpoint's own alternatives, a request went through 4–6 such layers (fixed cost on every
    request). The documentation is moved onto the view itself, which is returned unwrapped: the OpenAPI
    document is unchanged (tests/api/test_openapi_contract.py) and the view is called directly.
    """

    def decorator(view: Any) -> Any:
        documented = declare(view)
        view._apidoc = documented._apidoc
        return view

    return decorator
