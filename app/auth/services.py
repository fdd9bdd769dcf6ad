"""Login, refresh, logout and user management."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.audit.services import record_audit
from app.auth.models import AuthSession, LoginAttempt, User, user_jurisdictions
from app.auth.passwords import MIN_PASSWORD_LENGTH, hash_password, needs_rehash, verify_password
from app.auth.principal import Principal
from app.auth.session_cache import SessionCache
from app.auth.tokens import (
    decode_access_token,
    hash_refresh_token,
    issue_access_token,
    new_refresh_token,
    refresh_token_session,
)
from app.context import set_actor
from app.errors import Conflict, ErrorList, Forbidden, NotFound, TooManyRequests, Unauthorized, ValidationFailed
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.services import get_jurisdiction_by_code
from app.vocabulary import ROLES


@dataclass(frozen=True)
class AuthSettings:
    secret: str
    access_ttl: int
    refresh_ttl: int
    max_failures_account: int
    max_failures_ip: int
    window_seconds: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AuthSettings:
        """The settings from the app's configuration (ACCESS_TOKEN_TTL_SECONDS, LOGIN_*)."""
        return cls(
            secret=config["SECRET_KEY"],
            access_ttl=config["ACCESS_TOKEN_TTL_SECONDS"],
            refresh_ttl=config["REFRESH_TOKEN_TTL_SECONDS"],
            max_failures_account=config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
            max_failures_ip=config["LOGIN_MAX_FAILURES_PER_IP"],
            window_seconds=config["LOGIN_WINDOW_SECONDS"],
        )


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"


def _now() -> datetime:
    return datetime.now(UTC)


def _own_connection(session: Session) -> Connection:
    """A new connection from the session's engine, outside the session's transaction.

    get_bind() gives the Engine normally, but a Connection when the session is bound to one
    (e.g. a test wrapping everything in an outer transaction), and a Connection cannot connect().
    """
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return engine.connect()


# Advisory-lock namespaces (first key of pg_advisory_xact_lock(int, int)): one per counter, so an account
# and an IP never share a lock. Always taken account first, then IP, so two logins cannot deadlock.
_LOCK_ACCOUNT = 0x4C54_0001
_LOCK_IP = 0x4C54_0002


def _locked_out(s: AuthSettings) -> TooManyRequests:
    return TooManyRequests(
        f"登录失败次数过多，请在 {s.window_seconds // 60} 分钟后重试。",
        f"Too many failed logins; try again in {s.window_seconds // 60} minutes.",
        code="login_locked",
        extra={"_headers": {"Retry-After": str(s.window_seconds)}, "retry_after": s.window_seconds},
    )


def _reserve_attempt(session: Session, username: str, ip: str, s: AuthSettings) -> int:
    """Count this attempt as a failure before the password is verified, or refuse it (429) when the account
    or the IP already has its allowance of failures in the window; the attempt's id.

    Check and record are one transaction under advisory locks on the account and the IP, so parallel guesses
    queue here and at most ``max_failures_*`` of them are ever verified in a window (counting first and
    recording after the slow password check let a burst through). On its own connection and committed at
    once: the failure counts even though the request's transaction rolls back. A correct password gives the
    attempt back (``_release_attempt``).
    """
    since = _now() - timedelta(seconds=s.window_seconds)
    with _own_connection(session) as conn:
        conn.execute(select(func.pg_advisory_xact_lock(_LOCK_ACCOUNT, func.hashtext(username))))
        conn.execute(select(func.pg_advisory_xact_lock(_LOCK_IP, func.hashtext(ip))))
        by_account = (
            conn.scalar(
                select(func.count())
                .select_from(LoginAttempt)
                .where(LoginAttempt.username == username, LoginAttempt.at >= since)
            )
            or 0
        )
        by_ip = (
            conn.scalar(
                select(func.count()).select_from(LoginAttempt).where(LoginAttempt.ip == ip, LoginAttempt.at >= since)
            )
            or 0
        )
        if by_account >= s.max_failures_account or by_ip >= s.max_failures_ip:
            conn.rollback()
            raise _locked_out(s)
        attempt_id: int = conn.execute(
            insert(LoginAttempt).values(username=username, ip=ip).returning(LoginAttempt.id)
        ).scalar_one()
        conn.commit()
    return attempt_id


