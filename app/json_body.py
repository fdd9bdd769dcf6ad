"""Strict parsing of JSON request bodies: what every endpoint with a JSON body reads, before any view runs.

Python's ``json`` module accepts things that later break deep inside a handler: nesting a thousand levels
deep (``RecursionError`` in the parser or in marshmallow), lone surrogates such as ``"\\ud800"`` (a ``str``
that cannot be encoded to UTF-8 for argon2 or PostgreSQL), NUL characters (PostgreSQL text refuses them),
``NaN``/``Infinity`` literals, numbers that overflow to ``inf`` or exceed Python's digit limit, and duplicate
keys (the last silently wins). Every one of them is refused here with a 4xx problem that names the field.

Bidirectional control characters (U+202A–U+202E, U+2066–U+2069) are refused in every string: names,
addresses, notes, answers and reasons end up printed on notices, where an embedded RLO/LRI can make the
text read differently from what is stored ("Trojan Source"). No legitimate input needs them: right-to-left
scripts render correctly without explicit controls.

Pure: imports nothing from Flask; raises ``app.errors`` problems.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from app.errors import AppError, FieldError, ValidationFailed

# Largest integer accepted: far beyond bigint (the database answers 422 for those), far below the digit limit.
MAX_INT = 10**40
# At most this many field errors are listed; one hostile body may otherwise produce millions.
MAX_LISTED_ERRORS = 20

_SURROGATE = re.compile("[\ud800-\udfff]")
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
# C0 controls other than tab, line feed and carriage return, and DEL: never typed, NUL refused by PostgreSQL.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_REFUSED = re.compile("[\ud800-\udfff\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Duplicates(dict[str, Any]):
    """A JSON object that named some key more than once."""

    duplicates: list[str]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = _Duplicates()
    seen: set[str] = set()
    dupes: list[str] = []
    for key, value in pairs:
        if key in seen:
            dupes.append(key)
        seen.add(key)
        out[key] = value
    if not dupes:
        return dict(out)
    out.duplicates = dupes
    return out


class _NotJson(ValueError):
    pass


def _constant(name: str) -> None:
    raise _NotJson(f"{name} is not a JSON value")


def _invalid_json(detail_en: str) -> AppError:
    return AppError(
        f"请求体不是有效的 JSON：{detail_en}", f"The request body is not valid JSON: {detail_en}", code="invalid_json"
    )


def load_json_body(data: bytes, *, max_depth: int) -> Any:
    """Parse a request body as strict JSON (RFC 8259) or raise a problem: 400 malformed, 422 refused content."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            "请求体不是有效的 UTF-8 编码。",
            "The request body is not valid UTF-8.",
            code="invalid_unicode",
            errors=[
                FieldError(
                    "_body", "invalid_unicode", f"第 {exc.start} 字节处编码无效", f"invalid UTF-8 at byte {exc.start}"
                )
            ],
        ) from None
    if not text.strip():
        raise _invalid_json("the body is empty")
    try:
        value = json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except RecursionError:
        raise _too_deep("_body", max_depth) from None
    except json.JSONDecodeError as exc:
        raise _invalid_json(f"{exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except _NotJson as exc:  # NaN / Infinity literals
        raise _invalid_json(str(exc)) from None
    except ValueError:  # an integer literal beyond Python's digit limit (4300)
        raise ValidationFailed(
            *_MESSAGES["number_out_of_range"], code="number_out_of_range", errors=[_out_of_range("_body", "…")]
        ) from None
    check_json_value(value, max_depth=max_depth)
    return value


def _too_deep(path: str, max_depth: int) -> ValidationFailed:
    return ValidationFailed(
        f"JSON 嵌套层数超过 {max_depth} 层。",
        f"The JSON nests deeper than {max_depth} levels.",
        code="json_too_deep",
        errors=[
            FieldError(path, "json_too_deep", f"嵌套超过 {max_depth} 层", f"nested deeper than {max_depth} levels")
        ],
    )


def _string_problem(text: str) -> tuple[str, str, str]:
    """(code, zh, en) of what is wrong with a string that ``_REFUSED`` matched."""
    if _SURROGATE.search(text):
        return (
            "invalid_unicode",
            "含有无效的 Unicode 字符（孤立代理项）",
            "contains invalid Unicode (an unpaired surrogate)",
        )
    if _BIDI_CONTROL.search(text):
        return (
            "bidi_control_character",
            "含有双向文本控制字符（U+202A–U+202E、U+2066–U+2069），不允许使用",
            "contains a bidirectional control character (U+202A–U+202E, U+2066–U+2069), which is not allowed",
        )
    return "control_character", "含有不允许的控制字符", "contains a control character that is not allowed"


_MESSAGES: dict[str, tuple[str, str]] = {
    "invalid_unicode": ("请求中有字符串含有无效的 Unicode 字符。", "A string in the request contains invalid Unicode."),
    "bidi_control_character": (
        "请求中有字符串含有双向文本控制字符。",
        "A string in the request contains a bidirectional control character.",
    ),
    "control_character": ("请求中有字符串含有控制字符。", "A string in the request contains a control character."),
    "number_out_of_range": ("请求中有数字超出允许范围。", "A number in the request is out of range."),
    "duplicate_key": ("请求中的对象含有重复的键。", "An object in the request repeats a key."),
}


def check_json_value(value: Any, *, max_depth: int) -> None:
    """Refuse too-deep nesting and unacceptable strings, numbers or keys anywhere in a decoded JSON value.

    Written for speed (a body may hold millions of values): one combined regex per string, paths built only
    for non-empty containers and for the values reported.
    """
    errors: list[FieldError] = []
    stack: list[tuple[Any, str, int]] = []
    _visit(value, "", None, 0, stack, errors, max_depth)
    while stack and len(errors) < MAX_LISTED_ERRORS:
        item, path, depth = stack.pop()
        if isinstance(item, _Duplicates):
            for dup in item.duplicates:
                errors.append(FieldError(_join(path, dup), "duplicate_key", "键重复出现", "key appears more than once"))
        if isinstance(item, dict):
            for key, child in item.items():
                if _REFUSED.search(key):
                    errors.append(FieldError(_join(path, key), *_string_problem(key)))
                    continue
                _visit(child, path, key, depth, stack, errors, max_depth)
        else:
            for index, child in enumerate(item):
                _visit(child, path, index, depth, stack, errors, max_depth)
    if errors:
        # The problem's code is the gravest kind found (a stable answer whatever order the walk took).
        codes = {e.code for e in errors}
        code = next(c for c in _MESSAGES if c in codes)
        zh, en = (
            _MESSAGES[code]
            if len(codes) == 1
            else ("请求中有多处内容不被接受，详见 errors。", "Several values in the request are refused; see errors.")
        )
        # A container's children are all visited before the count is checked again: keep the answer small.
        listed = sorted(errors, key=lambda e: e.path)[:MAX_LISTED_ERRORS]
        raise ValidationFailed(zh, en, code=code, errors=listed)


def _visit(
    child: Any,
    parent: str,
    key: str | int | None,
    depth: int,
    stack: list[tuple[Any, str, int]],
    errors: list[FieldError],
    max_depth: int,
) -> None:
    """Check a scalar at once; queue a non-empty container (after checking its depth)."""
    kind = type(child)
    if kind is str:
        if _REFUSED.search(child):
            errors.append(FieldError(_join(parent, key) or "_body", *_string_problem(child)))
    elif kind is dict or kind is list or kind is _Duplicates:
        if depth + 1 > max_depth:
            raise _too_deep(_join(parent, key) or "_body", max_depth)
        if child:
            stack.append((child, _join(parent, key), depth + 1))
    elif kind is int and not -MAX_INT <= child <= MAX_INT:
        errors.append(_out_of_range(_join(parent, key) or "_body", f"{str(child)[:12]}…"))
    elif kind is float and not math.isfinite(child):  # 1e999 decodes to inf
        errors.append(_out_of_range(_join(parent, key) or "_body", str(child)))


def _out_of_range(path: str, shown: str) -> FieldError:
    return FieldError(path, "number_out_of_range", f"数字超出允许范围：{shown}", f"number out of range: {shown}")


def _join(path: str, key: str | int | None) -> str:
    if key is None:  # the body itself
        return path
    text = str(key)
    # A key that is itself refused (a surrogate) must not end up in the problem body unescaped.
    if _REFUSED.search(text):
        text = text.encode("unicode_escape").decode("ascii")
    return f"{path}.{text}" if path else text
