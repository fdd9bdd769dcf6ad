"""Pure tile arithmetic (web-mercator XYZ tiles) and the tile ETag. Imports neither Flask nor SQLAlchemy."""

from __future__ import annotations

import hashlib
import math

MAX_ZOOM = 22
# GCJ-02/BD-09 move a point by well under 0.02° in China: a tile's rows are selected from WGS-84 positions in
# the tile's bounds widened by this margin, then placed by their converted position (app/maplayers/queries.py).
CRS_MARGIN_DEG = 0.02


def valid_tile(z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


def tile_bounds_wgs84(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of a tile."""
    n = 2**z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


def tile_etag(*parts: object) -> str:
    """A strong ETag from what decides a tile's bytes (layer, tile, filter, crs, data version or content)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f'"{digest}"'
