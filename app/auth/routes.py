"""Auth endpoints (/api/v1/auth, /api/v1/me) and user administration (/api/v1/users)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from app.auth import services
from app.auth.authz import current_principal
from app.auth.me import current_user
from app.auth.models import User
from app.auth.schemas import (
    RefreshRequestSchema,
    TokenRequestSchema,
    TokenSchema,
    UserCreateSchema,
    UserSchema,
    UserUpdateSchema,
)
from app.blueprint import Blueprint
from app.extensions import current_session, db
from app.http import client_ip
from app.wiring import wiring

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="登录与用户 / Authentication and users")


def _settings() -> services.AuthSettings:
    return services.AuthSettings.from_config(current_app.config)


@blp.route("/auth/token", methods=["POST"])
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(401, description="用户名或密码错误 / Wrong credentials")
@blp.alt_response(429, description="登录失败过多已锁定 / Locked out after too many failures")
def issue_token(data: dict[str, Any]) -> services.TokenPair:
    """Log in with username and password; returns an access token (≤ 15 min) and a refresh token."""
    pair = services.login(current_session(), data["username"], data["password"], client_ip(), _settings())
    db.session.commit()
    return pair


@blp.route("/auth/refresh", methods=["POST"])
@blp.arguments(RefreshRequestSchema)
@blp.response(200, TokenSchema)
@blp.alt_response(401, description="刷新令牌无效 / Refresh token invalid")
def refresh_token(data: dict[str, Any]) -> services.TokenPair:
    """Exchange a refresh token for a new pair (the old refresh token stops working)."""
    pair = services.refresh(current_session(), data["refresh_token"], _settings())
    db.session.commit()
    return pair


@blp.route("/auth/logout", methods=["POST"])
@blp.auth()
@blp.response(204)
def logout() -> None:
    """Revoke the current session: its access and refresh tokens stop working."""
    services.logout(current_session(), current_principal())
    db.session.commit()


@blp.route("/me", methods=["GET"])
@blp.auth()
@blp.response(200, UserSchema)
def me() -> dict[str, Any]:
    """The logged-in user, with role and jurisdictions."""
    # One statement on the read-only pool: no BEGIN/ROLLBACK round trips (app/read_only.py).
    return current_user(wiring().reads, current_principal().user_id)


@blp.route("/users")
class Users(MethodView):
    @blp.auth("admin")
    @blp.response(200, UserSchema(many=True))
    def get(self) -> list[User]:
        """Users whose jurisdictions all lie in the admin's scope."""
        return services.list_users_in_scope(current_session(), current_principal())

    @blp.auth("admin")
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, description="用户名已存在 / Username taken")
    def post(self, data: dict[str, Any]) -> User:
        """Create a user bound to jurisdictions within the admin's scope."""
        user = services.create_user(
            current_session(),
            username=data["username"],
            role=data["role"],
            password=data["password"],
            jurisdiction_codes=data["jurisdictions"],
            display_name=data.get("display_name"),
            badge_number=data.get("badge_number"),
            actor=current_principal(),
        )
        db.session.commit()
        return user


@blp.route("/users/<int:user_id>")
class UserById(MethodView):
    @blp.auth("admin")
    @blp.response(200, UserSchema)
    @blp.alt_response(404, description="不存在 / Not found")
    def get(self, user_id: int) -> User:
        """One user in the admin's scope."""
        return services.get_user_in_scope(current_session(), user_id, current_principal())

    @blp.auth("admin")
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    @blp.alt_response(404, description="不存在 / Not found")
    def patch(self, data: dict[str, Any], user_id: int) -> User:
        """Change role, jurisdictions, password or status; disabling revokes all sessions."""
        principal = current_principal()
        user = services.get_user_in_scope(current_session(), user_id, principal)
        services.update_user(
            current_session(),
            user,
            actor=principal,
            role=data.get("role"),
            is_active=data.get("is_active"),
            password=data.get("password"),
            jurisdiction_codes=data.get("jurisdictions"),
            display_name=data.get("display_name"),
            badge_number=data.get("badge_number"),
        )
        db.session.commit()
        return user
