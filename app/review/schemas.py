"""Review queue shapes at the HTTP edge."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from webargs.fields import DelimitedList

from app.geo.fields import NumberList
from app.inspections.rules import STATES
from app.review.queue import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

_CODE = ma.validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$")


class QueueFilterArgsSchema(ma.Schema):
    """The review queue's filters, shared by exports and map layers (app.review.filters.queue_filter)."""

    state = DelimitedList(
        ma.fields.String(validate=ma.validate.OneOf(STATES)),
        load_default=lambda: ["submitted"],
        validate=ma.validate.Length(min=1, max=len(STATES)),
        metadata={"description": "One or several states, comma-separated (default submitted)"},
    )
    jurisdiction = ma.fields.String(
        validate=ma.validate.Regexp(r"^[0-9]{6,12}$"),
        metadata={"description": "Jurisdiction code: that subtree (404 outside your scope)"},
    )
    checklist = ma.fields.String(validate=ma.validate.Length(min=1, max=100))
    site_kind = ma.fields.String(validate=ma.validate.Length(min=1, max=64))
    site_id = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))
    inspector = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "User id: the creator or one of the officers"},
    )
    submitted_from = ma.fields.Date(metadata={"description": "Asia/Shanghai date, inclusive"})
    submitted_to = ma.fields.Date(metadata={"description": "Asia/Shanghai date, inclusive"})
    inspected_from = ma.fields.Date(metadata={"description": "Asia/Shanghai date of started_at, inclusive"})
    inspected_to = ma.fields.Date(metadata={"description": "Asia/Shanghai date of started_at, inclusive"})
    bbox = NumberList(4, metadata={"description": "minlon,minlat,maxlon,maxlat (WGS-84): inspection position or site"})
    flag = DelimitedList(
        ma.fields.String(validate=_CODE),
        validate=ma.validate.Length(min=1, max=20),
        metadata={"description": "Evidence flag codes, comma-separated: any photo link carries one of them"},
    )
    min_amount_fen = ma.fields.Integer(validate=ma.validate.Range(min=0, max=2**62))
    has_failed = ma.fields.Boolean(metadata={"description": "Has (true) / has no (false) failed item"})

    @ma.validates_schema
    def _ranges(self, data: dict[str, Any], **kwargs: Any) -> None:
        bbox = data.get("bbox")
        if bbox is not None:
            x1, y1, x2, y2 = bbox
            if not (-180 <= x1 <= x2 <= 180 and -90 <= y1 <= y2 <= 90):
                raise ma.ValidationError("bbox is minlon,minlat,maxlon,maxlat in WGS-84.", field_name="bbox")
        for lo, hi in (("submitted_from", "submitted_to"), ("inspected_from", "inspected_to")):
            if lo in data and hi in data and data[lo] > data[hi]:
                raise ma.ValidationError(f"{lo} is after {hi}.", field_name=lo)


class ReviewQueueArgsSchema(QueueFilterArgsSchema):
    cursor = ma.fields.String(
        validate=ma.validate.Length(max=1000), metadata={"description": "Opaque cursor from next_cursor"}
    )
    limit = ma.fields.Integer(load_default=DEFAULT_PAGE_SIZE, validate=ma.validate.Range(min=1, max=MAX_PAGE_SIZE))


class ReasonSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "Stable reason code (README: Review queue)"})
    points = ma.fields.Integer()
    count = ma.fields.Integer(metadata={"description": "How often the reason was seen (counted once)"})
    message_zh = ma.fields.String()
    message_en = ma.fields.String()


class RiskSchema(ma.Schema):
    score = ma.fields.Integer(metadata={"description": "Sum of the reasons' points"})
    reasons = ma.fields.List(ma.fields.Nested(ReasonSchema))


class QueueSiteSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String()
    jurisdiction_code = ma.fields.String()
    jurisdiction_name = ma.fields.String()


class QueueItemSchema(ma.Schema):
    id = ma.fields.UUID()
    state = ma.fields.String()
    site = ma.fields.Nested(QueueSiteSchema)
    checklist_key = ma.fields.String()
    created_by_id = ma.fields.Integer()
    officer_count = ma.fields.Integer()
    started_at = ma.fields.DateTime(allow_none=True)
    ended_at = ma.fields.DateTime(allow_none=True)
    submitted_at = ma.fields.DateTime(allow_none=True)
    total_amount_fen = ma.fields.Integer()
    risk = ma.fields.Nested(RiskSchema)


class ReviewQueueSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(QueueItemSchema))
    counts = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={"description": "Inspections per state in scope matching every filter but `state`"},
    )
    counts_capped = ma.fields.List(
        ma.fields.String(),
        metadata={
            "description": "States with more than 10,000 matching inspections: their count says 10,000 "
            "(shown as 「10,000+」 / \"10,000+\")"
        },
    )
    next_cursor = ma.fields.String(allow_none=True)
