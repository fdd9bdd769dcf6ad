"""Property-based contract test: schemathesis drives every documented /api/v1 operation.

No response may be a 5xx, and every response must match what the OpenAPI document says: its
status, its body against the schema and its content type (problem+json errors included). Runs
in-process against the WSGI app on the test PostGIS, with the demo data loaded so requests reach real
objects, once with a token of every role: an inspector's and a supervisor's 403s and 404s are
answers too, and must be documented like an admin's 200s.
"""

from __future__ import annotations

import re

import schemathesis
from hypothesis import HealthCheck, given, settings

from app.demo.seed import DEMO_PASSWORD, load_demo_data
from tests.factories import login

SKIP = re.compile(r"/auth/(token|refresh|logout)$")  # would lock out or log out the test's own token
CHECKS = (
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.content_type_conformance,
)
ROLES = ("demo.inspector", "demo.supervisor", "demo.admin")  # one demo user per role (app/demo/seed.py)


def _exercise(operation, headers: dict[str, str]) -> None:  # noqa: ANN001
    """Ten generated requests to ``operation``; raises when a response breaks the contract."""

    @given(case=operation.as_strategy())
    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
    def exercise(case) -> None:  # noqa: ANN001
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)

    exercise()


def test_every_operation_honours_its_contract(app, client, session) -> None:
    load_demo_data(session)
    session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [operation for operation in operations if not SKIP.search(operation.path)]
    assert len(operations) > 30
    failures: list[str] = []
    for username in ROLES:
        # identity: the in-process WSGI client does not undo gzip the way an HTTP client does
        headers = {
            "Authorization": "Bearer " + login(client, username, DEMO_PASSWORD)["access_token"],
            "Accept-Encoding": "identity",
        }
        for operation in operations:
            try:
                _exercise(operation, headers)
            # collect every failing operation, not just the first (schemathesis raises an exception group)
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{username}: {operation.method.upper()} {operation.path}: {str(exc)[:800]}")
    assert not failures, "\n\n".join(failures)
