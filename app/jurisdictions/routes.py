"""Jurisdiction endpoints: the tree (/api/v1/jurisdictions) and its map layer (/api/v1/geo/locate, /geo/jurisdictions.geojson)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView

from app.auth.authz import current_principal, ensure_in_scope
from app.blueprint import Blueprint
from app.extensions import current_session
from app.geo.fields import GEOJSON_MIMETYPE
from app.jurisdictions.geojson_export import export_jurisdictions
from app.jurisdictions.locate import locate
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import jurisdictions_in_scope
from app.jurisdictions.schemas import JurisdictionExportArgsSchema, JurisdictionSchema, LocateArgsSchema, LocateSchema
from app.jurisdictions.services import get_jurisdiction_by_code
from app.wiring import wiring

blp = Blueprint("jurisdictions", __name__, url_prefix="/api/v1/jurisdictions", description="行政区划 / Jurisdictions")

# Nested in the geo blueprint (app/geo/routes.py), which gives these URLs /api/v1/geo and the "geo" tag.
map_blp = Blueprint("jurisdiction_maps", __name__)


@blp.route("")
class Jurisdictions(MethodView):
    @blp.auth()
    @blp.response(200, JurisdictionSchema(many=True))
    def get(self) -> list[Jurisdiction]:
        """The caller's jurisdictions and everything below them, ordered by code."""
        return jurisdictions_in_scope(current_session(), current_principal().jurisdiction_paths)


@blp.route("/<code>")
class JurisdictionByCode(MethodView):
    @blp.auth()
    @blp.response(200, JurisdictionSchema)
    @blp.alt_response(404, description="不存在 / Not found")
    def get(self, code: str) -> Jurisdiction:
        """One jurisdiction in the caller's scope."""
        found = get_jurisdiction_by_code(current_session(), code)
        ensure_in_scope(current_principal(), found.path, "辖区", "Jurisdiction")
        return found


@map_blp.route("/jurisdictions.geojson")
class JurisdictionsGeoJSON(MethodView):
    @map_blp.auth()
    @map_blp.arguments(JurisdictionExportArgsSchema, location="query")
    @map_blp.response(200, description="GeoJSON FeatureCollection", content_type=GEOJSON_MIMETYPE)
    @map_blp.binary_content(200, GEOJSON_MIMETYPE, "GeoJSON FeatureCollection")
    def get(self, args: dict[str, Any]) -> Response:
        """Jurisdiction boundaries in the caller's scope (FeatureCollection, coordinates in `crs`)."""
        body = export_jurisdictions(current_session(), current_principal().jurisdiction_paths, args["crs"])
        return Response(body, mimetype=GEOJSON_MIMETYPE)


@map_blp.route("/locate")
class Locate(MethodView):
    @map_blp.auth()
    # An instance, not the class: webargs would build a new schema for every request.
    @map_blp.arguments(LocateArgsSchema(), location="query")
    @map_blp.response(200, LocateSchema)
    @map_blp.alt_response(404, description="不在辖区内 / Outside the caller's jurisdictions")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Jurisdiction chain (root first) and zones containing a point (edges count)."""
        # One statement on the read-only pool: no BEGIN/ROLLBACK round trips (app/read_only.py).
        return locate(wiring().reads, args["lon"], args["lat"], args["crs"], current_principal().jurisdiction_paths)
