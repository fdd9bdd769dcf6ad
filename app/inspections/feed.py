"""Change order and the sync feed: every change gives an inspection the next ``change_seq``; phones follow it.

Why an advisory lock:
    ``change_seq`` comes from a PostgreSQL sequence. Sequence values are handed out when ``nextval`` runs,
    but become visible when their transaction commits, so commits can land out of order: T1 takes 41,
    T2 takes 42 and commits first; a phone reading then gets 42, stores cursor 42, and never sees 41.
    We take the value *last* in every changing transaction, under a transaction-scoped advisory lock
    (``bump_change``). The lock is held until commit, so the transaction holding seq N has committed (and
    is visible: PostgreSQL releases locks after the commit is visible) before anyone can take N+1. Readers
    therefore never see a seq while a smaller one is still in flight, and need no special handling.
    The cost is that inspection writes serialise for the few milliseconds between ``bump_change`` and
    COMMIT; services call it as their final step so that window stays short. (The alternative — a reader
    that only hands out seqs below the oldest in-flight writer's — needs a registry of in-flight
    transactions; the lock is simpler and easy to test.)
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, or_, select, text
from sqlalchemy.orm import Session

from app import cursors
from app.auth.principal import Principal
from app.errors import FieldError, ValidationFailed
from app.inspections.models import CHANGE_SEQ, Inspection, InspectionOfficer
from app.inspections.settings import Settings
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.sites.models import Site
from app.vocabulary import SUPERVISING_ROLES

# Arbitrary constant naming the feed's advisory lock ("LTIN" in ASCII).
FEED_LOCK_KEY = 0x4C54494E

_CURSOR_PREFIX = "isq1:"


def bump_change(session: Session, inspection: Inspection) -> None:
    """Give the inspection the next feed position. MUST be the last write before COMMIT (module docstring)."""
    session.flush()
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK_KEY})
    inspection.change_seq = session.execute(select(CHANGE_SEQ.next_value())).scalar_one()
    session.flush()


@dataclass(frozen=True)
class FeedPage:
    """One page of the sync feed: the inspections in change order and where to continue."""

    inspections: list[Inspection]
    next_cursor: str
    has_more: bool


def encode_cursor(seq: int) -> str:
    return cursors.encode_cursor(f"{_CURSOR_PREFIX}{seq}")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = cursors.decode_cursor(cursor)
        if not raw.startswith(_CURSOR_PREFIX):
            raise ValueError(raw)
        seq = int(raw[len(_CURSOR_PREFIX) :])
        if seq < 0:
            raise ValueError(raw)
        return seq
    except ValueError:  # MalformedCursor included
        raise ValidationFailed(
            "同步游标无效",
            "Invalid sync cursor",
            errors=[
                FieldError(
                    "updated_since",
                    "invalid_cursor",
                    "同步游标无效，请使用上次响应中的 next_cursor",
                    "invalid cursor: pass next_cursor from the previous response",
                )
            ],
        ) from None


def _visible_to(principal: Principal) -> ColumnElement[bool]:
    if principal.role in SUPERVISING_ROLES:
        return scope_clause(principal.jurisdiction_paths)
    return or_(
        Inspection.created_by_id == principal.user_id,
        exists().where(
            InspectionOfficer.inspection_id == Inspection.id, InspectionOfficer.user_id == principal.user_id
        ),
    )


def inspection_feed(
    session: Session, principal: Principal, updated_since: str | None, limit: int, settings: Settings
) -> FeedPage:
    """Inspections the caller may see whose last change is after the cursor, in change order.

    Each change gives the inspection a new ``change_seq`` (edits, submissions, returns, reviews), so a phone
    following ``next_cursor`` receives every change it may see exactly once, at its latest state.
    """
    limit = max(1, min(limit, settings.feed_max_limit))
    after = decode_cursor(updated_since)
    rows = list(
        session.scalars(
            select(Inspection)
            .join(Site, Site.id == Inspection.site_id)
            .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
            .where(Inspection.change_seq > after, _visible_to(principal))
            .order_by(Inspection.change_seq)
            .limit(limit + 1)
        )
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].change_seq if rows else after
    return FeedPage(rows, encode_cursor(last), has_more)
