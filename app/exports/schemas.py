"""Export query arguments: exactly the review queue's filters (one parser, ``app.review.filters``)."""

from __future__ import annotations

from app.review.schemas import QueueFilterArgsSchema


class ExportArgsSchema(QueueFilterArgsSchema):
    """The review queue's filters (state defaults to submitted; list several, comma-separated)."""
