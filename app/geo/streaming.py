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
from app.geo.limits import UNLIMITED, Deadline, ImportLimits, too_deep, too_many_vertices
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


def iter_features(fp: BinaryReader, top: TopLevel | None = None, limits: ImportLimits = UNLIMITED) -> Iterator[Any]:
    """Yield the elements of ``features`` of a FeatureCollection read incrementally from ``fp``.

    Raises ``ValidationFailed`` (code ``invalid_json``) on malformed JSON, ``geojson_too_deep``
    when the document nests deeper than ``limits.max_depth`` and ``too_many_vertices`` (413)
    past the vertex limits; both are raised on parser events, before the offending part is built.
    ``top`` receives the top-level ``type`` and ``crs`` members as they stream past.
    """
    top = top or TopLevel()
    # ``basic_parse`` rather than ``parse``: ``parse`` gives every event its full prefix, which costs
    # O(depth) per event and so O(depth²) on a deeply nested document before we could stop reading.
    depth = 0
    root_is_map: bool | None = None
    top_key: str | None = None
    in_features = False
    builder: Any = None
    building_crs = False
    index = -1
    positions = total = 0
    last_was_number = False
    try:
        for event, value in ijson.basic_parse(fp, use_float=True):
            if event in ("start_map", "start_array"):
                depth += 1
                if limits.max_depth is not None and depth > limits.max_depth:
                    raise too_deep(limits.max_depth)
                if root_is_map is None:
                    root_is_map = event == "start_map"
            elif event in ("end_map", "end_array"):
                depth -= 1
            if builder is not None:
                builder.event(event, value)
                if not building_crs and event == "end_array" and last_was_number:
                    positions, total = positions + 1, total + 1
                    _check_vertices(limits, index, positions, total)
                last_was_number = event == "number"
                if depth == (1 if building_crs else 2):  # the element (or the crs member) is complete
                    if building_crs:
                        top.crs = builder.value
                    else:
                        yield builder.value
                    builder, building_crs = None, False
                continue
            if not root_is_map:
                continue
            if depth == 1:
                if event == "map_key":
                    top_key = value
                elif event == "string" and top_key == "type":
                    top.type = value
                elif event == "end_array" and in_features:
                    in_features = False
            elif depth == 2 and top_key == "features" and event == "start_array" and not in_features:
                top.saw_features = in_features = True
            elif depth == 2 and top_key == "crs" and event == "start_map":
                builder, building_crs = ijson.ObjectBuilder(), True
                builder.event(event, value)
            elif in_features and depth == 3 and event in ("start_map", "start_array"):
                index, positions, last_was_number = index + 1, 0, False
                builder = ijson.ObjectBuilder()
                builder.event(event, value)
            elif in_features and depth == 2 and event not in ("end_map", "end_array", "map_key"):
                index += 1
                yield value  # a scalar element (e.g. null): let validation reject it
    except ijson.JSONError as exc:
        raise ValidationFailed(
            "文件不是有效的 JSON",
            f"The file is not valid JSON: {exc}",
            errors=[FieldError("", "invalid_json", "JSON 语法错误", f"JSON syntax error: {exc}")],
            code="invalid_json",
        ) from exc


def _check_vertices(limits: ImportLimits, index: int, positions: int, total: int) -> None:
    """Positions are counted as arrays ending in a number anywhere in the feature (its geometry's
    positions, plus the odd property such as ``center``), so a feature is refused before it is built."""
    if limits.max_vertices_per_feature is not None and positions > limits.max_vertices_per_feature:
        raise too_many_vertices(f"features[{index}].geometry", limits.max_vertices_per_feature, whole_file=False)
    if limits.max_vertices is not None and total > limits.max_vertices:
        raise too_many_vertices("features", limits.max_vertices, whole_file=True)


def iter_validated(
    fp: BinaryReader,
    report: ImportReport | None = None,
    *,
    limits: ImportLimits = UNLIMITED,
    deadline: Deadline | None = None,
    **options: Any,
) -> Iterator[FeatureResult]:
    """Stream-validate ``fp``; yields one ``FeatureResult`` per feature.

    After the generator is exhausted, ``report`` (if given) holds top-level errors found
    while streaming (not a FeatureCollection, unsupported ``crs`` member). A caller that
    inserts rows as it goes must still check ``report`` before committing.
    """
    top = TopLevel()
    yield from validate_features(iter_features(fp, top, limits), deadline=deadline, **options)
    if report is not None:
        if top.type != "FeatureCollection":
            report.errors.insert(0, NOT_A_FEATURE_COLLECTION)
        elif not top.saw_features:
            report.errors.insert(0, FEATURES_MISSING)
        crs_error = check_legacy_crs(top.crs)
        if crs_error:
            report.errors.insert(0, crs_error)


def validate_stream(
    fp: BinaryReader, *, limits: ImportLimits = UNLIMITED, deadline: Deadline | None = None, **options: Any
) -> ImportReport:
    """Like ``validate_feature_collection`` but reading ``fp`` incrementally."""
    report = ImportReport()
    top_errors = ImportReport()
    collect(iter_validated(fp, top_errors, limits=limits, deadline=deadline, **options), report)
    if top_errors.errors:
        # a file that is not a FeatureCollection has no meaningful per-feature errors
        report.errors = top_errors.errors + [e for e in report.errors if e.code != "no_features"]
    return report
