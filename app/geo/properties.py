"""Reading the properties every imported feature shares: code, names, free text, dates.

Pure module: no Flask, no SQLAlchemy. Each reader appends a ``FieldError`` addressed like
``features[3].properties.code`` to ``errors`` and returns None when the value is unusable.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from app.errors import FieldError

CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.\-]{0,63}$")
MAX_NAME = 200


def as_code(value: Any) -> str | None:
    """Codes may come as JSON numbers (e.g. adcode 410811); bools and floats are not codes."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def read_code(props: dict[str, Any], ppath: str, errors: list[FieldError]) -> str | None:
    """The required ``code``."""
    code = as_code(props.get("code"))
    if props.get("code") in (None, ""):
        errors.append(FieldError(f"{ppath}.code", "missing_property", "缺少代码 code", "Property code is required"))
    elif code is None or not CODE_RE.match(code):
        errors.append(
            FieldError(
                f"{ppath}.code",
                "invalid_code",
                "code 应为 1-64 位字母、数字、点、横线或下划线",
                "code must be 1-64 letters, digits, dots, hyphens or underscores",
            )
        )
        return None
    return code


def read_name(props: dict[str, Any], ppath: str, errors: list[FieldError]) -> str | None:
    """The required ``name`` (Chinese name), at most ``MAX_NAME`` characters."""
    name = props.get("name")
    if name is None or (isinstance(name, str) and not name.strip()):
        errors.append(FieldError(f"{ppath}.name", "missing_property", "缺少名称 name", "Property name is required"))
        return None
    if not isinstance(name, str) or len(name) > MAX_NAME:
        errors.append(
            FieldError(
                f"{ppath}.name",
                "invalid_property",
                f"name 应为不超过 {MAX_NAME} 字的文本",
                f"name must be text of at most {MAX_NAME} characters",
            )
        )
        return None
    return name


def optional_text(
    props: dict[str, Any], key: str, path: str, errors: list[FieldError], max_len: int = MAX_NAME * 5
) -> str | None:
    """An optional text property (``None`` when absent or empty)."""
    value = props.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > max_len:
        errors.append(
            FieldError(
                f"{path}.{key}",
                "invalid_property",
                f"{key} 应为不超过 {max_len} 字的文本",
                f"{key} must be text of at most {max_len} characters",
            )
        )
        return None
    return value.strip()


def optional_code(props: dict[str, Any], key: str, path: str, errors: list[FieldError]) -> str | None:
    """An optional reference to another feature's code (``parent_code``, ``jurisdiction_code``)."""
    value = props.get(key)
    if value is None or value == "":
        return None
    code = as_code(value)
    if code is None or not CODE_RE.match(code):
        errors.append(
            FieldError(
                f"{path}.{key}", "invalid_code", f"{key} 应为字母数字代码", f"{key} must be an alphanumeric code"
            )
        )
        return None
    return code


def parse_date(value: Any, path: str, errors: list[FieldError]) -> date | None:
    """An optional ISO date (YYYY-MM-DD)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors.append(
        FieldError(
            path, "invalid_date", f"日期格式应为 YYYY-MM-DD，实际为 {value!r}", f"Dates are YYYY-MM-DD, got {value!r}"
        )
    )
    return None


def read_period(props: dict[str, Any], ppath: str, errors: list[FieldError]) -> tuple[date | None, date | None]:
    """``valid_from`` and ``valid_to``; the end may not precede the start."""
    valid_from = parse_date(props.get("valid_from"), f"{ppath}.valid_from", errors)
    valid_to = parse_date(props.get("valid_to"), f"{ppath}.valid_to", errors)
    if valid_from and valid_to and valid_to < valid_from:
        errors.append(
            FieldError(f"{ppath}.valid_to", "invalid_period", "失效日期早于生效日期", "valid_to is before valid_from")
        )
    return valid_from, valid_to
