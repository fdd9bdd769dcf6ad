"""统一社会信用代码 (Unified Social Credit Identifier), GB 32100-2015.

Layout of the 18 characters:

====  =======================================================================
1     登记管理部门代码 registration authority (1 机构编制, 5 民政, 9 工商/市场监管, Y 其他 …)
2     机构类别代码 organisation category within that authority
3-8   登记管理机关行政区划码 six-digit administrative division code (GB/T 2260)
9-17  主体标识码 organisation identifier (组织机构代码, GB 11714: 8 characters + check)
18    校验码 check character (GB 32100 §4.2, modulo 31)
====  =======================================================================

The alphabet is 0-9 and the capital letters except I, O, Z, S and V (31 characters).
Check character: weights 3^(i-1) mod 31 for positions 1..17, ``C18 = 31 - (Σ mod 31)``,
with 31 written as ``0``.

We check the alphabet, the digits in positions 3-8, the GB 11714 check of positions 9-17
and the GB 32100 check character. We do not check that the authority/category pair or
the division code is one currently assigned: those lists change, and a real code must not
be refused because our copy is stale.
"""

from __future__ import annotations

from app.errors import FieldError

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(CHARSET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28

# GB 11714-1997 organisation code: weights for the 8 body characters, check modulo 11.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def check_character(first17: str) -> str:
    """GB 32100 check character for the first 17 characters (must be in ``CHARSET``)."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def organization_check_character(body8: str) -> str:
    """GB 11714 check character (``0``-``9`` or ``X``) for an 8-character organisation code body."""
    total = sum(_org_value(ch) * w for ch, w in zip(body8, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def normalize_credit_code(code: str) -> str:
    """Strip surrounding spaces and upper-case (codes are often typed in lower case)."""
    return code.strip().upper()


def _problem(code: object) -> tuple[str, str, str] | None:
    """(error code, zh, en) for the first problem found, or None when the code is valid."""
    if not isinstance(code, str):
        return ("credit_code_type", "统一社会信用代码须为文本", "The credit code must be a string")
    c = normalize_credit_code(code)
    if len(c) != 18:
        return (
            "credit_code_length",
            f"统一社会信用代码应为 18 位，实际 {len(c)} 位",
            f"A unified social credit code has 18 characters, got {len(c)}",
        )
    bad = sorted({ch for ch in c if ch not in _VALUE})
    if bad:
        shown = "、".join(bad)
        return (
            "credit_code_charset",
            f"统一社会信用代码含非法字符：{shown}（不使用 I、O、Z、S、V）",
            f"Invalid characters {', '.join(bad)} (the code never uses I, O, Z, S, V)",
        )
    if not c[2:8].isdigit():
        return (
            "credit_code_division",
            "第 3-8 位应为六位数字行政区划码",
            "Characters 3-8 must be a six-digit administrative division code",
        )
    if organization_check_character(c[8:16]) != c[16]:
        return (
            "credit_code_org_check",
            "第 9-17 位主体标识码（组织机构代码）校验位不符",
            "Characters 9-17 (organisation code) fail their GB 11714 check digit",
        )
    if check_character(c[:17]) != c[17]:
        return (
            "credit_code_check",
            "统一社会信用代码校验位不符，请核对是否抄错",
            "The check character does not match; the code was probably mistyped",
        )
    return None


def validate_credit_code(code: str) -> bool:
    """True if ``code`` is a well-formed 统一社会信用代码 (case and surrounding spaces ignored)."""
    return _problem(code) is None


def credit_code_error(code: object, *, path: str = "operator.credit_code") -> FieldError | None:
    """A bilingual ``FieldError`` describing what is wrong with ``code``, or None if it is valid."""
    problem = _problem(code)
    if problem is None:
        return None
    err_code, zh, en = problem
    return FieldError(path, err_code, zh, en)


def make_credit_code(authority: str, category: str, division: str, org_body8: str) -> str:
    """Build a valid code from its parts (used for demo data and tests).

    ``org_body8`` is the 8-character organisation code body; both check characters are computed.
    """
    body = f"{authority}{category}{division}{org_body8}"
    if len(division) != 6 or len(org_body8) != 8 or any(ch not in _VALUE for ch in body):
        raise ValueError("parts do not fit GB 32100")
    first17 = body + organization_check_character(org_body8)
    return first17 + check_character(first17)
