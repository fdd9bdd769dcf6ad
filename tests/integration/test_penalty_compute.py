"""Penalty lines computed from stored inspections on real PostGIS (golden cases of the engine, through the DB)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from app.audit.models import AuditEntry
from app.penalties.catalogue import sync_penalty_rules
from app.penalties.computation import compute_penalties_for_inspection
from app.penalties.models import PenaltyLineRow, PenaltyRuleVersion
from tests.factories_catalogue import install_shipped_penalty_rules
from tests.factories_penalties import (
    FIREWORKS_SALE_KEYS,
    FailedItem,
    dust_failures,
    edit_rule,
    make_construction_site,
    make_fireworks_shop,
    make_inspection,
    make_penalty_world,
    penalties_view_of,
    recompute_view,
    rules_copy,
)


@pytest.fixture()
def world(session, tree):  # noqa: ANN001, ANN201
    make_penalty_world(session)
    install_shipped_penalty_rules(session)
    session.commit()


def by_key(lines, key):  # noqa: ANN001, ANN201
    found = [l for l in lines if l.rule_key == key]
    assert len(found) == 1, [l.rule_key for l in lines]
    return found[0]


def test_three_failed_dust_measures_charge_300k_yuan_to_the_subdistrict_whose_polygon_contains_the_site(session, world):
    site = make_construction_site(session)
    inspection = make_inspection(session, site, dust_failures("hoarding", "material_cover", "vehicle_wash"))
    lines = compute_penalties_for_inspection(session, inspection)
    session.commit()
    fiscal = by_key(lines, "fiscal.dust_measure_failed")
    assert (fiscal.counted_units, fiscal.amount_fen, fiscal.base_amount_fen) == (3, 30_000_000, 10_000_000)
    assert (fiscal.payer_type, fiscal.payer_code, fiscal.payer_name) == (
        "responsible_jurisdiction",
        "410811001",
        "焦东街道",
    )
    assert fiscal.basis[0]["ref"] == "000§五(二)"
    fines = [l for l in lines if l.kind == "statutory_fine"]
    assert [l.rule_key for l in fines] == ["fine.henan_76_construction_dust"]
    # medium 50% + 2 extra failed items x 10% = 70%: 20,000 + 80,000 x 0.7 = 76,000 yuan, on the operator
    assert fines[0].amount_fen == 7_600_000
    assert (fines[0].payer_type, fines[0].payer_code) == ("violator", "91410811LTDM00010A")


def test_the_fiscal_payer_follows_the_polygon_not_the_district(session, world):
    site = make_construction_site(session, at=(113.22, 35.25))  # 焦西 half of 山阳区
    inspection = make_inspection(session, site, dust_failures("hoarding"))
    fiscal = by_key(compute_penalties_for_inspection(session, inspection), "fiscal.dust_measure_failed")
    assert (fiscal.payer_code, fiscal.payer_name) == ("410811002", "焦西街道")


def test_fireworks_sale_in_the_ban_area_gives_50k_yuan_deduction_and_a_regulation_36_fine(session, world):
    shop = make_fireworks_shop(session)
    inspection = make_inspection(
        session, shop, [FailedItem("no_sale_in_ban_area", FIREWORKS_SALE_KEYS, source_refs=["000#20", "000§五(二)"])]
    )
    lines = compute_penalties_for_inspection(session, inspection)
    assert by_key(lines, "fiscal.fireworks_in_ban_area").amount_fen == 5_000_000
    fine = by_key(lines, "fine.fireworks_reg_36_unlicensed_sale")
    assert (fine.range_min_fen, fine.range_max_fen, fine.amount_fen) == (2_000_000, 10_000_000, 6_000_000)
    assert (fine.payer_type, fine.payer_name) == ("violator", "王某")
    assert fine.basis[0]["ref"] == "烟花爆竹安全管理条例第三十六条第一款"


def test_lines_are_bigint_fen_never_float(session, world):
    inspection = make_inspection(session, make_construction_site(session), dust_failures("hoarding"))
    compute_penalties_for_inspection(session, inspection)
    session.commit()
    types = dict(
        session.execute(
            text(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'penalty_lines' "
                "AND column_name LIKE '%fen'"
            )
        ).all()
    )
    assert set(types.values()) == {"bigint"}


def test_inspection_date_is_the_beijing_date(session, world):
    # 2021-12-31 20:00 UTC is 2022-01-01 04:00 in Beijing: the 2022 plan (from 2022-01-01) is in force.
    started = datetime(2021, 12, 31, 20, 0, tzinfo=UTC)
    inspection = make_inspection(
        session, make_construction_site(session), dust_failures("hoarding"), started_at=started
    )
    lines = compute_penalties_for_inspection(session, inspection)
    assert "fiscal.dust_measure_failed" in [l.rule_key for l in lines]
    view = penalties_view_of(session, inspection)
    assert view["computation"]["inspection_date"] == "2022-01-01"


def test_same_item_failed_within_two_years_counts_as_repeat_offence(session, world):
    site = make_construction_site(session)
    earlier = make_inspection(session, site, dust_failures("hoarding"))
    earlier.started_at = datetime(2025, 12, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    too_old = make_inspection(session, site, dust_failures("hoarding"))
    too_old.started_at = datetime(2023, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    session.flush()
    inspection = make_inspection(session, site, dust_failures("hoarding"))
    lines = compute_penalties_for_inspection(session, inspection)
    fine = by_key(lines, "fine.henan_76_construction_dust")
    repeat = next(f for f in fine.factors if f["name"] == "repeat_offence")
    assert repeat["level"].startswith("1 prior") and repeat["effect"] == "+25%"
    assert fine.amount_fen == 8_000_000  # 50% + 25% = 75%: 20,000 + 80,000 x 0.75 = 80,000 yuan


def test_rule_file_change_makes_a_new_version_and_computed_amounts_stay_until_recompute(session, world, tmp_path):
    inspection = make_inspection(session, make_construction_site(session), dust_failures("hoarding", "wet_work"))
    compute_penalties_for_inspection(session, inspection)
    session.commit()

    changed = rules_copy(tmp_path)
    edit_rule(changed, "fiscal.dust_measure_failed", lambda e: e.update(amount=12_000_000))
    report = sync_penalty_rules(session, changed)
    session.commit()
    assert [c.split("@")[0] for c in report.created] == ["fiscal.dust_measure_failed"]
    versions = list(
        session.scalars(
            select(PenaltyRuleVersion)
            .where(PenaltyRuleVersion.key == "fiscal.dust_measure_failed")
            .order_by(PenaltyRuleVersion.id)
        )
    )
    assert [(v.content["amount"], v.is_current) for v in versions] == [(10_000_000, False), (12_000_000, True)]

    kept = penalties_view_of(session, inspection)
    assert kept["totals"]["fiscal_deduction"] == {"fen": 20_000_000, "yuan": "200,000.00"}
    old_line = next(l for l in kept["lines"] if l["rule_key"] == "fiscal.dust_measure_failed")
    assert old_line["rule_hash"] == versions[0].rule_hash

    after = recompute_view(session, inspection, "规则文件金额调整后重新计算")
    session.commit()
    assert after["totals"]["fiscal_deduction"]["fen"] == 24_000_000
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "penalty.recompute")).one()
    assert entry.before["totals_fen"]["fiscal_deduction"] == 20_000_000
    assert entry.after["totals_fen"]["fiscal_deduction"] == 24_000_000
    assert entry.after["reason"] == "规则文件金额调整后重新计算"
    # the superseded lines are kept, not deleted
    assert session.scalar(select(text("count(*)")).select_from(PenaltyLineRow)) == 2 * len(kept["lines"])


def test_stored_rule_versions_cannot_be_edited(session, world):
    row = session.scalars(select(PenaltyRuleVersion)).first()
    with pytest.raises(Exception, match="immutable"):
        session.execute(text("UPDATE penalty_rule_versions SET content = '{}'::jsonb WHERE id = :id"), {"id": row.id})
    session.rollback()


def test_sync_is_idempotent(session, world):
    report = sync_penalty_rules(session)
    assert not report.changed and report.unchanged > 40
