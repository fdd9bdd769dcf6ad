"""Site shapes at the HTTP edge."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import marshmallow as ma

from app.geo.crs import WGS84, transform_geometry
from app.geo.fields import Crs, GeoJSONGeometry, NumberList
from app.sites.models import PARTY_TYPES, Site
from app.sites.services import geometry_geojson
from app.zones.models import Zone


class OperatorSchema(ma.Schema):
    type = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(PARTY_TYPES),
        metadata={"description": "company (单位) | individual (个人)"},
    )
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    credit_code = ma.fields.String(
        allow_none=True, metadata={"description": "统一社会信用代码 (18 chars, check character verified)"}
    )


class SiteCreateSchema(ma.Schema):
    code = ma.fields.String(
        validate=ma.validate.Length(min=1, max=64), metadata={"description": "Optional registry code"}
    )
    kind = ma.fields.String(required=True, metadata={"description": "A kind of checklists/site_kinds.yaml"})
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    operator = ma.fields.Nested(OperatorSchema, required=True)
    address = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=400))
    geometry = GeoJSONGeometry(required=True)
    crs = Crs()
    attributes = ma.fields.Dict(load_default=dict)
    jurisdiction_code = ma.fields.String(
        metadata={
            "description": "Used only where no boundary covers the site; "
            "otherwise it must contain the derived jurisdiction"
        }
    )


class SiteUpdateSchema(ma.Schema):
    kind = ma.fields.String()
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    operator = ma.fields.Nested(OperatorSchema)
    address = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=400))
    geometry = GeoJSONGeometry()
    crs = Crs()
    attributes = ma.fields.Dict()
    jurisdiction_code = ma.fields.String()


class SiteQueryArgsSchema(ma.Schema):
    near = NumberList(2, metadata={"description": "lon,lat (in `crs`): nearest first, with distance_m"})
    radius_m = ma.fields.Float(
        validate=ma.validate.Range(min=0, max=200_000, min_inclusive=False),
        metadata={"description": "With near: only sites within this many metres (geography)"},
    )
    bbox = NumberList(4, metadata={"description": "minlon,minlat,maxlon,maxlat (in `crs`)"})
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "Part of the name, or an exact 统一社会信用代码 or site code"},
    )
    kind = ma.fields.String()
    crs = Crs()
    cursor = ma.fields.String(metadata={"description": "Opaque cursor from next_cursor"})
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))

    @ma.validates_schema
    def _radius_needs_near(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "radius_m" in data and "near" not in data:
            raise ma.ValidationError("radius_m needs near.", field_name="radius_m")
        bbox = data.get("bbox")
        if bbox and (bbox[0] > bbox[2] or bbox[1] > bbox[3]):
            raise ma.ValidationError("bbox is minlon,minlat,maxlon,maxlat.", field_name="bbox")


class SiteReadArgsSchema(ma.Schema):
    crs = Crs()


class SiteZoneSchema(ma.Schema):
    code = ma.fields.String()
    kind = ma.fields.String()
    name_zh = ma.fields.String()
    name_en = ma.fields.String(allow_none=True)


class SiteJurisdictionSchema(ma.Schema):
    code = ma.fields.String()
    name_zh = ma.fields.String()
    name_en = ma.fields.String(allow_none=True)
    level = ma.fields.String()


class SiteSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String(allow_none=True)
    kind = ma.fields.String()
    name = ma.fields.String()
    operator = ma.fields.Nested(OperatorSchema)
    address = ma.fields.String(allow_none=True)
    geometry = ma.fields.Dict(metadata={"description": "GeoJSON in `crs`"})
    crs = ma.fields.String()
    attributes = ma.fields.Dict()
    jurisdiction = ma.fields.Nested(SiteJurisdictionSchema)
    zones = ma.fields.List(ma.fields.Nested(SiteZoneSchema))
    is_demo = ma.fields.Boolean()
    version = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    updated_at = ma.fields.DateTime()
    distance_m = ma.fields.Float(metadata={"description": "Only with near: geodesic distance in metres"})


class SitePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SiteSchema))
    next_cursor = ma.fields.String(allow_none=True)


def site_output(site: Site, crs: str, zones: list[Zone], distance_m: float | None = None) -> dict[str, Any]:
    """The dict ``SiteSchema`` dumps: geometry converted to ``crs``."""
    out: dict[str, Any] = {
        "id": site.id,
        "code": site.code,
        "kind": site.kind,
        "name": site.name,
        "operator": {"type": site.operator_type, "name": site.operator_name, "credit_code": site.operator_credit_code},
        "address": site.address,
        "geometry": geometry_geojson(site.geom, crs),
        "crs": crs,
        "attributes": site.attributes,
        "jurisdiction": site.jurisdiction,
        "zones": zones,
        "is_demo": site.is_demo,
        "version": site.version,
        "created_at": site.created_at,
        "updated_at": site.updated_at,
    }
    if distance_m is not None:
        out["distance_m"] = distance_m
    return out


def site_page_json(items: Sequence[str], next_cursor: str | None, crs: str) -> bytes:
    """``SitePageSchema``'s dump as JSON bytes, from the items PostgreSQL wrote (``queries._item_json``, each
    ``SiteSchema``'s dump of ``site_output`` in WGS-84). In WGS-84 they are passed through as they are: no
    decoding or encoding per site; in another ``crs`` each item's geometry is converted here, by the
    same transforms as everywhere else (app/geo/crs.py)."""
    if crs != WGS84:
        items = [_item_in_crs(item, crs) for item in items]
    return ('{"items":[' + ",".join(items) + '],"next_cursor":' + json.dumps(next_cursor) + "}").encode()


def _item_in_crs(item: str, crs: str) -> str:
    out = json.loads(item)
    out["geometry"] = transform_geometry(out["geometry"], WGS84, crs)
    out["crs"] = crs
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))
