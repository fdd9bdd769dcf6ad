"""Edge contract of the inspections API (shape only; existence and permissions are checked in services)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from app.cases.schemas import TaskSchema
from app.geo.crs import CRS_CHOICES, DEFAULT_CRS
from app.inspections.amending import KINDS as AMENDMENT_KINDS
from app.inspections.rules import STATES
from app.vocabulary import ALERT_LEVELS


class LocationSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(-180, 180))
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(-90, 90))
    accuracy_m = fields.Float(allow_nan=False, allow_none=True, validate=validate.Range(min=0))
    crs = fields.String(
        load_default=DEFAULT_CRS,
        validate=validate.OneOf(CRS_CHOICES),
        metadata={"description": "wgs84 (GPS) | gcj02 (Gaode/Tencent) | bd09 (Baidu)"},
    )


class AnswerSchema(ma.Schema):
    """One answer as the phone recorded it. The server re-evaluates it; ``verdict`` counts only for checks."""

    class Meta:
        unknown = ma.RAISE

    verdict = fields.String(allow_none=True, validate=validate.OneOf(("pass", "fail", "na")))
    values = fields.List(fields.Float(allow_nan=False), allow_none=True)
    unit = fields.String(allow_none=True, validate=validate.Length(max=32))
    code = fields.String(allow_none=True, validate=validate.Length(max=200))
    choice = fields.String(allow_none=True, validate=validate.Length(max=100))
    count = fields.Integer(allow_none=True, strict=True)
    text = fields.String(allow_none=True, validate=validate.Length(max=10000))
    note = fields.String(allow_none=True, validate=validate.Length(max=10000))
    photos = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=50))


class OfficerRefField(fields.Field):
    """An officer: a user id (integer), a badge number (string), or ``{"user_id"}`` / ``{"badge_number"}``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any]:
        if isinstance(value, dict):
            if set(value) - {"user_id", "badge_number"} or len(value) != 1:
                raise ma.ValidationError("Give exactly one of user_id or badge_number.")
            value = next(iter(value.values()))
        if isinstance(value, bool):
            raise ma.ValidationError("Not a user id or badge number.")
        if isinstance(value, int):
            return {"user_id": value, "badge_number": None}
        if isinstance(value, str) and value.strip() and len(value) <= 32:
            return {"user_id": None, "badge_number": value.strip()}
        raise ma.ValidationError("Not a user id or badge number.")


