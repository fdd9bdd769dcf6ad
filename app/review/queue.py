"""Use case: one page of the supervisor's review queue, with counts per state."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app import cursors
from app.auth.principal import Principal
from app.inspections.rules import STATES
from app.jurisdictions.services import get_jurisdiction_in_scope
from app.review.queries import QueueFilter, QueueRow, counts_by_state, queue_page
from app.review.risk import Assessment, RiskSettings, assess
from app.review.risk_store import any_dirty, stored_scores_trusted

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class QueueItem:
    row: QueueRow
    assessment: Assessment


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    counts: dict[str, int]
    next_cursor: str | None
    counts_capped: tuple[str, ...] = ()  # states whose count stopped at queries.COUNT_CAP ("10,000+")


def _fingerprint(flt: QueueFilter, settings: RiskSettings) -> str:
    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, date) else value

    key = {"filter": {k: plain(v) for k, v in asdict(flt).items()}, "settings": asdict(settings)}
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _encode_cursor(fingerprint: str, row: QueueRow) -> str:
    raw = {"f": fingerprint, "s": row.score, "t": row.queued_at.isoformat(), "id": str(row.inspection_id)}
    return cursors.encode_cursor(json.dumps(raw, separators=(",", ":")))


def _decode_cursor(fingerprint: str, cursor: str) -> tuple[int, datetime, uuid.UUID]:
    try:
        raw = json.loads(cursors.decode_cursor(cursor))
        if raw["f"] != fingerprint:
            raise ValueError("cursor belongs to another query")
        at = datetime.fromisoformat(raw["t"])
        if at.tzinfo is None or not isinstance(raw["s"], int):
            raise ValueError("malformed cursor")
        return raw["s"], at, uuid.UUID(raw["id"])
    except (cursors.MalformedCursor, ValueError, KeyError, TypeError):
        raise cursors.invalid_cursor() from None


def review_queue(
    session: Session,
    principal: Principal,
    flt: QueueFilter,
    settings: RiskSettings,
    *,
    jurisdiction_code: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> QueuePage:
    """Inspections in the caller's scope matching ``flt``, riskiest first (then longest waiting, then id),
    each with its explained score; counts per state ignore the state filter. ``jurisdiction_code`` narrows
    to that subtree (404 when unknown or outside the caller's scope)."""
    if jurisdiction_code is not None:
        flt = replace(flt, jurisdiction_path=get_jurisdiction_in_scope(session, jurisdiction_code, principal).path)
    fingerprint = _fingerprint(flt, settings)
    after = _decode_cursor(fingerprint, cursor) if cursor else None
    paths = principal.jurisdiction_paths
    # Stored scores (app.review.risk_store) when they were computed with these settings, else all live.
    stored = stored_scores_trusted(session, settings)
    dirty = not stored or any_dirty(session)
    rows = queue_page(session, paths, flt, settings, limit=limit + 1, after=after, stored=stored, any_dirty=dirty)
    next_cursor = _encode_cursor(fingerprint, rows[limit - 1]) if len(rows) > limit else None
    counts = counts_by_state(session, paths, flt, STATES, stored=stored, any_dirty=dirty)
    return QueuePage(
        items=[QueueItem(r, assess(r.facts, settings)) for r in rows[:limit]],
        counts=dict.fromkeys(STATES, 0) | counts.counts,
        next_cursor=next_cursor,
        counts_capped=counts.capped,
    )