def _release_attempt(session: Session, attempt_id: int) -> None:
    """The password was right: the reserved attempt is not a failure."""
    with _own_connection(session) as conn:
        conn.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))
        conn.commit()


def _open_session(session: Session, user: User, s: AuthSettings) -> TokenPair:
    session_id = uuid.uuid4()
    refresh = new_refresh_token(s.secret, session_id)
    auth_session = AuthSession(
        id=session_id,
        user_id=user.id,
        refresh_token_hash=hash_refresh_token(refresh),
        expires_at=_now() + timedelta(seconds=s.refresh_ttl),
    )
    session.add(auth_session)
    session.flush()
    access = issue_access_token(
        s.secret, user_id=user.id, session_id=auth_session.id, role=user.role, ttl_seconds=s.access_ttl
    )
    return TokenPair(access, refresh, s.access_ttl)


def login(session: Session, username: str, password: str, ip: str, s: AuthSettings) -> TokenPair:
    """Check the password (rate-limited per account and per IP, counted before it is verified) and open a
    session."""
    attempt_id = _reserve_attempt(session, username[:64], ip[:64], s)
    user = session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None:
        raise Unauthorized("用户名或密码错误。", "Wrong username or password.", code="invalid_credentials")
    _release_attempt(session, attempt_id)
    if not user.is_active:
        raise Forbidden("该账号已停用。", "This account is disabled.", code="account_disabled")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    set_actor(user.id, user.username)
    pair = _open_session(session, user, s)
    record_audit(session, "auth.login", "user", user.id)
    return pair


def refresh(session: Session, refresh_token: str, s: AuthSettings) -> TokenPair:
    """Rotate a refresh token; a replayed (already rotated) token, however old, revokes the whole session."""
    token_hash = hash_refresh_token(refresh_token)
    current = session.scalar(
        select(AuthSession).where(AuthSession.refresh_token_hash == token_hash).with_for_update(of=AuthSession)
    )
    if current is None:
        # Not the session's current token, yet one we issued for it (signed session id): it was rotated
        # already. Tokens issued before they carried their session are known by the previous hash only.
        replayed_id = refresh_token_session(s.secret, refresh_token) or session.scalar(
            select(AuthSession.id).where(AuthSession.previous_token_hash == token_hash)
        )
        if replayed_id is not None:
            # Token theft or a lost response followed by a retry: end the session either way.
            _revoke_on_own_connection(session, replayed_id, "refresh_reuse")
        raise Unauthorized(
            "刷新令牌无效或已被撤销。", "Refresh token invalid or revoked.", code="refresh_token_invalid"
        )
    if current.revoked_at is not None or current.expires_at <= _now():
        raise Unauthorized(
            "刷新令牌无效或已被撤销。", "Refresh token invalid or revoked.", code="refresh_token_invalid"
        )
    if not current.user.is_active:
        raise Unauthorized("该账号已停用。", "This account is disabled.", code="account_disabled")
    new_token = new_refresh_token(s.secret, current.id)
    current.previous_token_hash = token_hash
    current.refresh_token_hash = hash_refresh_token(new_token)
    session.flush()
    access = issue_access_token(
        s.secret, user_id=current.user_id, session_id=current.id, role=current.user.role, ttl_seconds=s.access_ttl
    )
    return TokenPair(access, new_token, s.access_ttl)


def _revoke_on_own_connection(session: Session, session_id: uuid.UUID, reason: str) -> None:
    with _own_connection(session) as conn:
        conn.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=func.now(), revoked_reason=reason)
        )
        conn.commit()


