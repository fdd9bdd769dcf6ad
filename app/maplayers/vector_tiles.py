"""Use case: one vector tile (MVT) of a map layer, with an ETag decided before the tile is built where it can be.

Inspections and findings: the ETag is derived from the layer, tile, filter, crs and the newest inspection change
number, so a revalidation answers 304 without building the tile. Sites: the ETag is the tile content's hash.
Tiles outside every one of the caller's jurisdictions are simply empty (scope is a filter, not a 404).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.errors import NotFound
from app.jurisdictions.services import get_jurisdiction_in_scope
from app.maplayers.queries import check_layer, data_version, layer_rows, tile, tile_box
from app.maplayers.tiles import tile_bounds_wgs84, tile_etag, valid_tile
from app.review.queries import QueueFilter


@dataclass(frozen=True)
class Tile:
    etag: str
    body: bytes | None  # None: the caller's copy is current (304)


def vector_tile(
    session: Session,
    principal: Principal,
    layer: str,
    z: int,
    x: int,
    y: int,
    flt: QueueFilter,
    *,
    crs: str,
    if_none_match: str | None,
    jurisdiction_code: str | None = None,
) -> Tile:
    """The MVT of ``layer`` at z/x/y, or ``body=None`` when ``if_none_match`` is already current."""
    check_layer(layer)
    if not valid_tile(z, x, y):
        raise NotFound("瓦片不存在", "No such tile", code="tile_not_found")
    if jurisdiction_code is not None:
        flt = replace(flt, jurisdiction_path=get_jurisdiction_in_scope(session, jurisdiction_code, principal).path)
    key = (layer, z, x, y, crs, sorted(principal.jurisdiction_paths), sorted(asdict(flt).items()))
    version = data_version(session, layer)
    if version is not None:
        etag = tile_etag(*key, version)
        if if_none_match is not None and etag in if_none_match:
            return Tile(etag, None)
    box = tile_box(z, x, y, tile_bounds_wgs84(z, x, y), crs)
    body = tile(
        session,
        layer_rows(layer, principal.jurisdiction_paths, flt, (box[0], box[1], box[2], box[3])),
        layer,
        z,
        x,
        y,
        crs,
    )
    if version is None:
        etag = tile_etag(*key, hashlib.sha256(body).hexdigest())
        if if_none_match is not None and etag in if_none_match:
            return Tile(etag, None)
    return Tile(etag, body)
