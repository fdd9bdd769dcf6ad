"""Audit log shapes."""

from __future__ import annotations

import marshmallow as ma


class AuditEntrySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    at = ma.fields.DateTime(required=True)
    actor_id = ma.fields.Integer(allow_none=True)
    actor_username = ma.fields.String(allow_none=True)
    action = ma.fields.String(required=True)
    entity_type = ma.fields.String(required=True)
    entity_id = ma.fields.String(required=True)
    request_id = ma.fields.String(allow_none=True)
    ip = ma.fields.String(allow_none=True)
    user_agent = ma.fields.String(allow_none=True)
    before = ma.fields.Dict(allow_none=True)
    after = ma.fields.Dict(allow_none=True)
    digest = ma.fields.String(required=True)


class AuditQueryArgsSchema(ma.Schema):
    entity_type = ma.fields.String()
    entity_id = ma.fields.String()
    before_id = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=2**63 - 1), metadata={"description": "Cursor: entries older than this id"}
    )
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=500))
