"""Properties of zone features: the zone kinds the code knows, and reading a feature's kind.

Pure module: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

from app.errors import FieldError

# Areas the plans name: 建成区 (002#9), 烟花爆竹禁燃禁放 (000#20), 高污染燃料禁燃区 (001#7), non-road mobile
# machinery control (000#14, 002#16) and traditional industrial clusters (002#5). Extending the list is a
# one-line change here; checklists/site_kinds.yaml `zones:` names the same kinds for checklist conditions.
ZONE_KINDS: tuple[str, ...] = ("built_up_area", "fireworks_ban", "fuel_ban", "nrmm_control", "industrial_cluster")

_KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def read_zone_kind(
    props: dict[str, Any], kind: str | None, ppath: str, errors: list[FieldError], allowed_kinds: Collection[str]
) -> str | None:
    """The feature's ``kind``, or the import's ``kind`` when the feature has none; they must agree."""
    feature_kind = props.get("kind")
    if feature_kind is not None and kind is not None and feature_kind != kind:
        errors.append(
            FieldError(
                f"{ppath}.kind",
                "kind_mismatch",
                f"要素类别 {feature_kind} 与导入指定的类别 {kind} 不一致",
                f"Feature kind {feature_kind} differs from the import's kind {kind}",
            )
        )
    feature_kind = feature_kind if feature_kind is not None else kind
    if feature_kind is None:
        errors.append(
            FieldError(
                f"{ppath}.kind",
                "missing_property",
                "区域须有类别 kind（或在导入时指定 --kind）",
                "A zone needs a kind (in properties or via --kind)",
            )
        )
        return None
    if not isinstance(feature_kind, str) or not _KIND_RE.match(feature_kind) or feature_kind not in allowed_kinds:
        errors.append(
            FieldError(
                f"{ppath}.kind",
                "invalid_kind",
                f"未知的区域类别 {feature_kind!r}，可选 {' | '.join(allowed_kinds)}",
                f"Unknown zone kind {feature_kind!r}; use one of {' | '.join(allowed_kinds)}",
            )
        )
        return None
    return feature_kind
