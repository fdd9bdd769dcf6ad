"""Property-based contract test: schemathesis drives every documented /api/v1 operation.

No response may be a 5xx, and every response must match what the OpenAPI document says
(problem+json errors included). Runs in-process against the WSGI app on the test PostGIS,
with an admin token and the demo data loaded, so requests reach real objects.
"""

from __future__ import annotations

import re

import schemathesis
from hypothesis import HealthCheck, given, settings

from app.demo.seed import DEMO_PASSWORD, load_demo_data
from tests.factories import login

SKIP = re.compile(r"/auth/(token|refresh|logout)$")  # would lock out or log out the test's own token
CHECKS = (schemathesis.checks.not_a_server_error, schemathesis.checks.response_schema_conformance)


def test_every_operation_honours_its_contract(app, client, session) -> None:
    load_demo_data(session)
    session.commit()
    # identity: the in-process WSGI client does not undo gzip the way an HTTP client does
    headers = {
        "Authorization": "Bearer " + login(client, "demo.admin", DEMO_PASSWORD)["access_token"],
        "Accept-Encoding": "identity",
    }
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures: list[str] = []
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if SKIP.search(operation.path):
            continue
        tested += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
        )
        def exercise(case) -> None:  # noqa: ANN001
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        try:
            exercise()
        except Exception as exc:  # collect every failing operation, not just the first
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:800]}")
    assert tested > 30
    assert not failures, "\n\n".join(failures)
