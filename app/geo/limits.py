"""Bounds on the work one GeoJSON import may cause: nesting depth, vertices, processing time.

Pure module: no Flask, no SQLAlchemy. A 100,000-deep document cost a worker quadratic time in
the streaming parser (every event carries its whole prefix) and a 300,000-vertex polygon held a
thread for minutes in repair and PostGIS checks, so the importer refuses such input as soon as
it is seen, with a stable code:

* ``geojson_too_deep`` (422): the document nests deeper than ``max_depth`` (a MultiPolygon
  feature needs 8 levels). Checked on parser events, before anything is built.
* ``too_many_vertices`` (413): one feature has more than ``max_vertices_per_feature`` positions,
  or the whole file more than ``max_vertices``. Counted while streaming, before the feature is built.
* ``import_too_slow`` (413): the import has run longer than ``max_seconds``; checked between
  features and between stages (each stage's work per feature is bounded by the vertex limits).

``None`` disables a limit (the CLI drops the per-import ones, see ``for_cli``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from app.errors import FieldError, PayloadTooLarge, ValidationFailed

DEFAULT_MAX_DEPTH = 32
DEFAULT_MAX_VERTICES_PER_FEATURE = 50_000
DEFAULT_MAX_VERTICES = 2_000_000
DEFAULT_MAX_SECONDS = 45.0  # below gunicorn's 60 s worker timeout, so the client gets a problem, not a reset


@dataclass(frozen=True)
class ImportLimits:
    """The bounds of one import; ``None`` = unbounded."""

    max_depth: int | None = DEFAULT_MAX_DEPTH
    max_vertices_per_feature: int | None = DEFAULT_MAX_VERTICES_PER_FEATURE
    max_vertices: int | None = DEFAULT_MAX_VERTICES
    max_seconds: float | None = DEFAULT_MAX_SECONDS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ImportLimits:
        """The limits set in the app's configuration (``GEO_IMPORT_*``)."""
        return cls(
            max_depth=config.get("GEO_IMPORT_MAX_DEPTH", DEFAULT_MAX_DEPTH),
            max_vertices_per_feature=config.get(
                "GEO_IMPORT_MAX_VERTICES_PER_FEATURE", DEFAULT_MAX_VERTICES_PER_FEATURE
            ),
            max_vertices=config.get("GEO_IMPORT_MAX_VERTICES", DEFAULT_MAX_VERTICES),
            max_seconds=config.get("GEO_IMPORT_MAX_SECONDS", DEFAULT_MAX_SECONDS),
        )

    def for_cli(self) -> ImportLimits:
        """An operator at a terminal may import a province's town boundaries (millions of vertices, minutes):
        no worker thread is held, so only the limits that guard against malformed files remain."""
        return replace(self, max_vertices=None, max_seconds=None)


UNLIMITED = ImportLimits(None, None, None, None)


def too_deep(limit: int) -> ValidationFailed:
    """The refusal of a document nested deeper than ``limit``."""
    return ValidationFailed(
        f"GeoJSON 嵌套层级超过 {limit} 层，整批拒绝",
        f"The GeoJSON nests deeper than {limit} levels; nothing was imported",
        errors=[FieldError("", "geojson_too_deep", f"嵌套层级超过 {limit}", f"Nesting deeper than {limit}")],
        code="geojson_too_deep",
    )


def too_many_vertices(path: str, limit: int, *, whole_file: bool) -> PayloadTooLarge:
    """The refusal of a feature (or a file) with more than ``limit`` positions."""
    what_zh, what_en = ("整个文件", "the file") if whole_file else ("该要素", "this feature")
    return PayloadTooLarge(
        f"{what_zh}的坐标点超过 {limit} 个，整批拒绝；请简化几何图形或分批导入",
        f"More than {limit} vertices in {what_en}; nothing was imported. Simplify the geometry or split the file",
        errors=[FieldError(path, "too_many_vertices", f"坐标点超过 {limit} 个", f"More than {limit} vertices")],
        code="too_many_vertices",
    )


class Deadline:
    """The processing-time bound of one import; ``check`` raises ``import_too_slow`` once it has passed."""

    def __init__(self, max_seconds: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._max = max_seconds
        self._end = clock() + max_seconds if max_seconds is not None else None

    def check(self, stage: str) -> None:
        """Raise when the deadline has passed (``stage`` says where the import stopped)."""
        if self._end is not None and self._clock() > self._end:
            raise PayloadTooLarge(
                f"导入处理超过 {self._max:g} 秒（停止于{stage}），整批拒绝；请分批导入或简化几何图形",
                f"The import took longer than {self._max:g} s (stopped at {stage}); nothing was imported. "
                "Split the file or simplify the geometries",
                errors=[
                    FieldError("", "import_too_slow", f"处理超时（{stage}）", f"Processing time exceeded ({stage})")
                ],
                code="import_too_slow",
            )


def count_positions(coordinates: Any, limit: int | None = None) -> int:
    """Positions (arrays of numbers) inside a parsed ``coordinates`` member; stops counting past ``limit``."""
    count = 0
    stack = [coordinates]
    while stack:
        item = stack.pop()
        if not isinstance(item, list) or not item:
            continue
        if not isinstance(item[0], list):
            count += 1
            if limit is not None and count > limit:
                return count
        else:
            stack.extend(item)
    return count
