"""Jurisdiction shapes."""
from __future__ import annotations

import marshmallow as ma


class JurisdictionSchema(ma.Schema):
    code = ma.fields.String(required=True)
    name_zh = ma.fields.String(required=True)
    name_en = ma.fields.String(allow_none=True)
    level = ma.fields.String(required=True)
    parent_code = ma.fields.Method("_parent_code", allow_none=True)
    has_boundary = ma.fields.Method("_has_boundary")

    def _parent_code(self, obj: object) -> str | None:
        parent = getattr(obj, "parent", None)
        return parent.code if parent is not None else None

    def _has_boundary(self, obj: object) -> bool:
        return getattr(obj, "boundary", None) is not None
