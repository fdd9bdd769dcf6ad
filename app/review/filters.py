"""The review queue's filters from parsed query arguments: one parser for the queue, exports and map layers."""

from __future__ import annotations

from typing import Any

from app.review.queries import QueueFilter


def queue_filter(args: dict[str, Any]) -> QueueFilter:
    """A ``QueueFilter`` from arguments loaded by ``QueueFilterArgsSchema`` (or a schema extending it)."""
    bbox = args.get("bbox")
    return QueueFilter(
        states=tuple(sorted(set(args["state"]))),
        checklist=args.get("checklist"),
        site_kind=args.get("site_kind"),
        site_id=args.get("site_id"),
        inspector_id=args.get("inspector"),
        submitted_from=args.get("submitted_from"),
        submitted_to=args.get("submitted_to"),
        inspected_from=args.get("inspected_from"),
        inspected_to=args.get("inspected_to"),
        bbox=(bbox[0], bbox[1], bbox[2], bbox[3]) if bbox else None,
        flags=tuple(sorted(set(args.get("flag") or ()))),
        min_amount_fen=args.get("min_amount_fen"),
        has_failed=args.get("has_failed"),
    )
