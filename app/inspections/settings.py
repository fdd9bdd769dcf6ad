"""Settings of the inspections feature, read once from the configuration in ``create_app``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from app.photos.evidence import DEFAULT_MAX_DISTANCE_M


@dataclass(frozen=True)
class Settings:
    # 行政处罚法第四十二条: at least two enforcement officers.
    min_officers: int = 2
    photo_max_distance_m: float = DEFAULT_MAX_DISTANCE_M
    # No plan gives per-kind distances: configuration only (PHOTO_MAX_DISTANCE_BY_KIND).
    photo_max_distance_by_kind: Mapping[str, int] = field(default_factory=dict)
    photo_time_tolerance: timedelta = timedelta(seconds=1800)
    feed_max_limit: int = 500
    # How far a start/end time may lie ahead of the server clock (phone clock drift): no source gives one.
    clock_skew: timedelta = timedelta(seconds=300)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> Settings:
        return cls(
            min_officers=int(cfg.get("MIN_OFFICERS", 2)),
            photo_max_distance_m=float(cfg.get("PHOTO_MAX_DISTANCE_M", DEFAULT_MAX_DISTANCE_M)),
            photo_max_distance_by_kind=dict(cfg.get("PHOTO_MAX_DISTANCE_BY_KIND") or {}),
            photo_time_tolerance=timedelta(seconds=int(cfg.get("PHOTO_TIME_TOLERANCE_S", 1800))),
            feed_max_limit=int(cfg.get("INSPECTION_FEED_MAX_LIMIT", 500)),
            clock_skew=timedelta(seconds=int(cfg.get("INSPECTION_CLOCK_SKEW_S", 300))),
        )

    def max_distance_for(self, site_kind: str) -> float:
        return float(self.photo_max_distance_by_kind.get(site_kind, self.photo_max_distance_m))
