"""Map layer arguments: the review queue's filters (one parser), a coordinate system, a bbox or a tile."""

from __future__ import annotations

import marshmallow as ma

from app.geo.fields import Crs, NumberList
from app.maplayers.geojson import DEFAULT_LIMIT, MAX_LIMIT
from app.review.schemas import QueueFilterArgsSchema


class MapLayerArgsSchema(QueueFilterArgsSchema):
    bbox = NumberList(
        4, required=True, metadata={"description": "minlon,minlat,maxlon,maxlat (WGS-84) of the map view"}
    )
    crs = Crs()
    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": "At most this many features; `truncated` says when there were more"},
    )


class TileArgsSchema(QueueFilterArgsSchema):
    class Meta:
        exclude = ("bbox",)  # the tile is the box

    crs = Crs()
