"""Properties of administrative-division features: GB/T 2260 codes, levels and parents.

Pure module: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from app.errors import FieldError

# Administrative-division files in common circulation (e.g. DataV GeoAtlas exports) name the
# division code ``adcode``, the parent ``parent: {"adcode": …}`` and levels district/street.
_LEVEL_ALIASES = {"district": "county", "street": "township", "town": "township"}


def normalise_division_properties(props: dict[str, Any]) -> dict[str, Any]:
    """Accept adcode-style properties as well as ours; our own names win when both are present."""
    out = dict(props)
    if out.get("code") in (None, "") and out.get("adcode") not in (None, ""):
        out["code"] = out["adcode"]
    parent = out.get("parent")
    if out.get("parent_code") in (None, "") and isinstance(parent, dict) and parent.get("adcode") not in (None, ""):
        out["parent_code"] = parent["adcode"]
    if isinstance(out.get("level"), str):
        out["level"] = _LEVEL_ALIASES.get(out["level"], out["level"])
    return out


def inferred_division_level(code: str) -> str | None:
    """GB/T 2260: ``PP0000`` province, ``PPCC00`` city, other six-digit codes county; 9+ digits township."""
    if not code.isdigit():
        return None
    if len(code) == 6:
        if code.endswith("0000"):
            return "province"
        return "city" if code.endswith("00") else "county"
    return "township" if len(code) in (9, 12) else None


def inferred_parent_code(code: str) -> str | None:
    """The enclosing division of a GB/T 2260 code (a county's city, a city's province)."""
    level = inferred_division_level(code)
    if level == "city":
        return code[:2] + "0000"
    if level == "county":
        return code[:4] + "00"
    if level == "township":
        return code[:6]
    return None


def read_level(
    props: dict[str, Any], code: str | None, ppath: str, errors: list[FieldError], allowed_levels: Collection[str]
) -> str | None:
    """The division's ``level``, inferred from its code when absent."""
    level = props.get("level")
    if level is None and code is not None:
        level = inferred_division_level(code)
    if level is not None and level not in allowed_levels:
        errors.append(
            FieldError(
                f"{ppath}.level",
                "invalid_level",
                f"level 须为 {' | '.join(allowed_levels)} 之一",
                f"level must be one of {' | '.join(allowed_levels)}",
            )
        )
        return None
    return level
