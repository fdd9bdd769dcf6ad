"""Document numbers (文号), pure.

Henan's pattern since ~2023 is ``豫{4-digit county code}环{type}字〔{year}〕{n}号`` (documents.md §0.3, from
published decisions, e.g. 豫0381环罚决字〔2024〕89号): one sequence per issuer, prefix, type and year, the
六角括号 〔〕, no spaces. The pattern is a jurisdiction setting with this as its default.
"""

from __future__ import annotations

import string

DEFAULT_PATTERN = "{prefix}{type}〔{year}〕{n}号"
PLACEHOLDERS = frozenset({"prefix", "type", "year", "n"})
# Column widths (documents.number is 200): pattern ≤ 60, prefix and type code ≤ 40 each.
MAX_PATTERN_LENGTH = 60


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot number documents (None: it can): it must use {n} and {year} and nothing else."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError:
        return "malformed"
    if not names <= PLACEHOLDERS:
        return "unknown_placeholder"
    if not {"n", "year"} <= names:
        return "needs_n_and_year"
    if len(pattern) > MAX_PATTERN_LENGTH:
        return "too_long"
    try:  # format specs and conversions must work on real values (e.g. "{year:%Y}" does not)
        pattern.format(prefix="豫0811", type="环罚决字", year=2026, n=1)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return "malformed"
    return None


def format_number(pattern: str, *, prefix: str, type_code: str, year: int, n: int) -> str:
    """The printed number, e.g. 豫0811环罚决字〔2026〕7号."""
    if n < 1:
        raise ValueError("document numbers start at 1")
    return pattern.format(prefix=prefix, type=type_code, year=year, n=n)


def default_prefix(county_code: str | None) -> str | None:
    """豫 + the county's division code without the province's 41 (inference from published numbers,
    documents.md §0.3: 0381 偃师, 0329 伊川, 0482 汝州); None outside Henan or without a county."""
    if not county_code or len(county_code) < 6 or not county_code.startswith("41"):
        return None
    return "豫" + county_code[2:6]
