"""Jurisdiction shapes: the tree, and the map layer's locate and export arguments."""

from __future__ import annotations

import marshmallow as ma

from app.geo.fields import Crs


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


class JurisdictionExportArgsSchema(ma.Schema):
    crs = Crs()


class LocateArgsSchema(ma.Schema):
    lon = ma.fields.Float(required=True, validate=ma.validate.Range(-180, 180))
    lat = ma.fields.Float(required=True, validate=ma.validate.Range(-90, 90))
    crs = Crs()


class LocateSchema(ma.Schema):
    input = ma.fields.Dict()
    wgs84 = ma.fields.Dict()
    jurisdictions = ma.fields.List(
        ma.fields.Dict(), metadata={"description": "Root first, smallest last; in scope only"}
    )
    jurisdiction_order = ma.fields.String()
    zones = ma.fields.List(ma.fields.Dict())
