"""A problem's extension members never replace its own: ``status`` stays the HTTP status (RFC 9457)."""

from __future__ import annotations

from app.errors import Conflict


def test_an_extension_member_cannot_replace_the_problems_own() -> None:
    problem = Conflict("冲突", "conflict", code="x_conflict", extra={"status": "succeeded", "job_status": "done"})
    body = problem.to_problem()
    assert body["status"] == 409 and body["code"] == "x_conflict" and body["job_status"] == "done"
