"""Edge contract of the cases, tasks and fiscal-deduction APIs (shape only; services check the rest)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from app.cases.deadlines import CALENDAR, WORKING
from app.cases.listing import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from app.cases.transitions import STAGES, TRANSITIONS

MAX_FEN = 2**62
MAX_REASON = 2000
FIELD_DESCRIPTION_DATE = "Asia/Shanghai 日期 / local date (YYYY-MM-DD); default today"


class NonBlankString(fields.String):
    """A string that is not empty or only whitespace (stored as sent)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.strip():
            raise ma.ValidationError("Must not be blank.")
        return str(text)


class Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


# ------------------------------------------------------------------------------------------------ inputs
class CaseListArgsSchema(Strict):
    stage = fields.String(validate=validate.OneOf(STAGES))
    site_id = fields.Integer(validate=validate.Range(min=1), metadata={"description": "Cases of this site"})
    inspection_id = fields.UUID(metadata={"description": "The case this inspection belongs to (at most one)"})
    limit = fields.Integer(
        load_default=DEFAULT_PAGE_SIZE,
        validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
        metadata={"description": f"Page size, 1–{MAX_PAGE_SIZE}"},
    )
    cursor = fields.String(
        validate=validate.Length(max=500), metadata={"description": "Opaque cursor from next_cursor"}
    )


class TransitionSchema(Strict):
    action = fields.String(required=True, validate=validate.OneOf(tuple(TRANSITIONS)))
    on_date = fields.Date(metadata={"description": FIELD_DESCRIPTION_DATE})
    proposed_fine_fen = fields.Integer(validate=validate.Range(min=0, max=MAX_FEN))
    hearing_right = fields.Boolean(metadata={"description": "serve_notice: grant the hearing right explicitly"})
    fine_fen = fields.Integer(validate=validate.Range(min=0, max=MAX_FEN), metadata={"description": "decide"})
    measures = fields.List(fields.String(validate=validate.Length(min=1, max=200)), validate=validate.Length(max=20))
    rights_waived = fields.Boolean(metadata={"description": "decide: the party waived 陈述申辩/听证 in writing"})
    amount_fen = fields.Integer(validate=validate.Range(min=0, max=MAX_FEN), metadata={"description": "payment"})
    reason = NonBlankString(validate=validate.Length(min=1, max=MAX_REASON))


class PartyEditSchema(Strict):
    kind = fields.String(validate=validate.OneOf(("unit", "individual")))
    name = NonBlankString(validate=validate.Length(min=1, max=200))
    credit_code = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9A-HJ-NP-RTUWXY]{18}$"))
    legal_representative = fields.String(allow_none=True, validate=validate.Length(max=100))
    address = fields.String(allow_none=True, validate=validate.Length(max=400))
    id_number = fields.String(allow_none=True, validate=validate.Regexp(r"^[0-9]{17}[0-9X]$"))
    reason = NonBlankString(
        validate=validate.Length(min=1, max=MAX_REASON),
        metadata={"description": "更正理由（记入时间线和审计）/ why (timeline and audit)"},
    )


class OrderCreateSchema(Strict):
    inspection_id = fields.UUID(metadata={"description": "the case's inspection ordered corrected; default latest"})
    item_keys = fields.List(fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(max=100))
    decided_on = fields.Date(required=True, metadata={"description": "责令改正决定日期 / decision date"})
    served_on = fields.Date(allow_none=True, metadata={"description": "送达日期 / service date"})
    deadline = fields.Date(required=True, metadata={"description": "改正期限 / correction deadline"})


class FiscalStepSchema(Strict):
    on_date = fields.Date(metadata={"description": FIELD_DESCRIPTION_DATE})


class FiscalListArgsSchema(Strict):
    status = fields.String(validate=validate.OneOf(("open", "notified", "settled")))


class CaseSettingsPutSchema(Strict):
    statement_period_days = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=60))
    statement_period_unit = fields.String(allow_none=True, validate=validate.OneOf((WORKING, CALENDAR)))
    hearing_threshold_unit_fen = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=MAX_FEN))
    hearing_threshold_individual_fen = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=MAX_FEN))
    reason = NonBlankString(required=True, validate=validate.Length(min=1, max=MAX_REASON))

    @ma.validates_schema
    def _period_complete(self, data: dict[str, object], **_: object) -> None:
        if (data.get("statement_period_days") is None) != (data.get("statement_period_unit") is None):
            raise ma.ValidationError("days and unit go together", "statement_period_unit")


# ------------------------------------------------------------------------------------------------ outputs
class PartySchema(ma.Schema):
    kind = fields.String()
    name = fields.String()
    credit_code = fields.String(allow_none=True)
    legal_representative = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    id_number = fields.String(allow_none=True, metadata={"description": "masked in listings"})


class DeadlineSchema(ma.Schema):
    key = fields.String()
    label_zh = fields.String()
    label_en = fields.String()
    counted_from = fields.Date()
    days = fields.Integer(allow_none=True)
    rule = fields.String(metadata={"description": "working_days | calendar_days | as_ordered"})
    basis = fields.String()
    due_on = fields.Date(allow_none=True, metadata={"description": "null: not computable (see note)"})
    note_en = fields.String()
    passed = fields.Boolean()


