"""Use case: one vector tile (MVT) of a map layer, with an ETag decided before the tile is built where it can be.

Inspections and findings: the ETag is derived from the layer, tile, filter, crs and the newest inspection change
number, so a revalidation answers 304 without building the tile. Sites at zoom 12 and above: the ETag is the
tile content's hash.
Tiles outside every one of the caller's jurisdictions are simply empty (scope is a filter, not a 404).

Below zoom 12 (app/maplayers/aggregation.py): inspections and failed findings are counts per site, drawn from
the rollup (app/maplayers/rollup.py, at most about a minute behind; the ETag is the rollup's version) when it
answers the filters exactly, else from the base tables; the sites layer is the rollup's site points. A rollup
tile's ETag is the rollup's version with the tile's key. Tiles tagged by a version (the rollup's, or the newest
inspection change) keep their bytes per process until it moves (app/kept_bytes.py). An empty tile costs one index probe.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace

from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.errors import NotFound
from app.jurisdictions.services import get_jurisdiction_in_scope
from app.kept_bytes import KeptBytes
from app.maplayers.aggregation import counts_per_site, rollup_answers
from app.maplayers.queries import check_layer, data_version, layer_rows, live_count_tile, rollup_tile, tile, tile_box
from app.maplayers.rollup import rollup_version
from app.maplayers.tiles import tile_bounds_wgs84, tile_etag, valid_tile
from app.review.queries import QueueFilter

# A z8 tile over a city is ~80 KB built from thousands of rollup rows; every supervisor's map opens on the
# same few. 32 MiB per worker holds a few hundred (a tile's key is its tag: version, scope, filters, tile, crs).
_KEPT_TILES: KeptBytes[bytes] = KeptBytes(32 << 20, len)


@dataclass(frozen=True)
class Tile:
    etag: str
    body: bytes | None  # None: the caller's copy is current (304)
    source: str = "live"  # "rollup": drawn from the low-zoom rollup


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
    paths = principal.jurisdiction_paths
    key = (layer, z, x, y, crs, "*" if paths is None else sorted(paths), sorted(asdict(flt).items()))
    if rollup_answers(layer, z, flt):
        # The tag names everything the tile depends on (the rollup's version, scope, filters, tile, crs), so the
        # bytes built for it stay right until the next refresh moves the version: build once, then keep.
        etag = tile_etag(*key, "rollup", rollup_version(session))
        if if_none_match is not None and etag in if_none_match:
            return Tile(etag, None, "rollup")
        body = _KEPT_TILES.get_or_build(etag, lambda: rollup_tile(session, layer, paths, flt, z, x, y, crs))
        return Tile(etag, body, "rollup")
    version = data_version(session, layer)

    def build() -> bytes:
        box = tile_box(z, x, y, tile_bounds_wgs84(z, x, y), crs)
        wgs_box = (box[0], box[1], box[2], box[3])
        if counts_per_site(layer, z):
            return live_count_tile(session, layer, paths, flt, z, x, y, crs, wgs_box)
        return tile(session, layer_rows(layer, paths, flt, wgs_box), layer, z, x, y, crs)

    if version is not None:
        # Tagged by the newest inspection change: the bytes built for the tag stay right until the next change.
        etag = tile_etag(*key, version)
        if if_none_match is not None and etag in if_none_match:
            return Tile(etag, None)
        return Tile(etag, _KEPT_TILES.get_or_build(etag, build))
    body = build()
    etag = tile_etag(*key, hashlib.sha256(body).hexdigest())
    if if_none_match is not None and etag in if_none_match:
        return Tile(etag, None)
    return Tile(etag, body)
