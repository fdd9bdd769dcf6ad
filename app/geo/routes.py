"""Map-layer endpoints: GeoJSON import (admin), export, and locate."""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, request
from flask.views import MethodView

from app.api import Blueprint
from app.auth.authz import current_principal
from app.errors import UnsupportedMediaType
from app.extensions import current_session, db
from app.geo.fields import Crs
from app.geo.features import MODES
from app.geo.importer import import_geojson
from app.geo.zone_properties import ZONE_KINDS
from app.zones.services import export_jurisdictions, export_zones, locate

blp = Blueprint("geo", __name__, url_prefix="/api/v1/geo", description="地图图层 / Map layer")

GEOJSON_MIMETYPE = "application/geo+json"
_ACCEPTED_BODY_TYPES = ("application/geo+json", "application/json")


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
    repairs = ma.fields.List(ma.fields.Dict(), metadata={"description": "Geometries repaired (path, code, message_zh, message_en)"})
    notices = ma.fields.List(ma.fields.Dict())
    sites_moved = ma.fields.Integer()


class ExportArgsSchema(ma.Schema):
    crs = Crs()


class ZoneExportArgsSchema(ExportArgsSchema):
    kind = ma.fields.String(validate=ma.validate.OneOf(ZONE_KINDS))


class LocateArgsSchema(ma.Schema):
    lon = ma.fields.Float(required=True, validate=ma.validate.Range(-180, 180))
    lat = ma.fields.Float(required=True, validate=ma.validate.Range(-90, 90))
    crs = Crs()


class LocateSchema(ma.Schema):
    input = ma.fields.Dict()
    wgs84 = ma.fields.Dict()
    jurisdictions = ma.fields.List(ma.fields.Dict(), metadata={"description": "Root first, smallest last; in scope only"})
    jurisdiction_order = ma.fields.String()
    zones = ma.fields.List(ma.fields.Dict())


class _BodyReader:
    """The request body as a plain binary reader for ijson (Werkzeug's stream rejects ``read(0)``)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        return b"" if size == 0 else self._stream.read(size)


@blp.route("/import")
class GeoImport(MethodView):
    @blp.auth("admin")
    @blp.arguments(ImportArgsSchema, location="query")
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(422, description="逐要素错误列表 / Per-feature errors; nothing imported")
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Import a GeoJSON FeatureCollection of jurisdictions or zones (all-or-nothing, audited)."""
        if request.mimetype not in _ACCEPTED_BODY_TYPES:
            raise UnsupportedMediaType("请以 application/geo+json 或 application/json 上传 GeoJSON",
                                       "Send the GeoJSON as application/geo+json or application/json")
        result = import_geojson(current_session(), _BodyReader(request.stream), mode=args["as_"], kind=args.get("kind"),
                                crs=args["crs"], scope=current_principal().jurisdiction_paths)
        db.session.commit()
        return result.to_dict()


@blp.route("/jurisdictions.geojson")
class JurisdictionsGeoJSON(MethodView):
    @blp.auth()
    @blp.arguments(ExportArgsSchema, location="query")
    @blp.response(200, description="GeoJSON FeatureCollection", content_type=GEOJSON_MIMETYPE)
    @blp.binary_content(200, GEOJSON_MIMETYPE, "GeoJSON FeatureCollection")
    def get(self, args: dict[str, Any]) -> Response:
        """Jurisdiction boundaries in the caller's scope (FeatureCollection, coordinates in `crs`)."""
        body = export_jurisdictions(current_session(), current_principal().jurisdiction_paths, args["crs"])
        return Response(body, mimetype=GEOJSON_MIMETYPE)


@blp.route("/zones.geojson")
class ZonesGeoJSON(MethodView):
    @blp.auth()
    @blp.arguments(ZoneExportArgsSchema, location="query")
    @blp.response(200, description="GeoJSON FeatureCollection", content_type=GEOJSON_MIMETYPE)
    @blp.binary_content(200, GEOJSON_MIMETYPE, "GeoJSON FeatureCollection")
    def get(self, args: dict[str, Any]) -> Response:
        """Zones owned by jurisdictions in the caller's scope (FeatureCollection, coordinates in `crs`)."""
        body = export_zones(current_session(), current_principal().jurisdiction_paths, args["crs"], args.get("kind"))
        return Response(body, mimetype=GEOJSON_MIMETYPE)


@blp.route("/locate")
class Locate(MethodView):
    @blp.auth()
    @blp.arguments(LocateArgsSchema, location="query")
    @blp.response(200, LocateSchema)
    @blp.alt_response(404, description="不在辖区内 / Outside the caller's jurisdictions")
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Jurisdiction chain (root first) and zones containing a point (edges count)."""
        return locate(current_session(), args["lon"], args["lat"], args["crs"], current_principal().jurisdiction_paths)
