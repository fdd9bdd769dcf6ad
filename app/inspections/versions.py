"""Optimistic concurrency: the 412 answer to a stale If-Match carries the current state for the phone to merge."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from app.errors import PreconditionFailed
from app.inspections.models import Inspection

#: How the caller shows an inspection's current state in a 412 body (routes pass the presenter's dump),
#: so services need not know the response shape.
ShowCurrent = Callable[[Inspection], Mapping[str, Any]]


def stale_version(inspection: Inspection, sent_version: int, show_current: ShowCurrent) -> PreconditionFailed:
    """412 whose body carries the current state, so the phone can merge."""
    return PreconditionFailed(
        f"检查记录已被修改（您的版本 {sent_version}，当前版本 {inspection.version}），请合并后重试。",
        f"The inspection changed (your version {sent_version}, current {inspection.version}); merge and retry.",
        code="version_stale",
        extra={
            "current": show_current(inspection),
            "current_version": inspection.version,
            "_headers": {"ETag": inspection.etag},
        },
    )
