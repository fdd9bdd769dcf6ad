"""Document API shapes (edge contract only: no I/O). Money is integer fen."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.documents.kinds import KINDS, SERVICE_METHODS


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


def _text(**kwargs: object) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=2000), **kwargs)  # type: ignore[arg-type]


class OrderFieldsSchema(_Strict):
    text = _text(metadata={"description": "责令改正的内容 / What to correct"})
    deadline = fields.Date(load_default=None)
    immediately = fields.Boolean(load_default=False)


class OnSiteFieldsSchema(_Strict):
    present_name = _text()
    present_role = _text()
    statement = _text()
    signature = fields.String(validate=validate.OneOf(["signed", "refused"]))
    witness = _text()
    signature_sha256 = fields.String(validate=validate.Regexp(r"^[0-9a-f]{64}$"))


class DailyFieldsSchema(_Strict):
    order_served_on = fields.Date(required=True)
    reinspected_on = fields.Date(required=True)
    per_day_fen = fields.Integer(validate=validate.Range(min=1, max=10**12))


class ServiceFieldsSchema(_Strict):
    method = fields.String(validate=validate.OneOf(list(SERVICE_METHODS)))
    served_at = fields.AwareDateTime()
    place = _text()
    recipient = _text()
    signer = _text()
    relation = _text()
    witness = _text()
    servers = fields.List(_text(), validate=validate.Length(max=10))
    note = _text()


class DocumentFieldsSchema(_Strict):
    """What only a case will know (today given with the request)."""

    party_address = _text()
    legal_representative = _text()
    decided_amount_fen = fields.Integer(validate=validate.Range(min=0, max=10**12))
    order = fields.Nested(OrderFieldsSchema)
    onsite = fields.Nested(OnSiteFieldsSchema)
    daily = fields.Nested(DailyFieldsSchema)
    service = fields.Nested(ServiceFieldsSchema)


class ReferencesSchema(_Strict):
    order = fields.UUID()
    notice = fields.UUID()
    decision = fields.UUID()
    served = fields.List(fields.UUID(), validate=validate.Length(max=20))


class DocumentRequestSchema(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(list(KINDS)))
    inspection_id = fields.UUID(
        load_default=None,
        metadata={"description": "检查；按案件签发时可省略（默认立案检查）/ with case_id: optional (the case's first)"},
    )
    case_id = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1),
        metadata={
            "description": "按案件签发：当事人、日期、金额取自案件 / issue from the case (its party, dates, amounts)"
        },
    )
    replaces_id = fields.UUID(load_default=None)
    references = fields.Nested(ReferencesSchema, load_default=dict)
    fields_ = fields.Nested(DocumentFieldsSchema, data_key="fields", attribute="fields", load_default=dict)

    @ma.validates_schema
    def _inspection_or_case(self, data: dict[str, object], **_: object) -> None:
        if data.get("inspection_id") is None and data.get("case_id") is None:
            raise ma.ValidationError("须指明检查或案件 / inspection_id or case_id is required", "inspection_id")


class PreviewSchema(DocumentRequestSchema):
    language = fields.String(
        load_default="zh",
        validate=validate.OneOf(["zh", "en"]),
        metadata={"description": "en：英文阅读稿，永不签发 / an English reading copy, never issued"},
    )


class IssueSchema(DocumentRequestSchema):
    id = fields.UUID(required=True, metadata={"description": "客户端生成的文书 ID（重试同一 ID 不会再取号）"})


class VoidSchema(_Strict):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=2000))


class ListArgsSchema(_Strict):
    inspection_id = fields.UUID(load_default=None)
    case_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    kind = fields.String(load_default=None, validate=validate.OneOf(tuple(KINDS)))


class DocumentSchema(ma.Schema):
    id = fields.UUID()
    kind = fields.String()
    kind_title = fields.String()
    inspection_id = fields.UUID()
    case_id = fields.Integer(allow_none=True)
    state = fields.String(metadata={"description": "rendering | issued | failed | voided"})
    number = fields.String(allow_none=True)
    issued_on = fields.Date()
    issued_at = fields.DateTime()
    issued_by_id = fields.Integer()
    content_sha256 = fields.String()
    pdf_sha256 = fields.String(allow_none=True)
    verify_path = fields.String()
    replaces_id = fields.UUID(allow_none=True)
    render_error = fields.String(allow_none=True)
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.String(allow_none=True)


class SettingsPutSchema(_Strict):
    settings = fields.Dict(required=True)


class SettingsSchema(ma.Schema):
    jurisdiction = fields.String()
    own = fields.Dict(allow_none=True)
    effective = fields.Dict()
    sources = fields.Dict()


class PublicViewSchema(ma.Schema):
    number = fields.String(allow_none=True)
    kind = fields.String()
    kind_title = fields.String()
    authority = fields.String(allow_none=True)
    issued_on = fields.Date()
    amount_fen = fields.Integer(allow_none=True)
    sha256 = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "valid | voided | rendering | failed"})


class UploadVerdictSchema(ma.Schema):
    genuine = fields.Boolean()
    sha256 = fields.String()
    document = fields.Nested(PublicViewSchema, allow_none=True)


class SignatureSchema(_Strict):
    photo_id = fields.UUID(required=True, metadata={"description": "已上传的签名图像（照片接口）/ The uploaded image"})
    status = fields.String(required=True, validate=validate.OneOf(["signed", "refused"]))
    signer_name = fields.String(validate=validate.Length(min=1, max=100))
    witness = fields.String(validate=validate.Length(min=1, max=200))


class SignatureOutSchema(ma.Schema):
    id = fields.Integer()
    inspection_id = fields.UUID()
    photo_id = fields.UUID()
    photo_sha256 = fields.String()
    status = fields.String()
    signer_name = fields.String(allow_none=True)
    witness = fields.String(allow_none=True)
    recorded_at = fields.DateTime()
