"""app.json_body: the problem lists a bounded number of refused values, however many the body holds."""

from __future__ import annotations

import pytest

from app.errors import ValidationFailed
from app.json_body import MAX_LISTED_ERRORS, check_json_value


def test_a_body_full_of_refused_strings_lists_a_bounded_number_of_them() -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_json_value({"notes": ["\u0001"] * 5000}, max_depth=64)
    assert refused.value.code == "control_character"
    assert 0 < len(refused.value.errors) <= MAX_LISTED_ERRORS
