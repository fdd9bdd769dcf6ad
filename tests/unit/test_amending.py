"""PURE rules of a reviewer's amendments (app.inspections.amending)."""

from __future__ import annotations

from app.inspections.amending import (
    ADD_FINDING,
    CHANGE,
    WAIVE,
    AmendmentView,
    FindingState,
    amended_answer,
    amendment_photos,
    effective_answers,
    findings_diff,
    outcome_errors,
    request_errors,
    waivers,
)

FAILED = FindingState("fail", None, False)
PASSED = FindingState("pass", None, False)


def test_a_change_replaces_the_fields_sent_and_null_removes_one() -> None:
    before = {"verdict": "pass", "note": "ok", "photos": ["p"]}
    assert amended_answer(before, {"verdict": "fail", "note": None, "photos": ["x"]}) == {"verdict": "fail"}
    assert amended_answer(None, {"count": 3}) == {"count": 3}


def test_effective_answers_apply_amendments_in_order_and_a_waiver_changes_no_answer() -> None:
    original = {"a": {"verdict": "pass"}, "b": {"count": 0}}
    amendments = [
        AmendmentView("a", CHANGE, {"verdict": "fail"}, ("p1",)),
        AmendmentView("a", WAIVE, None, (), {"reason": "轻微"}),
        AmendmentView("b", CHANGE, {"count": 2}, ()),
        AmendmentView("b", CHANGE, {"count": 4}, ("p2", "p1")),
    ]
    assert effective_answers(original, amendments) == {"a": {"verdict": "fail"}, "b": {"count": 4}}
    assert original == {"a": {"verdict": "pass"}, "b": {"count": 0}}  # the inspector's answers untouched
    assert amendment_photos(amendments) == {"a": ["p1"], "b": ["p2", "p1"]}


def test_a_later_judgement_of_the_item_ends_its_waiver() -> None:
    waived = AmendmentView("a", WAIVE, None, (), {"reason": "轻微"})
    assert waivers([waived]) == {"a": {"reason": "轻微"}}
    assert waivers([waived, AmendmentView("a", CHANGE, {"verdict": "fail"}, ())]) == {}


def test_request_errors_list_every_problem() -> None:
    codes = {e.code for e in request_errors(ADD_FINDING, "x", None, [], ["a"], None)}
    assert codes == {"item_not_applicable", "evidence_required"}
    assert {e.code for e in request_errors(CHANGE, "a", {}, [], ["a"], PASSED)} == {"answer_required"}
    assert {e.code for e in request_errors(ADD_FINDING, "a", None, ["p"], ["a"], FAILED)} == {"already_a_finding"}
    waive = {e.code for e in request_errors(WAIVE, "a", {"verdict": "pass"}, [], ["a"], PASSED)}
    assert waive == {"waiver_changes_nothing_else", "nothing_to_waive"}
    assert request_errors(WAIVE, "a", None, [], ["a"], FAILED) == []


def test_an_added_finding_must_fail() -> None:
    assert [e.code for e in outcome_errors(ADD_FINDING, "a", "pass")] == ["amendment_not_a_finding"]
    assert outcome_errors(ADD_FINDING, "a", "fail") == [] and outcome_errors(CHANGE, "a", "pass") == []


def test_findings_diff_names_added_removed_and_changed_items() -> None:
    before = {"a": PASSED, "b": FAILED, "c": FindingState("fail", 20.0, False)}
    after = {"a": FAILED, "b": FindingState("fail", None, True), "c": FindingState("fail", 25.0, False)}
    diff = findings_diff(before, after)
    assert diff["added"] == ["a"] and diff["removed"] == ["b"]
    assert [c["item_key"] for c in diff["changed"]] == ["a", "b", "c"]
    assert diff["changed"][2]["before"]["value"] == 20.0 and diff["changed"][2]["after"]["value"] == 25.0
    assert findings_diff(before, before) == {"added": [], "removed": [], "changed": []}
