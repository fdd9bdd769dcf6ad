"""Use case: a map layer as GeoJSON within a bbox, for the review queue's filters, in the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.jurisdictions.services import get_jurisdiction_in_scope
from app.maplayers.queries import check_layer, feature_collection, layer_rows
from app.review.queries import QueueFilter

DEFAULT_LIMIT = 5000
MAX_LIMIT = 50_000


@dataclass(frozen=True)
class LayerDocument:
    body: str
    features: int
    truncated: bool


def layer_geojson(
    session: Session,
    principal: Principal,
    layer: str,
    flt: QueueFilter,
    bbox: tuple[float, float, float, float],
    *,
    crs: str,
    limit: int,
    jurisdiction_code: str | None = None,
) -> LayerDocument:
    """FeatureCollection of ``layer`` within ``bbox`` (WGS-84), coordinates in ``crs``; never silently cut:
    past ``limit`` features the answer says it is truncated (narrow the bbox or the filters)."""
    check_layer(layer)
    if jurisdiction_code is not None:
        flt = replace(flt, jurisdiction_path=get_jurisdiction_in_scope(session, jurisdiction_code, principal).path)
    rows = layer_rows(layer, principal.jurisdiction_paths, flt, bbox)
    body, count, truncated = feature_collection(session, rows, crs, limit)
    return LayerDocument(body, count, truncated)
