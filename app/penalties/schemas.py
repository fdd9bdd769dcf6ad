"""Penalty API shapes (edge contract only: no I/O). Money is integer fen; ``yuan`` strings are for display."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.penalties.domain import FINDER_LEVELS


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class RulesQueryArgsSchema(_Strict):
    on = fields.Date(
        load_default=None, metadata={"description": "日期（默认今天，北京时间）/ Date (default: today, Asia/Shanghai)"}
    )
    jurisdiction = fields.String(
        load_default=None, metadata={"description": "显示该辖区设定的金额 / Show this jurisdiction's set amounts"}
    )


class PenaltyRuleSchema(ma.Schema):
    key = fields.String()
    version = fields.String()
    rule_hash = fields.String()
    kind = fields.String()
    title = fields.Dict()
    basis = fields.List(fields.Dict())
    authority = fields.Dict()
    amount_fen = fields.Integer(allow_none=True)
    range_fen = fields.List(fields.Integer(), allow_none=True)
    amount_status = fields.String(metadata={"description": "set | to_be_set | set_by_jurisdiction | not_applicable"})
    amount_setting = fields.Dict(allow_none=True)
    unit = fields.String()
    payer = fields.String()
    effective = fields.Dict()
    verified = fields.Dict()
    policy = fields.Dict(allow_none=True)
    jurisdictions = fields.List(fields.String())
    source_file = fields.String()


class AmountSettingSchema(_Strict):
    rule_version = fields.String(load_default=None)
    amount_fen = fields.Integer(strict=True, allow_none=True, load_default=None, validate=validate.Range(min=1))
    min_fen = fields.Integer(strict=True, allow_none=True, load_default=None, validate=validate.Range(min=1))
    max_fen = fields.Integer(strict=True, allow_none=True, load_default=None, validate=validate.Range(min=1))
    document_ref = fields.String(required=True, validate=validate.Length(min=1, max=300))


class PenaltySettingsPutSchema(_Strict):
    policy = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    discretion = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict)
    amounts = fields.Dict(keys=fields.String(), values=fields.Nested(AmountSettingSchema), load_default=dict)


class PenaltySettingsSchema(ma.Schema):
    jurisdiction_code = fields.String()
    jurisdiction_name = fields.String()
    policy = fields.Dict()
    discretion = fields.Dict()
    amounts = fields.Dict()
    version = fields.Integer()
    updated_by = fields.String(allow_none=True)
    updated_at = fields.String(allow_none=True)
    effective = fields.Dict()
    options = fields.Dict()


class MoneySchema(ma.Schema):
    fen = fields.Integer()
    yuan = fields.String()


class PenaltyLineSchema(ma.Schema):
    id = fields.Integer()
    rule_key = fields.String()
    rule_version = fields.String()
    rule_hash = fields.String()
    kind = fields.String()
    title = fields.Dict()
    basis = fields.List(fields.Dict())
    authority = fields.Dict()
    payer = fields.Dict()
    unit = fields.String()
    counted_units = fields.Integer()
    base_amount_fen = fields.Integer(allow_none=True)
    range_fen = fields.List(fields.Integer(), allow_none=True)
    legal_total_range_fen = fields.List(fields.Integer(), allow_none=True)
    factors = fields.List(fields.Dict())
    amount_fen = fields.Integer(allow_none=True)
    amount_yuan = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "computed | blocked_amount_to_be_set | exempt | non_monetary"})
    explanation = fields.Dict()
    source_refs = fields.List(fields.String())
    item_keys = fields.List(fields.String())
    verified = fields.Boolean()
    blocking_reasons = fields.List(fields.String())
    daily_days = fields.Integer(allow_none=True)
    amount_setting = fields.Dict(allow_none=True)
    override = fields.Dict(allow_none=True)


class InspectionPenaltiesSchema(ma.Schema):
    inspection_id = fields.String()
    computed = fields.Boolean()
    computation = fields.Dict(allow_none=True)
    lines = fields.List(fields.Nested(PenaltyLineSchema))
    totals = fields.Dict(keys=fields.String(), values=fields.Nested(MoneySchema))
    payers = fields.List(fields.Dict())
    issuable = fields.Boolean()
    blocking = fields.List(fields.Dict())


class PenaltyLineDiffSchema(ma.Schema):
    rule_key = fields.String()
    kind = fields.String()
    payer = fields.Dict()
    item_keys = fields.List(fields.String())
    daily = fields.Boolean(
        metadata={"description": "按日连续处罚的处罚项 / the daily line (大气污染防治法第一百二十三条)"}
    )
    line_id_before = fields.Integer(allow_none=True, metadata={"description": "null: a new line / 新增处罚项"})
    line_id_after = fields.Integer(allow_none=True, metadata={"description": "null: the line is gone / 处罚项已不存在"})
    amount_before_fen = fields.Integer(allow_none=True)
    amount_after_fen = fields.Integer(allow_none=True)
    status_before = fields.String(allow_none=True)
    status_after = fields.String(allow_none=True)
    overridden_before = fields.Boolean()
    override_carried = fields.Boolean(
        metadata={"description": "审核人调整沿用到新处罚项 / the supervisor's override was carried to the new line"}
    )
    override_dropped = fields.Boolean(
        metadata={"description": "审核人调整按 drop_overrides 放弃 / the override was dropped (drop_overrides)"}
    )


class RecomputeDiffSchema(ma.Schema):
    previous_computation_id = fields.Integer(allow_none=True)
    computation_id = fields.Integer(allow_none=True)
    lines = fields.List(
        fields.Nested(PenaltyLineDiffSchema),
        metadata={"description": "matched by rule key, payer, daily or not, and the failed items counted"},
    )
    totals_before = fields.Dict(keys=fields.String(), values=fields.Nested(MoneySchema))
    totals_after = fields.Dict(keys=fields.String(), values=fields.Nested(MoneySchema))
    overrides_carried = fields.List(fields.Dict())
    overrides_dropped = fields.List(fields.Dict())


class RecomputedPenaltiesSchema(InspectionPenaltiesSchema):
    diff = fields.Nested(
        RecomputeDiffSchema, metadata={"description": "重新计算前后对比 / each line and the totals before and after"}
    )


class DiscretionFactorsSchema(_Strict):
    cooperation = fields.Boolean(metadata={"description": "配合调查 / cooperated with the investigation"})
    prompt_correction = fields.Boolean(metadata={"description": "及时改正 / corrected promptly (行政处罚法 Art. 32)"})
    first_offence_slight_harm = fields.Boolean(
        metadata={"description": "初次违法且危害后果轻微 / first offence with slight harm (行政处罚法 Art. 33)"}
    )
    finder_level = fields.String(
        allow_none=True,
        validate=validate.OneOf(FINDER_LEVELS),
        metadata={"description": "发现问题的督导层级 / level of the team that found it (000§五(二))"},
    )


class RecomputeSchema(_Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    factors = fields.Nested(
        DiscretionFactorsSchema,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "审核人设定的裁量因素（与已有的合并）/ discretion factors set by "
            "the supervisor (merged over those already set)"
        },
    )
    drop_overrides = fields.Boolean(
        load_default=False,
        metadata={
            "description": "放弃在新计算中不再适用（超出新的法定幅度或处罚项已不存在）的审核人调整，理由即本次 reason，"
            "记入审计；仍适用的调整照常沿用。默认 false：有不再适用的调整时拒绝重新计算（409 overrides_no_longer_fit）"
            " / drop the supervisors' overrides that no longer fit the new computation (outside the new legal "
            "range, or the line is gone) under this request's reason, audited; overrides that still fit are "
            "carried as always. Default false: such overrides refuse the recompute (409 overrides_no_longer_fit)"
        },
    )


class OverrideSchema(_Strict):
    amount_fen = fields.Integer(
        required=True,
        strict=True,
        metadata={"description": "整数（分）/ integer fen; 0 = 不予处罚 (statutory fines only)"},
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
