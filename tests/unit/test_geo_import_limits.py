"""Bounds on a GeoJSON import: nesting depth, vertices per feature and per file, processing time."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from app.errors import PayloadTooLarge, ValidationFailed
from app.geo.features import validate_feature_collection
from app.geo.limits import Deadline, ImportLimits, count_positions
from app.geo.streaming import validate_stream


class CountingReader:
    """A binary reader that remembers how much of the body was read."""

    def __init__(self, data: bytes) -> None:
        self._fp = io.BytesIO(data)
        self.size = len(data)

    def read(self, size: int = -1, /) -> bytes:
        return self._fp.read(size)

    @property
    def consumed(self) -> int:
        return self._fp.tell()


def ring(n: int) -> list[list[float]]:
    """A closed ring of ``n`` positions (a regular polygon around 113.25, 35.25)."""
    import math

    pts = [
        [113.25 + 0.01 * math.cos(2 * math.pi * k / (n - 1)), 35.25 + 0.01 * math.sin(2 * math.pi * k / (n - 1))]
        for k in range(n - 1)
    ]
    return pts + [pts[0]]


def feature(code: str, n: int = 5) -> dict:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": code, "level": "county"},
        "geometry": {"type": "Polygon", "coordinates": [ring(n)]},
    }


def doc(*features: dict) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def test_deeply_nested_document_is_refused_with_the_depth_code_before_it_is_read_to_the_end() -> None:
    depth = 200_000
    head = (
        b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": '
        b'{"type": "Polygon", "coordinates": '
    )
    body = head + b"[" * depth + b"]" * depth + b"}}]}"
    reader = CountingReader(body)
    with pytest.raises(ValidationFailed) as info:
        validate_stream(reader, mode="jurisdictions", limits=ImportLimits())
    assert info.value.code == "geojson_too_deep" and info.value.status == 422
    assert info.value.errors[0].code == "geojson_too_deep"
    assert reader.consumed < reader.size // 2  # stopped on the first chunk, nothing of the nest was built


def test_depth_limit_leaves_ordinary_multipolygons_and_nested_properties_alone() -> None:
    f = feature("410811")
    f["geometry"] = {"type": "MultiPolygon", "coordinates": [[ring(5)]]}
    f["properties"]["parent"] = {"adcode": 410800, "meta": {"center": [113.2, 35.2]}}
    assert validate_stream(io.BytesIO(doc(f)), mode="jurisdictions", limits=ImportLimits(max_depth=9)).ok


def test_feature_with_too_many_vertices_is_refused_413_before_the_file_is_read() -> None:
    reader = CountingReader(doc(feature("410811", 300_000), feature("410822")))
    with pytest.raises(PayloadTooLarge) as info:
        validate_stream(reader, mode="jurisdictions", limits=ImportLimits())
    assert info.value.code == "too_many_vertices" and info.value.status == 413
    assert [(e.path, e.code) for e in info.value.errors] == [("features[0].geometry", "too_many_vertices")]
    assert reader.consumed < reader.size // 2


def test_vertices_are_bounded_per_import_too() -> None:
    limits = ImportLimits(max_vertices_per_feature=100, max_vertices=250)
    assert validate_stream(
        io.BytesIO(doc(feature("A", 100), feature("B", 100))), mode="jurisdictions", limits=limits
    ).ok
    with pytest.raises(PayloadTooLarge) as info:
        validate_stream(
            io.BytesIO(doc(feature("A", 100), feature("B", 100), feature("C", 100))),
            mode="jurisdictions",
            limits=limits,
        )
    assert [(e.path, e.code) for e in info.value.errors] == [("features", "too_many_vertices")]


def test_parsed_documents_are_bounded_like_streamed_ones() -> None:
    limits = ImportLimits(max_vertices_per_feature=100)
    with pytest.raises(PayloadTooLarge) as info:
        validate_feature_collection(
            json.loads(doc(feature("A", 5), feature("B", 101))), mode="jurisdictions", limits=limits
        )
    assert info.value.errors[0].path == "features[1].geometry"


def test_count_positions_counts_arrays_of_numbers() -> None:
    assert count_positions([[ring(5)], [ring(7), ring(4)]]) == 16
    assert count_positions(None) == 0


def _ticking_clock(step: float = 1.0) -> Iterator[float]:
    t = 0.0
    while True:
        yield t
        t += step


def test_import_that_runs_past_its_deadline_is_refused_with_a_stable_code() -> None:
    ticks = _ticking_clock()
    deadline = Deadline(3, lambda: next(ticks))  # every look at the clock is one more second
    with pytest.raises(PayloadTooLarge) as info:
        validate_stream(io.BytesIO(doc(*(feature(str(k)) for k in range(10)))), mode="jurisdictions", deadline=deadline)
    assert info.value.code == "import_too_slow" and info.value.errors[0].code == "import_too_slow"


def test_limits_come_from_configuration_and_the_cli_drops_the_per_import_ones() -> None:
    limits = ImportLimits.from_config({"GEO_IMPORT_MAX_DEPTH": 10, "GEO_IMPORT_MAX_SECONDS": 5.0})
    assert limits.max_depth == 10 and limits.max_seconds == 5.0 and limits.max_vertices_per_feature == 50_000
    cli = limits.for_cli()
    assert cli.max_seconds is None and cli.max_vertices is None and cli.max_depth == 10
