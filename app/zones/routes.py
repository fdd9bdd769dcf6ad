"""Zone endpoints: the map layer's zones export (/api/v1/geo/zones.geojson)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from app.auth.authz import current_principal
from app.blueprint import Blueprint
from app.extensions import current_session
from app.geo.fields import GEOJSON_MIMETYPE
from app.zones.geojson_export import export_zones
from app.zones.schemas import ZoneExportArgsSchema

# Nested in the geo blueprint (app/geo/routes.py), which gives these URLs /api/v1/geo and the "geo" tag.
map_blp = Blueprint("zone_maps", __name__)


@map_blp.route("/zones.geojson")
class ZonesGeoJSON(MethodView):
    @map_blp.auth()
    @map_blp.arguments(ZoneExportArgsSchema, location="query")
    @map_blp.response(200, description="GeoJSON FeatureCollection", content_type=GEOJSON_MIMETYPE)
    @map_blp.binary_content(200, GEOJSON_MIMETYPE, "GeoJSON FeatureCollection")
    def get(self, args: dict[str, Any]) -> Response:
        """Zones owned by jurisdictions in the caller's scope (FeatureCollection, coordinates in `crs`)."""
        body = export_zones(current_session(), current_principal().jurisdiction_paths, args["crs"], args.get("kind"))
        return Response(body, mimetype=GEOJSON_MIMETYPE)
