"""The case state machine: which step from which stage, by whom."""

from __future__ import annotations

import pytest

from app.cases.transitions import STAGES, TRANSITIONS, allowed_actions, check_transition
from app.errors import Conflict, Forbidden, ValidationFailed


def test_the_happy_path_runs_through_every_stage_in_order() -> None:
    stage = "filing"
    visited = [stage]
    for action in ("approve_filing", "serve_notice", "decide", "serve_decision", "close"):
        stage = check_transition(action, stage, "supervisor").to_stage
        visited.append(stage)
    assert visited == list(STAGES)


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_admins_configure_and_inspectors_never_act_on_a_case(action: str) -> None:
    stage = TRANSITIONS[action].from_stages[0]
    for role in ("admin", "inspector"):
        with pytest.raises(Forbidden) as exc:
            check_transition(action, stage, role)
        assert exc.value.code == "case_wrong_role"


def test_a_step_from_the_wrong_stage_is_a_conflict() -> None:
    with pytest.raises(Conflict) as exc:
        check_transition("decide", "investigation", "supervisor")
    assert exc.value.code == "case_wrong_stage" and exc.value.extra["allowed_from"] == ["notice"]
    with pytest.raises(Conflict):
        check_transition("close", "notice", "supervisor")  # no closing between notice and decision


def test_an_unknown_action_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        check_transition("reopen", "filing", "supervisor")


def test_allowed_actions_per_stage() -> None:
    assert allowed_actions("notice", "supervisor") == ["request_hearing", "decide"]
    assert allowed_actions("execution", "supervisor") == ["record_payment", "close"]
    assert allowed_actions("closed", "supervisor") == []
    assert allowed_actions("filing", "admin") == []
