"""``GET /me``: the logged-in user with their jurisdictions, read in one statement without a transaction.

Phones ask for it on every start; it is one row, so it runs on the read-only pool (app/read_only.py: no BEGIN,
no ROLLBACK), compiled once. ``UserSchema`` shapes it as it shapes a ``User``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from app import read_only
from app.auth.models import User, user_jurisdictions
from app.errors import Unauthorized
from app.jurisdictions.models import Jurisdiction


def _statement() -> read_only.ReadStatement:
    j = Jurisdiction
    ref = func.json_build_object(
        literal_column("'code'"), j.code, literal_column("'name_zh'"), j.name_zh,
        literal_column("'name_en'"), j.name_en, literal_column("'level'"), j.level,
    )  # fmt: skip
    jurisdictions = (
        select(func.coalesce(func.json_agg(aggregate_order_by(ref, j.code)), literal_column("'[]'::json")))
        .select_from(user_jurisdictions)
        .join(j, j.id == user_jurisdictions.c.jurisdiction_id)
        .where(user_jurisdictions.c.user_id == User.id)
        .scalar_subquery()
    )
    return read_only.ReadStatement.compile(
        select(
            User.id, User.username, User.display_name, User.role, User.is_active, User.badge_number, jurisdictions
        ).where(User.id == bindparam("user_id", type_=Integer))
    )


_ME = _statement()
_KEYS = ("id", "username", "display_name", "role", "is_active", "badge_number", "jurisdictions")


def current_user(reads: read_only.ReadOnlyDatabase, user_id: int) -> dict[str, Any]:
    """The user ``UserSchema`` shows (jurisdictions by code); a user deleted since the token was checked is 401."""
    rows = reads.all(_ME, {"user_id": user_id})
    if not rows:
        raise Unauthorized("登录已失效，请重新登录。", "Session revoked; log in again.", code="session_revoked")
    return dict(zip(_KEYS, rows[0], strict=True))