class OrderSchema(ma.Schema):
    id = fields.Integer()
    inspection_id = fields.UUID()
    item_keys = fields.List(fields.String())
    decided_on = fields.Date()
    served_on = fields.Date(allow_none=True)
    deadline = fields.Date()
    status = fields.String()
    reinspection_id = fields.UUID(allow_none=True)
    outcome_on = fields.Date(allow_none=True)


class CaseInspectionSchema(ma.Schema):
    inspection_id = fields.UUID()
    role = fields.String()


class StageDatesSchema(ma.Schema):
    filed_on = fields.Date(allow_none=True)
    notice_served_on = fields.Date(allow_none=True)
    hearing_requested_on = fields.Date(allow_none=True)
    decided_on = fields.Date(allow_none=True)
    decision_served_on = fields.Date(allow_none=True)
    paid_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)


class CaseSummarySchema(ma.Schema):
    id = fields.Integer()
    stage = fields.String()
    stage_zh = fields.String()
    round = fields.Integer()
    version = fields.Integer()
    site = fields.Dict(metadata={"description": "id, name, address"})
    jurisdiction = fields.String()
    party = fields.Nested(PartySchema)
    opened_at = fields.DateTime()


class CaseDocumentSchema(ma.Schema):
    document_id = fields.UUID()
    kind = fields.String()
    kind_title = fields.String()
    number = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "rendering | issued | failed | voided"})
    issued_on = fields.Date()
    issued_at = fields.DateTime()
    issued_by = fields.Integer()
    voided_at = fields.DateTime(allow_none=True)
    voided_by = fields.Integer(allow_none=True)
    void_reason = fields.String(allow_none=True)


class CaseSchema(CaseSummarySchema):
    stages = fields.Nested(StageDatesSchema)
    proposed_fine_fen = fields.Integer(allow_none=True)
    hearing_right = fields.Boolean(allow_none=True)
    rights_waived = fields.Boolean()
    decided_fine_fen = fields.Integer(allow_none=True)
    decided_measures = fields.List(fields.String(), allow_none=True)
    paid_fen = fields.Integer(allow_none=True)
    close_reason = fields.String(allow_none=True)
    penalty_totals_fen = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "current lines of its inspections"}
    )
    inspections = fields.List(fields.Nested(CaseInspectionSchema))
    orders = fields.List(fields.Nested(OrderSchema))
    deadlines = fields.List(fields.Nested(DeadlineSchema))
    allowed_actions = fields.List(fields.String())
    documents = fields.List(
        fields.Nested(CaseDocumentSchema),
        metadata={"description": "文书（按签发顺序）/ documents issued from the case"},
    )


class CaseListSchema(ma.Schema):
    items = fields.List(fields.Nested(CaseSummarySchema))
    next_cursor = fields.String(allow_none=True, metadata={"description": "null on the last page"})


class TimelineEntrySchema(ma.Schema):
    kind = fields.String()
    on_date = fields.Date(allow_none=True)
    at = fields.DateTime(allow_none=True)
    by = fields.Integer(allow_none=True)
    data = fields.Dict()


class TimelineSchema(ma.Schema):
    case_id = fields.Integer()
    version = fields.Integer()
    entries = fields.List(fields.Nested(TimelineEntrySchema))


class OverdueItemSchema(ma.Schema):
    case_id = fields.Integer()
    stage = fields.String()
    party_name = fields.String()
    site_name = fields.String()
    kind = fields.String(metadata={"description": "correction | payment"})
    due_on = fields.Date()
    days_overdue = fields.Integer()
    rule = fields.String()
    basis = fields.String()
    order_id = fields.Integer(allow_none=True)


class OverdueListSchema(ma.Schema):
    items = fields.List(fields.Nested(OverdueItemSchema))


class TaskSchema(ma.Schema):
    order_id = fields.Integer()
    kind = fields.String(metadata={"description": "reinspection"})
    site = fields.Dict(metadata={"description": "id, name, address, jurisdiction code"})
    reinspection_of = fields.UUID(metadata={"description": "pass as reinspection_of when creating the inspection"})
    item_keys = fields.List(fields.String())
    order_decided_on = fields.Date()
    deadline = fields.Date()
    days_overdue = fields.Integer()
    started = fields.List(fields.UUID(), metadata={"description": "re-inspections already begun"})


class TaskListSchema(ma.Schema):
    items = fields.List(fields.Nested(TaskSchema))


class FiscalDeductionSchema(ma.Schema):
    id = fields.Integer()
    subdistrict = fields.Dict(metadata={"description": "code, name"})
    inspection_id = fields.UUID()
    amount_fen = fields.Integer()
    lines = fields.List(fields.Dict())
    status = fields.String()
    notified_on = fields.Date(allow_none=True)
    settled_on = fields.Date(allow_none=True)
    version = fields.Integer()
    basis = fields.String()


class FiscalDeductionListSchema(ma.Schema):
    items = fields.List(fields.Nested(FiscalDeductionSchema))


class CaseSettingsSchema(ma.Schema):
    jurisdiction = fields.String()
    own = fields.Dict(allow_none=True, metadata={"description": "this jurisdiction's own row; null: inherits"})
    effective = fields.Dict(metadata={"description": "what applies here, and the jurisdiction each value is from"})
