"""A page of statistics rows: order, ties, the remainder row, the keys filter, the count of the whole answer."""

from __future__ import annotations

from typing import Any

import pytest

from app.stats.paging import RowPage, page_meta, page_of, sort_choices


def _row(key: str, inspections: int, passed: int, failed: int) -> dict[str, Any]:
    return {"key": key, "inspections": inspections, "passed": passed, "failed_findings": failed}


ROWS = [
    _row("410822002", 10, 5, 7),
    _row("", 4, 4, 0),  # the remainder: sites attached above the level
    _row("410822001", 10, 9, 7),
    _row("410811001", 3, 1, 2),
    _row("410811002", 0, 0, 0),  # no inspections: no pass rate
]


def _keys(rows: list[dict[str, Any]]) -> list[str]:
    return [r["key"] for r in rows]


def test_by_key_the_remainder_comes_last_either_way() -> None:
    shown, total = page_of(ROWS, RowPage())
    assert _keys(shown) == ["410811001", "410811002", "410822001", "410822002", ""] and total == 5
    shown, _ = page_of(ROWS, RowPage(sort="-key"))
    assert _keys(shown) == ["410822002", "410822001", "410811002", "410811001", ""]


def test_a_figure_descending_breaks_ties_by_key() -> None:
    shown, _ = page_of(ROWS, RowPage(sort="-failed_findings"))
    assert _keys(shown) == ["410822001", "410822002", "410811001", "410811002", ""]


def test_pass_rate_is_compared_exactly_and_rows_without_inspections_go_last() -> None:
    rows = [*ROWS, _row("410811003", 3000, 1001, 0)]  # 0.33367: "0.3337"
    rows.append(_row("410811004", 30000, 10001, 0))  # 0.333367: "0.3334", between 1/3 and the one above
    shown, _ = page_of(rows, RowPage(sort="pass_rate"))
    assert _keys(shown) == ["410811001", "410811004", "410811003", "410822002", "410822001", "410811002", ""]
    shown, _ = page_of(rows, RowPage(sort="-pass_rate"))
    assert _keys(shown)[0] == "410822001" and _keys(shown)[-2:] == ["410811002", ""]


def test_a_page_is_a_slice_and_the_count_is_the_whole_answer() -> None:
    shown, total = page_of(ROWS, RowPage(offset=1, limit=2))
    assert _keys(shown) == ["410811002", "410822001"] and total == 5
    shown, total = page_of(ROWS, RowPage(offset=99, limit=2))
    assert shown == [] and total == 5
    pages = [page_of(ROWS, RowPage(sort="-failed_findings", offset=o, limit=2))[0] for o in range(0, 5, 2)]
    assert [k for p in pages for k in _keys(p)] == _keys(page_of(ROWS, RowPage(sort="-failed_findings"))[0])


def test_keys_keep_only_those_rows_and_the_empty_key_is_the_remainder() -> None:
    shown, total = page_of(ROWS, RowPage(keys=frozenset({"410822001", "", "999999"})))
    assert _keys(shown) == ["410822001", ""] and total == 2


@pytest.mark.parametrize("sort", ["key", "-key", "inspections", "-pass_rate"])
def test_the_sort_choices_are_the_key_and_each_measure_either_way(sort: str) -> None:
    assert sort in sort_choices(("inspections", "pass_rate"))
    assert "-passed" not in sort_choices(("inspections", "pass_rate"))


def test_the_page_says_what_it_is() -> None:
    assert page_meta(RowPage(sort="-inspections", offset=20, limit=10), 2512) == {
        "sort": "-inspections",
        "offset": 20,
        "limit": 10,
        "total_rows": 2512,
    }
