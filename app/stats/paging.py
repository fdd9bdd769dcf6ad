"""Pure rules for a page of statistics rows: which rows, in which order.

The province's sub-districts are 2,512 rows (about 1 MiB of JSON); nobody reads them at once, and a console
table or a spreadsheet asks for them a page at a time, worst first. The totals of an answer are always those of
every row, never of the page. The remainder row (key '': sites attached above the level asked for) is not a
place anyone can act on, so it stays last whatever the order. Pure: imports neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final

# A page of 500 sub-districts is about 200 KiB of JSON; the province's 2,512 are six pages.
DEFAULT_LIMIT: Final = 500
MAX_LIMIT: Final = 500
MAX_KEYS: Final = 200  # a query string the front accepts: 200 codes of up to 12 digits
PASS_RATE: Final = "pass_rate"


@dataclass(frozen=True)
class RowPage:
    """``sort`` is a field name, ``-`` first for descending; ties go by key. ``keys``: only rows with these keys."""

    sort: str = "key"
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    keys: frozenset[str] | None = None


FIRST_PAGE: Final = RowPage()


def sort_choices(measures: Sequence[str]) -> tuple[str, ...]:
    """Every accepted ``sort`` value for rows with these measures: the key, and each measure either way."""
    fields = ("key", *measures)
    return tuple(f"{sign}{name}" for name in fields for sign in ("", "-"))


def _measure(row: dict[str, Any], name: str) -> Fraction | None:
    if name == PASS_RATE:  # exact, from the counts: the string is rounded to four places
        inspections = int(row.get("inspections") or 0)
        return Fraction(int(row.get("passed") or 0), inspections) if inspections else None
    value = row.get(name)
    return None if value is None else Fraction(int(value))


def _ordered(rows: Sequence[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    name = sort.lstrip("-")
    descending = sort.startswith("-")
    places = [r for r in rows if r["key"] != ""]
    rest = [r for r in rows if r["key"] == ""]
    ordered = sorted(places, key=lambda r: str(r["key"]))
    if name != "key":
        # Stable sorts: by key first, then by the value; rows without a value (no inspections) go last either way.
        pairs = [(_measure(r, name), r) for r in ordered]
        measured = [(m, r) for m, r in pairs if m is not None]
        unknown = [r for m, r in pairs if m is None]
        measured.sort(key=lambda pair: pair[0], reverse=descending)
        ordered = [r for _, r in measured] + unknown
    elif descending:
        ordered.reverse()
    return ordered + rest


def page_of(rows: Sequence[dict[str, Any]], page: RowPage) -> tuple[list[dict[str, Any]], int]:
    """(the rows of ``page``, how many rows the whole answer has after the ``keys`` filter)."""
    chosen: Collection[dict[str, Any]] = rows if page.keys is None else [r for r in rows if r["key"] in page.keys]
    ordered = _ordered(list(chosen), page.sort)
    return ordered[page.offset : page.offset + page.limit], len(ordered)


def page_meta(page: RowPage, total_rows: int) -> dict[str, Any]:
    return {"sort": page.sort, "offset": page.offset, "limit": page.limit, "total_rows": total_rows}
