"""Change order and the sync feed: every change gives an inspection a new feed position; phones follow it.

The classic gap: positions handed out in one order become visible in another. T1 takes seq 41, T2 takes 42 and
commits first; a phone reading then gets 42, stores cursor 42, and never sees 41.

How it is avoided without serialising writers: a change records its writer transaction's id
(``change_xid = pg_current_xact_id()``) beside a sequence value, and the feed is ordered by
``(change_xid, change_seq)`` and hands out only changes whose transaction is older than the oldest one
still running (``change_xid < pg_snapshot_xmin(pg_current_snapshot())``, evaluated in the reading statement's
own snapshot). Every transaction below that horizon has finished, so nothing can ever appear behind a cursor
already handed out; a transaction that commits later has an id at or above the horizon, hence after every
cursor given so far. Writers take no shared lock: unrelated inspections commit in parallel.

The price is lag, never loss: a long transaction that writes (a migration, a bulk import) holds the horizon
back, and changes committed after it started wait in the feed until it ends. Requests keep their transactions
short, so in practice the lag is one request's duration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, cast, exists, literal, or_, select, text, tuple_, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app import cursors
from app.auth.principal import Principal
from app.errors import FieldError, ValidationFailed
from app.inspections.models import CHANGE_SEQ, Inspection, InspectionOfficer, Xid8
from app.inspections.settings import Settings
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import scope_clause
from app.sites.models import Site
from app.vocabulary import SUPERVISING_ROLES

_CURSOR_PREFIX = "isq2:"

# Changes whose writer transaction has finished: below the oldest running one (module docstring).
_SETTLED = Inspection.change_xid < text("pg_snapshot_xmin(pg_current_snapshot())")


def bump_change(session: Session, inspection: Inspection) -> None:
    """Give the inspection a new feed position in this transaction (one UPDATE; no lock beyond its row)."""
    session.flush()
    seq, xid = session.execute(
        update(Inspection)
        .where(Inspection.id == inspection.id)
        .values(change_seq=CHANGE_SEQ.next_value(), change_xid=text("pg_current_xact_id()"))
        .returning(Inspection.change_seq, Inspection.change_xid)
        .execution_options(synchronize_session=False)
    ).one()
    set_committed_value(inspection, "change_seq", seq)
    set_committed_value(inspection, "change_xid", xid)


@dataclass(frozen=True)
class FeedPage:
    """One page of the sync feed: the inspections in change order and where to continue.

    ``inspections`` are Core rows of ``columns`` (given by the caller: what it will show) with ``id``,
    ``change_xid`` and ``change_seq``, plus the site's ``site_name``, ``site_kind`` and ``jurisdiction_code``."""

    inspections: Sequence[Row[Any]]
    next_cursor: str
    has_more: bool


@dataclass(frozen=True)
class FeedPosition:
    """Where a phone stands in the feed: after this writer transaction's change with this sequence value."""

    xid: int
    seq: int


START = FeedPosition(0, 0)


def encode_cursor(position: FeedPosition) -> str:
    return cursors.encode_cursor(f"{_CURSOR_PREFIX}{position.xid}:{position.seq}")


def decode_cursor(cursor: str | None) -> FeedPosition:
    if not cursor:
        return START
    try:
        raw = cursors.decode_cursor(cursor)
        if not raw.startswith(_CURSOR_PREFIX):
            raise ValueError(raw)
        xid_text, seq_text = raw[len(_CURSOR_PREFIX) :].split(":")
        position = FeedPosition(int(xid_text), int(seq_text))
        if position.xid < 0 or position.seq < 0:
            raise ValueError(raw)
        return position
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
    session: Session,
    principal: Principal,
    updated_since: str | None,
    limit: int,
    settings: Settings,
    columns: Sequence[Any] = (),
) -> FeedPage:
    """Inspections the caller may see whose last change is after the cursor, in change order.

    Each change gives the inspection a new ``change_seq`` (edits, submissions, returns, reviews), so a phone
    following ``next_cursor`` receives every change it may see exactly once, at its latest state.
    """
    limit = max(1, min(limit, settings.feed_max_limit))
    after = decode_cursor(updated_since)
    position = tuple_(Inspection.change_xid, Inspection.change_seq)
    rows = list(
        session.execute(
            select(
                Inspection.id,
                Inspection.change_xid,
                Inspection.change_seq,
                Inspection.site_id,
                Site.name.label("site_name"),
                Site.kind.label("site_kind"),
                Jurisdiction.code.label("jurisdiction_code"),
                *columns,
            )
            .join(Site, Site.id == Inspection.site_id)
            .join(Jurisdiction, Jurisdiction.id == Site.jurisdiction_id)
            .where(
                position > tuple_(cast(str(after.xid), Xid8()), literal(after.seq)),
                _SETTLED,
                _visible_to(principal),
            )
            .order_by(Inspection.change_xid, Inspection.change_seq)
            .limit(limit + 1)
        )
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    last = FeedPosition(int(rows[-1].change_xid), rows[-1].change_seq) if rows else after
    return FeedPage(rows, encode_cursor(last), has_more)
