"""Request and response shapes of /api/v1/alerts (shape only; decisions are the use cases')."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.alerts.measures import GRADES
from app.vocabulary import ALERT_LEVELS

_CODE = validate.Regexp(r"^[0-9]{6}([0-9]{3})?$")


class AlertCreateSchema(ma.Schema):
    """Declare an alert, or change one (``supersedes_id``: upgrade, downgrade, or ``level: none`` to lift)."""

    class Meta:
        unknown = ma.RAISE

    jurisdiction = fields.String(
        required=True, validate=_CODE, metadata={"description": "发布预警的辖区代码（省、省辖市）"}
    )
    level = fields.String(required=True, validate=validate.OneOf(ALERT_LEVELS))
    starts_at = fields.AwareDateTime(required=True, metadata={"description": "开始时间（精确到分钟）/ start"})
    ends_at = fields.AwareDateTime(load_default=None, allow_none=True)
    issuer = fields.String(required=True, validate=validate.Length(min=1, max=200))
    doc_ref = fields.String(required=True, validate=validate.Length(min=1, max=200))
    batch_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    supersedes_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class AlertSchema(ma.Schema):
    id = fields.Integer()
    jurisdiction = fields.Function(lambda a: a.jurisdiction.code)
    jurisdiction_name = fields.Function(lambda a: a.jurisdiction.name_zh)
    level = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime(allow_none=True)
    issuer = fields.String()
    doc_ref = fields.String()
    batch_code = fields.String(allow_none=True)
    supersedes_id = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()


class AlertListArgsSchema(ma.Schema):
    jurisdiction = fields.String(load_default=None, validate=_CODE)


class CurrentArgsSchema(ma.Schema):
    at = fields.AwareDateTime(load_default=None, metadata={"description": "时刻（默认现在）/ moment (default now)"})


class CurrentAlertSchema(ma.Schema):
    alert = fields.Nested(AlertSchema)
    ends_at = fields.DateTime(allow_none=True, metadata={"description": "effective end known so far"})


class CurrentAlertsSchema(ma.Schema):
    at = fields.DateTime()
    alerts = fields.List(fields.Nested(CurrentAlertSchema))


class DailyArgsSchema(ma.Schema):
    date = fields.Date(load_default=None, metadata={"description": "日期（默认今天，北京时间）"})


class DailySiteSchema(ma.Schema):
    site_id = fields.Integer()
    site_name = fields.String()
    site_code = fields.String(allow_none=True)
    jurisdiction_code = fields.String()
    grade = fields.String()
    industry = fields.String()
    level = fields.String()
    since = fields.Raw(allow_none=True)
    inspected = fields.Boolean()
    last_inspection_id = fields.String(allow_none=True)
    last_inspection_started_at = fields.DateTime(allow_none=True)
    last_inspection_state = fields.String(allow_none=True)
    items = fields.List(fields.Dict())


class DailyListSchema(ma.Schema):
    day = fields.Date()
    sites = fields.List(fields.Nested(DailySiteSchema))


class ListImportArgsSchema(ma.Schema):
    """Query string of the list import; the body is the CSV or XLSX file."""

    jurisdiction = fields.String(required=True, validate=_CODE)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    doc_ref = fields.String(required=True, validate=validate.Length(min=1, max=200))
    version = fields.String(required=True, validate=validate.Length(min=1, max=40))
    effective_from = fields.Date(required=True)
    effective_to = fields.Date(load_default=None)
    illustrative = fields.Boolean(load_default=False)


class ReductionMeasureSchema(ma.Schema):
    id = fields.Integer()
    trigger = fields.String()
    kind = fields.String()
    target = fields.String(allow_none=True)
    percent = fields.Integer(allow_none=True)
    starts_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    source = fields.String()
    row_no = fields.Integer()


class ReductionEntrySchema(ma.Schema):
    site_id = fields.Integer()
    site_name = fields.Function(lambda e: e.site.name)
    grade = fields.String(validate=validate.OneOf(GRADES))
    industry = fields.String()
    low_voc_substituted = fields.Boolean()
    measures = fields.List(fields.Nested(ReductionMeasureSchema))


class ReductionListSchema(ma.Schema):
    id = fields.Integer()
    jurisdiction = fields.Function(lambda r: r.jurisdiction.code)
    title = fields.String()
    doc_ref = fields.String()
    version = fields.String()
    effective_from = fields.Date()
    effective_to = fields.Date(allow_none=True)
    illustrative = fields.Boolean()
    row_count = fields.Integer()
    source_sha256 = fields.String()
    created_at = fields.DateTime()
    entries = fields.List(fields.Nested(ReductionEntrySchema))
