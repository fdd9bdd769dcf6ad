"""The operator CLI."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User
from tests.factories import login


def test_users_create_reads_password_from_stdin(app, client, session, tree) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "wang.wu", "--role", "supervisor", "--jurisdiction", "410811", "--password-stdin"],
        input="a-very-long-password\n",
    )
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.username == "wang.wu"))
    assert user.role == "supervisor" and [j.code for j in user.jurisdictions] == ["410811"]
    assert login(client, "wang.wu", "a-very-long-password")["access_token"]


def test_users_create_rejects_unknown_jurisdiction(app, tree) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "wang.wu", "--role", "inspector", "--jurisdiction", "999999", "--password-stdin"],
        input="a-very-long-password\n",
    )
    assert result.exit_code != 0


def test_demo_load_is_idempotent(app, session) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0
    assert "created" not in again.output
    assert session.scalar(select(User).where(User.username == "demo.admin")).role == "admin"
