"""The map layer, /api/v1/geo: the GeoJSON import (admin) is here, because it writes both
jurisdictions and zones through this package's import machinery; the locate and export
endpoints belong to the features whose data they read and are nested here, so their URLs
and their OpenAPI tag stay those of the map layer."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView

from app.auth.authz import current_principal
from app.blueprint import Blueprint
from app.errors import UnsupportedMediaType
from app.extensions import current_session, db
from app.geo.importer import import_geojson
from app.geo.limits import ImportLimits
from app.geo.schemas import ImportArgsSchema, ImportResultSchema
from app.jurisdictions.routes import map_blp as jurisdiction_maps_blp
from app.zones.routes import map_blp as zone_maps_blp

blp = Blueprint("geo", __name__, url_prefix="/api/v1/geo", description="地图图层 / Map layer")

_ACCEPTED_BODY_TYPES = ("application/geo+json", "application/json")


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
    @blp.alt_response(422, description="逐要素错误列表 / Per-feature errors (or geojson_too_deep); nothing imported")
    @blp.alt_response(413, description="too_many_vertices / import_too_slow; nothing imported")
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Import a GeoJSON FeatureCollection of jurisdictions or zones (all-or-nothing, audited)."""
        if request.mimetype not in _ACCEPTED_BODY_TYPES:
            raise UnsupportedMediaType(
                "请以 application/geo+json 或 application/json 上传 GeoJSON",
                "Send the GeoJSON as application/geo+json or application/json",
            )
        result = import_geojson(
            current_session(),
            _BodyReader(request.stream),
            mode=args["as_"],
            kind=args.get("kind"),
            crs=args["crs"],
            scope=current_principal().jurisdiction_paths,
            limits=ImportLimits.from_config(current_app.config),
        )
        db.session.commit()
        return result.to_dict()


blp.register_blueprint(jurisdiction_maps_blp)
blp.register_blueprint(zone_maps_blp)
