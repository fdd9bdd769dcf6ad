"""GeoJSON import shapes: query arguments and the import's result."""

from __future__ import annotations

import marshmallow as ma

from app.geo.features import MODES
from app.geo.fields import Crs
from app.geo.zone_properties import ZONE_KINDS


class ImportArgsSchema(ma.Schema):
    as_ = ma.fields.String(data_key="as", required=True, validate=ma.validate.OneOf(MODES))
    kind = ma.fields.String(validate=ma.validate.OneOf(ZONE_KINDS))
    crs = Crs()


class ImportResultSchema(ma.Schema):
    mode = ma.fields.String()
    crs = ma.fields.String()
    kind = ma.fields.String(allow_none=True)
    feature_count = ma.fields.Integer()
    created = ma.fields.List(ma.fields.String())
    replaced = ma.fields.List(ma.fields.String())
    unchanged = ma.fields.List(ma.fields.String())
    reparented = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "Existing jurisdictions moved under another parent (their boundary may be unchanged)"},
    )
    repairs = ma.fields.List(
        ma.fields.Dict(), metadata={"description": "Geometries repaired (path, code, message_zh, message_en)"}
    )
    notices = ma.fields.List(ma.fields.Dict())
    sites_moved = ma.fields.Integer()
