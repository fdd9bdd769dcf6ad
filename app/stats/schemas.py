"""Statistics shapes at the HTTP edge: every answer says its time zone, currency unit, scope and freshness."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from app.stats.by_dimension import DIMENSIONS, INSPECTION_SORTS
from app.stats.cases import CASE_DIMENSIONS, CASE_SORTS
from app.stats.paging import DEFAULT_LIMIT, MAX_KEYS, MAX_LIMIT
from app.stats.queries import LEVEL_RANK

_CODE = ma.validate.Regexp(r"^[0-9]{6,12}$")


class StatsRangeArgsSchema(ma.Schema):
    date_from = ma.fields.Date(
        metadata={"description": "Asia/Shanghai date, inclusive: first day of a month (or a Monday)"}
    )
    date_to = ma.fields.Date(
        metadata={"description": "Asia/Shanghai date, inclusive: last day of a month (or a Sunday)"}
    )
    jurisdiction = ma.fields.String(
        validate=_CODE, metadata={"description": "Jurisdiction code: that subtree (404 outside your scope)"}
    )

    @ma.validates_schema
    def _range(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "date_from" in data and "date_to" in data and data["date_from"] > data["date_to"]:
            raise ma.ValidationError("date_from is after date_to.", field_name="date_from")


class _RowPageArgs(ma.Schema):
    """A page of the rows (the totals stay those of every row): the province's 2,512 sub-districts are asked for
    a page at a time."""

    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=1_000_000))
    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Rows per page (at most {MAX_LIMIT}, the default)"},
    )
    keys = ma.fields.List(
        ma.fields.String(validate=ma.validate.Regexp(r"^[A-Za-z0-9_.:-]{0,100}$")),
        validate=ma.validate.Length(min=1, max=MAX_KEYS),
        metadata={
            "description": f"Only the rows with these keys (repeat the parameter, at most {MAX_KEYS}; empty: the "
            "remainder row): e.g. the case figures of the sub-districts on one page of the inspection figures"
        },
    )


class StatsArgsSchema(StatsRangeArgsSchema, _RowPageArgs):
    sort = ma.fields.String(
        load_default="key",
        validate=ma.validate.OneOf(INSPECTION_SORTS),
        metadata={
            "description": "key or a figure, '-' first for descending (e.g. -failed_findings, pass_rate); ties by key"
        },
    )
    by = ma.fields.String(load_default="total", validate=ma.validate.OneOf(DIMENSIONS))
    level = ma.fields.String(
        load_default="county",
        validate=ma.validate.OneOf(tuple(LEVEL_RANK)),
        metadata={"description": "With by=jurisdiction: roll up to this level (township = sub-district)"},
    )
    checklist = ma.fields.String(validate=ma.validate.Length(min=1, max=100))
    site_kind = ma.fields.String(validate=ma.validate.Length(min=1, max=32))


class ItemStatsArgsSchema(StatsRangeArgsSchema):
    checklist = ma.fields.String(validate=ma.validate.Length(min=1, max=100))
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))


class InspectorStatsArgsSchema(StatsRangeArgsSchema):
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000))


class RepeatSitesArgsSchema(StatsRangeArgsSchema):
    min_failed = ma.fields.Integer(load_default=2, validate=ma.validate.Range(min=1, max=1000))
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=500))


class CurrencySchema(ma.Schema):
    unit = ma.fields.String(metadata={"description": "Unit of every *_fen figure: fen (分), integers"})
    display_unit = ma.fields.String(metadata={"description": "Unit of every *_yuan string: yuan (元)"})
    currency = ma.fields.String()
    fen_per_yuan = ma.fields.Integer()


class ScopeSchema(ma.Schema):
    jurisdictions = ma.fields.List(ma.fields.String(), metadata={"description": "The caller's jurisdiction codes"})
    subtree = ma.fields.String(allow_none=True, metadata={"description": "The `jurisdiction` asked for, if any"})
    role = ma.fields.String()


class PeriodSchema(ma.Schema):
    grain = ma.fields.String(metadata={"description": "month | week (rollup grain) | day (live)"})
    date_from = ma.fields.Date(allow_none=True)
    date_to = ma.fields.Date(allow_none=True)


class FreshnessSchema(ma.Schema):
    source = ma.fields.String(
        metadata={
            "description": "rollup (refreshed every minute) | live | rollup+live (repeat sites: whole months from the rollup, "
            "the days of a partial month live)"
        }
    )
    max_staleness_seconds = ma.fields.Integer()
    pending_groups = ma.fields.Integer(metadata={"description": "Changed groups waiting for the next refresh"})


class _Envelope(ma.Schema):
    time_zone = ma.fields.String(metadata={"description": "Dates are dates in this zone (Asia/Shanghai)"})
    currency = ma.fields.Nested(CurrencySchema)
    scope = ma.fields.Nested(ScopeSchema)
    period = ma.fields.Nested(PeriodSchema)
    freshness = ma.fields.Nested(FreshnessSchema)


class _Money(ma.Schema):
    fiscal_deduction_fen = ma.fields.Integer(metadata={"description": "Proposed fiscal deductions (current lines)"})
    fiscal_deduction_yuan = ma.fields.String()
    statutory_fine_fen = ma.fields.Integer(metadata={"description": "Proposed statutory fines (current lines)"})
    statutory_fine_yuan = ma.fields.String()


class InspectionFiguresSchema(_Money):
    key = ma.fields.String()
    name_zh = ma.fields.String()
    name_en = ma.fields.String(allow_none=True)
    inspections = ma.fields.Integer()
    passed = ma.fields.Integer(metadata={"description": "Inspections without a failed current finding"})
    pass_rate = ma.fields.String(allow_none=True, metadata={"description": "passed / inspections, 4 decimals"})
    approved = ma.fields.Integer()
    rejected = ma.fields.Integer()
    findings = ma.fields.Integer()
    failed_findings = ma.fields.Integer()
    blocked_lines = ma.fields.Integer(metadata={"description": "Penalty lines whose amount is still to be set"})


class RowPageSchema(ma.Schema):
    sort = ma.fields.String()
    offset = ma.fields.Integer()
    limit = ma.fields.Integer()
    total_rows = ma.fields.Integer(metadata={"description": "Rows of the whole answer (after `keys`)"})


class InspectionStatsSchema(_Envelope):
    page = ma.fields.Nested(RowPageSchema)
    by = ma.fields.String()
    level = ma.fields.String(allow_none=True)
    rows = ma.fields.List(ma.fields.Nested(InspectionFiguresSchema))
    totals = ma.fields.Nested(InspectionFiguresSchema, allow_none=True)


class ItemFiguresSchema(ma.Schema):
    checklist_key = ma.fields.String()
    item_key = ma.fields.String()
    findings = ma.fields.Integer()
    failed = ma.fields.Integer()
    na = ma.fields.Integer()
    fail_rate = ma.fields.String(allow_none=True, metadata={"description": "failed / (findings − na)"})


class ItemStatsSchema(_Envelope):
    rows = ma.fields.List(ma.fields.Nested(ItemFiguresSchema))


class InspectorFiguresSchema(_Money):
    inspector_id = ma.fields.Integer()
    username = ma.fields.String()
    display_name = ma.fields.String(allow_none=True)
    inspections = ma.fields.Integer()
    passed = ma.fields.Integer()
    pass_rate = ma.fields.String(allow_none=True)
    failed_findings = ma.fields.Integer()


class InspectorStatsSchema(_Envelope):
    rows = ma.fields.List(ma.fields.Nested(InspectorFiguresSchema))


class RepeatSiteSchema(ma.Schema):
    site_id = ma.fields.Integer()
    site_name = ma.fields.String()
    site_kind = ma.fields.String()
    jurisdiction_code = ma.fields.String()
    jurisdiction_name = ma.fields.String()
    failed_inspections = ma.fields.Integer()
    last_failed_at = ma.fields.DateTime()


class RepeatSitesSchema(_Envelope):
    rows = ma.fields.List(ma.fields.Nested(RepeatSiteSchema))


class CaseStatsArgsSchema(StatsRangeArgsSchema, _RowPageArgs):
    sort = ma.fields.String(
        load_default="key",
        validate=ma.validate.OneOf(CASE_SORTS),
        metadata={"description": "key or a figure, '-' first for descending (e.g. -overdue_orders); ties by key"},
    )
    by = ma.fields.String(load_default="total", validate=ma.validate.OneOf(CASE_DIMENSIONS))
    level = ma.fields.String(
        load_default="county",
        validate=ma.validate.OneOf(tuple(LEVEL_RANK)),
        metadata={"description": "With by=jurisdiction: group at this level (township = sub-district)"},
    )


class CaseFiguresSchema(ma.Schema):
    key = ma.fields.String(metadata={"description": "Jurisdiction code, month start (YYYY-MM-DD) or 'all'"})
    name_zh = ma.fields.String()
    name_en = ma.fields.String(allow_none=True)
    cases = ma.fields.Integer(metadata={"description": "Cases opened in the period"})
    open_cases = ma.fields.Integer(metadata={"description": "Of those, not closed today"})
    closed_cases = ma.fields.Integer()
    open_by_stage = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={"description": "Open cases per stage: filing, investigation, notice, decision, execution"},
    )
    statutory_fine_proposed_fen = ma.fields.Integer(metadata={"description": "Fines in the advance notices"})
    statutory_fine_proposed_yuan = ma.fields.String()
    statutory_fine_decided_fen = ma.fields.Integer(metadata={"description": "Fines in the penalty decisions"})
    statutory_fine_decided_yuan = ma.fields.String()
    statutory_fine_paid_fen = ma.fields.Integer(metadata={"description": "Fines recorded as paid"})
    statutory_fine_paid_yuan = ma.fields.String()
    orders = ma.fields.Integer(metadata={"description": "Orders to correct of those cases"})
    overdue_orders = ma.fields.Integer(
        metadata={"description": "Orders still open after their deadline, case not closed (as of `as_of`)"}
    )
    fiscal_deductions = ma.fields.Integer(metadata={"description": "Fiscal deductions opened in the period"})
    fiscal_deduction_proposed_fen = ma.fields.Integer(metadata={"description": "000§五(二): every record"})
    fiscal_deduction_proposed_yuan = ma.fields.String()
    fiscal_deduction_notified_fen = ma.fields.Integer(metadata={"description": "Notified or settled"})
    fiscal_deduction_notified_yuan = ma.fields.String()
    fiscal_deduction_settled_fen = ma.fields.Integer()
    fiscal_deduction_settled_yuan = ma.fields.String()


class CaseStatsSchema(_Envelope):
    as_of = ma.fields.Date(metadata={"description": "The Asia/Shanghai date stages and overdue orders are as of"})
    page = ma.fields.Nested(RowPageSchema)
    by = ma.fields.String()
    level = ma.fields.String(allow_none=True)
    rows = ma.fields.List(ma.fields.Nested(CaseFiguresSchema))
    totals = ma.fields.Nested(CaseFiguresSchema)
