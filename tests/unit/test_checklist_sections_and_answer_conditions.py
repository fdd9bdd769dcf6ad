"""Sections (order and headings for the phone) and conditions on other answers (JSON Logic over answers.*),
evaluated the same way for the phone and at submission."""

from __future__ import annotations

import copy

from app.checklists.applicability import resolve_checklist
from app.checklists.conditions import condition_vocabulary
from app.checklists.site_kinds import load_site_kinds
from app.checklists.spec import ChecklistSpec
from app.checklists.validation import _section_and_answer_errors

DOC = {
    "key": "t.sections",
    "version": "1",
    "title": {"zh": "测试", "en": "test"},
    "site_kinds": ["construction_site"],
    "jurisdictions": ["410103"],
    "sources": [
        {
            "seed": "003",
            "title": "t",
            "jurisdiction": "410103",
            "jurisdiction_name": "二七区",
            "period": {"from": "2018-10-01", "to": "2019-03-31"},
        }
    ],
    "sections": [
        {"key": "machinery", "title": {"zh": "机械", "en": "machinery"}},
        {"key": "site", "title": {"zh": "场地", "en": "site"}},
    ],
    "items": [
        {
            "key": "hoarding",
            "prompt": {"zh": "围挡", "en": "hoarding"},
            "kind": "check",
            "severity": "high",
            "section": "site",
            "source": ["003#23"],
        },
        {
            "key": "machines_on_site",
            "prompt": {"zh": "现场机械数量", "en": "machines on site"},
            "kind": "count",
            "severity": "info",
            "section": "machinery",
            "source": ["003#19"],
        },
        {
            "key": "exhaust_reports",
            "prompt": {"zh": "排气检测合格报告", "en": "exhaust reports"},
            "kind": "check",
            "severity": "medium",
            "section": "machinery",
            # 003#19: exhaust reports for the machinery on a construction site — asked only if there is any
            "applies_when": {">": [{"var": "answers.machines_on_site.count"}, 0]},
            "source": ["003#19"],
        },
    ],
}
ERQI = ["410103", "410100", "410000"]


def ctx(**extra):
    return {
        "site": {"kind": "construction_site", "attributes": {}},
        "date": "2018-12-01",
        "jurisdictions": ERQI,
        **extra,
    }


def test_served_checklist_lists_answer_dependent_items_with_what_they_wait_for_and_orders_by_section():
    r = resolve_checklist(ChecklistSpec.from_doc(DOC), ctx())
    assert [i["key"] for i in r["items"]] == ["machines_on_site", "exhaust_reports", "hoarding"]
    exhaust = r["items"][1]
    assert exhaust["depends_on_answers"] == ["machines_on_site"]
    assert exhaust["applies_when"] == {">": [{"var": "answers.machines_on_site.count"}, 0]}
    assert [s["key"] for s in r["sections"]] == ["machinery", "site"]


def test_at_submission_the_condition_is_evaluated_over_the_answers_003_19():
    spec = ChecklistSpec.from_doc(DOC)
    none = resolve_checklist(spec, ctx(answers={"machines_on_site": {"count": 0}}))
    assert "exhaust_reports" not in {i["key"] for i in none["items"]}
    some = resolve_checklist(spec, ctx(answers={"machines_on_site": {"count": 2}}))
    assert "exhaust_reports" in {i["key"] for i in some["items"]}
    unanswered = resolve_checklist(spec, ctx(answers={}))
    assert "exhaust_reports" not in {i["key"] for i in unanswered["items"]}


def test_conditions_may_read_answers_only_of_items_written_before_and_sections_must_be_declared():
    spec = ChecklistSpec.from_doc(DOC)
    assert "answers.machines_on_site.count" in condition_vocabulary(load_site_kinds(), spec)
    assert _section_and_answer_errors(spec, 2, "x") == []
    bad = copy.deepcopy(DOC)
    bad["items"][0]["applies_when"] = {"!!": {"var": "answers.exhaust_reports.verdict"}}
    bad["items"][0]["section"] = "nowhere"
    codes = {e.code for e in _section_and_answer_errors(ChecklistSpec.from_doc(bad), 0, "x")}
    assert codes == {"answer_ref_not_earlier", "unknown_section"}