def logout(session: Session, principal: Principal) -> None:
    """Revoke the caller's session: its access and refresh tokens stop working at once."""
    auth_session = session.get(AuthSession, uuid.UUID(principal.session_id)) if principal.session_id else None
    if auth_session is not None and auth_session.revoked_at is None:
        auth_session.revoked_at = _now()
        auth_session.revoked_reason = "logout"
        record_audit(session, "auth.logout", "user", principal.user_id)


def _session_id(claims: Mapping[str, Any]) -> uuid.UUID:
    try:
        return uuid.UUID(claims["sid"])
    except ValueError:
        raise Unauthorized("访问令牌无效。", "Access token invalid.", code="token_invalid") from None


def known_principal(secret: str, token: str, cache: SessionCache | None) -> Principal | None:
    """The Principal of a valid ``token`` whose session this process's cache holds, else None; never touches
    the database, so an entry point can skip even opening a session (building and closing an unused
    SQLAlchemy Session was ~10 % of an authenticated 304). Invalid or expired tokens raise as in
    ``authenticate``."""
    if cache is None:
        return None
    claims = decode_access_token(secret, token)
    # The cache's keys are canonical UUID strings, as issued: a claim equal to one needs no parsing.
    sid = claims["sid"]
    known = (cache.get(sid) if isinstance(sid, str) else None) or cache.get(str(_session_id(claims)))
    if known is not None and str(known.user_id) == claims["sub"]:
        return known
    return None


def authenticate(session: Session, secret: str, token: str, cache: SessionCache | None = None) -> Principal:
    """Turn a bearer token into a Principal; revoked sessions and disabled users are refused.

    Runs on every request: a session the process's cache knows costs no database round trip; otherwise one
    Core query (session, user and jurisdiction paths together). Revocations reach the cache by notification
    (app/auth/session_cache.py gives the bound); without a cache they take effect immediately.
    """
    known = known_principal(secret, token, cache)
    if known is not None:
        return known
    claims = decode_access_token(secret, token)
    sid = _session_id(claims)
    generation = cache.generation() if cache is not None else 0
    row = session.execute(
        select(
            AuthSession.user_id,
            AuthSession.revoked_at,
            User.username,
            User.role,
            User.is_active,
            func.array_remove(func.array_agg(Jurisdiction.path), None).label("paths"),
        )
        .join(User, User.id == AuthSession.user_id)
        .outerjoin(user_jurisdictions, user_jurisdictions.c.user_id == User.id)
        .outerjoin(Jurisdiction, Jurisdiction.id == user_jurisdictions.c.jurisdiction_id)
        .where(AuthSession.id == sid)
        .group_by(AuthSession.user_id, AuthSession.revoked_at, User.username, User.role, User.is_active)
    ).one_or_none()
    if row is None or row.revoked_at is not None or str(row.user_id) != claims["sub"]:
        raise Unauthorized("登录已失效，请重新登录。", "Session revoked; log in again.", code="session_revoked")
    if not row.is_active:
        raise Unauthorized("该账号已停用。", "This account is disabled.", code="account_disabled")
    principal = Principal(row.user_id, row.username, row.role, tuple(sorted(row.paths)), str(sid))
    if cache is not None:
        cache.put(principal, generation)
    return principal


def _validate_user_fields(username: str | None, role: str | None, password: str | None) -> None:
    errors = ErrorList()
    if username is not None and not (3 <= len(username) <= 64):
        errors.add("username", "invalid_username", "用户名长度须为 3–64 个字符。", "Username must be 3–64 characters.")
    if role is not None and role not in ROLES:
        errors.add(
            "role", "invalid_role", f"角色须为 {', '.join(ROLES)} 之一。", f"Role must be one of {', '.join(ROLES)}."
        )
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors.add(
            "password",
            "password_too_short",
            f"密码至少 {MIN_PASSWORD_LENGTH} 个字符。",
            f"Password must have at least {MIN_PASSWORD_LENGTH} characters.",
        )
    if errors:
        raise ValidationFailed(errors=errors.items)


