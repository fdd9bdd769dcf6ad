"""What validating a GeoJSON file produces: accepted features, per-feature results, the file's report.

Pure module: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shapely.geometry import shape

from app.errors import FieldError, ValidationFailed

MAX_ERRORS = 500  # beyond this an import is hopeless; stop listing so the problem+json stays readable


@dataclass(frozen=True)
class ImportedFeature:
    """One accepted feature, geometry already in WGS-84 and normalised to a MultiPolygon."""

    index: int
    code: str
    name: str
    geometry: dict[str, Any]
    name_en: str | None = None
    parent_code: str | None = None
    level: str | None = None
    kind: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    designated_by: str | None = None
    jurisdiction_code: str | None = None
    repaired: bool = False
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def wkt(self) -> str:
        """WKT of the geometry, for ``ST_GeomFromText(:wkt, 4326)``."""
        return shape(self.geometry).wkt


@dataclass
class FeatureResult:
    """What validating one feature produced: the feature (None when rejected), errors, notices."""

    index: int
    feature: ImportedFeature | None
    errors: list[FieldError] = field(default_factory=list)
    notices: list[FieldError] = field(default_factory=list)


@dataclass
class ImportReport:
    """All features of a file; ``errors`` reject the import, ``notices`` report repairs."""

    features: list[ImportedFeature] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    notices: list[FieldError] = field(default_factory=list)
    feature_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise ``ValidationFailed`` listing every error (repair notices ride along in ``repairs``)."""
        if self.errors:
            raise ValidationFailed(
                f"GeoJSON 导入被拒绝：{self.feature_count} 个要素中有错误，共 {len(self.errors)} 处，整批未导入",
                f"GeoJSON import rejected: {len(self.errors)} error(s) in {self.feature_count} feature(s); nothing was imported",
                errors=self.errors,
                extra={"repairs": [n.to_dict() for n in self.notices]},
                code="geojson_invalid",
            )


def collect(results: Iterable[FeatureResult], report: ImportReport) -> ImportReport:
    """Add every result to ``report``: accepted features, notices, and errors up to ``MAX_ERRORS``."""
    for r in results:
        report.feature_count += 1
        report.notices.extend(r.notices)
        if r.feature is not None:
            report.features.append(r.feature)
        for e in r.errors:
            if len(report.errors) < MAX_ERRORS:
                report.errors.append(e)
            elif len(report.errors) == MAX_ERRORS:
                report.errors.append(
                    FieldError(
                        "features",
                        "too_many_errors",
                        f"错误超过 {MAX_ERRORS} 处，其余未列出",
                        f"More than {MAX_ERRORS} errors; the rest are not listed",
                    )
                )
    if report.feature_count == 0 and not report.errors:
        report.errors.append(FieldError("features", "no_features", "文件不含任何要素", "The file contains no features"))
    return report
