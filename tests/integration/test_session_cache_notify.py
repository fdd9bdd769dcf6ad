"""A cached session or checklist hash costs no database round trip, and PostgreSQL's notifications make every
process forget it (app/change_notices.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import current_app
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from app.auth.models import AuthSession, User
from app.auth.services import authenticate
from app.auth.session_cache import SessionCache
from app.change_notices import ChangeListener
from app.checklists.hash_cache import CurrentHashCache
from app.checklists.models import ChecklistVersion
from app.checklists.versions import current_hash
from app.errors import Unauthorized
from app.extensions import db
from tests.factories import issue_tokens, make_user


@pytest.fixture()
def listener(database_url: str) -> ChangeListener:
    return ChangeListener(database_url.replace("postgresql+psycopg://", "postgresql://"))


@pytest.fixture()
def cache(listener: ChangeListener) -> Iterator[SessionCache]:
    listening = SessionCache(ttl=60, listener=listener)
    assert listener.wait_listening(10)
    yield listening


def _statements_during(fn) -> int:  # noqa: ANN001
    count = 0

    def counter(*_args: object) -> None:
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return count


def _refused_within(seconds: float, check) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            check()
        except Unauthorized:
            return True
        time.sleep(0.02)
    return False


def test_second_request_of_a_session_reads_nothing_and_a_revocation_elsewhere_ends_it(
    app_ctx, session: Session, tree, cache: SessionCache
) -> None:
    make_user(session, "cached", "inspector", ["410811"])
    session.commit()
    token = issue_tokens(session, "cached")["access_token"]
    secret = current_app.config["SECRET_KEY"]

    with Session(db.engine) as request_one:
        first = authenticate(request_one, secret, token, cache)
    with Session(db.engine) as request_two:
        assert _statements_during(lambda: authenticate(request_two, secret, token, cache)) == 0

    # Another app server logs the session out: only the database is shared.
    with Session(db.engine) as elsewhere:
        elsewhere.execute(
            update(AuthSession).where(AuthSession.user_id == first.user_id).values(revoked_at=db.func.now())
        )
        elsewhere.commit()

    def check() -> None:
        with Session(db.engine) as request:
            authenticate(request, secret, token, cache)

    assert _refused_within(2.0, check), "the notification did not reach the cache (TTL is 60 s)"


def test_disabling_the_user_ends_their_cached_sessions(app_ctx, session: Session, tree, cache: SessionCache) -> None:
    make_user(session, "to_disable", "supervisor", ["410811"])
    session.commit()
    token = issue_tokens(session, "to_disable")["access_token"]
    secret = current_app.config["SECRET_KEY"]
    with Session(db.engine) as request:
        principal = authenticate(request, secret, token, cache)
    with Session(db.engine) as admin:
        admin.execute(update(User).where(User.id == principal.user_id).values(is_active=False))
        admin.commit()

    def check() -> None:
        with Session(db.engine) as request:
            authenticate(request, secret, token, cache)

    assert _refused_within(2.0, check)


def test_a_cached_checklist_hash_is_read_once_and_forgotten_when_the_catalogue_changes(
    app_ctx, session: Session, listener: ChangeListener
) -> None:
    from tests.factories_catalogue import install_shipped_checklists

    hashes = CurrentHashCache(ttl=60, listener=listener)
    assert listener.wait_listening(10)
    install_shipped_checklists(session)
    session.commit()
    row = session.query(ChecklistVersion).filter_by(is_current=True).first()
    assert row is not None
    key, digest = row.key, row.content_hash
    assert current_hash(session, key, hashes) == digest
    assert _statements_during(lambda: current_hash(session, key, hashes)) == 0
    # The catalogue sync makes another version current: the trigger notifies, every process forgets the key.
    session.execute(update(ChecklistVersion).where(ChecklistVersion.id == row.id).values(is_current=False))
    session.commit()
    deadline = time.monotonic() + 5
    while hashes.get(key) is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert hashes.get(key) is None
    assert current_hash(session, key, hashes) is None  # read again: no current version now
