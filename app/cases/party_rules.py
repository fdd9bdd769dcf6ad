"""PURE checks of a party correction (no Flask, no SQLAlchemy): the identifiers' check characters.

- 统一社会信用代码: GB 32100-2015 (structure and the modulo-31 check character, ``app.sites.credit_code``);
- 公民身份号码: GB 11643-1999 §8.2 (ISO 7064 MOD 11-2 check character over the first 17 digits).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.errors import FieldError
from app.sites.credit_code import credit_code_error

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number_check_character(first17: str) -> str:
    """GB 11643 §8.2 check character of the first 17 digits of a 公民身份号码."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def id_number_error(value: str, *, path: str = "id_number") -> FieldError | None:
    """A bilingual error when an 18-character ID number's check character is wrong (shape: the schema's)."""
    if len(value) != 18 or not value[:17].isdigit():
        return FieldError(path, "invalid_id_number", "身份号码须为18位", "an ID number has 18 characters")
    if id_number_check_character(value[:17]) != value[17].upper():
        return FieldError(
            path,
            "id_number_check_failed",
            "公民身份号码校验码不符（GB 11643）",
            "the ID number's check character is wrong (GB 11643)",
        )
    return None


def party_errors(changes: Mapping[str, Any]) -> list[FieldError]:
    """What is wrong with the identifiers of a party correction (empty: nothing)."""
    errors: list[FieldError] = []
    if changes.get("credit_code"):
        problem = credit_code_error(changes["credit_code"], path="credit_code")
        if problem is not None:
            errors.append(problem)
    if changes.get("id_number"):
        problem = id_number_error(changes["id_number"])
        if problem is not None:
            errors.append(problem)
    return errors
