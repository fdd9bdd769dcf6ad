"""The jurisdiction tree keeps its materialised paths consistent."""

from __future__ import annotations

from app.jurisdictions.services import get_jurisdiction_by_code, upsert_jurisdiction


def test_moving_a_jurisdiction_moves_its_subtree(session, tree) -> None:
    upsert_jurisdiction(session, code="410811", name_zh="山阳区", level="county", parent_code="410000")
    session.commit()
    assert get_jurisdiction_by_code(session, "410811").path == "/410000/410811/"
    assert get_jurisdiction_by_code(session, "410811001").path == "/410000/410811/410811001/"
    assert get_jurisdiction_by_code(session, "410822").path == "/410000/410800/410822/"
