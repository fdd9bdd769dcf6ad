"""Edge shapes of the checklist API (the checklist document itself is defined by its JSON Schema)."""

from __future__ import annotations

import marshmallow as ma

from app.vocabulary import ALERT_LEVELS


class BilingualSchema(ma.Schema):
    zh = ma.fields.String(required=True)
    en = ma.fields.String(required=True)


class ChecklistIndexEntrySchema(ma.Schema):
    """One current checklist in the index."""

    key = ma.fields.String(required=True)
    version = ma.fields.String(required=True)
    content_hash = ma.fields.String(required=True, metadata={"description": "sha256 of the canonical JSON; the ETag"})
    title = ma.fields.Nested(BilingualSchema, required=True)
    site_kinds = ma.fields.List(ma.fields.String(), required=True)


class ChecklistDocumentSchema(ma.Schema):
    """A checklist exactly as in its file, serialised as canonical JSON (sorted keys).

    Its shape is the JSON Schema served at ``/api/v1/schemas/checklist``; sha256 of the identity body = ETag.
    """

    class Meta:
        unknown = ma.INCLUDE

    key = ma.fields.String()
    version = ma.fields.String()
    title = ma.fields.Nested(BilingualSchema)
    items = ma.fields.List(ma.fields.Dict())


class JsonSchemaDocumentSchema(ma.Schema):
    """A JSON Schema (draft 2020-12) document."""

    class Meta:
        unknown = ma.INCLUDE


class SiteChecklistQueryArgsSchema(ma.Schema):
    """Query string of ``GET /api/v1/sites/{id}/checklist``."""

    date = ma.fields.Date(
        load_default=None, metadata={"description": "检查日期 / inspection date (default: today, Asia/Shanghai)"}
    )
    alert_level = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(ALERT_LEVELS),
        metadata={"description": "重污染天气预警级别 / heavy-pollution alert level (default none)"},
    )
    key = ma.fields.String(
        load_default=None, metadata={"description": "只解析该检查表 / resolve only this checklist key"}
    )


class ResolvedSiteChecklistsSchema(ma.Schema):
    """Checklists that apply at a site, with the context used so a phone can re-evaluate offline."""

    site_id = ma.fields.Raw()
    # marshmallow's SchemaMeta removes declared fields from the class, so this does not shadow
    # Schema.context at run time; the stubs only see a class attribute redefining it.
    context = ma.fields.Dict(
        metadata={  # type: ignore[assignment]
            "description": "site kind + attributes, zones, date, month, alert level/rank, "
            "jurisdiction chain: the JSON Logic data of every applies_when"
        }
    )
    checklists = ma.fields.List(
        ma.fields.Dict(),
        metadata={
            "description": "resolved checklists: header, content_hash, parameters, items (with applies_because and raw "
            "applies_when), not_applicable items with their raw conditions"
        },
    )
    not_applicable = ma.fields.List(
        ma.fields.Dict(),
        metadata={"description": "checklists for this site kind that do not apply here/now, with reasons"},
    )
    alert_level_source = ma.fields.String(
        metadata={"description": "server: the declared alert level (app.alerts); query: the alert_level asked for"}
    )


# ------------------------------------------------------------------------ jurisdiction parameters (admins)
MAX_REASON = 2000


class ParameterSettingSchema(ma.Schema):
    """One checklist parameter in one jurisdiction: declaration, own/inherited/default value and its source."""

    checklist_key = ma.fields.String()
    checklist_version = ma.fields.String()
    checklist_title = ma.fields.Nested(BilingualSchema)
    name = ma.fields.String(attribute="spec.name")
    description = ma.fields.Nested(BilingualSchema, attribute="spec.description")
    type = ma.fields.String(attribute="spec.type", allow_none=True, metadata={"description": "number | string"})
    unit = ma.fields.String(attribute="spec.unit", allow_none=True)
    default = ma.fields.Raw(attribute="spec.default", allow_none=True, metadata={"description": "null: unset"})
    sources = ma.fields.List(ma.fields.String(), attribute="spec.sources")
    own = ma.fields.Raw(allow_none=True, metadata={"description": "本辖区设定值 / set at this jurisdiction"})
    inherited = ma.fields.Raw(allow_none=True, metadata={"description": "上级辖区设定值 / set above"})
    inherited_from = ma.fields.String(allow_none=True)
    effective = ma.fields.Raw(allow_none=True, metadata={"description": "what resolution uses here"})
    source = ma.fields.String(metadata={"description": "jurisdiction | inherited | default | unset"})
    updated_at = ma.fields.String(allow_none=True)


class ParameterSettingListSchema(ma.Schema):
    jurisdiction = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(ParameterSettingSchema))


class _NonBlank(ma.fields.String):
    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.strip():
            raise ma.ValidationError("Must not be blank.")
        return str(text)


class ParameterSettingPutSchema(ma.Schema):
    """A jurisdiction's value of one parameter, with why (audited)."""

    class Meta:
        unknown = ma.RAISE

    value = ma.fields.Raw(
        required=True,
        allow_none=True,
        metadata={
            "description": "数字或文本，按参数类型；null 清除本辖区设定值 / number or string; null clears this "
            "jurisdiction's own value (the one above, or the default, applies again)"
        },
    )
    reason = _NonBlank(
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_REASON),
        metadata={"description": "设定理由及依据文件 / why, and the document that sets it (audited)"},
    )
