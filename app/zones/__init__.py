"""Zones: polygons that change which rules apply (built-up area, fireworks/fuel ban areas, NRMM control area …)."""
