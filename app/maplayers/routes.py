"""Map layers (supervisor, admin): GeoJSON within a bbox and vector tiles, scoped to the caller's jurisdictions."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request
from flask.views import MethodView

from app.auth.authz import current_principal
from app.blueprint import Blueprint
from app.extensions import current_session
from app.geo.fields import GEOJSON_MIMETYPE
from app.maplayers.geojson import layer_geojson
from app.maplayers.schemas import MapLayerArgsSchema, TileArgsSchema
from app.maplayers.vector_tiles import vector_tile
from app.review.filters import queue_filter
from app.stats.envelope import scope_of
from app.stats.figures import TIME_ZONE

blp = Blueprint("map_layers", __name__, url_prefix="/api/v1/map", description="地图图层 / Map layers")
tiles_blp = Blueprint("map_tiles", __name__, url_prefix="/api/v1/tiles", description="矢量瓦片 / Vector tiles")

MVT_MIMETYPE = "application/vnd.mapbox-vector-tile"
_LAYER = "<layer>"
_NOT_FOUND = "行政区划不存在或不在辖区内 / Jurisdiction not found in your scope"


def _filter_args(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if k not in ("crs", "limit")}


@blp.route(f"/{_LAYER}.geojson")
class LayerGeoJSON(MethodView):
    @blp.auth("supervisor", "admin")
    @blp.arguments(MapLayerArgsSchema, location="query")
    @blp.binary_content(200, GEOJSON_MIMETYPE, "GeoJSON FeatureCollection (member `lantian`: crs, scope, truncated)")
    @blp.problem(404, _NOT_FOUND)
    def get(self, args: dict[str, Any], layer: str) -> Response:
        """Sites, inspections or failed findings within a bbox, with the review queue's filters."""
        principal = current_principal()
        bbox = args["bbox"]
        doc = layer_geojson(
            current_session(),
            principal,
            layer,
            queue_filter(_filter_args(args)),
            (bbox[0], bbox[1], bbox[2], bbox[3]),
            crs=args["crs"],
            limit=args["limit"],
            jurisdiction_code=args.get("jurisdiction"),
        )
        meta = {
            "crs": args["crs"],
            "time_zone": TIME_ZONE,
            "scope": scope_of(principal, args.get("jurisdiction")),
            "features": doc.features,
            "limit": args["limit"],
            "truncated": doc.truncated,
        }
        # A foreign member (RFC 7946 §6.1) on the FeatureCollection PostgreSQL built.
        body = doc.body[: doc.body.rindex("}")] + ', "lantian": ' + json.dumps(meta, ensure_ascii=False) + "}"
        return Response(body, mimetype=GEOJSON_MIMETYPE, headers={"X-Truncated": str(doc.truncated).lower()})


@tiles_blp.route(f"/{_LAYER}/<int:z>/<int:x>/<int:y>.mvt")
class LayerTile(MethodView):
    @tiles_blp.auth("supervisor", "admin")
    @tiles_blp.arguments(TileArgsSchema, location="query")
    @tiles_blp.binary_content(200, MVT_MIMETYPE, "Mapbox vector tile (empty body: nothing there)")
    @tiles_blp.problem(404, "瓦片不存在或行政区划不在辖区内 / No such tile, or jurisdiction outside your scope")
    def get(self, args: dict[str, Any], layer: str, z: int, x: int, y: int) -> Response:
        """One vector tile of a layer (ETag; 304 when unchanged).

        Below zoom 12 features are merged per pixel (`count`, `sites`); inspections and findings are counts per
        site at the site's point. Filtered by `state`, `checklist`, `site_kind` and `jurisdiction` only, such a
        tile is read from a rollup at most about a minute behind (header `X-Tile-Source: rollup`); any other
        filter computes it live from the base tables (`X-Tile-Source: live`).
        """
        result = vector_tile(
            current_session(),
            current_principal(),
            layer,
            z,
            x,
            y,
            queue_filter(_filter_args(args)),
            crs=args["crs"],
            if_none_match=request.headers.get("If-None-Match"),
            jurisdiction_code=args.get("jurisdiction"),
        )
        # private: tiles are scoped to the caller; no-cache: revalidate (cheap 304) rather than show stale data.
        headers = {"ETag": result.etag, "Cache-Control": "private, no-cache", "X-Tile-Source": result.source}
        if result.body is None:
            return Response(status=304, headers=headers)
        return Response(result.body, mimetype=MVT_MIMETYPE, headers=headers)
