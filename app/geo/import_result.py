"""What a GeoJSON import did, and the PostGIS-checked features it writes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from app.errors import FieldError
from app.geo.report import ImportedFeature


@dataclass
class ImportResult:
    """What an import did; ``repairs`` lists every geometry that was repaired (shapely or PostGIS)."""

    mode: str
    crs: str
    kind: str | None
    feature_count: int = 0
    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    reparented: list[str] = field(default_factory=list)
    repairs: list[dict[str, str]] = field(default_factory=list)
    notices: list[dict[str, str]] = field(default_factory=list)
    sites_moved: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "crs": self.crs,
            "kind": self.kind,
            "feature_count": self.feature_count,
            "created": self.created,
            "replaced": self.replaced,
            "unchanged": self.unchanged,
            "reparented": self.reparented,
            "repairs": self.repairs,
            "notices": self.notices,
            "sites_moved": self.sites_moved,
        }


@dataclass
class CheckedFeature:
    """A feature whose geometry PostGIS accepted (or repaired): its WKB and that WKB's digest."""

    feature: ImportedFeature
    wkb: bytes
    digest: str


def geometry_digest(wkb: bytes | None) -> str | None:
    """SHA-256 of a geometry's WKB, so audit entries can say whether a shape changed."""
    return hashlib.sha256(wkb).hexdigest() if wkb is not None else None


def outside_scope(index: int, code: str) -> FieldError:
    """The error for a feature the scoped caller may not import."""
    return FieldError(
        f"features[{index}].properties.code",
        "outside_scope",
        f"{code} 不在您的辖区内，不能导入",
        f"{code} is outside your jurisdictions and cannot be imported",
    )
