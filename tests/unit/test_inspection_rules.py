"""Pure inspection rules: lifecycle, If-Match parsing, photo-link merge, officer and window checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.errors import Conflict, PreconditionRequired
from app.inspections import rules


@pytest.mark.parametrize(
    "action,state,target",
    [
        ("submit", "draft", "submitted"),
        ("return", "submitted", "returned"),
        ("submit", "returned", "submitted"),
        ("approve", "submitted", "approved"),
        ("reject", "submitted", "rejected"),
        ("edit", "returned", "returned"),
    ],
)
def test_lifecycle_allows_the_documented_transitions(action: str, state: str, target: str) -> None:
    assert rules.next_state(action, state) == target


@pytest.mark.parametrize(
    "action,state",
    [
        ("edit", "submitted"),
        ("edit", "approved"),
        ("submit", "approved"),
        ("return", "draft"),
        ("approve", "returned"),
        ("reject", "draft"),
        ("submit", "rejected"),
    ],
)
def test_lifecycle_refuses_other_transitions_with_409(action: str, state: str) -> None:
    with pytest.raises(Conflict) as info:
        rules.next_state(action, state)
    assert info.value.code == "invalid_state_transition"


def test_every_state_is_reachable_and_terminal_states_have_no_exit() -> None:
    reachable = {"draft"} | {t for moves in rules.TRANSITIONS.values() for t in moves.values()}
    assert reachable == set(rules.STATES)
    for terminal in ("approved", "rejected"):
        assert not any(terminal in moves for moves in rules.TRANSITIONS.values())


@pytest.mark.parametrize("header,version", [('"3"', 3), ('W/"12"', 12), (None, None), ("  ", None)])
def test_if_match_names_one_version(header: str | None, version: int | None) -> None:
    assert rules.parse_if_match(header) == version


@pytest.mark.parametrize("header", ["*", '"1", "2"', "3", '"abc"'])
def test_if_match_wildcards_lists_and_garbage_are_refused(header: str) -> None:
    with pytest.raises(PreconditionRequired):
        rules.parse_if_match(header)


def test_missing_if_match_is_428() -> None:
    with pytest.raises(PreconditionRequired) as info:
        rules.require_if_match(None)
    assert info.value.status == 428


def test_etag_round_trips() -> None:
    assert rules.parse_if_match(rules.etag_for(7)) == 7


def test_merge_keeps_every_earlier_photo_after_the_ones_sent() -> None:
    merged = rules.merge_photo_links({"a": ["p1", "p2"], "b": ["p3"]}, {"a": ["p4", "p2"]})
    assert merged == {"a": ["p4", "p2", "p1"], "b": ["p3"]}


def test_merge_of_identical_links_is_stable() -> None:
    links = {"a": ["p1", "p2"]}
    assert rules.merge_photo_links(links, links) == links


def test_canonical_hash_ignores_key_order() -> None:
    assert rules.canonical_hash({"a": 1, "b": [1, 2]}) == rules.canonical_hash({"b": [1, 2], "a": 1})
    assert rules.canonical_hash({"a": 1}) != rules.canonical_hash({"a": 2})


def test_officers_below_the_minimum_cite_article_42() -> None:
    assert rules.officer_errors(2, 2) == []
    [error] = rules.officer_errors(1, 2)
    assert error.code == "too_few_officers" and "第四十二条" in error.message_zh and "Art. 42" in error.message_en


def test_window_needs_both_ends_in_order() -> None:
    start = datetime(2026, 11, 20, 1, tzinfo=UTC)
    end = datetime(2026, 11, 20, 2, tzinfo=UTC)
    assert rules.window_errors(start, end) == []
    assert [e.code for e in rules.window_errors(start, None)] == ["required"]
    assert [e.code for e in rules.window_errors(end, start)] == ["ends_before_start"]


@pytest.mark.parametrize(
    "evidence,verdict,count",
    [
        ({"photos_when_failed": True, "min_photos": 2}, "fail", 2),
        ({"photos_when_failed": True}, "pass", 0),
        ({"always": True}, "pass", 1),
        ({}, "fail", 0),
    ],
)
def test_required_photo_count(evidence: dict, verdict: str, count: int) -> None:
    assert rules.required_photo_count({"evidence": evidence}, verdict) == count


def test_sorted_errors_deduplicates_and_orders_by_path() -> None:
    e1 = rules.missing_answer_error("b")
    e2 = rules.missing_answer_error("a")
    assert rules.sorted_errors([e1, e2, e1]) == [e2, e1]


def test_future_time_errors_allow_the_clock_skew_and_refuse_beyond_it() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    skew = timedelta(minutes=5)
    assert rules.future_time_errors(now, now + skew, now, skew) == []
    errors = rules.future_time_errors(now + skew + timedelta(seconds=1), None, now, skew)
    assert [(e.path, e.code) for e in errors] == [("started_at", "time_in_future")]
