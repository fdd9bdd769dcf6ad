"""The dict ``ReviewQueueSchema`` dumps, from a queue page."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from app.review.queue import QueueItem, QueuePage


def item_output(item: QueueItem) -> dict[str, Any]:
    row = item.row
    return {
        "id": row.inspection_id,
        "state": row.state,
        "site": {
            "id": row.site_id,
            "name": row.site_name,
            "kind": row.site_kind,
            "jurisdiction_code": row.jurisdiction_code,
            "jurisdiction_name": row.jurisdiction_name,
        },
        "checklist_key": row.checklist_key,
        "created_by_id": row.created_by_id,
        "officer_count": row.facts.officer_count,
        "started_at": row.started_at,
        "ended_at": row.ended_at,
        "submitted_at": row.submitted_at,
        "total_amount_fen": row.facts.total_amount_fen,
        "risk": {"score": item.assessment.score, "reasons": [asdict(r) for r in item.assessment.reasons]},
    }


def page_output(page: QueuePage) -> dict[str, Any]:
    return {
        "items": [item_output(i) for i in page.items],
        "counts": page.counts,
        "counts_capped": list(page.counts_capped),
        "next_cursor": page.next_cursor,
    }
