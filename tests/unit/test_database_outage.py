"""Which database errors mean "unreachable, retry later" (503) rather than a refused statement."""

from __future__ import annotations

import psycopg
import psycopg.errors
import pytest
from sqlalchemy import exc as sa_exc

from app.database_outage import database_unavailable, is_database_unavailable


def wrapped(
    orig: Exception, cls: type[sa_exc.DBAPIError] = sa_exc.OperationalError, invalidated: bool = False
) -> sa_exc.DBAPIError:
    return cls("SELECT 1", {}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(psycopg.OperationalError("connection failed: No such file or directory")),  # refused, no SQLSTATE
        wrapped(psycopg.errors.AdminShutdown("terminating connection due to administrator command")),
        wrapped(psycopg.errors.CannotConnectNow("the database system is starting up")),
        wrapped(psycopg.errors.TooManyConnections("sorry, too many clients already")),
        wrapped(psycopg.errors.ConnectionFailure("connection failure")),
        wrapped(psycopg.InterfaceError("the connection is closed"), sa_exc.InterfaceError, invalidated=True),
        sa_exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
    ],
    ids=[
        "refused",
        "admin_shutdown",
        "starting_up",
        "too_many_connections",
        "connection_failure",
        "closed_connection",
        "pool_timeout",
    ],
)
def test_unreachable_database_errors_are_unavailable(error: Exception) -> None:
    assert is_database_unavailable(error)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(psycopg.errors.QueryCanceled("canceling statement due to statement timeout")),
        wrapped(psycopg.errors.LockNotAvailable("could not obtain lock")),
        wrapped(psycopg.errors.UniqueViolation("duplicate key"), sa_exc.IntegrityError),
        wrapped(psycopg.errors.NumericValueOutOfRange("bigint out of range"), sa_exc.DataError),
        sa_exc.PendingRollbackError("This Session's transaction has been rolled back"),
        RuntimeError("not the database"),
    ],
    ids=["statement_timeout", "lock_timeout", "unique", "out_of_range", "pending_rollback", "other"],
)
def test_refused_statements_and_other_errors_are_not_unavailable(error: Exception) -> None:
    assert not is_database_unavailable(error)


def test_the_problem_is_503_with_a_stable_code_both_languages_and_retry_after() -> None:
    problem = database_unavailable(9)
    body = problem.to_problem()
    assert problem.status == 503
    assert body["code"] == "database_unavailable"
    assert "9" in body["message_zh"] and "9" in body["message_en"]
    assert problem.extra["_headers"] == {"Retry-After": "9"}