class InspectionPutSchema(ma.Schema):
    """Create or update a draft (PUT /api/v1/inspections/{uuid})."""

    class Meta:
        unknown = ma.RAISE

    site_id = fields.Integer(required=True, strict=True)
    checklist_key = fields.String(required=True, validate=validate.Length(min=1, max=100))
    checklist_version = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "version the phone used (or give checklist_hash)"},
    )
    checklist_hash = fields.String(validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    officers = fields.List(
        OfficerRefField(),
        required=True,
        validate=validate.Length(max=20),
        metadata={"description": "user ids or badge numbers (执法证号) of the officers present"},
    )
    started_at = fields.AwareDateTime(required=True)
    ended_at = fields.AwareDateTime(allow_none=True)
    location = fields.Nested(LocationSchema, allow_none=True)
    alert_level = fields.String(load_default="none", validate=validate.OneOf(ALERT_LEVELS))
    note = fields.String(allow_none=True, validate=validate.Length(max=10000))
    answers = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=100)),
        values=fields.Nested(AnswerSchema),
        load_default=dict,
    )
    reinspection_of = fields.UUID(
        allow_none=True,
        metadata={
            "description": "复查：被复查的较早检查（同一场所，已提交或已审核）/ re-inspection of this earlier "
            "inspection (same site, submitted or approved)"
        },
    )

    @ma.validates_schema
    def _checklist_named(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("checklist_version") and not data.get("checklist_hash"):
            raise ma.ValidationError("Give checklist_version or checklist_hash.", "checklist_version")


#: Bounds of review texts: a reason or comment is a paragraph, not a document.
MAX_REASON = 2000
MAX_ITEM_COMMENTS = 200


class NonBlankString(fields.String):
    """A string that is not empty or only whitespace (stored as sent)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.strip():
            raise ma.ValidationError("Must not be blank.")
        return text


class ItemCommentSchema(ma.Schema):
    """A reviewer's comment on one item of the inspection."""

    class Meta:
        unknown = ma.RAISE

    item_key = fields.String(required=True, validate=validate.Length(min=1, max=100))
    comment = NonBlankString(required=True, validate=validate.Length(min=1, max=MAX_REASON))


def _item_comments(description: str) -> fields.List:
    return fields.List(
        fields.Nested(ItemCommentSchema),
        load_default=list,
        validate=validate.Length(max=MAX_ITEM_COMMENTS),
        metadata={"description": description},
    )


class ReturnSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    comment = fields.String(
        required=True,
        validate=validate.Length(min=1, max=10000),
        metadata={"description": "退回意见 / what the inspector must fix"},
    )
    item_comments = _item_comments("逐项意见（检查项须属于本检查记录）/ per-item comments (items of this inspection)")


class ApproveSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    reason = NonBlankString(
        validate=validate.Length(min=1, max=MAX_REASON),
        load_default=None,
        metadata={"description": "审核意见（可选）/ optional approval note"},
    )


class RejectSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    reason = NonBlankString(
        required=True,
        validate=validate.Length(min=1, max=MAX_REASON),
        metadata={"description": "驳回理由 / why the inspection is rejected"},
    )
    item_comments = _item_comments("逐项意见（检查项须属于本检查记录）/ per-item comments (items of this inspection)")


class AmendedAnswerSchema(AnswerSchema):
    """The answer fields a reviewer replaces (photos are the amendment's own ``photos``)."""

    class Meta:
        unknown = ma.RAISE
        exclude = ("photos",)


class AmendmentPostSchema(ma.Schema):
    """A reviewer's amendment of one item (POST /inspections/{id}/amendments)."""

    class Meta:
        unknown = ma.RAISE

    id = fields.UUID(
        required=True,
        metadata={"description": "由客户端生成，重试时不变 / chosen by the client; the same on a retry (idempotency)"},
    )
    item_key = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(
        required=True,
        validate=validate.OneOf(AMENDMENT_KINDS),
        metadata={"description": "change 修改答案 | add_finding 补充问题（须附照片）| waive 免予处理"},
    )
    answer = fields.Nested(
        AmendedAnswerSchema,
        load_default=None,
        metadata={"description": "所改字段，null 表示删除该字段 / fields replaced; null removes one"},
    )
    photos = fields.List(
        fields.UUID(),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"description": "审核人上传的照片证据 / evidence photos the reviewer uploaded"},
    )
    reason = NonBlankString(
        required=True,
        validate=validate.Length(min=1, max=MAX_REASON),
        metadata={"description": "修改理由（必填）/ why (required)"},
    )


class AmendmentSchema(ma.Schema):
    id = fields.UUID()
    seq = fields.Integer()
    submission_no = fields.Integer()
    findings_revision = fields.Integer()
    item_key = fields.String()
    kind = fields.String()
    original_answer = fields.Dict(
        allow_none=True, metadata={"description": "检查人员提交的原答案 / the inspector's answer as submitted"}
    )
    answer_before = fields.Dict(allow_none=True)
    answer_after = fields.Dict(allow_none=True, metadata={"description": "null: a waiver (answer unchanged)"})
    photos = fields.List(fields.String())
    reason = fields.String()
    by = fields.Integer()
    at = fields.DateTime()


class AmendmentResultSchema(ma.Schema):
    amendment = fields.Nested(AmendmentSchema)
    diff = fields.Dict(
        metadata={
            "description": "items (answer before/after), findings (added, removed, changed), penalties (each "
            "line's amount before/after, totals, overrides carried)"
        }
    )
    inspection = fields.Nested(lambda: InspectionSchema())


class ReviewSettingsPutSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    two_person_rule = fields.Boolean(
        required=True,
        metadata={"description": "false: a participant of an inspection may decide on it (waiver; reason required)"},
    )
    reason = NonBlankString(
        required=True,
        validate=validate.Length(min=1, max=MAX_REASON),
        metadata={"description": "设置理由 / why (audited)"},
    )


class FeedArgsSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    updated_since = fields.String(load_default=None, metadata={"description": "opaque cursor from next_cursor"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


# ------------------------------------------------------------------------------------------ output


class FlagSchema(ma.Schema):
    code = fields.String()
    message_zh = fields.String()
    message_en = fields.String()
    details = fields.Dict()


class PhotoLinkSchema(ma.Schema):
    photo_id = fields.UUID()
    item_key = fields.String()
    position = fields.Integer()
    linked_at = fields.DateTime()
    uploaded = fields.Boolean(metadata={"description": "the photo's bytes have arrived"})
    derivatives_state = fields.String(allow_none=True)
    flags = fields.List(
        fields.Nested(FlagSchema),
        allow_none=True,
        metadata={"description": "evidence flags (supervisors and admins only); never blocking"},
    )


class FindingSchema(ma.Schema):
    id = fields.Integer()
    item_key = fields.String()
    checklist_key = fields.String()
    checklist_version = fields.String()
    checklist_hash = fields.String()
    verdict = fields.String(metadata={"description": "server verdict: pass | fail | na"})
    phone_verdict = fields.String(allow_none=True)
    explanation = fields.Dict()
    value = fields.Float(allow_none=True)
    severity = fields.String(allow_none=True)
    source_refs = fields.List(fields.String())
    penalty_keys = fields.List(fields.String())
    photo_ids = fields.List(fields.String())
    waiver = fields.Dict(
        allow_none=True,
        metadata={"description": "免予处理 / a reviewer's waiver (amendment_id, reason, by, at): no penalty follows"},
    )
    object = fields.Dict(
        allow_none=True,
        metadata={
            "description": "分组对象 / the object of a repeatable group the finding is about: group, index (from 0), "
            "label (e.g. one machine); null for the checklist's own items"
        },
    )


class OfficerSchema(ma.Schema):
    user_id = fields.Integer()
    badge_number = fields.String(allow_none=True)
    name = fields.String(allow_none=True)


class ItemCommentOutSchema(ma.Schema):
    item_key = fields.String()
    comment = fields.String()


class ReviewSchema(ma.Schema):
    comment = fields.String(allow_none=True)
    at = fields.DateTime(allow_none=True)
    by = fields.Integer(allow_none=True)
    item_comments = fields.List(fields.Nested(ItemCommentOutSchema))


class DecisionSchema(ma.Schema):
    action = fields.String(validate=validate.OneOf(("approve", "reject")))
    by = fields.Integer()
    at = fields.DateTime()
    reason = fields.String(allow_none=True)
    item_comments = fields.List(fields.Nested(ItemCommentOutSchema))


class InspectionSchema(ma.Schema):
    id = fields.UUID()
    state = fields.String(validate=validate.OneOf(STATES))
    version = fields.Integer()
    etag = fields.String()
    site = fields.Dict(metadata={"description": "id, name, kind, jurisdiction code"})
    checklist = fields.Dict(metadata={"description": "key, version, hash"})
    officers = fields.List(fields.Nested(OfficerSchema))
    started_at = fields.DateTime(allow_none=True)
    ended_at = fields.DateTime(allow_none=True)
    location = fields.Dict(allow_none=True)
    alert_level = fields.String()
    note = fields.String(allow_none=True)
    answers = fields.Dict(
        metadata={
            "description": "item key -> effective answer (as sent, with a reviewer's amendments applied), "
            "photos = every linked photo and the reviewer's evidence"
        }
    )
    original_answers = fields.Dict(
        metadata={"description": "amended items only: item key -> the inspector's answer as submitted"}
    )
    amendments = fields.List(
        fields.Nested(AmendmentSchema), metadata={"description": "审核修改 / the reviewer's amendments, in order"}
    )
    photos = fields.List(fields.Nested(PhotoLinkSchema))
    findings = fields.List(fields.Nested(FindingSchema))
    review = fields.Nested(
        ReviewSchema, allow_none=True, metadata={"description": "the last return: comment, at, by, item comments"}
    )
    decision = fields.Nested(
        DecisionSchema,
        allow_none=True,
        metadata={"description": "审核结论 / the supervisor's final decision (approve/reject)"},
    )
    reinspection_of = fields.UUID(allow_none=True, metadata={"description": "the earlier inspection re-inspected"})
    submitted_at = fields.DateTime(allow_none=True)
    submission_count = fields.Integer()
    created_by = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ReviewSettingsOwnSchema(ma.Schema):
    two_person_rule = fields.Boolean()
    reason = fields.String()
    updated_by = fields.Integer()
    updated_at = fields.DateTime()


class EffectiveReviewSettingsSchema(ma.Schema):
    two_person_rule = fields.Boolean()
    source = fields.String(
        allow_none=True,
        metadata={"description": "jurisdiction whose setting applies; null: the default (rule in force)"},
    )


class ReviewSettingsSchema(ma.Schema):
    jurisdiction = fields.String()
    own = fields.Nested(
        ReviewSettingsOwnSchema,
        allow_none=True,
        metadata={"description": "this jurisdiction's own row; null: inherits"},
    )
    effective = fields.Nested(EffectiveReviewSettingsSchema)


class FeedSchema(ma.Schema):
    items = fields.List(fields.Nested(InspectionSchema))
    tasks = fields.List(
        fields.Nested(TaskSchema),
        metadata={"description": "复查任务 / re-inspection tasks due in the caller's jurisdictions (every page)"},
    )
    next_cursor = fields.String(metadata={"description": "pass as updated_since to continue"})
    has_more = fields.Boolean()
