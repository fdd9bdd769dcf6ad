"""Zone shapes: the map layer's export arguments."""

from __future__ import annotations

import marshmallow as ma

from app.geo.fields import Crs
from app.geo.zone_properties import ZONE_KINDS


class ZoneExportArgsSchema(ma.Schema):
    crs = Crs()
    kind = ma.fields.String(validate=ma.validate.OneOf(ZONE_KINDS))
