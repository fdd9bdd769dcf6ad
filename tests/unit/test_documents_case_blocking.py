"""Stage preconditions of documents issued from a case (pure): each kind refused, with its reason, until the
case has reached the step the kind states."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app.documents.blocking import blockers
from app.documents.facts import CaseFacts, DeadlineFacts, DocumentFacts, OrderFacts, from_json, to_json
from tests.factories_documents import facts_of, inspection_facts

FILED = CaseFacts(case_id=7, stage="investigation", filed_on=date(2026, 11, 23))
DECIDED = replace(
    FILED, stage="decision", notice_served_on=date(2026, 11, 24), decided_on=date(2026, 11, 25), decided_fine_fen=1
)


def codes(facts: DocumentFacts) -> set[str]:
    return {b.code for b in blockers(facts, type_code="环X字", number_prefix="豫0811")}


def test_facts_without_a_case_keep_the_inspection_rules() -> None:
    for kind in ("order_to_correct", "advance_notice", "penalty_decision"):
        assert not {c for c in codes(facts_of(kind)) if c.startswith("case_")}


def test_an_order_to_correct_needs_the_cases_recorded_order() -> None:
    unrecorded = facts_of("order_to_correct", case=FILED)
    assert "case_order_not_recorded" in codes(unrecorded)
    recorded = replace(unrecorded, order=OrderFacts("改正", date(2026, 11, 27), decided_on=date(2026, 11, 21)))
    assert "case_order_not_recorded" not in codes(recorded)


def test_a_notice_needs_filing_and_a_proposed_penalty_and_comes_before_the_decision() -> None:
    unfiled = facts_of("advance_notice", case=CaseFacts(case_id=7, stage="filing"))
    assert "case_not_filed" in codes(unfiled)
    assert codes(facts_of("advance_notice", case=FILED)) == set()
    nothing = facts_of("advance_notice", case=replace(FILED, proposed_fine_fen=0), lines=())
    assert "no_proposed_penalty" in codes(nothing)
    assert "case_already_decided" in codes(facts_of("advance_notice", case=DECIDED))


def test_a_decision_needs_the_cases_decision_and_accepts_the_recorded_notice_service() -> None:
    undecided = facts_of("penalty_decision", case=FILED, notice_ref=None)
    assert {"case_not_decided", "advance_notice_not_issued"} <= codes(undecided)
    # 行政处罚法第六十二条: the case records the notice's service, even without a notice document here
    assert codes(facts_of("penalty_decision", case=DECIDED, notice_ref=None)) == set()


def test_a_daily_penalty_needs_the_decision_and_a_refused_order() -> None:
    assert {"case_not_decided", "order_not_refused"} <= codes(
        facts_of("daily_penalty_decision", case=FILED, daily=None)
    )
    assert codes(facts_of("daily_penalty_decision", case=DECIDED)) == set()


def test_case_facts_survive_the_frozen_json_of_the_document_row() -> None:
    deadline = DeadlineFacts(
        "hearing_request", "听证申请期限", date(2026, 11, 24), date(2026, 12, 1), "working_days", "第六十四条"
    )
    case = replace(DECIDED, decided_measures=("责令停止违法行为",), deadlines=(deadline,))
    facts = facts_of("penalty_decision", case=case, other_inspections=(inspection_facts("cd" * 32),))
    facts = replace(facts, signed_on=date(2026, 11, 25))
    assert from_json(to_json(facts)) == facts
