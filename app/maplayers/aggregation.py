"""Which tiles are drawn from the rollup (pure: imports neither Flask nor SQLAlchemy).

Below zoom 12 a tile of inspections or failed findings is drawn as counts per site, at the site's point (the
live form clustered every inspection by its phone position: hundreds of thousands per z8 tile at 1 M
inspections). The rollup (app/maplayers/rollup.py) answers exactly the filters it is keyed by: the states,
the checklist, the site kind and the jurisdiction (and the caller's scope). Any other filter (dates, inspector,
site, flags, amount, has_failed) is answered by the live query, which draws the same counts per site from the
base tables. The sites layer below zoom 12 is the rollup's site points, clustered per pixel.
"""

from __future__ import annotations

import dataclasses
from typing import Any

AGGREGATED_BELOW_ZOOM = 12
ROLLUP_FILTERS = frozenset({"states", "checklist", "site_kind", "jurisdiction_path"})


def counts_per_site(layer: str, z: int) -> bool:
    """Inspections and findings below zoom 12 are counts per site (from the rollup or live)."""
    return layer in ("inspections", "findings") and z < AGGREGATED_BELOW_ZOOM


def rollup_answers(layer: str, z: int, flt: Any) -> bool:
    """The rollup draws this tile exactly: a low zoom, and only filters the rollup is keyed by.
    ``flt`` is an app.review.queries.QueueFilter (a dataclass; every other field at its default)."""
    if z >= AGGREGATED_BELOW_ZOOM:
        return False
    if layer == "sites":
        return flt.site_id is None
    answered = ROLLUP_FILTERS
    for field in dataclasses.fields(flt):
        if field.name not in answered and getattr(flt, field.name) != field.default:
            return False
    return True
