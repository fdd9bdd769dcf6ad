"""Reading and validating a GeoJSON FeatureCollection incrementally, one feature at a time.

Pure module: no Flask, no SQLAlchemy. A district's sub-district boundaries are a few MB, but
a province's town boundaries exceed 100 MB of JSON, which ``json.load`` would inflate to
gigabytes of Python objects; ``ijson`` keeps memory at one feature plus the results.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import ijson

from app.errors import FieldError, ValidationFailed
from app.geo.features import FEATURES_MISSING, NOT_A_FEATURE_COLLECTION, check_legacy_crs, validate_features
from app.geo.report import FeatureResult, ImportReport, collect


class BinaryReader(Protocol):
    """All the streaming parser needs from a body: ``read(size) -> bytes`` (a file, BytesIO, a request reader)."""

    def read(self, size: int = -1, /) -> bytes: ...


class TopLevel:
    """The FeatureCollection's own members, noted as they stream past."""

    def __init__(self) -> None:
        self.type: Any = None
        self.crs: Any = None
        self.saw_features = False


def iter_features(fp: BinaryReader, top: TopLevel | None = None) -> Iterator[Any]:
    """Yield the elements of ``features`` of a FeatureCollection read incrementally from ``fp``.

    Raises ``ValidationFailed`` (code ``invalid_json``) on malformed JSON. ``top`` receives the
    top-level ``type`` and ``crs`` members as they stream past.
    """
    top = top or TopLevel()
    builder: Any = None
    member: str | None = None  # "crs" while building that member
    try:
        for prefix, event, value in ijson.parse(fp, use_float=True):
            if builder is not None:
                builder.event(event, value)
                if prefix == ("features.item" if member is None else member) and event in ("end_map", "end_array"):
                    if member is None:
                        yield builder.value
                    else:
                        top.crs = builder.value
                        member = None
                    builder = None
                continue
            if prefix == "type" and event == "string":
                top.type = value
            elif prefix == "features" and event == "start_array":
                top.saw_features = True
            elif prefix == "features.item":
                if event in ("start_map", "start_array"):
                    builder = ijson.ObjectBuilder()
                    builder.event(event, value)
                else:  # a scalar element (e.g. null): let validation reject it
                    yield value
            elif prefix == "crs" and event == "start_map":
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
                member = "crs"
    except ijson.JSONError as exc:
        raise ValidationFailed(
            "文件不是有效的 JSON", f"The file is not valid JSON: {exc}",
            errors=[FieldError("", "invalid_json", "JSON 语法错误", f"JSON syntax error: {exc}")], code="invalid_json",
        ) from exc


def iter_validated(fp: BinaryReader, report: ImportReport | None = None, **options: Any) -> Iterator[FeatureResult]:
    """Stream-validate ``fp``; yields one ``FeatureResult`` per feature.

    After the generator is exhausted, ``report`` (if given) holds top-level errors found
    while streaming (not a FeatureCollection, unsupported ``crs`` member). A caller that
    inserts rows as it goes must still check ``report`` before committing.
    """
    top = TopLevel()
    yield from validate_features(iter_features(fp, top), **options)
    if report is not None:
        if top.type != "FeatureCollection":
            report.errors.insert(0, NOT_A_FEATURE_COLLECTION)
        elif not top.saw_features:
            report.errors.insert(0, FEATURES_MISSING)
        crs_error = check_legacy_crs(top.crs)
        if crs_error:
            report.errors.insert(0, crs_error)


def validate_stream(fp: BinaryReader, **options: Any) -> ImportReport:
    """Like ``validate_feature_collection`` but reading ``fp`` incrementally."""
    report = ImportReport()
    top_errors = ImportReport()
    collect(iter_validated(fp, top_errors, **options), report)
    if top_errors.errors:
        # a file that is not a FeatureCollection has no meaningful per-feature errors
        report.errors = top_errors.errors + [e for e in report.errors if e.code != "no_features"]
    return report
