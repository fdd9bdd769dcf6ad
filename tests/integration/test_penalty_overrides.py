"""Overrides through a recompute after a rule update, on real PostGIS (the service, not the HTTP edge)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import Conflict
from app.penalties.catalogue import sync_penalty_rules
from app.penalties.computation import (
    compute_penalties_for_inspection,
    override_penalty_line,
    recompute_inspection_penalties,
)
from app.penalties.models import PenaltyLineRow
from app.penalties.records import current_computation
from tests.factories_catalogue import install_shipped_penalty_rules
from tests.factories_penalties import (
    dust_failures,
    edit_rule,
    make_construction_site,
    make_inspection,
    make_penalty_world,
    rules_copy,
)

FINE = "fine.henan_76_construction_dust"


@pytest.fixture()
def overridden(session, tree, tmp_path):  # noqa: ANN001, ANN201
    """An inspection whose Henan-76 fine (76,000 yuan) a supervisor overrode to 50,000 yuan."""
    make_penalty_world(session)
    install_shipped_penalty_rules(session)
    inspection = make_inspection(
        session, make_construction_site(session), dust_failures("hoarding", "material_cover", "vehicle_wash")
    )
    lines = compute_penalties_for_inspection(session, inspection)
    fine = next(l for l in lines if l.rule_key == FINE)
    override_penalty_line(session, inspection, fine.id, 5_000_000, "当事人积极整改", None)
    session.commit()
    return inspection


def narrow_the_fine_range(session, tmp_path, lo: int, hi: int) -> None:  # noqa: ANN001
    changed = rules_copy(tmp_path)
    edit_rule(changed, FINE, lambda e: e.update(amount={"min": lo, "max": hi}))
    sync_penalty_rules(session, changed)
    session.commit()


def test_a_rule_update_that_keeps_the_override_in_range_carries_it(session, overridden, tmp_path):
    narrow_the_fine_range(session, tmp_path, 3_000_000, 9_000_000)  # 30,000 + 60,000 x 0.7 = 72,000
    outcome = recompute_inspection_penalties(session, overridden, "规则修订后重新计算")
    session.commit()
    fine = next(l for l in outcome.computation.lines if l.rule_key == FINE)
    assert (fine.amount_fen, fine.override["amount_before_fen"], fine.range_max_fen) == (
        5_000_000,
        7_200_000,
        9_000_000,
    )


def test_a_rule_update_that_puts_the_override_out_of_range_refuses_the_recompute(session, overridden, tmp_path):
    narrow_the_fine_range(session, tmp_path, 1_000_000, 4_000_000)
    kept = current_computation(session, overridden.id)
    with pytest.raises(Conflict) as refused:
        recompute_inspection_penalties(session, overridden, "规则修订后重新计算")
    (unfit,) = refused.value.extra["overrides"]
    assert (unfit["problem"], unfit["range_fen"], unfit["amount_fen"]) == (
        "override_out_of_range",
        [1_000_000, 4_000_000],
        5_000_000,
    )
    assert "40,000.00" in unfit["message"]["zh"] and "outside the legal range" in unfit["message"]["en"]
    session.rollback()
    assert current_computation(session, overridden.id).id == kept.id
    assert session.scalar(select(PenaltyLineRow.id).where(PenaltyLineRow.computation_id != kept.id)) is None


def test_drop_overrides_drops_the_out_of_range_override(session, overridden, tmp_path):
    narrow_the_fine_range(session, tmp_path, 1_000_000, 4_000_000)
    outcome = recompute_inspection_penalties(session, overridden, "规则修订，原调整超出新幅度", drop_overrides=True)
    session.commit()  # the DB guards (0008, 0010) accept the new computation
    fine = next(l for l in outcome.computation.lines if l.rule_key == FINE)
    assert fine.override is None and fine.amount_fen == 3_100_000  # 10,000 + 30,000 x 0.7
    assert [u.code for u in outcome.dropped] == ["override_out_of_range"]