def _jurisdictions_in_scope(session: Session, codes: list[str], actor: Principal | None) -> list[Jurisdiction]:
    if not codes:
        raise ValidationFailed(
            "至少指定一个辖区。", "At least one jurisdiction is required.", code="jurisdiction_required"
        )
    found = [get_jurisdiction_by_code(session, c) for c in codes]
    if actor is not None:
        outside = [j.code for j in found if not actor.covers(j.path)]
        if outside:
            raise Forbidden(
                f"辖区 {', '.join(outside)} 不在您的管辖范围内。",
                f"Jurisdictions {', '.join(outside)} are outside your scope.",
                code="out_of_scope",
            )
    return found


def create_user(
    session: Session,
    *,
    username: str,
    role: str,
    password: str,
    jurisdiction_codes: list[str],
    display_name: str | None = None,
    badge_number: str | None = None,
    actor: Principal | None = None,
) -> User:
    """Create a user bound to jurisdictions (an admin may only grant jurisdictions in its own scope)."""
    _validate_user_fields(username, role, password)
    jurisdictions = _jurisdictions_in_scope(session, jurisdiction_codes, actor)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"用户名 {username} 已存在。", f"Username {username} already exists.", code="username_taken")
    user = User(
        username=username,
        role=role,
        password_hash=hash_password(password),
        display_name=display_name,
        badge_number=badge_number,
        jurisdictions=jurisdictions,
        is_active=True,
    )
    session.add(user)
    session.flush()
    record_audit(session, "user.create", "user", user.id, after=user_summary(user))
    return user


def user_in_scope(user: User, actor: Principal) -> bool:
    """An admin manages a user only when EVERY jurisdiction of the user lies in the admin's scope: a user who
    also serves another district (or one above) belongs to an admin covering that too (no takeover by
    password reset, role change or stripping the other district)."""
    return bool(user.jurisdictions) and all(actor.covers(j.path) for j in user.jurisdictions)


def list_users_in_scope(session: Session, actor: Principal) -> list[User]:
    """Users the admin manages (see ``user_in_scope``), by username."""
    return [u for u in session.scalars(select(User).order_by(User.username)) if user_in_scope(u, actor)]


def get_user_in_scope(session: Session, user_id: int, actor: Principal) -> User:
    user = session.get(User, user_id)
    if user is None or not user_in_scope(user, actor):
        raise NotFound("用户不存在。", "User not found.", code="user_not_found")
    return user


def update_user(
    session: Session,
    user: User,
    *,
    actor: Principal,
    role: str | None = None,
    is_active: bool | None = None,
    password: str | None = None,
    jurisdiction_codes: list[str] | None = None,
    display_name: str | None = None,
    badge_number: str | None = None,
) -> User:
    """Change a user; disabling revokes every open session at once."""
    _validate_user_fields(None, role, password)
    before = user_summary(user)
    if role is not None:
        user.role = role
    if display_name is not None:
        user.display_name = display_name
    if badge_number is not None:
        user.badge_number = badge_number
    if password is not None:
        user.password_hash = hash_password(password)
    if jurisdiction_codes is not None:
        user.jurisdictions = _jurisdictions_in_scope(session, jurisdiction_codes, actor)
    if is_active is not None:
        if not is_active and user.id == actor.user_id:
            raise Conflict("不能停用自己的账号。", "You cannot disable your own account.", code="cannot_disable_self")
        user.is_active = is_active
    if is_active is False or password is not None:
        session.execute(
            update(AuthSession)
            .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=func.now(), revoked_reason="disabled" if is_active is False else "password")
        )
    session.flush()
    record_audit(session, "user.update", "user", user.id, before=before, after=user_summary(user))
    return user


def user_summary(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "role": user.role,
        "is_active": user.is_active,
        "display_name": user.display_name,
        "badge_number": user.badge_number,
        "jurisdictions": sorted(j.code for j in user.jurisdictions),
    }
