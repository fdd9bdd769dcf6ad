"""Sites registry endpoints, scoped to the caller's jurisdictions (out of scope → 404)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView

from app.auth.authz import current_principal
from app.blueprint import Blueprint
from app.errors import FieldError, ValidationFailed
from app.etags import MalformedIfMatch, parse_if_match, version_etag
from app.extensions import current_session, db
from app.geo.crs import WGS84, to_wgs84
from app.sites.queries import SiteFilter
from app.sites.schemas import (
    SiteCreateSchema,
    SitePageSchema,
    SiteQueryArgsSchema,
    SiteReadArgsSchema,
    SiteSchema,
    SiteUpdateSchema,
    site_output,
    site_page_json,
)
from app.sites.services import create_site, get_site, list_sites, site_zones, update_site
from app.wiring import wiring

blp = Blueprint("sites", __name__, url_prefix="/api/v1/sites", description="场所登记 / Sites registry")


def _filter(args: dict[str, Any]) -> SiteFilter:
    crs = args.get("crs", WGS84)
    near = to_wgs84(args["near"][0], args["near"][1], crs) if "near" in args else None
    bbox = None
    if "bbox" in args:
        x1, y1, x2, y2 = args["bbox"]
        lo, hi = to_wgs84(x1, y1, crs), to_wgs84(x2, y2, crs)
        bbox = (lo[0], lo[1], hi[0], hi[1])
    return SiteFilter(near=near, radius_m=args.get("radius_m"), bbox=bbox, q=args.get("q"), kind=args.get("kind"))


def _if_match() -> int | None:
    try:
        return parse_if_match(request.headers.get("If-Match"))
    except MalformedIfMatch:
        raise ValidationFailed(
            "If-Match 须为场所版本号",
            "If-Match must be the site's version (ETag)",
            errors=[FieldError("If-Match", "invalid_etag", "版本号无效", "Invalid ETag")],
        ) from None


@blp.route("")
class Sites(MethodView):
    @blp.auth()
    # An instance, not the class: webargs would build a new schema for every request.
    @blp.arguments(SiteQueryArgsSchema(), location="query")
    @blp.response(200, SitePageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Sites in the caller's jurisdictions: nearest first with `near`, else by id; cursor pages."""
        # One statement on the read-only pool: no BEGIN/ROLLBACK round trips (app/read_only.py); the sites'
        # zones from the reference cache.
        wired = wiring()
        rows, next_cursor = list_sites(
            wired.reads,
            current_principal(),
            _filter(args),
            cursor=args.get("cursor"),
            limit=args["limit"],
            cache=wired.reference_cache,
        )
        # Already SitePageSchema's dump, as JSON (site_page_json); flask-smorest passes a Response through.
        body = site_page_json([row.item_json for row in rows], next_cursor, args.get("crs", WGS84))
        return Response(body, mimetype="application/json")

    @blp.auth("supervisor", "admin")
    @blp.arguments(SiteCreateSchema)
    @blp.response(201, SiteSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Register a site; its jurisdiction and zones are derived from its geometry (audited)."""
        site = create_site(
            current_session(), data, principal=current_principal(), checklists_dir=current_app.config["CHECKLISTS_DIR"]
        )
        db.session.commit()
        out = site_output(site, data.get("crs", WGS84), site_zones(current_session(), site))
        return out, 201, {"ETag": version_etag(site.version), "Location": f"/api/v1/sites/{site.id}"}


@blp.route("/<int:site_id>")
class SiteById(MethodView):
    @blp.auth()
    @blp.arguments(SiteReadArgsSchema, location="query")
    @blp.response(200, SiteSchema)
    @blp.alt_response(404, description="不存在或不在辖区内 / Not found in your jurisdictions")
    def get(self, args: dict[str, Any], site_id: int) -> Any:
        """One site, coordinates in `crs`."""
        site = get_site(current_session(), site_id, current_principal())
        return (
            site_output(site, args["crs"], site_zones(current_session(), site)),
            200,
            {"ETag": version_etag(site.version)},
        )

    @blp.auth("supervisor", "admin")
    @blp.arguments(SiteUpdateSchema)
    @blp.response(200, SiteSchema)
    @blp.alt_response(404, description="不存在或不在辖区内 / Not found in your jurisdictions")
    @blp.alt_response(412, description="版本已过期 / Stale If-Match")
    def patch(self, data: dict[str, Any], site_id: int) -> Any:
        """Change a site (optional If-Match: its version); location is re-derived (audited)."""
        principal = current_principal()
        site = get_site(current_session(), site_id, principal)
        update_site(
            current_session(),
            site,
            data,
            principal=principal,
            expected_version=_if_match(),
            checklists_dir=current_app.config["CHECKLISTS_DIR"],
        )
        db.session.commit()
        out = site_output(site, data.get("crs", WGS84), site_zones(current_session(), site))
        return out, 200, {"ETag": version_etag(site.version)}
