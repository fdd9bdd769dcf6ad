"""Settings of the review queue, read from the configuration by the entry point."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.inspections.settings import Settings as InspectionSettings
from app.review.risk import RiskSettings, RiskWeights


def risk_settings(cfg: Mapping[str, Any], inspection_settings: InspectionSettings) -> RiskSettings:
    """Weights and thresholds of the risk score. The officer minimum and the photo distances are the
    inspections feature's (MIN_OFFICERS, PHOTO_MAX_DISTANCE_M, PHOTO_MAX_DISTANCE_BY_KIND)."""
    return RiskSettings(
        weights=RiskWeights.from_mapping(cfg.get("REVIEW_RISK_WEIGHTS") or {}),
        min_officers=inspection_settings.min_officers,
        default_max_distance_m=inspection_settings.photo_max_distance_m,
        max_distance_by_kind=tuple(
            sorted((k, float(v)) for k, v in inspection_settings.photo_max_distance_by_kind.items())
        ),
        min_duration_s=int(cfg.get("REVIEW_MIN_DURATION_MINUTES", 15)) * 60,
        high_amount_fen=int(cfg.get("REVIEW_HIGH_AMOUNT_FEN", 10_000_000)),
        near_duplicate_max_bits=near_duplicate_max_bits(cfg.get("REVIEW_NEAR_DUPLICATE_MAX_BITS", 8)),
    )


def near_duplicate_max_bits(value: Any) -> int:
    """REVIEW_NEAR_DUPLICATE_MAX_BITS: 0..63 bits of a 64-bit perceptual hash (64 would match any photo)."""
    bits = int(value)
    if not 0 <= bits <= 63:
        raise ValueError(f"REVIEW_NEAR_DUPLICATE_MAX_BITS must be 0..63, got {value!r}")
    return bits
