"""rules.check_two_person_rule and rules.item_comment_errors: pure review decisions."""

from __future__ import annotations

import pytest

from app.errors import Forbidden
from app.inspections import rules


@pytest.mark.parametrize("reviewer", [1, 2, 3])
def test_creator_and_officers_may_not_decide(reviewer: int) -> None:
    with pytest.raises(Forbidden) as raised:
        rules.check_two_person_rule(reviewer, creator_id=1, officer_ids=[2, 3], enforced=True)
    assert raised.value.code == "own_inspection"


def test_someone_else_may_decide() -> None:
    rules.check_two_person_rule(4, creator_id=1, officer_ids=[2, 3], enforced=True)


def test_a_waived_rule_lets_a_participant_decide() -> None:
    rules.check_two_person_rule(1, creator_id=1, officer_ids=[2, 3], enforced=False)


def test_item_comments_must_name_known_items() -> None:
    comments = [{"item_key": "hoarding", "comment": "ok"}, {"item_key": "ghost", "comment": "?"}]
    [error] = rules.item_comment_errors(comments, {"hoarding", "washing"})
    assert (error.path, error.code) == ("item_comments.1.item_key", "unknown_item")
